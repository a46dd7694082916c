"""Opening tickets and reading them: the lists and the ticket page of every area.

Functions take the tenant and the acting person explicitly and read everything else from the
host through the extension's state. They raise :class:`~.schemas.InvalidInput` (errors per
field, in the user's language) and :class:`~.access.TicketNotFound`; nothing is written when
they raise. What is done to an existing ticket lives in ``actions``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from operator import attrgetter
from typing import Any, cast

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Subquery,
    Table,
    and_,
    bindparam,
    exists,
    func,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, joinedload, with_expression

from . import (
    access,
    attachments,
    conversation,
    pagination,
    rate_limits,
    request_types,
    sla,
    webhooks,
    workflow,
)
from .changes import Change, commit
from .clock import now
from .conversation import FOLDED_IN_PAGE, RECENT, TOLD_INLINE, Entry, Folded
from .host import Actor, Category, Order, Person, Provider
from .i18n import lazy_gettext
from .idempotency import Receipt
from .models import (
    INTEGER_MAX,
    Attachment,
    Event,
    EventKind,
    Seen,
    Share,
    Ticket,
    TicketAnswer,
    Watcher,
    is_active,
)
from .numbering import next_number
from .routing import route_new_ticket
from .schemas import (
    NO_ORDER,
    InvalidInput,
    ListQuerySchema,
    OpenTicketSchema,
    is_submission_key,
    load,
)
from .search import matching as search_matching
from .search import ranked as search_ranked
from .search import snippets as search_snippets
from .state import support
from .transaction import use_case
from .workflow import Action, Emergency, Handler, Role, Status

_log = logging.getLogger(__name__)

#: How many statements of each kind a process keeps made (a ticket page's ticket, a
#: customer's list page, a staff list page, a form's earlier submission): made once for the
#: same arguments, they are run again as they are, and SQLAlchemy keeps each one's cache key
#: on it. Making a statement and its key cost about as much as running it; everything in a
#: kept statement comes from its arguments (the reader and the moment are parameters given
#: when it runs), so one made for one person, page or database is never another's. At most
#: about 10 MB a process (25-40 KB an entry, measured with tracemalloc).
STATEMENTS_KEPT = 128


# -- opening ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    #: False when the same form had already been submitted (double click, browser resend)
    created: bool


@use_case
def open_ticket(
    tenant_id: str,
    actor: Actor,
    form: Mapping[str, Any],
    uploads: Sequence[attachments.Upload] = (),
    *,
    by_email: bool = False,
    receipt: Receipt | None = None,
) -> Opened:
    """Open a ticket from My Page → Support, routed to the order's provider or the operator,
    with the files the customer attached. ``by_email``: from an e-mail to the tenant's
    support address (``inbound``), where no problem area can be chosen, so none is asked.

    The order is checked with the host: it must be the customer's own, active, and in this
    tenant. A second submission of the same form (same ``submission_key``) returns the
    ticket the first one created and stores nothing. An API call hands its ``receipt``: its
    key and answer are written with the ticket.

    Raises:
        InvalidInput: errors per field (files under ``attachments``); nothing was written or
            stored.
        LimitReached: the customer (or the tenant) sent too many tickets or files in a short
            time (see ``rate_limits``); nothing was written or stored.
    """
    key = form.get("submission_key")
    if is_submission_key(key):
        existing = _ticket_by_submission(tenant_id, actor, key)
        if existing is not None:
            return Opened(existing, created=False)

    flags = support.flags(tenant_id)
    asked = _checked_form(tenant_id, actor, form, uploads, ask_category=not by_email)
    rate_limits.spend(
        tenant_id,
        actor,
        {
            rate_limits.Limited.OPEN_TICKETS: 1,
            rate_limits.Limited.UPLOADS: attachments.uncounted(asked.files),
        },
    )
    moment = now()
    ticket = _new_ticket(tenant_id, actor, asked, moment)
    sla.start(ticket, moment)
    change = Change(
        ticket, actor, Role.CUSTOMER, moment, flags, files=asked.files, new=True, receipt=receipt
    )
    change.event(EventKind.OPENED)
    change.event(
        EventKind.ROUTED,
        by_system=True,
        to_value=ticket.handler.value,
        to_name=ticket.provider_name,
        detail=ticket.routing_reason.value,
    )
    key = asked.data["submission_key"]
    committed = commit(change, lambda: _ticket_by_submission(tenant_id, actor, key))
    return Opened(committed.ticket, created=committed.created)


@dataclass(frozen=True)
class _Asked:
    """A new-ticket form that passed every check: its fields, the order (checked with the
    host), the problem area and the files."""

    data: dict[str, Any]
    order: Order | None
    category: Category | None
    files: list[attachments.Checked]
    shared: bool
    #: the answers to the problem area's own questions, by key
    answers: dict[str, Any]


def _checked_form(
    tenant_id: str,
    actor: Actor,
    form: Mapping[str, Any],
    uploads: Sequence[attachments.Upload],
    *,
    ask_category: bool,
) -> _Asked:
    """Raises: InvalidInput, with every field's errors at once."""
    flags = support.flags(tenant_id)
    data, category, answers, errors = _described(tenant_id, form, ask_category=ask_category)
    order: Order | None = None
    if "order" in data:
        order, order_error = checked_order(
            tenant_id, actor, data["order"], flags.ticket_without_order
        )
        if order_error:
            errors["order"] = [order_error]
    follow_up_of = data.get("follow_up_of")
    if (
        follow_up_of is not None
        and _in_scope_or_none(tenant_id, actor, Role.CUSTOMER, follow_up_of) is None
    ):
        errors["follow_up_of"] = [lazy_gettext("The earlier ticket could not be found.")]
    files, file_errors = attachments.check(uploads, flags)
    if file_errors:
        errors["attachments"] = file_errors
    if errors:
        raise InvalidInput(errors)
    shared = flags.share_with_organisation_by_default and actor.organisation_id is not None
    return _Asked(data, order, category, files, shared, answers)


