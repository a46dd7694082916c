"""What a ticket's page shows of its conversation: its entries, which of them fold away, and
the same as values only, for a page to keep made (``blueprints/fragments.py``).

A conversation shows its messages and the events that tell the reader something; a customer
finds status changes and routing folded under "History". A long conversation folds its older
part too, so that the latest entries and the reply box come first; a folded part longer than
a page holds is left out of it and loaded when the reader asks (:data:`FOLDED_IN_PAGE`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from .models import EventKind
from .workflow import Role


@dataclass(frozen=True)
class Entry:
    """One item of a ticket's timeline: a message or an event."""

    at: datetime
    #: a row of the message's fields (``access.latest_messages``, a named tuple)
    message: Any = None
    #: a row of the event's fields (``access.latest_events``, a named tuple)
    event: Any = None


#: the events a customer reads in the conversation itself; the others (status changes,
#: routing, sharing) are folded under the conversation's history
TOLD_INLINE = frozenset(
    {
        EventKind.REROUTED,
        EventKind.ESCALATED,
        EventKind.TAKEN_OVER,
        EventKind.HANDED_BACK,
        EventKind.MARKED_DUPLICATE,
        EventKind.EMERGENCY_RAISED,
        EventKind.EMERGENCY_CONFIRMED,
        EventKind.EMERGENCY_DOWNGRADED,
        EventKind.REMINDED,
    }
)
#: how many of the latest entries a long conversation shows unfolded
RECENT = 3

#: how many entries each folded part of a ticket's page holds (the conversation's earlier
#: entries; a customer's History); a longer part is left out of the page and loaded when the
#: reader asks for it, so the page's size and rendering stay the same however long the
#: conversation grows
FOLDED_IN_PAGE = 10


class Folded:
    """Which entries of a timeline a page shows where: in the conversation's course, its
    folded older part, its latest entries, a customer's History. A view holds ``role``, its
    ``timeline`` (oldest first) and, where it holds only the latest entries of each part, how
    many each part holds in all (``totals``)."""

    role: Role
    timeline: Sequence[Entry]
    totals: tuple[int, int] | None

    @property
    def conversation(self) -> list[Entry]:
        """What the conversation shows in its course: messages, and the events that tell the
        reader something (a customer is not shown every status change or routing: those are
        in :attr:`history`)."""
        if self.role is not Role.CUSTOMER:
            return list(self.timeline)
        return [e for e in self.timeline if e.event is None or e.event.kind in TOLD_INLINE]

    @property
    def history(self) -> list[Entry]:
        """The events a customer finds folded under "History"."""
        if self.role is not Role.CUSTOMER:
            return []
        return [e for e in self.timeline if e.event is not None and e.event.kind not in TOLD_INLINE]

    @property
    def earlier_count(self) -> int:
        """How many entries the older part of a long conversation holds (0: the conversation
        is short, nothing is folded)."""
        total = self.totals[0] if self.totals is not None else len(self.conversation)
        return total - RECENT if total > RECENT + 1 else 0

    @property
    def earlier(self) -> list[Entry]:
        """The older part of a long conversation, folded (the description with it), so the
        latest entries and the reply box come first on a phone; where :attr:`timeline` holds
        only the latest entries, the part of it that was read."""
        return self.conversation[:-RECENT] if self.earlier_count else []

    @property
    def recent(self) -> list[Entry]:
        shown = self.conversation
        return shown[-RECENT:] if self.earlier_count else shown

    @property
    def history_count(self) -> int:
        """How many changes the customer's History holds."""
        return self.totals[1] if self.totals is not None else len(self.history)

    @property
    def earlier_in_page(self) -> bool:
        """Whether the page holds the earlier part, folded (:data:`FOLDED_IN_PAGE`)."""
        return self.earlier_count <= FOLDED_IN_PAGE

    @property
    def history_in_page(self) -> bool:
        """Whether the page holds the History, folded (:data:`FOLDED_IN_PAGE`)."""
        return self.history_count <= FOLDED_IN_PAGE


class Described(NamedTuple):
    """What a conversation shows of its ticket: its number (for the addresses) and its
    description."""

    number: int
    requester_name: str
    created_at: datetime
    issue_about: str | None
    expected_outcome: str | None
    current_scenario: str | None


class FileShown(NamedTuple):
    """A file as the conversation lists it."""

    id: int
    filename: str
    size: int
    kind_label: str
    is_image: bool


class Files(tuple[tuple[int | None, tuple[FileShown, ...]], ...]):
    """The files of a conversation by message (None: the description's), as pairs: a value
    that can be a key, read as a mapping's ``get``."""

    __slots__ = ()

    def get(self, message_id: int | None, default: Any = None) -> Any:
        for key, files in self:
            if key == message_id:
                return files
        return default


@dataclass(frozen=True)
class Shown(Folded):
    """A ticket's conversation as its page shows it, in values only (no database objects, no
    lazy texts): the same values make the same HTML in the same language, time zone and
    area, so the page keeps it made (``_conversation.html``; ``fragments.kept``), compared
    by its fields as a key."""

    ticket: Described
    role: Role
    timeline: tuple[Entry, ...]
    #: the files the reader may see, by message (None: the description's)
    files: Files
    totals: tuple[int, int] | None
    earlier_cursor: str | None
    older: bool
    #: the page was asked for with every folded part in it, open (``?entries=all``)
    unfolded: bool


def shown(
    ticket: Any,
    role: Role,
    timeline: Sequence[Entry],
    files: dict[int | None, list[Any]],
    totals: tuple[int, int] | None,
    earlier_cursor: str | None,
    older: bool,
    unfolded: bool,
) -> Shown:
    """:class:`Shown` of a ticket (its row) and its files (their rows)."""
    return Shown(
        ticket=Described(
            ticket.number,
            ticket.requester_name,
            ticket.created_at,
            ticket.issue_about,
            ticket.expected_outcome,
            ticket.current_scenario,
        ),
        role=role,
        timeline=tuple(timeline),
        files=Files(
            (
                message_id,
                tuple(
                    FileShown(f.id, f.filename, f.size, str(f.kind_label), f.is_image)
                    for f in listed
                ),
            )
            for message_id, listed in files.items()
        ),
        totals=totals,
        earlier_cursor=earlier_cursor,
        older=older,
        unfolded=unfolded,
    )
