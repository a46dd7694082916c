"""Response targets: how long a provider (or the marketplace) may take to answer and to resolve
a ticket, counted in business hours, paused while the ticket waits for the customer.

Each ticket carries two clocks, for the first response and for the resolution. Both count the
business minutes of the calendar of whoever handles the ticket (the provider's hours where the
host gives them, else the tenant's). They run while the ticket is Open or In progress, pause
while it waits for the customer, and stop when it is resolved or closed; the first-response
clock stops at the first reply the customer can see. After every change, :func:`update`
counts the time since the last one (in the calendar that applied then), and sets the due
times again; lists sort and filter by them in SQL.
"""

from __future__ import annotations

from datetime import datetime

from .business_hours import BusinessHours
from .host import DEFAULT_SLA_TARGETS, Targets
from .models import Ticket
from .priorities import Priority
from .state import support
from .workflow import RUNNING, Handler, Status


def targets(tenant_id: str, service_plan: str | None, priority: Priority) -> Targets:
    """The targets of ``priority`` for a ticket of ``service_plan``, in hours.

    A lower priority never gets a shorter target than a higher one: each target is at least
    the longest target of the priorities above it, whatever the host's table says. A priority
    the host's table leaves out takes the targets of those above it (or, with none above, the
    shortest below it); an empty table gives the seed's defaults.
    """
    table = {
        Priority(key): value
        for key, value in support.host.sla_targets(tenant_id, service_plan).items()
    }
    if not table:
        table = {Priority(key): Targets(**hours) for key, hours in DEFAULT_SLA_TARGETS.items()}
    above = [table[p] for p in Priority if p.rank >= priority.rank and p in table]
    if not above:
        below = list(table.values())
        return Targets(
            first_response=min(t.first_response for t in below),
            resolution=min(t.resolution for t in below),
        )
    return Targets(
        first_response=max(t.first_response for t in above),
        resolution=max(t.resolution for t in above),
    )


def calendar(ticket: Ticket) -> BusinessHours:
    """The hours that count for ``ticket``: its provider's, or the tenant's."""
    provider = ticket.provider_id if ticket.handler is Handler.PROVIDER else None
    return support.business_hours(ticket.tenant_id, provider)


def start(ticket: Ticket, moment: datetime) -> None:
    """Start the clocks of a new ticket."""
    set_targets(ticket)
    ticket.sla_first_response_elapsed = 0.0
    ticket.sla_resolution_elapsed = 0.0
    ticket.sla_since = moment
    _set_due(ticket, moment, calendar(ticket))


def set_targets(ticket: Ticket) -> None:
    """Take the targets for the ticket's plan and priority (again, after a priority change)."""
    chosen = targets(ticket.tenant_id, ticket.service_plan, ticket.priority)
    ticket.sla_first_response_target = chosen.first_response * 60
    ticket.sla_resolution_target = chosen.resolution * 60


def update(ticket: Ticket, moment: datetime, before: BusinessHours, *, responded: bool) -> None:
    """After a change: count the time since the last change in ``before`` (the calendar that
    applied until now), note a first response or a resolution, then run or pause the clocks."""
    if ticket.sla_since is not None:
        spent = before.between(ticket.sla_since, moment)
        if ticket.first_responded_at is None:
            ticket.sla_first_response_elapsed += spent
        ticket.sla_resolution_elapsed += spent
    if responded and ticket.first_responded_at is None:
        ticket.first_responded_at = moment
        ticket.first_response_minutes = ticket.sla_first_response_elapsed
        ticket.first_response_breached = (
            ticket.sla_first_response_elapsed > ticket.sla_first_response_target
        )
    if ticket.status is Status.RESOLVED:
        ticket.resolution_minutes = ticket.sla_resolution_elapsed
        ticket.resolution_breached = ticket.sla_resolution_elapsed > ticket.sla_resolution_target
    if ticket.status is Status.WAITING_FOR_CUSTOMER:
        ticket.waiting_since = ticket.waiting_since or moment
    else:
        ticket.waiting_since = None
        ticket.reminded_at = None
    ticket.sla_since = moment if ticket.status in RUNNING else None
    _set_due(ticket, moment, calendar(ticket))


def _set_due(ticket: Ticket, moment: datetime, hours: BusinessHours) -> None:
    running = ticket.sla_since is not None
    if running and ticket.first_responded_at is None:
        ticket.first_response_due_at = _due(
            hours,
            moment,
            ticket.sla_first_response_target,
            ticket.sla_first_response_elapsed,
            ticket.first_response_due_at,
        )
    elif ticket.first_responded_at is None:
        ticket.first_response_due_at = None
    if running:
        ticket.resolution_due_at = _due(
            hours,
            moment,
            ticket.sla_resolution_target,
            ticket.sla_resolution_elapsed,
            ticket.resolution_due_at,
        )
    else:
        ticket.resolution_due_at = None
    waiting_for_first = ticket.first_response_due_at if ticket.first_responded_at is None else None
    dues = [d for d in (waiting_for_first, ticket.resolution_due_at) if d is not None]
    ticket.next_due_at = min(dues) if dues and running else None


def _due(
    hours: BusinessHours, moment: datetime, target: float, elapsed: float, earlier: datetime | None
) -> datetime:
    left = target - elapsed
    if left > 0:
        return hours.add(moment, left)
    # already past the target: the moment it passed stays the due time
    return earlier if earlier is not None and earlier <= moment else moment


def is_overdue(due: datetime | None, now: datetime) -> bool:
    return due is not None and due <= now
