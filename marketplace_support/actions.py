"""What can be done to an existing ticket, by customers, provider staff and operator staff.

:func:`act` is the one entry: it finds the ticket in the actor's scope, asks the workflow table
whether the action is allowed now, reads the action's form, applies its effect, records the
events and commits, all in one transaction. Signals go out after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from sqlalchemy import select

from . import access, attachments, rate_limits, schemas, sla, workflow
from .changes import Change, commit
from .clock import now
from .host import Actor, Flags
from .i18n import lazy_gettext
from .idempotency import Receipt
from .models import EventKind, Message, Ticket
from .priorities import Priority
from .routing import Route, route_new_ticket
from .schemas import InvalidInput, load
from .state import support
from .tickets import assignable_people, checked_order, ticket_to_change
from .transaction import use_case
from .workflow import Action, Emergency, Handler, Role

#: Where a re-routed ticket goes when the operator keeps it.
TO_OPERATOR = "operator"


# -- the effects, one per action ------------------------------------------------------------


def _reply(change: Change) -> None:
    change.message(change.data["body"], internal=False)
    ticket, role = change.ticket, change.role
    # staff may send a reply and, in the same change, wait for the customer or resolve (one
    # e-mail to the customer, carrying the reply); customers have no "then"
    then = Action.REPLY
    if role is not Role.CUSTOMER and change.data.get("then") in _THEN:
        then = Action(change.data["then"])
    # the table's row for what follows the message (the reply's own was checked before)
    rule = workflow.check(
        then, ticket, role, change.flags, change.moment, requester=change.by_requester
    )
    change.set_status(rule.moved(role, ticket.status), then.value)


#: what staff may do in the same step as their reply
_THEN = frozenset({Action.WAIT_FOR_CUSTOMER.value, Action.RESOLVE.value})


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
        provider = next((p for p in support.providers(ticket.tenant_id) if p.id == target), None)
        if provider is None:
            raise InvalidInput({"route_to": [lazy_gettext("Choose one of the providers listed.")]})
        handler, provider_id, provider_name = Handler.PROVIDER, provider.id, provider.name
    if (handler, provider_id) == (ticket.handler, ticket.provider_id):
        raise InvalidInput({"route_to": [lazy_gettext("The ticket is already handled there.")]})
    _move(change, Route(handler, ticket.routing_reason, provider_id, provider_name))


def _move(change: Change, route: Route, *, by_system: bool = False) -> None:
    """Hand the ticket to ``route``'s handler, with its REROUTED event (the operator's reason,
    or, moved by the module, ``route``'s): the new handler is told of a new ticket, the
    previous one that it moved away."""
    ticket = change.ticket
    # the provider that sees it until now: its handler, or the one the operator took it over
    # from (who still sees a ticket taken over); none when it goes back to that provider
    previous = ticket.provider_id if ticket.provider_id != route.provider_id else None
    change.event(
        EventKind.REROUTED,
        by_system=by_system,
        from_value=ticket.handler.value,
        from_provider_id=previous,
        from_name=ticket.provider_name if previous else None,
        to_value=route.handler.value,
        to_name=route.provider_name,
        detail=route.reason.value if by_system else change.data["reason"],
    )
    ticket.handler, ticket.provider_id = route.handler, route.provider_id
    ticket.provider_name = route.provider_name
    ticket.assignee_user_id = ticket.assignee_name = None
    ticket.escalated_at = ticket.escalation_reason = None


def _choose_service(change: Change) -> None:
    """The customer names the service a ticket opened without one is about: the ticket takes
    the order (and its plan's response targets) and is routed as a new ticket about it is."""
    ticket = change.ticket
    order, error = checked_order(
        ticket.tenant_id, change.person, change.data["order"], without_order_allowed=False
    )
    if error is not None:
        raise InvalidInput({"order": [error]})
    assert order is not None, "no error without an order: 'none' is not an order here"
    ticket.order_id, ticket.order_label = order.id, order.label
    ticket.service_plan = order.service_plan
    change.event(EventKind.SERVICE_CHOSEN, to_value=order.id, to_name=order.label)
    sla.set_targets(ticket)
    route = route_new_ticket(order, support.category(ticket.tenant_id, ticket.category_key))
    ticket.routing_reason = route.reason
    if route.handler is not ticket.handler:
        _move(change, route, by_system=True)


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


def _escalate_overdue(change: Change) -> None:
    ticket = change.ticket
    ticket.escalated_at = change.moment
    # no reason of a person: pages and e-mails say why in the reader's language
    ticket.escalation_reason = None
    change.event(EventKind.ESCALATED, detail="first_response_missed")


def _remind(change: Change) -> None:
    change.event(EventKind.REMINDED)


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
    Action.CHOOSE_SERVICE: Effect(schemas.ChooseServiceSchema, _choose_service),
    Action.ESCALATE_OVERDUE: Effect(schemas.NoFieldsSchema, _escalate_overdue),
    Action.REMIND: Effect(schemas.NoFieldsSchema, _remind),
    Action.AUTO_RESOLVE: Effect(schemas.NoFieldsSchema, _status_only),
    Action.AUTO_CLOSE: Effect(schemas.NoFieldsSchema, _status_only),
}


