"""Who hears of a change, and what they are told: the host through signals, people by e-mail.

One table, :data:`HEARD`: for each thing a committed row can mean (a :class:`Happening`: a
ticket opened, a reply, a status change, ...) the signal the host receives and the audiences
that are e-mailed, each with its :class:`Notification`. :func:`tell` turns the rows of one
change into both, inside the change's transaction, so a change and its notifications are
committed together or not at all.

The rules of who may be told:

- a person is e-mailed only if, at the moment of the change, they may see the ticket
  (``access.visible``, the rule every page follows) and the row (internal notes and events
  reach staff only);
- watchers who can no longer see the ticket (re-routed away, no longer shared) stop watching;
- one change sends each person one e-mail: the most specific notification it gives them, with
  the change's message in it ("your reply is needed" carries the question);
- addresses, names and languages that cannot work are settled when the row is written: a
  language is reduced to one we can render, a name to one line, and an address that is not
  one is written as failed, with the reason, for the operator to see.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from blinker import NamedSignal
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from . import access, request_types, signals
from .host import Actor
from .i18n import lazy_gettext, normalise_locale
from .models import Delivery, Event, EventKind, Message, Ticket, Watcher
from .state import support
from .workflow import ACTIVE_STATUSES, DONE_STATUSES, Handler, Role, Status


class Notification(enum.StrEnum):
    """Each e-mail the module sends: what it is (``label``, for the operator's list of
    notifications that did not go out), its ``subject``, and its templates
    (``email/<value>.txt`` and ``.html``). Later members outrank earlier ones: when one change
    gives a person several, they get the last.

    To add a notification: a member here with its wording below, its two templates, and the
    happening that sends it in :data:`HEARD`.
    """

    NEW_REPLY = "new_reply"
    CUSTOMER_REPLIED = "customer_replied"
    INTERNAL_NOTE = "internal_note"
    REMINDER = "reminder"
    WAITING_FOR_YOU = "waiting_for_you"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    EMERGENCY_DOWNGRADED = "emergency_downgraded"
    HANDLER_CHANGED = "handler_changed"
    NEW_TICKET = "new_ticket"
    TICKET_RECEIVED = "ticket_received"
    ESCALATED = "escalated"
    EMERGENCY = "emergency"
    MOVED_AWAY = "moved_away"

    @property
    def label(self) -> str:
        return _WORDING[self][0]

    @property
    def subject(self) -> str:
        """``%(number)d`` and ``%(subject)s`` come from the ticket."""
        return _WORDING[self][1]

    @property
    def rank(self) -> int:
        return list(Notification).index(self)

    def template(self, extension: str) -> str:
        return f"marketplace_support/email/{self.value}.{extension}"


_WORDING = {
    Notification.NEW_REPLY: (
        lazy_gettext("Reply to the customer"),
        lazy_gettext("New reply on your ticket #%(number)d: %(subject)s"),
    ),
    Notification.CUSTOMER_REPLIED: (
        lazy_gettext("The customer's answer"),
        lazy_gettext("The customer answered on #%(number)d: %(subject)s"),
    ),
    Notification.INTERNAL_NOTE: (
        lazy_gettext("Internal note to watchers"),
        lazy_gettext("Internal note on #%(number)d: %(subject)s"),
    ),
    Notification.REMINDER: (
        lazy_gettext("Reminder to the customer"),
        lazy_gettext("Reminder: ticket #%(number)d waits for your reply: %(subject)s"),
    ),
    Notification.WAITING_FOR_YOU: (
        lazy_gettext("“Waiting for you” to the customer"),
        lazy_gettext("Your reply is needed on ticket #%(number)d: %(subject)s"),
    ),
    Notification.RESOLVED: (
        lazy_gettext("“Resolved” to the customer"),
        lazy_gettext("Your ticket #%(number)d is resolved: %(subject)s"),
    ),
    Notification.REOPENED: (
        lazy_gettext("“Reopened” to the handler"),
        lazy_gettext("Ticket #%(number)d was reopened: %(subject)s"),
    ),
    Notification.HANDLER_CHANGED: (
        lazy_gettext("“New handler” to the customer"),
        lazy_gettext("Your ticket #%(number)d is now handled by %(handler)s: %(subject)s"),
    ),
    Notification.MOVED_AWAY: (
        lazy_gettext("“Moved away” to the previous handler"),
        lazy_gettext("Ticket #%(number)d was moved to %(handler)s: %(subject)s"),
    ),
    Notification.EMERGENCY_DOWNGRADED: (
        lazy_gettext("“Not an emergency” to the customer"),
        lazy_gettext("Not an emergency: ticket #%(number)d %(subject)s"),
    ),
    Notification.NEW_TICKET: (
        lazy_gettext("New ticket for its handler"),
        lazy_gettext("New ticket #%(number)d: %(subject)s"),
    ),
    Notification.TICKET_RECEIVED: (
        lazy_gettext("Confirmation to the customer"),
        lazy_gettext("We received your ticket #%(number)d: %(subject)s"),
    ),
    Notification.ESCALATED: (
        lazy_gettext("Escalation to the marketplace"),
        lazy_gettext("Escalated to the marketplace: #%(number)d %(subject)s"),
    ),
    Notification.EMERGENCY: (
        lazy_gettext("Emergency to the marketplace"),
        lazy_gettext("EMERGENCY on ticket #%(number)d: %(subject)s"),
    ),
}


class Audience(enum.Enum):
    #: the requester, and customers who watch the ticket
    CUSTOMER = "customer"
    #: whoever handles the ticket now (the provider's or the operator's addresses), and staff
    #: who watch it
    HANDLER = "handler"
    #: the marketplace's own team
    OPERATOR = "operator"
    #: staff who watch the ticket
    STAFF_WATCHERS = "staff_watchers"
    #: the handler a re-routing took the ticket from: told it moved, and nothing more (they
    #: no longer see it)
    PREVIOUS_HANDLER = "previous_handler"


class Happening(enum.StrEnum):
    """What a committed row means for the people around the ticket."""

    OPENED = "opened"
    ROUTED = "routed"
    CUSTOMER_REPLIED = "customer_replied"
    STAFF_REPLIED = "staff_replied"
    INTERNAL_NOTE = "internal_note"
    STATUS_CHANGED = "status_changed"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    REROUTED = "rerouted"
    TAKEN_OVER = "taken_over"
    HANDED_BACK = "handed_back"
    PRIORITY_CHANGED = "priority_changed"
    MARKED_DUPLICATE = "marked_duplicate"
    EMERGENCY_RAISED = "emergency_raised"
    EMERGENCY_CONFIRMED = "emergency_confirmed"
    EMERGENCY_DOWNGRADED = "emergency_downgraded"
    SHARED = "shared"
    UNSHARED = "unshared"
    REMINDED = "reminded"
    SERVICE_CHOSEN = "service_chosen"


def happening_of(row: Message | Event) -> Happening:
    if isinstance(row, Message):
        if row.internal:
            return Happening.INTERNAL_NOTE
        if row.author_role is Role.CUSTOMER:
            return Happening.CUSTOMER_REPLIED
        return Happening.STAFF_REPLIED
    if row.kind is EventKind.STATUS_CHANGED:
        if row.to_value in (Status.WAITING_FOR_CUSTOMER, Status.RESOLVED):
            return Happening(str(row.to_value))
        if row.from_value in DONE_STATUSES and row.to_value in ACTIVE_STATUSES:
            return Happening.REOPENED
    return Happening(row.kind.value)


@dataclass(frozen=True)
class Tell:
    audience: Audience
    notification: Notification
    #: whether the person who made the change is told too (only their own confirmation)
    to_actor: bool = False


@dataclass(frozen=True)
class Heard:
    """How one happening is heard of: the host's signal, and the e-mails."""

    signal: NamedSignal
    tells: tuple[Tell, ...] = ()