def _described(
    tenant_id: str, form: Mapping[str, Any], *, ask_category: bool
) -> tuple[dict[str, Any], Category | None, dict[str, Any], dict[str, Any]]:
    """The form's fields, its problem area (none where ``ask_category`` is false), the answers
    to the area's own questions (or, for an area without any, the guided ones: what the issue
    is about is needed), and the errors of all of them."""
    categories = support.categories(tenant_id) if ask_category else ()
    asked = request_types.answer_fields(form)
    general = {name: value for name, value in form.items() if name not in asked}
    data, errors = load(_open_ticket_schema(tuple(c.key for c in categories)), general)
    category = next((c for c in categories if c.key == data.get("category")), None)
    answers, answer_errors = load(request_types.answers_schema(category), asked)
    errors.update(answer_errors)
    if not (category and category.fields) and not data.get("issue_about"):
        errors.setdefault("issue_about", [lazy_gettext("Tell us what the issue is about.")])
    return data, category, answers, errors


@functools.lru_cache(maxsize=64)
def _open_ticket_schema(category_keys: tuple[str, ...]) -> OpenTicketSchema:
    """The new-ticket form's schema for a tenant's problem areas, made once for the same
    areas (making one copies its fields: half the time of checking a form)."""
    return OpenTicketSchema(category_keys=category_keys)


def _new_ticket(tenant_id: str, actor: Actor, asked: _Asked, moment: datetime) -> Ticket:
    """The ticket a checked form describes, routed, with the next number of the tenant."""
    data, order, category = asked.data, asked.order, asked.category
    route = route_new_ticket(order, category)
    answers = request_types.answer_rows(tenant_id, category, asked.answers) if category else []
    return Ticket(
        answers=answers,
        tenant_id=tenant_id,
        number=next_number(support.session, tenant_id),
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
        requester_locale=actor.locale or str(get_locale() or "en"),
        customer_id=actor.customer_id,
        organisation_id=actor.organisation_id,
        shared_with_organisation=asked.shared,
        submission_key=data["submission_key"],
        follow_up_of_number=data.get("follow_up_of"),
        created_at=moment,
        updated_at=moment,
    )


def checked_order(
    tenant_id: str, actor: Actor, value: str, without_order_allowed: bool
) -> tuple[Order | None, str | None]:
    """The order ``value`` names, checked with the host (the customer's own, active), or
    ("none", where ``without_order_allowed``) no order; else the reason for the user."""
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
    query = _by_submission(tenant_id, actor)
    return support.session.scalars(query, {"submission_key": key}).one_or_none()


@functools.lru_cache(maxsize=STATEMENTS_KEPT)
def _by_submission(tenant_id: str, actor: Actor) -> Select[Ticket]:
    """The customer's own ticket a form's submission key opened (its parameter
    "submission_key"), kept: every new ticket asks first. A key is unique among the
    requester's own tickets: found through that unique index, without the tickets shared
    with them."""
    key = bindparam("submission_key", type_=Ticket.__table__.c.submission_key.type)
    return access.own_tickets(tenant_id, actor).where(Ticket.submission_key == key)


@dataclass(frozen=True)
class NewTicketForm:
    """What the form offers: the customer's active orders, problem areas, the hint text."""

    orders: list[Order]
    categories: tuple[Category, ...]
    without_order_allowed: bool
    follow_up_of: Ticket | None

    @property
    def sections(self) -> list[tuple[str | None, list[Category]]]:
        """The problem areas by section, in the host's order: those of no section first."""
        grouped: dict[str | None, list[Category]] = {None: []}
        for category in self.categories:
            grouped.setdefault(category.section, []).append(category)
        return [(section, areas) for section, areas in grouped.items() if areas]


def new_ticket_form(tenant_id: str, actor: Actor, follow_up_of: int | None) -> NewTicketForm:
    """The choices for a new ticket; ``follow_up_of`` names an earlier ticket of the customer.

    Raises:
        TicketNotFound: the earlier ticket is not one the customer may see.
    """
    earlier = None
    if follow_up_of is not None:
        earlier = ticket_in_scope(tenant_id, actor, Role.CUSTOMER, follow_up_of)
    return NewTicketForm(
        orders=list(support.host.active_orders(tenant_id, actor)),
        categories=support.categories(tenant_id),
        without_order_allowed=support.flags(tenant_id).ticket_without_order,
        follow_up_of=earlier,
    )


def problem_areas(tenant_id: str) -> tuple[Category, ...]:
    """The problem areas a new ticket can be in, each with its own questions, in the host's
    order."""
    return support.categories(tenant_id)


# -- one ticket -------------------------------------------------------------------------------


def ticket_in_scope(
    tenant_id: str, actor: Actor | None, role: Role, number: int, *, for_update: bool = False
) -> Ticket:
    """Ticket ``number`` if ``actor`` may see it as ``role``.

    Raises: TicketNotFound, also for a ticket that exists for someone else.
    """
    ticket = _in_scope_or_none(tenant_id, actor, role, number, for_update=for_update)
    if ticket is None:
        raise access.TicketNotFound()
    return ticket


def _in_scope_or_none(
    tenant_id: str, actor: Actor | None, role: Role, number: int, *, for_update: bool = False
) -> Ticket | None:
    query = access.tickets(tenant_id, actor, role).where(Ticket.number == number)
    if for_update:  # the row as it is now, held until the change commits
        query = query.with_for_update().execution_options(populate_existing=True)
    return support.session.scalars(query).one_or_none()


