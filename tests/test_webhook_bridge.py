"""The bridge, end to end, with two real HTTP servers on loopback: the marketplace (our app,
served by werkzeug's server) and a provider's helpdesk. The helpdesk receives the signed
ticket-opened webhook, verifies it, and posts its agent's answer back through the API with an
Idempotency-Key, twice (a retry): the customer sees the answer once on My Page and gets one
e-mail of it."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from marketplace_support import outbox
from marketplace_support.models import Delivery, OutboxMessage
from marketplace_support.workflow import Role

from .api_calls import token
from .conftest import host_app, login
from .helpers import open_ticket, wait_until
from .mailserver import sending_to
from .use_cases import register
from .webhook_receiver import Delivery as Received
from .webhook_receiver import receiver

pytestmark = pytest.mark.slow


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "attachments"),
        SUPPORT_DELIVER_AFTER_REQUEST=False,
        SUPPORT_WEBHOOK_ALLOW_HTTP=True,
        SUPPORT_WEBHOOK_ALLOW_PRIVATE=True,
        **sending_to(smtp.port),
    ) as made:
        yield made


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """``app`` behind a real HTTP server on loopback; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def delivery_worker(app: Flask) -> Iterator[None]:
    """A worker delivering the outbox (``flask support deliver --loop``) in a thread."""
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            with app.app_context():
                outbox.deliver()
            stop.wait(0.2)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def post_answer(base: str, secret: str, number: int) -> tuple[int, dict[str, str]]:
    """What the helpdesk does: the agent's answer, through the API, with its key."""
    request = urllib.request.Request(
        f"{base}/support/api/v1/tickets/{number}/messages",
        data=json.dumps({"body": "Restarted your server: it is up again."}).encode(),
        headers={
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"helpdesk-answer-{number}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers)


def test_a_helpdesk_answers_through_the_api_and_the_customer_hears_once(
    app, client, marketplace, smtp
):
    api_token = token(app, marketplace, "pete", Role.PROVIDER)
    answers: list[tuple[int, dict[str, str]]] = []
    with served(app) as base, receiver() as helpdesk:
        secret = register(app, marketplace, "pete", Role.PROVIDER, helpdesk.url)

        def answer_in_helpdesk(delivery: Received) -> None:
            event = delivery.verify(secret)  # a helpdesk takes only what we signed
            if event["type"] != "ticket.opened":
                return
            number = event["data"]["ticket"]["number"]

            def agent_answers() -> None:  # later, and sent again as a retry would be
                answers.extend(post_answer(base, api_token, number) for _ in range(2))

            threading.Thread(target=agent_answers, daemon=True).start()

        helpdesk.before_answer = answer_in_helpdesk
        with delivery_worker(app):
            login(client, "alice")
            number = open_ticket(client, order="o-hosting")
            assert wait_until(lambda: len(answers) == 2), helpdesk.types()
            assert wait_until(lambda: _all_sent(app) and len(helpdesk.received) == 3)
    (first, _), (second, replayed) = answers
    assert first == second == 201 and replayed.get("Idempotent-Replayed") == "true"
    # its own answer comes back to it too, once, with the work started on the ticket
    assert helpdesk.types() == ["ticket.opened", "message.posted", "ticket.status_changed"]
    page = client.get(f"/support/tickets/{number}").text
    assert page.count("Restarted your server: it is up again.") == 1
    to_alice = [m for m in smtp.received if "alice" in str(m["To"])]
    replies = [m for m in to_alice if "New reply" in str(m["Subject"])]
    assert len(replies) == 1, [str(m["Subject"]) for m in to_alice]


def _all_sent(app: Flask) -> bool:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        statuses = list(session.scalars(select(OutboxMessage.status)))
    return bool(statuses) and all(status is Delivery.SENT for status in statuses)
