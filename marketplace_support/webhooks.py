"""Webhooks: a provider's (or the operator's) own system hears of the changes to the tickets
that party sees, as signed HTTP POSTs (Standard Webhooks).

Staff register an endpoint (a URL, the events it wants; a secret shown once), enable, disable
or delete it, and read its delivery log; the operator sees every endpoint of the marketplace
with its delivery health. What an endpoint sees is what its party sees on the pages
(``access``): a provider's endpoint hears only of the tickets routed to that provider, and
of a ticket re-routed away only that it went; an internal note reaches only the endpoints of
the party that wrote it.

:func:`rows_for` turns the rows of a change into outbox rows, in the change's transaction
(``changes.commit`` writes them with the change's e-mails, in one statement); the outbox's
workers post them (``webhook_delivery``).
"""

from __future__ import annotations

import base64
import enum
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from werkzeug.exceptions import NotFound

from . import access, outbox, ticket_json
from .clock import now
from .host import Actor
from .i18n import gettext, lazy_gettext
from .models import Delivery, Event, EventKind, Message, OutboxMessage, Ticket, WebhookEndpoint
from .schemas import InvalidInput, WebhookSchema, load
from .state import support
from .transaction import use_case
from .webhook_urls import UnsafeUrl, check
from .workflow import Role

#: How a secret begins (Standard Webhooks): the rest is 32 random bytes in base64.
SECRET_PREFIX = "whsec_"
#: The deliveries a log shows, newest first.
LOG_SIZE = 50


class EventType(enum.StrEnum):
    """The events an endpoint may want."""

    TICKET_OPENED = "ticket.opened"
    TICKET_ROUTED = "ticket.routed"
    MESSAGE_POSTED = "message.posted"
    STATUS_CHANGED = "ticket.status_changed"
    REROUTED_AWAY = "ticket.rerouted_away"
    ESCALATED = "ticket.escalated"
    EMERGENCY = "ticket.emergency"

    @property
    def label(self) -> str:
        return str(_LABELS[self])


_LABELS = {
    EventType.TICKET_OPENED: lazy_gettext("A ticket was opened"),
    EventType.TICKET_ROUTED: lazy_gettext("A ticket was routed to you"),
    EventType.MESSAGE_POSTED: lazy_gettext("A message was posted"),
    EventType.STATUS_CHANGED: lazy_gettext("A ticket's status changed"),
    EventType.REROUTED_AWAY: lazy_gettext("A ticket was re-routed away from you"),
    EventType.ESCALATED: lazy_gettext("A ticket was escalated"),
    EventType.EMERGENCY: lazy_gettext("An emergency was raised"),
}

#: The event each kind of history row is (a message is ``message.posted``); kinds not here
#: send none (routing at opening is part of ``ticket.opened``).
_OF_KIND = {
    EventKind.OPENED: EventType.TICKET_OPENED,
    EventKind.REROUTED: EventType.TICKET_ROUTED,
    EventKind.HANDED_BACK: EventType.TICKET_ROUTED,
    EventKind.STATUS_CHANGED: EventType.STATUS_CHANGED,
    EventKind.ESCALATED: EventType.ESCALATED,
    EventKind.EMERGENCY_RAISED: EventType.EMERGENCY,
}


class EndpointNotFound(NotFound):
    """No endpoint with this id that the actor manages (it may be someone else's)."""


@dataclass(frozen=True)
class Registered:
    """A new endpoint, and its secret: shown this once."""

    endpoint: WebhookEndpoint
    secret: str


def events_of(endpoint: WebhookEndpoint) -> tuple[EventType, ...]:
    return tuple(EventType(value) for value in endpoint.events.split())