def ticket_to_change(
    tenant_id: str, actor: Actor | None, role: Role, number: int
) -> tuple[Ticket, bool]:
    """Ticket ``number`` if ``actor`` may see it as ``role``, locked for a change (as
    :func:`ticket_in_scope` with ``for_update``), and whether any webhook endpoint of the
    tenant listens (``webhooks.listening``), in the same statement.

    Raises: TicketNotFound, also for a ticket that exists for someone else.
    """
    query = (
        access.tickets(tenant_id, actor, role)
        .where(Ticket.number == number)
        .add_columns(webhooks.listening(tenant_id))
        .with_for_update(of=Ticket)
        .execution_options(populate_existing=True)
    )
    found = support.session.execute(query).one_or_none()
    if found is None:
        raise access.TicketNotFound()
    ticket, listening = found
    return ticket, bool(listening)


def moved_away(tenant_id: str, actor: Actor, number: int) -> Event | None:
    """The latest re-routing that took ticket ``number`` away from a provider ``actor`` works
    for, if it is no longer theirs to see (for the notice they get instead of the ticket)."""
    if _in_scope_or_none(tenant_id, actor, Role.PROVIDER, number) is not None:
        return None
    query = access.moved_away(tenant_id, actor, number)
    return support.session.scalars(query).first()


def mark_seen(ticket: Ticket, actor: Actor) -> None:
    """Note that ``actor`` looked at the ticket's page now: one statement that writes only
    when something changed since they last looked (the page shows the ticket, so the person
    may see it); none where the ticket was read with when they last looked
    (:func:`ticket_view`) and nothing changed since. A database that refuses the write
    (locked, read-only) costs the person only their "new activity" mark: the page they asked
    for is shown all the same."""
    if ticket.reader_seen_at is not None and ticket.reader_seen_at >= ticket.updated_at:
        return
    moment = now()
    table = cast(Table, Seen.__table__)
    session = support.session
    insert = (postgresql.insert if _dialect() == "postgresql" else sqlite.insert)(table)
    statement = insert.values(
        ticket_id=ticket.id, user_id=actor.user_id, tenant_id=ticket.tenant_id, seen_at=moment
    ).on_conflict_do_update(
        index_elements=[table.c.ticket_id, table.c.user_id],
        set_={"seen_at": moment},
        where=table.c.seen_at < ticket.updated_at,
    )
    try:
        session.execute(statement)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        _log.warning("Could not note that a ticket was seen", exc_info=True)


def unread(actor: Actor, listed: Sequence[ListedTicket]) -> set[int]:
    """The ids of the ``listed`` tickets with activity since ``actor`` last looked at them
    (never looked at: all of it). The tickets come from a list's page, which loaded when
    ``actor`` last looked at each (``_listed``)."""

    def news(ticket: ListedTicket) -> bool:
        if ticket.reader_seen_at is not None:
            return bool(ticket.reader_seen_at < ticket.updated_at)
        # never looked at: news, except a customer's own ticket nothing happened to yet
        return bool(
            ticket.requester_user_id != actor.user_id or ticket.updated_at > ticket.created_at
        )

    return {ticket.id for ticket in listed if news(ticket)}


def _dialect() -> str:
    return support.session.get_bind().dialect.name


def attachment_in_scope(
    tenant_id: str, actor: Actor, role: Role, number: int, file_id: int
) -> Attachment:
    """File ``file_id`` of ticket ``number``, if ``actor`` may see the ticket and the message
    the file belongs to (customers never the files of internal notes).

    Raises: TicketNotFound (a 404), also for a file that is not the ticket's or not theirs.
    """
    ticket = ticket_in_scope(tenant_id, actor, role, number)
    query = access.attachments(role).where(Attachment.id == file_id)
    file = support.session.scalars(query, access.of_ticket(ticket)).one_or_none()
    if file is None:
        raise access.TicketNotFound()
    return file


@dataclass(frozen=True)
class TicketView(Folded):
    """A ticket as one party sees it, and what that party may do now."""

    ticket: Ticket
    role: Role
    #: the ticket's messages and events in their order: all of them, or the latest of each
    #: part where the view was made for a page (:func:`ticket_view`'s ``latest``)
    timeline: list[Entry]
    actions: tuple[Action, ...]
    #: the people the ticket can be assigned to, and the providers it can be re-routed to
    assignable: list[Person] = field(default_factory=list)
    providers: list[Provider] = field(default_factory=list)
    #: whether the ticket this one duplicates is one the viewer may open (a customer may
    #: see that their ticket repeats someone else's, but not open it)
    duplicate_visible: bool = False
    #: the files the viewer may see, by the message they belong to (None: the description)
    files: dict[int | None, list[Attachment]] = field(default_factory=dict)
    #: the customer's active orders, where they may still choose the service the ticket is about
    orders: list[Order] = field(default_factory=list)
    #: how many entries the whole conversation and the whole History hold, where
    #: :attr:`timeline` holds only the latest of each (None: it holds all of them)
    totals: tuple[int, int] | None = None
    #: the entries before :attr:`timeline`, where one request did not read back to the
    #: description (:data:`ENTRIES_READ_MAX`): ``ticket_view``'s ``before`` for the next
    earlier_cursor: str | None = None
    #: the timeline is an earlier part of the conversation (``ticket_view``'s ``before``)
    older: bool = False
    #: every folded part of the conversation was asked for (a page's ``?entries=all``): not
    #: only the latest entries of each (``ticket_view``'s ``latest``)
    unfolded: bool = False

    def shown(self) -> conversation.Shown:
        """The conversation as the page shows it, in values only (``_conversation.html``)."""
        return conversation.shown(
            self.ticket,
            self.role,
            self.timeline,
            self.files,
            self.totals,
            self.earlier_cursor,
            self.older,
            self.unfolded,
        )

    @property
    def may_reopen_later(self) -> bool:
        """A customer's resolved or closed ticket past the reopen window."""
        return (
            self.role is Role.CUSTOMER
            and not self.ticket.status.is_active
            and Action.REOPEN not in self.actions
        )


