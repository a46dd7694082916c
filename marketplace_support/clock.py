"""The current time, in one place, always timezone-aware UTC.

Tests and simulations move time with :func:`frozen_at`; nothing else reads the system clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_fixed: list[datetime] = []


def now() -> datetime:
    return _fixed[-1] if _fixed else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make :func:`now` answer ``moment`` inside the block (for tests and simulations)."""
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware moment")
    _fixed.append(moment)
    try:
        yield
    finally:
        _fixed.pop()
