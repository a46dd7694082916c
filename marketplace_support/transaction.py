"""One transaction per use-case: everything it wrote is committed together or not at all."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar, cast

from sqlalchemy.orm import Session

from .rate_limits import counted_when_done
from .state import support

T = TypeVar("T")
P = ParamSpec("P")


def use_case(function: Callable[P, T]) -> Callable[P, T]:
    """Roll back whatever the use-case did when it raises, so nothing is half-written and
    no row lock outlives the request; what it counted against the rate limits is counted
    only when it is done (``rate_limits.counted_when_done``)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            with counted_when_done():
                return function(*args, **kwargs)
        except BaseException:
            support.session.rollback()
            raise

    return wrapper


@contextmanager
def kept_loaded() -> Iterator[bool]:
    """Inside, a commit leaves what the session has loaded as it was, instead of expiring
    it (every object read again, a statement each, at its next use): for work that commits
    again and again on rows it holds and alone changes. Gives whether the session expires
    what it loaded at a commit outside."""
    itself = cast(Session, support.db.session())  # the setting is the session's, not its scope's
    expiring = itself.expire_on_commit
    itself.expire_on_commit = False
    try:
        yield expiring
    finally:
        itself.expire_on_commit = expiring
