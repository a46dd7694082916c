"""Delivering the outbox: claim due notifications, send them, mark them.

Workers (``flask support deliver``) may run on any number of machines: a claim is one
``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`` on PostgreSQL, so two workers never
take the same row. Each row is marked sent right after the mail server accepted it, in its own
commit. A worker that dies after claiming leaves its rows "sending"; once the claim is older
than ``SUPPORT_DELIVERY_CLAIM_SECONDS`` another worker takes them again. Every row always goes
out with the same ``Message-ID`` (made from its id), so a mail that a dying worker had sent and
another sends again is one message to every mailbox that files by Message-ID.

Whatever goes wrong with one row is recorded on that row, and the pass goes on with the next:
a refusal for good (5xx), or a row that cannot be made into an e-mail at all, fails it at once,
with the reason; a temporary refusal (4xx: greylisting, a full mailbox) is tried again with
growing waits, at most an hour apart, for ``SUPPORT_DELIVERY_ATTEMPTS`` tries (about a day).
When the mail server cannot be reached, the pass stops: every row it holds waits for the next
try, instead of each waiting for the server's timeout in turn. Failed rows are listed for the
operator, who can send them again.

A change writes its rows with :func:`write`, in one statement: its e-mails, and its webhooks
as ``INSERT … SELECT`` from the endpoints that may hear of it (``webhooks.rows_for``).

Webhook rows (``endpoint_id`` set) go through the same claims to ``webhook_delivery``: each
endpoint's in a thread of its own, in order per ticket (a row waits in the claim until the
earlier rows of its ticket to its endpoint went), and an endpoint that failed pauses alone;
the e-mails of the pass go after them.

Delivery right after a response is bounded: it stops after ``SUPPORT_DELIVER_AFTER_REQUEST_
SECONDS`` and, once the mail server failed to answer, a process leaves delivery to the workers
for a minute, so a sick mail server never holds the web workers.
"""

from __future__ import annotations

import re
import secrets
import smtplib
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from flask import Flask, Response, after_this_request, current_app, has_request_context
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    column,
    exists,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningInsert

from . import access, clock, idempotency, signals, webhook_delivery
from .host import Actor
from .idempotency import Receipt
from .mailer import ConnectionProblem, Mailer, PermanentFailure, TemporaryFailure
from .models import Delivery, OutboxMessage, WebhookEndpoint
from .state import EXTENSION_KEY, support
from .transaction import kept_loaded, use_case
from .workflow import Role

#: the longest wait between two tries
_MAX_WAIT = timedelta(hours=1)
#: after the mail server failed to answer, how long a web process leaves delivery to workers
_COOL_DOWN_SECONDS = 60.0


#: The columns a change writes of each of its outbox rows, e-mails and webhooks alike.
COLUMNS = (
    "tenant_id",
    "ticket_id",
    "endpoint_id",
    "event_key",
    "notification",
    "recipient",
    "recipient_name",
    "locale",
    "payload",
    "status",
    "last_error",
)


def parameter(prefix: str, column: str) -> ColumnElement[Any]:
    """A parameter ``<prefix><column>`` of ``support_outbox.<column>``'s type, labelled
    ``column``: a value of one outbox row in a statement made once (:func:`write`)."""
    table = cast(Table, OutboxMessage.__table__)
    return bindparam(prefix + column, type_=table.c[column].type).label(column)


@dataclass(frozen=True)
class Picked:
    """Outbox rows that a SELECT on ``support_webhook_endpoint`` picks (``webhooks.rows_for``):
    ``make(prefix, *shape)`` makes the SELECT, its values as parameters named ``prefix`` and
    a name (:func:`parameter`); ``values`` holds them by name, without the prefix. The SELECT
    is made once per shape; a change binds only its values."""

    make: Callable[..., Select[Any]]
    shape: tuple[Hashable, ...]
    values: Mapping[str, Any]