def assignable_people(ticket: Ticket) -> list[Person]:
    """Who a ticket can be assigned to: its provider's staff, or the operator's while the
    marketplace handles it."""
    host = support.host
    if ticket.handler is Handler.PROVIDER and ticket.provider_id is not None:
        return list(host.provider_staff(ticket.tenant_id, ticket.provider_id))
    return list(host.operator_staff(ticket.tenant_id))


def colleagues(tenant_id: str, actor: Actor, role: Role) -> list[Person]:
    """The people whose tickets a staff member can filter by: the staff of their providers,
    or the operator's staff."""
    host = support.host
    if role is Role.OPERATOR:
        return list(host.operator_staff(tenant_id))
    people = {
        person.user_id: person
        for provider_id in sorted(actor.provider_ids)
        for person in host.provider_staff(tenant_id, provider_id)
    }
    return sorted(people.values(), key=lambda person: person.name)


#: how many of the latest entries of each part of a conversation a ticket's page reads: all
#: a page shows of a conversation whose earlier part it holds (:data:`RECENT` and
#: :data:`FOLDED_IN_PAGE`), and one more
LATEST_READ = RECENT + FOLDED_IN_PAGE + 1

#: the most entries of each part of a conversation (messages; events) one request reads and
#: shows where it asks for all of them (a page with its parts unfolded, the API's ticket):
#: the entries before them are the next request's (:attr:`TicketView.earlier_cursor`), so
#: no request reads or sends a whole conversation, however long it grows
ENTRIES_READ_MAX = 200


def ticket_view(
    tenant_id: str,
    actor: Actor,
    role: Role,
    number: int,
    *,
    latest: bool = False,
    before: str | None = None,
) -> TicketView:
    """A ticket with its conversation and history as ``role`` sees them (customers never see
    internal notes or internal events), and what ``role`` may do now. With ``latest`` (a
    ticket's page that leaves a long conversation's folded parts out), only the latest
    entries of each part are read. Otherwise the latest :data:`ENTRIES_READ_MAX` of each, or
    with ``before`` (a :attr:`TicketView.earlier_cursor`) those before an earlier read.

    Raises:
        TicketNotFound: also for a ticket the actor may not see.
        InvalidEntriesLink: ``before`` is not a cursor we made (nothing was read).
    """
    session = support.session
    up_to = _up_to(before)
    query = _viewed(tenant_id, actor, role, number)
    ticket = session.scalars(query, _reader(actor)).unique().one_or_none()
    if ticket is None:
        raise access.TicketNotFound()
    read = _read(role, ticket, LATEST_READ if latest else ENTRIES_READ_MAX, up_to, latest)
    timeline = sorted(
        [Entry(m.created_at, message=m) for m in read.messages]
        + [Entry(e.created_at, event=e) for e in read.events],
        key=lambda entry: entry.at,
    )
    actions = workflow.allowed_actions(
        ticket,
        role,
        support.flags(tenant_id),
        now(),
        requester=ticket.requester_user_id == actor.user_id,
    )
    duplicate_visible = ticket.duplicate_of_number is not None and (
        _in_scope_or_none(tenant_id, actor, role, ticket.duplicate_of_number) is not None
    )
    return TicketView(
        ticket=ticket,
        role=role,
        timeline=timeline,
        actions=actions,
        assignable=assignable_people(ticket) if Action.ASSIGN in actions else [],
        providers=list(support.providers(tenant_id)) if Action.REROUTE in actions else [],
        duplicate_visible=duplicate_visible,
        files=_files_of(role, ticket, read.messages),
        orders=list(support.host.active_orders(tenant_id, actor))
        if Action.CHOOSE_SERVICE in actions
        else [],
        totals=read.totals if before is None else None,
        earlier_cursor=read.earlier,
        older=before is not None,
        unfolded=not latest,
    )


class InvalidEntriesLink(pagination.InvalidCursor):
    """A link to a conversation's older entries that was not made by us (edited, truncated)."""

    #: what the person is told, on the page and in the API's problem
    message = lazy_gettext("This link to older entries is not valid. Start again from the ticket.")


def _files_of(
    role: Role, ticket: Ticket, messages: Sequence[Any]
) -> dict[int | None, list[Attachment]]:
    """The files ``role`` may see of a ticket's description and of ``messages`` (read from
    the ticket: an unbroken run of its messages), by message (None: the description)."""
    files: dict[int | None, list[Attachment]] = {}
    if ticket.has_files is False:  # None: read before in this request, without it
        return files
    ids = [message.id for message in messages]
    shown = access.files_between(ticket, min(ids, default=1), max(ids, default=0))
    for file in support.session.scalars(access.files_of_messages(role), shown):
        files.setdefault(file.message_id, []).append(file)
    return files


@dataclass(frozen=True)
class _Entries:
    """The entries of a ticket one request read, oldest first, and how many its conversation
    and its History hold."""

    messages: list[Any]
    events: list[Any]
    totals: tuple[int, int]
    #: where the entries before these are read from (None: these go back to the description)
    earlier: str | None


def _up_to(before: str | None) -> tuple[int, int]:
    """The ids of the latest message and event a read may hold: those of a cursor made by
    :func:`_read`, or none (every entry).

    Raises: InvalidEntriesLink: not a cursor we made.
    """
    if before is None:
        return INTEGER_MAX, INTEGER_MAX
    try:
        messages, events = pagination.decode(before, ("i", "i"))
    except pagination.InvalidCursor as error:
        raise InvalidEntriesLink(before) from error
    if messages < 0 or events < 0:
        raise InvalidEntriesLink(before)
    return messages, events


