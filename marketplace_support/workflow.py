"""Everything that can be done to a ticket, who may do it, and what it does to the status.

One table, :data:`RULES`: for each action the roles that may fire it, the statuses it may be
fired from, the status it leads to (or none), where its message moves the ticket, and the extra
conditions a tenant or the ticket set. An action has one row, or one row per group of roles
where they differ (a customer may write on a resolved ticket, which reopens it; staff reopen
first); a role appears in at most one row of an action. The service layer asks
:func:`check` before it changes anything; pages ask :func:`allowed_actions` to show only what
works; the permission tests are generated from it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from .host import Flags
from .i18n import lazy_gettext, lazy_ngettext


class Status(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def customer_label(self) -> str:
        """The status as the customer reads it ("Waiting for your reply")."""
        return _CUSTOMER_STATUS_LABELS.get(self, self.label)

    @property
    def is_active(self) -> bool:
        """Active tickets are listed under "Open"; resolved and closed ones under "Closed"."""
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})
ALL_STATUSES = ACTIVE_STATUSES | DONE_STATUSES

_STATUS_LABELS = {
    Status.OPEN: lazy_gettext("Open"),
    Status.IN_PROGRESS: lazy_gettext("In progress"),
    Status.WAITING_FOR_CUSTOMER: lazy_gettext("Waiting for customer"),
    Status.RESOLVED: lazy_gettext("Resolved"),
    Status.CLOSED: lazy_gettext("Closed"),
}
_CUSTOMER_STATUS_LABELS = {Status.WAITING_FOR_CUSTOMER: lazy_gettext("Waiting for your reply")}


class Role(enum.StrEnum):
    """The party an actor acts as on a ticket: the area of the module they use."""

    CUSTOMER = "customer"
    PROVIDER = "provider"
    OPERATOR = "operator"
    SYSTEM = "system"


class Handler(enum.StrEnum):
    """Who is answering a ticket now: the provider it is routed to, or the operator."""

    PROVIDER = "provider"
    OPERATOR = "operator"


class Emergency(enum.StrEnum):
    """A customer's "service is down" flag and the operator's decision on it (seed 002)."""

    RAISED = "raised"
    CONFIRMED = "confirmed"
    DOWNGRADED = "downgraded"


class Action(enum.StrEnum):
    REPLY = "reply"
    NOTE = "note"
    START = "start"
    WAIT_FOR_CUSTOMER = "wait_for_customer"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    REROUTE = "reroute"
    TAKE_OVER = "take_over"
    HAND_BACK = "hand_back"
    CHANGE_PRIORITY = "change_priority"
    MARK_DUPLICATE = "mark_duplicate"
    RAISE_EMERGENCY = "raise_emergency"
    CONFIRM_EMERGENCY = "confirm_emergency"
    DOWNGRADE_EMERGENCY = "downgrade_emergency"
    CHOOSE_SERVICE = "choose_service"
    # what the module does by itself (the sweep), never offered to a person
    ESCALATE_OVERDUE = "escalate_overdue"
    REMIND = "remind"
    AUTO_RESOLVE = "auto_resolve"
    AUTO_CLOSE = "auto_close"

    @property
    def label(self) -> str:
        """What the button says."""
        return _ACTION_LABELS[self]

    @property
    def done(self) -> str:
        """What staff read after it was done."""
        return _DONE_LABELS[self]


_DONE_LABELS = {
    Action.REPLY: lazy_gettext("Your reply was sent to the customer."),
    Action.NOTE: lazy_gettext("Your internal note was added."),
    Action.START: lazy_gettext("The ticket is in progress."),
    Action.WAIT_FOR_CUSTOMER: lazy_gettext("The ticket now waits for the customer."),
    Action.RESOLVE: lazy_gettext("The ticket is resolved."),
    Action.CLOSE: lazy_gettext("The ticket is closed."),
    Action.REOPEN: lazy_gettext("The ticket is open again."),
    Action.ASSIGN: lazy_gettext("The assignment was saved."),
    Action.ESCALATE: lazy_gettext("The ticket was escalated to the marketplace."),
    Action.REROUTE: lazy_gettext("The ticket was re-routed."),
    Action.TAKE_OVER: lazy_gettext("You took the ticket over for the marketplace."),
    Action.HAND_BACK: lazy_gettext("The ticket is back with the provider."),
    Action.CHANGE_PRIORITY: lazy_gettext("The priority was changed."),
    Action.MARK_DUPLICATE: lazy_gettext("The ticket was closed as a duplicate."),
    Action.RAISE_EMERGENCY: lazy_gettext("The emergency was reported."),
    Action.CONFIRM_EMERGENCY: lazy_gettext("The emergency is confirmed."),
    Action.DOWNGRADE_EMERGENCY: lazy_gettext("The customer reads that this is not an emergency."),
    Action.CHOOSE_SERVICE: lazy_gettext("The ticket is now about the chosen service."),
    Action.ESCALATE_OVERDUE: lazy_gettext("The ticket was escalated to the marketplace."),
    Action.REMIND: lazy_gettext("Reminder to the customer"),
    Action.AUTO_RESOLVE: lazy_gettext("The ticket is resolved."),
    Action.AUTO_CLOSE: lazy_gettext("The ticket is closed."),
}

_ACTION_LABELS = {
    Action.REPLY: lazy_gettext("Send reply"),
    Action.NOTE: lazy_gettext("Add internal note"),
    Action.START: lazy_gettext("Start work"),
    Action.WAIT_FOR_CUSTOMER: lazy_gettext("Wait for the customer"),
    Action.RESOLVE: lazy_gettext("Mark as resolved"),
    Action.CLOSE: lazy_gettext("Close"),
    Action.REOPEN: lazy_gettext("Reopen"),
    Action.ASSIGN: lazy_gettext("Assign"),
    Action.ESCALATE: lazy_gettext("Escalate to the marketplace"),
    Action.REROUTE: lazy_gettext("Re-route"),
    Action.TAKE_OVER: lazy_gettext("Take over"),
    Action.HAND_BACK: lazy_gettext("Hand back to the provider"),
    Action.CHANGE_PRIORITY: lazy_gettext("Change priority"),
    Action.MARK_DUPLICATE: lazy_gettext("Close as duplicate"),
    Action.RAISE_EMERGENCY: lazy_gettext("Report an emergency"),
    Action.CONFIRM_EMERGENCY: lazy_gettext("Confirm emergency"),
    Action.DOWNGRADE_EMERGENCY: lazy_gettext("Not an emergency"),
    Action.CHOOSE_SERVICE: lazy_gettext("Choose the service"),
    Action.ESCALATE_OVERDUE: lazy_gettext("Escalate to the marketplace"),
    Action.REMIND: lazy_gettext("Reminder to the customer"),
    Action.AUTO_RESOLVE: lazy_gettext("Mark as resolved"),
    Action.AUTO_CLOSE: lazy_gettext("Close"),
}


class TicketState(Protocol):
    """What the rules read of a ticket."""

    status: Status
    handler: Handler
    provider_id: str | None
    order_id: str | None
    escalated_at: datetime | None
    emergency: Emergency | None
    resolved_at: datetime | None


class NotAllowed(Exception):
    """An action the table, the ticket or a tenant rule does not allow; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: A condition returns None when it holds, else the reason for the user.
