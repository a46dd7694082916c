"""How fast the outbox drains into a real SMTP server (aiosmtpd on loopback), with one worker
and with two at once, in the example marketplace.

    python -m bench.notifications [--tickets 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
import time

from example_host import create_app
from example_host.adapter import actor_for
from example_host.models import User, db
from marketplace_support import outbox, tickets
from marketplace_support.models import OutboxMessage
from tests.mailserver import MailServer, free_port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    server = MailServer(free_port())
    server.start()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "MAIL_PORT": server.port,
                "SUPPORT_DELIVER_AFTER_REQUEST": False,
                "SUPPORT_ATTACHMENT_ROOT": f"{scratch}/files",
                # a benchmark sends far faster than people: the module's rate limits are off
                "RATELIMIT_ENABLED": False,
            }
        )
        assert app.test_cli_runner().invoke(args=["demo", "reset"]).exit_code == 0
        for workers in (1, 2):
            with app.test_request_context():
                db.session.query(OutboxMessage).delete()
                db.session.commit()
                anna = actor_for(db.session.query(User).filter_by(email="anna@acme.example").one())
                for i in range(args.tickets):
                    form = {
                        "submission_key": secrets.token_urlsafe(24),
                        "order": "none",
                        "category": "other",
                        "priority": "medium",
                        "subject": f"Bench {workers}-{i}",
                        "issue_about": "A notification benchmark.",
                    }
                    tickets.open_ticket("nordic", anna, form)
                rows = db.session.query(OutboxMessage).count()
            before = len(server.received)

            def work() -> None:
                with app.app_context():
                    while outbox.deliver(limit=50).handled:
                        pass

            threads = [threading.Thread(target=work) for _ in range(workers)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - start
            delivered = len(server.received) - before
            ids = [str(m["Message-ID"]) for m in server.received[before:]]
            duplicates = len(ids) - len(set(ids))
            print(
                f"{url.split(':')[0]}, {workers} worker(s): {delivered} of {rows} e-mails in "
                f"{seconds:.2f} s = {delivered / seconds:.0f}/s; duplicates: {duplicates}"
            )
        with app.app_context():
            db.engine.dispose()
    server.stop()


if __name__ == "__main__":
    main()
