"""Who may use an area, who is acting in this request, the module's error page, and the
headers of a request refused by a rate limit."""

from __future__ import annotations

from flask import Response, after_this_request, render_template
from flask.typing import ResponseReturnValue

from .. import access
from ..host import Actor
from ..i18n import lazy_gettext
from ..rate_limits import LimitReached
from ..state import support
from ..workflow import Role

_NOT_YOURS = {
    Role.CUSTOMER: lazy_gettext("Support on My Page is for customers of the marketplace."),
    Role.PROVIDER: lazy_gettext("The support inbox is for the staff of service providers."),
    Role.OPERATOR: lazy_gettext("The support console is for the marketplace's operator team."),
}


def error_page(message: str, status: int) -> ResponseReturnValue:
    return render_template("marketplace_support/error.html", message=message), status


def send_limit_headers(reached: LimitReached) -> None:
    """Answer this request with ``Retry-After`` and the ``X-RateLimit-*`` headers of a
    reached rate limit (the page itself says it in words)."""

    @after_this_request
    def add(response: Response) -> Response:
        response.headers.update(reached.headers())
        return response


def require_area(role: Role) -> ResponseReturnValue | None:
    """Before every view of an area: someone is logged in and has this area."""
    actor = support.actor()
    if actor is None:
        return support.host.unauthenticated()
    if not access.may_use(actor, role):
        return error_page(str(_NOT_YOURS[role]), 403)
    return None


def acting() -> tuple[str, Actor]:
    """The tenant and the person of this request (the area check ran before)."""
    actor = support.actor()
    assert actor is not None
    return support.tenant_id(), actor
