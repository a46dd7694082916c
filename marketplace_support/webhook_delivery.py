"""Posting webhook rows of the outbox to their endpoints, signed (Standard Webhooks).

``outbox.deliver`` hands the webhook rows it claimed to :func:`post_all`, and records each
:class:`Outcome` on its row as it comes. Each endpoint's rows go out in order, one at a time,
in a thread of their own: a slow endpoint (it has ``SUPPORT_WEBHOOK_TIMEOUT`` seconds) or a
failing one holds up only its own rows. After a failure the endpoint's other rows wait, and
the endpoint is not tried again before its ``retry_at`` (the waits grow with its failures in a
row, at most an hour apart).

Every try of a row carries the same ``webhook-id`` (made from the row's id): a receiver that
saw the id before has the event already (a worker that died after sending sends it again).
``webhook-timestamp`` is the time of the try, and ``webhook-signature`` is
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` made with the endpoint's secret.
"""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import select, update
from standardwebhooks import Webhook

from . import clock
from .models import OutboxMessage, WebhookEndpoint, WebhookTry
from .state import support
from .webhook_urls import UnsafeUrl, post

#: the longest an endpoint that keeps failing is left alone
_MAX_PAUSE = timedelta(hours=1)
#: endpoints posted to at once by one worker
_THREADS = 16


def webhook_id(row: OutboxMessage) -> str:
    """The id of the event a row carries, the same at every try."""
    return f"msg_{row.tenant_id}_{row.id}"


def signed(row: OutboxMessage, secret: str, moment: datetime) -> tuple[bytes, dict[str, str]]:
    """The body of ``row`` and its Standard Webhooks headers, signed at ``moment``."""
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True)
    identifier = webhook_id(row)
    signature = Webhook(secret).sign(identifier, moment, body)
    headers = {
        "webhook-id": identifier,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
        "User-Agent": "marketplace-support-webhooks/1",
    }
    return body.encode(), headers


@dataclass(frozen=True)
class Outcome:
    """What happened to one row: sent (a 2xx answer), refused or failed (with the error),
    or not tried (``tried`` False: no time left, or an earlier row of its endpoint failed)."""

    row_id: int
    endpoint_id: int
    tried: bool = True
    status: int | None = None
    error: str | None = None
    #: the URL may not be reached at all: trying again will not help
    permanent: bool = False
    #: when the try began, and how long it took (milliseconds)
    tried_at: datetime | None = None
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.tried and self.status is not None and 200 <= self.status < 300


def endpoints_for(rows: Sequence[OutboxMessage]) -> dict[int, WebhookEndpoint]:
    """The enabled endpoints of ``rows``, in one query."""
    ids = sorted({row.endpoint_id for row in rows if row.endpoint_id is not None})
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id.in_(ids), WebhookEndpoint.enabled.is_(True)
    )
    return {endpoint.id: endpoint for endpoint in support.session.scalars(query)}