@use_case
def register(tenant_id: str, actor: Actor, role: Role, form: Mapping[str, Any]) -> Registered:
    """A new endpoint of ``actor``'s party in the area of ``role``: the operator's, or (for
    provider staff) their provider's (``provider_id`` when they work for several).

    Raises:
        InvalidInput: errors per field (url: also one that webhooks may not reach, checked
            now by resolving it); nothing was written.
    """
    data, errors = load(WebhookSchema(events=[event.value for event in EventType]), form)
    provider_id = _provider_of(actor, role, data.get("provider_id"), errors)
    if "url" not in errors:
        try:
            check(data["url"])
        except UnsafeUrl as unsafe:
            errors["url"] = [unsafe.message]
    if errors:
        raise InvalidInput(errors)
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        role=role,
        provider_id=provider_id,
        created_by=actor.user_id,
        url=data["url"],
        events=" ".join(sorted(set(data["events"]))),
        secret=secret,
        enabled=True,
        created_at=now(),
        failures=0,
    )
    support.session.add(endpoint)
    support.session.commit()
    return Registered(endpoint, secret)


def _provider_of(
    actor: Actor, role: Role, chosen: str | None, errors: dict[str, Any]
) -> str | None:
    """The provider a new endpoint of provider staff belongs to (None: the operator's)."""
    if role is not Role.PROVIDER:
        return None
    mine = sorted(actor.provider_ids)
    if chosen is None and len(mine) == 1:
        return mine[0]
    if chosen not in mine:
        errors["provider_id"] = [gettext("Choose one of your providers.")]
        return None
    return chosen


def endpoints_of(tenant_id: str, actor: Actor, role: Role) -> list[WebhookEndpoint]:
    """The endpoints ``actor`` manages as ``role`` (the operator: all of the tenant's)."""
    return list(support.session.scalars(access.webhook_endpoints(tenant_id, actor, role)))


def endpoint(tenant_id: str, actor: Actor, role: Role, endpoint_id: int) -> WebhookEndpoint:
    """Raises: EndpointNotFound."""
    query = access.webhook_endpoints(tenant_id, actor, role).where(
        WebhookEndpoint.id == endpoint_id
    )
    found = support.session.scalars(query).one_or_none()
    if found is None:
        raise EndpointNotFound()
    return found


@use_case
def set_enabled(
    tenant_id: str, actor: Actor, role: Role, endpoint_id: int, enabled: bool
) -> WebhookEndpoint:
    """Enable or disable an endpoint; enabled again, it is tried at once.

    Raises: EndpointNotFound."""
    found = endpoint(tenant_id, actor, role, endpoint_id)
    found.enabled = enabled
    if enabled:
        found.failures = 0
        found.retry_at = None
    support.session.commit()
    return found


@use_case
def remove(tenant_id: str, actor: Actor, role: Role, endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries (sent or waiting).

    Raises: EndpointNotFound."""
    found = endpoint(tenant_id, actor, role, endpoint_id)
    support.session.execute(delete(OutboxMessage).where(OutboxMessage.endpoint_id == found.id))
    support.session.delete(found)
    support.session.commit()


def deliveries(
    tenant_id: str, actor: Actor, role: Role, endpoint_id: int, limit: int = LOG_SIZE
) -> list[OutboxMessage]:
    """The newest deliveries of an endpoint: its log.

    Raises: EndpointNotFound."""
    found = endpoint(tenant_id, actor, role, endpoint_id)
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.endpoint_id == found.id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(support.session.scalars(query))


@use_case
def send_again(
    tenant_id: str, actor: Actor, role: Role, endpoint_id: int, delivery_ids: Sequence[int]
) -> int:
    """Put failed deliveries of an endpoint back in line, to be tried at once; how many.

    Raises: EndpointNotFound."""
    found = endpoint(tenant_id, actor, role, endpoint_id)
    query = select(OutboxMessage.id).where(
        OutboxMessage.endpoint_id == found.id,
        OutboxMessage.id.in_(list(delivery_ids)),
        OutboxMessage.status == Delivery.FAILED,
    )
    ids = list(support.session.scalars(query))
    if not ids:
        return 0
    # the endpoint is tried at once again, whatever its last failures said
    support.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == found.id).values(retry_at=None)
    )
    return outbox.send_again(tenant_id, ids)


# -- the events of a change -----------------------------------------------------------------


def rows_for(ticket: Ticket, rows: Sequence[Message | Event]) -> list[dict[str, Any]]:
    """The outbox rows (``support_outbox`` values) that tell the endpoints of the tenant of
    ``rows`` (written and flushed by a change), each what its party may see now."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.tenant_id == ticket.tenant_id, WebhookEndpoint.enabled.is_(True)
    )
    endpoints = list(support.session.scalars(query))
    typed = [(row, _event_type(row)) for row in rows]
    wanted = {event for _, event in typed if event is not None}
    listening = [e for e in endpoints if wanted.intersection(events_of(e))]
    if not listening:
        return []
    seeing = _seeing(ticket, listening)
    return [
        _outbox_row(ticket, row, told, hook)
        for row, event in typed
        for hook in listening
        for told in _told(hook, row, event, seeing)
    ]


