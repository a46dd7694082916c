"""How long the pages take when a customer has many tickets, a provider's inbox is long and a
ticket has many messages, in the example marketplace (its own queries included).

    python -m bench.pages [--tickets 2000] [--messages 100] [--database-url URL]

Without a URL it uses a temporary SQLite file. Prints the median and 95th percentile of each
page over repeated requests, and the rate at which tickets are opened.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import tempfile
import time

from example_host import create_app
from example_host.adapter import actor_for
from example_host.models import ServiceOrder, User, db
from marketplace_support import actions, tickets
from marketplace_support.workflow import Action, Role


def timed(client, url: str, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def logged_in(app, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "email": email, "password": "demo"})
    return client


def deep_page(first: str, pages: int = 21):
    """The address of page ``pages`` of a list, found by following its "more" links."""

    def follow(client) -> str:
        url = first
        for _ in range(pages - 1):
            html = client.get(url).get_data(as_text=True)
            more = re.search(r'href="([^"]*after=[^"]+)"', html)
            if more is None:  # a shorter list: its last page
                break
            url = more.group(1).replace("&amp;", "&")
        return url

    return follow


def form(order_id: str, subject: str, priority: str = "medium") -> dict[str, str]:
    return {
        "submission_key": secrets.token_urlsafe(24),
        "order": order_id,
        "category": "technical",
        "priority": priority,
        "subject": subject,
        "issue_about": "Benchmark ticket " * 20,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        reset = app.test_cli_runner().invoke(args=["demo", "reset"])
        assert reset.exit_code == 0, reset.output
        with app.test_request_context():
            anna = db.session.query(User).filter_by(email="anna@acme.example").one()
            actor = actor_for(anna)
            order = db.session.query(ServiceOrder).filter_by(service_name="Web hosting M").one()
            start = time.perf_counter()
            for i in range(args.tickets):
                priority = ("low", "medium", "high", "urgent")[i % 4]
                tickets.open_ticket("nordic", actor, form(str(order.id), f"Ticket {i}", priority))
            opened_per_second = args.tickets / (time.perf_counter() - start)
            busy = tickets.open_ticket("nordic", actor, form(str(order.id), "Busy ticket")).ticket
            pia = actor_for(db.session.query(User).filter_by(email="pia@nimbus.example").one())
            for i in range(args.messages):
                who, role = (actor, Role.CUSTOMER) if i % 2 else (pia, Role.PROVIDER)
                actions.act(
                    "nordic",
                    who,
                    role,
                    busy.number,
                    Action.REPLY
                    if i % 3
                    else Action.NOTE
                    if role is Role.PROVIDER
                    else Action.REPLY,
                    {"body": f"Message {i} " * 10, "submission_key": secrets.token_urlsafe(24)},
                )
            busy_number = busy.number

        engine = url.split(":")[0]
        print(
            f"{engine}: {args.tickets} tickets of one customer with one provider, "
            f"{args.repeat} requests each"
        )
        print(f"{'page':<44}{'median ms':>10}{'p95 ms':>10}")
        for email, pages in (
            (
                "anna@acme.example",
                [
                    ("customer list, first page", "/my/support/"),
                    ("customer list, page 21", deep_page("/my/support/")),
                    (
                        f"customer ticket, {args.messages} messages",
                        f"/my/support/tickets/{busy_number}",
                    ),
                    ("new-ticket form", "/my/support/new"),
                ],
            ),
            (
                "pia@nimbus.example",
                [
                    ("provider inbox, first page", "/my/support/provider/"),
                    (
                        "provider inbox by priority, page 21",
                        deep_page("/my/support/provider/?sort=priority"),
                    ),
                    ("provider inbox, search 'Ticket 1999'", "/my/support/provider/?q=Ticket+1999"),
                    (
                        f"provider ticket, {args.messages} messages",
                        f"/my/support/provider/tickets/{busy_number}",
                    ),
                ],
            ),
            (
                "oscar@nordic.example",
                [
                    ("operator console, first page", "/my/support/operator/"),
                    ("operator console, page 21", deep_page("/my/support/operator/")),
                    ("operator console, due first", "/my/support/operator/?sort=due"),
                    ("provider scorecard, 30 days", "/my/support/operator/scorecard"),
                ],
            ),
        ):
            client = logged_in(app, email)
            for name, page_url in pages:
                median, p95 = timed(
                    client, page_url(client) if callable(page_url) else page_url, args.repeat
                )
                print(f"{name:<44}{median:>10.2f}{p95:>10.2f}")
        print(f"tickets opened per second (one process, sequential): {opened_per_second:.0f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
