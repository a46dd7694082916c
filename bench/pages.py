"""How long our pages take compared with the performance floor (``bench/floor.py``: a bare
Flask + Flask-SQLAlchemy app over the same database, one indexed query and a minimal template
per page), in the example marketplace (its own queries included).

    python -m bench.pages [--tickets 2000] [--messages 50] [--reps 30] [--warmup 20] [--burst 10]
    python -m bench.pages --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python -m bench.pages --profile "provider inbox, 25 rows" [--profile-requests 200]
    python -m bench.pages --statements "open a ticket"
    python -m bench.pages --cpu   # CPU time instead of wall time, on a busy machine

It always runs on a temporary SQLite file; on PostgreSQL too when ``--postgresql`` or
``SUPPORT_BENCH_DATABASE_URL`` names a server (a uniquely named database is created there and
dropped at the end; ``--no-sqlite`` skips SQLite). Each app answers in a process of its own,
forked once the data is in place, as a server's worker answers: it keeps its own caches warm
and pays for its own garbage collections. The requests go through Flask's test clients in those
processes, after a warm-up, interleaved by bursts of ``--burst`` requests (each burst's first
one not counted: it follows the other process on the core): ours, floor, ours, ..., so both
sides see the same machine load. Absolute times on a shared 2-core machine are not comparable
between runs; the ratios of one run are.

Both apps used to answer in this one process, the garbage collected before each request
outside the clock. That flattered us: each collection left the caches cold, which added about
1.5 ms to every request of both sides, and the ratios shrank towards 1 (the customer list
measured 1.7x that way and 2.2x in a process of its own; bench/RESULTS.md, 2026-12-01).

For each page it prints our median, the floor's, the ratio, the HTML bytes of both (the whole
page, and its table rows alone: a list's markup per ticket, without what a page holds once) and
the SQL statements of one request (counted with a ``before_cursor_execute`` listener; ours split
into statements on the module's ``support_*`` tables and the host's own).

A request is timed until its response has been read to the last byte, as its client sees it.
Our app runs with its default configuration, delivery of e-mails right after the response
included (``SUPPORT_DELIVER_AFTER_REQUEST``), to a real SMTP server on loopback (aiosmtpd, in
this process): that delivery runs when the response is closed, after the clock has stopped,
as a server does it after the client has its answer. It is reported beside the table ("after
the response"), not in the request's time: the floor delivers nothing.

``--profile PAGE`` runs only that page of ours under cProfile and prints the 15 functions with
the most time of their own and the 15 of the package, the example host and the templates with
the most time including what they call, per request. ``--statements PAGE`` prints the SQL
statements of one request of that page, ours and the floor's.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import multiprocessing
import os
import pstats
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine

from example_host import create_app
from example_host.adapter import actor_for
from example_host.models import ServiceOrder, User, db
from marketplace_support import actions, tickets
from marketplace_support.workflow import Action, Role
from tests.mailserver import MailServer, free_port

from . import floor

CUSTOMER, PROVIDER, OPERATOR = "anna@acme.example", "pia@nimbus.example", "oscar@nordic.example"

#: what times a request: the wall clock, or with ``--cpu`` the CPU time of the process that
#: answers it (on a machine shared with other work, which stretches wall times by 2-10x from
#: one second to the next; each app answers in its own process, see :class:`Worker`)
CLOCK: list[Callable[[], float]] = [time.perf_counter]


# -- the data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    busy_number: int
    order_id: str
    opened_per_second: float


def form(order_id: str, subject: str, priority: str = "medium") -> dict[str, str]:
    return {
        "submission_key": secrets.token_urlsafe(24),
        "order": order_id,
        "category": "technical",
        "priority": priority,
        "subject": subject,
        "issue_about": "Benchmark ticket " * 20,
    }


def seed(app: Flask, count: int, messages: int) -> Seeded:
    """The demo data, ``count`` tickets of one customer with one provider (priorities mixed),
    and one more ticket with ``messages`` messages (replies and internal notes)."""
    reset = app.test_cli_runner().invoke(args=["demo", "reset"])
    assert reset.exit_code == 0, reset.output
    with app.test_request_context():
        anna = actor_for(db.session.query(User).filter_by(email=CUSTOMER).one())
        order = db.session.query(ServiceOrder).filter_by(service_name="Web hosting M").one()
        start = time.perf_counter()
        for i in range(count):
            priority = ("low", "medium", "high", "urgent")[i % 4]
            tickets.open_ticket("nordic", anna, form(str(order.id), f"Ticket {i}", priority))
        opened_per_second = count / (time.perf_counter() - start)
        busy = tickets.open_ticket("nordic", anna, form(str(order.id), "Busy ticket")).ticket
        pia = actor_for(db.session.query(User).filter_by(email=PROVIDER).one())
        for i in range(messages):
            who, role = (anna, Role.CUSTOMER) if i % 2 else (pia, Role.PROVIDER)
            action = Action.NOTE if role is Role.PROVIDER and i % 3 == 0 else Action.REPLY
            actions.act(
                "nordic",
                who,
                role,
                busy.number,
                action,
                {"body": f"Message {i} " * 10, "submission_key": secrets.token_urlsafe(24)},
            )
        return Seeded(busy.number, str(order.id), opened_per_second)


# -- the clients --------------------------------------------------------------------------------


def logged_in(app: Flask, email: str) -> FlaskClient:
    """A client of the example marketplace, logged in through its login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "email": email, "password": "demo"})
    return client


