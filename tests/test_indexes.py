"""Every list reads its page from an index that matches its filter and its order, and the staff
lists' counts read the active tickets' entries alone, so a page costs the same on the first day
and after years of tickets (checked with SQLite's planner, and with PostgreSQL's on a table of
many closed tickets when the suite runs on PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace_support import Category, FieldChoice, FieldKind, Flags, RequestField, SupportBase

from .conftest import SERVER_URL, fresh_postgres_database, host_app, login
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
    # one statement of counts beside the page (the console's queues in it too)
    (counts,) = counts
    if user == "alice":  # a customer's counts: their own tickets' entries, and the shared ones
        own, shared = counts.split(" / UNION ALL / ", 1)
        assert "ix_support_ticket_requester_status" in own, counts
        assert "SEARCH support_ticket USING INTEGER PRIMARY KEY" in shared, counts
        # the organisation's shared tickets from the index alone, the reader's own left out in
        # it: the ranges before and after their entries, not a read of each of them
        organisation = "COVERING INDEX ix_support_ticket_organisation_shared"
        assert f"{organisation} (tenant_id=? AND organisation_id=?" in shared, counts
        assert "requester_user_id<?)" in shared and "requester_user_id>?)" in shared, counts
        return
    # staff counts only the unresolved tickets' entries
    assert "_active (" in counts and "status=?" in counts, counts


# -- PostgreSQL -----------------------------------------------------------------------------------

#: A closed copy of each ticket there is, ``g`` times over: history that the counts must not read.
_HISTORY = """
INSERT INTO support_ticket ({columns})
SELECT {values} FROM support_ticket, generate_series(1, :copies) AS g
"""


def add_closed_history(engine, copies):
    columns = [
        c.name for c in SupportBase.metadata.tables["support_ticket"].columns if c.name != "id"
    ]
    changed = {
        "number": "number + 1000 * g",
        "submission_key": "left(submission_key, 50) || '-' || g",
        "status": "'closed'",
        "closed_at": "updated_at",
    }
    values = [changed.get(name, name) for name in columns]
    with engine.begin() as connection:
        # committed to disk, and with it every commit before it: the test databases do not wait
        # for the WAL (conftest), and VACUUM cannot mark a row visible to all until its commit
        # is on disk (the index-only scans below need the visibility map)
        connection.execute(sa.text("SET LOCAL synchronous_commit = on"))
        connection.execute(
            sa.text(_HISTORY.format(columns=", ".join(columns), values=", ".join(values))),
            {"copies": copies},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE support_ticket"))


@pytest.fixture
def pg_app(marketplace):
    if SERVER_URL is None:
        pytest.skip("PostgreSQL's plans: set SUPPORT_TEST_DATABASE_URL to a PostgreSQL server")
    with fresh_postgres_database(SERVER_URL) as url:
        engine = sa.create_engine(url)
        SupportBase.metadata.create_all(engine)
        engine.dispose()
        with host_app(url, marketplace, SUPPORT_PAGE_SIZE=5) as app:
            yield app
            with app.app_context():
                app.extensions["sqlalchemy"].engine.dispose()


def opened_by_alice(pg_app, count):
    """``count`` tickets opened by Alice (logged in on the client returned); the client and the
    app's engine."""
    client = pg_app.test_client()
    login(client, "alice")
    for _ in range(count):
        open_ticket(client)
    with pg_app.app_context():
        engine = pg_app.extensions["sqlalchemy"].engine
    return client, engine


def alices_tickets_with_history(pg_app, copies):
    """Seven tickets opened by Alice (logged in on the client returned), and a closed copy of
    each ``copies`` times over; the client and the app's engine."""
    client, engine = opened_by_alice(pg_app, 7)
    add_closed_history(engine, copies=copies)
    return client, engine


