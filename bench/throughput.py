"""Requests per second under gunicorn: the customer list and the provider inbox of our module
against the performance floor (``bench/floor.py``), each app served by gunicorn with 2 sync
workers on loopback and driven by a bounded Python client.

    python -m bench.throughput [--postgresql URL] [--tickets 2000] [--clients 4]
        [--seconds 5] [--rounds 6]

The data is that of ``bench.pages`` (the demo marketplaces and 2,000 open tickets of one
customer with one provider), on a temporary SQLite file, or on PostgreSQL with
``--postgresql`` (a scratch database, dropped at the end). Both apps run at once, each under
its own gunicorn; the client drives one of them at a time for ``--seconds`` with ``--clients``
threads that each send one request after the other (a new connection each, as gunicorn's sync
workers close it after every response), alternating ours, floor, ours, floor, ... for
``--rounds`` rounds per page, so both see the same machine load. It reports the median
requests per second of the rounds and ours as a share of the floor's. The client runs on the
same 2 cores: it takes CPU from both sides alike, which caps the floor's number most.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from example_host import create_app
from example_host.models import db

from .pages import CUSTOMER, PROVIDER, scratch_database, seed
from .silent_smtp import Browser, site

#: the page of each side: ours, the floor's
PAGES = {
    "customer list (20 rows)": (CUSTOMER, "/my/support/", "/customer/"),
    "provider inbox (20 rows)": (PROVIDER, "/my/support/provider/", "/provider/"),
}


def prepare(url: str, scratch: str, count: int) -> dict[str, object]:
    """Seeds the database; returns our app's config for the gunicorn workers."""
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/files",
        "SUPPORT_DELIVER_AFTER_REQUEST": False,
        "RATELIMIT_ENABLED": False,
    }
    app = create_app(config)
    seed(app, count, 0)
    with app.app_context():
        db.engine.dispose()
    return config


def floor_session(port: int, email: str) -> dict[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/login/{email}")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200, (email, response.status)
    cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    return {"Cookie": cookie}


def our_session(port: int, email: str, path: str) -> dict[str, str]:
    """The cookie a browser holds once logged in and on ``path``: the first page after the
    login adds the form token to the session (a new cookie); after that a page view writes no
    session, which is checked, since a client that kept sending the older cookie would have the
    session signed and sent again on every request, which no browser makes us do."""
    browser = Browser(port)
    browser.log_in(email)
    for _ in range(2):
        before = dict(browser.cookies)
        status, _, _ = browser.request("GET", path)
        assert status == 200, (path, status)
    assert browser.cookies == before, f"{path} writes the session on every view"
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}


def burst(port: int, path: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    """Requests per second that ``clients`` threads get answered (200) in ``seconds``."""
    done = [0] * clients
    failed: list[int] = []
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        while time.perf_counter() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                done[index] += 1
            else:
                failed.append(response.status)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, (path, sorted(set(failed)))
    return sum(done) / (time.perf_counter() - start)


@contextmanager
def servers(config: dict[str, object], scratch: str) -> Iterator[tuple[int, int]]:
    """Our app and the floor, each under gunicorn (the floor reads the database's address from
    the same config)."""
    with ExitStack() as stack:
        ours = stack.enter_context(site(config, 2, False, Path(scratch) / "ours.log"))
        floor = stack.enter_context(
            site(config, 2, False, Path(scratch) / "floor.log", app="bench.floor_wsgi:app")
        )
        yield ours, floor


def compare(url: str, scratch: str, args: argparse.Namespace) -> None:
    config = prepare(url, scratch, args.tickets)
    with servers(config, scratch) as (ours, floor):
        print(
            f"\n{url.split(':')[0]}: gunicorn, 2 sync workers per app; {args.clients} client "
            f"threads; {args.rounds} rounds of {args.seconds:.0f} s per side (ours, floor, ...)"
        )
        print(
            "| page | ours, requests/s | floor, requests/s | ours / floor | rounds: ours / floor |"
        )
        print("| --- | --- | --- | --- | --- |")
        for name, (email, our_path, floor_path) in PAGES.items():
            sides = (
                (ours, our_path, our_session(ours, email, our_path)),
                (floor, floor_path, floor_session(floor, email)),
            )
            for port, path, headers in sides:  # warm-up: every worker's first requests
                burst(port, path, headers, args.clients, 1.0)
            rates: list[list[float]] = [[], []]
            for _ in range(args.rounds):
                for side, (port, path, headers) in enumerate(sides):
                    rates[side].append(burst(port, path, headers, args.clients, args.seconds))
            ours_rate, floor_rate = (statistics.median(r) for r in rates)
            rounds = " / ".join(", ".join(f"{r:.0f}" for r in side) for side in rates)
            print(
                f"| {name} | {ours_rate:.0f} | {floor_rate:.0f} | {ours_rate / floor_rate:.0%} "
                f"| {rounds} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgresql", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.postgresql:
            with scratch_database(args.postgresql) as url:
                compare(url, scratch, args)
        else:
            compare(f"sqlite:///{Path(scratch) / 'bench.db'}", scratch, args)


if __name__ == "__main__":
    main()
