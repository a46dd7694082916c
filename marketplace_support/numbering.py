"""Ticket numbers: per tenant, from 1, without gaps from races and without a table scan.

One statement increments the tenant's counter row and returns the new value
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``). It runs inside the ticket's own
transaction, so the row stays locked until the ticket is committed or rolled back: concurrent
openers in one tenant wait for each other and never share a number, and a rolled-back ticket
gives its number back.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from .models import TicketCounter


def next_number(session: Session, tenant_id: str) -> int:
    """Allocate the next ticket number of ``tenant_id`` in the session's transaction."""
    statement = _increment(session.get_bind().dialect.name)
    return int(session.scalars(statement, {"tenant_id": tenant_id}).one())


@cache
def _increment(dialect: str) -> ReturningInsert[Any]:
    """The statement, made once per dialect, the tenant a parameter."""
    table = cast(Table, TicketCounter.__table__)
    insert: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        insert = postgresql.insert(table)
    elif dialect == "sqlite":
        insert = sqlite.insert(table)
    else:
        raise RuntimeError(f"marketplace_support supports PostgreSQL and SQLite, not {dialect}")
    return (
        insert.values(tenant_id=bindparam("tenant_id"), last_number=1)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
