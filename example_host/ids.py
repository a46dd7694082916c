"""Ids that come from outside (a form, an address, a session) read as keys of this
marketplace's rows."""

from __future__ import annotations

#: The largest key an ``Integer`` column holds on PostgreSQL (SQLite's hold 64 bits, but the
#: schema is the same on both): a larger number names no row, and sent as a parameter it makes
#: SQLite raise ``OverflowError``.
LARGEST_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """The row key ``text`` names, or None when it names none.

    Only ASCII digits count: ``"²"`` and ``"①"`` are digits to ``str.isdigit`` but make
    ``int`` raise.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_ID)):
        return None
    key = int(text)
    return key if key <= LARGEST_ID else None
