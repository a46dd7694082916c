"""The cases of the permission tests (test_permissions.py), shared with the API's (test_api,
test_api_oversight, test_customer_api): who acts (:data:`ACTING`), on which tickets
(:data:`OWNERSHIPS`, :data:`OPENED`), in which state (:func:`state_for`), with which form
(:data:`FORMS`), and the desk they act on (:class:`Desk`, opened by the ``desk`` fixture).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, select

from marketplace_support import Flags, actions, tickets
from marketplace_support.access import TicketNotFound
from marketplace_support.models import Event, Message, Ticket
from marketplace_support.priorities import Priority
from marketplace_support.state import support
from marketplace_support.workflow import (
    DONE_STATUSES,
    Action,
    Emergency,
    Handler,
    NotAllowed,
    Role,
    Rule,
    Status,
)

from .helpers import ticket_fields
from .host import FakeHost, Marketplace

#: Every tenant takes emergency reports, so that rule's condition can hold.
FLAGS = Flags(emergencies_allowed=True)

#: Who acts in each role (all in tenant t1); the module itself (the sweep) is no one.
ACTING = {Role.CUSTOMER: "alice", Role.PROVIDER: "pete", Role.OPERATOR: "olive", Role.SYSTEM: None}


class Ownership(enum.StrEnum):
    #: the customer's own ticket / routed to the staff member's provider / the operator's tenant
    OWN = "own"
    #: another customer's ticket / routed to another provider of the same tenant
    OTHER_PARTY = "other-party"
    #: a ticket whose number exists only in another tenant
    OTHER_TENANT = "other-tenant"


OWNERSHIPS = {
    Role.CUSTOMER: (Ownership.OWN, Ownership.OTHER_PARTY, Ownership.OTHER_TENANT),
    Role.PROVIDER: (Ownership.OWN, Ownership.OTHER_PARTY, Ownership.OTHER_TENANT),
    Role.OPERATOR: (Ownership.OWN, Ownership.OTHER_TENANT),
    Role.SYSTEM: (Ownership.OWN, Ownership.OTHER_TENANT),
}

#: The tickets the tests open, in order: (tenant, customer, order). Numbers run per tenant.
OPENED = (
    ("t1", "alice", "o-hosting"),  # t1 #1, Alice's, routed to Nimbus (Pete's provider)
    ("t1", "bob", "o-bob"),  # t1 #2, Bob's, routed to Post & Co
    ("t2", "carol", "o-carol"),  # t2 #1
    ("t2", "carol", "o-carol"),  # t2 #2
    ("t2", "carol", "o-carol"),  # t2 #3: no ticket #3 in t1
)

#: The ticket each ownership names: (tenant, number).
TARGETS = {
    Ownership.OWN: ("t1", 1),
    Ownership.OTHER_PARTY: ("t1", 2),
    Ownership.OTHER_TENANT: ("t2", 3),
}


@dataclass(frozen=True)
class State:
    """What the rules read of a ticket (``workflow.TicketState``)."""

    status: Status
    handler: Handler
    provider_id: str | None
    escalated_at: datetime | None
    emergency: Emergency | None
    resolved_at: datetime | None
    #: the ticket's order as opened, or None: opened "not related to a service"
    order_id: str | None = None


#: The order of the ticket every case fires on (t1 #1, Alice's), and another active one of hers.
ORDER = "o-hosting"


def conditions_hold(rule: Rule, state: State, role: Role, moment: datetime) -> bool:
    return all(condition(state, role, FLAGS, moment) is None for condition in rule.conditions)


def state_for(
    rule: Rule,
    roles: frozenset[Role],
    provider_id: str | None,
    moment: datetime,
    *,
    statuses: tuple[Status, ...] | None = None,
    handlers: tuple[Handler, ...] = (Handler.PROVIDER, Handler.OPERATOR),
) -> State:
    """The first ticket state (status from the rule's sources unless ``statuses`` is given, the
    provider handling it where possible, the ticket about its order where possible) in which
    the rule's conditions hold for all ``roles``."""
    if statuses is None:
        statuses = tuple(status for status in Status if status in rule.sources)
    for order_id, status, handler, escalated_at, emergency in itertools.product(
        (ORDER, None),
        statuses,
        handlers,
        (None, moment - timedelta(hours=1)),
        (None, *Emergency),
    ):
        resolved_at = moment - timedelta(days=1) if status in DONE_STATUSES else None
        state = State(status, handler, provider_id, escalated_at, emergency, resolved_at, order_id)
        if all(conditions_hold(rule, state, role, moment) for role in roles):
            return state
    raise AssertionError(f"no ticket state satisfies the conditions of {rule.action}")


# -- the forms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The ticket an action is fired on, as the test set it up, and who fires it."""

    tenant_id: str
    number: int
    provider_id: str | None
    handler: Handler
    priority: Priority
    actor_id: str | None
    host: FakeHost
    numbers_in_tenant: tuple[int, ...]


_keys = itertools.count()


def submission_key() -> str:
    return f"permission-test-key-{next(_keys):08d}"


def _message(target: Target) -> dict[str, str]:
    return {"body": "A message for the ticket.", "submission_key": submission_key()}


def _no_fields(target: Target) -> dict[str, str]:
    return {}


def _assign(target: Target) -> dict[str, str]:
    if target.handler is Handler.PROVIDER and target.provider_id is not None:
        people = target.host.provider_staff(target.tenant_id, target.provider_id)
    else:
        people = target.host.operator_staff(target.tenant_id)
    colleague = next(p for p in people if p.user_id != target.actor_id)
    return {"assignee": colleague.user_id}


