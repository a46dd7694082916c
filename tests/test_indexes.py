"""Every list reads its page from an index that matches its filter and its order, so a page
costs the same on the first day and after years of tickets (checked with SQLite's planner)."""

from __future__ import annotations

import pytest

from .conftest import host_app, login
from .helpers import open_ticket

# seeds tickets in a database of its own per case and asks SQLite for plans
pytestmark = pytest.mark.slow


@pytest.fixture
def app(tmp_path, marketplace):
    """The test app on SQLite, also in PostgreSQL runs: the plans are a property of our index
    definitions, and SQLite's planner shows them without statistics."""
    with host_app(f"sqlite:///{tmp_path}/plans.db", marketplace, SUPPORT_PAGE_SIZE=5) as app:
        yield app


def plans(app, counter):
    """SQLite's plan of each SELECT on support_ticket that a page sent."""
    engine = app.extensions["sqlalchemy"].engine
    found = []
    with engine.connect() as connection:
        for statement, parameters in zip(counter.statements, counter.parameters, strict=True):
            if statement.lstrip().startswith("SELECT") and "FROM support_ticket" in statement:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                found.append(" / ".join(row[3] for row in rows))
    return found


@pytest.mark.parametrize(
    ("user", "url", "index"),
    [
        ("alice", "/support/", "ix_support_ticket_requester_activity"),
        ("pete", "/support/provider/", "ix_support_ticket_provider_activity"),
        ("pete", "/support/provider/?sort=priority", "ix_support_ticket_provider_priority"),
        ("olive", "/support/operator/", "ix_support_ticket_tenant_activity"),
        ("olive", "/support/operator/?sort=priority", "ix_support_ticket_tenant_priority"),
    ],
)
def test_list_pages_read_from_an_index_in_their_order(app, client, count_queries, user, url, index):
    login(client, "alice")
    for _ in range(7):
        open_ticket(client)
    login(client, user)
    first = client.get(url).get_data(as_text=True)
    after = first.split("after=")[1].split('"')[0].replace("&amp;", "&")
    with count_queries() as counter:
        assert client.get(f"{url}{'&' if '?' in url else '?'}after={after}").status_code == 200
    page, *counts = plans(app, counter)
    assert index in page and "TEMP B-TREE FOR ORDER BY" not in page, page
    if user == "alice":  # a customer's counts: their own tickets' entries, and the shared ones
        own, shared = counts
        assert "ix_support_ticket_requester_status" in own, own
        assert shared.startswith("SEARCH support_ticket USING INTEGER PRIMARY KEY"), shared
        assert "ix_support_ticket_organisation_shared" in shared, shared
        return
    for count in counts:  # staff counts only the unresolved tickets' entries
        assert "_status (" in count and "status=?" in count, count
