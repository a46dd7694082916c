"""Webhooks: a provider's (or the operator's) own system hears of the changes to the tickets
that party sees, as signed HTTP POSTs (Standard Webhooks).

Staff register an endpoint (a URL, the events it wants; a secret shown once), enable, disable
or delete it, and read its delivery log (its newest deliveries, each with every try kept for
``SUPPORT_WEBHOOK_LOG_DAYS``); the operator sees every endpoint of the marketplace with its
delivery health. What an endpoint sees is what its party sees on the pages
(``access``): a provider's endpoint hears only of the tickets routed to that provider, and
of a ticket re-routed away only that it went; an internal note reaches only the endpoints of
the party that wrote it.

:func:`rows_for` turns the rows of a change into SELECTs of outbox rows from the endpoints
that may hear of them; ``changes.commit`` writes them in the change's transaction, in the
INSERT of its e-mails (no statement of their own); the outbox's workers post them
(``webhook_delivery``), and every try goes into the endpoint's log (``WebhookTry``).
"""

from __future__ import annotations

import base64
import enum
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    delete,
    exists,
    literal,
    select,
    update,
)
from werkzeug.exceptions import NotFound

from . import access, idempotency, outbox, ticket_json
from .clock import now
from .host import Actor
from .i18n import gettext, lazy_gettext
from .idempotency import Receipt
from .models import (
    Delivery,
    Event,
    EventKind,
    Message,
    OutboxMessage,
    Ticket,
    WebhookEndpoint,
    WebhookTry,
)
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
def register(
    tenant_id: str,
    actor: Actor,
    role: Role,
    form: Mapping[str, Any],
    *,
    receipt: Receipt | None = None,
) -> Registered:
    """A new endpoint of ``actor``'s party in the area of ``role``: the operator's, or (for
    provider staff) their provider's (``provider_id`` when they work for several). An API
    call hands its ``receipt``: its key and answer (with the secret) are written with the
    endpoint; when a first call with the same key won a race, nothing is written and the
    answer is that call's (``receipt.answered``).

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
    support.session.flush()  # the answer holds its id
    registered = Registered(endpoint, secret)
    idempotency.commit(receipt, registered)
    return registered


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
    """Delete an endpoint with its deliveries (sent or waiting) and their tries.

    Raises: EndpointNotFound."""
    found = endpoint(tenant_id, actor, role, endpoint_id)
    support.session.execute(delete(WebhookTry).where(WebhookTry.endpoint_id == found.id))
    support.session.execute(delete(OutboxMessage).where(OutboxMessage.endpoint_id == found.id))
    support.session.delete(found)
    support.session.commit()


@dataclass(frozen=True)
class Logged:
    """A delivery in an endpoint's log, with every try of it still kept, oldest first."""

    delivery: OutboxMessage
    tries: list[WebhookTry]


def deliveries(
    tenant_id: str, actor: Actor, role: Role, endpoint_id: int, limit: int = LOG_SIZE
) -> list[Logged]:
    """The newest deliveries of an endpoint with their tries: its log (three statements:
    the endpoint, the deliveries, their tries).

    Raises: EndpointNotFound."""
    found = endpoint(tenant_id, actor, role, endpoint_id)
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.endpoint_id == found.id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    rows = list(support.session.scalars(query))
    tries: dict[int, list[WebhookTry]] = {row.id: [] for row in rows}
    if rows:
        kept = select(WebhookTry).where(WebhookTry.outbox_id.in_(list(tries)))
        for tried in support.session.scalars(kept.order_by(WebhookTry.id)):
            tries[tried.outbox_id].append(tried)
    return [Logged(row, tries[row.id]) for row in rows]


def forget_old_tries(moment: datetime) -> int:
    """Remove the tries older than ``SUPPORT_WEBHOOK_LOG_DAYS`` at ``moment`` (every
    tenant's); how many."""
    days = int(current_app.config["SUPPORT_WEBHOOK_LOG_DAYS"])
    statement = delete(WebhookTry).where(WebhookTry.tried_at < moment - timedelta(days=days))
    removed = support.session.execute(statement)
    support.session.commit()
    return int(getattr(removed, "rowcount", 0) or 0)


@use_case
def send_again(
    tenant_id: str,
    actor: Actor,
    role: Role,
    endpoint_id: int,
    delivery_ids: Sequence[int],
    *,
    receipt: Receipt | None = None,
) -> int:
    """Put failed deliveries of an endpoint back in line, to be tried at once; how many. An
    API call's ``receipt`` is kept with it (see :func:`register`).

    Raises: EndpointNotFound."""
    found = endpoint(tenant_id, actor, role, endpoint_id)
    query = select(OutboxMessage.id).where(
        OutboxMessage.endpoint_id == found.id,
        OutboxMessage.id.in_(list(delivery_ids)),
        OutboxMessage.status == Delivery.FAILED,
    )
    ids = list(support.session.scalars(query))
    if not ids:
        idempotency.commit(receipt, 0)
        return 0
    # the endpoint is tried at once again, whatever its last failures said
    support.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == found.id).values(retry_at=None)
    )
    return outbox.send_again(tenant_id, ids, receipt=receipt)


