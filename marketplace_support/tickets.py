"""The ticket use-cases. Each one is one transaction: the ticket, its messages and its events
are written together or not at all.

Functions take the tenant and the acting person explicitly and read everything else from the
host through the extension's state. They raise :class:`InvalidInput` (errors per field, in the
user's language), :class:`~.access.TicketNotFound` and :class:`~.workflow.NotAllowed`; nothing is
written when they raise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from flask import current_app
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import access, pagination, workflow
from .clock import now
from .extension import support
from .host import Actor, Category, Order
from .i18n import lazy_gettext
from .models import Event, EventKind, Message, Ticket
from .numbering import next_number
from .routing import route_new_ticket
from .schemas import NO_ORDER, MessageSchema, OpenTicketSchema
from .workflow import Action, Role, Status

T = TypeVar("T")
P = ParamSpec("P")


class InvalidInput(Exception):
    """The input was refused; ``errors`` maps each field to its messages."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(dict(errors))
        self.errors = {key: _as_list(value) for key, value in errors.items()}


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [str(v) for messages in value.values() for v in _as_list(messages)]
    return [str(value)]


def _load(schema: Schema, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Valid data and errors, so that checks that need the host can add their own errors."""
    try:
        return dict(schema.load(form)), {}
    except ValidationError as error:
        errors = error.messages if isinstance(error.messages, dict) else {"_form": error.messages}
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
        return valid, dict(errors)


def _use_case(function: Callable[P, T]) -> Callable[P, T]:
    """Roll back whatever the use-case did when it raises, so nothing is half-written and
    no row lock outlives the request."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        except BaseException:
            support.session.rollback()
            raise

    return wrapper


def _store_once(write: Callable[[], None], find_existing: Callable[[], T | None]) -> T | None:
    """Write and commit; when a unique key says this submission was stored already (a second
    request of the same form, maybe at the same moment), roll back and return that row."""
    session = support.session
    try:
        write()
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = find_existing()
        if existing is None:
            raise
        return existing
    return None


# -- opening ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    #: False when the same form had already been submitted (double click, browser resend)
    created: bool


@_use_case
def open_ticket(tenant_id: str, actor: Actor, form: Mapping[str, Any]) -> Opened:
    """Open a ticket from My Page → Support, routed to the order's provider or the operator.

    The order is checked with the host: it must be the customer's own, active, and in this
    tenant. A second submission of the same form (same ``submission_key``) returns the
    ticket the first one created.

    Raises:
        InvalidInput: errors per field; nothing was written.
    """
    key = form.get("submission_key")
    if isinstance(key, str) and key:
        existing = _ticket_by_submission(tenant_id, actor, key)
        if existing is not None:
            return Opened(existing, created=False)

    flags = support.flags(tenant_id)
    categories = support.categories(tenant_id)
    data, errors = _load(OpenTicketSchema(category_keys=[c.key for c in categories]), form)

    order: Order | None = None
    if "order" in data:
        order, order_error = _checked_order(
            tenant_id, actor, data["order"], flags.ticket_without_order
        )
        if order_error:
            errors["order"] = [order_error]
    follow_up_of = data.get("follow_up_of")
    if (
        follow_up_of is not None
        and _customer_ticket_or_none(tenant_id, actor, follow_up_of) is None
    ):
        errors["follow_up_of"] = [lazy_gettext("The earlier ticket could not be found.")]
    if errors:
        raise InvalidInput(errors)

    category = next((c for c in categories if c.key == data["category"]), None)
    route = route_new_ticket(order, category)
    session = support.session
    moment = now()
    ticket = Ticket(
        tenant_id=tenant_id,
        number=next_number(session, tenant_id),
        subject=data["subject"],
        issue_about=data["issue_about"],
        expected_outcome=data["expected_outcome"],
        current_scenario=data["current_scenario"],
        status=Status.OPEN,
        priority=data["priority"],
        category_key=category.key if category else None,
        category_label=str(category.label) if category else None,
        order_id=order.id if order else None,
        order_label=order.label if order else None,
        service_plan=order.service_plan if order else None,
        handler=route.handler,
        routing_reason=route.reason,
        provider_id=route.provider_id,
        provider_name=route.provider_name,
        requester_user_id=actor.user_id,
        requester_name=actor.name,
        requester_email=actor.email,
        customer_id=actor.customer_id,
        organisation_id=actor.organisation_id,
        submission_key=data["submission_key"],
        follow_up_of_number=follow_up_of,
        created_at=moment,
        updated_at=moment,
    )

    def write() -> None:
        session.add(ticket)
        session.flush()  # the events need the ticket's id
        session.add_all(
            [
                _event(ticket, actor, Role.CUSTOMER, EventKind.OPENED, moment),
                _event(
                    ticket,
                    None,
                    Role.SYSTEM,
                    EventKind.ROUTED,
                    moment,
                    to_value=route.handler.value,
                    to_name=route.provider_name,
                    detail=route.reason.value,
                ),
            ]
        )

    key = data["submission_key"]
    earlier = _store_once(write, lambda: _ticket_by_submission(tenant_id, actor, key))
    if earlier is not None:
        return Opened(earlier, created=False)
    return Opened(ticket, created=True)


def _checked_order(
    tenant_id: str, actor: Actor, value: str, without_order_allowed: bool
) -> tuple[Order | None, str | None]:
    if value == NO_ORDER:
        if without_order_allowed:
            return None, None
        return None, lazy_gettext(
            "On this marketplace every ticket is about one of your services. Choose a service."
        )
    order = support.host.order(tenant_id, actor, value)
    if order is None:
        return None, lazy_gettext("Choose one of your active services.")
    if not order.active:
        return None, lazy_gettext(
            "This service has ended. Choose one of your active services instead."
        )
    return order, None


def _ticket_by_submission(tenant_id: str, actor: Actor, key: str) -> Ticket | None:
    query = access.customer_tickets(tenant_id, actor).where(Ticket.submission_key == key)
    return support.session.scalars(query).one_or_none()


@dataclass(frozen=True)
class NewTicketForm:
    """What the form offers: the customer's active orders, problem areas, the hint text."""

    orders: list[Order]
    categories: tuple[Category, ...]
    without_order_allowed: bool
    follow_up_of: Ticket | None


def new_ticket_form(tenant_id: str, actor: Actor, follow_up_of: int | None) -> NewTicketForm:
    """The choices for a new ticket; ``follow_up_of`` names an earlier ticket of the customer.

    Raises:
        TicketNotFound: the earlier ticket is not one the customer may see.
    """
    earlier = None
    if follow_up_of is not None:
        earlier = customer_ticket(tenant_id, actor, follow_up_of)
    return NewTicketForm(
        orders=list(support.host.active_orders(tenant_id, actor)),
        categories=support.categories(tenant_id),
        without_order_allowed=support.flags(tenant_id).ticket_without_order,
        follow_up_of=earlier,
    )


# -- reading ----------------------------------------------------------------------------------


def customer_ticket(
    tenant_id: str, actor: Actor, number: int, *, for_update: bool = False
) -> Ticket:
    """Raises: TicketNotFound, also for a ticket the customer may not see."""
    ticket = _customer_ticket_or_none(tenant_id, actor, number, for_update=for_update)
    if ticket is None:
        raise access.TicketNotFound()
    return ticket


def _customer_ticket_or_none(
    tenant_id: str, actor: Actor, number: int, *, for_update: bool = False
) -> Ticket | None:
    query = access.customer_tickets(tenant_id, actor).where(Ticket.number == number)
    if for_update:
        query = query.with_for_update()
    return support.session.scalars(query).one_or_none()


@dataclass(frozen=True)
class TicketList:
    page: pagination.Page[Ticket]
    active_count: int
    done_count: int


def customer_ticket_list(
    tenant_id: str, actor: Actor, *, active: bool, cursor: str | None
) -> TicketList:
    """One page of the customer's open (or resolved and closed) tickets, latest activity first.

    Raises:
        InvalidCursor: ``cursor`` is not a page link we made.
    """
    scope = access.customer_tickets(tenant_id, actor)
    statuses = workflow.ACTIVE_STATUSES if active else workflow.DONE_STATUSES
    session = support.session
    page = pagination.newest_first(
        session,
        scope.where(Ticket.status.in_(statuses)),
        Ticket.updated_at,
        Ticket.id,
        size=int(current_app.config["SUPPORT_PAGE_SIZE"]),
        cursor=cursor,
    )
    counts: dict[Status, int] = {
        status: count
        for status, count in session.execute(
            scope.with_only_columns(Ticket.status, func.count()).group_by(Ticket.status)
        )
    }
    return TicketList(
        page=page,
        active_count=sum(n for s, n in counts.items() if s in workflow.ACTIVE_STATUSES),
        done_count=sum(n for s, n in counts.items() if s in workflow.DONE_STATUSES),
    )


@dataclass(frozen=True)
class Entry:
    """One item of a ticket's timeline: a message or an event."""

    at: datetime
    message: Message | None = None
    event: Event | None = None


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    timeline: list[Entry]
    actions: list[Action]
    may_write: bool
    may_reopen_later: bool


def customer_ticket_view(tenant_id: str, actor: Actor, number: int) -> TicketView:
    """A ticket with its conversation and history, and what the customer may do now.

    Raises:
        TicketNotFound: also for a ticket the customer may not see.
    """
    ticket = customer_ticket(tenant_id, actor, number)
    session = support.session
    messages = session.scalars(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
    ).all()
    events = session.scalars(
        select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id)
    ).all()
    timeline = sorted(
        [Entry(m.created_at, message=m) for m in messages]
        + [Entry(e.created_at, event=e) for e in events if e.kind is not EventKind.OPENED],
        key=lambda entry: entry.at,
    )
    flags = support.flags(tenant_id)
    moment = now()
    actions = workflow.allowed_actions(
        ticket.status, Role.CUSTOMER, flags, ticket.resolved_at, moment
    )
    return TicketView(
        ticket=ticket,
        timeline=timeline,
        actions=actions,
        may_write=ticket.status in workflow.CUSTOMER_MAY_WRITE,
        may_reopen_later=not ticket.status.is_active and Action.REOPEN not in actions,
    )