def write(rows: Sequence[Mapping[str, Any]], picked: Sequence[Picked]) -> tuple[int, ...]:
    """Write a change's outbox rows in one statement: ``rows`` (values of :data:`COLUMNS`)
    and the rows the SELECTs of ``picked`` give (as many as there are endpoints to tell), in
    this order. Nothing is sent when there is neither; the rows' ids (for delivery right
    after the response).

    The statement is made once for each number of rows and shapes of SELECTs (a ticket's
    opening, a reply, ...), with every value a parameter: making it and its cache key cost
    several times running it."""
    if not rows and not picked:
        return ()
    statement = _insert(len(rows), tuple((part.make, part.shape) for part in picked))
    values = {f"r{i}_{name}": row[name] for i, row in enumerate(rows) for name in COLUMNS}
    for j, part in enumerate(picked):
        values.update({f"s{j}_{name}": value for name, value in part.values.items()})
    return tuple(support.session.scalars(statement, values))


@lru_cache(maxsize=256)
def _insert(
    rows: int, picked: tuple[tuple[Callable[..., Select[Any]], tuple[Hashable, ...]], ...]
) -> ReturningInsert[tuple[int]]:
    given = [select(*(parameter(f"r{i}_", name) for name in COLUMNS)) for i in range(rows)]
    chosen = [make(f"s{j}_", *shape) for j, (make, shape) in enumerate(picked)]
    parts = [
        part.add_columns(literal(position, Integer).label("position"))
        for position, part in enumerate([*given, *chosen])
    ]
    union = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    # in the order given: the events of a ticket go to an endpoint in the order of their ids.
    # The columns by name (the union is the only FROM), not the subquery's column objects
    named: list[ColumnElement[Any]] = [column(name) for name in COLUMNS]
    source = select(*named).select_from(union).order_by(column("position"))
    table = cast(Table, OutboxMessage.__table__)
    return table.insert().from_select(COLUMNS, source).returning(table.c.id)


@dataclass
class Report:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed)


def claim(
    limit: int, only: Sequence[int] | None = None, *, webhooks: bool = False
) -> tuple[str, list[OutboxMessage]]:
    """Take up to ``limit`` due rows (``webhooks``: webhook rows only) for this worker; no
    other worker gets them meanwhile."""
    session = support.session
    moment = clock.now()
    stale = moment - timedelta(seconds=int(current_app.config["SUPPORT_DELIVERY_CLAIM_SECONDS"]))
    due = or_(
        and_(OutboxMessage.status == Delivery.PENDING, OutboxMessage.next_attempt_at <= moment),
        and_(OutboxMessage.status == Delivery.SENDING, OutboxMessage.claimed_at < stale),
    )
    candidates = select(OutboxMessage.id).where(due, _may_go(moment))
    if only is not None:
        candidates = candidates.where(OutboxMessage.id.in_(list(only)))
    if webhooks:
        candidates = candidates.where(OutboxMessage.endpoint_id.is_not(None))
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
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
            # as the claim left them, also a row this pass had loaded before (``deliver``
            # keeps what it loaded across its commits)
            .execution_options(populate_existing=True)
        )
    )
    return token, rows


def _may_go(moment: datetime) -> ColumnElement[bool]:
    """An e-mail may always go; a webhook only to an enabled endpoint that is not pausing
    after failures, and only once the earlier webhooks of its ticket to that endpoint went
    (or failed for good): events of a ticket reach an endpoint in order."""
    earlier = aliased(OutboxMessage)
    waits = exists().where(
        earlier.endpoint_id == OutboxMessage.endpoint_id,
        earlier.ticket_id == OutboxMessage.ticket_id,
        earlier.id < OutboxMessage.id,
        earlier.status.in_([Delivery.PENDING, Delivery.SENDING]),
    )
    ready = select(WebhookEndpoint.id).where(
        WebhookEndpoint.enabled.is_(True),
        or_(WebhookEndpoint.retry_at.is_(None), WebhookEndpoint.retry_at <= moment),
    )
    return or_(
        OutboxMessage.endpoint_id.is_(None),
        and_(OutboxMessage.endpoint_id.in_(ready), ~waits),
    )


