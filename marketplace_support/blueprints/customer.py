"""My Page → Support: a customer's tickets, the form for a new one, and the ticket page."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from .. import tickets
from ..extension import support
from ..host import Actor
from ..i18n import gettext
from ..pagination import InvalidCursor
from ..priorities import Priority
from ..schemas import SUBJECT_MAX
from ..workflow import NotAllowed
from .rendering import error_page

#: Confirmations shown on the ticket page after a redirect; the template words each one.
NOTICES = frozenset({"opened", "added", "resolve", "reopen"})


def build_blueprint() -> Blueprint:
    bp = Blueprint("customer", __name__)
    bp.before_request(_require_customer)
    bp.add_url_rule("/", "tickets", _tickets)
    bp.add_url_rule("/new", "new_ticket", _new_ticket, methods=["GET", "POST"])
    bp.add_url_rule("/tickets/<int:number>", "ticket", _ticket)
    bp.add_url_rule("/tickets/<int:number>/messages", "add_message", _add_message, methods=["POST"])
    bp.add_url_rule(
        "/tickets/<int:number>/status", "change_status", _change_status, methods=["POST"]
    )
    return bp


def _require_customer() -> ResponseReturnValue | None:
    actor = support.actor()
    if actor is None:
        return support.host.unauthenticated()
    if not actor.is_customer:
        return error_page(gettext("Support on My Page is for customers of the marketplace."), 403)
    return None


def _customer() -> tuple[str, Actor]:
    actor = support.actor()
    assert actor is not None  # _require_customer ran
    return support.tenant_id(), actor


def _tickets() -> ResponseReturnValue:
    tenant_id, actor = _customer()
    state = request.args.get("state", "open")
    if state not in ("open", "closed"):
        return error_page(gettext("There is no such list of tickets."), 404)
    try:
        listing = tickets.customer_ticket_list(
            tenant_id, actor, active=state == "open", cursor=request.args.get("after")
        )
    except InvalidCursor:
        return error_page(gettext("This page link is not valid. Start again from the list."), 400)
    return render_template(
        "marketplace_support/customer/tickets.html",
        listing=listing,
        state=state,
        operator_name=support.text(tenant_id, "operator_name"),
    )


def _new_ticket() -> ResponseReturnValue:
    tenant_id, actor = _customer()
    values: MultiDict[str, str] | dict[str, Any]
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = request.form.to_dict()
        form.pop("csrf_token", None)
        try:
            opened = tickets.open_ticket(tenant_id, actor, form)
        except tickets.InvalidInput as invalid:
            errors, values, status = invalid.errors, form, 422
        else:
            return redirect(
                url_for(".ticket", number=opened.ticket.number, notice="opened"), code=303
            )
    else:
        values = {"submission_key": secrets.token_urlsafe(24)}
    # a refused form keeps its follow-up number in its own hidden field
    follow_up = request.args.get("follow_up_of", type=int) if request.method == "GET" else None
    choices = tickets.new_ticket_form(tenant_id, actor, follow_up)
    if request.method == "GET" and choices.follow_up_of is not None:
        values.update(_follow_up_values(choices))
    return render_template(
        "marketplace_support/customer/new_ticket.html",
        choices=choices,
        priorities=list(Priority),
        values=values,
        errors=errors,
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
    return _ticket_page(number)


def _ticket_page(
    number: int,
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    tenant_id, actor = _customer()
    view = tickets.customer_ticket_view(tenant_id, actor, number)
    notice = request.args.get("notice")
    return render_template(
        "marketplace_support/customer/ticket.html",
        view=view,
        ticket=view.ticket,
        notice=notice if notice in NOTICES else None,
        errors=errors or {},
        values=values or {"submission_key": secrets.token_urlsafe(24)},
        problem=problem,
        operator_name=support.text(tenant_id, "operator_name"),
    ), status


def _add_message(number: int) -> ResponseReturnValue:
    tenant_id, actor = _customer()
    form = request.form.to_dict()
    form.pop("csrf_token", None)
    try:
        tickets.add_customer_message(tenant_id, actor, number, form)
    except tickets.InvalidInput as invalid:
        return _ticket_page(number, errors=invalid.errors, values=form, status=422)
    except NotAllowed as refused:
        return _ticket_page(number, problem=str(refused.message), status=409)
    return redirect(url_for(".ticket", number=number, notice="added", _anchor="latest"), code=303)


def _change_status(number: int) -> ResponseReturnValue:
    tenant_id, actor = _customer()
    action = request.form.get("action", "")
    try:
        tickets.customer_transition(tenant_id, actor, number, action)
    except NotAllowed as refused:
        return _ticket_page(number, problem=str(refused.message), status=409)
    return redirect(url_for(".ticket", number=number, notice=action), code=303)
