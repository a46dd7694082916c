"""Where the rate limit counts of an app are kept, and what happens while that place is down.

Each app gets a Flask-Limiter ``Limiter`` of its own (in ``app.extensions["limiter"]`` beside
any the host has), keeping counts in ``SUPPORT_RATELIMIT_STORAGE_URI``: process memory by
default, Redis in production, where every app process shares them. The module's limits are
counted by the use-cases (``rate_limits.spend``), so that pages, the JSON API and e-mail
replies count alike; this Limiter never limits a route by itself.

While the storage cannot be reached, counts are kept in this process's memory (each process
then limits on its own) and the storage is tried again after :data:`RETRY_AFTER_SECONDS`: a
Redis outage never makes a page fail, and a Redis answering slowly holds one at most
:data:`CALL_SECONDS`. This is Flask-Limiter's ``in_memory_fallback`` policy,
applied here because its own options act only inside its request hook, which the module's
limits do not go through (an e-mail reply has no request).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from flask import Flask
from flask_limiter import Limiter
from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

#: The first part of every key the module counts under, apart from the host's own limits.
KEY_PREFIX = "marketplace_support"
#: How long counts stay in process memory after the storage failed, before it is tried again.
RETRY_AFTER_SECONDS = 30
#: Socket timeouts (seconds) for a Redis storage, so that an unreachable server delays a
#: request by at most this, once per :data:`RETRY_AFTER_SECONDS`.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}
#: The longest one call to a shared storage may take in all (seconds): its socket timeouts
#: count each read, and a server answering a byte at a time would hold a request as long as
#: it likes. A call past it counts as the storage being down.
CALL_SECONDS = 2.0

logger = logging.getLogger(__name__)

T = TypeVar("T")


class LimitStorage:
    """The counts of one app. ``enabled`` is False where the host switched Flask-Limiter off
    (``RATELIMIT_ENABLED = False``, as test suites often do): nothing is counted then."""

    def __init__(self, app: Flask) -> None:
        uri = str(app.config["SUPPORT_RATELIMIT_STORAGE_URI"])
        options: dict[str, Any] = {"wrap_exceptions": True}
        scheme = uri.split(":", 1)[0]
        if scheme in ("redis", "rediss", "redis+unix", "valkey", "valkeys"):
            options.update(REDIS_TIMEOUTS)
        options.update(app.config["SUPPORT_RATELIMIT_STORAGE_OPTIONS"])
        self.limiter = Limiter(
            _one_key,
            storage_uri=uri,
            storage_options=options,
            strategy="fixed-window",
            key_prefix=KEY_PREFIX,
        )
        # The module counts in the use-cases, never in Flask-Limiter's request hook: this
        # filter keeps limits that a host sets with RATELIMIT_* keys for its own Limiter from
        # being applied a second time by this one.
        self.limiter.request_filter(_every_request)
        self.limiter.init_app(app)
        self._stand_in = FixedWindowRateLimiter(MemoryStorage())
        self._shared_again_at = 0.0
        #: the threads a shared storage is asked in, so that a call can be given up on
        self._calls = ThreadPoolExecutor(4, "support-limits") if scheme != "memory" else None

    @property
    def enabled(self) -> bool:
        return bool(self.limiter.enabled)

    def test(self, limit: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        """Whether ``cost`` more fits within ``limit`` (nothing is counted)."""
        return self._run(lambda strategy: strategy.test(limit, *identifiers, cost=cost))

    def hit(self, limit: RateLimitItem, *identifiers: str, cost: int = 1) -> None:
        """Count ``cost`` against ``limit``."""
        self._run(lambda strategy: strategy.hit(limit, *identifiers, cost=cost))

    def reset_at(self, limit: RateLimitItem, *identifiers: str) -> float:
        """When the current window of ``limit`` ends (seconds since the epoch)."""
        return self._run(lambda strategy: strategy.get_window_stats(limit, *identifiers).reset_time)

    def _run(self, operation: Callable[[RateLimiter], T]) -> T:
        if time.monotonic() >= self._shared_again_at:
            try:
                return self._shared(operation)
            except StorageError as error:
                self._shared_again_at = time.monotonic() + RETRY_AFTER_SECONDS
                logger.warning(
                    "Rate limit storage unreachable (%s): counting in this process for %d s",
                    error,
                    RETRY_AFTER_SECONDS,
                )
        return operation(self._stand_in)

    def _shared(self, operation: Callable[[RateLimiter], T]) -> T:
        """``operation`` on the shared storage, given up on after :data:`CALL_SECONDS`."""
        if self._calls is None:
            return operation(self.limiter.limiter)
        call = self._calls.submit(operation, self.limiter.limiter)
        try:
            return call.result(timeout=CALL_SECONDS)
        except FutureTimeout as slow:
            raise StorageError(TimeoutError(f"no answer within {CALL_SECONDS:g} s")) from slow


def _one_key() -> str:
    # Flask-Limiter requires a key function; this Limiter never evaluates a limit of its own
    # (``rate_limits`` builds the keys from the tenant and the person).
    return KEY_PREFIX


def _every_request() -> bool:
    return True