def pg_count_plans(engine, ask):
    """PostgreSQL's plan (run) of each count that ``ask()`` sent to ``engine``."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and "count(*)" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        ask()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as connection:
        return [
            "\n".join(
                row[0]
                for row in connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters
                )
            )
            for statement, parameters in sent
        ]


def test_the_filter_by_an_answer_reads_the_answers_index(app, client, count_queries, marketplace):
    """The lists' filter by the answer to a "one choice" question finds its tickets in the
    index of the answers (tenant, question, choice) and pages them on the list's own index."""
    marketplace.categories["t1"] = [
        Category(
            "no_connection",
            "No connection",
            fields=(
                RequestField(
                    "lights",
                    FieldKind.CHOICE,
                    {"en": "Lights"},
                    required=True,
                    choices=(
                        FieldChoice("red", {"en": "Red"}),
                        FieldChoice("green", {"en": "Green"}),
                    ),
                ),
            ),
        )
    ]
    login(client, "alice")
    for colour in ("red", "green") * 4:
        open_ticket(client, category="no_connection", issue_about=None, **{"answer-lights": colour})
    login(client, "pete")
    with count_queries() as counter:
        assert client.get("/support/provider/?answer=lights:red").status_code == 200
    page, *_counts = plans(app, counter)
    assert "ix_support_ticket_answer_choice" in page, page
    assert "ix_support_ticket_provider_activity" in page and "TEMP B-TREE" not in page, page
    # sorted by the answer: read in the answers' index order, no sort of its own
    first = client.get("/support/provider/?sort=answer:lights").get_data(as_text=True)
    after = first.split("after=")[1].split('"')[0].replace("&amp;", "&")
    with count_queries() as counter:
        url = f"/support/provider/?sort=answer:lights&after={after}"
        assert client.get(url).status_code == 200
    page, *_counts = plans(app, counter)
    assert "ix_support_ticket_answer_choice" in page and "TEMP B-TREE" not in page, page


@pytest.mark.parametrize(
    ("user", "url", "index", "rows"),
    [
        ("pete", "/support/provider/", "ix_support_ticket_provider_active", [7]),
        # per status and per queue in one statement
        ("olive", "/support/operator/", "ix_support_ticket_tenant_active", [7]),
        # a queue filters the list: its counts per status (none escalated), then every queue's
        ("olive", "/support/operator/?queue=escalated", "ix_support_ticket_tenant_active", [0, 7]),
    ],
)
def test_on_postgresql_staff_counts_read_only_the_active_tickets_index(
    pg_app, user, url, index, rows
):
    """With 20 closed tickets for each active one, the counts beside the staff lists (per
    status; the console's per queue too) read the partial index of active tickets alone, from
    the index only (no table row), whatever the history."""
    client, engine = alices_tickets_with_history(pg_app, copies=20)
    login(client, user)
    statuses = []
    found = pg_count_plans(engine, lambda: statuses.append(client.get(url).status_code))
    assert statuses == [200]
    assert len(found) == len(rows), found
    for plan, read in zip(found, rows, strict=True):
        assert f"Index Only Scan using {index}" in plan, plan
        assert "Heap Fetches: 0" in plan, plan
        # the active tickets' entries (7, or those of the queue) and not the closed ones
        assert f"rows={read} " in plan or f"rows={read})" in plan, plan


def test_on_postgresql_a_search_reads_the_text_search_indexes(pg_app):
    """Searching what people wrote reads the GIN indexes of the tickets' text and of the
    messages (search.py writes the indexes' own expression): 20,000 messages about other
    things are not read."""
    client, engine = opened_by_alice(pg_app, 3)
    with engine.begin() as connection:  # a conversation of 20,000 messages about other things
        connection.execute(
            sa.text(
                "INSERT INTO support_message (tenant_id, ticket_id, author_user_id, author_name,"
                " author_role, body, internal, created_at)"
                " SELECT 't1', 1 + n % 3, 'pete', 'Pete', 'provider',"
                " 'Routine maintenance window number ' || n, false, now()"
                " FROM generate_series(1, 20000) AS n"
            )
        )
        # and 20,000 tickets like the first (about other things)
        columns = [
            c.name
            for c in SupportBase.metadata.tables["support_ticket"].columns
            if c.name not in ("id", "number", "submission_key")
        ]
        listed = ", ".join(columns)
        connection.execute(
            sa.text(
                f"INSERT INTO support_ticket ({listed}, number, submission_key)"
                f" SELECT {listed}, 100 + n, 'copy-' || n FROM support_ticket,"
                " generate_series(1, 20000) AS n WHERE id = 1"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE support_message"))
        connection.execute(sa.text("VACUUM ANALYZE support_ticket"))
    login(client, "olive")
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "websearch_to_tsquery" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/support/operator/?status=all&q=certificates").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert sent
    with engine.connect() as connection:
        # as a prepared statement's plan for any words: the index's expression holds no
        # parameter of the search
        connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql(f"EXPLAIN (COSTS OFF) {sent[0][0]}", sent[0][1])
        )
    assert "ix_support_message_search" in plan, plan
    assert "ix_support_ticket_search" in plan, plan
    # a part of a subject (ILIKE '%...%'): the trigram index (a file's name has one too; with
    # three files here, reading them is cheaper)
    assert "ix_support_ticket_subject_trgm" in plan, plan
    # a word typed wrong: words like it in the subjects and the conversation, from their
    # trigram indexes (the list sorted by best match, as a search is by default)
    sent.clear()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/support/operator/?status=all&q=certificats").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    [listed] = [(s, p) for s, p in sent if "word_similarity" in s]
    with engine.connect() as connection:
        connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql(f"EXPLAIN (COSTS OFF) {listed[0]}", listed[1])
        )
    for index in (
        "ix_support_message_body_trgm",
        "ix_support_ticket_subject_trgm",
        "ix_support_ticket_issue_about_trgm",
        "ix_support_message_search",
        "ix_support_ticket_search",
    ):
        assert index in plan, plan