_ = Audience
HEARD: dict[Happening, Heard] = {
    Happening.OPENED: Heard(
        signals.ticket_opened,
        (
            Tell(_.CUSTOMER, Notification.TICKET_RECEIVED, to_actor=True),
            Tell(_.HANDLER, Notification.NEW_TICKET),
        ),
    ),
    Happening.ROUTED: Heard(signals.ticket_routed),
    Happening.STAFF_REPLIED: Heard(
        signals.message_posted, (Tell(_.CUSTOMER, Notification.NEW_REPLY),)
    ),
    Happening.CUSTOMER_REPLIED: Heard(
        signals.message_posted, (Tell(_.HANDLER, Notification.CUSTOMER_REPLIED),)
    ),
    Happening.INTERNAL_NOTE: Heard(
        signals.message_posted, (Tell(_.STAFF_WATCHERS, Notification.INTERNAL_NOTE),)
    ),
    Happening.STATUS_CHANGED: Heard(signals.status_changed),
    Happening.WAITING_FOR_CUSTOMER: Heard(
        signals.status_changed, (Tell(_.CUSTOMER, Notification.WAITING_FOR_YOU),)
    ),
    Happening.RESOLVED: Heard(signals.status_changed, (Tell(_.CUSTOMER, Notification.RESOLVED),)),
    Happening.REOPENED: Heard(signals.status_changed, (Tell(_.HANDLER, Notification.REOPENED),)),
    Happening.ASSIGNED: Heard(signals.ticket_assigned),
    Happening.ESCALATED: Heard(
        signals.ticket_escalated, (Tell(_.OPERATOR, Notification.ESCALATED),)
    ),
    Happening.REROUTED: Heard(
        signals.ticket_rerouted,
        (
            Tell(_.HANDLER, Notification.NEW_TICKET),
            Tell(_.CUSTOMER, Notification.HANDLER_CHANGED),
            Tell(_.PREVIOUS_HANDLER, Notification.MOVED_AWAY),
        ),
    ),
    Happening.TAKEN_OVER: Heard(signals.ticket_taken_over),
    Happening.HANDED_BACK: Heard(
        signals.ticket_handed_back, (Tell(_.HANDLER, Notification.NEW_TICKET),)
    ),
    Happening.PRIORITY_CHANGED: Heard(signals.priority_changed),
    Happening.MARKED_DUPLICATE: Heard(signals.ticket_marked_duplicate),
    Happening.EMERGENCY_RAISED: Heard(
        signals.emergency_raised, (Tell(_.OPERATOR, Notification.EMERGENCY),)
    ),
    Happening.EMERGENCY_CONFIRMED: Heard(signals.emergency_confirmed),
    Happening.EMERGENCY_DOWNGRADED: Heard(
        signals.emergency_downgraded, (Tell(_.CUSTOMER, Notification.EMERGENCY_DOWNGRADED),)
    ),
    Happening.SHARED: Heard(signals.ticket_shared),
    Happening.UNSHARED: Heard(signals.ticket_unshared),
    Happening.REMINDED: Heard(signals.ticket_reminded, (Tell(_.CUSTOMER, Notification.REMINDER),)),
    # the routing that follows (a REROUTED row by the module) tells the new handler
    Happening.SERVICE_CHOSEN: Heard(signals.service_chosen),
}
del _


