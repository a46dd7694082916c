"""A form refused for its CSRF token, shown again with what was typed.

A token expires (``WTF_CSRF_TIME_LIMIT``, an hour by default), and a new login makes the
session's tokens worthless. The page's script renews the tokens of a page left open
(``form_tokens``); without the script, or when the renewal could not reach the server (a
laptop offline all afternoon), the form is refused on "Send". Where a person writes (a new
ticket, a reply, a note), the same page then comes back with what they typed, the reason
above it and a fresh token: sending it again is one click, and nothing was written before.

Only a form sent from a page of this site comes back so: its ``Origin`` (or, where a browser
sends none, its ``Referer``) names this site. A form another site makes a browser send is not
shown to the person at all, so another site cannot put words in a form for them to send; it
gets the "expired" page, as every other refused form does. Nothing is written either way:
the token was not valid.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import same_origin

from ..access import TicketNotFound, may_use
from ..i18n import gettext
from ..state import support
from ..tickets import InvalidEntriesLink
from ..workflow import Role

#: What shows a refused form of an area again: called with the area's role, the reason to
#: show above it and the address's values (``number``, ``action``); None where that address's
#: form is not one to show again.
ShowAgain = Callable[..., ResponseReturnValue | None]

#: by the area (its role's value) and the endpoint's name in it
_SHOWN_AGAIN: dict[tuple[str, str], ShowAgain] = {}


def shown_again(role: Role, endpoint: str, show: ShowAgain) -> None:
    """Forms sent to ``endpoint`` of ``role``'s area come back through ``show`` when their
    token is refused."""
    _SHOWN_AGAIN[role.value, endpoint] = show


def form_again() -> ResponseReturnValue | None:
    """The refused form's page again, with what was typed and why it was not sent; None where
    it does not come back (another site's form, nobody logged in, a form of no free text),
    and the "expired" page is shown instead."""
    if request.method != "POST" or not from_this_site():
        return None
    area = (request.blueprint or "").rpartition(".")[2]
    endpoint = (request.endpoint or "").rpartition(".")[2]
    show = _SHOWN_AGAIN.get((area, endpoint))
    if show is None:
        return None
    role, actor = Role(area), support.actor()
    # the area's own check has not run (the token is checked before it); asked here without
    # its answers (the login page, for a visitor), which are not this page's
    if actor is None or not may_use(actor, role):
        return None
    # raised here, in an error handler, these would not reach their own handlers (a database
    # error does: ``database_errors.answering_database_errors``)
    try:
        return show(role, _reason(), **(request.view_args or {}))
    except (TicketNotFound, InvalidEntriesLink):
        return None


def from_this_site() -> bool:
    """Whether the request came from a page of this site, by its ``Origin`` (browsers send it
    with every form they post) or else its ``Referer``."""
    origin = request.headers.get("Origin")
    sender = origin if origin is not None else request.referrer
    if sender is None or sender == "null":
        return False
    try:
        return bool(same_origin(sender, request.host_url))
    except ValueError:  # not an address ("http://[x", a port of letters): not this site
        return False


def _reason() -> str:
    """Why the form came back: files sent with it were not kept (nothing of an invalid form
    is stored), so the person is asked to attach them again."""
    if any(upload.filename for _, upload in request.files.items(multi=True)):
        return gettext(
            "This form had expired, so nothing was sent. Check what you wrote, attach your "
            "files again and send it."
        )
    return gettext(
        "This form had expired, so nothing was sent. Check what you wrote and send it again."
    )
