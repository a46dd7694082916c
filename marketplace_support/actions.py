"""What can be done to an existing ticket, by customers, provider staff and operator staff.

:func:`act` is the one entry: it finds the ticket in the actor's scope, asks the workflow table
whether the action is allowed now, reads the action's form, applies its effect, records the
events and commits, all in one transaction. Signals go out after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import Schema
from sqlalchemy import select

from . import access, attachments, notifications, schemas, signals, sla, workflow
from .business_hours import BusinessHours
from .clock import now
from .host import Actor, Flags
from .i18n import lazy_gettext
from .models import Event, EventKind, Message, Ticket
from .priorities import Priority
from .schemas import InvalidInput, load
from .state import support
from .tickets import assignable_people, ticket_in_scope
from .transaction import after_commit, store_once, use_case
from .workflow import Action, Emergency, Handler, Role, Status

#: Where a re-routed ticket goes when the operator keeps it.
TO_OPERATOR = "operator"


@dataclass
class Change:
    """One action being applied: the ticket, who acts (None: the module itself), what they
    sent, and what follows."""

    ticket: Ticket
    actor: Actor | None
    role: Role
    data: dict[str, Any]
    moment: datetime
    flags: Flags
    #: rows to add with the change
    rows: list[Message | Event]
    #: the messages the change wrote (files are attached to the first)
    messages: list[Message] = field(default_factory=list)
    #: the hours that counted for the response targets until this change
    calendar_before: BusinessHours = field(init=False)

    def __post_init__(self) -> None:
        self.calendar_before = sla.calendar(self.ticket)

    #: whether the customer can see that something happened (moves "last activity")
    visible: bool = True

    def event(self, kind: EventKind, **values: Any) -> None:
        self.rows.append(
            Event(
                tenant_id=self.ticket.tenant_id,
                ticket_id=self.ticket.id,
                kind=kind,
                actor_user_id=self.actor.user_id if self.actor else None,
                actor_name=self.actor.name if self.actor else None,
                actor_role=self.role,
                created_at=self.moment,
                **values,
            )
        )

    def message(self, body: str, *, internal: bool) -> Message:
        """Add a message; the files of the change are attached to it."""
        message = Message(
            tenant_id=self.ticket.tenant_id,
            ticket_id=self.ticket.id,
            author_user_id=self.person.user_id,
            author_name=self.person.name,
            author_role=self.role,
            body=body,
            internal=internal,
            submission_key=self.data.get("submission_key"),
            created_at=self.moment,
        )
        self.rows.append(message)
        self.messages.append(message)
        return message

    @property
    def person(self) -> Actor:
        """The person acting (effects only people can fire)."""
        assert self.actor is not None, "the module itself does not fire this action"
        return self.actor

    @property
    def answers_customer(self) -> bool:
        """Whether staff wrote something the customer can read (a first response)."""
        return any(
            not message.internal and message.author_role in (Role.PROVIDER, Role.OPERATOR)
            for message in self.messages
        )

    def set_status(self, target: Status, detail: str) -> None:
        ticket = self.ticket
        if ticket.status is target:
            return
        self.event(
            EventKind.STATUS_CHANGED,
            from_value=ticket.status.value,
            to_value=target.value,
            detail=detail,
        )
        if not ticket.status.is_active and target.is_active:
            ticket.reopen_count += 1
        ticket.status = target
        if target is Status.RESOLVED:
            ticket.resolved_at = self.moment
        elif target is Status.CLOSED:
            ticket.closed_at = self.moment
        elif target.is_active:
            ticket.resolved_at = None
            ticket.closed_at = None


# -- the effects, one per action ------------------------------------------------------------


def _reply(change: Change) -> None:
    change.message(change.data["body"], internal=False)
    status = change.ticket.status
    if change.role is Role.CUSTOMER:
        moved_to = workflow.CUSTOMER_MESSAGE_MOVES.get(status)
        if moved_to is not None:
            change.set_status(moved_to, "customer_replied")
    elif change.data.get("then") == Action.WAIT_FOR_CUSTOMER.value:
        workflow.check(
            Action.WAIT_FOR_CUSTOMER, change.ticket, change.role, change.flags, change.moment
        )
        change.set_status(Status.WAITING_FOR_CUSTOMER, Action.WAIT_FOR_CUSTOMER.value)
    elif status is Status.OPEN:
        change.set_status(Status.IN_PROGRESS, "answered")


def _note(change: Change) -> None:
    change.message(change.data["body"], internal=True)
    change.visible = False


def _assign(change: Change) -> None:
    ticket, wanted = change.ticket, change.data["assignee"]
    if wanted == "none":
        assignee = None
    else:
        people = {person.user_id: person.name for person in assignable_people(ticket)}
        people.setdefault(change.person.user_id, change.person.name)
        if wanted not in people:
            raise InvalidInput({"assignee": [lazy_gettext("Choose one of the people listed.")]})
        assignee = (wanted, people[wanted])
    ticket.assignee_user_id, ticket.assignee_name = assignee or (None, None)
    change.event(
        EventKind.ASSIGNED,
        to_value=ticket.assignee_user_id,
        to_name=ticket.assignee_name,
        internal=True,
    )
    change.visible = False


def _escalate(change: Change) -> None:
    change.ticket.escalated_at = change.moment
    change.ticket.escalation_reason = change.data["reason"]
    change.event(EventKind.ESCALATED)
    # the reason stays with the staff, in the conversation they see
    change.message(change.data["reason"], internal=True)


def _reroute(change: Change) -> None:
    ticket, target = change.ticket, change.data["route_to"]
    if target == TO_OPERATOR:
        handler, provider_id, provider_name = Handler.OPERATOR, None, None
    else:
        provider = next(
            (p for p in support.host.providers(ticket.tenant_id) if p.id == target), None
        )
        if provider is None:
            raise InvalidInput({"route_to": [lazy_gettext("Choose one of the providers listed.")]})
        handler, provider_id, provider_name = Handler.PROVIDER, provider.id, provider.name
    if (handler, provider_id) == (ticket.handler, ticket.provider_id):
        raise InvalidInput({"route_to": [lazy_gettext("The ticket is already handled there.")]})
    change.event(
        EventKind.REROUTED,
        from_value=ticket.handler.value,
        to_value=handler.value,
        to_name=provider_name,
        detail=change.data["reason"],
    )
    ticket.handler, ticket.provider_id, ticket.provider_name = handler, provider_id, provider_name
    ticket.assignee_user_id = ticket.assignee_name = None
    ticket.escalated_at = ticket.escalation_reason = None


def _take_over(change: Change) -> None:
    ticket = change.ticket
    ticket.handler = Handler.OPERATOR
    ticket.assignee_user_id, ticket.assignee_name = change.person.user_id, change.person.name
    ticket.escalated_at = ticket.escalation_reason = None
    change.event(EventKind.TAKEN_OVER)


def _hand_back(change: Change) -> None:
    ticket = change.ticket
    ticket.handler = Handler.PROVIDER
    ticket.assignee_user_id = ticket.assignee_name = None
    ticket.escalated_at = ticket.escalation_reason = None
    change.event(EventKind.HANDED_BACK, to_name=ticket.provider_name)


def _change_priority(change: Change) -> None:
    ticket, priority = change.ticket, change.data["priority"]
    if priority is ticket.priority:
        raise InvalidInput({"priority": [lazy_gettext("The ticket already has this priority.")]})
    change.event(
        EventKind.PRIORITY_CHANGED, from_value=ticket.priority.value, to_value=priority.value
    )
    ticket.priority = priority
    sla.set_targets(ticket)


def _mark_duplicate(change: Change) -> None:
    ticket, number = change.ticket, change.data["duplicate_of"]
    original = None
    if number != ticket.number:
        query = access.tickets(ticket.tenant_id, change.person, change.role)
        original = support.session.scalars(query.where(Ticket.number == number)).one_or_none()
    if original is None:
        raise InvalidInput(
            {"duplicate_of": [lazy_gettext("There is no other ticket with this number.")]}
        )
    ticket.duplicate_of_number = number
    change.event(EventKind.MARKED_DUPLICATE, to_value=str(number))


def _raise_emergency(change: Change) -> None:
    ticket, explanation = change.ticket, change.data["explanation"]
    ticket.emergency = Emergency.RAISED
    ticket.emergency_explanation = explanation
    ticket.priority_before_emergency = ticket.priority
    ticket.priority = Priority.URGENT
    sla.set_targets(ticket)
    change.event(EventKind.EMERGENCY_RAISED, detail=explanation)


def _confirm_emergency(change: Change) -> None:
    change.ticket.emergency = Emergency.CONFIRMED
    change.event(EventKind.EMERGENCY_CONFIRMED)


def _downgrade_emergency(change: Change) -> None:
    ticket = change.ticket
    restored = ticket.priority_before_emergency or Priority.HIGH
    change.event(
        EventKind.EMERGENCY_DOWNGRADED,
        from_value=ticket.priority.value,
        to_value=restored.value,
        detail=change.data["reason"],
    )
    ticket.emergency = Emergency.DOWNGRADED
    ticket.priority = restored
    sla.set_targets(ticket)


def _status_only(change: Change) -> None:
    """Start work, wait, resolve, close, reopen: the table's target status is the effect."""


