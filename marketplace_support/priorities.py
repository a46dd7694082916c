"""Ticket priorities, from Low to Urgent, with the words customers see for each."""

from __future__ import annotations

import enum

from .i18n import lazy_gettext


class Priority(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def hint(self) -> str:
        return _HINTS[self]

    @property
    def rank(self) -> int:
        """0 for Low up to 3 for Urgent: how lists sort by priority."""
        return _ORDER.index(self)

    @classmethod
    def from_rank(cls, rank: int) -> Priority:
        return _ORDER[rank]


DEFAULT_PRIORITY = Priority.MEDIUM
_ORDER = (Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT)

_LABELS = {
    Priority.LOW: lazy_gettext("Low"),
    Priority.MEDIUM: lazy_gettext("Medium"),
    Priority.HIGH: lazy_gettext("High"),
    Priority.URGENT: lazy_gettext("Urgent"),
}

# seed 003: what each level is for, shown beside the choice
_HINTS = {
    Priority.LOW: lazy_gettext("General questions or requests that are not urgent"),
    Priority.MEDIUM: lazy_gettext("Standard support requests"),
    Priority.HIGH: lazy_gettext("Issues affecting your service"),
    Priority.URGENT: lazy_gettext("Critical issues requiring immediate attention"),
}
