"""A form's CSRF token kept fresh while its page stays open.

Flask-WTF's token lives ``WTF_CSRF_TIME_LIMIT`` seconds (an hour by default). A form left open
longer (a description written over lunch, a ticket page open all day) was refused on "Send",
and what had been typed was lost on reloading the page. The first form of a page now says
where a fresh token comes from and how often to ask (:func:`renewal`); the page's script
renews every form's token halfway through its life, and at once when the page comes back after
longer (a laptop woken from sleep, the back button from the "expired" page): ``support.js``.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, current_app, g, jsonify, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

ENDPOINT = "form_token"


def register(parent: Blueprint) -> None:
    parent.add_url_rule("/form-token", ENDPOINT, fresh_token)


def fresh_token() -> Response:
    """``{"csrf_token": "..."}``: a fresh token of this session, for the page's forms. Another
    site cannot read it (no CORS), and JSON does not run as a script."""
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


def renewal() -> Markup:
    """`` data-ms-renew="<address> <seconds>"`` for the first token of a page; nothing for
    the others, nor where tokens never expire (``WTF_CSRF_TIME_LIMIT = None``)."""
    if g.get("_marketplace_support_renewal"):
        return Markup("")
    g._marketplace_support_renewal = True
    lifetime = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    if not lifetime:
        return Markup("")
    every = max(1, int(lifetime) // 2)
    return Markup(' data-ms-renew="{} {}"').format(
        url_for(f"marketplace_support.{ENDPOINT}"), every
    )


def new_key() -> str:
    """A fresh submission key for a form (``_macros.html``'s ``submission_key``): the same
    form sent twice (a double click, a retry) is taken once."""
    return secrets.token_urlsafe(24)