# -- the events of a change -----------------------------------------------------------------


def listening(tenant_id: str) -> ColumnElement[bool]:
    """Whether ``tenant_id`` has an enabled endpoint: read with the ticket a change locks
    (``tickets.ticket_to_change``), so a change that e-mails no one writes no outbox
    statement at all where nothing listens."""
    return (
        exists()
        .where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.enabled.is_(True))
        .label("webhooks_listening")
    )


def rows_for(ticket: Ticket, rows: Sequence[Message | Event]) -> list[outbox.Picked]:
    """The outbox rows (``support_outbox`` columns, :data:`outbox.COLUMNS`) that tell the
    endpoints of the tenant of ``rows`` (written and flushed by a change) what each may see
    now, as SELECTs on ``support_webhook_endpoint``: one for each row and event it may be,
    the payload a value. The database picks the endpoints in the INSERT that writes the
    change's e-mails (``outbox.write``): the webhooks cost a change no statement of their
    own, and a tenant without endpoints gets no row. What an endpoint hears is what its
    party sees (``access.endpoint_sees``); an internal note reaches only the endpoints of the
    party that wrote it; a provider's endpoint hears of a ticket re-routed away from it
    only that it went."""
    picked = []
    for row in rows:
        event = _event_type(row)
        if event is not None:
            if isinstance(row, Message) and row.internal:
                hears = _Hears.PARTY_SEES
                values = {"role": row.author_role}
            else:
                hears, values = _Hears.SEES, {}
            picked.append(_endpoints_told(ticket, row, event, hears, values))
        if isinstance(row, Event) and row.kind is EventKind.REROUTED and row.from_provider_id:
            away = {"provider_id": row.from_provider_id}
            picked.append(
                _endpoints_told(ticket, row, EventType.REROUTED_AWAY, _Hears.WENT_AWAY, away)
            )
    return picked


class _Hears(enum.Enum):
    """Which endpoints hear of a row: those whose party sees the ticket; of those, the
    endpoints of one party (an internal note: ``role``); a provider's that the ticket left
    (``provider_id``)."""

    SEES = "sees"
    PARTY_SEES = "party_sees"
    WENT_AWAY = "went_away"


def _event_type(row: Message | Event) -> EventType | None:
    if isinstance(row, Message):
        return EventType.MESSAGE_POSTED
    return _OF_KIND.get(row.kind)


def _endpoints_told(
    ticket: Ticket,
    row: Message | Event,
    event: EventType,
    hears: _Hears,
    values: dict[str, Any],
) -> outbox.Picked:
    """The outbox rows of ``event`` (of ``row``) for the enabled endpoints of the tenant that
    want it and that ``hears`` picks."""
    kind = "message" if isinstance(row, Message) else "event"
    values.update(
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        event_key=f"{kind}:{row.id}",
        notification=event.value,
        recipient_name=None,
        locale="en",
        payload=payload(ticket, row, event),
        status=Delivery.PENDING,
        last_error=None,
    )
    return outbox.Picked(_endpoints_select, (event, hears), values)


def _endpoints_select(prefix: str, event: EventType, hears: _Hears) -> Select[Any]:
    """The SELECT of :func:`_endpoints_told`, its values parameters named ``prefix`` and
    their name (made once per event and ``hears``: ``outbox.write``)."""
    value = partial(outbox.parameter, prefix)
    wants = (literal(" ") + WebhookEndpoint.events + literal(" ")).contains(
        f" {event.value} ", autoescape=True
    )
    if hears is _Hears.WENT_AWAY:
        picks = [
            WebhookEndpoint.role == Role.PROVIDER,
            WebhookEndpoint.provider_id == bindparam(f"{prefix}provider_id"),
        ]
    else:
        picks = [access.endpoint_sees(bindparam(f"{prefix}ticket_id"))]
        if hears is _Hears.PARTY_SEES:
            picks.append(WebhookEndpoint.role == bindparam(f"{prefix}role"))
    return select(
        value("tenant_id"),
        value("ticket_id"),
        WebhookEndpoint.id.label("endpoint_id"),
        value("event_key"),
        value("notification"),
        (literal("webhook:") + cast(WebhookEndpoint.id, String)).label("recipient"),
        value("recipient_name"),
        value("locale"),
        value("payload"),
        value("status"),
        value("last_error"),
    ).where(
        WebhookEndpoint.tenant_id == bindparam(f"{prefix}tenant_id"),
        WebhookEndpoint.enabled.is_(True),
        wants,
        *picks,
    )


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
