"""What a person may send in a short time, and the one check every way in goes through.

Opening a ticket, replies and notes, emergency reports and attached files are counted per
person and, with much higher limits, for the whole tenant (a flood from many accounts). The
limits are the tenant's :class:`~.host.Flags` (Flask-Limiter limit strings), so a host words
them per tenant. Reading is never limited, nor is the module's own sweep.

The use-cases (``tickets.open_ticket``, ``actions.act``) call :func:`spend` after the form
was found valid and before anything is written, so pages, the JSON API and e-mail replies
are held to the same limits; a channel answers :class:`LimitReached` in its own way (a page
answers 429 with ``Retry-After``, keeping what the person typed). What passes is counted when
the use-case is done (:func:`counted_when_done`), so a request that fails counts nowhere.
"""

from __future__ import annotations

import enum
import functools
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from urllib.parse import quote

from flask import current_app
from flask_limiter import HeaderNames
from limits import RateLimitItem, parse_many

from .host import Actor, Flags
from .i18n import lazy_gettext, ngettext
from .limit_storage import KEY_PREFIX
from .state import support
from .workflow import Action, Role


class Limited(enum.StrEnum):
    """What is counted."""

    OPEN_TICKETS = "open_tickets"
    #: a customer's reply (or added information)
    REPLIES = "replies"
    #: a provider's or operator's reply or internal note
    STAFF_MESSAGES = "staff_messages"
    EMERGENCIES = "emergencies"
    #: counted per file
    UPLOADS = "uploads"


@dataclass(frozen=True)
class Limits:
    """The :class:`~.host.Flags` fields that hold a limit per person and for the tenant, and
    what the person reads when they reach theirs."""

    person: str
    tenant: str
    reached: str


LIMITS: dict[Limited, Limits] = {
    Limited.OPEN_TICKETS: Limits(
        "limit_open_tickets",
        "limit_open_tickets_tenant",
        lazy_gettext("You sent many tickets in a short time."),
    ),
    Limited.REPLIES: Limits(
        "limit_replies",
        "limit_replies_tenant",
        lazy_gettext("You sent many messages in a short time."),
    ),
    Limited.STAFF_MESSAGES: Limits(
        "limit_staff_messages",
        "limit_staff_messages_tenant",
        lazy_gettext("You sent many messages in a short time."),
    ),
    Limited.EMERGENCIES: Limits(
        "limit_emergencies",
        "limit_emergencies_tenant",
        lazy_gettext("You reported many emergencies in a short time."),
    ),
    Limited.UPLOADS: Limits(
        "limit_uploads",
        "limit_uploads_tenant",
        lazy_gettext("You sent many files in a short time."),
    ),
}

#: What a tenant-wide limit says: the person who meets it did not send much themselves.
TENANT_REACHED = lazy_gettext("Support receives an unusual number of requests right now.")

#: The actions on a ticket that are counted, by the role that fires them.
COUNTED: dict[tuple[Role, Action], Limited] = {
    (Role.CUSTOMER, Action.REPLY): Limited.REPLIES,
    (Role.CUSTOMER, Action.RAISE_EMERGENCY): Limited.EMERGENCIES,
    (Role.PROVIDER, Action.REPLY): Limited.STAFF_MESSAGES,
    (Role.PROVIDER, Action.NOTE): Limited.STAFF_MESSAGES,
    (Role.OPERATOR, Action.REPLY): Limited.STAFF_MESSAGES,
    (Role.OPERATOR, Action.NOTE): Limited.STAFF_MESSAGES,
}


class LimitReached(Exception):
    """A limit was reached; nothing was counted and nothing may be written.

    ``retry_after`` is the number of seconds until the request would be accepted again.
    """

    def __init__(
        self, limited: Limited, whole_tenant: bool, limit: RateLimitItem, reset_at: float
    ) -> None:
        super().__init__(f"{limited.value}: {limit}{' (tenant)' if whole_tenant else ''}")
        self.limited = limited
        self.whole_tenant = whole_tenant
        self.limit = limit
        self.reset_at = reset_at
        # the epoch clock of the counts' storage, not clock.now() (which tests may freeze)
        self.retry_after = max(1, math.ceil(reset_at - time.time()))

    @property
    def message(self) -> str:
        """What happened and how long to wait, in the current language."""
        reason = TENANT_REACHED if self.whole_tenant else LIMITS[self.limited].reached
        return f"{reason} {wait_and_send_again(self.retry_after)}"

    def headers(self) -> dict[str, str]:
        """``Retry-After`` and Flask-Limiter's ``X-RateLimit-*`` headers for an HTTP answer."""
        return {
            HeaderNames.RETRY_AFTER.value: str(self.retry_after),
            HeaderNames.LIMIT.value: str(self.limit.amount),
            HeaderNames.REMAINING.value: "0",
            HeaderNames.RESET.value: str(math.ceil(self.reset_at)),
        }


