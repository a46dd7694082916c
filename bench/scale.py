"""Whether our pages stay as fast as a marketplace's history grows: each list page and the
ticket page on PostgreSQL with 10,000 tickets and with 1,000,000 tickets in 100 tenants,
measured interleaved in one run (small, large, small, large, ...), and the ratio.

    python -m bench.scale [--postgresql URL] [--large 1000000] [--small 10000] [--reps 30]
    python -m bench.scale --explain     # also the plans of the large database's statements

Two scratch databases are created on the server (``--postgresql`` or
``SUPPORT_BENCH_DATABASE_URL``) and dropped at the end. Each gets the example marketplace's
demo data and, through the module's own use-cases, 40 tickets of its customer Anna and one
ticket with 50 messages; then the rest of the tickets are written by one set-based
``INSERT ... SELECT generate_series`` (a few minutes for a million rows, not hours of ORM
calls) and the database is vacuumed and analysed, as autovacuum does to a table that has
grown.

What grows is the history: each of the 100 tenants (the demo's "nordic" is one of them) has
the same shape, 100 active tickets (open, in progress, waiting for the customer) and the rest
resolved or closed, older. A support desk's open work is bounded by the people who answer
it; its resolved and closed tickets pile up for years. So a page that reads what it shows
(and counts what is active) costs the same at both sizes; a page that reads history does
not. Half of a tenant's tickets go to one provider (Nimbus in "nordic"), a tenth to the
operator, the rest to a second provider; the customers are 500 others, so Anna's own list is
the same at both sizes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine

from example_host import create_app
from example_host.models import Provider, db

from .pages import CUSTOMER, OPERATOR, PROVIDER, Side, Statements, logged_in, scratch_database, seed

TENANTS = 100
ACTIVE_PER_TENANT = 100
OTHER_TENANT = "scale_{:03d}"

#: One statement writes every generated ticket: ``g`` runs over all of them, tenant by tenant
#: (``:per_tenant`` each), the first ``:active`` of each tenant active and newest.
_TICKETS = """
INSERT INTO support_ticket (
    tenant_id, number, subject, issue_about, expected_outcome, current_scenario, status,
    priority, category_key, category_label, order_id, order_label, handler, routing_reason,
    provider_id, provider_name, sla_first_response_target, sla_resolution_target,
    sla_first_response_elapsed, sla_resolution_elapsed, sla_since, first_response_due_at,
    resolution_due_at, next_due_at, reopen_count, requester_user_id, requester_name,
    shared_with_organisation, submission_key, created_at, updated_at, resolved_at, closed_at
)
SELECT
    tenant, :first_number + g, 'Generated ticket ' || g, 'What it is about', '', '',
    CASE WHEN active THEN (ARRAY['open', 'in_progress', 'waiting_for_customer'])[g % 3 + 1]
         ELSE (ARRAY['resolved', 'closed', 'closed'])[g % 3 + 1] END,
    g % 4, 'technical', 'Technical problem',
    CASE WHEN to_operator THEN NULL ELSE 'generated' END,
    CASE WHEN to_operator THEN NULL ELSE 'A service' END,
    CASE WHEN to_operator THEN 'operator' ELSE 'provider' END,
    CASE WHEN to_operator THEN 'no_order' ELSE 'order_provider' END,
    provider, CASE WHEN provider IS NULL THEN NULL ELSE 'A provider' END,
    240, 2400, 0, 0, due_since, due_since + interval '4 hours', due_since + interval '40 hours',
    due_since + interval '4 hours', 0, 'generated-' || (g % 500), 'A customer', false,
    'generated-' || g, at - interval '1 hour', at,
    CASE WHEN active THEN NULL ELSE at END, CASE WHEN active THEN NULL ELSE at END
