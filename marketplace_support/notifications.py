"""Who hears of a change, and what they are told.

The rules are one table, :data:`RULES`: a trigger (a ticket opened, a reply, a status change,
...) and the audiences it notifies, each with the notification it gets. :func:`for_change` turns
the rows a use-case wrote into outbox rows, inside the same transaction, so a change and its
notifications are committed together or not at all. Customers are only ever told of what
customers may see: internal notes and internal events notify staff only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import select

from .host import Actor
from .i18n import lazy_gettext
from .models import Event, EventKind, Message, OutboxMessage, Ticket, Watcher
from .state import support
from .workflow import Handler, Role, Status


class Audience(enum.StrEnum):
    #: the requester, and customers who watch the ticket
    CUSTOMER = "customer"
    #: whoever handles the ticket now (the provider's or the operator's addresses), and staff
    #: who watch it
    HANDLER = "handler"
    #: the marketplace's own team
    OPERATOR = "operator"
    #: staff who watch the ticket (internal notes)
    STAFF_WATCHERS = "staff_watchers"


@dataclass(frozen=True)
class Rule:
    trigger: str
    audience: Audience
    notification: str
    #: whether the person who made the change is told too (only their own confirmation)
    to_actor: bool = False


#: trigger → who is told, and which notification they get (templates in
#: ``templates/marketplace_support/email/<notification>.txt`` and ``.html``)
RULES: tuple[Rule, ...] = (
    Rule("opened", Audience.CUSTOMER, "ticket_received", to_actor=True),
    Rule("opened", Audience.HANDLER, "new_ticket"),
    Rule("staff_replied", Audience.CUSTOMER, "new_reply"),
    Rule("customer_replied", Audience.HANDLER, "customer_replied"),
    Rule("internal_note", Audience.STAFF_WATCHERS, "internal_note"),
    Rule("waiting_for_customer", Audience.CUSTOMER, "waiting_for_you"),
    Rule("resolved", Audience.CUSTOMER, "resolved"),
    Rule("rerouted", Audience.HANDLER, "new_ticket"),
    Rule("handed_back", Audience.HANDLER, "new_ticket"),
    Rule("escalated", Audience.OPERATOR, "escalated"),
    Rule("emergency_raised", Audience.OPERATOR, "emergency"),
    Rule("emergency_downgraded", Audience.CUSTOMER, "emergency_downgraded"),
    Rule("reminded", Audience.CUSTOMER, "reminder"),
)


#: what each notification is, for the operator's list of notifications that did not go out
LABELS = {
    "ticket_received": lazy_gettext("Confirmation to the customer"),
    "new_ticket": lazy_gettext("New ticket for its handler"),
    "new_reply": lazy_gettext("Reply to the customer"),
    "customer_replied": lazy_gettext("The customer's answer"),
    "internal_note": lazy_gettext("Internal note to watchers"),
    "waiting_for_you": lazy_gettext("“Waiting for you” to the customer"),
    "resolved": lazy_gettext("“Resolved” to the customer"),
    "escalated": lazy_gettext("Escalation to the marketplace"),
    "emergency": lazy_gettext("Emergency to the marketplace"),
    "emergency_downgraded": lazy_gettext("“Not an emergency” to the customer"),
    "reminder": lazy_gettext("Reminder to the customer"),
}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    locale: str
    #: where their link goes
    area: Role


@dataclass(frozen=True)
class Trigger:
    name: str
    event_key: str
    payload: dict[str, Any]


def for_change(
    ticket: Ticket, rows: Sequence[Message | Event], actor: Actor | None
) -> list[OutboxMessage]:
    """The outbox rows for what a use-case just wrote (flushed, so the rows have ids)."""
    return _outbox(ticket, list(_triggers(ticket, rows)), actor)


def for_opened(ticket: Ticket, actor: Actor) -> list[OutboxMessage]:
    """The outbox rows for a new ticket: the customer's confirmation, the handler's news."""
    trigger = Trigger("opened", f"ticket:{ticket.id}:opened", _message_payload(ticket.issue_about))
    return _outbox(ticket, [trigger], actor)


def _triggers(ticket: Ticket, rows: Sequence[Message | Event]) -> Iterable[Trigger]:
    for row in rows:
        if isinstance(row, Message):
            key = f"message:{row.id}"
            payload = _message_payload(row.body, author=row.author_name)
            if row.internal:
                yield Trigger("internal_note", key, payload)
            elif row.author_role is Role.CUSTOMER:
                yield Trigger("customer_replied", key, payload)
            else:
                yield Trigger("staff_replied", key, payload)
        elif not row.internal:
            key = f"event:{row.id}"
            payload = {"actor": row.actor_name, "reason": row.detail}
            if row.kind is EventKind.STATUS_CHANGED and row.to_value in (
                Status.WAITING_FOR_CUSTOMER,
                Status.RESOLVED,
            ):
                yield Trigger(str(row.to_value), key, payload)
            elif row.kind in (
                EventKind.REROUTED,
                EventKind.HANDED_BACK,
                EventKind.ESCALATED,
                EventKind.EMERGENCY_RAISED,
                EventKind.EMERGENCY_DOWNGRADED,
                EventKind.REMINDED,
            ):
                if row.kind is EventKind.ESCALATED:
                    payload["reason"] = ticket.escalation_reason
                yield Trigger(row.kind.value, key, payload)


def _message_payload(body: str, author: str | None = None) -> dict[str, Any]:
    return {"body": body, "author": author}


def _outbox(ticket: Ticket, triggers: list[Trigger], actor: Actor | None) -> list[OutboxMessage]:
    rows: list[OutboxMessage] = []
    if not triggers:
        return rows
    watchers = list(support.session.scalars(select(Watcher).where(Watcher.ticket_id == ticket.id)))
    site = _site_url(ticket.tenant_id)
    actor_email = (actor.email or "").strip().lower() if actor else ""
    for trigger in triggers:
        seen: set[str] = set()
        for rule in RULES:
            if rule.trigger != trigger.name:
                continue
            for recipient in _recipients(ticket, rule.audience, watchers):
                email = recipient.email.strip().lower()
                if not email or email in seen or (not rule.to_actor and email == actor_email):
                    continue
                seen.add(email)
                rows.append(
                    OutboxMessage(
                        tenant_id=ticket.tenant_id,
                        ticket_id=ticket.id,
                        event_key=trigger.event_key,
                        notification=rule.notification,
                        recipient=recipient.email.strip(),
                        recipient_name=recipient.name,
                        locale=recipient.locale,
                        payload={
                            **_ticket_payload(ticket, site, recipient.area),
                            **trigger.payload,
                        },
                    )
                )
    return rows


def _recipients(ticket: Ticket, audience: Audience, watchers: list[Watcher]) -> list[Recipient]:
    default_locale = str(current_app.config.get("BABEL_DEFAULT_LOCALE", "en"))
    host = support.host
    found: list[Recipient] = []
    if audience is Audience.CUSTOMER:
        if ticket.requester_email:
            found.append(
                Recipient(
                    ticket.requester_email,
                    ticket.requester_name,
                    ticket.requester_locale or default_locale,
                    Role.CUSTOMER,
                )
            )
        found += [
            Recipient(w.email, w.name, w.locale or default_locale, Role.CUSTOMER)
            for w in watchers
            if w.email and w.role is Role.CUSTOMER
        ]
    if audience in (Audience.HANDLER, Audience.OPERATOR):
        if (
            audience is Audience.HANDLER
            and ticket.handler is Handler.PROVIDER
            and ticket.provider_id
        ):
            provider = host.provider(ticket.tenant_id, ticket.provider_id)
            if provider is not None:
                found += [
                    Recipient(
                        email, provider.name, provider.locale or default_locale, Role.PROVIDER
                    )
                    for email in provider.notification_emails
                ]
        else:
            contact = host.operator_contact(ticket.tenant_id)
            found += [
                Recipient(email, None, contact.locale or default_locale, Role.OPERATOR)
                for email in contact.emails
            ]
    if audience in (Audience.HANDLER, Audience.STAFF_WATCHERS):
        found += [
            Recipient(w.email, w.name, w.locale or default_locale, w.role)
            for w in watchers
            if w.email and w.role in (Role.PROVIDER, Role.OPERATOR)
        ]
    return found


def _site_url(tenant_id: str) -> str | None:
    url = support.host.site_url(tenant_id)
    if url is None and has_request_context():
        url = request.url_root
    return url.rstrip("/") if url else None


_TICKET_ENDPOINTS = {
    Role.CUSTOMER: "marketplace_support.customer.ticket",
    Role.PROVIDER: "marketplace_support.provider.ticket",
    Role.OPERATOR: "marketplace_support.operator.ticket",
}


def _ticket_payload(ticket: Ticket, site: str | None, area: Role) -> dict[str, Any]:
    # a path built from the URL map itself: no request is needed (workers, commands)
    adapter = current_app.url_map.bind("", script_name="/")
    path = adapter.build(_TICKET_ENDPOINTS[area], {"number": ticket.number})
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "service": ticket.order_label,
        # None: the marketplace's own team, named in the recipient's language when sent
        "handler_name": ticket.provider_name if ticket.handler is Handler.PROVIDER else None,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "requester": ticket.requester_name,
        "link": f"{site}{path}" if site else None,
    }
