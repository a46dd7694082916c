"""Who may fire which action on which ticket, generated from the workflow table.

Every rule of ``workflow.RULES`` is fired by a customer, a provider's staff member, an
operator and the module itself (``Role.SYSTEM``: the sweep's escalation, reminder, automatic
resolving and closing are rows of the table too), on a ticket that is theirs to see and on
tickets that are not, with the ticket put in a state where the rule's statuses and conditions
hold. A new rule is covered without touching
this file; a new action fails until :data:`FORMS` says what its form holds.
"""

from __future__ import annotations

import pytest

from marketplace_support import tickets
from marketplace_support.access import TicketNotFound
from marketplace_support.clock import now
from marketplace_support.state import support
from marketplace_support.workflow import (
    RULES,
    Action,
    Handler,
    NotAllowed,
    Role,
    Rule,
    Status,
    rule_for,
)

from .permission_cases import (
    ACTING,
    FORMS,
    OWNERSHIPS,
    TARGETS,
    Ownership,
    assert_outcome,
    state_for,
)


def test_every_action_has_a_rule_and_a_form():
    assert set(FORMS) == set(Action)
    assert {rule.action for rule in RULES} == set(Action)
    for action in Action:  # a role appears in at most one row of an action
        roles = [role for rule in RULES if rule.action is action for role in rule.roles]
        assert len(roles) == len(set(roles)), action


# -- the matrix -----------------------------------------------------------------------------------


def _row_id(rule: Rule) -> str:
    """An action's name, with its row's first role where it has several rows."""
    rows = [other for other in RULES if other.action is rule.action]
    return str(rule.action) if len(rows) == 1 else f"{rule.action}[{min(rule.roles)}]"


CASES = [
    pytest.param(rule, role, ownership, id=f"{_row_id(rule)}-{role}-{ownership}")
    for rule in RULES
    for role in (Role.CUSTOMER, Role.PROVIDER, Role.OPERATOR, Role.SYSTEM)
    # a role that another row of the action lets fire it is tested by that row
    if role in rule.roles or rule_for(rule.action, role) is None
    for ownership in OWNERSHIPS[role]
]


@pytest.mark.slow  # the whole matrix: over a hundred cases, each with an app of its own
@pytest.mark.parametrize(("rule", "role", "ownership"), CASES)
def test_an_action_is_allowed_exactly_to_its_roles_on_tickets_they_may_see(
    desk, rule, role, ownership
):
    where = TARGETS[ownership]
    actor_id = ACTING[role]
    moment = now()
    provider_id = desk.target(*where, actor_id).provider_id
    state = state_for(rule, rule.roles, provider_id, moment)
    desk.put(*where, state)
    form = FORMS[rule.action](desk.target(*where, actor_id))
    before = desk.snapshot()

    refused = desk.act(actor_id, role, where[1], rule.action, form)

    in_scope = ownership is Ownership.OWN
    handler_ok = not (
        role is Role.PROVIDER and rule.handler_only and state.handler is not Handler.PROVIDER
    )
    allowed = in_scope and role in rule.roles and handler_ok
    if not in_scope:
        missing = desk.act(actor_id, role, 999, rule.action, form)
        assert type(refused) is TicketNotFound
        assert type(missing) is TicketNotFound
        assert (refused.code, refused.description) == (missing.code, missing.description)
    elif not allowed:
        assert type(refused) is NotAllowed
    assert_outcome(desk, refused, before, allowed, rule, where)


@pytest.mark.slow  # the whole matrix: over a hundred cases, each with an app of its own
@pytest.mark.parametrize(
    ("rule", "role", "status"),
    [
        pytest.param(rule, role, status, id=f"{_row_id(rule)}-{role}-{status}")
        for rule in RULES
        for role in sorted(rule.roles)
        for status in Status
    ],
)
def test_an_action_is_allowed_exactly_from_its_source_statuses(desk, rule, role, status):
    where = TARGETS[Ownership.OWN]
    actor_id = ACTING[role]
    moment = now()
    provider_id = desk.target(*where, actor_id).provider_id
    state = state_for(rule, frozenset({role}), provider_id, moment, statuses=(status,))
    desk.put(*where, state)
    form = FORMS[rule.action](desk.target(*where, actor_id))
    before = desk.snapshot()

    refused = desk.act(actor_id, role, where[1], rule.action, form)

    allowed = status in rule.sources
    if not allowed:
        assert type(refused) is NotAllowed
    assert_outcome(desk, refused, before, allowed, rule, where)


