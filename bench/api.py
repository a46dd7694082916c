"""How long the JSON API's ticket list and ticket read take beside the pages that show the same
tickets, in the example marketplace, on the same data (``bench.pages``'s: a customer's
tickets with one provider, one ticket with many messages).

    python -m bench.api [--tickets 2000] [--messages 50] [--reps 30] [--warmup 20] [--burst 10]
    python -m bench.api --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python -m bench.api --cpu   # CPU time instead of wall time, on a busy machine

Each pair asks the API (a customer with the host's session, a provider's staff member and the
operator with their tokens) and the page of the same person, each side in a process of its own
and interleaved by bursts after a warm-up (as ``bench.pages`` does), so both see the same
machine load; the medians and their ratio are printed, with the bytes and
the SQL statements of one request of each (ours on the module's ``support_*`` tables + the
host's). Absolute times on a shared 2-core machine are not comparable between runs; the
ratios of one run are.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from example_host.adapter import actor_for
from example_host.models import User, db
from marketplace_support import api_tokens
from marketplace_support.workflow import Role

from . import pages
from .pages import CUSTOMER, OPERATOR, PROVIDER, Page, Seeded, Side, Statements

API = "/my/support/api/v1"


def with_token(app: Flask, email: str, role: Role) -> FlaskClient:
    """A client that sends a token ``email`` made in the area of ``role`` with every call."""
    with app.test_request_context():
        actor = actor_for(db.session.query(User).filter_by(email=email).one())
        form = {"name": "Bench", "days": "30", "scopes": ["tickets:read"]}
        secret = api_tokens.make("nordic", actor, role, form).secret
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def deep_api(client: FlaskClient, first: str, pages_: int = 21) -> str:
    """The address of page ``pages_`` of an API list, found by following its ``next``."""
    url = first
    for _ in range(pages_ - 1):
        following = client.get(url).get_json()["next"]
        if following is None:
            break
        url = following
    return url


def pairs(app: Flask, seeded: Seeded, messages: int) -> list[Page]:
    """Each call of the API (as ``ours``) beside its page (as ``floor``)."""
    customer = pages.logged_in(app, CUSTOMER)
    staff = {email: pages.logged_in(app, email) for email in (PROVIDER, OPERATOR)}
    tokens = {
        PROVIDER: with_token(app, PROVIDER, Role.PROVIDER),
        OPERATOR: with_token(app, OPERATOR, Role.OPERATOR),
    }
    busy = seeded.busy_number

    def pair(name: str, api: FlaskClient, url: str, page: FlaskClient, page_url: str) -> Page:
        return Page(name, Side(api, url), Side(page, page_url))

    return [
        pair(
            "customer list, first page (20 rows)",
            customer,
            f"{API}/my/tickets",
            customer,
            "/my/support/",
        ),
        pair(
            "customer list, page 21",
            customer,
            deep_api(customer, f"{API}/my/tickets"),
            customer,
            pages.deep(customer, "/my/support/"),
        ),
        pair(
            f"customer ticket ({messages} messages)",
            customer,
            f"{API}/my/tickets/{busy}",
            customer,
            f"/my/support/tickets/{busy}",
        ),
        pair(
            "provider list, first page (20 rows), token",
            tokens[PROVIDER],
            f"{API}/tickets",
            staff[PROVIDER],
            "/my/support/provider/",
        ),
        pair(
            "provider list, first page (20 rows), session",
            staff[PROVIDER],
            f"{API}/tickets",
            staff[PROVIDER],
            "/my/support/provider/",
        ),
        pair(
            f"provider ticket ({messages} messages), token",
            tokens[PROVIDER],
            f"{API}/tickets/{busy}",
            staff[PROVIDER],
            f"/my/support/provider/tickets/{busy}",
        ),
        pair(
            "operator list, first page (20 rows), token",
            tokens[OPERATOR],
            f"{API}/tickets",
            staff[OPERATOR],
            "/my/support/operator/",
        ),
        pair(
            f"operator ticket ({messages} messages), token",
            tokens[OPERATOR],
            f"{API}/tickets/{busy}",
            staff[OPERATOR],
            f"/my/support/operator/tickets/{busy}",
        ),
    ]


def compare(url: str, args: argparse.Namespace) -> None:
    engine_name = url.split(":", 1)[0].split("+", 1)[0]
    with (
        tempfile.TemporaryDirectory() as scratch,
        pages.apps(url, scratch, args.tickets, args.messages) as (app, _floor, seeded),
    ):
        engine, _ = pages.engines(app, _floor)
        listed = pairs(app, seeded, args.messages)
        workers = (  # the API and the pages each in a process of their own, as bench.pages
            pages.Worker([p.ours for p in listed], app, engine, Statements(engine)),
            pages.Worker([p.floor for p in listed], app, engine, Statements(engine)),
        )
        print(
            f"\n{engine_name}: {args.tickets} tickets of one customer with one provider, "
            f"a ticket with {args.messages} messages; per call {args.warmup} warm-up "
            f"requests a side, then {args.reps} a side in bursts of {args.burst} (API, page, "
            "...); medians in ms",
            flush=True,
        )
        print(
            "| call | API | page | API/page | bytes: API / page "
            "| statements: API (module + host) / page |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for index, pair in enumerate(listed):
            result = pages.measure(index, pair, workers, args)
            print(
                f"| {result.name} | {result.ours_ms:.2f} | {result.floor_ms:.2f} "
                f"| {result.ratio:.2f}x | {result.ours_bytes:,} / {result.floor_bytes:,} "
                f"| {result.ours_statements} ({result.ours_support_statements} + "
                f"{result.ours_statements - result.ours_support_statements}) "
                f"/ {result.floor_statements} |",
                flush=True,
            )
        for worker in workers:
            worker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--reps", type=int, default=30, help="measured requests a side")
    parser.add_argument("--warmup", type=int, default=20, help="requests a side, per call")
    parser.add_argument("--burst", type=int, default=10, help="requests a side in a row")
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("SUPPORT_BENCH_DATABASE_URL"),
        help="a PostgreSQL server URL (default: $SUPPORT_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--cpu", action="store_true", help="time requests by this process's CPU time"
    )
    args = parser.parse_args()
    if args.cpu:
        pages.CLOCK[0] = time.process_time
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as scratch:
            compare(f"sqlite:///{Path(scratch) / 'bench.db'}", args)
    if args.postgresql:
        with pages.scratch_database(args.postgresql) as url:
            compare(url, args)


if __name__ == "__main__":
    main()