def _read(role: Role, ticket: Ticket, count: int, up_to: tuple[int, int], latest: bool) -> _Entries:
    """The latest ``count`` entries of each part of a ticket's conversation up to the ids of
    ``up_to``, with each part's total. Where a part held more (``latest`` aside: the page's
    read, which shows only the part it holds), the entries are cut where the part that
    reaches back the least begins, so that what is read is the whole conversation from a
    moment on, and the cursor of the entries before is returned with them."""
    parts, totals = _latest_parts(role, ticket, count + 1, up_to)
    longer = [len(part) > count for part in parts]
    parts = [part[:count] for part in parts]
    earlier = None
    if any(longer) and not latest:
        parts, earlier = _since_one_moment(parts, longer, up_to)
    events = sorted(chain.from_iterable(parts[1:]), key=attrgetter("id"))
    return _Entries(parts[0][::-1], events, totals, earlier)


def _latest_parts(
    role: Role, ticket: Ticket, count: int, up_to: tuple[int, int]
) -> tuple[list[list[Any]], tuple[int, int]]:
    """The latest ``count`` rows of each part of a ticket's conversation, newest first: its
    messages, then its events (a customer's: those the conversation tells, then its
    History); and how many entries the whole conversation and the whole History hold."""
    session = support.session
    told_inline = TOLD_INLINE if role is Role.CUSTOMER else None
    parameters = access.up_to(ticket, *up_to)
    messages = session.execute(access.latest_messages(role, count), parameters)
    events = session.execute(access.latest_events(role, count, told_inline), parameters)
    newest_events = sorted(pagination.plain_rows(events), key=attrgetter("id"), reverse=True)
    parts = [pagination.plain_rows(messages), newest_events]
    if told_inline is not None:
        parts[1:] = [
            [event for event in newest_events if event.kind in told_inline],
            [event for event in newest_events if event.kind not in told_inline],
        ]
    # each part's total is on each of its rows
    totals = [part[0].total if part else 0 for part in parts]
    return parts, (totals[0] + totals[1], totals[2] if told_inline is not None else 0)


def _since_one_moment(
    parts: list[list[Any]], longer: list[bool], up_to: tuple[int, int]
) -> tuple[list[list[Any]], str]:
    """The entries of ``parts`` (each newest first; the first part the messages, the others
    events) from the moment where the ``longer`` part (one that held more than was read)
    that reaches back the least begins, and the cursor of those before. Each table's entries
    are cut at the oldest entry read of its own longer parts too, so an entry of that moment
    that was not read is not skipped: it is the next read's."""
    since = max(part[-1].created_at for part, more in zip(parts, longer, strict=True) if more)
    floors = [0, 0]  # the oldest id read of each table's longer parts
    for index, (part, more) in enumerate(zip(parts, longer, strict=True)):
        if more:
            floors[min(index, 1)] = max(floors[min(index, 1)], part[-1].id)
    kept = [
        [row for row in part if row.created_at >= since and row.id >= floors[min(index, 1)]]
        for index, part in enumerate(parts)
    ]
    cursor = [_read_from(kept[:1], up_to[0]), _read_from(kept[1:], up_to[1])]
    return kept, pagination.encode(cursor)


def _read_from(parts: list[list[Any]], up_to: int) -> int:
    """Where the next read of one table (messages; events) begins: before the first of its
    entries kept, or where this read began when none was."""
    first = min((row.id for part in parts for row in part), default=None)
    return up_to if first is None else first - 1


@functools.lru_cache(maxsize=STATEMENTS_KEPT)
def _viewed(tenant_id: str, actor: Actor, role: Role, number: int) -> Select[Ticket]:
    """The statement of :func:`ticket_view`'s ticket (run it with :func:`_reader`): the
    answers, when the reader last looked and whether they watch it come with the ticket's
    row, no statement of their own. Kept (:data:`STATEMENTS_KEPT`): a page is seen again
    after every change made on it."""
    query = access.tickets(tenant_id, actor, role).where(Ticket.number == number)
    query = query.options(_WITH_SEEN, _WITH_WATCHING, _WITH_HAS_FILES, joinedload(Ticket.answers))
    # only a customer's page lists who the ticket is shared with
    return query.options(_WITH_HAS_SHARES) if role is Role.CUSTOMER else query


# -- lists ------------------------------------------------------------------------------------

#: The fields of a ticket the lists show (and their page links' keys): a list reads these
#: and no others, not the texts and clocks of all ~60 (a page of 100 tickets read every one of
#: them). A host's own list template that shows more adds to this tuple.
LIST_FIELDS: tuple[InstrumentedAttribute[Any], ...] = (
    Ticket.id,
    Ticket.tenant_id,
    Ticket.number,
    Ticket.subject,
    Ticket.status,
    Ticket.priority,
    Ticket.order_label,
    Ticket.handler,
    Ticket.provider_name,
    Ticket.assignee_name,
    Ticket.requester_name,
    # for what is unread: a customer's new ticket is not news to them
    Ticket.requester_user_id,
    Ticket.created_at,
    Ticket.emergency,
    Ticket.escalated_at,
    Ticket.next_due_at,
    Ticket.updated_at,
)


#: A row of a ticket list: the fields of :data:`LIST_FIELDS` by name, ``reader_seen_at``
#: (when the reader last looked at the ticket) and the list's computed sort key where it has
#: one (``relevance``, ``sorted_choice``). Lists read rows, not ``Ticket`` objects: a row
#: needs no object state, no identity map entry and no loader for each of the ~40 fields it
#: leaves out (a page of 20: 0.19 ms read, against 0.33 as objects). It is a named tuple
#: (``pagination.plain_rows``): read-only; a field it does not hold is not there
#: (``AttributeError``; in a template, undefined).
ListedTicket = Any