FROM (
    SELECT g, tenant, active, to_operator, at,
           CASE WHEN to_operator THEN NULL WHEN g % 2 = 0 THEN :provider ELSE :other_provider
           END AS provider,
           CASE WHEN active AND g % 3 <> 2 THEN at ELSE NULL END AS due_since
    FROM (
        SELECT g,
               CASE WHEN g / :per_tenant = 0 THEN :tenant
                    ELSE format('scale_%s', lpad((g / :per_tenant)::text, 3, '0')) END AS tenant,
               g % :per_tenant < :active AS active,
               g % 10 = 9 AS to_operator,
               now() - interval '1 minute' * (g % :per_tenant)
                   - CASE WHEN g % :per_tenant < :active THEN interval '0'
                          ELSE interval '30 days' END AS at
        FROM generate_series(0, :total - 1) AS g
    ) AS spread
) AS generated
"""


@dataclass(frozen=True)
class Marketplace:
    """One database of a size, its app, and the pages to ask of it."""

    size: int
    app: Flask
    engine: Engine
    pages: dict[str, Side]


def fill(app: Flask, total: int, active_share: float | None) -> tuple[int, float]:
    """The demo data, Anna's tickets and the busy one (ORM), then the generated tickets (one
    INSERT); returns the busy ticket's number and the seconds the INSERT took."""
    seeded = seed(app, 40, 50)
    with app.app_context():
        nimbus, postal = (
            str(db.session.query(Provider).filter_by(name=name).one().id)
            for name in ("Nimbus Hosting", "Postal Mail Co")
        )
        start = time.perf_counter()
        with db.engine.begin() as connection:
            connection.execute(
                text(_TICKETS),
                {
                    "first_number": 1000,
                    "total": total - 45,  # the demo's and the ORM's tickets count too
                    "per_tenant": (total - 45) // TENANTS,
                    "active": (
                        ACTIVE_PER_TENANT
                        if active_share is None
                        else int((total - 45) // TENANTS * active_share)
                    ),
                    "tenant": "nordic",
                    "provider": nimbus,
                    "other_provider": postal,
                },
            )
        inserted = time.perf_counter() - start
        # no transaction of ours may stay open: VACUUM could not mark the new rows visible to
        # all, and every count would read the heap as well as the index
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return seeded.busy_number, inserted


def the_pages(app: Flask, busy: int) -> dict[str, Side]:
    who = {email: logged_in(app, email) for email in (CUSTOMER, PROVIDER, OPERATOR)}
    return {
        "customer list, first page": Side(who[CUSTOMER], "/my/support/"),
        "provider inbox, first page": Side(who[PROVIDER], "/my/support/provider/"),
        "provider inbox, all statuses": Side(who[PROVIDER], "/my/support/provider/?status=all"),
        "provider inbox, by priority": Side(who[PROVIDER], "/my/support/provider/?sort=priority"),
        "operator console, first page": Side(who[OPERATOR], "/my/support/operator/"),
        "operator console, all statuses": Side(who[OPERATOR], "/my/support/operator/?status=all"),
        "operator console, due first": Side(who[OPERATOR], "/my/support/operator/?sort=due"),
        "operator console, search (a word of a demo ticket)": Side(
            who[OPERATOR], "/my/support/operator/?status=all&q=slowly"
        ),
        "provider inbox, search (a word of the busy ticket)": Side(
            who[PROVIDER], "/my/support/provider/?status=all&q=messages"
        ),
        "operator console, search by latest activity": Side(
            who[OPERATOR], "/my/support/operator/?status=all&q=slowly&sort=activity"
        ),
        "operator console, search typed wrong": Side(
            who[OPERATOR], "/my/support/operator/?status=all&q=slowlly"
        ),
        "provider inbox, search typed wrong": Side(
            who[PROVIDER], "/my/support/provider/?status=all&q=mesage"
        ),
        "operator scorecard, 30 days": Side(who[OPERATOR], "/my/support/operator/scorecard"),
        "provider scorecard, 30 days": Side(who[PROVIDER], "/my/support/provider/scorecard"),
        "customer ticket page (50 messages)": Side(who[CUSTOMER], f"/my/support/tickets/{busy}"),
        "provider ticket page (50 messages)": Side(
            who[PROVIDER], f"/my/support/provider/tickets/{busy}"
        ),
    }


@contextmanager
def marketplace(
    server: str, size: int, scratch: str, active_share: float | None
) -> Iterator[Marketplace]:
    with scratch_database(server) as url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/files-{size}",
                "SUPPORT_DELIVER_AFTER_REQUEST": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        busy, seconds = fill(app, size, active_share)
        print(f"{size:,} tickets written in {seconds:.0f} s (one INSERT), vacuumed", flush=True)
        with app.app_context():
            engine = db.engine
        try:
            yield Marketplace(size, app, engine, the_pages(app, busy))
        finally:
            engine.dispose()


def measure(small: Marketplace, large: Marketplace, reps: int, warmup: int) -> None:
    print(
        f"\nPostgreSQL, {small.size:,} and {large.size:,} tickets in {TENANTS} tenants; "
        f"{warmup} warm-up pairs, then {reps} pairs (small, large) per page; medians in ms"
    )
    print("| page | statements | rows | small | large | large/small |")
    print("| --- | --- | --- | --- | --- | --- |")
    counter = Statements(large.engine)
    for name in small.pages:
        samples: dict[int, list[float]] = {small.size: [], large.size: []}
        for i in range(warmup + reps):
            for place in (small, large):
                counter.reset()
                asked = place.pages[name].ask(counter if place is large else None)
                assert asked.status == 200, (name, place.size, asked.status)
                if i >= warmup:
                    samples[place.size].append(asked.ms)
        rows = _rows(large.pages[name])  # the same at both sizes (checked)
        assert rows == _rows(small.pages[name]), (name, rows)
        ms_small = statistics.median(samples[small.size])
        ms_large = statistics.median(samples[large.size])
        print(
            f"| {name} | {counter.count} | {rows} | {ms_small:.1f} | {ms_large:.1f} "
            f"| {ms_large / ms_small:.2f}x |",
            flush=True,
        )


def _rows(side: Side) -> str:
    html = side.client.get(side.url).get_data(as_text=True)
    return str(html.count('<li class="ms-ticket-row')) if "/tickets/" not in side.url else "-"


def explain(large: Marketplace) -> None:
    """The plans, with buffers, of the statements on support_ticket of each page (large)."""
    counter = Statements(large.engine)
    for name, side in large.pages.items():
        counter.reset()
        side.ask(counter)
        print(f"\n## {name}")
        with large.engine.connect() as connection:
            for statement, parameters in counter.seen:
                if not statement.lstrip().startswith("SELECT") or "support_ticket" not in statement:
                    continue
                print("\n" + " ".join(statement.split())[:400])
                plan = connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters
                )
                for (line,) in plan:
                    print("    " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("SUPPORT_BENCH_DATABASE_URL"),
        help="a PostgreSQL server URL (default: $SUPPORT_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--active-share",
        type=float,
        help="this share of each tenant's tickets active, instead of 100 a tenant at both sizes",
    )
    parser.add_argument("--explain", action="store_true", help="print the large side's plans")
    args = parser.parse_args()
    if not args.postgresql:
        raise SystemExit("give a PostgreSQL server: --postgresql URL or SUPPORT_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        small, large = (
            stack.enter_context(marketplace(args.postgresql, size, scratch, args.active_share))
            for size in (args.small, args.large)
        )
        measure(small, large, args.reps, args.warmup)
        if args.explain:
            explain(large)


if __name__ == "__main__":
    main()
