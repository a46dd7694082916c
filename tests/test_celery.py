"""Notifications delivered by Celery workers (celery_tasks), with a real broker (Redis on this
machine, as .ci/run makes sure) and workers in processes of their own: each e-mail once, also
when a worker dies in the middle of a task."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import pytest

from marketplace_support import celery_tasks
from marketplace_support.models import Delivery

from .celery_calls import outbox_statuses, worker
from .conftest import host_app, login
from .helpers import open_ticket, wait_until
from .mailserver import MailServer, free_port, sending_to

pytestmark = pytest.mark.slow


@pytest.fixture
def queue(monkeypatch):
    """A broker queue of this test's own; emptied afterwards."""
    name = f"marketplace-support-tests-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("SUPPORT_TEST_CELERY_QUEUE", name)
    yield name
    from .celery_worker import make_celery

    celery = make_celery()
    try:
        with celery.connection_for_write() as connection:
            connection.default_channel.queue_purge(name)
    finally:
        celery.close()  # its broker connections, which the collector would find open


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp, queue):
    """The web side: its changes hand their notifications to the queue's workers."""
    from .celery_worker import make_celery

    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        **sending_to(smtp.port),
    ) as made:
        celery = make_celery()
        celery.conf.task_default_queue = queue
        made.config["TASKS"] = celery_tasks.register(celery, made)
        try:
            yield made
        finally:
            celery.close()


def message_ids(smtp: MailServer) -> list[str]:
    return [str(message["Message-ID"]) for message in smtp.received]


def test_each_notification_is_sent_once_by_two_workers(app, client, smtp, queue, database_url):
    with worker(database_url, smtp, queue), worker(database_url, smtp, queue):
        login(client, "alice")
        for _ in range(3):  # each: the customer's confirmation and the provider's e-mail
            open_ticket(client, order="o-hosting")
        assert wait_until(lambda: len(smtp.received) >= 6, 60), message_ids(smtp)
        time.sleep(1)  # a second sending of any of them would come by now
    assert len(smtp.received) == 6 and len(set(message_ids(smtp))) == 6
    assert outbox_statuses(app) == [Delivery.SENT] * 6


def test_a_worker_killed_in_the_middle_of_a_task_loses_and_doubles_nothing(
    app, client, smtp, queue, database_url
):
    smtp.hold = threading.Event()
    smtp.hold.set()  # the mail server stalls on the first recipient
    with worker(database_url, smtp, queue) as doomed:
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        assert smtp.holding.wait(60), "the worker never reached the mail server"
        os.killpg(doomed.pid, signal.SIGKILL)  # the machine dies mid-task
        doomed.wait(timeout=30)
    smtp.hold.clear()
    assert smtp.received == [] and Delivery.SENDING in outbox_statuses(app)
    with worker(database_url, smtp, queue):
        # the broker gives the unacknowledged task to the new worker once its visibility
        # timeout (5 s) has passed; the dead worker's claims are stale after 2 s
        assert wait_until(lambda: len(smtp.received) >= 2, 60), outbox_statuses(app)
        time.sleep(1)
    assert len(smtp.received) == 2 and len(set(message_ids(smtp))) == 2
    assert outbox_statuses(app) == [Delivery.SENT] * 2


def test_a_change_is_made_when_the_broker_is_down(app, client, smtp, monkeypatch):
    """The outbox is the source of truth: a change whose task cannot be queued is made all
    the same, and its notifications wait in the outbox for the periodic pass."""
    tasks = app.config["TASKS"]
    monkeypatch.setattr(tasks.deliver.app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")
    tasks.deliver.app.pool.force_close_all()
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    assert client.get(f"/support/tickets/{number}").status_code == 200
    assert outbox_statuses(app) == [Delivery.PENDING] * 2 and smtp.received == []