#: The actions whose message can carry files.
TAKES_FILES = frozenset({Action.REPLY, Action.NOTE})


@use_case
def act(
    tenant_id: str,
    actor: Actor | None,
    role: Role,
    number: int,
    action: Action,
    form: Mapping[str, Any],
    uploads: Sequence[attachments.Upload] = (),
    *,
    receipt: Receipt | None = None,
) -> Ticket:
    """Fire ``action`` on ticket ``number`` as ``role``; a reply or note may carry files.
    ``actor`` is None only for the module itself (``Role.SYSTEM``: the sweep). An API call
    hands its ``receipt``: its key and answer are written with the change.

    A second submission of the same message form, or a second API call with the same key,
    adds nothing and stores nothing. Raises:
        TicketNotFound: the ticket is not in the actor's scope (also another tenant's).
        NotAllowed: the workflow table, the ticket or the tenant does not allow it now.
        InvalidInput: the form was refused; errors per field. Nothing is written.
        LimitReached: the actor (or the tenant) sent too many messages, emergency reports or
            files in a short time (see ``rate_limits``). Nothing is written.
    """
    assert (actor is None) == (role is Role.SYSTEM), "only the module acts as no one"
    ticket, listening = ticket_to_change(tenant_id, actor, role, number)
    effect = EFFECTS[action]
    data, errors = load(effect.schema(), form)
    key = data.get("submission_key")
    if key is not None and _message_by_submission(ticket, key) is not None:
        return ticket
    flags = support.flags(tenant_id)
    moment = now()
    by_requester = actor is not None and actor.user_id == ticket.requester_user_id
    rule = workflow.check(action, ticket, role, flags, moment, requester=by_requester)
    files = _checked_files(action, uploads, flags, errors)
    if actor is not None:
        rate_limits.spend(
            tenant_id, actor, rate_limits.action_costs(role, action, attachments.uncounted(files))
        )
    change = Change(
        ticket, actor, role, moment, flags, data=data, files=files, key=key, receipt=receipt
    )
    change.webhooks_listening = listening
    calendar_before = sla.calendar(ticket)
    effect.apply(change)
    if rule.target is not None:
        change.set_status(rule.target, action.value)
    if change.visible:
        ticket.updated_at = moment
    sla.update(ticket, moment, calendar_before, responded=change.answers_customer)

    def stored_before() -> Ticket | None:
        if key and _message_by_submission(ticket, key):
            return ticket
        return ticket if receipt is not None and receipt.take_earlier() else None

    return commit(change, stored_before).ticket


def _checked_files(
    action: Action,
    uploads: Sequence[attachments.Upload],
    flags: Flags,
    errors: dict[str, Any],
) -> list[attachments.Checked]:
    """The files that may be stored with ``action``.

    Raises: InvalidInput, with the form's ``errors`` and the files' own.
    """
    files, file_errors = attachments.check(uploads, flags)
    if files and action not in TAKES_FILES:
        file_errors = [lazy_gettext("Files can be attached to a reply or a note only.")]
    if file_errors:
        errors["attachments"] = file_errors
    if errors:
        raise InvalidInput(errors)
    return files


def _message_by_submission(ticket: Ticket, key: str) -> Message | None:
    query = select(Message).where(Message.ticket_id == ticket.id, Message.submission_key == key)
    return support.session.scalars(query).one_or_none()
