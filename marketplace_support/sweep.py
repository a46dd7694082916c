"""What happens by itself, run by ``flask support sweep`` (from cron, every minute):

- a provider that missed the first-response target: the ticket is escalated to the operator
  (an event the customer sees, a signal, a notification), once;
- a ticket that waits for the customer: a reminder after ``Flags.reminder_days``, then resolved
  for them ``Flags.auto_resolve_days`` later;
- a resolved ticket closes after ``Flags.auto_close_days``.

Each is a system action of the workflow table (``Role.SYSTEM``), fired through
``actions.act`` like anyone's: checked, recorded, announced and notified the same way.

Escalations go out only while the tenant's team works, reminders only within the tenant's
business hours. Every action is claimed with a guarded ``UPDATE`` (the ticket must still be in
the state that calls for it), so sweeps running at once on several machines do each action
once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from . import actions, clock
from .models import Ticket
from .state import support
from .workflow import RUNNING, Action, Handler, NotAllowed, Role, Status

#: how many tickets of each kind one sweep handles (the next sweep takes the rest)
BATCH = 200


@dataclass
class SweepReport:
    escalated: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.escalated) + len(self.reminded) + len(self.resolved) + len(self.closed)


def sweep() -> SweepReport:
    """One pass over every tenant; safe to run at any time, from several machines at once."""
    now = clock.now()
    report = SweepReport()
    session = support.session
    tenants = list(
        session.scalars(
            select(Ticket.tenant_id)
            .where(Ticket.status.in_([*RUNNING, Status.WAITING_FOR_CUSTOMER, Status.RESOLVED]))
            .distinct()
        )
    )
    session.rollback()
    for tenant_id in tenants:
        flags = support.flags(tenant_id)
        office = support.business_hours(tenant_id, None)
        open_now = office.is_open(now)
        if open_now:  # escalations and reminders go out within business hours only
            report.escalated += _each(
                tenant_id,
                now,
                _missed_first_response(now),
                Ticket.sla_escalated_at,
                Action.ESCALATE_OVERDUE,
            )
            waited = now - timedelta(days=flags.reminder_days)
            report.reminded += _each(
                tenant_id,
                now,
                and_(
                    Ticket.status == Status.WAITING_FOR_CUSTOMER,
                    Ticket.waiting_since <= waited,
                    Ticket.reminded_at.is_(None),
                ),
                Ticket.reminded_at,
                Action.REMIND,
            )
        given_up = now - timedelta(days=flags.reminder_days + flags.auto_resolve_days)
        report.resolved += _each(
            tenant_id,
            now,
            and_(
                Ticket.status == Status.WAITING_FOR_CUSTOMER,
                Ticket.waiting_since <= given_up,
                Ticket.reminded_at.is_not(None),
            ),
            None,
            Action.AUTO_RESOLVE,
        )
        report.closed += _each(
            tenant_id,
            now,
            and_(
                Ticket.status == Status.RESOLVED,
                Ticket.resolved_at <= now - timedelta(days=flags.auto_close_days),
            ),
            None,
            Action.AUTO_CLOSE,
        )
    return report


def _missed_first_response(now: datetime) -> ColumnElement[bool]:
    return and_(
        Ticket.handler == Handler.PROVIDER,
        Ticket.status.in_(RUNNING),
        Ticket.first_responded_at.is_(None),
        Ticket.first_response_due_at <= now,
        Ticket.escalated_at.is_(None),
        Ticket.sla_escalated_at.is_(None),
    )


def _each(
    tenant_id: str,
    now: datetime,
    due: ColumnElement[bool],
    mark: InstrumentedAttribute[datetime | None] | None,
    action: Action,
) -> list[int]:
    """Claim the tickets of ``tenant_id`` matching ``due`` and fire ``action`` on each, one
    transaction each."""
    session = support.session
    found = list(
        session.execute(
            select(Ticket.id, Ticket.number)
            .where(Ticket.tenant_id == tenant_id, due)
            .order_by(Ticket.id)
            .limit(BATCH)
        )
    )
    session.rollback()
    done = []
    for ticket_id, number in found:
        # the claim: only one sweep finds the ticket still in the state that calls for this
        # (a status guard claims by itself: the action moves the ticket out of ``due``)
        values: dict[str, object] = {"updated_at": Ticket.updated_at}
        if mark is not None:
            values = {mark.key: now}
        claimed = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, due)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            session.rollback()
            continue
        try:
            actions.act(tenant_id, None, Role.SYSTEM, number, action, {})
        except NotAllowed:  # the table says no (the ticket changed): nothing is written
            continue
        done.append(ticket_id)
    return done