@dataclass(frozen=True)
class Told:
    """What one change announces: outbox rows (in its transaction), signals (after it), and
    the watchers who lost sight of the ticket (to remove with it)."""

    #: the values of its outbox rows (``support_outbox`` columns), written in one statement
    outbox: list[dict[str, Any]]
    announcements: list[signals.Announcement]
    lost_watchers: list[Watcher]


class Via(enum.StrEnum):
    """Where a recipient's address comes from; an answer by e-mail is accepted only while it
    still comes from there (``inbound``)."""

    REQUESTER = "requester"
    WATCHER = "watcher"
    PROVIDER = "provider"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    locale: str | None
    #: the area they read the ticket in (where their link goes, whether they read notes)
    role: Role
    #: who they are to the access rules
    actor: Actor
    #: how the ticket names them (what an answer by e-mail is checked against, see ``inbound``)
    via: Via


def tell(
    ticket: Ticket, rows: Sequence[Message | Event], actor: Actor | None, *, new: bool
) -> Told:
    """The signals and the outbox rows for the ``rows`` a change wrote (flushed, so they have
    ids), and the watchers who can no longer see the ticket. ``new``: the change opened it."""
    heard = [(row, HEARD[happening_of(row)]) for row in rows]
    announcements = [
        signals.Announcement(entry.signal, signals.arguments(ticket, row, actor))
        for row, entry in heard
    ]
    watchers, watching = _watching(ticket, new)
    present = list(watching.values())
    audiences = {tell.audience for _, entry in heard for tell in entry.tells}
    members = {audience: list(_members(ticket, audience, present, rows)) for audience in audiences}
    seeing = _who_sees(ticket, [*present, *_asked_for_sight(members)])
    lost = [watcher for watcher in watchers if watching.get(watcher.id) not in seeing]
    acting = _address_key(actor.email if actor else None)
    letters = _letters(heard, members, seeing, acting)
    outbox = [
        _outbox_row(ticket, rows, letter.recipient, letter.notification, letter.row)
        for letter in letters.values()
    ]
    return Told(outbox, announcements, lost)