#: the names a list's row has from :data:`LIST_FIELDS`
_LIST_NAMES = frozenset(field.key for field in LIST_FIELDS)


#: The person reading a list or a ticket's page: the statement's parameter "reader" (their
#: user id, given when it runs: :func:`_reader`), so the options that look them up are made
#: once, not at every request (each costs a quarter of a millisecond to make).
_READER = bindparam("reader", type_=String)

#: When the reader last looked at each ticket: a lookup of the seen table's key per row, in
#: the statement that reads the tickets.
_SEEN = (
    select(Seen.seen_at).where(Seen.ticket_id == Ticket.id, Seen.user_id == _READER)
).scalar_subquery()

#: :data:`_SEEN` as ``Ticket.reader_seen_at`` of a ticket read as an object.
_WITH_SEEN = with_expression(Ticket.reader_seen_at, _SEEN)

#: Whether the ticket has a file, as ``Ticket.has_files`` (its page reads the files only
#: then).
_WITH_HAS_FILES = with_expression(
    Ticket.has_files, exists().where(Attachment.ticket_id == Ticket.id)
)

#: Whether the ticket is shared with anyone by name, as ``Ticket.has_shares`` (a customer's
#: page lists them only then).
_WITH_HAS_SHARES = with_expression(Ticket.has_shares, exists().where(Share.ticket_id == Ticket.id))

#: Whether the reader watches the ticket, as ``Ticket.reader_watching``.
_WITH_WATCHING = with_expression(
    Ticket.reader_watching,
    exists().where(Watcher.ticket_id == Ticket.id, Watcher.user_id == _READER),
)


def _reader(actor: Actor) -> dict[str, Any]:
    """The parameters of a statement with :data:`_WITH_SEEN` or :data:`_WITH_WATCHING`."""
    return {"reader": actor.user_id}


def _listed(query: Select[Ticket], keys: Sequence[pagination.Key]) -> Select[Any]:
    """``query`` reading :class:`ListedTicket` rows: the fields a list shows, when the reader
    last looked at each ticket (run it with :func:`_reader`) and the computed sort ``keys``
    the page link names."""
    computed = [
        key.expression.label(key.attribute)
        for key in keys
        if isinstance(key, pagination.Computed) and key.attribute not in _LIST_NAMES
    ]
    return query.with_only_columns(*LIST_FIELDS, _SEEN.label("reader_seen_at"), *computed)


@dataclass(frozen=True)
class TicketList:
    page: pagination.Page[ListedTicket]
    active_count: int
    done_count: int
    shared_count: int
    #: the ids of the page's tickets with activity since the customer last looked
    unread: set[int] = field(default_factory=set)
    #: where a search's words were found in each ticket's conversation (``search.snippets``)
    snippets: dict[int, Markup] = field(default_factory=dict)


def customer_ticket_list(
    tenant_id: str,
    actor: Actor,
    *,
    tab: str,
    cursor: str | None,
    search: str | None = None,
    service: str | None = None,
    sort: str | None = None,
) -> TicketList:
    """One page of a customer's tickets, latest activity first: their open ones (``tab`` is
    "open"), their resolved and closed ones ("closed"), or those others shared with them
    ("shared"); ``search`` finds what they may read of the tickets' words or a ticket number
    (the best matches first, unless ``sort`` is "activity"), ``service`` one of their
    services' tickets (``NO_ORDER``: those about none).

    Raises:
        InvalidCursor: ``cursor`` is not a page link we made.
    """
    size = _page_size()
    made = _customer_statements(
        tenant_id, actor, tab, service, search, sort, cursor, size, _dialect()
    )
    page = pagination.read_page(support.session, made.page, made.keys, size, _reader(actor))
    rows: Sequence[Any] = support.session.execute(made.counts[0]).all()
    counts = {Status(status): count for status, count in rows if status is not None}
    shared_count = sum(count for status, count in rows if status is None)
    return TicketList(
        page=page,
        active_count=sum(n for s, n in counts.items() if s in workflow.ACTIVE_STATUSES),
        done_count=sum(n for s, n in counts.items() if s in workflow.DONE_STATUSES),
        shared_count=shared_count,
        unread=unread(actor, page.items),
        snippets=_snippets(page.items, search, Role.CUSTOMER),
    )


#: a statement of counts (its columns vary with what it counts)
Counting = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]


@dataclass(frozen=True)
class _ListStatements:
    """The statements of a list page: the page (run it with :func:`_reader`), its sort keys,
    and the statements of its counts (a customer's: one, own tickets per status, then those
    shared with them, whose status is NULL; a staff list's: see :func:`_counting`)."""

    page: Select[Any]
    keys: tuple[pagination.Key, ...]
    counts: tuple[Counting, ...]


@functools.lru_cache(maxsize=STATEMENTS_KEPT)
def _customer_statements(
    tenant_id: str,
    actor: Actor,
    tab: str,
    service: str | None,
    search: str | None,
    sort: str | None,
    cursor: str | None,
    size: int,
    dialect: str,
) -> _ListStatements:
    """The statements of :func:`customer_ticket_list`'s page, kept (:data:`STATEMENTS_KEPT`);
    ``dialect``, the database's, shapes a search.

    Raises:
        InvalidCursor: ``cursor`` is not a page link we made (nothing is kept).
    """
    own = access.own_tickets(tenant_id, actor)
    shared = access.shared_tickets(tenant_id, actor)
    listed = {
        "open": own.where(is_active()),
        "closed": own.where(Ticket.status.in_(workflow.DONE_STATUSES)),
        "shared": shared,
    }[tab]
    if service == NO_ORDER:
        listed = listed.where(Ticket.order_id.is_(None))
    elif service:
        listed = listed.where(Ticket.order_id == service)
    searched = listed.where(_matching(search, tenant_id, Role.CUSTOMER)) if search else listed
    listed, keys, _ = _ordered(
        listed,
        searched,
        "activity" if sort == "activity" else "relevance",
        search,
        tenant_id=tenant_id,
        role=Role.CUSTOMER,
    )
    page = pagination.page_statement(_listed(listed, keys), keys, size, cursor)
    # own tickets per status and the shared ones, in one statement (each part reads its own
    # index, as two statements would)
    per_status = own.with_only_columns(type_coerce(Ticket.status, String), func.count()).group_by(
        Ticket.status
    )
    shared_count = shared.with_only_columns(null(), func.count()).order_by(None)
    return _ListStatements(page, keys, (union_all(per_status, shared_count),))