def deliver(
    limit: int = 100, only: Sequence[int] | None = None, *, budget: float | None = None
) -> Report:
    """Send what is due (or just the rows ``only``, when they are due). One pass.

    ``budget``: the most seconds the pass may take (delivery after a response); rows it
    had no time for go back in line at once, for a worker.

    Raises:
        ServerUnavailable: after recording it on the rows, when the mail server could not be
            reached (callers that deliver after a response use it to pause).
    """
    # a pass commits after each row (its claim renewed, its outcome): what it loaded (the
    # claimed rows, the host's tenant) stays loaded, not read again after every commit
    with kept_loaded():
        token, claimed = claim(limit, only)
        report = Report()
        deadline = None if budget is None else time.monotonic() + budget
        hooks = [row for row in claimed if row.endpoint_id is not None]
        if hooks:
            _webhooks(hooks, token, report, deadline, limit, only)
        rows = [row for row in claimed if row.endpoint_id is None]
        if rows:
            _mails(rows, token, report, deadline, budget)
    return report


def _webhooks(
    hooks: list[OutboxMessage],
    token: str,
    report: Report,
    deadline: float | None,
    limit: int,
    only: Sequence[int] | None,
) -> None:
    """Post the claimed webhook rows, then those that waited for them (the next events of
    their tickets to their endpoints), while any go and there is time."""
    while hooks and _deliver_webhooks(hooks, token, report, deadline):
        if deadline is not None and time.monotonic() >= deadline:
            return
        token, hooks = claim(limit, only, webhooks=True)


def _mails(
    rows: list[OutboxMessage],
    token: str,
    report: Report,
    deadline: float | None,
    budget: float | None,
) -> None:
    """Send the claimed e-mails over one connection.

    Raises: ServerUnavailable (recorded on the rows)."""
    timeout = float(current_app.config["SUPPORT_SMTP_TIMEOUT"])
    if budget is not None:
        timeout = min(timeout, budget)
    with Mailer(timeout=timeout, until=deadline) as mailer:
        for position, row in enumerate(rows):
            if deadline is not None and time.monotonic() >= deadline:
                _release(rows[position:], token)
                return
            if not _renew(row, token):
                continue  # another worker took it over (this one was too slow)
            try:
                _send_one(mailer, row, token, report)
            except ServerUnavailable as down:
                for waiting in rows[position:]:
                    _record_retry(waiting, token, down.problem, report)
                raise


def _deliver_webhooks(
    rows: Sequence[OutboxMessage], token: str, report: Report, deadline: float | None
) -> bool:
    """Post the webhook rows (``webhook_delivery``), recording each outcome as it comes;
    whether any went."""
    went = False
    claim_seconds = float(current_app.config["SUPPORT_DELIVERY_CLAIM_SECONDS"])
    # past half the claim's life another worker could take the rows: stop well before
    stop_at = time.monotonic() + claim_seconds / 2
    if deadline is not None:
        stop_at = min(stop_at, deadline)
    by_id = {row.id: row for row in rows}
    endpoints = webhook_delivery.endpoints_for(rows)
    for outcome in webhook_delivery.post_all(rows, endpoints, stop_at):
        row = by_id[outcome.row_id]
        if not outcome.tried:
            _release([row], token)
            continue
        webhook_delivery.note_health(outcome, row)
        if outcome.ok:
            _finish(row, token, Delivery.SENT, response_status=outcome.status)
            report.sent.append(row.id)
            went = True
        elif outcome.permanent:
            _record_failure(row, token, outcome.error or "", report)
        else:
            _record_retry(row, token, outcome.error or "", report, outcome.status)
    return went