def wait_and_send_again(seconds: int) -> str:
    """ "Please wait 3 minutes and send again." in seconds, minutes or hours, rounded up."""
    if seconds < 60:
        return ngettext(
            "Please wait %(num)d second and send again.",
            "Please wait %(num)d seconds and send again.",
            seconds,
        )
    minutes = math.ceil(seconds / 60)
    if minutes <= 90:
        return ngettext(
            "Please wait %(num)d minute and send again.",
            "Please wait %(num)d minutes and send again.",
            minutes,
        )
    hours = math.ceil(minutes / 60)
    return ngettext(
        "Please wait %(num)d hour and send again.",
        "Please wait %(num)d hours and send again.",
        hours,
    )


def action_costs(role: Role, action: Action, files: int) -> dict[Limited, int]:
    """What firing ``action`` as ``role`` with ``files`` attached counts against."""
    costs = {Limited.UPLOADS: files}
    counted = COUNTED.get((role, action))
    if counted is not None:
        costs[counted] = 1
    return costs


def spend(tenant_id: str, actor: Actor, costs: Mapping[Limited, int]) -> None:
    """Count what ``actor`` is about to send (``{Limited.OPEN_TICKETS: 1, Limited.UPLOADS: 3}``)
    against their limits and the tenant's, or refuse all of it.

    Raises:
        LimitReached: one of the limits would be exceeded; nothing was counted. When several
            are, the person's own is named, with the longest wait.
    """
    storage = support.limits
    if not storage.enabled:
        return
    flags = support.flags(tenant_id)
    planned: list[tuple[Limited, bool, RateLimitItem, tuple[str, ...], int]] = []
    for limited, cost in costs.items():
        if cost <= 0:
            continue
        named = LIMITS[limited]
        for whole_tenant, field in ((False, named.person), (True, named.tenant)):
            keys = _identifiers(limited, tenant_id, None if whole_tenant else actor.user_id)
            for limit in _limits_of(flags, field):
                planned.append((limited, whole_tenant, limit, keys, cost))
    # All are tested before any is counted, so a refused request counts nowhere. Two requests
    # at the same moment may both pass the test: a limit can be exceeded by the number of
    # requests that arrive together, never by a script's loop.
    refused = [
        (limited, whole_tenant, limit, storage.reset_at(limit, *keys))
        for limited, whole_tenant, limit, keys, cost in planned
        if not storage.test(limit, *keys, cost=cost)
    ]
    if refused:
        latest = max(reset_at for *_, reset_at in refused)
        limited, whole_tenant, limit, _ = min(refused, key=lambda r: (r[1], -r[3]))
        raise LimitReached(limited, whole_tenant, limit, latest)
    _count([(limit, keys, cost) for _, _, limit, keys, cost in planned])


#: the counts of the use-case running, to make once it is done (:func:`counted_when_done`)
_PENDING: ContextVar[list[tuple[RateLimitItem, tuple[str, ...], int]] | None] = ContextVar(
    "marketplace_support_pending_counts", default=None
)


@contextmanager
def counted_when_done() -> Iterator[None]:
    """What :func:`spend` lets through in the block is counted when the block is done, and
    not at all when it raises: a request that fails (the database or the storage failing
    half-way: "nothing was saved") counts nowhere, so trying it again is not refused. The
    test stays before anything is written; the count follows the write by the length of one
    transaction, which a script's loop cannot slip through. Blocks inside one count with the
    outermost."""
    if _PENDING.get() is not None:
        yield
        return
    pending: list[tuple[RateLimitItem, tuple[str, ...], int]] = []
    token = _PENDING.set(pending)
    try:
        yield
    finally:
        _PENDING.reset(token)
    _hit(pending)


def _count(hits: list[tuple[RateLimitItem, tuple[str, ...], int]]) -> None:
    """Count ``hits`` now, or, inside :func:`counted_when_done`, once its block is done."""
    pending = _PENDING.get()
    if pending is None:
        _hit(hits)
    else:
        pending.extend(hits)


def _hit(hits: list[tuple[RateLimitItem, tuple[str, ...], int]]) -> None:
    storage = support.limits
    for limit, keys, cost in hits:
        storage.hit(limit, *keys, cost=cost)


def _limits_of(flags: Flags, name: str) -> tuple[RateLimitItem, ...]:
    """The limits of flag ``name``; when the host's string for a tenant cannot be read, the
    configured default (checked at start), and the log says so: a host's typo never turns
    opening a ticket into an error page, nor removes the limit."""
    value = getattr(flags, name)
    try:
        return parse(value)
    except ValueError:
        key = next(f.metadata["config_key"] for f in fields(Flags) if f.name == name)
        current_app.logger.error(
            "marketplace_support: Flags.%s=%r is not a limit string; %s applies", name, value, key
        )
        return parse(current_app.config[key])


@functools.lru_cache(maxsize=256)
def parse(value: str) -> tuple[RateLimitItem, ...]:
    """The limits of a limit string ("5 per minute;20 per hour"); none for "".

    Raises:
        ValueError: the string is not a Flask-Limiter limit string.
    """
    if not value.strip():
        return ()
    return tuple(parse_many(value))


def _identifiers(limited: Limited, tenant_id: str, user_id: str | None) -> tuple[str, ...]:
    # ids are the host's opaque strings: quoted, so that no id can reach into another's key
    tenant = ("tenant", quote(tenant_id, safe=""))
    if user_id is None:
        return (KEY_PREFIX, limited.value, *tenant)
    return (KEY_PREFIX, limited.value, *tenant, "person", quote(user_id, safe=""))
