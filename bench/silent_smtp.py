"""A hung mail server and the site: the customer's ticket list under gunicorn while other
customers keep replying, with a healthy SMTP server and with a silent one, in one run.

    python -m bench.silent_smtp [--seconds 30] [--workers 2] [--repliers 2] [--listers 4]
    python -m bench.silent_smtp --label after --set SUPPORT_DELIVER_AFTER_REQUEST=false \\
        --deliver-worker

It seeds the example marketplace (a temporary SQLite file, or a scratch database on the
PostgreSQL server of ``--postgresql`` / ``SUPPORT_BENCH_DATABASE_URL``), then runs two
phases, each with gunicorn (sync workers) on a free loopback port pointed at its mail server:

1. "healthy": aiosmtpd on loopback, which accepts every e-mail;
2. "silent": a plain socket server that accepts TCP connections and never writes a byte (a hung
   mail server, or a firewall that swallows packets).

In each phase, ``--repliers`` clients log in as customers and keep posting replies to their
tickets (each reply queues e-mails to the provider), while ``--listers`` clients load the
customer's ticket list. It prints the list's latency (median, p95, max), the replies' and
how many e-mails went out. ``--set KEY=VALUE`` (JSON values: ``false``, ``3``) changes the app's
config in both phases; ``--deliver-worker`` runs ``flask support deliver --loop`` beside
gunicorn, so the run can be repeated after delivery leaves the web workers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from example_host import create_app
from example_host.adapter import actor_for
from example_host.models import ServiceOrder, User, db
from marketplace_support import tickets
from marketplace_support.models import Delivery, OutboxMessage
from tests.mailserver import MailServer, free_port

from .pages import form, scratch_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPLIERS = ("anna@acme.example", "aino@acme.example")
LISTER = "anna@acme.example"
#: what a client waits at most for one response
REQUEST_TIMEOUT = 45.0


class SilentServer:
    """Accepts TCP connections on loopback and never answers (nor closes them)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed by stop()
                return
            self.accepted.append(connection)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


# -- a browser of the site, as small as it can be ----------------------------------------------


class Browser:
    """One person's browser: a session cookie, one request at a time, a new connection each
    (gunicorn's sync workers close it after every response)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(
        self, method: str, path: str, fields: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        """Status, body and milliseconds; raises TimeoutError after ``REQUEST_TIMEOUT``."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        except TimeoutError as slow:  # socket.timeout too
            raise TimeoutError(path) from slow
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text, (time.perf_counter() - start) * 1000

    def log_in(self, email: str) -> None:
        _, page, _ = self.request("GET", "/login")
        self.csrf = _csrf(page)
        status, _, _ = self.request(
            "POST", "/login", {"csrf_token": self.csrf, "email": email, "password": "demo"}
        )
        assert status == 303, f"login of {email}: {status}"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


# -- one phase ----------------------------------------------------------------------------------


@dataclass
class Samples:
    ms: list[float] = field(default_factory=list)
    timeouts: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ms:
            return f"no answer ({self.timeouts} timed out after {REQUEST_TIMEOUT:.0f} s)"
        ordered = sorted(self.ms)
        p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
        text = (
            f"median {_time(statistics.median(ordered))}, p95 {_time(p95)}, "
            f"max {_time(ordered[-1])} ({len(ordered)} answered"
        )
        if self.timeouts:
            text += f", {self.timeouts} timed out after {REQUEST_TIMEOUT:.0f} s"
        if self.errors:
            text += f", {len(self.errors)} errors: {sorted(set(self.errors))[:3]}"
        return text + ")"