@dataclass(frozen=True)
class _Letter:
    recipient: Recipient
    notification: Notification
    #: the row that called for it
    row: Message | Event


def _letters(
    heard: Sequence[tuple[Message | Event, Heard]],
    members: dict[Audience, list[Recipient]],
    seeing: set[Recipient],
    acting: str,
) -> dict[str, _Letter]:
    """One letter per address: the highest-ranking notification the change gives a person it
    may tell."""
    letters: dict[str, _Letter] = {}
    for row, entry in heard:
        for told in entry.tells:
            for recipient in members[told.audience]:
                key = _address_key(recipient.email)
                if not _may_tell(told, recipient, row, seeing, acting):
                    continue
                earlier = letters.get(key)
                if earlier is None or told.notification.rank > earlier.notification.rank:
                    letters[key] = _Letter(recipient, told.notification, row)
    return letters


def _may_tell(
    told: Tell, recipient: Recipient, row: Message | Event, seeing: set[Recipient], acting: str
) -> bool:
    """Whether ``recipient`` may be told of ``row``: they have an address, they see the ticket
    (the handler it was taken from is told only that), they may read the row (internal rows:
    staff), and they did not make the change themselves (unless the table says so)."""
    key = _address_key(recipient.email)
    if not key or (key == acting and not told.to_actor):
        return False
    if told.audience in _SEEING and recipient not in seeing:
        return False
    return not row.internal or access.reads_internal(recipient.role)


def _asked_for_sight(members: dict[Audience, list[Recipient]]) -> Iterable[Recipient]:
    for audience, recipients in members.items():
        if audience in _SEEING:
            yield from recipients


def _watching(ticket: Ticket, new: bool) -> tuple[list[Watcher], dict[int, Recipient]]:
    """The ticket's watchers (none yet when it is ``new``), and those the host still knows,
    as recipients by watcher id."""
    if new:
        return [], {}
    query = select(Watcher).where(Watcher.ticket_id == ticket.id).order_by(Watcher.id)
    watchers = list(support.session.scalars(query))
    recipients = ((watcher.id, _as_recipient(ticket, watcher)) for watcher in watchers)
    return watchers, {key: recipient for key, recipient in recipients if recipient is not None}


#: the audiences told only while they see the ticket (all but the handler it was taken from)
_SEEING = frozenset(Audience) - {Audience.PREVIOUS_HANDLER}


def _members(
    ticket: Ticket,
    audience: Audience,
    watchers: Sequence[Recipient],
    rows: Sequence[Message | Event],
) -> Iterable[Recipient]:
    """Everyone ``audience`` names for ``ticket``, before the access rules are asked."""
    if audience is Audience.PREVIOUS_HANDLER:
        yield from _previous_handler(ticket, rows)
        return
    if audience is Audience.CUSTOMER:
        if ticket.requester_email:
            yield Recipient(
                ticket.requester_email,
                ticket.requester_name,
                ticket.requester_locale,
                Role.CUSTOMER,
                Actor(
                    user_id=ticket.requester_user_id,
                    name=ticket.requester_name,
                    customer_id=ticket.customer_id,
                    organisation_id=ticket.organisation_id,
                ),
                Via.REQUESTER,
            )
        yield from (w for w in watchers if w.role is Role.CUSTOMER)
        return
    if audience is Audience.HANDLER and ticket.handler is Handler.PROVIDER:
        yield from _provider_addresses(ticket.tenant_id, ticket.provider_id)
    elif audience in (Audience.HANDLER, Audience.OPERATOR):
        yield from _operator_addresses(ticket)
    if audience in (Audience.HANDLER, Audience.STAFF_WATCHERS):
        yield from (w for w in watchers if w.role is not Role.CUSTOMER)