# -- taken over by the operator -------------------------------------------------------------------

PROVIDER_RULES = [
    pytest.param(rule, id=str(rule.action)) for rule in RULES if Role.PROVIDER in rule.roles
]


def test_the_only_provider_action_on_a_taken_over_ticket_is_a_note():
    assert {
        rule.action for rule in RULES if Role.PROVIDER in rule.roles and not rule.handler_only
    } == {Action.NOTE}


@pytest.mark.parametrize("rule", PROVIDER_RULES)
def test_provider_staff_on_a_ticket_the_operator_took_over_can_only_add_notes(desk, rule):
    tenant_id, number = TARGETS[Ownership.OWN]
    assert desk.act("olive", Role.OPERATOR, number, Action.TAKE_OVER, {}) is None
    moment = now()
    state = state_for(
        rule,
        frozenset({Role.PROVIDER}),
        desk.target(tenant_id, number, "pete").provider_id,
        moment,
        handlers=(Handler.OPERATOR,),
    )
    desk.put(tenant_id, number, state)
    form = FORMS[rule.action](desk.target(tenant_id, number, "pete"))
    before = desk.snapshot()

    refused = desk.act("pete", Role.PROVIDER, number, rule.action, form)

    allowed = not rule.handler_only
    if not allowed:
        assert type(refused) is NotAllowed
    assert_outcome(desk, refused, before, allowed, rule, (tenant_id, number))


def test_a_taken_over_ticket_stays_visible_to_its_provider_with_only_the_note_button(desk):
    tenant_id, number = TARGETS[Ownership.OWN]
    assert desk.act("olive", Role.OPERATOR, number, Action.TAKE_OVER, {}) is None
    pete = desk.marketplace.actors["pete"][1]
    with desk.app.test_request_context():
        view = tickets.ticket_view(tenant_id, pete, Role.PROVIDER, number)
        assert view.ticket.handler is Handler.OPERATOR
        assert view.actions == (Action.NOTE,)


# -- a ticket shared with a colleague ---------------------------------------------------------

COLLEAGUE_CASES = [
    pytest.param(rule, status, id=f"{_row_id(rule)}-{status}")
    for rule in RULES
    if Role.CUSTOMER in rule.roles
    for status in sorted(rule.sources)
]


@pytest.mark.slow
@pytest.mark.parametrize(("rule", "status"), COLLEAGUE_CASES)
def test_a_colleague_may_do_on_a_shared_ticket_what_is_not_the_requesters_alone(desk, rule, status):
    """Amy sees Alice's ticket because Alice shared it with their organisation: she may fire
    a customer's action except from the statuses where the table keeps it to the requester."""
    where = TARGETS[Ownership.OWN]
    moment = now()
    provider_id = desk.target(*where, "amy").provider_id
    state = state_for(rule, frozenset({Role.CUSTOMER}), provider_id, moment, statuses=(status,))
    desk.put(*where, state)
    with desk.app.app_context():
        desk.ticket(*where).shared_with_organisation = True
        support.session.commit()
    form = FORMS[rule.action](desk.target(*where, "amy"))
    before = desk.snapshot()

    refused = desk.act("amy", Role.CUSTOMER, where[1], rule.action, form)

    allowed = status not in rule.requester_only
    if not allowed:
        assert type(refused) is NotAllowed
        with desk.app.test_request_context():
            assert str(refused.message) == "Only the person who opened the ticket can do this."
    assert_outcome(desk, refused, before, allowed, rule, where)