def _time(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


@dataclass
class Phase:
    name: str
    lists: Samples = field(default_factory=Samples)
    replies: Samples = field(default_factory=Samples)
    sent: int = 0
    queued: int = 0
    worker_timeouts: int = 0


@contextmanager
def site(
    config: dict[str, Any],
    workers: int,
    deliver_worker: bool,
    log: Path,
    app: str = "bench.silent_wsgi:app",
) -> Iterator[int]:
    """gunicorn serving the example marketplace with ``config`` on a free loopback port (or
    the WSGI ``app`` named, which reads the same config)."""
    port = free_port()
    env = {
        **os.environ,
        "SUPPORT_BENCH_APP_CONFIG": json.dumps(config),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        # gunicorn's default worker timeout (30 s) stays, as in a plain deployment
        "--graceful-timeout",
        "1",
        app,
    ]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)
    ]
    if deliver_worker:
        worker = [str(BIN / "flask"), "--app", "bench.silent_wsgi:app", "support", "deliver"]
        processes.append(
            subprocess.Popen(
                [*worker, "--loop", "--interval", "1"],
                cwd=ROOT,
                env=env,
                stdout=log.open("a"),
                stderr=subprocess.STDOUT,
            )
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or processes[0].poll() is not None:
                    raise RuntimeError(f"gunicorn did not start; see {log}") from None
                time.sleep(0.2)
        yield port
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def drive(port: int, phase: Phase, numbers: list[int], args: argparse.Namespace) -> None:
    """Repliers post replies and listers load the list until ``args.seconds`` are over; a
    request under way then is waited for (at most ``REQUEST_TIMEOUT``)."""
    repliers = [Browser(port) for _ in range(args.repliers)]
    for i, browser in enumerate(repliers):
        browser.log_in(REPLIERS[i % len(REPLIERS)])
        _, page, _ = browser.request("GET", f"/my/support/tickets/{numbers[0]}")
        browser.csrf = _csrf(page)
    listers = [Browser(port) for _ in range(args.listers)]
    for browser in listers:
        browser.log_in(LISTER)
    stop = time.monotonic() + args.seconds
    lock = threading.Lock()

    def record(samples: Samples, call: Any) -> Any:
        try:
            status, _, ms = call()
        except TimeoutError:
            with lock:
                samples.timeouts += 1
            return
        except OSError as problem:
            with lock:
                samples.errors.append(type(problem).__name__)
            time.sleep(0.5)
            return
        with lock:
            if status in (200, 303):
                samples.ms.append(ms)
            else:
                samples.errors.append(str(status))

    def reply(index: int, browser: Browser) -> None:
        turn = index
        while time.monotonic() < stop:
            number = numbers[turn % len(numbers)]
            turn += len(repliers)
            fields = {
                "csrf_token": browser.csrf,
                "submission_key": secrets.token_urlsafe(24),
                "body": "Any news? This still does not work for us.",
            }
            path = f"/my/support/tickets/{number}/reply"
            record(phase.replies, lambda p=path, f=fields: browser.request("POST", p, f))
            time.sleep(args.reply_pause)

    def load_list(browser: Browser) -> None:
        while time.monotonic() < stop:
            record(phase.lists, lambda: browser.request("GET", "/my/support/"))
            time.sleep(args.list_pause)

    threads = [threading.Thread(target=reply, args=(i, b)) for i, b in enumerate(repliers)]
    threads += [threading.Thread(target=load_list, args=(b,)) for b in listers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def seed(url: str, scratch: str, count: int) -> list[int]:
    """The demo data and ``count`` open tickets of the repliers (half each); their numbers."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SUPPORT_DELIVER_AFTER_REQUEST": False,
            "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/files",
            # a benchmark sends far faster than people: the module's rate limits are off
            "RATELIMIT_ENABLED": False,
        }
    )
    assert app.test_cli_runner().invoke(args=["demo", "reset"]).exit_code == 0
    numbers = []
    with app.test_request_context():
        order = db.session.query(ServiceOrder).filter_by(service_name="Web hosting M").one()
        for i in range(count):
            email = REPLIERS[i % len(REPLIERS)]
            actor = actor_for(db.session.query(User).filter_by(email=email).one())
            opened = tickets.open_ticket("nordic", actor, form(str(order.id), f"Slow site {i}"))
            numbers.append(opened.ticket.number)
        # the seeded tickets' own e-mails are not part of the phases
        db.session.query(OutboxMessage).delete()
        db.session.commit()
        db.engine.dispose()
    return numbers


def outbox_counts(url: str) -> tuple[int, int]:
    """Rows in the outbox, and those sent."""
    engine = create_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(OutboxMessage))
        sent = connection.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == Delivery.SENT)
        )
    engine.dispose()
    return int(total or 0), int(sent or 0)


def run(url: str, scratch: str, args: argparse.Namespace) -> list[Phase]:
    numbers = seed(url, scratch, args.tickets)
    phases = []
    for name in ("healthy", "silent"):
        healthy = MailServer(free_port()) if name == "healthy" else None
        silent = SilentServer() if name == "silent" else None
        server = healthy or silent
        assert server is not None
        server.start()
        config = {
            "SQLALCHEMY_DATABASE_URI": url,
            "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/files",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": server.port,
            "RATELIMIT_ENABLED": False,
            **args.set,
        }
        log = Path(scratch) / f"gunicorn-{name}.log"
        phase = Phase(name)
        before_total, before_sent = outbox_counts(url)
        try:
            with site(config, args.workers, args.deliver_worker, log) as port:
                drive(port, phase, numbers, args)
        finally:
            server.stop()
        total, sent = outbox_counts(url)
        phase.queued, phase.sent = total - before_total, sent - before_sent
        phase.worker_timeouts = log.read_text().count("WORKER TIMEOUT")
        phases.append(phase)
        print(f"{name} phase done", file=sys.stderr, flush=True)
    return phases


def _setting(text: str) -> tuple[str, Any]:
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--repliers", type=int, default=2)
    parser.add_argument("--listers", type=int, default=4)
    parser.add_argument("--reply-pause", type=float, default=1.0, help="seconds between replies")
    parser.add_argument("--list-pause", type=float, default=0.2, help="seconds between lists")
    parser.add_argument("--tickets", type=int, default=40, help="open tickets to reply to")
    parser.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="app config for both phases, e.g. SUPPORT_DELIVER_AFTER_REQUEST=false",
    )
    parser.add_argument(
        "--deliver-worker",
        action="store_true",
        help="run `flask support deliver --loop` beside gunicorn",
    )
    parser.add_argument("--label", default="before", help="names the run in the table")
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("SUPPORT_BENCH_DATABASE_URL"),
        help="a PostgreSQL server URL (default: $SUPPORT_BENCH_DATABASE_URL); else SQLite",
    )
    args = parser.parse_args()
    args.set = dict(args.set)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        if args.postgresql:
            with scratch_database(args.postgresql) as url:
                phases = run(url, scratch, args)
        else:
            phases = run(f"sqlite:///{Path(scratch) / 'bench.db'}", scratch, args)
    settings = " ".join(f"{k}={json.dumps(v)}" for k, v in args.set.items()) or "defaults"
    print(
        f"\n{args.label}: {args.workers} gunicorn sync workers, {args.repliers} clients replying "
        f"(pause {args.reply_pause} s), {args.listers} loading the customer list (pause "
        f"{args.list_pause} s), {args.seconds:.0f} s per phase; config: {settings}"
        f"{'; with a delivery worker' if args.deliver_worker else ''}; "
        f"{'PostgreSQL' if args.postgresql else 'SQLite'}; whole run "
        f"{time.perf_counter() - started:.0f} s"
    )
    print("| mail server | customer list | replies (POST → 303) | e-mails sent / queued |")
    print("| --- | --- | --- | --- |")
    for phase in phases:
        timeouts = f"; {phase.worker_timeouts} gunicorn worker timeouts" * bool(
            phase.worker_timeouts
        )
        print(
            f"| {phase.name} ({args.label}) | {phase.lists.summary()} | "
            f"{phase.replies.summary()} | {phase.sent} / {phase.queued}{timeouts} |"
        )


if __name__ == "__main__":
    main()