def _previous_handler(ticket: Ticket, rows: Sequence[Message | Event]) -> Iterable[Recipient]:
    """The addresses of the handler a re-routing in ``rows`` took the ticket from."""
    for row in rows:
        if isinstance(row, Event) and row.kind is EventKind.REROUTED:
            if row.from_provider_id is not None:
                yield from _provider_addresses(ticket.tenant_id, row.from_provider_id)
            else:
                yield from _operator_addresses(ticket)


def _provider_addresses(tenant_id: str, provider_id: str | None) -> Iterable[Recipient]:
    if provider_id is None:
        return
    provider = support.provider(tenant_id, provider_id)
    if provider is None:
        return
    actor = Actor(
        user_id=f"provider:{provider.id}", name=provider.name, provider_ids=frozenset({provider.id})
    )
    for email in provider.notification_emails:
        yield Recipient(email, provider.name, provider.locale, Role.PROVIDER, actor, Via.PROVIDER)


def _operator_addresses(ticket: Ticket) -> Iterable[Recipient]:
    contact = support.operator_contact(ticket.tenant_id)
    actor = Actor(user_id="operator", name="operator", is_operator=True)
    for email in contact.emails:
        yield Recipient(email, None, contact.locale, Role.OPERATOR, actor, Via.OPERATOR)


def _as_recipient(ticket: Ticket, watcher: Watcher) -> Recipient | None:
    """A watcher as the host knows them now (the access rules then decide whether they still
    see the ticket: staff who left the provider do not, nor do their notes reach them); None
    when the host no longer knows them at all."""
    actor = support.person_now(ticket.tenant_id, watcher.user_id, watcher.actor)
    if actor is None:
        return None
    return Recipient(
        watcher.email or "", watcher.name, watcher.locale, watcher.role, actor, Via.WATCHER
    )


def _who_sees(ticket: Ticket, candidates: Iterable[Recipient]) -> set[Recipient]:
    """Those of ``candidates`` who see the ticket now, in one statement."""
    people = list(dict.fromkeys(candidates))
    if not people:
        return set()
    parties = tuple((person.actor, person.role) for person in people)
    query = access.who_sees(ticket.tenant_id, parties)
    positions = {int(p) for p in support.session.scalars(query, access.of_ticket(ticket))}
    return {person for position, person in enumerate(people) if position in positions}


def _address_key(email: str | None) -> str:
    return (email or "").strip().lower()


#: an address the module can send to: one @, a dot after it, no spaces or separators
_ADDRESS = re.compile(r'[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;"]+')


def is_address(email: str) -> bool:
    return email.isprintable() and _ADDRESS.fullmatch(email) is not None


def _outbox_row(
    ticket: Ticket,
    rows: Sequence[Message | Event],
    recipient: Recipient,
    notification: Notification,
    row: Message | Event,
) -> dict[str, Any]:
    """The values of one outbox row; every row has the same columns, so a change's rows go
    to the database in one statement. An address that is not one is written as failed."""
    email = recipient.email.strip()
    first = rows[0]
    valid = is_address(email)
    return {
        "tenant_id": ticket.tenant_id,
        "ticket_id": ticket.id,
        "event_key": f"{'message' if isinstance(first, Message) else 'event'}:{first.id}",
        "notification": notification.value,
        "recipient": email[:320],
        "recipient_name": one_line(recipient.name)[:200] if recipient.name else None,
        "locale": normalise_locale(recipient.locale),
        "payload": {
            **_payload(ticket, rows, recipient, row, notification),
            "reply_as": _reply_as(recipient, notification),
        },
        "status": Delivery.PENDING if valid else Delivery.FAILED,
        "last_error": None if valid else f"not an e-mail address: {email!r}"[:1000],
    }