def _told(
    hook: WebhookEndpoint, row: Message | Event, event: EventType | None, seeing: set[int]
) -> list[EventType]:
    """The events ``hook`` is sent of ``row``."""
    told = []
    if event is not None and event in events_of(hook) and _hears(hook, row, seeing):
        told.append(event)
    if _moved_away_from(hook, row):
        told.append(EventType.REROUTED_AWAY)
    return told


def _event_type(row: Message | Event) -> EventType | None:
    if isinstance(row, Message):
        return EventType.MESSAGE_POSTED
    return _OF_KIND.get(row.kind)


def _seeing(ticket: Ticket, endpoints: Iterable[WebhookEndpoint]) -> set[int]:
    """The ids of the endpoints whose party sees ``ticket`` now, in one statement."""
    listed = list(endpoints)
    query = access.who_sees(ticket, [access.endpoint_party(e) for e in listed])
    return {listed[int(position)].id for position in support.session.scalars(query)}


def _hears(hook: WebhookEndpoint, row: Message | Event, seeing: set[int]) -> bool:
    """Whether ``hook`` is told of ``row``: its party sees the ticket, and an internal note
    only reaches the party that wrote it."""
    if hook.id not in seeing:
        return False
    if isinstance(row, Message) and row.internal:
        return row.author_role is hook.role
    return True


def _moved_away_from(hook: WebhookEndpoint, row: Message | Event) -> bool:
    return (
        isinstance(row, Event)
        and row.kind is EventKind.REROUTED
        and hook.role is Role.PROVIDER
        and row.from_provider_id is not None
        and row.from_provider_id == hook.provider_id
        and EventType.REROUTED_AWAY in events_of(hook)
    )


def _outbox_row(
    ticket: Ticket, row: Message | Event, event: EventType, hook: WebhookEndpoint
) -> dict[str, Any]:
    kind = "message" if isinstance(row, Message) else "event"
    return {
        "tenant_id": ticket.tenant_id,
        "ticket_id": ticket.id,
        "endpoint_id": hook.id,
        "event_key": f"{kind}:{row.id}",
        "notification": event.value,
        "recipient": f"webhook:{hook.id}",
        "recipient_name": None,
        "locale": "en",
        "payload": payload(ticket, row, event),
        "status": Delivery.PENDING,
        "last_error": None,
    }


def payload(ticket: Ticket, row: Message | Event, event: EventType) -> dict[str, Any]:
    """``{type, timestamp, data: {ticket, message | event}}``, with the API's fields. A
    ticket re-routed away is named only (number, subject, where it went)."""
    if event is EventType.REROUTED_AWAY:
        data: dict[str, Any] = {
            "ticket": {
                "number": ticket.number,
                "subject": ticket.subject,
                "handler": ticket.handler.value,
                "provider_name": ticket.provider_name,
            }
        }
    else:
        data = {"ticket": ticket_json.summary(ticket)}
        if isinstance(row, Message):
            data["message"] = ticket_json.message(row)
        else:
            data["event"] = ticket_json.event(row)
    return {"type": event.value, "timestamp": row.created_at.isoformat(), "data": _plain(data)}


def _plain(value: Any) -> Any:
    """``value`` with its moments as ISO 8601 text (as the API writes them)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
