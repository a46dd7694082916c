"""One transaction per use-case: everything it wrote is committed together or not at all."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar, cast

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .outbox import deliver_soon
from .signals import Announcement
from .state import support

T = TypeVar("T")
P = ParamSpec("P")


def use_case(function: Callable[P, T]) -> Callable[P, T]:
    """Roll back whatever the use-case did when it raises, so nothing is half-written and
    no row lock outlives the request."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        except BaseException:
            support.session.rollback()
            raise

    return wrapper


def store_once(write: Callable[[], None], find_existing: Callable[[], T | None]) -> T | None:
    """Write and commit; when a unique key says this submission was stored already (a second
    request of the same form, maybe at the same moment), roll back and return that row."""
    session = support.session
    try:
        write()
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = find_existing()
        if existing is None:
            raise
        return existing
    return None


def after_commit(announcements: Sequence[Announcement], outbox_ids: Sequence[int]) -> None:
    """Once a change is committed: send its signals, and have its notifications delivered."""
    app = cast(Any, current_app)._get_current_object()
    for announcement in announcements:
        announcement.send(app)
    deliver_soon(outbox_ids)