# -- changing ---------------------------------------------------------------------------------


@_use_case
def add_customer_message(
    tenant_id: str, actor: Actor, number: int, form: Mapping[str, Any]
) -> Message:
    """Add information to a ticket that is not resolved or closed.

    A ticket that waited for the customer goes back to its handler. A second submission of
    the same form adds nothing and returns the first message.

    Raises:
        TicketNotFound, InvalidInput, NotAllowed (the ticket is resolved or closed).
    """
    ticket = customer_ticket(tenant_id, actor, number, for_update=True)
    data, errors = _load(MessageSchema(), form)
    if "submission_key" in data:
        earlier = _message_by_submission(ticket, data["submission_key"])
        if earlier is not None:
            return earlier
    if errors:
        raise InvalidInput(errors)
    if ticket.status not in workflow.CUSTOMER_MAY_WRITE:
        raise workflow.NotAllowed(
            lazy_gettext("This ticket is resolved or closed. Reopen it to add information.")
        )
    moment = now()
    message = Message(
        tenant_id=tenant_id,
        ticket_id=ticket.id,
        author_user_id=actor.user_id,
        author_name=actor.name,
        author_role=Role.CUSTOMER,
        body=data["body"],
        submission_key=data["submission_key"],
        created_at=moment,
    )

    def write() -> None:
        support.session.add(message)
        moved_to = workflow.CUSTOMER_MESSAGE_MOVES.get(ticket.status)
        if moved_to is not None:
            _set_status(ticket, moved_to, actor, Role.CUSTOMER, moment, detail="customer_replied")
        ticket.updated_at = moment
        support.session.flush()

    earlier = _store_once(write, lambda: _message_by_submission(ticket, data["submission_key"]))
    return earlier if earlier is not None else message


