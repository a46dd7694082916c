"""API tokens: keys provider and operator staff make for their own programs (a helpdesk, a
script), which then act as them through the JSON API.

A token is made in the provider inbox or the operator console and acts in that area's role,
in the tenant it was made in, as the person who made it, with its scopes. It is shown once;
only its SHA-256 is kept. It stops working when it is revoked, when it expires, and when the
host no longer says its maker is staff of that provider or of the operator: the host is asked
on every call (:meth:`~.host.HostAdapter.actor`), as pages ask it on every request.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from . import access
from .clock import now
from .host import Actor
from .i18n import lazy_gettext
from .models import ApiToken
from .schemas import InvalidInput, TokenSchema, load
from .state import support
from .transaction import use_case
from .workflow import Role

#: How every token begins, so people and secret scanners recognise one.
PREFIX = "mst_"
#: A token: the prefix and 32 random bytes, URL-safe base64 (43 characters).
_TOKEN = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]{43}\Z")
#: The longest a token may work; people make a new one after.
MAX_DAYS = 365
#: How often a token's "last used" is written: not at every call.
LAST_USED_EVERY = timedelta(minutes=1)


class Scope(enum.StrEnum):
    """What a token may do."""

    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"

    @property
    def label(self) -> str:
        return _SCOPE_LABELS[self]


_SCOPE_LABELS = {
    Scope.TICKETS_READ: lazy_gettext("Read tickets"),
    Scope.TICKETS_WRITE: lazy_gettext("Reply to tickets and act on them"),
}


class TokenRefused(Exception):
    """Not a token we made, or one that no longer works (revoked, expired, its maker no
    longer staff there). Which of them is not said to the caller."""


@dataclass(frozen=True)
class Made:
    """A new token, and its secret: shown this once, never stored."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class Bearer:
    """Who a call with a valid token acts as."""

    token_id: int
    tenant_id: str
    role: Role
    scopes: frozenset[Scope]
    actor: Actor


def offered() -> bool:
    """Whether the host tells who a token's maker is now (:meth:`HostAdapter.actor`): without
    that, no token could be checked, so none is offered."""
    return support.answers_actor()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@use_case
def make(tenant_id: str, actor: Actor, role: Role, form: Mapping[str, Any]) -> Made:
    """A new token of ``actor`` for the area of ``role``.

    Raises:
        InvalidInput: errors per field (name, days, scopes); nothing was written.
    """
    schema = TokenSchema(scopes=[scope.value for scope in Scope], max_days=MAX_DAYS)
    data, errors = load(schema, form)
    if errors:
        raise InvalidInput(errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    moment = now()
    token = ApiToken(
        tenant_id=tenant_id,
        user_id=actor.user_id,
        role=role,
        name=data["name"],
        hint=secret[: len(PREFIX) + 4],
        token_hash=digest(secret),
        scopes=" ".join(sorted(set(data["scopes"]))),
        created_at=moment,
        expires_at=moment + timedelta(days=data["days"]),
    )
    support.session.add(token)
    support.session.commit()
    return Made(token, secret)


def tokens_of(tenant_id: str, actor: Actor, role: Role) -> list[ApiToken]:
    """The tokens ``actor`` made in the area of ``role``, newest first."""
    query = (
        select(ApiToken)
        .where(
            ApiToken.tenant_id == tenant_id,
            ApiToken.user_id == actor.user_id,
            ApiToken.role == role,
        )
        .order_by(ApiToken.id.desc())
    )
    return list(support.session.scalars(query))


@use_case
def revoke(tenant_id: str, actor: Actor, role: Role, token_id: int) -> bool:
    """Revoke a token ``actor`` made in the area of ``role``; False when there is no such
    token of theirs that still works (another person's is not theirs to revoke)."""
    statement = (
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            ApiToken.tenant_id == tenant_id,
            ApiToken.user_id == actor.user_id,
            ApiToken.role == role,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=now())
    )
    revoked = cast("CursorResult[Any]", support.session.execute(statement)).rowcount == 1
    support.session.commit()
    return revoked


def scopes_of(token: ApiToken) -> tuple[Scope, ...]:
    return tuple(Scope(value) for value in token.scopes.split())


def authenticate(secret: str) -> Bearer:
    """Who a call with ``secret`` acts as, asked of the host now; notes that the token was
    used (at most once a minute).

    Raises:
        TokenRefused: not a token of ours, revoked, expired, or its maker is no longer staff
            of the area it was made in.
    """
    if not _TOKEN.fullmatch(secret):
        raise TokenRefused()
    query = select(ApiToken).where(ApiToken.token_hash == digest(secret))
    token = support.session.scalars(query).one_or_none()
    moment = now()
    if token is None or token.revoked_at is not None or token.expires_at <= moment:
        raise TokenRefused()
    actor = support.host.actor(token.tenant_id, token.user_id)
    if actor is None or actor.user_id != token.user_id or not access.may_use(actor, token.role):
        raise TokenRefused()
    bearer = Bearer(token.id, token.tenant_id, token.role, frozenset(scopes_of(token)), actor)
    if token.last_used_at is None or token.last_used_at <= moment - LAST_USED_EVERY:
        support.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at <= moment - LAST_USED_EVERY,
                ),
            )
            .values(last_used_at=moment)
        )
        support.session.commit()
    return bearer
