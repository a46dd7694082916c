"""Keyset pagination: lists sorted by a few columns, all descending (newest, most urgent
first) or all ascending, or by a value the statement computes or joins (a search's relevance,
an answer's choice: :class:`Computed`) and the id.

A cursor names the sort values of the last row of the page before, so the next page is read
from the index where the last one ended, however long the list. A cursor comes back in an
address, where anyone can edit it: it is read strictly (the kind of each value must match its
sort key, each value must be one its column can hold) before the database sees it.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, DateTime, Result, Select, String, TypeDecorator, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .host import KEY
from .models import INTEGER_MAX
from .priorities import Priority

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: One value: its kind (a moment or a whole number) and ASCII digits; nothing else (a key
#: is read by ``_KEY``).
_PART = re.compile(r"([ti])(-?[0-9]{1,20})\Z")
#: A key (a choice of a request type's question): lowercase letters, digits and _.
_KEY = re.compile(rf"s({KEY})\Z")


class InvalidCursor(ValueError):
    """A page link that was not made by us (edited or truncated)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> str:
    if isinstance(value, datetime):
        return f"t{(value - _EPOCH) // _MICROSECOND}"
    if isinstance(value, Priority):  # a str too: sorted by its rank
        return f"i{value.rank}"
    if isinstance(value, str):
        return f"s{value}"
    return f"i{int(value)}"


def _decode_value(part: str, kind: str) -> Any:
    """Raises: ValueError, OverflowError (a moment beyond the calendar)."""
    if kind == "s":
        key = _KEY.match(part)
        if key is None:
            raise ValueError(part)
        return key.group(1)
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
    """A sort key that is not a column of the rows listed: ``expression`` (a value the
    statement computes, as a search's relevance, or a joined table's column, as the choice
    of an answer; never NULL for the rows listed), read as the row's column ``attribute``
    (the expression labelled so, or a column of the row equal to it), so the page link can
    name the last row's value. Its kind in a cursor follows the expression's type, as a
    column's does."""

    expression: ColumnElement[Any]
    attribute: str


#: a sort key: a mapped column of the rows, or a :class:`Computed` one
Key = InstrumentedAttribute[Any] | Computed


def _sql(key: Key) -> ColumnElement[Any]:
    return key.expression


def _value(row: Any, key: Key) -> Any:
    return getattr(row, key.attribute if isinstance(key, Computed) else key.key)


def kind_of(key: Key) -> str:
    """The kind of value a sort key holds in a cursor: "t" a moment, "s" a key (text), "i" a
    whole number."""
    column_type = _sql(key).type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, DateTime):
        return "t"
    return "s" if isinstance(column_type, String) else "i"


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


def page_statement(
    query: Select[T], keys: Sequence[Key], size: int, cursor: str | None, *, ascending: bool = False
) -> Select[T]:
    """The statement of one page of ``query`` sorted by ``keys`` (all descending, or all
    ``ascending``), after ``cursor``: run it with :func:`read_page` (once made, it can be run
    again). The keys must not be NULL for the rows listed; the last must be unique (the id).

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
    return query.order_by(*order).limit(size + 1)


def plain_rows(result: Result[Any]) -> list[Any]:
    """The rows of ``result`` as named tuples: the same fields by name, read as fast as an
    object's. A template reads a SQLAlchemy ``Row``'s field through ``__getattr__``, after
    the ordinary lookup failed (about 0.25 µs more a field: 0.1 ms of a 20-row list's
    rendering, measured on the operator console)."""
    return [*map(row_type(tuple(result.keys())), result)]


@lru_cache(maxsize=64)
def row_type(fields: tuple[str, ...]) -> Callable[[Iterable[Any]], tuple[Any, ...]]:
    """The named tuple of a statement's fields (its maker), made once for each shape of row."""
    made: Any = namedtuple("Row", fields)  # type: ignore[misc]  # the fields are the statement's
    return cast(Callable[[Iterable[Any]], tuple[Any, ...]], made._make)


def read_page(
    session: Session,
    statement: Select[Any],
    keys: Sequence[Key],
    size: int,
    params: Mapping[str, Any] | None = None,
) -> Page[Any]:
    """The page :func:`page_statement` made ``statement`` for (``size`` rows at most), as
    rows (:func:`plain_rows`), and the cursor of the page after it (None: this is the last).
    The rows hold each key's value under its name (a column's key, or a :class:`Computed`
    key's attribute)."""
    rows = plain_rows(session.execute(statement, params))
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode([_value(rows[-1], key) for key in keys])
    return Page(rows, next_cursor)
