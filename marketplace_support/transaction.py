"""One transaction per use-case: everything it wrote is committed together or not at all."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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