#: "due soon" in the operator's queue: a target that ends within this time
DUE_SOON = timedelta(hours=4)

#: The moment a running target must end before to be "due soon": the statements' parameter
#: "due_before" (now + ``DUE_SOON``, given by :func:`staff_ticket_list`), so they are made
#: once.
_DUE_BEFORE = bindparam("due_before", type_=Ticket.__table__.c.next_due_at.type)

#: The operator's queues: what needs the marketplace's attention.
QUEUES: dict[str, ColumnElement[bool] | None] = {
    "all": None,
    "no_order": Ticket.order_id.is_(None),
    "escalated": and_(Ticket.escalated_at.is_not(None), Ticket.handler == Handler.PROVIDER),
    "emergencies": Ticket.emergency.in_([Emergency.RAISED, Emergency.CONFIRMED]),
    "due": Ticket.next_due_at <= _DUE_BEFORE,
}


#: The staff lists' query string schema, made once (loading keeps nothing in it).
_LIST_QUERY = ListQuerySchema(queues=QUEUES)


@dataclass(frozen=True)
class StaffList:
    page: pagination.Page[ListedTicket]
    query: dict[str, Any]
    #: unresolved tickets per status, with every other filter applied (resolved and closed
    #: tickets grow without end; counting them would make every page slower over the years)
    by_status: dict[Status, int]
    #: active tickets per operator queue (operators only)
    by_queue: dict[str, int]
    #: the ids of the page's tickets with activity since the reader last looked
    unread: set[int] = field(default_factory=set)
    #: where a search's words were found in each ticket's conversation (``search.snippets``)
    snippets: dict[int, Markup] = field(default_factory=dict)


def staff_ticket_list(
    tenant_id: str, actor: Actor, role: Role, params: Mapping[str, Any]
) -> StaffList:
    """One page of a provider's inbox or of the operator's console, filtered and sorted as
    ``params`` (the page's query string) asks.

    Raises:
        InvalidInput: a filter value that is not one of the choices.
        InvalidCursor: the page link was not made by us.
    """
    query, errors = load(_LIST_QUERY, params)
    if errors:
        raise InvalidInput(errors)
    words = query.get("q")
    # a search lists the best matches first unless another order is asked for
    if query["sort"] is None or (query["sort"] == "relevance" and not words):
        query["sort"] = "relevance" if words else "activity"
    size = _page_size()
    asked = tuple(sorted(query.items()))
    made = _staff_statements(tenant_id, actor, role, asked, size, _dialect())
    run_with = {**_reader(actor), "due_before": now() + DUE_SOON}
    page = pagination.read_page(support.session, made.page, made.keys, size, run_with)
    by_status, by_queue = _active_counts(made.counts[0], run_with)
    if len(made.counts) > 1:  # a filtered console: its queues count every active ticket
        _, by_queue = _active_counts(made.counts[1], run_with)
    return StaffList(
        page=page,
        query=query,
        by_status=by_status,
        by_queue=by_queue,
        unread=unread(actor, page.items),
        snippets=_snippets(page.items, query.get("q"), role),
    )


@functools.lru_cache(maxsize=STATEMENTS_KEPT)
def _staff_statements(
    tenant_id: str,
    actor: Actor,
    role: Role,
    asked: tuple[tuple[str, Any], ...],
    size: int,
    dialect: str,
) -> _ListStatements:
    """The statements of :func:`staff_ticket_list`'s page for the checked query string
    ``asked`` (its items), kept (:data:`STATEMENTS_KEPT`). The moment that makes a target
    "due soon" is a parameter given when they run.

    Raises:
        InvalidCursor: the page link was not made by us (nothing is kept).
    """
    query = dict(asked)
    words = query.get("q")
    scope = access.tickets(tenant_id, actor, role)
    filtered = _filtered(scope, tenant_id, actor, role, query)
    searched = filtered.where(_matching(words, tenant_id, role)) if words else filtered
    status = query["status"]
    if status == "all":
        in_status = None
    else:
        in_status = is_active() if status == "active" else Ticket.status == Status(status)
    listed, keys, ascending = _ordered(
        filtered, searched, query["sort"], words, tenant_id=tenant_id, role=role
    )
    if in_status is not None:
        listed = listed.where(in_status)
    page = pagination.page_statement(
        _listed(listed, keys), keys, size, query.get("after"), ascending=ascending
    )
    counts: tuple[Counting, ...]
    if role is Role.OPERATOR and searched is not scope:
        # a filtered console: its statuses count what it lists, its queues every active ticket
        counts = (_counting(searched, queues=False), _counting(scope, queues=True))
    else:  # nothing filtered (``_filtered`` added no condition): one statement for both
        counts = (_counting(searched, queues=role is Role.OPERATOR),)
    return _ListStatements(page, keys, counts)


