"""How providers keep their response targets over a period, computed by SQL aggregates.

For the tickets opened in the period, per provider (and for the marketplace's own tickets):
the median business time to the first response and to the resolution, the share of targets
missed, and how many resolved tickets were reopened. Three statements, whatever the number of
tickets: the totals, and one median each (a window-function median that SQLite and PostgreSQL
both run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from . import access
from .clock import now
from .host import Actor
from .i18n import lazy_gettext
from .models import Ticket
from .schemas import InvalidInput, PeriodSchema, load
from .state import support
from .workflow import Role


@dataclass(frozen=True)
class Score:
    #: None: tickets the marketplace handles itself
    provider_id: str | None
    provider_name: str | None
    tickets: int
    #: medians in minutes of business time
    first_response_median: float | None
    resolution_median: float | None
    #: shares between 0 and 1; None when nothing could be measured yet
    breached_share: float | None
    reopen_rate: float | None


def scorecard(
    tenant_id: str, actor: Actor, role: Role, start: datetime, end: datetime
) -> list[Score]:
    """The scores of the tickets ``actor`` sees as ``role`` (the operator: every provider's;
    a provider: its own) that were opened from ``start`` to ``end``."""
    condition = and_(
        access.visible(tenant_id, actor, role),
        Ticket.created_at >= start,
        Ticket.created_at < end,
    )
    session = support.session

    def counted(flag: InstrumentedAttribute[bool | None]) -> tuple[ColumnElement[int], ...]:
        return (func.sum(cast(flag, Integer)), func.count(flag))

    was_resolved = or_(Ticket.resolution_minutes.is_not(None), Ticket.reopen_count > 0)
    totals = session.execute(
        select(
            Ticket.provider_id,
            func.max(Ticket.provider_name),
            func.count(),
            *counted(Ticket.first_response_breached),
            *counted(Ticket.resolution_breached),
            func.sum(case((Ticket.reopen_count > 0, 1), else_=0)),
            func.sum(case((was_resolved, 1), else_=0)),
        )
        .where(condition)
        .group_by(Ticket.provider_id)
    ).all()
    first = _medians(Ticket.first_response_minutes, condition)
    resolution = _medians(Ticket.resolution_minutes, condition)
    scores = []
    for row in totals:
        values: tuple[Any, ...] = tuple(row)
        provider, name, tickets, fr_missed, fr_known, res_missed, res_known, reopened, resolved = (
            values
        )
        known = (fr_known or 0) + (res_known or 0)
        scores.append(
            Score(
                provider_id=provider,
                provider_name=name,
                tickets=tickets,
                first_response_median=first.get(provider),
                resolution_median=resolution.get(provider),
                breached_share=((fr_missed or 0) + (res_missed or 0)) / known if known else None,
                reopen_rate=(reopened or 0) / resolved if resolved else None,
            )
        )
    return sorted(scores, key=lambda score: (score.provider_id is None, score.provider_name or ""))


def _medians(
    column: InstrumentedAttribute[float | None], condition: ColumnElement[bool]
) -> dict[str | None, float]:
    ranked = (
        select(
            Ticket.provider_id.label("provider"),
            column.label("value"),
            func.row_number()
            .over(partition_by=Ticket.provider_id, order_by=column)
            .label("position"),
            func.count().over(partition_by=Ticket.provider_id).label("size"),
        )
        .where(condition, column.is_not(None))
        .subquery()
    )
    # the middle row, or the two middle rows of an even count
    middle = or_(
        ranked.c.position == (ranked.c.size + 1) // 2,
        ranked.c.position == (ranked.c.size + 2) // 2,
    )
    rows = support.session.execute(
        select(ranked.c.provider, func.avg(ranked.c.value))
        .where(middle)
        .group_by(ranked.c.provider)
    )
    return {provider: float(value) for provider, value in rows}


@dataclass(frozen=True)
class Period:
    """The days a scorecard covers (both count), and the moments they begin and end."""

    first: date
    last: date
    start: datetime
    end: datetime


def period(tenant_id: str, params: Mapping[str, Any]) -> Period:
    """The period a page's query string asks for (``from``, ``to``): by default the last 30
    days, in the tenant's time zone.

    Raises:
        InvalidInput: a day that is not a date or not from ``schemas.FIRST_DAY`` to
            ``schemas.LAST_DAY`` (where a period's moments would leave the calendar), or a
            first day after the last.
    """
    days, errors = load(PeriodSchema(), params)
    zone = support.business_hours(tenant_id, None).zone
    last = days.get("end") or now().astimezone(zone).date()
    first = days.get("start") or last - timedelta(days=29)
    if not errors and first > last:
        errors = {"from": [lazy_gettext("The first day must not be after the last.")]}
    if errors:
        raise InvalidInput(errors)
    return Period(
        first,
        last,
        datetime.combine(first, time(), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=zone),
    )
