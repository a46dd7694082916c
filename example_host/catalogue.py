"""What every support page asks this marketplace for, kept in memory between requests: the
operator's request types and worded texts of a tenant.

The module asks the host adapter for them on every page (the staff lists' filters, the ticket
pages' problem area, the operator's name), a statement each. They change only when the
operator edits them, so each tenant row carries ``catalogue_version``, raised in the same
transaction as any change to either (a flush listener, below), and read with the logged-in
account (its tenant comes joined to it). A process keeps what it made per tenant, language and
version, in its app; a change made by another process has raised the version this one reads
next, so no page shows the catalogue as it was before a change committed before the page was
asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from .models import RequestType, Tenant, TenantText, db

T = TypeVar("T")

#: the app's kept answers: (what, tenant id, language) -> (version, answer)
_KEPT = "example_host.catalogue"


def kept(what: str, tenant_id: str, locale: str, make: Callable[[], T]) -> T:
    """``make()`` for ``tenant_id`` and ``locale``, made once per version of the tenant's
    catalogue; an unknown tenant's is made every time."""
    tenant = db.session.get(Tenant, tenant_id)  # the account's tenant: no statement
    if tenant is None:
        return make()
    store: dict[tuple[str, str, str], tuple[int, Any]] = current_app.extensions.setdefault(
        _KEPT, {}
    )
    key = (what, tenant_id, locale)
    found = store.get(key)
    if found is not None and found[0] == tenant.catalogue_version:
        answer: T = found[1]
        return answer
    answer = make()
    store[key] = (tenant.catalogue_version, answer)
    return answer


@event.listens_for(Session, "before_flush")
def _raise_versions(session: Session, flush_context: Any, instances: Any) -> None:
    """A flush that adds, changes or removes a request type or a text raises its tenant's
    catalogue version, in the same transaction."""
    changed = {
        row.tenant_id
        for row in (*session.new, *session.dirty, *session.deleted)
        if isinstance(row, RequestType | TenantText)
    }
    if changed:
        session.execute(
            update(Tenant)
            .where(Tenant.id.in_(sorted(changed)))
            .values(catalogue_version=Tenant.catalogue_version + 1)
        )