def floor_logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert client.get(f"/login/{email}").status_code == 200
    return client


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def deep(client: FlaskClient, first: str, pages: int = 21) -> str:
    """The address of page ``pages`` of a list, found by following its "more" links."""
    url = first
    for _ in range(pages - 1):
        html = client.get(url).get_data(as_text=True)
        more = re.search(r'href="([^"]*after=[^"]+)"', html)
        if more is None:  # a shorter list: its last page
            break
        url = more.group(1).replace("&amp;", "&")
    return url


#: a statement that reads or writes one of the module's tables (the host's ``tenant`` table has
#: columns named ``support_…``, so the name alone is not enough)
_MODULE_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN)\s+"?support_', re.IGNORECASE)


class Statements:
    """Counts the statements an engine runs, and those on the module's ``support_*`` tables
    (the rest are the host's: the logged-in user, its texts, staff and providers). Only while
    ``counting`` is set: not the delivery after a response."""

    def __init__(self, engine: Engine) -> None:
        self.count = self.support = 0
        self.counting = True
        self.seen: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if not self.counting:
            return
        self.count += 1
        self.support += bool(_MODULE_TABLE.search(statement))
        self.seen.append((statement, parameters))

    def reset(self) -> None:
        self.count = self.support = 0
        self.counting = True
        self.seen = []


# -- the pages ----------------------------------------------------------------------------------


@dataclass
class Side:
    """One side of a page: how to ask for it once (a GET of a URL, or a POST of a fresh form)."""

    client: FlaskClient
    url: str
    data: Callable[[], dict[str, str]] | None = None
    #: our config for this page (``SUPPORT_PAGE_SIZE``), set before each request of ours
    config: dict[str, Any] = field(default_factory=dict)

    def ask(self, counter: Statements | None = None) -> Asked:
        """Milliseconds until the response was read, status code, response bytes; then the
        milliseconds of what ran when it was closed (delivery after the response), whose
        statements ``counter`` leaves out."""
        start = CLOCK[0]()
        if self.data is None:
            response = self.client.get(self.url)
        else:
            response = self.client.post(self.url, data=self.data())
        body = response.get_data()
        answered = CLOCK[0]()
        if counter is not None:
            counter.counting = False
        response.close()  # call_on_close: what a server runs after the client has its answer
        closed = CLOCK[0]()
        return Asked(
            (answered - start) * 1000,
            response.status_code,
            len(body),
            (closed - answered) * 1000,
            _rows_size(body),
        )


