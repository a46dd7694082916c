"""Keyset pagination: lists sorted by a few columns, all descending (newest, most urgent
first).

A cursor names the sort values of the last row of the page before, so the next page is read
from the index where the last one ended, however long the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .priorities import Priority

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class InvalidCursor(ValueError):
    """A page link that was not made by us (edited or truncated)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> str:
    if isinstance(value, datetime):
        return f"t{(value - _EPOCH) // _MICROSECOND}"
    if isinstance(value, Priority):
        return f"i{value.rank}"
    return f"i{int(value)}"


def _decode_value(part: str) -> Any:
    kind, number = part[:1], int(part[1:])
    if kind == "t":
        return _EPOCH + number * _MICROSECOND
    if kind == "i":
        return number
    raise ValueError(part)


def encode(values: Sequence[Any]) -> str:
    return ".".join(_encode_value(value) for value in values)


def decode(cursor: str, length: int) -> list[Any]:
    """Raises: InvalidCursor."""
    try:
        values = [_decode_value(part) for part in cursor.split(".")]
    except (ValueError, OverflowError, IndexError) as error:
        raise InvalidCursor(cursor) from error
    if len(values) != length:
        raise InvalidCursor(cursor)
    return values


def newest_first(
    session: Session,
    query: Select[T],
    keys: Sequence[InstrumentedAttribute[Any]],
    size: int,
    cursor: str | None,
    *,
    ascending: bool = False,
) -> Page[T]:
    """One page of ``query`` sorted by ``keys`` (all descending, or all ``ascending``), after
    ``cursor``. The keys must not be NULL for the rows listed; the last must be unique (the id).

    Raises:
        InvalidCursor: ``cursor`` was not made by :func:`encode` for these keys.
    """
    if cursor:
        values = decode(cursor, len(keys))
        # a row-value comparison, so the database reads on from the index where it stopped
        after = tuple_(*keys) > tuple_(*values) if ascending else tuple_(*keys) < tuple_(*values)
        query = query.where(after)
    order = [key.asc() if ascending else key.desc() for key in keys]
    ordered = query.order_by(*order).limit(size + 1)
    rows = list(session.scalars(ordered))
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode([getattr(rows[-1], key.key) for key in keys])
    return Page(rows, next_cursor)
