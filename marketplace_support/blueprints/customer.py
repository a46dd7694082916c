"""My Page → Support: a customer's tickets, the form for a new one, and the ticket page."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import drafts, sharing, tickets
from ..access import TicketNotFound
from ..host import Actor
from ..i18n import gettext
from ..models import DraftFile, Ticket
from ..pagination import InvalidCursor
from ..priorities import Priority
from ..rate_limits import LimitReached
from ..schemas import CUSTOMER_LIST_QUERY, SUBJECT_MAX, InvalidInput, load, typed_number
from ..state import support
from ..workflow import Action, Handler, Role, Status
from . import expired_forms, fragments
from .area import (
    acting,
    category_label,
    conversation,
    entries_asked,
    error_page,
    over_limit,
    require_area,
)
from .files import send, uploads
from .forms import change, form_data, kept_files, page_again, perform, watch
from .paths import ID

#: What a customer can do on the ticket page.
CUSTOMER_ACTIONS = frozenset(
    {Action.REPLY, Action.RESOLVE, Action.REOPEN, Action.RAISE_EMERGENCY, Action.CHOOSE_SERVICE}
)
#: Confirmations of the sharing and watching forms.
SHARING_NOTICES = (
    "shared",
    "unshared_organisation",
    "unshared_person",
    "watching",
    "not_watching",
)


def build_blueprint() -> Blueprint:
    bp = Blueprint("customer", __name__)
    bp.before_request(lambda: require_area(Role.CUSTOMER))
    bp.add_url_rule("/", "tickets", _tickets)
    bp.add_url_rule("/new", "new_ticket", _new_ticket, methods=["GET", "POST"])
    bp.add_url_rule(f"/tickets/<{ID}:number>", "ticket", _ticket)
    bp.add_url_rule(f"/tickets/<{ID}:number>/<action>", "act", _act, methods=["POST"])
    bp.add_url_rule(
        f"/tickets/<{ID}:number>/files/<{ID}:file_id>",
        "file",
        lambda number, file_id: send(Role.CUSTOMER, number, file_id),
    )
    bp.add_url_rule(
        f"/tickets/<{ID}:number>/sharing/organisation",
        "share_organisation",
        _share_organisation,
        methods=["POST"],
    )
    bp.add_url_rule(
        f"/tickets/<{ID}:number>/sharing/people", "share_person", _share_person, methods=["POST"]
    )
    bp.add_url_rule(
        f"/tickets/<{ID}:number>/sharing/people/<user_id>/remove",
        "unshare_person",
        _unshare_person,
        methods=["POST"],
    )
    bp.add_url_rule(
        f"/tickets/<{ID}:number>/watching",
        "watch",
        lambda number: watch(Role.CUSTOMER, number, ticket_page),
        methods=["POST"],
    )
    return bp


def _tickets() -> ResponseReturnValue:
    tenant_id, actor = acting()
    search, errors = load(CUSTOMER_LIST_QUERY, request.args.to_dict())
    if "state" in errors:
        return error_page(gettext("There is no such list of tickets."), 404)
    if "after" in errors:
        return error_page(gettext("This page link is not valid. Start again from the list."), 400)
    state = search.get("state", "open")
    if errors:  # the list again, with the search refused next to its field
        search = {"state": state}
    try:
        listing = tickets.customer_ticket_list(
            tenant_id,
            actor,
            tab=state,
            cursor=search.get("after"),
            search=search.get("q"),
            service=search.get("service"),
            sort=search.get("sort"),
        )
    except InvalidCursor:
        return error_page(gettext("This page link is not valid. Start again from the list."), 400)
    refused = InvalidInput(errors).errors if errors else {}
    services = support.host.active_orders(tenant_id, actor)
    head = fragments.kept(
        "marketplace_support/customer/_list_head.html",
        state=state,
        counts=(listing.active_count, listing.done_count, listing.shared_count),
        search={key: search.get(key) for key in ("q", "service", "sort")},  # not the page's
        errors=refused,
        services=[(order.id, order.label) for order in services],
    )
    items = listing.page.items
    rows = fragments.kept_rows(
        "marketplace_support/customer/_ticket_row.html",
        ("ticket", "is_new", "snippet"),
        [
            (ticket, ticket.id in listing.unread, listing.snippets.get(ticket.id))
            for ticket in items
        ],
        shared=state == "shared",
        # the operator's name costs the host a query: asked for only where a row shows it
        operator_name=support.text(tenant_id, "operator_name")
        if any(ticket.handler is Handler.OPERATOR for ticket in items)
        else None,
    )
    return render_template(
        "marketplace_support/customer/tickets.html",
        head=head,
        rows=rows,
        listing=listing,
        state=state,
        search=search,
        # what the page made the head from before it was kept, for a host's copy of the page
        errors=refused,
        services=services,
    ), (400 if errors else 200)


def _new_ticket_again(role: Role, reason: str) -> ResponseReturnValue:
    """The new-ticket form refused for its token (``expired_forms``), with what was typed."""
    tenant_id, actor = acting()
    return _new_ticket_form(tenant_id, actor, form_data(), {"_form": [reason]}, 400)


def _act_again(role: Role, reason: str, number: int, action: str) -> ResponseReturnValue | None:
    """A form of the ticket page refused for its token, with what was typed."""
    if action not in CUSTOMER_ACTIONS:
        return None
    return page_again(ticket_page, number, action, reason, 400)


expired_forms.shown_again(Role.CUSTOMER, "new_ticket", _new_ticket_again)
expired_forms.shown_again(Role.CUSTOMER, "act", _act_again)


def _new_ticket() -> ResponseReturnValue:
    tenant_id, actor = acting()
    values: dict[str, Any] = {"submission_key": secrets.token_urlsafe(24)}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        sent = _send_new_ticket(tenant_id, actor)
        if not isinstance(sent, _Refused):
            return sent
        errors, values, status = sent.errors, sent.values, sent.status
    return _new_ticket_form(tenant_id, actor, values, errors, status)


@dataclass(frozen=True)
class _Refused:
    """A new-ticket form to show again: its errors, what was typed, the status."""

    errors: dict[str, list[str]]
    values: dict[str, Any]
    status: int


def _send_new_ticket(tenant_id: str, actor: Actor) -> ResponseReturnValue | _Refused:
    """Open the ticket the form describes (the redirect to it), or what to show again; the
    files that passed their checks are kept for the next try, unless a rate limit refused the
    request (then nothing of it is kept)."""
    form = form_data()
    key = form.get("submission_key", "")
    chosen = uploads()
    try:
        if "choose_area" in request.form:  # without JavaScript: the chosen area's questions
            drafts.keep(tenant_id, actor, key, chosen)
            return _Refused({}, form, 200)
        try:
            with kept_files(tenant_id, actor, key) as kept_before:
                opened = tickets.open_ticket(tenant_id, actor, form, [*chosen, *kept_before])
        except InvalidInput as invalid:
            drafts.keep(tenant_id, actor, key, chosen)  # for the next try
            return _Refused(invalid.errors, form, 422)
    except LimitReached as reached:  # nothing is kept, the files neither
        return _Refused({"_form": [over_limit(reached)]}, form, 429)
    if kept_before:
        drafts.clear(tenant_id, actor, key)
    return redirect(url_for(".ticket", number=opened.ticket.number, notice="opened"), code=303)


def _new_ticket_form(
    tenant_id: str,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int,
) -> ResponseReturnValue:
    # a refused form keeps its follow-up number in its own hidden field
    follow_up = request.args.get("follow_up_of", "") if request.method == "GET" else ""
    follow_up_of = typed_number(follow_up) if follow_up else None
    if follow_up and follow_up_of is None:
        raise TicketNotFound()  # as an earlier ticket that is not the customer's
    choices = tickets.new_ticket_form(tenant_id, actor, follow_up_of)
    if request.method == "GET" and choices.follow_up_of is not None:
        values.update(_follow_up_values(choices))
    return render_template(
        "marketplace_support/customer/new_ticket.html",
        choices=choices,
        priorities=list(Priority),
        values=values,
        errors=errors,
        # a fresh form has kept nothing: only one sent back (refused, or to show an area's
        # questions) asks
        kept=drafts.kept(tenant_id, actor, values.get("submission_key", ""))
        if request.method == "POST"
        else [],
    ), status


def _follow_up_values(choices: tickets.NewTicketForm) -> dict[str, str]:
    earlier = choices.follow_up_of
    assert earlier is not None
    subject = gettext(
        "Follow-up to #%(number)d: %(subject)s", number=earlier.number, subject=earlier.subject
    )
    values = {"subject": subject[:SUBJECT_MAX], "follow_up_of": str(earlier.number)}
    if earlier.order_id and any(o.id == earlier.order_id for o in choices.orders):
        values["order"] = earlier.order_id
    if earlier.category_key:
        values["category"] = earlier.category_key
    return values


def _ticket(number: int) -> ResponseReturnValue:
    return ticket_page(number)


def ticket_page(number: int, **refused: Any) -> ResponseReturnValue:
    tenant_id, actor = acting()
    view = tickets.ticket_view(tenant_id, actor, Role.CUSTOMER, number, **entries_asked())
    kept = _kept(tenant_id, actor, refused)
    state = _page_state(refused)
    shared = sharing.sharing_of(view.ticket, actor, Role.CUSTOMER)
    page = render_template(
        "marketplace_support/customer/ticket.html",
        view=view,
        ticket=view.ticket,
        conversation=conversation(tenant_id, view),
        reply_form=_reply_form(view.ticket, kept, state),
        details=_details(tenant_id, view, shared, state),
        sharing=shared,
        kept=kept,
        **state,
    )
    if not refused:  # after rendering: its commit would make the page's rows be read again
        tickets.mark_seen(view.ticket, actor)
    return page, refused.get("status", 200)


def _reply_form(ticket: Ticket, kept: list[DraftFile], state: dict[str, Any]) -> Any:
    """The page's reply box, kept (``customer/_reply_form.html``); made anew when it was the
    form refused (it shows what was typed)."""
    resolved = ticket.status is Status.RESOLVED
    return fragments.form_part(
        _REPLY_FORM, ("reply",), state, kept_files=kept, number=ticket.number, resolved=resolved
    )


_REPLY_FORM = "marketplace_support/customer/_reply_form.html"

#: the fields of a ticket that its page's details show (``customer/_ticket_details.html``)
DETAILS_FIELDS = (
    "number",
    "status",
    "priority",
    "order_label",
    "handler",
    "provider_name",
    "escalated_at",
    "category_key",
    "first_responded_at",
    "first_response_due_at",
    "resolution_due_at",
    "sla_escalated_at",
    "created_at",
    "updated_at",
    "follow_up_of_number",
    "requester_name",
)
_DETAILS = "marketplace_support/customer/_ticket_details.html"
#: the forms of the details that show what a refused one held
_DETAILS_FORMS = ("choose_service", "raise_emergency")


def _details(
    tenant_id: str, view: tickets.TicketView, shared: sharing.Sharing, state: dict[str, Any]
) -> Any:
    """The page's details and actions, kept; made anew when one of their forms was refused."""
    ticket = view.ticket
    inputs: dict[str, Any] = {
        "ticket": fragments.values_of(ticket, DETAILS_FIELDS),
        "category": category_label(ticket),
        "view": {
            "actions": view.actions,
            "orders": tuple(view.orders),
            "may_reopen_later": view.may_reopen_later,
        },
        "sharing": {"owner": shared.owner, "watching": shared.watching},
        "operator_name": support.text(tenant_id, "operator_name"),
    }
    return fragments.form_part(_DETAILS, _DETAILS_FORMS, state, **inputs)