def _reroute(target: Target) -> dict[str, str]:
    others = [p.id for p in target.host.providers(target.tenant_id) if p.id != target.provider_id]
    return {"route_to": others[0] if others else "operator", "reason": "Another provider."}


def _change_priority(target: Target) -> dict[str, str]:
    return {"priority": next(p for p in Priority if p is not target.priority).value}


def _mark_duplicate(target: Target) -> dict[str, str]:
    original = next(n for n in target.numbers_in_tenant if n != target.number)
    return {"duplicate_of": str(original)}


#: A valid form for each action, built for the ticket it is fired on.
FORMS: dict[Action, Callable[[Target], dict[str, str]]] = {
    Action.REPLY: _message,
    Action.NOTE: _message,
    Action.START: _no_fields,
    Action.WAIT_FOR_CUSTOMER: _no_fields,
    Action.RESOLVE: _no_fields,
    Action.CLOSE: _no_fields,
    Action.REOPEN: _no_fields,
    Action.ASSIGN: _assign,
    Action.ESCALATE: lambda target: {"reason": "We cannot fix this alone."},
    Action.REROUTE: _reroute,
    Action.TAKE_OVER: _no_fields,
    Action.HAND_BACK: _no_fields,
    Action.CHANGE_PRIORITY: _change_priority,
    Action.MARK_DUPLICATE: _mark_duplicate,
    Action.RAISE_EMERGENCY: lambda target: {"explanation": "Everything is down since 9:00."},
    Action.CONFIRM_EMERGENCY: _no_fields,
    Action.DOWNGRADE_EMERGENCY: lambda target: {"reason": "Only one page is slow."},
    Action.CHOOSE_SERVICE: lambda target: {"order": ORDER},
    Action.ESCALATE_OVERDUE: _no_fields,
    Action.REMIND: _no_fields,
    Action.AUTO_RESOLVE: _no_fields,
    Action.AUTO_CLOSE: _no_fields,
}


# -- the marketplace under test -----------------------------------------------------------------


def open_desk(app: Any, marketplace: Marketplace) -> Desk:
    """The tickets of :data:`OPENED`, opened the way a customer opens them (the ``desk``
    fixture of conftest.py)."""
    marketplace.flags["t1"] = marketplace.flags["t2"] = FLAGS
    for tenant_id, customer, order in OPENED:
        actor = marketplace.actors[customer][1]
        form = {**ticket_fields(order=order), "submission_key": submission_key()}
        with app.test_request_context():
            assert tickets.open_ticket(tenant_id, actor, form).created
    return Desk(app, marketplace)


@dataclass
class Desk:
    app: Any
    marketplace: Marketplace

    def ticket(self, tenant_id: str, number: int) -> Ticket:
        query = select(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.number == number)
        return support.session.scalars(query).one()

    def put(self, tenant_id: str, number: int, state: State) -> None:
        """Set the fields the rules read, directly in the database."""
        with self.app.app_context():
            ticket = self.ticket(tenant_id, number)
            ticket.status, ticket.handler = state.status, state.handler
            ticket.provider_id = state.provider_id
            ticket.escalated_at = state.escalated_at
            ticket.escalation_reason = "Set by the test." if state.escalated_at else None
            if state.emergency is not None and ticket.emergency is None:
                ticket.priority_before_emergency = ticket.priority
                ticket.emergency_explanation = "Set by the test."
                ticket.priority = Priority.URGENT
            ticket.emergency = state.emergency
            ticket.resolved_at = state.resolved_at
            if state.order_id is None:
                ticket.order_id = ticket.order_label = ticket.service_plan = None
            ticket.closed_at = state.resolved_at if state.status is Status.CLOSED else None
            support.session.commit()

    def target(self, tenant_id: str, number: int, actor_id: str | None) -> Target:
        with self.app.app_context():
            ticket = self.ticket(tenant_id, number)
            numbers = support.session.scalars(
                select(Ticket.number).where(Ticket.tenant_id == tenant_id).order_by(Ticket.number)
            )
            return Target(
                tenant_id,
                number,
                ticket.provider_id,
                ticket.handler,
                ticket.priority,
                actor_id,
                FakeHost(self.marketplace),
                tuple(numbers),
            )

    def snapshot(self) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """Row counts and every ticket's fields: what a refused action must leave alone."""
        with self.app.app_context():
            session = support.session
            counts = {
                model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Ticket, Message, Event)
            }
            rows = session.scalars(select(Ticket).order_by(Ticket.id))
            fields = [
                {c.key: getattr(row, c.key) for c in inspect(Ticket).column_attrs} for row in rows
            ]
            return counts, fields

    def status(self, tenant_id: str, number: int) -> Status:
        with self.app.app_context():
            return self.ticket(tenant_id, number).status

    def act(self, actor_id: str | None, role: Role, number: int, action: Action, form: dict) -> Any:
        """Fire the action as ``actor_id`` in their tenant (None: as the module itself, in
        t1); the exception it raised, or None."""
        tenant_id, actor = self.marketplace.actors[actor_id] if actor_id else ("t1", None)
        with self.app.test_request_context():
            try:
                actions.act(tenant_id, actor, role, number, action, form)
            except (TicketNotFound, NotAllowed) as refused:
                return refused
        return None


def assert_outcome(desk: Desk, refused: Any, before: Any, allowed: bool, rule: Rule, where):
    after = desk.snapshot()
    if not allowed:
        assert after == before, "a refused action wrote something"
        return
    assert refused is None, getattr(refused, "message", refused)
    (counts_before, _), (counts_after, _) = before, after
    added = sum(counts_after[t] - counts_before[t] for t in ("support_message", "support_event"))
    assert added >= 1, "an allowed action recorded nothing"
    if rule.target is not None:
        assert desk.status(*where) is rule.target