Condition = Callable[[TicketState, Role, Flags, datetime], str | None]


@dataclass(frozen=True)
class Rule:
    action: Action
    roles: frozenset[Role]
    sources: frozenset[Status]
    #: the status the action leads to; None leaves it as it is
    target: Status | None = None
    #: provider staff may fire it only while their provider handles the ticket (not while the
    #: marketplace has taken it over)
    handler_only: bool = True
    conditions: tuple[Condition, ...] = ()
    #: what to tell someone who tries it from another status, where a general message is
    #: not enough
    wrong_status: str | None = None
    #: where the action's message moves the ticket, by the role of who writes it
    moves: Mapping[Role, Mapping[Status, Status]] = field(default_factory=dict)
    #: the statuses from which a customer may fire it only on a ticket they opened, not on one
    #: shared with them: colleagues follow a shared ticket and add information; the person
    #: who opened it decides when it is resolved or reopened, and reports emergencies
    requester_only: frozenset[Status] = frozenset()

    def moved(self, role: Role, status: Status) -> Status:
        """The status a ticket in ``status`` has after ``role`` fired this action."""
        if self.target is not None:
            return self.target
        return self.moves.get(role, {}).get(status, status)


def _customer_may_resolve(
    ticket: TicketState, role: Role, flags: Flags, now: datetime
) -> str | None:
    if role is Role.CUSTOMER and not flags.customer_may_resolve:
        return lazy_gettext("On this marketplace, support marks tickets resolved.")
    return None


def _within_reopen_window(
    ticket: TicketState, role: Role, flags: Flags, now: datetime
) -> str | None:
    if role is Role.CUSTOMER and not reopen_window_open(flags, ticket.resolved_at, now):
        return lazy_ngettext(
            "This ticket was resolved more than %(num)d day ago and can no longer be "
            "reopened. Please open a follow-up ticket.",
            "This ticket was resolved more than %(num)d days ago and can no longer be "
            "reopened. Please open a follow-up ticket.",
            flags.reopen_days,
        )
    return None


def _emergencies_allowed(
    ticket: TicketState, role: Role, flags: Flags, now: datetime
) -> str | None:
    if not flags.emergencies_allowed:
        return lazy_gettext("This marketplace does not take emergency reports.")
    if ticket.emergency is not None:
        return lazy_gettext("This ticket has already been reported as an emergency.")
    return None


