"""The one place that decides which tickets, messages and events an actor may see.

Every ticket query of the module starts here, scoped to the tenant and to what the actor may
see in the area they use:

- customers see the tickets they opened, and those shared with their organisation or with them
  by name;
- provider staff see the tickets routed to their providers (also while the marketplace has
  taken one over);
- operator staff see every ticket of their tenant.

A ticket outside that scope is "not found", exactly like a ticket that does not exist.
Internal notes and internal events are never part of what a customer sees.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.exceptions import NotFound

from .host import Actor
from .models import (
    INTEGER_MAX,
    Attachment,
    Delivery,
    Event,
    EventKind,
    InboundMail,
    Message,
    OutboxMessage,
    Share,
    Ticket,
    WebhookEndpoint,
)
from .workflow import Role

T = TypeVar("T")


class TicketNotFound(NotFound):
    """No ticket with this number that the actor may see (it may exist for someone else).

    It is werkzeug's 404: the pages answer it with the module's page "There is no such
    ticket, or it is not yours to see" (``blueprints.area.ticket_not_found``), the API with
    its not-found problem, the same whether the ticket exists or not.
    """


def tickets(tenant_id: str, actor: Actor | None, role: Role) -> Select[Ticket]:
    """The tickets ``actor`` sees when acting as ``role`` in ``tenant_id``."""
    return select(Ticket).where(visible(tenant_id, actor, role))


def visible(tenant_id: str, actor: Actor | None, role: Role) -> ColumnElement[bool]:
    """The condition a ticket meets when ``actor`` sees it as ``role`` in ``tenant_id``, for
    queries that are not a list of tickets (the scorecard's aggregates). The module itself
    (``Role.SYSTEM``, no actor: the sweep) works on every ticket of the tenant; that role
    is never given to a request."""
    in_tenant = Ticket.tenant_id == tenant_id
    if actor is None:
        return in_tenant if role is Role.SYSTEM else false()
    if role is Role.CUSTOMER and actor.is_customer:
        return and_(
            in_tenant,
            or_(Ticket.requester_user_id == actor.user_id, _shared_with(tenant_id, actor)),
        )
    if role is Role.PROVIDER and actor.provider_ids:
        return and_(in_tenant, Ticket.provider_id.in_(sorted(actor.provider_ids)))
    if role is Role.OPERATOR and actor.is_operator:
        return in_tenant
    return false()


def own_tickets(tenant_id: str, actor: Actor) -> Select[Ticket]:
    """The tickets a customer opened (their My Page → Support lists)."""
    return select(Ticket).where(
        Ticket.tenant_id == tenant_id, Ticket.requester_user_id == actor.user_id
    )


def shared_tickets(tenant_id: str, actor: Actor) -> Select[Ticket]:
    """The tickets others shared with a customer (their organisation, or them by name).

    The tenant is in the ids' subqueries; the outer query looks the tickets up by id, so
    the planner has no reason to walk the tenant's tickets instead.
    """
    return select(Ticket).where(
        _shared_with(tenant_id, actor),
        Ticket.requester_user_id != actor.user_id,
    )


def _shared_with(tenant_id: str, actor: Actor) -> ColumnElement[bool]:
    """Shared with the actor by name, while they are still of the ticket's organisation (a
    ticket is shared with colleagues: one who moved to another organisation no longer sees
    it), or with their organisation. The ids come from an index each (the actor's shares;
    the organisation's shared tickets), so neither a page nor a count reads all of the
    tenant's tickets."""
    if actor.organisation_id is None:
        return false()
    ids = (
        select(Share.ticket_id)
        .join(Ticket, Ticket.id == Share.ticket_id)
        .where(
            Share.tenant_id == tenant_id,
            Share.user_id == actor.user_id,
            Ticket.organisation_id == actor.organisation_id,
        )
    )
    # not their own: an organisation that shares everything would otherwise hand the outer
    # query every ticket the customer opened, to be looked up and left out one by one. The
    # index ends with the requester, so the others' entries are the two ranges around the
    # customer's own: read as two ranges, the index skips the customer's entries (with "!="
    # it reads each of them and leaves it out: 0.15 ms of SQLite's time for a customer with
    # 2,000 tickets, 0.01 ms as ranges)
    organisation_shared = select(Ticket.id).where(
        Ticket.tenant_id == tenant_id,
        Ticket.organisation_id == actor.organisation_id,
        Ticket.shared_with_organisation.is_(True),
    )
    return Ticket.id.in_(
        union_all(
            ids,
            organisation_shared.where(Ticket.requester_user_id < actor.user_id),
            organisation_shared.where(Ticket.requester_user_id > actor.user_id),
        )
    )


def may_use(actor: Actor, role: Role) -> bool:
    """Whether ``actor`` has the area of ``role`` at all."""
    return {
        Role.CUSTOMER: actor.is_customer,
        Role.PROVIDER: bool(actor.provider_ids),
        Role.OPERATOR: actor.is_operator,
    }.get(role, False)


def moved_away(tenant_id: str, actor: Actor, number: int) -> Select[Event]:
    """The re-routings of ticket ``number`` that took it away from a provider of ``actor``,
    newest first: what its staff may be told of a ticket they no longer see (where it went,
    and when; nothing of what happened since)."""
    return (
        select(Event)
        .join(Ticket, Ticket.id == Event.ticket_id)
        .where(
            Ticket.tenant_id == tenant_id,
            Ticket.number == number,
            Event.kind == EventKind.REROUTED,
            Event.from_provider_id.in_(sorted(actor.provider_ids)),
        )
        .order_by(Event.id.desc())
    )


#: The ticket whose conversation, history or files a statement reads: its parameter
#: "ticket_id" (:func:`of_ticket`), so each statement is made once per role, not at every
#: request (making one, and SQLAlchemy's key for it, costs more than running it).
TICKET = bindparam("ticket_id", type_=Integer)
#: the newest message and event a read of a ticket's latest entries may hold (their ids; see
#: :func:`latest_messages`, :func:`latest_events` and :func:`up_to`)
MESSAGES_UP_TO = bindparam("messages_up_to", type_=Integer)
EVENTS_UP_TO = bindparam("events_up_to", type_=Integer)


def of_ticket(ticket: Ticket) -> dict[str, Any]:
    """The parameters of :func:`attachments` and :func:`who_sees`."""
    return {"ticket_id": ticket.id}


def up_to(ticket: Ticket, messages: int = INTEGER_MAX, events: int = INTEGER_MAX) -> dict[str, Any]:
    """The parameters of :func:`latest_messages` and :func:`latest_events`: the latest entries
    of ``ticket`` up to the message and the event with these ids (an earlier part of the
    conversation; by default its very latest entries)."""
    return {"ticket_id": ticket.id, "messages_up_to": messages, "events_up_to": events}


def files_between(ticket: Ticket, first: int, last: int) -> dict[str, Any]:
    """The parameters of :func:`files_of_messages`: the files of the messages from id
    ``first`` to ``last``."""
    return {"ticket_id": ticket.id, "files_from": first, "messages_up_to": last}


@lru_cache(maxsize=128)
def who_sees(tenant_id: str, people: tuple[tuple[Actor, Role], ...]) -> Select[int]:
    """The positions in ``people`` of those who see a ticket of ``tenant_id`` as their role,
    now (in the transaction of a change, after it was flushed; run it with
    :func:`of_ticket`): one statement with :func:`visible`'s condition for each, so e-mails
    and watchers follow exactly the rules pages follow.

    Kept for the same tenant and people (128 of them, about 50 KB each for six people,
    measured with tracemalloc): the people told of a provider's or a customer's tickets come
    back change after change, and making the statement costs more than running it.
    Everything in it comes from its arguments; the ticket is the parameter :data:`TICKET`."""
    checks = [
        select(literal(position, Integer).label("position")).where(
            Ticket.id == TICKET, visible(tenant_id, actor, role)
        )
        for position, (actor, role) in enumerate(people)
    ]
    if len(checks) == 1:
        return checks[0]
    return select(column("position")).select_from(union_all(*checks).subquery())


def reads_internal(role: Role) -> bool:
    """Whether ``role`` may read internal notes and internal events (staff; never customers)."""
    return role in (Role.PROVIDER, Role.OPERATOR)


def messages_readable_by(query: Select[T], role: Role) -> Select[T]:
    """``query`` (of messages) kept to those ``role`` may read: no internal note for a
    customer. Pages, e-mails and the search ask this one rule."""
    return query if reads_internal(role) else query.where(Message.internal.is_(False))


def files_readable_by(query: Select[T], role: Role) -> Select[T]:
    """``query`` (of attachments) kept to those ``role`` may see: a customer never the files
    of internal notes."""
    if reads_internal(role):
        return query
    return query.outerjoin(Message, Attachment.message_id == Message.id).where(
        or_(Attachment.message_id.is_(None), Message.internal.is_(False))
    )


def _read_fields(model: type[Message] | type[Event]) -> list[InstrumentedAttribute[Any]]:
    """The fields of ``model`` a page or the API reads (not SQLAlchemy's own columns, as the
    events' insert sentinel)."""
    return [
        getattr(model, field.key)
        for field in model.__mapper__.column_attrs
        if not field.key.startswith("_")
    ]


def _shown_events(role: Role) -> list[ColumnElement[bool]]:
    """The events of a ticket ``role`` sees in its history: no internal event for a customer,
    and not the opening (the description stands for it)."""
    shown = [Event.ticket_id == TICKET, Event.kind != EventKind.OPENED]
    return shown if reads_internal(role) else [*shown, Event.internal.is_(False)]


@cache
def latest_messages(role: Role, count: int) -> Select[Any]:
    """The latest ``count`` messages of a ticket as ``role`` sees them, newest first (run it
    with :func:`up_to`: those up to a message), each with ``total``: how many the whole
    ticket has for ``role``. A ticket's page shows the latest entries of a long
    conversation, and no request reads all of one: their rows, not every row of it, are
    read (the database counts the rest)."""
    readable = messages_readable_by(select(Message.id).where(Message.ticket_id == TICKET), role)
    total = select(func.count()).select_from(readable.subquery()).scalar_subquery()
    query = select(*_read_fields(Message), total.label("total")).where(
        Message.ticket_id == TICKET, Message.id <= MESSAGES_UP_TO
    )
    return messages_readable_by(query, role).order_by(Message.id.desc()).limit(count)


@cache
def latest_events(
    role: Role, count: int, told_inline: frozenset[EventKind] | None
) -> Select[Any] | CompoundSelect[Any]:
    """The latest ``count`` events of a ticket as ``role`` sees them (:func:`_shown_events`), in no
    order (run it with :func:`up_to`: those up to an event), each with ``total``: how many
    the whole ticket has. With ``told_inline`` (the kinds a customer's conversation tells;
    the others fold into its History), the latest ``count`` of each part, each with its
    part's total."""
    seen = _shown_events(role)
    parts = [seen]
    if told_inline is not None:
        inline = Event.kind.in_(sorted(told_inline))
        parts = [[*seen, inline], [*seen, ~inline]]
    latest = []
    for where in parts:
        total = select(func.count()).select_from(Event).where(*where).scalar_subquery()
        part = select(*_read_fields(Event), total.label("total")).where(
            *where, Event.id <= EVENTS_UP_TO
        )
        latest.append(select(part.order_by(Event.id.desc()).limit(count).subquery()))
    return latest[0] if len(latest) == 1 else union_all(*latest)


@cache
def attachments(role: Role) -> Select[Attachment]:
    """The files of a ticket ``role`` may see: a customer never the files of internal notes
    (run it with :func:`of_ticket`)."""
    query = select(Attachment).where(Attachment.ticket_id == TICKET)
    return files_readable_by(query, role).order_by(Attachment.id)


@cache
def files_of_messages(role: Role) -> Select[Attachment]:
    """The files ``role`` may see of the description and of a range of the ticket's messages
    (run it with :func:`files_between`): those of the entries a request shows, not of the
    whole conversation."""
    shown = or_(
        Attachment.message_id.is_(None),
        Attachment.message_id.between(bindparam("files_from", type_=Integer), MESSAGES_UP_TO),
    )
    return attachments(role).where(shown)


def troubled_notifications(tenant_id: str, actor: Actor, role: Role) -> Select[OutboxMessage]:
    """The notifications of a tenant that failed or wait for another try (operator staff
    acting as the operator only), newest first."""
    if role is not Role.OPERATOR or not actor.is_operator:
        return select(OutboxMessage).where(false())
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.endpoint_id.is_(None),  # webhooks have their log per endpoint
            or_(
                OutboxMessage.status == Delivery.FAILED,
                and_(OutboxMessage.status == Delivery.PENDING, OutboxMessage.attempts > 0),
            ),
        )
        .order_by(OutboxMessage.id.desc())
    )