def _rows_size(body: bytes) -> int:
    """The bytes of a page's table rows (``<tbody>`` to ``</tbody>``), 0 without a table: a
    list's markup per ticket, without what the page holds once (layout, filters, tabs)."""
    start, end = body.find(b"<tbody>"), body.find(b"</tbody>")
    return end - start if 0 <= start < end else 0


@dataclass(frozen=True)
class Asked:
    ms: float
    status: int
    size: int
    #: what ran after the response had been read (ours: delivering its e-mails)
    after_ms: float
    #: the bytes of its table rows (:func:`_rows_size`)
    rows_size: int = 0


@dataclass(frozen=True)
class Page:
    name: str
    ours: Side
    floor: Side
    expected: int = 200


@dataclass(frozen=True)
class Result:
    name: str
    ours_ms: float
    floor_ms: float
    ours_bytes: int
    floor_bytes: int
    ours_statements: int
    ours_support_statements: int
    floor_statements: int
    expected: int
    #: median milliseconds of our work after the response (delivery), not in ``ours_ms``
    ours_after_ms: float
    #: the ratio of each round's two bursts (ours, then the floor's, one after the other: the
    #: same moment of a machine whose speed changes from one second to the next)
    rounds: tuple[float, ...] = ()
    #: the bytes of the table rows, ours and the floor's (0: the page has no table)
    rows_bytes: tuple[int, int] = (0, 0)

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.floor_ms

    @property
    def spread(self) -> str:
        """The middle half of the rounds' ratios, "1.9-2.3x": how far apart two runs' ratios
        may fall on this machine."""
        if len(self.rounds) < 4:
            return "-"
        low, _, high = statistics.quantiles(self.rounds, n=4)
        return f"{low:.1f}-{high:.1f}x"

    @property
    def rows_sizes(self) -> str:
        """The rows' bytes where both pages have a table: "5,904 / 3,788 (1.56x)"."""
        ours, floor = self.rows_bytes
        if not (ours and floor):
            return "-"
        return f"{ours:,} / {floor:,} ({ours / floor:.2f}x)"


def pages(ours_app: Flask, floor_app: Flask, seeded: Seeded) -> list[Page]:
    ours = {email: logged_in(ours_app, email) for email in (CUSTOMER, PROVIDER, OPERATOR)}
    bare = {email: floor_logged_in(floor_app, email) for email in (CUSTOMER, PROVIDER, OPERATOR)}
    token = csrf_token(ours[CUSTOMER], "/my/support/new")
    busy = seeded.busy_number

    def new_ticket(with_token: bool) -> Callable[[], dict[str, str]]:
        def data() -> dict[str, str]:
            values = form(seeded.order_id, "Opened in the benchmark")
            return {**values, "csrf_token": token} if with_token else values

        return data

    def both(name: str, who: str, url: str, floor_url: str, page_size: int | None = None) -> Page:
        config = {"SUPPORT_PAGE_SIZE": page_size} if page_size else {}
        return Page(name, Side(ours[who], url, config=config), Side(bare[who], floor_url))

    return [
        both("customer list, first page (20 rows)", CUSTOMER, "/my/support/", "/customer/"),
        both(
            "customer list, page 21",
            CUSTOMER,
            deep(ours[CUSTOMER], "/my/support/"),
            deep(bare[CUSTOMER], "/customer/"),
        ),
        both(
            "provider inbox, first page (25 rows)",
            PROVIDER,
            "/my/support/provider/",
            "/provider/?size=25",
            page_size=25,
        ),
        both(
            "provider inbox, first page (100 rows)",
            PROVIDER,
            "/my/support/provider/",
            "/provider/?size=100",
            page_size=100,
        ),
        both(
            "provider inbox, page 21 (20 rows)",
            PROVIDER,
            deep(ours[PROVIDER], "/my/support/provider/"),
            deep(bare[PROVIDER], "/provider/"),
        ),
        both(
            "operator console, first page (20 rows)",
            OPERATOR,
            "/my/support/operator/",
            "/operator/",
        ),
        both(
            "customer ticket page (50 messages)",
            CUSTOMER,
            f"/my/support/tickets/{busy}",
            f"/customer/tickets/{busy}",
        ),
        both(
            "provider ticket page (50 messages)",
            PROVIDER,
            f"/my/support/provider/tickets/{busy}",
            f"/provider/tickets/{busy}",
        ),
        # last: they add tickets to the customer's list
        Page(
            "open a ticket (POST, 303)",
            Side(ours[CUSTOMER], "/my/support/new", new_ticket(with_token=True)),
            Side(bare[CUSTOMER], "/customer/new", new_ticket(with_token=False)),
            expected=303,
        ),
        # the e-mails left to delivery workers, as the README's production set-up does: the
        # ~20 ms of CPU of two e-mails after each response slow the process's next request
        # too (its caches are cold), which the row above includes
        Page(
            "open a ticket, e-mails by workers (POST, 303)",
            Side(
                ours[CUSTOMER],
                "/my/support/new",
                new_ticket(with_token=True),
                config={"SUPPORT_DELIVER_AFTER_REQUEST": False},
            ),
            Side(bare[CUSTOMER], "/customer/new", new_ticket(with_token=False)),
            expected=303,
        ),
    ]


