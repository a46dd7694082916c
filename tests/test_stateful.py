"""Random sequences of tickets and actions, checked against a model after every step.

Customers open tickets; customers, provider staff and operators of both tenants (also people
acting in an area that is not theirs) fire random actions on random ticket numbers through
``actions.act``. A model predicts, from the workflow table alone, whether each action is "not
found", not allowed, refused for its form, or done, and what the ticket looks like afterwards.
After every step the read functions behind each party's pages (and the customer's ticket page
itself) must show every party exactly the tickets it may see, and customers must never see
what is for staff only. A step that is refused must write nothing, which the step asserts
(row counts and every ticket's fields); the page checks then skip it, as nothing they read
can have changed.

Each example starts from an empty database, so it runs the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, inspect, select

from marketplace_support import Flags, SupportBase, actions, default_categories, tickets
from marketplace_support.access import TicketNotFound
from marketplace_support.clock import now
from marketplace_support.host import Order
from marketplace_support.models import Event, Message, Ticket
from marketplace_support.priorities import Priority
from marketplace_support.schemas import InvalidInput
from marketplace_support.state import support
from marketplace_support.workflow import (
    ALL_STATUSES,
    Action,
    Emergency,
    Handler,
    NotAllowed,
    Role,
    Status,
    rule_for,
)

from .conftest import examples, login
from .helpers import ticket_fields
from .host import FakeHost, Marketplace

#: Tenant t1 takes emergency reports; in t2 only support marks tickets resolved.
FLAGS = {
    "t1": Flags(emergencies_allowed=True),
    "t2": Flags(customer_may_resolve=False),
}

CUSTOMERS = ("alice", "bob", "mia", "carol")

#: Who acts and looks, in which area: everyone in their own areas, plus people in an area
#: that is not theirs (they must see nothing there).
PARTIES = (
    *((customer, Role.CUSTOMER) for customer in CUSTOMERS),
    ("pete", Role.PROVIDER),
    ("pat", Role.PROVIDER),
    ("quinn", Role.PROVIDER),
    ("mia", Role.PROVIDER),
    ("cora", Role.PROVIDER),
    ("paul", Role.PROVIDER),
    ("olive", Role.OPERATOR),
    ("otto", Role.OPERATOR),
    ("alice", Role.OPERATOR),
    ("olive", Role.PROVIDER),
    ("pete", Role.CUSTOMER),
)

#: Every text staff write for staff only carries this mark; customers must never read it.
STAFF_ONLY = "staff-only"

#: What is read of a ticket's row to tell that a refused action left it alone.
TICKET_COLUMNS = tuple(c.key for c in inspect(Ticket).column_attrs)


@dataclass(frozen=True)
class Model:
    """What the test expects a ticket to be; it reads as a ``workflow.TicketState``."""

    tenant_id: str
    number: int
    requester: str
    status: Status
    handler: Handler
    provider_id: str | None
    priority: Priority
    priority_before_emergency: Priority | None = None
    assignee: str | None = None
    escalated_at: datetime | None = None
    emergency: Emergency | None = None
    resolved_at: datetime | None = None
    #: the order it is about (None: "not related to a service")
    order_id: str | None = None
    #: opened in a problem area the operator handles itself
    operator_area: bool = False


@dataclass(frozen=True)
class Sent:
    """A message form that was stored, to be sent again."""

    actor_id: str
    role: Role
    number: int
    action: Action
    form: dict[str, str]


def may_see(actor_id: str, role: Role, ticket: Model, market: Marketplace) -> bool:
    tenant_id, actor = market.actors[actor_id]
    if ticket.tenant_id != tenant_id:
        return False
    if role is Role.CUSTOMER:
        return actor.is_customer and ticket.requester == actor_id
    if role is Role.PROVIDER:
        return ticket.provider_id in actor.provider_ids
    return role is Role.OPERATOR and actor.is_operator


def permitted(action: Action, ticket: Model, role: Role, moment: datetime) -> bool:
    """Whether the workflow table (roles, statuses, provider hand-over, conditions) allows it."""
    rule = rule_for(action, role)
    if rule is None or ticket.status not in rule.sources:
        return False
    if role is Role.PROVIDER and rule.handler_only and ticket.handler is not Handler.PROVIDER:
        return False
    flags = FLAGS[ticket.tenant_id]
    return all(condition(ticket, role, flags, moment) is None for condition in rule.conditions)


class SupportDesk(RuleBasedStateMachine):
    def __init__(self, app: Any, market: Marketplace) -> None:
        super().__init__()
        self.app, self.market, self.host = app, market, FakeHost(market)
        self.tickets: dict[tuple[str, int], Model] = {}
        self.sent: list[Sent] = []
        self.touched: tuple[str, int] | None = None
        self.version = 0
        self.checked: dict[str, int] = {}
        self.serial = itertools.count()
        with app.app_context():
            for table in reversed(SupportBase.metadata.sorted_tables):
                support.session.execute(table.delete())
            support.session.commit()
        self.clients = {}
        for customer in CUSTOMERS:
            self.clients[customer] = app.test_client()
            login(self.clients[customer], customer)

    # -- helpers -------------------------------------------------------------------------------

    def text(self, kind: str) -> str:
        return f"{kind}-{next(self.serial)}"

    def key(self) -> str:
        return f"stateful-key-{next(self.serial):08d}"

    def rows(self) -> tuple[int, int, int]:
        with self.app.app_context():
            session = support.session
            return tuple(
                session.scalar(select(func.count()).select_from(model))
                for model in (Ticket, Message, Event)
            )

    def ticket_rows(self) -> list[dict[str, Any]]:
        """Every ticket's fields, to tell that a refused action left all of them alone."""
        with self.app.app_context():
            rows = support.session.scalars(select(Ticket).order_by(Ticket.id))
            return [{key: getattr(row, key) for key in TICKET_COLUMNS} for row in rows]

    def changed(self, where: tuple[str, int]) -> None:
        self.version += 1
        self.touched = where

    def unchecked(self, check: str) -> bool:
        """Whether ``check`` has not yet looked at the desk since the last change. A step that
        changed nothing (asserted by the rule itself) cannot change what the pages show."""
        if self.checked.get(check) == self.version:
            return False
        self.checked[check] = self.version
        return True

    def numbers(self, tenant_id: str) -> list[int]:
        return sorted(n for (t, n) in self.tickets if t == tenant_id)

    def all_orders(self, tenant_id: str) -> list[str]:
        """The ids of every order of the tenant: active, ended, of any customer."""
        return sorted(order_id for (tenant, order_id) in self.market.orders if tenant == tenant_id)

    def active_orders(self, actor_id: str) -> dict[str, Order]:
        """The active orders of ``actor_id``'s customer, by id."""
        tenant_id, actor = self.market.actors[actor_id]
        return {
            order.id: order
            for (tenant, _), (owner, order) in self.market.orders.items()
            if tenant == tenant_id and owner == actor.customer_id and order.active
        }

    def assignable(self, ticket: Model) -> set[str]:
        if ticket.handler is Handler.PROVIDER and ticket.provider_id is not None:
            people = self.host.provider_staff(ticket.tenant_id, ticket.provider_id)
        else:
            people = self.host.operator_staff(ticket.tenant_id)
        return {person.user_id for person in people}

    # -- forms ---------------------------------------------------------------------------------

    def form_for(self, action: Action, tenant_id: str, data: Any) -> dict[str, str]:
        draw = data.draw
        staff = [
            actor.user_id
            for tenant, actor in self.market.actors.values()
            if tenant == tenant_id and (actor.provider_ids or actor.is_operator)
        ]
        providers = [p.id for p in self.host.providers(tenant_id)]
        highest = max(self.numbers(tenant_id), default=0)
        builders = {
            Action.REPLY: lambda: {
                "body": self.text("public-reply"),
                "submission_key": self.key(),
                **draw(st.sampled_from([{}, {"then": "wait_for_customer"}, {"then": "resolve"}])),
            },
            Action.NOTE: lambda: {"body": self.text(STAFF_ONLY), "submission_key": self.key()},
            Action.START: dict,
            Action.WAIT_FOR_CUSTOMER: dict,
            Action.RESOLVE: dict,
            Action.CLOSE: dict,
            Action.REOPEN: dict,
            Action.ASSIGN: lambda: {
                "assignee": draw(st.sampled_from([*staff, "none", "somebody-else"]))
            },
            Action.ESCALATE: lambda: {"reason": self.text(f"{STAFF_ONLY}-escalation")},
            Action.REROUTE: lambda: {
                "route_to": draw(st.sampled_from([*providers, "operator", "p-unknown"])),
                "reason": self.text("public-reroute"),
            },
            Action.TAKE_OVER: dict,
            Action.HAND_BACK: dict,
            Action.CHANGE_PRIORITY: lambda: {
                "priority": draw(st.sampled_from([p.value for p in Priority]))
            },
            Action.MARK_DUPLICATE: lambda: {"duplicate_of": str(draw(st.integers(1, highest + 1)))},
            Action.RAISE_EMERGENCY: lambda: {"explanation": self.text("public-emergency")},
            Action.CONFIRM_EMERGENCY: dict,
            Action.DOWNGRADE_EMERGENCY: lambda: {"reason": self.text("public-downgrade")},
            Action.CHOOSE_SERVICE: lambda: {
                "order": draw(st.sampled_from([*self.all_orders(tenant_id), "o-carol", "none"]))
            },
            # the sweep's: no person may fire them
            Action.ESCALATE_OVERDUE: dict,
            Action.REMIND: dict,
            Action.AUTO_RESOLVE: dict,
            Action.AUTO_CLOSE: dict,
        }
        assert set(builders) == set(Action), "a new action needs a form here"
        form = builders[action]()
        if draw(st.integers(0, 9)) == 9:
            form["colour"] = "blue"  # a field no form has
        return form

    def form_is_valid(self, action: Action, ticket: Model, actor_id: str, form: dict) -> bool:
        if "colour" in form:
            return False
        if action is Action.ASSIGN:
            wanted = form["assignee"]
            return wanted == "none" or wanted in self.assignable(ticket) | {actor_id}
        if action is Action.REROUTE:
            route = form["route_to"]
            providers = {p.id for p in self.host.providers(ticket.tenant_id)}
            if route != "operator" and route not in providers:
                return False
            target = (Handler.OPERATOR, None) if route == "operator" else (Handler.PROVIDER, route)
            return target != (ticket.handler, ticket.provider_id)
        if action is Action.CHANGE_PRIORITY:
            return form["priority"] != ticket.priority.value
        if action is Action.CHOOSE_SERVICE:
            return form["order"] in self.active_orders(actor_id)
        if action is Action.MARK_DUPLICATE:
            original = int(form["duplicate_of"])
            return original != ticket.number and (ticket.tenant_id, original) in self.tickets
        return True

    # -- what an action does, by the table -------------------------------------------------------

    def after(self, action: Action, ticket: Model, actor_id: str, role: Role, form: dict) -> Model:
        moment = now()
        follows = action
        if action is Action.REPLY and role is not Role.CUSTOMER and form.get("then"):
            follows = Action(form["then"])
        rule = rule_for(follows, role)
        assert rule is not None  # the step was allowed
        status = rule.moved(role, ticket.status)
        changed = replace(ticket, status=status)
        if status is not ticket.status:
            if status is Status.RESOLVED:
                changed = replace(changed, resolved_at=moment)
            elif status.is_active:
                changed = replace(changed, resolved_at=None)
        if action is Action.ASSIGN:
            wanted = form["assignee"]
            changed = replace(changed, assignee=None if wanted == "none" else wanted)
        elif action is Action.ESCALATE:
            changed = replace(changed, escalated_at=moment)
        elif action is Action.REROUTE:
            route = form["route_to"]
            handler = Handler.OPERATOR if route == "operator" else Handler.PROVIDER
            provider_id = None if route == "operator" else route
            changed = replace(
                changed, handler=handler, provider_id=provider_id, assignee=None, escalated_at=None
            )
        elif action is Action.TAKE_OVER:
            changed = replace(
                changed, handler=Handler.OPERATOR, assignee=actor_id, escalated_at=None
            )
        elif action is Action.HAND_BACK:
            changed = replace(changed, handler=Handler.PROVIDER, assignee=None, escalated_at=None)
        elif action is Action.CHANGE_PRIORITY:
            changed = replace(changed, priority=Priority(form["priority"]))
        elif action is Action.RAISE_EMERGENCY:
            changed = replace(
                changed,
                emergency=Emergency.RAISED,
                priority_before_emergency=ticket.priority,
                priority=Priority.URGENT,
            )
        elif action is Action.CONFIRM_EMERGENCY:
            changed = replace(changed, emergency=Emergency.CONFIRMED)
        elif action is Action.CHOOSE_SERVICE:
            order = self.active_orders(actor_id)[form["order"]]
            changed = replace(changed, order_id=order.id)
            if not ticket.operator_area:  # routed as a new ticket about the order
                changed = replace(
                    changed,
                    handler=Handler.PROVIDER,
                    provider_id=order.provider_id,
                    assignee=None,
                    escalated_at=None,
                )
        elif action is Action.DOWNGRADE_EMERGENCY:
            changed = replace(
                changed,
                emergency=Emergency.DOWNGRADED,
                priority=ticket.priority_before_emergency or Priority.HIGH,
            )
        return changed

    def refusals(
        self, action: Action, ticket: Model, actor_id: str, role: Role, form: dict
    ) -> set[type[Exception]]:
        """Why the action must be refused (either reason may be the one given), or nothing."""
        moment = now()
        reasons: set[type[Exception]] = set()
        if not permitted(action, ticket, role, moment):
            reasons.add(NotAllowed)
        if (
            action is Action.REPLY
            and role is not Role.CUSTOMER
            and form.get("then")
            and not permitted(Action(form["then"]), ticket, role, moment)
        ):
            reasons.add(NotAllowed)
        if not self.form_is_valid(action, ticket, actor_id, form):
            reasons.add(InvalidInput)
        return reasons

    def fire(
        self, actor_id: str, role: Role, number: int, action: Action, form: dict
    ) -> type[Exception] | None:
        tenant_id, actor = self.market.actors[actor_id]
        with self.app.test_request_context():
            try:
                actions.act(tenant_id, actor, role, number, action, form)
            except (TicketNotFound, NotAllowed, InvalidInput) as refused:
                return type(refused)
        return None

    # -- rules ---------------------------------------------------------------------------------

    @initialize(actions=st.permutations(list(Action)))
    def favour_some_actions(self, actions: list[Action]) -> None:
        """Draws lean to the first choices; a new order per run spreads that over actions."""
        self.actions = actions

    @precondition(lambda self: len(self.tickets) < 8)
    @rule(data=st.data())
    def open_ticket(self, data: Any) -> None:
        customer = data.draw(st.sampled_from(CUSTOMERS))
        tenant_id, actor = self.market.actors[customer]
        orders = self.active_orders(customer)
        order_id = data.draw(st.sampled_from([*orders, "none"]))
        categories = {category.key: category for category in default_categories()}
        category = categories[data.draw(st.sampled_from(sorted(categories)))]
        priority = data.draw(st.sampled_from(list(Priority)))
        form = {
            **ticket_fields(order=order_id, category=category.key, priority=priority.value),
            "submission_key": self.key(),
        }
        before = self.rows()
        with self.app.test_request_context():
            opened = tickets.open_ticket(tenant_id, actor, form)
            number = opened.ticket.number
        assert opened.created
        assert number == max(self.numbers(tenant_id), default=0) + 1
        if category.operator_only or order_id == "none":
            handler, provider_id = Handler.OPERATOR, None
        else:
            handler, provider_id = Handler.PROVIDER, orders[order_id].provider_id
        ticket = Model(
            tenant_id,
            number,
            customer,
            Status.OPEN,
            handler,
            provider_id,
            priority,
            order_id=None if order_id == "none" else order_id,
            operator_area=category.operator_only,
        )
        after = self.rows()
        assert (after[0], after[1]) == (before[0] + 1, before[1]) and after[2] > before[2]
        self.tickets[(tenant_id, number)] = ticket
        self.changed((tenant_id, number))
        self.check_ticket(ticket)

    @precondition(lambda self: self.tickets)
    @rule(data=st.data())
    def act(self, data: Any) -> None:
        action = data.draw(st.sampled_from(self.actions))
        moment = now()
        # mostly someone who may see the ticket, in a role of the rule, on a ticket where the
        # table allows it now, so that tickets travel far (taken over, handed back, escalated,
        # re-routed, reopened ...); else nearly every step would be "not found"
        aim = data.draw(st.sampled_from(("allowed", "allowed", "role", "sees", "anyone")))
        pairs = [
            (where, party)
            for where, ticket in sorted(self.tickets.items())
            for party in PARTIES
            if may_see(*party, ticket, self.market)
            and (aim == "sees" or rule_for(action, party[1]) is not None)
            and (aim != "allowed" or permitted(action, ticket, party[1], moment))
        ]
        if aim != "anyone" and pairs:
            (tenant_id, number), (actor_id, role) = data.draw(st.sampled_from(pairs))
        else:
            actor_id, role = data.draw(st.sampled_from(PARTIES))
            highest = max(n for (_, n) in self.tickets)
            number = data.draw(st.integers(1, highest + 1))
        tenant_id = self.market.actors[actor_id][0]
        ticket = self.tickets.get((tenant_id, number))
        form = self.form_for(action, tenant_id, data)

        if ticket is None or not may_see(actor_id, role, ticket, self.market):
            expected: set[type[Exception] | None] = {TicketNotFound}
        else:
            expected = set(self.refusals(action, ticket, actor_id, role, form)) or {None}
        before, rows_before = self.rows(), self.ticket_rows()

        outcome = self.fire(actor_id, role, number, action, form)

        assert outcome in expected, (outcome, expected)
        if outcome is not None:
            assert self.rows() == before, "a refused action wrote something"
            assert self.ticket_rows() == rows_before, "a refused action changed a ticket"
            return
        assert ticket is not None
        _, messages, events = self.rows()
        assert messages + events > before[1] + before[2], "a change left no trace"
        changed = self.after(action, ticket, actor_id, role, form)
        self.tickets[(tenant_id, number)] = changed
        self.changed((tenant_id, number))
        if "submission_key" in form:
            self.sent.append(Sent(actor_id, role, number, action, form))
        self.check_ticket(changed)

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def send_a_stored_form_again(self, data: Any) -> None:
        sent = data.draw(st.sampled_from(self.sent))
        tenant_id = self.market.actors[sent.actor_id][0]
        ticket = self.tickets[(tenant_id, sent.number)]
        before, rows_before = self.rows(), self.ticket_rows()

        outcome = self.fire(sent.actor_id, sent.role, sent.number, sent.action, sent.form)

        visible = may_see(sent.actor_id, sent.role, ticket, self.market)
        assert outcome is (None if visible else TicketNotFound)
        assert self.rows() == before, "the same form was stored twice"
        assert self.ticket_rows() == rows_before

    # -- what the pages show -------------------------------------------------------------------

    def check_ticket(self, expected: Model) -> None:
        """The ticket as its tenant's operator reads it is the model's."""
        operator = {"t1": "olive", "t2": "otto"}[expected.tenant_id]
        actor = self.market.actors[operator][1]
        with self.app.test_request_context():
            ticket = tickets.ticket_view(
                expected.tenant_id, actor, Role.OPERATOR, expected.number
            ).ticket
            seen = (
                ticket.status,
                ticket.handler,
                ticket.provider_id,
                ticket.priority,
                ticket.assignee_user_id,
                ticket.escalated_at is not None,
                ticket.emergency,
                ticket.order_id,
            )
        assert seen == (
            expected.status,
            expected.handler,
            expected.provider_id,
            expected.priority,
            expected.assignee,
            expected.escalated_at is not None,
            expected.emergency,
            expected.order_id,
        )
        assert ticket.status in ALL_STATUSES

    def listed(self, actor_id: str, role: Role) -> list[Ticket]:
        tenant_id, actor = self.market.actors[actor_id]
        found: list[Ticket] = []
        if role is Role.CUSTOMER:
            for tab in ("open", "closed", "shared"):
                cursor = None
                while True:
                    listing = tickets.customer_ticket_list(tenant_id, actor, tab=tab, cursor=cursor)
                    found += listing.page.items
                    cursor = listing.page.next_cursor
                    if cursor is None:
                        break
            return found
        params = {"status": "all"}
        while True:
            staff_list = tickets.staff_ticket_list(tenant_id, actor, role, params)
            found += staff_list.page.items
            if staff_list.page.next_cursor is None:
                return found
            params = {"status": "all", "after": staff_list.page.next_cursor}

    @invariant()
    def every_list_shows_exactly_the_tickets_its_reader_may_see(self) -> None:
        if not self.unchecked("lists"):
            return
        with self.app.test_request_context():
            for actor_id, role in PARTIES:
                tenant_id = self.market.actors[actor_id][0]
                listed = self.listed(actor_id, role)
                assert all(t.tenant_id == tenant_id for t in listed), "another tenant's ticket"
                numbers = [t.number for t in listed]
                assert len(numbers) == len(set(numbers))
                assert set(numbers) == {
                    n
                    for (t, n), ticket in self.tickets.items()
                    if t == tenant_id and may_see(actor_id, role, ticket, self.market)
                }, (actor_id, role)
                for ticket in listed:
                    assert ticket.status in ALL_STATUSES
                    assert ticket.status is self.tickets[(tenant_id, ticket.number)].status

    @invariant()
    def the_last_ticket_changed_is_found_by_number_only_by_those_who_may_see_it(self) -> None:
        if self.touched is None or not self.unchecked("by number"):
            return
        number = self.touched[1]
        with self.app.test_request_context():
            for actor_id, role in PARTIES:
                tenant_id, actor = self.market.actors[actor_id]
                ticket = self.tickets.get((tenant_id, number))
                try:
                    view = tickets.ticket_view(tenant_id, actor, role, number)
                except TicketNotFound:
                    assert ticket is None or not may_see(actor_id, role, ticket, self.market)
                    continue
                assert ticket is not None and may_see(actor_id, role, ticket, self.market)
                assert (view.ticket.tenant_id, view.ticket.number) == (tenant_id, number)
                assert view.ticket.status is ticket.status

    @invariant()
    def customers_never_see_staff_only_notes_or_events(self) -> None:
        if not self.unchecked("customers"):
            return
        with self.app.test_request_context():
            for (tenant_id, number), ticket in self.tickets.items():
                actor = self.market.actors[ticket.requester][1]
                view = tickets.ticket_view(tenant_id, actor, Role.CUSTOMER, number)
                for entry in view.timeline:
                    if entry.message is not None:
                        assert not entry.message.internal
                        assert STAFF_ONLY not in entry.message.body
                    if entry.event is not None:
                        assert not entry.event.internal
                        assert STAFF_ONLY not in (entry.event.detail or "")
        if self.touched is not None:
            ticket = self.tickets[self.touched]
            page = self.clients[ticket.requester].get(f"/support/tickets/{ticket.number}")
            assert page.status_code == 200
            assert STAFF_ONLY not in page.get_data(as_text=True)


@pytest.mark.slow  # a minute and more under the dev and ci profiles
def test_random_use_of_the_desk_keeps_the_rules_and_shows_each_party_only_its_tickets(
    app, marketplace
):
    marketplace.flags.update(FLAGS)
    run_state_machine_as_test(
        lambda: SupportDesk(app, marketplace),
        settings=settings(
            max_examples=examples(25),  # each runs the profile's stateful_step_count steps
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
