"""Two app processes behind one database: the example marketplace under gunicorn on two ports,
one PostgreSQL database, one bucket of an S3-compatible server, one Redis, and a disk of
their own each. One customer's browser (one session cookie) sends each request to the other
process in turn, as a load balancer without sticky sessions would: she opens tickets, adds
information, reads her list and her tickets. Every page she reads is asked of
both processes; what they answer must be the same (the forms' random keys left out). Reports
the differences found (none expected) and each process's latencies.

    python -m bench.two_machines [--postgresql URL] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from example_host import create_app
from tests.s3server import credentials_in_environment, new_bucket, s3_server

from .pages import scratch_database
from .silent_smtp import Browser, site

CUSTOMER = "anna@acme.example"
REDIS_URL = "redis://127.0.0.1:6379/12"
#: what differs between two answers by design: the forms' random keys and CSRF tokens
_RANDOM = re.compile(r'(name="(?:csrf_token|submission_key)" value=")[^"]*(")')


class Balanced:
    """One browser whose requests go to each process in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.browser = Browser(ports[0])
        self.ports = ports
        self.turn = 0
        self.times: dict[int, list[float]] = {port: [] for port in ports}

    def request(self, method: str, path: str, fields: dict[str, str] | None = None) -> str:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        self.browser.port = port
        status, body, ms = self.browser.request(method, path, fields)
        problems = re.findall(r"<li>([^<]+)</li>", body.split("ms-error-summary", 1)[-1])[:3]
        assert status in (200, 303), (port, method, path, status, problems)
        self.times[port].append(ms)
        return body

    def both(self, path: str) -> list[str]:
        """The same page asked of every process."""
        return [self.request("GET", path) for _ in self.ports]


def hidden(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form sent to ``action`` (not the host's own forms)."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))


def first_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, name
    return found.group(1)


def open_ticket(balanced: Balanced, round_: int) -> str:
    form = balanced.request("GET", "/my/support/new")
    fields = {
        **hidden(form, "/my/support/new"),
        "order": first_value(form, "order"),
        "category": re.findall(r'<option value="([^"]+)"', form.split('name="category"')[1])[0],
        "priority": "medium",
        "subject": f"Checkout fails, round {round_}",
        "issue_about": "The payment page answers 502.",
        "expected_outcome": "Payments go through.",
        "current_scenario": "Every customer, since this morning.",
    }
    sent = balanced.request("POST", "/my/support/new", fields)
    assert "ms-error-summary" not in sent, re.findall(r"ms-field-error[^>]*>([^<]+)", sent)
    listing = balanced.request("GET", "/my/support/")
    found = re.search(r'href="(/my/support/tickets/\d+)"', listing)
    assert found
    return found.group(1)


def add_information(balanced: Balanced, ticket: str, round_: int) -> None:
    page = balanced.request("GET", ticket)
    fields = {**hidden(page, f"{ticket}/reply"), "body": f"Still failing, try {round_}."}
    balanced.request("POST", f"{ticket}/reply", fields)


def differences(pages: list[str]) -> int:
    first, *others = (_RANDOM.sub(r"\1\2", page) for page in pages)
    return sum(1 for other in others if other != first)


@contextmanager
def two_processes(url: str, scratch: str, endpoint: str) -> Iterator[list[int]]:
    shared = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "two-machines-bench",
        "SUPPORT_ATTACHMENT_S3_BUCKET": new_bucket(endpoint),
        "SUPPORT_ATTACHMENT_S3_ENDPOINT_URL": endpoint,
        "SUPPORT_RATELIMIT_STORAGE_URI": REDIS_URL,
        "SUPPORT_DELIVER_AFTER_REQUEST": False,
        "RATELIMIT_ENABLED": False,
    }
    app = create_app({**shared, "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/seed"})
    assert app.test_cli_runner().invoke(args=["demo", "reset"]).exit_code == 0
    with ExitStack() as stack:
        ports = [
            stack.enter_context(
                site(
                    {**shared, "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/disk-{name}"},
                    1,
                    False,
                    Path(scratch) / f"{name}.log",
                )
            )
            for name in ("a", "b")
        ]
        yield ports


def run(url: str, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        s3_server() as endpoint,
        credentials_in_environment(),
        two_processes(url, scratch, endpoint) as ports,
    ):
        balanced = Balanced(ports)
        balanced.browser.log_in(CUSTOMER)
        different = compared = 0
        for round_ in range(rounds):
            ticket = open_ticket(balanced, round_)
            add_information(balanced, ticket, round_)
            for path in ("/my/support/", ticket):
                different += differences(balanced.both(path))
                compared += 1
        print(f"processes on ports {ports}; {rounds} rounds; {compared} pages asked of both")
        print(f"pages that differed between the two processes: {different}")
        print("| process | requests | median ms | p95 ms |")
        print("| --- | --- | --- | --- |")
        for port, times in balanced.times.items():
            p95 = statistics.quantiles(times, n=20)[-1]
            print(f"| :{port} | {len(times)} | {statistics.median(times):.1f} | {p95:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("SUPPORT_BENCH_DATABASE_URL"),
        help="a PostgreSQL server URL (default: $SUPPORT_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if not args.postgresql:
        parser.error("give a PostgreSQL server: --postgresql URL or SUPPORT_BENCH_DATABASE_URL")
    with scratch_database(args.postgresql) as url:
        run(url, args.rounds)


if __name__ == "__main__":
    main()