class Worker:
    """One side of every page, answered in a process of its own (forked with everything made
    so far: the apps, their logged-in clients, the statement counter), as a server's worker
    answers; :meth:`ask` sends it a page's index and gets back what came of its requests."""

    def __init__(self, sides: list[Side], app: Flask, engine: Engine, counter: Statements) -> None:
        self._pipe, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=_answer, args=(theirs, sides, app, engine, counter), daemon=True
        )
        self._process.start()
        theirs.close()

    def ask(self, index: int, times: int) -> list[Answer]:
        """The answers of ``times`` requests of the page, one after the other."""
        self._pipe.send((index, times))
        answers: list[Answer] | BaseException = self._pipe.recv()
        if isinstance(answers, BaseException):
            raise answers
        return answers

    def close(self) -> None:
        self._pipe.send(None)
        self._process.join(timeout=30)


@dataclass(frozen=True)
class Answer:
    asked: Asked
    #: the statements of the request: all of them, and those on the module's tables
    statements: int
    support_statements: int


def _answer(
    pipe: Connection, sides: list[Side], app: Flask, engine: Engine, counter: Statements
) -> None:
    engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    while (asked_for := pipe.recv()) is not None:
        index, times = asked_for
        side = sides[index]
        defaults = {key: app.config[key] for key in side.config}
        answers = []
        try:
            app.config.update(side.config)
            for _ in range(times):
                counter.reset()
                answers.append(Answer(side.ask(counter), counter.count, counter.support))
        except BaseException as error:  # the parent raises it
            pipe.send(error)
            continue
        finally:
            app.config.update(defaults)
        pipe.send(answers)


def measure(
    index: int, page: Page, workers: tuple[Worker, Worker], args: argparse.Namespace
) -> Result:
    """Ours and the floor interleaved by bursts: ``args.warmup`` requests a side first, then
    bursts of ``args.burst`` requests, ours, floor, ours, ..., until each side has
    ``args.reps``. A burst's first request is not counted: it comes after the other process
    has had the core and its caches."""
    samples: dict[str, list[float]] = {"ours": [], "floor": [], "after": []}
    last: dict[str, Answer] = {}
    rounds = []
    for worker in workers:
        worker.ask(index, args.warmup)
    while len(samples["ours"]) < args.reps:
        burst: dict[str, list[float]] = {}
        for name, worker in zip(("ours", "floor"), workers, strict=True):
            for answer in worker.ask(index, args.burst + 1)[1:]:
                assert answer.asked.status == page.expected, (page.name, name, answer.asked)
                last[name] = answer
                burst.setdefault(name, []).append(answer.asked.ms)
                if name == "ours":
                    samples["after"].append(answer.asked.after_ms)
            samples[name] += burst[name]
        rounds.append(statistics.median(burst["ours"]) / statistics.median(burst["floor"]))
    return Result(
        page.name,
        statistics.median(samples["ours"]),
        statistics.median(samples["floor"]),
        last["ours"].asked.size,
        last["floor"].asked.size,
        last["ours"].statements,
        last["ours"].support_statements,
        last["floor"].statements,
        page.expected,
        statistics.median(samples["after"]),
        tuple(rounds),
        (last["ours"].asked.rows_size, last["floor"].asked.rows_size),
    )


