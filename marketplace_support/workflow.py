"""Ticket statuses and the allowed transitions between them, as one table.

Who may fire a transition is data in :data:`TRANSITIONS`; the extra conditions a tenant sets
for customers (may they resolve, how long may they reopen) are the guards below. The service
layer asks :func:`check` before it changes a status; pages ask :func:`allowed_actions` to show
only buttons that work.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    def is_active(self) -> bool:
        """Active tickets are listed under "Open"; resolved and closed ones under "Closed"."""
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})

_STATUS_LABELS = {
    Status.OPEN: lazy_gettext("Open"),
    Status.IN_PROGRESS: lazy_gettext("In progress"),
    Status.WAITING_FOR_CUSTOMER: lazy_gettext("Waiting for your reply"),
    Status.RESOLVED: lazy_gettext("Resolved"),
    Status.CLOSED: lazy_gettext("Closed"),
}


class Role(enum.StrEnum):
    """The party an actor acts as on a ticket."""

    CUSTOMER = "customer"
    PROVIDER = "provider"
    OPERATOR = "operator"
    SYSTEM = "system"


class Action(enum.StrEnum):
    START = "start"
    WAIT_FOR_CUSTOMER = "wait_for_customer"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.START: lazy_gettext("Start work"),
    Action.WAIT_FOR_CUSTOMER: lazy_gettext("Wait for the customer"),
    Action.RESOLVE: lazy_gettext("Mark as resolved"),
    Action.CLOSE: lazy_gettext("Close"),
    Action.REOPEN: lazy_gettext("Reopen"),
}


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]


_STAFF = frozenset({Role.PROVIDER, Role.OPERATOR})
_EVERYONE = frozenset({Role.CUSTOMER, Role.PROVIDER, Role.OPERATOR})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Action.START,
        frozenset({Status.OPEN, Status.WAITING_FOR_CUSTOMER}),
        Status.IN_PROGRESS,
        _STAFF,
    ),
    Transition(
        Action.WAIT_FOR_CUSTOMER,
        frozenset({Status.OPEN, Status.IN_PROGRESS}),
        Status.WAITING_FOR_CUSTOMER,
        _STAFF,
    ),
    Transition(Action.RESOLVE, ACTIVE_STATUSES, Status.RESOLVED, _EVERYONE),
    Transition(
        Action.CLOSE, ACTIVE_STATUSES | {Status.RESOLVED}, Status.CLOSED, frozenset({Role.OPERATOR})
    ),
    Transition(Action.REOPEN, DONE_STATUSES, Status.OPEN, _EVERYONE),
)

_BY_ACTION = {t.action: t for t in TRANSITIONS}

#: A customer's message moves the ticket: an answer to a question puts it back in the
#: handler's court.
CUSTOMER_MESSAGE_MOVES = {Status.WAITING_FOR_CUSTOMER: Status.OPEN}

#: Statuses in which a customer may add information; on resolved or closed tickets they reopen.
CUSTOMER_MAY_WRITE = ACTIVE_STATUSES


class NotAllowed(Exception):
    """A transition that the table or a tenant rule does not allow; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check(
    action: Action,
    status: Status,
    role: Role,
    flags: Flags,
    resolved_at: datetime | None,
    now: datetime,
) -> Status:
    """The status ``action`` leads to from ``status`` when ``role`` fires it.

    Raises:
        NotAllowed: with a message for the user, when the table or a tenant rule forbids it.
    """
    transition = _BY_ACTION[action]
    if role not in transition.roles:
        raise NotAllowed(lazy_gettext("This action is not available on this ticket."))
    if status not in transition.sources:
        raise NotAllowed(
            lazy_gettext(
                "This cannot be done while the ticket is “%(status)s”.", status=status.label
            )
        )
    if role is Role.CUSTOMER:
        if action is Action.RESOLVE and not flags.customer_may_resolve:
            raise NotAllowed(lazy_gettext("On this marketplace, support marks tickets resolved."))
        if action is Action.REOPEN and not reopen_window_open(flags, resolved_at, now):
            raise NotAllowed(
                lazy_ngettext(
                    "This ticket was resolved more than %(num)d day ago and can no longer be "
                    "reopened. Please open a follow-up ticket.",
                    "This ticket was resolved more than %(num)d days ago and can no longer be "
                    "reopened. Please open a follow-up ticket.",
                    flags.reopen_days,
                )
            )
    return transition.target


def allowed_actions(
    status: Status, role: Role, flags: Flags, resolved_at: datetime | None, now: datetime
) -> list[Action]:
    """The actions ``role`` may fire now, in table order."""
    allowed = []
    for transition in TRANSITIONS:
        try:
            check(transition.action, status, role, flags, resolved_at, now)
        except NotAllowed:
            continue
        allowed.append(transition.action)
    return allowed


def reopen_window_open(flags: Flags, resolved_at: datetime | None, now: datetime) -> bool:
    """Whether a customer may still reopen a ticket resolved at ``resolved_at``."""
    if resolved_at is None:
        return True
    return now - resolved_at <= timedelta(days=flags.reopen_days)
