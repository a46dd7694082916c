"""Who may use an area, who is acting in this request, the module's error page, the headers
of a request refused by a rate limit, the addresses of an area's list, and what of its
conversation a ticket's page reads."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import (
    Response,
    after_this_request,
    current_app,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from .. import access, tickets
from ..access import TicketNotFound
from ..host import Actor
from ..i18n import format_date, gettext, lazy_gettext
from ..models import Ticket
from ..rate_limits import LimitReached
from ..state import per_request, support
from ..workflow import Role
from . import fragments

NOT_YOURS = {
    Role.CUSTOMER: lazy_gettext("Support on My Page is for customers of the marketplace."),
    Role.PROVIDER: lazy_gettext("The support inbox is for the staff of service providers."),
    Role.OPERATOR: lazy_gettext("The support console is for the marketplace's operator team."),
}


def error_page(message: str, status: int, *, back: bool = True) -> ResponseReturnValue:
    """The module's error page, in the host's layout and the person's language; ``back``
    offers the way back to the list of the area the request was in."""
    area = (request.blueprint or "").rpartition(".")[2]
    back_to = _BACK.get(area) if back else None
    return render_template(
        "marketplace_support/error.html",
        message=message,
        back_url=url_for(f"marketplace_support.{area}.tickets") if back_to else None,
        back_label=back_to,
    ), status


#: where the error page of each area leads back to
_BACK = {
    Role.CUSTOMER.value: lazy_gettext("Back to my tickets"),
    Role.PROVIDER.value: lazy_gettext("Back to the list"),
    Role.OPERATOR.value: lazy_gettext("Back to the list"),
}


def ticket_not_found(error: TicketNotFound) -> ResponseReturnValue:
    """A ticket that does not exist or is not the person's to see: the module's page. Staff
    of a provider a ticket was re-routed away from are told where it went, and when, and no
    more than they saw before."""
    actor = support.actor()
    number = (request.view_args or {}).get("number")
    area = (request.blueprint or "").rpartition(".")[2]
    if actor is not None and isinstance(number, int) and area == Role.PROVIDER.value:
        tenant_id = support.tenant_id()
        moved = tickets.moved_away(tenant_id, actor, number)
        if moved is not None:
            handler = moved.to_name or support.plain_text(tenant_id, "operator_name")
            return error_page(
                gettext(
                    "Ticket #%(number)d was moved to %(handler)s on %(date)s. You no longer "
                    "have access to it.",
                    number=number,
                    handler=handler,
                    date=format_date(moved.created_at, actor.timezone),
                ),
                404,
            )
    return error_page(gettext("There is no such ticket, or it is not yours to see."), 404)


def over_limit(reached: LimitReached) -> str:
    """What a page says of a reached rate limit, and the request answered with its
    ``Retry-After`` and ``X-RateLimit-*`` headers. Nothing of the request was kept, its files
    neither (a file kept for the next try would be an upload past the limit): where files
    came with it, the page says to attach them again."""

    @after_this_request
    def add(response: Response) -> Response:
        response.headers.update(reached.headers())
        return response

    if not any(file.filename for file in request.files.getlist("attachments")):
        return reached.message
    again = gettext("Your files were not kept: attach them again when you send it.")
    return f"{reached.message} {again}"


def require_area(role: Role) -> ResponseReturnValue | None:
    """Before every view of an area: someone is logged in and has this area."""
    actor = support.actor()
    if actor is None:
        return support.host.unauthenticated()
    if not access.may_use(actor, role):
        return error_page(str(NOT_YOURS[role]), 403, back=False)
    return None


def acting() -> tuple[str, Actor]:
    """The tenant and the person of this request (the area check ran before)."""
    actor = support.actor()
    assert actor is not None
    return support.tenant_id(), actor


def list_url(**query: object) -> str:
    """The address of the current area's list with ``query`` (None values left out), as
    ``url_for(".tickets", **query)`` writes it. The list's own address is built once a
    request; each link then only adds its query: Werkzeug builds an address with three
    query values in about 3x the time of the address alone, and a console has eight links
    to its list (its queues, "Assigned to me", the next page)."""
    base: str = per_request("list_url", lambda: url_for(".tickets"))
    items = [(key, value) for key, value in query.items() if value is not None]
    if not items:
        return base
    url_map = current_app.url_map
    if url_map.sort_parameters:
        items.sort(key=url_map.sort_key)
    joined = "&" if "?" in base else "?"
    return f"{base}{joined}{'&'.join(_query_part(key, str(value)) for key, value in items)}"


#: what Werkzeug leaves unquoted in a query (``werkzeug.urls._urlencode``)
_QUERY_SAFE = "!$'()*,/:;?@"


@lru_cache(maxsize=1024)
def _query_part(key: str, value: str) -> str:
    """``key=value`` quoted as ``urlencode`` quotes it, kept: a list's links repeat the same
    few filters (status=active, sort=activity, queue=all) on every page, 7-9 links a page."""
    return f"{quote_plus(key, safe=_QUERY_SAFE)}={quote_plus(value, safe=_QUERY_SAFE)}"


def unfolded() -> bool:
    """Whether a ticket's page is asked for with every folded part of its conversation in it,
    open (``?entries=all``: the link of a part the page leaves out)."""
    return request.args.get("entries") == "all"


def entries_asked() -> dict[str, Any]:
    """What of its conversation a ticket's page reads (``tickets.ticket_view``'s arguments):
    the latest entries of each part; with ``?entries=all`` every part, as far back as one
    request reads, or the part before an earlier one (``&before=``, its "Show older
    entries" link)."""
    if not unfolded():
        return {"latest": True}
    return {"before": request.args.get("before")}


def category_label(ticket: Ticket) -> str | None:
    """The ticket's problem area in the viewer's language while the host still offers it,
    else the label copied when the ticket was opened."""
    if ticket.category_key is None:
        return None
    current = support.category(ticket.tenant_id, ticket.category_key)
    return str(current.label if current else ticket.category_label)


def conversation(tenant_id: str, view: tickets.TicketView) -> Markup | fragments.Filled:
    """A ticket page's conversation (``_conversation.html``), kept for the same entries, files
    and folds in the same language, zone, tenant and area: made again when anything in it
    changes (a new message, a file, the operator's name)."""
    return fragments.kept(
        "marketplace_support/_conversation.html",
        conversation=view.shown(),
        operator_name=support.text(tenant_id, "operator_name"),
    )


def invalid_entries_link(error: tickets.InvalidEntriesLink) -> ResponseReturnValue:
    """A link to a conversation's older entries that we did not make (edited, truncated)."""
    return error_page(str(error.message), 400)