@pytest.mark.parametrize(
    ("user", "url", "index"),
    [
        ("olive", "/support/operator/scorecard", "ix_support_ticket_tenant_opened"),
        ("pete", "/support/provider/scorecard", "ix_support_ticket_provider_opened"),
    ],
)
def test_a_scorecard_reads_the_tickets_of_its_period_from_an_index(
    app, client, count_queries, user, url, index
):
    """Not every ticket of the tenant: a marketplace's history grows for years."""
    login(client, "alice")
    open_ticket(client)
    login(client, user)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    found = [plan for plan in plans(app, counter) if "support_ticket" in plan]
    assert found and all(index in plan for plan in found), found


def test_on_postgresql_a_customer_s_shared_count_skips_their_own_tickets(pg_app, marketplace):
    """A customer whose organisation shares every ticket, with 700 tickets of their own: the
    count of what others shared with them reads the organisation's index around the
    customer's own entries, not each of them to leave it out."""
    marketplace.flags["t1"] = Flags(share_with_organisation_by_default=True)
    client, engine = alices_tickets_with_history(pg_app, copies=100)
    statuses = []
    (plan,) = pg_count_plans(engine, lambda: statuses.append(client.get("/support/").status_code))
    assert statuses == [200]
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    for around in ("<", ">"):  # the ranges before and after the customer's own entries
        assert any(f"requester_user_id)::text {around} " in line for line in conditions), plan
    assert "Rows Removed by Filter" not in plan, plan


def entry_plans(app, counter):
    """SQLite's plan of each SELECT on a ticket's messages or events that a page sent."""
    engine = app.extensions["sqlalchemy"].engine
    found = {}
    with engine.connect() as connection:
        for statement, parameters in zip(counter.statements, counter.parameters, strict=True):
            table = next((t for t in ("support_message", "support_event") if t in statement), None)
            if statement.lstrip().startswith("SELECT") and f"FROM {table}" in statement:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                found[table] = " / ".join(row[3] for row in rows)
    return found


def test_an_older_part_of_a_conversation_is_read_from_the_ticket_s_index_up_to_its_cursor(
    app, client, count_queries, monkeypatch
):
    """The entries before an earlier read are sought in the ticket's index from the cursor
    back, the newest first: not read from the conversation's start, nor sorted."""
    from marketplace_support import tickets

    monkeypatch.setattr(tickets, "ENTRIES_READ_MAX", 2)
    login(client, "alice")
    number = open_ticket(client)
    for i in range(6):
        form = client.get(f"/support/tickets/{number}").get_data(as_text=True)
        key = form.split('name="submission_key" value="')[1].split('"')[0]
        token = form.split('name="csrf_token" value="')[1].split('"')[0]
        body = {"csrf_token": token, "submission_key": key, "body": f"Finding {i}"}
        assert client.post(f"/support/tickets/{number}/reply", data=body).status_code == 303
    page = client.get(f"/support/tickets/{number}?entries=all").get_data(as_text=True)
    older = page.split('<li class="ms-older"><a href="')[1].split("#")[0].replace("&amp;", "&")
    with count_queries() as counter:
        assert client.get(older).status_code == 200
    found = entry_plans(app, counter)
    for table, index in (
        ("support_message", "ix_support_message_ticket_id"),
        ("support_event", "ix_support_event_ticket_id"),
    ):
        assert f"{index} (ticket_id=? AND rowid<?)" in found[table], found[table]
        assert "TEMP B-TREE FOR ORDER BY" not in found[table], found[table]