def webhook_endpoints(tenant_id: str, actor: Actor, role: Role) -> Select[WebhookEndpoint]:
    """The webhook endpoints ``actor`` sees and manages as ``role``, oldest first: provider
    staff those of their providers; operator staff every endpoint of the tenant (theirs and
    every provider's, with its delivery health)."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id)
    if role is Role.OPERATOR and actor.is_operator:
        return query.order_by(WebhookEndpoint.id)
    if role is Role.PROVIDER and actor.provider_ids:
        return query.where(
            WebhookEndpoint.role == Role.PROVIDER,
            WebhookEndpoint.provider_id.in_(sorted(actor.provider_ids)),
        ).order_by(WebhookEndpoint.id)
    return query.where(false())


def endpoint_party(endpoint: WebhookEndpoint) -> tuple[Actor, Role]:
    """Who an endpoint stands for to the access rules: its provider's staff, or the
    operator's; what it hears of a ticket is what they see."""
    if endpoint.role is Role.OPERATOR:
        return Actor(user_id="operator", name="operator", is_operator=True), Role.OPERATOR
    party = frozenset({endpoint.provider_id or ""})
    return Actor(user_id=f"provider:{endpoint.provider_id}", name="", provider_ids=party), (
        Role.PROVIDER
    )


def endpoint_sees(ticket_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """The condition a webhook endpoint (a row of ``support_webhook_endpoint`` in the query)
    meets when its party (:func:`endpoint_party`) sees ticket ``ticket_id`` now: :func:`visible`
    of that party, written on the endpoint's columns, so the endpoints that hear of a change
    are chosen in the statement that writes their rows. Operator endpoints see every ticket
    of their tenant; a provider's those routed to its provider."""
    return exists().where(
        Ticket.id == ticket_id,
        Ticket.tenant_id == WebhookEndpoint.tenant_id,
        or_(
            WebhookEndpoint.role == Role.OPERATOR,
            and_(
                WebhookEndpoint.role == Role.PROVIDER,
                Ticket.provider_id == WebhookEndpoint.provider_id,
            ),
        ),
    )


def quarantined_mail(tenant_id: str, actor: Actor) -> Select[InboundMail]:
    """The mail that did not get onto a ticket of a tenant (operators only), newest first.
    Mail whose tenant is unknown (a forged address) belongs to no tenant's list."""
    if not actor.is_operator:
        return select(InboundMail).where(false())
    return (
        select(InboundMail)
        .where(InboundMail.tenant_id == tenant_id)
        .order_by(InboundMail.id.desc())
    )