class ServerUnavailable(Exception):
    """The mail server could not be reached or did not answer."""

    def __init__(self, problem: Exception) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _send_one(mailer: Mailer, row: OutboxMessage, token: str, report: Report) -> None:
    """Send one row and record what happened on it; only an unreachable server goes up."""
    try:
        mailer.send(row)
    except ConnectionProblem as problem:
        raise ServerUnavailable(problem.problem) from problem
    except PermanentFailure as failure:
        _record_failure(row, token, str(failure), report)
    except TemporaryFailure as refusal:
        _record_retry(row, token, refusal, report)
    except (OSError, smtplib.SMTPException) as problem:  # the connection broke mid-message
        mailer.reset()
        _record_retry(row, token, problem, report)
    except Exception as broken:  # the row cannot be made into an e-mail: it never will be
        current_app.logger.exception("notification %s cannot be sent", row.id)
        _record_failure(row, token, _describe(broken), report)
    else:
        _finish(row, token, Delivery.SENT)
        report.sent.append(row.id)


def _record_failure(
    row: OutboxMessage, token: str, error: str, report: Report, response_status: int | None = None
) -> None:
    _finish(row, token, Delivery.FAILED, error=error, response_status=response_status)
    report.failed.append(row.id)
    _announce_failure(row, error)


def _record_retry(
    row: OutboxMessage,
    token: str,
    problem: Exception | str,
    report: Report,
    response_status: int | None = None,
) -> None:
    attempts_allowed = int(current_app.config["SUPPORT_DELIVERY_ATTEMPTS"])
    error = problem if isinstance(problem, str) else _describe(problem)
    if row.attempts >= attempts_allowed:
        _record_failure(row, token, error, report, response_status)
        return
    wait = min(timedelta(minutes=2 ** (row.attempts - 1)), _MAX_WAIT)
    _finish(
        row,
        token,
        Delivery.PENDING,
        error=error,
        next_at=clock.now() + wait,
        response_status=response_status,
    )
    report.retrying.append(row.id)


