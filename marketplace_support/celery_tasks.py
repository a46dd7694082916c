"""Background work on Celery, for hosts that run it (RabbitMQ or Redis as the broker).

``register(celery, app)`` defines the module's tasks on the host's Celery app, each running in
the Flask app's context:

- ``marketplace_support.deliver``: sends notifications (the rows a change just wrote, or, with
  no ids, whatever is due); from then on each committed change hands its rows to it instead of
  delivering them after the response;
- ``marketplace_support.sweep``: escalations, reminders, resolving and closing (``sweep.py``);
- ``marketplace_support.clean_attachments``: kept files of refused forms and orphaned files.

The outbox stays the source of truth: a task that is lost, or a worker killed in the middle of
one, loses nothing: the rows wait in the outbox (a row a dead worker had claimed is taken again
after ``SUPPORT_DELIVERY_CLAIM_SECONDS``) for the next task, and the periodic pass of
:func:`beat_schedule` sends anything left. Two tasks never send the same row (the outbox's
claims), so any number of workers may run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask

from . import attachments, drafts, outbox, sweep
from .clock import now
from .state import EXTENSION_KEY

_log = logging.getLogger(__name__)

#: notifications one task sends at most (the periodic pass takes the rest)
BATCH = 100


@dataclass(frozen=True)
class Tasks:
    """The module's tasks on the host's Celery app."""

    deliver: Any
    sweep: Any
    clean_attachments: Any


def register(celery: Any, app: Flask) -> Tasks:
    """Define the tasks on ``celery`` and hand each committed change's notifications to it.

    Delivery tasks are acknowledged late: a task whose worker died is given to another worker
    by the broker (the outbox makes sure nothing is sent twice)."""

    def deliver(ids: Sequence[int] | None = None) -> dict[str, int]:
        with app.app_context():
            try:
                report = outbox.deliver(limit=BATCH, only=list(ids) if ids else None)
            except outbox.ServerUnavailable as down:
                # recorded on the rows: they are tried again after their wait
                _log.warning("the mail server did not answer (%s)", down.problem)
                return {"sent": 0}
            return {
                "sent": len(report.sent),
                "retrying": len(report.retrying),
                "failed": len(report.failed),
            }

    def run_sweep() -> None:
        with app.app_context():
            sweep.sweep()

    def clean_attachments(older_than_minutes: int = 60) -> None:
        with app.app_context():
            drafts.remove_old()
            attachments.remove_orphans(timedelta(minutes=older_than_minutes), now())

    tasks = Tasks(
        deliver=celery.task(name="marketplace_support.deliver", acks_late=True)(deliver),
        sweep=celery.task(name="marketplace_support.sweep")(run_sweep),
        clean_attachments=celery.task(name="marketplace_support.clean_attachments")(
            clean_attachments
        ),
    )
    app.extensions[EXTENSION_KEY].enqueue_delivery = _enqueuer(tasks.deliver)
    return tasks


def _enqueuer(task: Any) -> Any:
    def enqueue(ids: list[int]) -> None:
        try:
            task.apply_async(args=[ids], retry=False)
        except Exception:
            # the change is committed and its rows are in the outbox: the periodic pass
            # (or a worker started later) sends them
            _log.warning("could not hand notifications %s to Celery", ids, exc_info=True)

    return enqueue


def beat_schedule(deliver_every: float = 30.0, sweep_every: float = 60.0) -> dict[str, Any]:
    """Celery beat's entries for the periodic work: a delivery pass for whatever no task
    took (retries, rows of a lost task), the sweep, and the clean-up hourly.
    ``celery.conf.beat_schedule = beat_schedule()``."""
    return {
        "marketplace-support-deliver": {
            "task": "marketplace_support.deliver",
            "schedule": deliver_every,
        },
        "marketplace-support-sweep": {"task": "marketplace_support.sweep", "schedule": sweep_every},
        "marketplace-support-clean-attachments": {
            "task": "marketplace_support.clean_attachments",
            "schedule": 3600.0,
        },
    }