def _message_by_submission(ticket: Ticket, key: str) -> Message | None:
    query = select(Message).where(Message.ticket_id == ticket.id, Message.submission_key == key)
    return support.session.scalars(query).one_or_none()


@_use_case
def customer_transition(tenant_id: str, actor: Actor, number: int, action_value: str) -> Ticket:
    """Resolve or reopen a ticket as its customer, where the workflow and the tenant allow.

    Raises:
        TicketNotFound, NotAllowed (with the reason for the user).
    """
    ticket = customer_ticket(tenant_id, actor, number, for_update=True)
    try:
        action = Action(action_value)
    except ValueError:
        raise workflow.NotAllowed(
            lazy_gettext("This action is not available on this ticket.")
        ) from None
    return transition(ticket, actor, Role.CUSTOMER, action)


@_use_case
def transition(ticket: Ticket, actor: Actor, role: Role, action: Action) -> Ticket:
    """Fire ``action`` on ``ticket`` as ``role``, if the workflow table and tenant allow it.

    Raises:
        NotAllowed: with the reason for the user; nothing was written.
    """
    moment = now()
    flags = support.flags(ticket.tenant_id)
    target = workflow.check(action, ticket.status, role, flags, ticket.resolved_at, moment)
    _set_status(ticket, target, actor, role, moment, detail=action.value)
    ticket.updated_at = moment
    support.session.commit()
    return ticket


def _set_status(
    ticket: Ticket, target: Status, actor: Actor, role: Role, moment: datetime, detail: str
) -> None:
    support.session.add(
        _event(
            ticket,
            actor,
            role,
            EventKind.STATUS_CHANGED,
            moment,
            from_value=ticket.status.value,
            to_value=target.value,
            detail=detail,
        )
    )
    ticket.status = target
    if target is Status.RESOLVED:
        ticket.resolved_at = moment
    elif target is Status.CLOSED:
        ticket.closed_at = moment
    elif target.is_active:
        ticket.resolved_at = None
        ticket.closed_at = None


def _event(
    ticket: Ticket,
    actor: Actor | None,
    role: Role,
    kind: EventKind,
    moment: datetime,
    *,
    from_value: str | None = None,
    to_value: str | None = None,
    to_name: str | None = None,
    detail: str | None = None,
) -> Event:
    return Event(
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        kind=kind,
        actor_user_id=actor.user_id if actor else None,
        actor_name=actor.name if actor else None,
        actor_role=role,
        from_value=from_value,
        to_value=to_value,
        to_name=to_name,
        detail=detail,
        created_at=moment,
    )