def _ordered(
    filtered: Select[Ticket],
    searched: Select[Ticket],
    sort: str,
    words: str | None,
    *,
    tenant_id: str,
    role: Role,
) -> tuple[Select[Ticket], tuple[pagination.Key, ...], bool]:
    """The list in the order ``sort`` names: its statement, its keys, and whether they
    ascend. ``searched`` is ``filtered`` with the search's condition; best match reads the
    search's ranked tickets instead (each once, with its relevance)."""
    if sort == "relevance" and words:
        found = _ranked(words, tenant_id, role)
        listed = filtered.join(found, found.c.ticket_id == Ticket.id)
        return listed, (pagination.Computed(found.c.relevance, "relevance"), Ticket.id), False
    if sort == "priority":
        return searched, (Ticket.priority, Ticket.updated_at, Ticket.id), False
    if sort == "due":  # only tickets whose clocks run have a due time
        listed = searched.where(Ticket.next_due_at.is_not(None))
        return listed, (Ticket.next_due_at, Ticket.id), True
    if sort.startswith("answer:"):
        return _by_answer(searched, tenant_id, sort.split(":", 1)[1])
    return searched, (Ticket.updated_at, Ticket.id), False


def _by_answer(
    listed: Select[Ticket], tenant_id: str, key: str
) -> tuple[Select[Ticket], tuple[pagination.Key, ...], bool]:
    """The tickets whose request type asked the "one choice" question ``key``, grouped by the
    choice made (its key's order), read in order from the answers' index."""
    answered = listed.join(
        TicketAnswer,
        and_(
            TicketAnswer.tenant_id == tenant_id,
            TicketAnswer.key == key,
            TicketAnswer.choice.is_not(None),
            TicketAnswer.ticket_id == Ticket.id,
        ),
    )
    keys = (
        pagination.Computed(TicketAnswer.choice.expression, "sorted_choice"),
        # the same as the ticket's id, named so the answers' index gives the order
        pagination.Computed(TicketAnswer.ticket_id.expression, "id"),
    )
    return answered, keys, True


def _filtered(
    scope: Select[Ticket], tenant_id: str, actor: Actor, role: Role, query: dict[str, Any]
) -> Select[Ticket]:
    if query.get("priority") is not None:
        scope = scope.where(Ticket.priority == query["priority"])
    if query.get("category"):
        scope = scope.where(Ticket.category_key == query["category"])
    if query.get("answer"):
        scope = scope.where(_answered(tenant_id, query["answer"]))
    assignee = query.get("assignee")
    if assignee == "me":
        scope = scope.where(Ticket.assignee_user_id == actor.user_id)
    elif assignee == "none":
        scope = scope.where(Ticket.assignee_user_id.is_(None))
    elif assignee:
        scope = scope.where(Ticket.assignee_user_id == assignee)
    if role is Role.OPERATOR:
        condition = QUEUES[query["queue"]]
        if condition is not None:
            scope = scope.where(condition)
        provider = query.get("provider")
        if provider == "operator":
            scope = scope.where(Ticket.handler == Handler.OPERATOR)
        elif provider:
            scope = scope.where(Ticket.provider_id == provider)
    return scope


def _answered(tenant_id: str, answer: str) -> ColumnElement[bool]:
    """The tickets whose question ``answer`` names ("<field>:<choice>") had that choice: one
    set of ids read from the answers' index (``ix_support_ticket_answer_choice``)."""
    key, choice = answer.split(":", 1)
    chose = select(TicketAnswer.ticket_id).where(
        TicketAnswer.tenant_id == tenant_id,
        TicketAnswer.key == key,
        TicketAnswer.choice == choice,
    )
    return Ticket.id.in_(chose)


def _snippets(listed: Sequence[ListedTicket], words: str | None, role: Role) -> dict[int, Markup]:
    if not words:
        return {}
    return search_snippets(
        [ticket.id for ticket in listed],
        words,
        role=role,
        dialect=_dialect(),
        language=str(get_locale() or "en"),
    )


def _matching(words: str, tenant_id: str, role: Role) -> ColumnElement[bool]:
    """The tickets ``words`` finds for a person of ``role`` (``search.py``)."""
    return search_matching(words, tenant_id=tenant_id, role=role, dialect=_dialect())


def _ranked(words: str, tenant_id: str, role: Role) -> Subquery:
    """The tickets ``words`` finds for a person of ``role``, with their relevance."""
    return search_ranked(words, tenant_id=tenant_id, role=role, dialect=_dialect())


def _counting(scope: Select[Ticket], *, queues: bool) -> Counting:
    """Active tickets of ``scope`` per status and, where ``queues``, per operator queue, in
    one statement (read it with :func:`_active_counts`). It reads the active tickets'
    entries of a partial index alone (``ix_support_ticket_tenant_active`` holds every column
    a queue looks at), not the resolved and closed tickets that pile up over the years, nor
    a table row."""
    conditions = list(QUEUES.values()) if queues else []
    per_queue = [func.count().filter(c) if c is not None else func.count() for c in conditions]
    counted = scope.where(is_active()).with_only_columns(Ticket.status, func.count(), *per_queue)
    return counted.group_by(Ticket.status)


def _active_counts(
    counting: Counting, params: Mapping[str, Any]
) -> tuple[dict[Status, int], dict[str, int]]:
    """The counts per status, and per queue where ``counting`` has them (:func:`_counting`)."""
    rows: Sequence[Any] = support.session.execute(counting, params).all()
    by_status: dict[Status, int] = {status: count for status, count, *_ in rows}
    if len(counting.selected_columns) == 2:  # no queues: a status and its count
        return by_status, {}
    return by_status, {name: sum(row[2 + i] for row in rows) for i, name in enumerate(QUEUES)}


def _page_size() -> int:
    return int(current_app.config["SUPPORT_PAGE_SIZE"])
