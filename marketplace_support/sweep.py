"""What happens by itself, run by ``flask support sweep`` (from cron, every minute):

- a provider that missed the first-response target: the ticket is escalated to the operator
  (an event the customer sees, a signal, a notification), once;
- a ticket that waits for the customer: a reminder after ``Flags.reminder_days``, then resolved
  for them ``Flags.auto_resolve_days`` later;
- a resolved ticket closes after ``Flags.auto_close_days``.

Escalations go out only while the tenant's team works, reminders only within the tenant's
business hours. Every action is claimed with a guarded ``UPDATE`` (the ticket must still be in
the state that calls for it), so sweeps running at once on several machines do each action
once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from . import actions, clock
from .actions import Change
from .models import EventKind, Ticket
from .sla import RUNNING
from .state import support
from .workflow import Handler, Status

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
        office = support.host.business_hours(tenant_id, None)
        open_now = office.is_open(now)
        if open_now:  # escalations and reminders go out within business hours only
            report.escalated += _each(
                tenant_id, now, _missed_first_response(now), Ticket.sla_escalated_at, _escalate
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
                _remind,
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
            _resolve,
        )
        report.closed += _each(
            tenant_id,
            now,
            and_(
                Ticket.status == Status.RESOLVED,
                Ticket.resolved_at <= now - timedelta(days=flags.auto_close_days),
            ),
            None,
            _close,
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
    apply: Callable[[Change], None],
) -> list[int]:
    """Claim and handle the tickets of ``tenant_id`` matching ``due``, one transaction each."""
    session = support.session
    ids = list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.tenant_id == tenant_id, due)
            .order_by(Ticket.id)
            .limit(BATCH)
        )
    )
    session.rollback()
    done = []
    for ticket_id in ids:
        # the claim: only one sweep finds the ticket still in the state that calls for this
        # (a status guard claims by itself: the change below moves the ticket out of ``due``)
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
        ticket = session.get(Ticket, ticket_id, populate_existing=True, with_for_update=True)
        assert ticket is not None
        actions.system_change(ticket, apply, now, support.flags(tenant_id))
        done.append(ticket_id)
    return done


def _escalate(change: Change) -> None:
    ticket = change.ticket
    ticket.escalated_at = change.moment
    # no reason of a person: pages and e-mails say why in the reader's language
    ticket.escalation_reason = None
    change.event(EventKind.ESCALATED, detail="first_response_missed")


def _remind(change: Change) -> None:
    change.event(EventKind.REMINDED)


def _resolve(change: Change) -> None:
    change.set_status(Status.RESOLVED, "auto_resolved")


def _close(change: Change) -> None:
    change.set_status(Status.CLOSED, "auto_closed")