def _emergency_raised(ticket: TicketState, role: Role, flags: Flags, now: datetime) -> str | None:
    if ticket.emergency is not Emergency.RAISED:
        return lazy_gettext("There is no emergency report waiting for a decision.")
    return None


def _emergency_standing(ticket: TicketState, role: Role, flags: Flags, now: datetime) -> str | None:
    if ticket.emergency not in (Emergency.RAISED, Emergency.CONFIRMED):
        return lazy_gettext("There is no emergency report waiting for a decision.")
    return None


def _not_escalated(ticket: TicketState, role: Role, flags: Flags, now: datetime) -> str | None:
    if ticket.escalated_at is not None:
        return lazy_gettext("This ticket is already escalated to the marketplace.")
    return None


def _handled_by_provider(
    ticket: TicketState, role: Role, flags: Flags, now: datetime
) -> str | None:
    if ticket.handler is not Handler.PROVIDER:
        return lazy_gettext("The marketplace already handles this ticket.")
    return None


def _can_hand_back(ticket: TicketState, role: Role, flags: Flags, now: datetime) -> str | None:
    if ticket.provider_id is None:
        return lazy_gettext("This ticket has no provider to hand it back to.")
    if ticket.handler is Handler.PROVIDER and ticket.escalated_at is None:
        return lazy_gettext("The provider already handles this ticket.")
    return None


def _not_about_a_service_yet(
    ticket: TicketState, role: Role, flags: Flags, now: datetime
) -> str | None:
    if ticket.order_id is not None:
        return lazy_gettext("This ticket is already about one of your services.")
    if ticket.handler is not Handler.OPERATOR:
        return lazy_gettext("The ticket was already passed on to a provider.")
    return None


_CUSTOMER = frozenset({Role.CUSTOMER})
_PROVIDER = frozenset({Role.PROVIDER})
_OPERATOR = frozenset({Role.OPERATOR})
_STAFF = frozenset({Role.PROVIDER, Role.OPERATOR})
_EVERYONE = frozenset({Role.CUSTOMER, Role.PROVIDER, Role.OPERATOR})
_SYSTEM = frozenset({Role.SYSTEM})
_ACTIVE = ACTIVE_STATUSES
#: statuses in which the response-target clocks run
RUNNING = frozenset({Status.OPEN, Status.IN_PROGRESS})

