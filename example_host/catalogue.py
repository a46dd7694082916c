"""What every support page asks this marketplace for, kept in memory between requests: a
tenant's request types, worded texts, providers and staff.

The module asks the host adapter for them on nearly every page (the staff lists' filters, the
ticket pages' problem area and the people to assign, the operator's name), a statement each.
They change seldom, so each tenant row carries ``catalogue_version``, raised in the same
transaction as any change to them (a flush listener, below), and read with the logged-in
account (its tenant comes joined to it). A process keeps what it made per tenant, language and
version, in its app; a change made by another process has raised the version this one reads
next, so no page shows the catalogue as it was before a change committed before the page was
asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from .models import Provider, RequestType, Tenant, TenantText, User, db

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


#: What the catalogue holds, by the rows it is made of: a change to one of these rows raises
#: its tenant's version. An account counts only where it is staff (who it is, its name,
#: address, language, provider, operator): not its session token, changed at every login.
_MADE_OF: dict[type, tuple[str, ...] | None] = {
    RequestType: None,
    TenantText: None,
    Provider: None,
    User: ("tenant_id", "name", "email", "locale", "provider_id", "is_operator"),
    Tenant: ("default_locale",),  # the language of staff without one of their own
}


def _changes_catalogue(row: object) -> bool:
    if type(row) not in _MADE_OF:
        return False
    columns = _MADE_OF[type(row)]
    if columns is None:
        return True
    state = inspect(row)
    return any(state.attrs[column].history.has_changes() for column in columns)


@event.listens_for(Session, "before_flush")
def _raise_versions(session: Session, flush_context: Any, instances: Any) -> None:
    """A flush that adds, changes or removes a row the catalogue is made of raises its
    tenant's catalogue version, in the same transaction."""
    rows = [
        *(row for row in (*session.new, *session.deleted) if type(row) in _MADE_OF),
        *(row for row in session.dirty if _changes_catalogue(row)),
    ]
    changed = {row.id if isinstance(row, Tenant) else row.tenant_id for row in rows}
    if changed:
        session.execute(
            update(Tenant)
            .where(Tenant.id.in_(sorted(changed)))
            .values(catalogue_version=Tenant.catalogue_version + 1)
        )
