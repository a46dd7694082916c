"""Keyset pagination over "most recent activity first" lists.

A cursor names the last row of the page before (its activity time and id), so the next page is
read from the index where the last one ended, however long the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")


class InvalidCursor(ValueError):
    """A page link that was not made by us (edited or truncated)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode(moment: datetime, row_id: int) -> str:
    return f"{(moment - _EPOCH) // _MICROSECOND}-{row_id}"


def decode(cursor: str) -> tuple[datetime, int]:
    """Raises: InvalidCursor."""
    try:
        micro, row_id = (int(part) for part in cursor.split("-"))
        return _EPOCH + micro * _MICROSECOND, row_id
    except (ValueError, OverflowError, OSError) as error:
        raise InvalidCursor(cursor) from error


def newest_first(
    session: Session,
    query: Select[T],
    moment_column: InstrumentedAttribute[datetime],
    id_column: InstrumentedAttribute[int],
    size: int,
    cursor: str | None,
) -> Page[T]:
    """One page of ``query``, newest ``moment_column`` first, after ``cursor``.

    Raises:
        InvalidCursor: ``cursor`` was not made by :func:`encode`.
    """
    if cursor:
        moment, row_id = decode(cursor)
        # a row-value comparison, so the database reads on from the index where it stopped
        query = query.where(tuple_(moment_column, id_column) < tuple_(moment, row_id))
    rows = list(
        session.scalars(query.order_by(moment_column.desc(), id_column.desc()).limit(size + 1))
    )
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode(getattr(last, moment_column.key), getattr(last, id_column.key))
    return Page(rows, next_cursor)