RULES: tuple[Rule, ...] = (
    # a customer's message puts the ticket back in the handler's court: an answer to a
    # question, or, within the reopen window, a word on a resolved ticket (writing reopens it,
    # as people expect from e-mail support)
    Rule(
        Action.REPLY,
        _CUSTOMER,
        _ACTIVE | {Status.RESOLVED},
        conditions=(_within_reopen_window,),
        requester_only=frozenset({Status.RESOLVED}),
        wrong_status=lazy_gettext(
            "This ticket is closed. Open a follow-up ticket to add information."
        ),
        moves={
            Role.CUSTOMER: {
                Status.WAITING_FOR_CUSTOMER: Status.OPEN,
                Status.RESOLVED: Status.OPEN,
            }
        },
    ),
    # the handler's first answer starts the work
    Rule(
        Action.REPLY,
        _STAFF,
        _ACTIVE,
        wrong_status=lazy_gettext(
            "This ticket is resolved or closed. Reopen it to add information."
        ),
        moves={
            Role.PROVIDER: {Status.OPEN: Status.IN_PROGRESS},
            Role.OPERATOR: {Status.OPEN: Status.IN_PROGRESS},
        },
    ),
    # notes help whoever works the ticket, also after it is done or taken over
    Rule(Action.NOTE, _STAFF, ALL_STATUSES, handler_only=False),
    Rule(
        Action.START,
        _STAFF,
        frozenset({Status.OPEN, Status.WAITING_FOR_CUSTOMER}),
        Status.IN_PROGRESS,
    ),
    Rule(
        Action.WAIT_FOR_CUSTOMER,
        _STAFF,
        frozenset({Status.OPEN, Status.IN_PROGRESS}),
        Status.WAITING_FOR_CUSTOMER,
    ),
    Rule(
        Action.RESOLVE,
        _EVERYONE,
        _ACTIVE,
        Status.RESOLVED,
        conditions=(_customer_may_resolve,),
        requester_only=_ACTIVE,
    ),
    Rule(Action.CLOSE, _OPERATOR, ALL_STATUSES - {Status.CLOSED}, Status.CLOSED),
    Rule(
        Action.REOPEN,
        _EVERYONE,
        DONE_STATUSES,
        Status.OPEN,
        conditions=(_within_reopen_window,),
        requester_only=DONE_STATUSES,
    ),
    Rule(Action.ASSIGN, _STAFF, _ACTIVE),
    Rule(Action.ESCALATE, _PROVIDER, _ACTIVE, conditions=(_not_escalated,)),
    Rule(Action.REROUTE, _OPERATOR, _ACTIVE),
    Rule(Action.TAKE_OVER, _OPERATOR, _ACTIVE, conditions=(_handled_by_provider,)),
    Rule(Action.HAND_BACK, _OPERATOR, _ACTIVE, conditions=(_can_hand_back,)),
    Rule(Action.CHANGE_PRIORITY, _OPERATOR, _ACTIVE),
    Rule(Action.MARK_DUPLICATE, _OPERATOR, _ACTIVE | {Status.RESOLVED}, Status.CLOSED),
    Rule(
        Action.RAISE_EMERGENCY,
        _CUSTOMER,
        _ACTIVE,
        conditions=(_emergencies_allowed,),
        requester_only=_ACTIVE,
    ),
    # a ticket opened as "not related to a service" (on the form, or by e-mail) that turns out
    # to be about one: while the marketplace still holds it, the person who opened it names
    # the service, and the ticket is routed as if it had been opened about it
    Rule(
        Action.CHOOSE_SERVICE,
        _CUSTOMER,
        _ACTIVE,
        conditions=(_not_about_a_service_yet,),
        requester_only=_ACTIVE,
    ),
    Rule(Action.CONFIRM_EMERGENCY, _OPERATOR, _ACTIVE, conditions=(_emergency_raised,)),
    Rule(Action.DOWNGRADE_EMERGENCY, _OPERATOR, _ACTIVE, conditions=(_emergency_standing,)),
    # the sweep (``sweep.py`` picks the tickets whose time has come)
    Rule(
        Action.ESCALATE_OVERDUE,
        _SYSTEM,
        RUNNING,
        conditions=(_handled_by_provider, _not_escalated),
    ),
    Rule(Action.REMIND, _SYSTEM, frozenset({Status.WAITING_FOR_CUSTOMER})),
    Rule(Action.AUTO_RESOLVE, _SYSTEM, frozenset({Status.WAITING_FOR_CUSTOMER}), Status.RESOLVED),
    Rule(Action.AUTO_CLOSE, _SYSTEM, frozenset({Status.RESOLVED}), Status.CLOSED),
)

_RULE_FOR = {(rule.action, role): rule for rule in RULES for role in rule.roles}
#: the actions, in table order
ACTIONS = tuple(dict.fromkeys(rule.action for rule in RULES))


def rule_for(action: Action, role: Role) -> Rule | None:
    """The row of ``action`` that ``role`` fires, or None when no row lets it."""
    return _RULE_FOR.get((action, role))


def check(
    action: Action,
    ticket: TicketState,
    role: Role,
    flags: Flags,
    now: datetime,
    *,
    requester: bool = True,
) -> Rule:
    """The rule that lets ``role`` fire ``action`` on ``ticket`` now; ``requester`` says
    whether a customer acting opened the ticket (rather than had it shared with them).

    Raises:
        NotAllowed: with a message for the user, when the table, the ticket or a tenant rule
            forbids it.
    """
    rule = rule_for(action, role)
    if rule is None:
        raise NotAllowed(lazy_gettext("This action is not available on this ticket."))
    if role is Role.PROVIDER and rule.handler_only and ticket.handler is not Handler.PROVIDER:
        raise NotAllowed(lazy_gettext("The marketplace has taken over this ticket."))
    if ticket.status not in rule.sources:
        raise NotAllowed(
            rule.wrong_status
            or lazy_gettext(
                "This cannot be done while the ticket is “%(status)s”.", status=ticket.status.label
            )
        )
    if role is Role.CUSTOMER and not requester and ticket.status in rule.requester_only:
        raise NotAllowed(lazy_gettext("Only the person who opened the ticket can do this."))
    for condition in rule.conditions:
        reason = condition(ticket, role, flags, now)
        if reason is not None:
            raise NotAllowed(reason)
    return rule


def allowed_actions(
    ticket: TicketState, role: Role, flags: Flags, now: datetime, *, requester: bool = True
) -> tuple[Action, ...]:
    """The actions ``role`` may fire on ``ticket`` now, in table order."""
    allowed = []
    for action in ACTIONS:
        try:
            check(action, ticket, role, flags, now, requester=requester)
        except NotAllowed:
            continue
        allowed.append(action)
    return tuple(allowed)


def reopen_window_open(flags: Flags, resolved_at: datetime | None, now: datetime) -> bool:
    """Whether a customer may still reopen a ticket resolved at ``resolved_at``."""
    if resolved_at is None:
        return True
    return now - resolved_at <= timedelta(days=flags.reopen_days)