def _renew(row: OutboxMessage, token: str) -> bool:
    """Renew this worker's claim on ``row`` right before sending it, so a claim only goes
    stale when its worker died; False when another worker has taken the row since."""
    session = support.session
    renewed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim == token)
        .values(claimed_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(renewed, "rowcount", 0) == 1


def _release(rows: Sequence[OutboxMessage], token: str) -> None:
    """Give rows this pass had no time for back, to be taken at once, without using a try."""
    session = support.session
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in rows]), OutboxMessage.claim == token)
        .values(
            status=Delivery.PENDING,
            claim=None,
            attempts=OutboxMessage.attempts - 1,
            next_attempt_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _finish(
    row: OutboxMessage,
    token: str,
    status: Delivery,
    *,
    error: str | None = None,
    next_at: datetime | None = None,
    response_status: int | None = None,
) -> None:
    """Record the outcome, only if this worker still holds the claim."""
    values: dict[str, object] = {"status": status, "last_error": error, "claim": None}
    if response_status is not None:
        values["response_status"] = response_status
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
    signals.announce(
        signals.notification_failed,
        cast(Any, current_app)._get_current_object(),
        tenant_id=row.tenant_id,
        recipient=row.recipient,
        notification=row.notification,
        error=error,
    )


def _describe(problem: Exception) -> str:
    return f"{type(problem).__name__}: {problem}"[:1000]


def troubled(tenant_id: str, actor: Actor, role: Role, limit: int = 100) -> list[OutboxMessage]:
    """The newest notifications of a tenant that failed or wait for another try, for its
    operators (nobody else sees any)."""
    query = access.troubled_notifications(tenant_id, actor, role).limit(limit)
    return list(support.session.scalars(query))


@use_case
def send_troubled_again(
    tenant_id: str,
    actor: Actor,
    role: Role,
    ids: Sequence[int],
    receipt: Receipt | None = None,
) -> int:
    """The operator's "send again": put the notifications among ``ids`` that
    :func:`troubled` lists for ``actor`` back in line, to be tried at once (the others are
    left alone: nobody else may); how many. With ``receipt`` (an API call's
    ``Idempotency-Key``) its answer is kept in the same transaction; when a call with the
    same key at the same moment kept its own first, nothing is changed and the receipt holds
    that call's answer.
    """
    session = support.session
    query = access.troubled_notifications(tenant_id, actor, role)
    listed = list(
        session.scalars(
            query.with_only_columns(OutboxMessage.id).where(OutboxMessage.id.in_(list(ids)))
        )
    )
    count = _put_back(tenant_id, listed)
    if not idempotency.commit(receipt, count):
        return 0
    deliver_soon(listed)
    return count


#: the Message-ID every try of a row goes out with (``mailer.compose``)
_OUR_MESSAGE_ID = re.compile(r"<support-(?P<tenant>.+)-(?P<id>[0-9]{1,9})@[^<>@]+>")


def mark_bounced(message_id: str, reason: str) -> int | None:
    """Mark the notification that went out as ``message_id`` failed, with the bounce's
    reason (the operator's list of notifications that did not go out shows it); the row's
    id, or None when the id is not one of our notifications'."""
    match = _OUR_MESSAGE_ID.fullmatch(message_id.strip())
    if match is None:
        return None
    session = support.session
    row = session.get(OutboxMessage, int(match["id"]))
    if row is None or row.tenant_id != match["tenant"]:
        return None
    error = f"bounced: {reason}"[:1000]
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id)
        .values(status=Delivery.FAILED, last_error=error, claim=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    _announce_failure(row, error)
    return row.id


def send_again(tenant_id: str, ids: Sequence[int], *, receipt: Receipt | None = None) -> int:
    """Put failed notifications of a tenant back in line, to be tried at once (an endpoint's
    failed webhooks: ``webhooks.send_again``); returns how many. An API call's ``receipt`` is
    kept with it (``idempotency.commit``): the same call again sends nothing more."""
    count = _put_back(tenant_id, ids)
    if not idempotency.commit(receipt, count):
        return 0
    deliver_soon(ids)
    return count


def _put_back(tenant_id: str, ids: Sequence[int]) -> int:
    """Make failed or waiting rows of a tenant due now, with their tries counted from 0
    again; how many (not committed)."""
    if not ids:
        return 0
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
    return int(getattr(result, "rowcount", 0) or 0)


def deliver_soon(ids: Sequence[int]) -> None:
    """Deliver these rows right after the response has gone out, so nobody waits for the
    mail server (``SUPPORT_DELIVER_AFTER_REQUEST``; a worker delivers whatever this misses), or
    hand them to the task queue's workers where the host registered ``celery_tasks``.
    It takes at most ``SUPPORT_DELIVER_AFTER_REQUEST_SECONDS``, and none at all for a minute
    after the mail server failed to answer this process."""
    app = cast(Any, current_app)._get_current_object()
    if not ids:
        return
    enqueue = app.extensions[EXTENSION_KEY].enqueue_delivery
    if enqueue is not None:  # a task queue's workers send them (celery_tasks)
        enqueue(list(ids))
        return
    if not app.config["SUPPORT_DELIVER_AFTER_REQUEST"] or not has_request_context():
        return
    if time.monotonic() < app.extensions[EXTENSION_KEY].delivery_paused_until:
        return
    wanted = list(ids)

    def deliver_after(response: Response) -> Response:
        response.call_on_close(lambda: _deliver_in(app, wanted))
        return response

    after_this_request(deliver_after)


def _deliver_in(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            deliver(only=ids, budget=float(app.config["SUPPORT_DELIVER_AFTER_REQUEST_SECONDS"]))
        except ServerUnavailable as down:
            app.extensions[EXTENSION_KEY].delivery_paused_until = (
                time.monotonic() + _COOL_DOWN_SECONDS
            )
            app.logger.warning(
                "the mail server did not answer (%s): notifications wait for the delivery "
                "workers for %d s",
                down.problem,
                _COOL_DOWN_SECONDS,
            )
        except Exception:
            # the response is gone; the rows stay in the outbox for a worker
            app.logger.exception("delivering notifications after the request failed")