def _reply_as(recipient: Recipient, notification: Notification) -> dict[str, Any] | None:
    """Who an answer to this e-mail comes from, if it may be answered (``inbound`` checks
    that they still are, when it comes): None for the handler a ticket was taken from."""
    if notification is Notification.MOVED_AWAY:
        return None
    return {
        "role": recipient.role.value,
        "via": recipient.via.value,
        "user_id": recipient.actor.user_id,
        "provider_id": next(iter(sorted(recipient.actor.provider_ids)), None)
        if recipient.via is Via.PROVIDER
        else None,
    }


def _payload(
    ticket: Ticket,
    rows: Sequence[Message | Event],
    recipient: Recipient,
    row: Message | Event,
    notification: Notification,
) -> dict[str, Any]:
    """What the e-mail says: the ticket, what happened, and the change's message that the
    recipient may read (or, for a new ticket, its description). The handler a ticket was
    taken from reads only where it went: what they saw before, and no link."""
    payload = _ticket_payload(ticket, recipient.role)
    if notification is Notification.MOVED_AWAY:
        return {**payload, "link": None, "routing": _routing(row)}
    if isinstance(row, Event):
        payload["actor"] = row.actor_name
        payload["reason"] = _reason(ticket, row)
        payload["routing"] = _routing(row)
    readable = [
        m
        for m in rows
        if isinstance(m, Message) and (not m.internal or access.reads_internal(recipient.role))
    ]
    if readable:
        payload["body"], payload["author"] = readable[0].body, readable[0].author_name
    elif isinstance(row, Event) and row.kind in (
        EventKind.OPENED,
        EventKind.REROUTED,
        EventKind.HANDED_BACK,
    ):
        payload["body"] = ticket.issue_about
        payload["answers"] = _answers(ticket, recipient.locale)
    return payload


def _answers(ticket: Ticket, locale: str | None) -> list[list[str]]:
    """The answers to the request type's questions (label, value), in the recipient's
    language where the definition has it."""
    language = normalise_locale(locale)
    with force_locale(language):
        return [[a.label, a.text] for a in request_types.shown(ticket.answers, language)]


def _routing(row: Message | Event) -> str | None:
    """Why the module itself re-routed the ticket (the customer chose the service): a
    ``routing.Reason`` value, which the e-mail words; None for anything else."""
    if isinstance(row, Event) and row.kind is EventKind.REROUTED and row.actor_role is Role.SYSTEM:
        return row.detail
    return None


def _reason(ticket: Ticket, row: Event) -> str | None:
    """The words of a person that go with an event: why it was escalated or re-routed."""
    if row.kind is EventKind.ESCALATED:
        return ticket.escalation_reason
    return None if _routing(row) is not None else row.detail


#: events that hand a ticket to someone new, whose e-mail carries what the customer wrote
_BRINGS_THE_DESCRIPTION = frozenset({EventKind.OPENED, EventKind.REROUTED, EventKind.HANDED_BACK})


def one_line(text: str) -> str:
    """A header value: no line breaks (they would end the header, or let user text add one)."""
    # only line breaks: a language's no-break spaces (French "ticket : …") stay
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


_TICKET_ENDPOINTS = {
    Role.CUSTOMER: "marketplace_support.customer.ticket",
    Role.PROVIDER: "marketplace_support.provider.ticket",
    Role.OPERATOR: "marketplace_support.operator.ticket",
}


def _ticket_payload(ticket: Ticket, area: Role) -> dict[str, Any]:
    # a path built from the URL map itself: no request is needed (workers, commands), and
    # the site comes from the host or the configuration only, never from a request's Host
    adapter = current_app.url_map.bind("", script_name="/")
    path = adapter.build(_TICKET_ENDPOINTS[area], {"number": ticket.number})
    site = support.site_url(ticket.tenant_id)
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "service": ticket.order_label,
        # None: the marketplace's own team, named in the recipient's language when sent
        "handler_name": ticket.provider_name if ticket.handler is Handler.PROVIDER else None,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "requester": ticket.requester_name,
        "link": f"{site.rstrip('/')}{path}" if site else None,
    }