def post_all(
    rows: Sequence[OutboxMessage], endpoints: dict[int, WebhookEndpoint], stop_at: float
) -> Iterator[Outcome]:
    """Post ``rows`` (each endpoint's in order, endpoints at once); the outcome of each row
    as soon as it is known. Rows not tried by ``stop_at`` (``time.monotonic``) come back
    untried."""
    app = cast(Flask, cast(Any, current_app)._get_current_object())
    # no request may outlast the pass's time (after a response, a few seconds)
    timeout = max(
        0.1, min(float(app.config["SUPPORT_WEBHOOK_TIMEOUT"]), stop_at - time.monotonic())
    )
    queues: dict[int, list[tuple[int, str, bytes, dict[str, str]]]] = {}
    for row in rows:
        endpoint = endpoints.get(row.endpoint_id or 0)
        if endpoint is None:  # disabled or deleted since the row was claimed
            yield Outcome(row.id, row.endpoint_id or 0, tried=False)
            continue
        body, headers = signed(row, endpoint.secret, clock.now())
        queues.setdefault(endpoint.id, []).append((row.id, endpoint.url, body, headers))
    outcomes: queue.Queue[Outcome | None] = queue.Queue()
    groups = list(queues.items())
    threads = [
        threading.Thread(
            target=_post_group,
            args=(app, groups[start::_THREADS], timeout, stop_at, outcomes),
            daemon=True,
        )
        for start in range(min(len(groups), _THREADS))
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    while running:
        outcome = outcomes.get()
        if outcome is None:
            running -= 1
        else:
            yield outcome


def _post_group(
    app: Flask,
    groups: list[tuple[int, list[tuple[int, str, bytes, dict[str, str]]]]],
    timeout: float,
    stop_at: float,
    outcomes: queue.Queue[Outcome | None],
) -> None:
    try:
        with app.app_context():
            for endpoint_id, entries in groups:
                for outcome in _post_in_order(endpoint_id, entries, timeout, stop_at):
                    outcomes.put(outcome)
    finally:
        outcomes.put(None)


def _post_in_order(
    endpoint_id: int,
    entries: list[tuple[int, str, bytes, dict[str, str]]],
    timeout: float,
    stop_at: float,
) -> Iterator[Outcome]:
    """One endpoint's rows, oldest first, until one fails or the time is up."""
    going = True
    for row_id, url, body, headers in entries:
        if not going or time.monotonic() >= stop_at:
            yield Outcome(row_id, endpoint_id, tried=False)
            continue
        # a call never runs past the pass's end (after a response: its few seconds)
        left = max(0.1, min(timeout, stop_at - time.monotonic()))
        outcome = _post_one(row_id, endpoint_id, url, body, headers, left)
        going = outcome.ok
        yield outcome


def _post_one(
    row_id: int, endpoint_id: int, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> Outcome:
    """Post one row; its outcome, timed."""
    tried_at, started = clock.now(), time.monotonic()
    outcome = _outcome(row_id, endpoint_id, url, body, headers, timeout)
    duration_ms = round((time.monotonic() - started) * 1000)
    return replace(outcome, tried_at=tried_at, duration_ms=duration_ms)


def _outcome(
    row_id: int, endpoint_id: int, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> Outcome:
    try:
        answer = post(url, body, headers, timeout)
    except UnsafeUrl as refused:
        return Outcome(row_id, endpoint_id, error=refused.message, permanent=True)
    except (OSError, http.client.HTTPException) as problem:
        return Outcome(row_id, endpoint_id, error=f"{type(problem).__name__}: {problem}"[:1000])
    except Exception as broken:  # the request cannot be made at all: it never will be
        error = f"{type(broken).__name__}: {broken}"[:1000]
        return Outcome(row_id, endpoint_id, error=error, permanent=True)
    if 200 <= answer.status < 300:
        return Outcome(row_id, endpoint_id, status=answer.status)
    error = f"HTTP {answer.status}: {answer.body[:500]}".strip()
    return Outcome(row_id, endpoint_id, status=answer.status, error=error)


def note_health(outcome: Outcome, row: OutboxMessage) -> None:
    """Record how a try of ``row`` went: in the endpoint's log (every try), and on the
    endpoint: a success clears its failures; a failure pauses it (a minute, then twice as
    long after each failure in a row, at most an hour)."""
    moment = clock.now()
    support.session.add(
        WebhookTry(
            tenant_id=row.tenant_id,
            endpoint_id=outcome.endpoint_id,
            outbox_id=row.id,
            attempt=row.attempts,
            tried_at=outcome.tried_at or moment,
            duration_ms=outcome.duration_ms,
            response_status=outcome.status,
            error=None if outcome.ok else outcome.error,
        )
    )
    endpoint = WebhookEndpoint.__table__.c
    statement = update(WebhookEndpoint).where(WebhookEndpoint.id == outcome.endpoint_id)
    if outcome.ok:
        statement = statement.values(
            failures=0, retry_at=None, last_success_at=moment, last_error=None
        )
    else:
        failures = support.session.scalar(
            select(endpoint.failures).where(endpoint.id == outcome.endpoint_id)
        )
        pause = min(timedelta(minutes=2 ** min(failures or 0, 10)), _MAX_PAUSE)
        statement = statement.values(
            failures=WebhookEndpoint.failures + 1,
            retry_at=moment + pause,
            last_failure_at=moment,
            last_error=outcome.error,
        )
    support.session.execute(statement.execution_options(synchronize_session=False))
    support.session.commit()
