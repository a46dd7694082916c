"""What the variable parts of the module's addresses may hold, and where its parts live.

Ticket numbers and file ids live in ``Integer`` columns: a number beyond them cannot name
anything, so routing answers 404 before any query (the database would refuse the value).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from ..models import INTEGER_MAX

#: The converter's name in the app's URL map (:func:`add_converter`).
CONVERTER = "support_id"

#: The converter of a ticket number or a file id in a URL rule: ``f"/tickets/<{ID}:number>"``.
ID = f"{CONVERTER}(min=1, max={INTEGER_MAX})"

#: Where the JSON API lives, beneath ``SUPPORT_URL_PREFIX``.
API = "/api/v1"


class IdConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, of ASCII digits only: its ``\\d`` matches every Unicode
    digit and ``int()`` reads them, so ``/tickets/%D9%A1`` (an Arabic-Indic one) was ticket 1."""

    regex = r"[0-9]+"


def add_converter(app: Flask) -> None:
    """Make :data:`ID` known to ``app``'s URL map, before any rule of the module uses it."""
    app.url_map.converters[CONVERTER] = IdConverter


def beneath(prefix: str, path: str) -> bool:
    """Whether ``path`` is ``prefix`` or an address under it; nothing is beneath an empty
    prefix (a module mounted at the root claims none of the host's addresses)."""
    prefix = prefix.rstrip("/")
    return bool(prefix) and (path == prefix or path.startswith(f"{prefix}/"))
