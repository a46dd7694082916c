"""The Celery tests' side of a worker: a worker process of ``tests.celery_worker`` on the
test's database, mail server and queue, waiting for what it does, and the outbox's statuses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from marketplace_support.models import Delivery, OutboxMessage

from .mailserver import MailServer

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def worker(database_url: str, smtp: MailServer, queue: str) -> Iterator[subprocess.Popen[str]]:
    """A Celery worker process (one process, the solo pool) on the test's database, mail server
    and queue; stopped (or already killed) at the end."""
    environment = {
        **os.environ,
        "SUPPORT_TEST_CELERY_DATABASE": database_url,
        "SUPPORT_TEST_CELERY_SMTP_PORT": str(smtp.port),
        "SUPPORT_TEST_CELERY_QUEUE": queue,
    }
    command = [sys.executable, "-m", "celery", "-A", "tests.celery_worker", "worker"]
    command += ["--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip"]
    command += ["--hostname", f"{uuid.uuid4().hex[:8]}@tests"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    ready = threading.Event()
    log: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            if " ready." in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(60), "the worker did not start:\n" + "".join(log[-30:])
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def outbox_statuses(app) -> list[Delivery]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        return list(session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
