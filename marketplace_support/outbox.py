"""Delivering the outbox: claim due notifications, send them, mark them.

Workers (``flask support deliver``) may run on any number of machines: a claim is one
``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` on PostgreSQL, so two workers never
take the same row. Each row is marked sent right after the mail server accepted it, in its own
commit. A worker that dies after claiming leaves its rows "sending"; once the claim is older
than ``SUPPORT_DELIVERY_CLAIM_SECONDS`` another worker takes them again. Every row always goes
out with the same ``Message-ID`` (made from its id), so a mail that a dying worker had sent and
another sends again is one message to every mailbox that files by Message-ID.

Failures the mail server reports for good (5xx) fail the row at once; others (server down,
timeouts, 4xx) are retried with growing waits, up to ``SUPPORT_DELIVERY_ATTEMPTS`` tries.
Failed rows are listed for the operator, who can send them again.
"""

from __future__ import annotations

import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, Response, after_this_request, current_app, has_request_context
from sqlalchemy import and_, or_, select, update

from . import access, clock, signals
from .host import Actor
from .mailer import Mailer, PermanentFailure
from .models import Delivery, OutboxMessage
from .state import support

#: the longest wait between two tries
_MAX_WAIT = timedelta(hours=6)


@dataclass
class Report:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed)


def claim(limit: int, only: Sequence[int] | None = None) -> tuple[str, list[OutboxMessage]]:
    """Take up to ``limit`` due rows for this worker; no other worker gets them meanwhile."""
    session = support.session
    moment = clock.now()
    stale = moment - timedelta(seconds=int(current_app.config["SUPPORT_DELIVERY_CLAIM_SECONDS"]))
    due = or_(
        and_(OutboxMessage.status == Delivery.PENDING, OutboxMessage.next_attempt_at <= moment),
        and_(OutboxMessage.status == Delivery.SENDING, OutboxMessage.claimed_at < stale),
    )
    candidates = select(OutboxMessage.id).where(due)
    if only is not None:
        candidates = candidates.where(OutboxMessage.id.in_(list(only)))
    candidates = (
        candidates.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    )
    token = secrets.token_hex(16)
    claimed = list(
        session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates.scalar_subquery()))
            .values(
                status=Delivery.SENDING,
                claim=token,
                claimed_at=moment,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage.id)
        )
    )
    session.commit()
    if not claimed:
        return token, []
    rows = list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        )
    )
    return token, rows


def deliver(limit: int = 100, only: Sequence[int] | None = None) -> Report:
    """Send what is due (or just the rows ``only``, when they are due). One pass."""
    token, rows = claim(limit, only)
    report = Report()
    if not rows:
        return report
    with Mailer() as mailer:
        for row in rows:
            try:
                mailer.send(row)
            except PermanentFailure as failure:
                _finish(row, token, Delivery.FAILED, error=str(failure))
                report.failed.append(row.id)
                _announce_failure(row, str(failure))
            except (OSError, smtplib.SMTPException) as problem:
                outcome = _retry(row, token, problem)
                (report.failed if outcome is Delivery.FAILED else report.retrying).append(row.id)
                mailer.reset()
            else:
                _finish(row, token, Delivery.SENT)
                report.sent.append(row.id)
    return report


def _retry(row: OutboxMessage, token: str, problem: Exception) -> Delivery:
    attempts_allowed = int(current_app.config["SUPPORT_DELIVERY_ATTEMPTS"])
    if row.attempts >= attempts_allowed:
        _finish(row, token, Delivery.FAILED, error=_describe(problem))
        _announce_failure(row, _describe(problem))
        return Delivery.FAILED
    wait = min(timedelta(minutes=2 ** (row.attempts - 1)), _MAX_WAIT)
    _finish(row, token, Delivery.PENDING, error=_describe(problem), next_at=clock.now() + wait)
    return Delivery.PENDING


def _finish(
    row: OutboxMessage,
    token: str,
    status: Delivery,
    *,
    error: str | None = None,
    next_at: datetime | None = None,
) -> None:
    """Record the outcome, only if this worker still holds the claim."""
    values: dict[str, object] = {"status": status, "last_error": error, "claim": None}
    if status is Delivery.SENT:
        values["sent_at"] = clock.now()
    if next_at is not None:
        values["next_attempt_at"] = next_at
    session = support.session
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _announce_failure(row: OutboxMessage, error: str) -> None:
    signals.notification_failed.send(
        cast(Any, current_app)._get_current_object(),
        tenant_id=row.tenant_id,
        recipient=row.recipient,
        notification=row.notification,
        error=error,
    )


def _describe(problem: Exception) -> str:
    return f"{type(problem).__name__}: {problem}"[:1000]


def troubled(tenant_id: str, actor: Actor, limit: int = 100) -> list[OutboxMessage]:
    """The newest notifications of a tenant that failed or wait for another try, for its
    operators (nobody else sees any)."""
    query = access.troubled_notifications(tenant_id, actor).limit(limit)
    return list(support.session.scalars(query))


def send_again(tenant_id: str, ids: Sequence[int]) -> int:
    """Put failed notifications of a tenant back in line, to be tried at once (the operator's
    "send again"); returns how many."""
    result = support.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.id.in_(list(ids)),
            OutboxMessage.status.in_([Delivery.FAILED, Delivery.PENDING]),
        )
        .values(status=Delivery.PENDING, attempts=0, next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    support.session.commit()
    deliver_soon(ids)
    return int(getattr(result, "rowcount", 0) or 0)


def deliver_soon(ids: Sequence[int]) -> None:
    """Deliver these rows right after the response has gone out, so nobody waits for the
    mail server (``SUPPORT_DELIVER_AFTER_REQUEST``; a worker delivers whatever this misses)."""
    wanted_now = current_app.config["SUPPORT_DELIVER_AFTER_REQUEST"]
    if not ids or not wanted_now or not has_request_context():
        return
    app = cast(Any, current_app)._get_current_object()
    wanted = list(ids)

    def deliver_after(response: Response) -> Response:
        response.call_on_close(lambda: _deliver_in(app, wanted))
        return response

    after_this_request(deliver_after)


def _deliver_in(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            deliver(only=ids)
        except Exception:
            # the response is gone; the rows stay in the outbox for a worker
            app.logger.exception("delivering notifications after the request failed")
