"""Attachments through the API: a file of a ticket, downloaded with the same access check and
the same headers as from the ticket's page (``blueprints.files.send``). Files go up with a
message or a new ticket (``changing.fields_and_files``)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint

from ...workflow import Role
from ..files import send
from ..paths import ID
from .callers import caller

#: A download, as the document describes it: the file's bytes, of its own type.
DOWNLOAD = {
    "description": (
        "the file, as a download (Content-Disposition: attachment, nosniff); or a redirect "
        "(302) to the object storage where the host serves files from there"
    ),
    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
}


def add_routes(bp: Blueprint) -> None:
    """The downloads of staff (``/tickets/...``) and of customers (``/my/tickets/...``)."""
    doc = bp.doc(responses={"200": DOWNLOAD})
    bp.route(f"/tickets/<{ID}:number>/files/<{ID}:file_id>", endpoint="file", methods=["GET"])(
        doc(_staff_file)
    )
    bp.route(
        f"/my/tickets/<{ID}:number>/files/<{ID}:file_id>", endpoint="my_file", methods=["GET"]
    )(doc(_my_file))


def _staff_file(number: int, file_id: int) -> ResponseReturnValue:
    """A file of a ticket routed to the caller's provider (any ticket of the tenant for the
    operator), internal notes' files too."""
    return send(caller().role, number, file_id)


def _my_file(number: int, file_id: int) -> ResponseReturnValue:
    """A file of one of the customer's tickets (never of an internal note)."""
    return send(Role.CUSTOMER, number, file_id)