def _kept(tenant_id: str, actor: Actor, refused: dict[str, Any]) -> list[DraftFile]:
    """The files kept from a refused form of the page, to list with its file input."""
    values = refused.get("values") or {}
    return drafts.kept(tenant_id, actor, values.get("submission_key", ""))


def _page_state(refused: dict[str, Any]) -> dict[str, Any]:
    notice = request.args.get("notice")
    return {
        "notice": notice if notice in ("opened", *CUSTOMER_ACTIONS, *SHARING_NOTICES) else None,
        "failed": refused.get("failed"),
        "errors": refused.get("errors", {}),
        "values": refused.get("values") or {},
        "problem": refused.get("problem"),
    }


def _act(number: int, action: str) -> ResponseReturnValue:
    if action not in CUSTOMER_ACTIONS:
        abort(404)
    return perform(Role.CUSTOMER, number, Action(action), ticket_page, uploads())


def _share_organisation(number: int) -> ResponseReturnValue:
    tenant_id, actor = acting()
    shared = request.form.get("shared") == "1"
    return change(
        number,
        ticket_page,
        lambda: sharing.share_with_organisation(tenant_id, actor, number, shared),
        notice="shared" if shared else "unshared_organisation",
        failed="sharing",
    )


def _share_person(number: int) -> ResponseReturnValue:
    tenant_id, actor = acting()
    person = request.form.get("person", "")
    return change(
        number,
        ticket_page,
        lambda: sharing.share_with_person(tenant_id, actor, number, person),
        notice="shared",
        failed="sharing",
    )


def _unshare_person(number: int, user_id: str) -> ResponseReturnValue:
    tenant_id, actor = acting()
    return change(
        number,
        ticket_page,
        lambda: sharing.stop_sharing_with_person(tenant_id, actor, number, user_id),
        notice="unshared_person",
        failed="sharing",
    )
