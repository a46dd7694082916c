"""``Idempotency-Key``: an API call that changes something (a ticket, a webhook endpoint, the
deliveries or notifications to send again), sent again with the same key, gets the first
call's answer and changes nothing.

The key is kept per person and tenant, with a hash of the call (method, path, body) and the
answer, in the same transaction as the change (``changes.commit`` for a ticket's,
:func:`commit` for the others): a call retried after a crash, a timeout or a lost answer is
safe whichever moment it failed at. The same key with
another call is refused. Keys are kept for :data:`KEEP`; ``flask support sweep`` removes
them after.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError

from .clock import now
from .models import IdempotencyKey
from .state import support

#: How long a key is remembered.
KEEP = timedelta(hours=24)
#: A key: 1 to 255 visible ASCII characters (a UUID, say).
_KEY = re.compile(r"[\x21-\x7e]{1,255}\Z")


class KeyReused(Exception):
    """The key was used before for another call (another body, ticket or action)."""


@dataclass(frozen=True)
class Answer:
    """What a call answered: its HTTP status and its JSON body."""

    status: int
    body: dict[str, Any]


@dataclass
class Receipt:
    """What an API call hands its use-case (``Change.receipt``, ``webhooks.register`` ...):
    the caller's key (None: they sent none), the hash of the call, and how to answer it from
    what the use-case made, worked out in its transaction, when the new rows have their ids."""

    tenant_id: str
    user_id: str
    key: str | None
    fingerprint: str
    #: given what the use-case made (a ``changes.Change``: this module sits below it)
    answer: Callable[[Any], Answer]
    #: the answer, once the change was written
    answered: Answer | None = None

    def keep(self, done: Any, moment: datetime) -> IdempotencyKey | None:
        """Work out the answer to what a use-case did (``done``, handed to :attr:`answer`: a
        ``changes.Change``, its rows flushed, or what another use-case made); the row that
        keeps it, to be added in the use-case's transaction (None without a key)."""
        self.answered = self.answer(done)
        if self.key is None:
            return None
        return IdempotencyKey(
            tenant_id=self.tenant_id,
            user_id=self.user_id,
            key=self.key,
            fingerprint=self.fingerprint,
            status=self.answered.status,
            response=self.answered.body,
            created_at=moment,
        )

    def take_earlier(self) -> Answer | None:
        """What a first call with the same key answered (see :func:`answered_before`), which
        becomes this call's answer: for a call that lost the race to a first one with the
        same key, whose change was rolled back."""
        if self.key is None:
            return None
        self.answered = answered_before(self.tenant_id, self.user_id, self.key, self.fingerprint)
        return self.answered


def is_key(value: str) -> bool:
    return _KEY.fullmatch(value) is not None


def fingerprint(method: str, path: str, body: Any) -> str:
    """The hash of a call: two calls are the same when their method, path and JSON body are
    (the order of an object's members and white space do not count)."""
    text = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def answered_before(tenant_id: str, user_id: str, key: str, fingerprint: str) -> Answer | None:
    """The answer of the call ``user_id`` made with ``key`` within :data:`KEEP`, or None. A
    key older than that is forgotten here (in the transaction of the change that follows).

    Raises:
        KeyReused: the key was used for another call.
    """
    query = select(IdempotencyKey).where(
        IdempotencyKey.tenant_id == tenant_id,
        IdempotencyKey.user_id == user_id,
        IdempotencyKey.key == key,
    )
    found = support.session.scalars(query).one_or_none()
    if found is None:
        return None
    if found.created_at <= now() - KEEP:
        support.session.delete(found)
        support.session.flush()
        return None
    if found.fingerprint != fingerprint:
        raise KeyReused()
    return Answer(found.status, found.response)


def commit(receipt: Receipt | None, done: Any) -> bool:
    """Commit a use-case's work (``done``: what it answers from, :meth:`Receipt.keep`) with
    the receipt's key; whether it was. When a first call with the same key committed
    meanwhile, this one's work is rolled back (False) and the first call's answer becomes
    this one's (``receipt.answered``).

    Raises: IntegrityError, when that is not why the database refused; KeyReused.
    """
    session = support.session
    if receipt is not None:
        kept = receipt.keep(done, now())
        if kept is not None:
            session.add(kept)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if receipt is None or receipt.take_earlier() is None:
            raise
        return False
    return True


def forget_old(moment: datetime) -> int:
    """Remove the keys older than :data:`KEEP` at ``moment``; how many."""
    statement = delete(IdempotencyKey).where(IdempotencyKey.created_at <= moment - KEEP)
    removed = cast("CursorResult[Any]", support.session.execute(statement)).rowcount
    support.session.commit()
    return int(removed)
