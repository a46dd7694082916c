"""The Celery app of the Celery tests: the test marketplace's Flask app with the module's tasks,
on the database, mail server and broker queue named in the environment. A worker process of
the tests runs ``celery -A tests.celery_worker worker``; the test process imports it too, to
send tasks."""

from __future__ import annotations

import os
from contextlib import ExitStack

from celery import Celery

from marketplace_support import celery_tasks

from .conftest import build_marketplace, host_app, redis_url
from .mailserver import sending_to

BROKER = os.environ.get("SUPPORT_TEST_CELERY_BROKER", redis_url(15))
QUEUE = os.environ.get("SUPPORT_TEST_CELERY_QUEUE", "marketplace-support-tests")


def make_celery() -> Celery:
    celery = Celery("marketplace_support_tests", broker=BROKER)
    celery.conf.update(
        task_default_queue=QUEUE,
        # a task whose worker died is given to another after this many seconds
        broker_transport_options={
            "visibility_timeout": 5,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
    )
    return celery


def worker_app() -> Celery:
    """For the worker process: the app on the test's database and mail server."""
    celery = make_celery()
    stack = ExitStack()
    app = stack.enter_context(
        host_app(
            os.environ["SUPPORT_TEST_CELERY_DATABASE"],
            build_marketplace(),
            **sending_to(int(os.environ["SUPPORT_TEST_CELERY_SMTP_PORT"])),
            SUPPORT_DELIVERY_CLAIM_SECONDS=2,
            # the webhook receivers of the tests listen on loopback, over http
            SUPPORT_WEBHOOK_ALLOW_HTTP=True,
            SUPPORT_WEBHOOK_ALLOW_PRIVATE=True,
            SUPPORT_SMTP_TIMEOUT=30,
        )
    )
    celery_tasks.register(celery, app)
    return celery


if "SUPPORT_TEST_CELERY_DATABASE" in os.environ:
    celery = worker_app()
