"""How long the customer's pages take when a customer has many tickets and a ticket many
messages, in the example marketplace (its own queries included).

    python -m bench.customer_pages [--tickets 2000] [--messages 100] [--database-url URL]

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
from marketplace_support import tickets


def timed(client, url: str, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def form(order_id: str, subject: str) -> dict[str, str]:
    return {
        "submission_key": secrets.token_urlsafe(24),
        "order": order_id,
        "category": "technical",
        "priority": "medium",
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
                tickets.open_ticket("nordic", actor, form(str(order.id), f"Ticket {i}"))
            opened_per_second = args.tickets / (time.perf_counter() - start)
            busy = tickets.open_ticket("nordic", actor, form(str(order.id), "Busy ticket")).ticket
            for i in range(args.messages):
                tickets.add_customer_message(
                    "nordic",
                    actor,
                    busy.number,
                    {"body": f"Message {i} " * 10, "submission_key": secrets.token_urlsafe(24)},
                )
            busy_number = busy.number

        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post(
            "/login", data={"csrf_token": token, "email": "anna@acme.example", "password": "demo"}
        )
        deep, depth, cursor = client.get("/my/support/").get_data(as_text=True), 1, ""
        while depth < 21 and (more := re.search(r"after=([0-9-]+)", deep)):
            cursor, depth = more.group(1), depth + 1  # follow "Older tickets"
            deep = client.get(f"/my/support/?after={cursor}").get_data(as_text=True)

        rows = [
            ("list, first page", "/my/support/"),
            (f"list, page {depth}", f"/my/support/?after={cursor}"),
            (f"ticket with {args.messages} messages", f"/my/support/tickets/{busy_number}"),
            ("new-ticket form", "/my/support/new"),
        ]
        engine = url.split(":")[0]
        print(f"{engine}: {args.tickets + 3} tickets of one customer, {args.repeat} requests each")
        print(f"{'page':<32}{'median ms':>10}{'p95 ms':>10}")
        for name, page_url in rows:
            median, p95 = timed(client, page_url, args.repeat)
            print(f"{name:<32}{median:>10.2f}{p95:>10.2f}")
        print(f"tickets opened per second (one process, sequential): {opened_per_second:.0f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