@dataclass(frozen=True)
class Effect:
    schema: Callable[[], Schema]
    apply: Callable[[Change], None]


EFFECTS: dict[Action, Effect] = {
    Action.REPLY: Effect(schemas.ReplySchema, _reply),
    Action.NOTE: Effect(schemas.MessageSchema, _note),
    Action.START: Effect(schemas.NoFieldsSchema, _status_only),
    Action.WAIT_FOR_CUSTOMER: Effect(schemas.NoFieldsSchema, _status_only),
    Action.RESOLVE: Effect(schemas.NoFieldsSchema, _status_only),
    Action.CLOSE: Effect(schemas.NoFieldsSchema, _status_only),
    Action.REOPEN: Effect(schemas.NoFieldsSchema, _status_only),
    Action.ASSIGN: Effect(schemas.AssignSchema, _assign),
    Action.ESCALATE: Effect(schemas.ReasonSchema, _escalate),
    Action.REROUTE: Effect(schemas.RerouteSchema, _reroute),
    Action.TAKE_OVER: Effect(schemas.NoFieldsSchema, _take_over),
    Action.HAND_BACK: Effect(schemas.NoFieldsSchema, _hand_back),
    Action.CHANGE_PRIORITY: Effect(schemas.PrioritySchema, _change_priority),
    Action.MARK_DUPLICATE: Effect(schemas.DuplicateSchema, _mark_duplicate),
    Action.RAISE_EMERGENCY: Effect(schemas.EmergencySchema, _raise_emergency),
    Action.CONFIRM_EMERGENCY: Effect(schemas.NoFieldsSchema, _confirm_emergency),
    Action.DOWNGRADE_EMERGENCY: Effect(schemas.DowngradeSchema, _downgrade_emergency),
}


