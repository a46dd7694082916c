"""Webhooks delivered by Celery workers in processes of their own (as tests/test_celery.py
does for e-mail): a worker killed while an endpoint holds its request loses nothing, and the
event comes again with the same ``webhook-id``, so the receiver files it once."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from marketplace_support.models import Delivery
from marketplace_support.workflow import Role

from . import test_celery
from .celery_calls import outbox_statuses, worker
from .conftest import login
from .helpers import open_ticket, wait_until
from .use_cases import register
from .webhook_receiver import receiver

pytestmark = pytest.mark.slow

#: the web side and the broker queue of the Celery tests
app = test_celery.app
queue = test_celery.queue


def test_a_worker_killed_while_posting_a_webhook_loses_nothing_and_files_once(
    app, client, smtp, queue, database_url, marketplace
):
    app.config.update(SUPPORT_WEBHOOK_ALLOW_HTTP=True, SUPPORT_WEBHOOK_ALLOW_PRIVATE=True)
    release = threading.Event()
    with receiver() as nimbus:
        secret = register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        # the endpoint holds its first request until the worker that sent it is dead
        nimbus.before_answer = lambda delivery: release.wait(60)
        with worker(database_url, smtp, queue) as doomed:
            login(client, "alice")
            open_ticket(client, order="o-hosting")
            assert nimbus.arrived.wait(60), "the worker never posted the webhook"
            os.killpg(doomed.pid, signal.SIGKILL)  # the machine dies mid-request
            doomed.wait(timeout=30)
        release.set()
        assert Delivery.SENDING in outbox_statuses(app)
        nimbus.before_answer = None
        with worker(database_url, smtp, queue):
            # the broker gives the task to the new worker after 5 s; the claims are stale
            # after 2 s
            assert wait_until(lambda: outbox_statuses(app) == [Delivery.SENT] * 3, 60), (
                outbox_statuses(app)
            )
    first, again = nimbus.received
    assert first.id == again.id  # the same event: a receiver files it once
    assert [d.verify(secret)["type"] for d in nimbus.unique()] == ["ticket.opened"]
    again.verify(secret)
    assert len(smtp.received) == 2