# -- one database -------------------------------------------------------------------------------


@contextmanager
def apps(
    url: str, scratch: str, count: int, messages: int
) -> Iterator[tuple[Flask, Flask, Seeded]]:
    # e-mails are delivered right after the response, as by default, to a real mail server
    mail = MailServer(free_port())
    mail.start()
    ours_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail.port,
            "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/files",
            # a benchmark sends far faster than people: the module's rate limits are off
            "RATELIMIT_ENABLED": False,
        }
    )
    seeded = seed(ours_app, count, messages)
    floor_app = floor.create_floor_app(url)
    try:
        yield ours_app, floor_app, seeded
    finally:
        mail.stop()
        for app, database in ((ours_app, db), (floor_app, floor.db)):
            with app.app_context():
                database.engine.dispose()


def engines(ours_app: Flask, floor_app: Flask) -> tuple[Engine, Engine]:
    with ours_app.app_context():
        ours_engine = db.engine
    with floor_app.app_context():
        floor_engine = floor.db.engine
    return ours_engine, floor_engine


def compare(url: str, args: argparse.Namespace) -> None:
    engine_name = make_url(url).get_backend_name()
    with (
        tempfile.TemporaryDirectory() as scratch,
        apps(url, scratch, args.tickets, args.messages) as (ours_app, floor_app, seeded),
    ):
        ours_engine, floor_engine = engines(ours_app, floor_app)
        listed = pages(ours_app, floor_app, seeded)
        workers = (
            Worker([p.ours for p in listed], ours_app, ours_engine, Statements(ours_engine)),
            Worker([p.floor for p in listed], floor_app, floor_engine, Statements(floor_engine)),
        )
        print(
            f"\n{engine_name}: {args.tickets} tickets of one customer with one provider, "
            f"a ticket with {args.messages} messages; each app in a process of its own; per "
            f"page {args.warmup} warm-up requests a side, then {args.reps} a side in bursts of "
            f"{args.burst} (ours, floor, ...); medians in ms; a round is a burst a side, its "
            "ratio that of the two bursts' medians",
            flush=True,
        )
        print(
            "| page | ours | floor | ours/floor | middle half of the rounds | bytes: ours / floor "
            "| rows' bytes: ours / floor | statements: ours (module + host) / floor "
            "| ours after the response |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for index, page in enumerate(listed):
            result = measure(index, page, workers, args)
            sizes = (
                f"{result.ours_bytes:,} / {result.floor_bytes:,}"
                if result.expected == 200
                else "(redirect)"
            )
            print(
                f"| {result.name} | {result.ours_ms:.2f} | {result.floor_ms:.2f} "
                f"| {result.ratio:.1f}x | {result.spread} | {sizes} | {result.rows_sizes} "
                f"| {result.ours_statements} "
                f"({result.ours_support_statements} + "
                f"{result.ours_statements - result.ours_support_statements}) "
                f"/ {result.floor_statements} | {result.ours_after_ms:.2f} |",
                flush=True,
            )
        for worker in workers:
            worker.close()
        print(f"(seeding opened {seeded.opened_per_second:.0f} tickets per second, sequentially)")


# -- the profile --------------------------------------------------------------------------------

_OURS = ("marketplace_support", "example_host")


def _where(app: Flask, path: str, line: int, function: str) -> str:
    """``path:line(function)``, short; a template's line is its own (Jinja compiles templates
    to Python whose line numbers say nothing), so ``_macros.html:NN(macro)`` names the macro."""
    if "/templates/" in path and path.endswith(".html"):
        template = app.jinja_env.get_template(path.split("/templates/", 1)[1])
        line = template.get_corresponding_lineno(line)
    for marker in (*_OURS, "site-packages/", "lib/python3"):
        if marker in path:
            path = path[path.index(marker) :].removeprefix("site-packages/")
            break
    return f"{path}:{line}({function})" if line else function


def chosen(candidates: list[Page], name: str) -> Page:
    """The page whose name starts with ``name``."""
    for page in candidates:
        if page.name.startswith(name):
            return page
    raise SystemExit(f"no page starts with {name!r}")


def profile(url: str, args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        apps(url, scratch, args.tickets, args.messages) as (ours_app, floor_app, seeded),
    ):
        page = chosen(pages(ours_app, floor_app, seeded), args.profile)
        requests = args.profile_requests
        ours_app.config.update(page.ours.config)
        for _ in range(args.warmup):
            page.ours.ask()
        profiler = cProfile.Profile()
        spent = 0.0
        for _ in range(requests):
            gc.collect()  # outside the profile: a collection inside would be half the time
            start = time.perf_counter()
            profiler.enable()
            page.ours.ask()
            profiler.disable()
            spent += time.perf_counter() - start
        per_request = spent * 1000 / requests
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        rows = [
            (_where(ours_app, *where), calls, own * 1000 / requests, total * 1000 / requests)
            for where, (_, calls, own, total, _) in stats.items()
        ]
        print(
            f"{make_url(url).get_backend_name()}, {page.name}: {requests} requests under "
            f"cProfile, {per_request:.2f} ms each (profiled; about twice the unprofiled time)"
        )
        # a template's blocks are generators: each resume counts as a call
        print("\nTop 15 by own time (ms per request, calls per request, function):")
        for where, calls, own, total in sorted(rows, key=lambda r: -r[2])[:15]:
            print(f"  {own:6.2f} ms own {total:6.2f} ms total {calls / requests:7.0f}x  {where}")
        print("\nTop 15 of the package, the example host and the templates by total time:")
        ours = [r for r in rows if r[0].startswith(_OURS)]
        for where, calls, own, total in sorted(ours, key=lambda r: -r[3])[:15]:
            print(f"  {total:6.2f} ms total {own:6.2f} ms own {calls / requests:7.0f}x  {where}")


def statements(url: str, args: argparse.Namespace) -> None:
    """The statements of one request of a page, ours and the floor's (after a warm-up)."""
    with (
        tempfile.TemporaryDirectory() as scratch,
        apps(url, scratch, args.tickets, args.messages) as (ours_app, floor_app, seeded),
    ):
        page = chosen(pages(ours_app, floor_app, seeded), args.statements)
        ours_app.config.update(page.ours.config)
        for side, engine in zip((page.ours, page.floor), engines(ours_app, floor_app), strict=True):
            counter = Statements(engine)
            side.ask()
            counter.reset()
            asked = side.ask(counter)
            name = "ours" if side is page.ours else "floor"
            print(f"\n{page.name}, {name}: {asked.status}, {len(counter.seen)} statements")
            for statement, parameters in counter.seen:
                print(f"  {' '.join(statement.split())[:300]}  {str(parameters)[:120]}")


# -- PostgreSQL ---------------------------------------------------------------------------------


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A uniquely named database on the server of ``server``, dropped at the end."""
    name = f"support_bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--reps", type=int, default=30, help="measured requests a side")
    parser.add_argument("--warmup", type=int, default=20, help="requests a side, per page")
    parser.add_argument("--burst", type=int, default=10, help="requests a side in a row")
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("SUPPORT_BENCH_DATABASE_URL"),
        help="a PostgreSQL server URL (default: $SUPPORT_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--profile", metavar="PAGE", help="profile the page whose name starts so")
    parser.add_argument("--profile-requests", type=int, default=200)
    parser.add_argument("--statements", metavar="PAGE", help="print one request's statements")
    parser.add_argument(
        "--cpu", action="store_true", help="time requests by this process's CPU time"
    )
    args = parser.parse_args()
    if args.cpu:
        CLOCK[0] = time.process_time
    run = profile if args.profile else statements if args.statements else compare
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as scratch:
            run(f"sqlite:///{Path(scratch) / 'bench.db'}", args)
    if args.postgresql:
        with scratch_database(args.postgresql) as url:
            run(url, args)


if __name__ == "__main__":
    main()