#: The actions whose message can carry files.
TAKES_FILES = frozenset({Action.REPLY, Action.NOTE})


@use_case
def act(
    tenant_id: str,
    actor: Actor,
    role: Role,
    number: int,
    action: Action,
    form: Mapping[str, Any],
    uploads: Sequence[attachments.Upload] = (),
) -> Ticket:
    """Fire ``action`` on ticket ``number`` as ``role``; a reply or note may carry files.

    A second submission of the same message form adds nothing and stores nothing. Raises:
        TicketNotFound: the ticket is not in the actor's scope (also another tenant's).
        NotAllowed: the workflow table, the ticket or the tenant does not allow it now.
        InvalidInput: the form was refused; errors per field. Nothing is written.
    """
    ticket = ticket_in_scope(tenant_id, actor, role, number, for_update=True)
    effect = EFFECTS[action]
    data, errors = load(effect.schema(), form)
    key = data.get("submission_key")
    if key is not None and _message_by_submission(ticket, key) is not None:
        return ticket
    flags = support.flags(tenant_id)
    moment = now()
    rule = workflow.check(action, ticket, role, flags, moment)
    files, file_errors = attachments.check(uploads, flags)
    if files and action not in TAKES_FILES:
        file_errors = [lazy_gettext("Files can be attached to a reply or a note only.")]
    if file_errors:
        errors["attachments"] = file_errors
    if errors:
        raise InvalidInput(errors)
    change = Change(ticket, actor, role, data, moment, flags, rows=[])
    effect.apply(change)
    if rule.target is not None:
        change.set_status(rule.target, action.value)
    return _commit(change, files, key)


def system_change(
    ticket: Ticket, apply: Callable[[Change], None], moment: datetime, flags: Flags
) -> None:
    """A change the module makes by itself (the sweep): recorded, announced and notified like
    anyone's, with no person as its actor. The caller holds the ticket's row."""
    change = Change(ticket, None, Role.SYSTEM, {}, moment, flags, rows=[])
    apply(change)
    _commit(change, [], None)


def _commit(change: Change, files: Sequence[attachments.Checked], key: str | None) -> Ticket:
    """Write what a change did, its files and notifications, in one transaction; then announce
    it. A second submission of the same message form (``key``) writes nothing."""
    ticket, actor, moment = change.ticket, change.actor, change.moment
    if change.visible:
        ticket.updated_at = moment
    sla.update(ticket, moment, change.calendar_before, responded=change.answers_customer)
    announced: list[signals.Announcement] = []
    outbox_ids: list[int] = []
    uploader = actor.user_id if actor else Role.SYSTEM.value
    with attachments.storing(files, ticket.tenant_id, uploader) as stored:

        def write() -> None:
            session = support.session
            session.add_all(change.rows)
            session.flush()  # the files and notifications need the rows' ids
            for row in stored.rows:
                row.ticket_id, row.message_id = ticket.id, change.messages[0].id
            outbox = notifications.for_change(ticket, change.rows, actor)
            session.add_all([*stored.rows, *outbox])
            session.flush()
            outbox_ids[:] = [row.id for row in outbox]
            announced[:] = signals.pending(ticket, change.rows, actor)

        earlier = store_once(write, lambda: _message_by_submission(ticket, key) if key else None)
        if earlier is not None:
            stored.discard()
            return ticket
    after_commit(announced, outbox_ids)
    return ticket


def _message_by_submission(ticket: Ticket, key: str) -> Message | None:
    query = select(Message).where(Message.ticket_id == ticket.id, Message.submission_key == key)
    return support.session.scalars(query).one_or_none()
