"""Keyset pagination: lists sorted by a few columns, all descending (newest, most urgent
first), or by a value the statement computes (a search's relevance, :class:`Computed`) and
the id.

A cursor names the sort values of the last row of the page before, so the next page is read
from the index where the last one ended, however long the list. A cursor comes back in an
address, where anyone can edit it: it is read strictly (the kind of each value must match its
sort key, each value must be one its column can hold) before the database sees it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, DateTime, Select, TypeDecorator, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .models import INTEGER_MAX
from .priorities import Priority

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: One value: its kind (a moment or a whole number) and ASCII digits; nothing else.
_PART = re.compile(r"([ti])(-?[0-9]{1,20})\Z")


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


def _decode_value(part: str, kind: str) -> Any:
    """Raises: ValueError, OverflowError (a moment beyond the calendar)."""
    match = _PART.match(part)
    if match is None or match.group(1) != kind:
        raise ValueError(part)
    number = int(match.group(2))
    if kind == "t":
        return _EPOCH + number * _MICROSECOND
    if not -INTEGER_MAX - 1 <= number <= INTEGER_MAX:
        raise ValueError(part)
    return number


@dataclass(frozen=True)
class Computed:
    """A sort key the statement computes: ``expression`` (a whole number, never NULL for the
    rows listed), loaded onto each row as its attribute ``attribute`` (a
    ``query_expression`` the caller fills with ``with_expression``), so the page link can
    name the last row's value."""

    expression: ColumnElement[int]
    attribute: str


#: a sort key: a mapped column, or a computed whole number
Key = InstrumentedAttribute[Any] | Computed


def _sql(key: Key) -> ColumnElement[Any]:
    if isinstance(key, Computed):
        return key.expression
    return key.expression


def _value(row: Any, key: Key) -> Any:
    return getattr(row, key.attribute if isinstance(key, Computed) else key.key)


def kind_of(key: Key) -> str:
    """The kind of value a sort key holds in a cursor: "t" a moment, "i" a whole number."""
    if isinstance(key, Computed):
        return "i"
    column_type = key.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return "t" if isinstance(column_type, DateTime) else "i"


def encode(values: Sequence[Any]) -> str:
    return ".".join(_encode_value(value) for value in values)


def decode(cursor: str, kinds: Sequence[str]) -> list[Any]:
    """The values of ``cursor``, one of each kind of ``kinds`` (see :func:`kind_of`).

    Raises: InvalidCursor: not a cursor we made for these keys (edited, truncated, another
        list's), or a value that no column of its kind can hold.
    """
    parts = cursor.split(".")
    if len(parts) != len(kinds):
        raise InvalidCursor(cursor)
    try:
        return [_decode_value(part, kind) for part, kind in zip(parts, kinds, strict=True)]
    except (ValueError, OverflowError) as error:
        raise InvalidCursor(cursor) from error


def newest_first(
    session: Session,
    query: Select[T],
    keys: Sequence[Key],
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
    columns = [_sql(key) for key in keys]
    if cursor:
        values = decode(cursor, [kind_of(key) for key in keys])
        # a row-value comparison, so the database reads on from the index where it stopped
        after = (
            tuple_(*columns) > tuple_(*values) if ascending else tuple_(*columns) < tuple_(*values)
        )
        query = query.where(after)
    order = [column.asc() if ascending else column.desc() for column in columns]
    ordered = query.order_by(*order).limit(size + 1)
    rows = list(session.scalars(ordered))
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode([_value(rows[-1], key) for key in keys])
    return Page(rows, next_cursor)
