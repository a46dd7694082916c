"""The provider inbox and the operator console: one blueprint per area, built from the same
views, because both list tickets, show a ticket and fire actions; what each area may see and
do comes from ``access`` and the workflow table, not from here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from functools import partial, update_wrapper
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from .. import api_tokens, drafts, outbox, quarantine, request_types, scorecard, sharing, tickets
from ..clock import now
from ..host import Actor
from ..i18n import gettext
from ..models import DraftFile
from ..notifications import Notification
from ..pagination import InvalidCursor
from ..priorities import Priority
from ..schemas import InvalidInput, typed_count, typed_number
from ..state import support
from ..workflow import ALL_STATUSES, RULES, Action, Role, Status
from . import expired_forms, fragments, tokens, webhook_pages
from .area import (
    acting,
    category_label,
    conversation,
    entries_asked,
    error_page,
    list_url,
    require_area,
)
from .files import send, uploads
from .forms import page_again, perform, watch
from .paths import ID


def build_blueprint(role: Role) -> Blueprint:
    """The area of ``role`` (provider or operator), named after it."""
    bp = Blueprint(role.value, __name__)
    bp.before_request(lambda: require_area(role))
    bp.add_url_rule("/", "tickets", _for(role, _ticket_list))
    bp.add_url_rule("/scorecard", "scorecard", _for(role, _score_page))
    bp.add_url_rule(f"/tickets/<{ID}:number>", "ticket", _for(role, _ticket_page))
    compose = _for(role, _compose)
    bp.add_url_rule(f"/tickets/<{ID}:number>/compose", "compose", compose, methods=["POST"])
    bp.add_url_rule(f"/tickets/<{ID}:number>/<action>", "act", _for(role, _act), methods=["POST"])
    bp.add_url_rule(
        f"/tickets/<{ID}:number>/files/<{ID}:file_id>",
        "file",
        lambda number, file_id: send(role, number, file_id),
    )
    bp.add_url_rule(
        f"/tickets/<{ID}:number>/watching",
        "watch",
        lambda number: watch(role, number, _for(role, _ticket_page)),
        methods=["POST"],
    )
    tokens.add_pages(bp, role)
    webhook_pages.add_pages(bp, role)
    if role is Role.OPERATOR:
        bp.add_url_rule("/notifications", "notifications", _notifications)
        bp.add_url_rule("/notifications/send-again", "send_again", _send_again, methods=["POST"])
        bp.add_url_rule("/mail", "quarantine", _quarantine)
        bp.add_url_rule("/mail/drop", "drop_mail", _drop_mail, methods=["POST"])
        bp.add_url_rule("/mail/accept", "accept_mail", _accept_mail, methods=["POST"])
    return bp


def _for(
    role: Role, view: Callable[..., ResponseReturnValue]
) -> Callable[..., ResponseReturnValue]:
    """``view`` for the area of ``role``, named like it (Flask and Flask-Limiter read names)."""
    return update_wrapper(partial(view, role), view)


def _actions_of(role: Role) -> frozenset[Action]:
    return frozenset(rule.action for rule in RULES if role in rule.roles)


def _ticket_list(role: Role) -> ResponseReturnValue:
    tenant_id, actor = acting()
    problem, status = None, 200
    try:
        listing = tickets.staff_ticket_list(tenant_id, actor, role, request.args.to_dict())
    except InvalidInput as invalid:
        # a stale or edited address: the list as it starts, with the form and the reason
        problem = " ".join(m for messages in invalid.errors.values() for m in messages)
        listing, status = tickets.staff_ticket_list(tenant_id, actor, role, {}), 400
    except InvalidCursor:
        return error_page(gettext("This page link is not valid. Start again from the list."), 400)
    categories = support.categories(tenant_id)
    answer_filters = request_types.filters(categories)
    colleagues = tickets.colleagues(tenant_id, actor, role)
    providers = support.providers(tenant_id) if role is Role.OPERATOR else ()
    offers_tokens = api_tokens.offered()
    operator_name = support.text(tenant_id, "operator_name")
    head = fragments.kept(
        "marketplace_support/staff/_list_head.html",
        role=role,
        q={key: value for key, value in listing.query.items() if key != "after"},
        by_status=listing.by_status,
        by_queue=listing.by_queue,
        problem=problem,
        statuses=_STATUSES,
        priorities=_PRIORITIES,
        categories=[(category.key, category.label) for category in categories],
        answer_filters=answer_filters,
        colleagues=[(person.user_id, person.name) for person in colleagues],
        providers=[(provider.id, provider.name) for provider in providers],
        operator_name=operator_name,
        actor_id=actor.user_id,
        api_tokens=offers_tokens,
        quarantine=bool(current_app.config["SUPPORT_REPLY_DOMAIN"]),
        list_url=_list_url,
    )
    return render_template(
        "marketplace_support/staff/tickets.html",
        head=head,
        rows=_rows(role, listing, answer_filters, operator_name),
        role=role,
        listing=listing,
        list_url=partial(_list_url, listing.query),
        answer_filters=answer_filters,
        # what the page made the head from before it was kept, for a host's copy of the page
        problem=problem,
        statuses=_STATUSES,
        priorities=_PRIORITIES,
        categories=categories,
        providers=providers,
        colleagues=colleagues,
        api_tokens=offers_tokens,
    ), status


def _rows(
    role: Role,
    listing: tickets.StaffList,
    answer_filters: list[request_types.Filter],
    operator_name: Markup,
) -> Markup:
    """The list's rows (``staff/_ticket_row.html``), kept (``fragments.kept_rows``)."""
    moment = now()
    return fragments.kept_rows(
        "marketplace_support/staff/_ticket_row.html",
        ("ticket", "is_new", "overdue", "snippet"),
        [
            (
                ticket,
                ticket.id in listing.unread,
                ticket.next_due_at is not None and ticket.next_due_at <= moment,
                listing.snippets.get(ticket.id),
            )
            for ticket in listing.page.items
        ],
        operator=role is Role.OPERATOR,
        operator_name=operator_name,
        answer=_sorted_by(listing.query["sort"], answer_filters),
    )


def _sorted_by(
    sort: str, answer_filters: list[request_types.Filter]
) -> tuple[str, dict[str, str]] | None:
    """The question a list sorted by an answer ("answer:<key>") is sorted by, for its rows:
    its label and its choices' labels by key; None for a list sorted otherwise."""
    if not sort.startswith("answer:"):
        return None
    key = sort.removeprefix("answer:")
    found = next((f for f in answer_filters if f.key == key), None)
    return (found.label, dict(found.choices)) if found else None


_STATUSES = tuple(s for s in Status if s in ALL_STATUSES)
_PRIORITIES = tuple(Priority)


#: the list's filters in its addresses, in this order
_LIST_KEYS = (
    "status",
    "priority",
    "category",
    "answer",
    "assignee",
    "q",
    "sort",
    "queue",
    "provider",
)


def _list_url(query: dict[str, Any], changes: dict[str, Any]) -> str:
    """``list_url`` in the list's template: the address of the list with the current filters
    (``query``) and ``changes``; a page link (``after``) only where ``changes`` has one, so a
    new filter starts again from the first page."""
    params = {}
    for key in (*_LIST_KEYS, "after"):
        value = changes[key] if key in changes else query.get(key) if key != "after" else None
        if value:
            params[key] = value.value if isinstance(value, Enum) else value
    return list_url(**params)


def _ticket_page(role: Role, number: int, **refused: Any) -> ResponseReturnValue:
    tenant_id, actor = acting()
    view = tickets.ticket_view(tenant_id, actor, role, number, **entries_asked())
    notice = request.args.get("notice")
    known = (*_actions_of(role), "watching", "not_watching")
    kept = drafts.kept(tenant_id, actor, (refused.get("values") or {}).get("submission_key", ""))
    shared = sharing.sharing_of(view.ticket, actor, role)
    page = render_template(
        "marketplace_support/staff/ticket.html",
        view=view,
        ticket=view.ticket,
        conversation=conversation(tenant_id, view),
        composer=_composer(view, kept, refused),
        details=_details(tenant_id, actor, view, shared, refused),
        role=role,
        priorities=list(Priority),
        sharing=shared,
        kept=kept,
        notice=notice if notice in known else None,
        failed=refused.get("failed"),
        errors=refused.get("errors", {}),
        values=refused.get("values") or {},
        problem=refused.get("problem"),
    )
    if not refused:  # after rendering: its commit would make the page's rows be read again
        tickets.mark_seen(view.ticket, actor)
    return page, refused.get("status", 200)


def _composer(view: tickets.TicketView, kept: list[DraftFile], refused: dict[str, Any]) -> Any:
    """The page's composer, kept (``staff/_composer.html``); made anew when it was the form
    refused (it shows what was typed)."""
    inputs = {
        "number": view.ticket.number,
        "status": view.ticket.status.value,
        "actions": tuple(action for action in view.actions if action in _COMPOSER_ACTIONS),
    }
    return fragments.form_part(_COMPOSER, ("compose",), refused, kept_files=kept, **inputs)


_COMPOSER = "marketplace_support/staff/_composer.html"
#: what the composer offers: a reply or a note, then wait for the customer or resolve
_COMPOSER_ACTIONS = frozenset({Action.REPLY, Action.NOTE, Action.WAIT_FOR_CUSTOMER, Action.RESOLVE})


#: the fields of a ticket that its page's details show (``staff/_ticket_details.html``)
DETAILS_FIELDS = (
    "number",
    "requester_name",
    "requester_email",
    "order_label",
    "service_plan",
    "category_key",
    "handler",
    "provider_id",
    "provider_name",
    "assignee_user_id",
    "assignee_name",
    "status",
    "priority",
    "first_responded_at",
    "first_response_due_at",
    "resolution_due_at",
    "created_at",
    "updated_at",
    "follow_up_of_number",
    "duplicate_of_number",
)
_DETAILS = "marketplace_support/staff/_ticket_details.html"
#: the forms of the details that show what a refused one held
_DETAILS_FORMS = frozenset(
    {"assign", "downgrade_emergency", "reroute", "change_priority", "mark_duplicate", "escalate"}
)


def _details(
    tenant_id: str,
    actor: Actor,
    view: tickets.TicketView,
    shared: sharing.Sharing,
    refused: dict[str, Any],
) -> Any:
    """The page's details and actions, kept; made anew when one of their forms was refused.
    Whether a target has passed is read from the clock here, not by the template."""
    ticket = view.ticket
    moment = now()
    inputs: dict[str, Any] = {
        "ticket": fragments.values_of(ticket, DETAILS_FIELDS),
        "category": category_label(ticket),
        "overdue": {
            "first_response": _passed(ticket.first_response_due_at, moment),
            "resolution": _passed(ticket.resolution_due_at, moment),
        },
        "actions": view.actions,
        "role": view.role,
        "me": actor.user_id,
        "view": {"assignable": tuple(view.assignable), "providers": tuple(view.providers)},
        "priorities": _PRIORITIES_ALL,
        "sharing": {"watching": shared.watching},
        "operator_name": support.text(tenant_id, "operator_name"),
    }
    return fragments.form_part(_DETAILS, _DETAILS_FORMS, refused, **inputs)


_PRIORITIES_ALL = tuple(Priority)


def _passed(due: datetime | None, moment: datetime) -> bool:
    return due is not None and due <= moment


def _act(role: Role, number: int, action: str) -> ResponseReturnValue:
    if action not in _actions_of(role):
        abort(404)
    return perform(role, number, Action(action), _for(role, _ticket_page), uploads())


def _compose(role: Role, number: int) -> ResponseReturnValue:
    """The ticket page's one composer: a reply or an internal note (``kind``), sent alone or,
    for a reply, with what follows in the same step (``then``)."""
    kind = request.form.get("kind")
    action = Action.NOTE if kind == Action.NOTE.value else Action.REPLY
    page = _for(role, _ticket_page)
    if kind not in (Action.REPLY.value, Action.NOTE.value):
        # never a reply by default: a note sent with its choice lost must not reach the customer
        unchosen = gettext("Choose whether this is a reply to the customer or an internal note.")
        refused = InvalidInput({"kind": [unchosen]})
        return perform(role, number, action, page, uploads(), failed="compose", refused=refused)
    if action is Action.NOTE and request.form.get("then"):
        return page(
            number, problem=gettext("An internal note is sent on its own: use Send."), status=422
        )
    extra = {"kind"} if action is Action.REPLY else {"kind", "then"}
    return perform(role, number, action, page, uploads(), failed="compose", drop=extra)


def _act_again(role: Role, reason: str, number: int, action: str) -> ResponseReturnValue | None:
    """A form of the ticket page refused for its token (``expired_forms``), with what was
    typed."""
    if action not in _actions_of(role):
        return None
    return page_again(_for(role, _ticket_page), number, action, reason, 400)


def _compose_again(role: Role, reason: str, number: int) -> ResponseReturnValue:
    """The composer refused for its token, with what was typed."""
    return page_again(_for(role, _ticket_page), number, "compose", reason, 400)


for _role in (Role.PROVIDER, Role.OPERATOR):
    expired_forms.shown_again(_role, "act", _act_again)
    expired_forms.shown_again(_role, "compose", _compose_again)


def _score_page(role: Role) -> ResponseReturnValue:
    tenant_id, actor = acting()
    try:
        period = scorecard.period(tenant_id, request.args.to_dict())
    except InvalidInput as invalid:
        messages = invalid.errors.values()
        return error_page(" ".join(m for ms in messages for m in ms), 400)
    return render_template(
        "marketplace_support/staff/scorecard.html",
        role=role,
        scores=scorecard.scorecard(tenant_id, actor, role, period.start, period.end),
        first=period.first,
        last=period.last,
    )


def _notifications() -> ResponseReturnValue:
    """The operator's view of notifications that failed or wait for another try."""
    tenant_id, actor = acting()
    return render_template(
        "marketplace_support/staff/notifications.html",
        rows=outbox.troubled(tenant_id, actor, Role.OPERATOR),
        sent_again=request.args.get("sent_again", type=typed_count),
        notification_label=lambda key: Notification(key).label,
    )


def _send_again() -> ResponseReturnValue:
    tenant_id, actor = acting()
    # an id that cannot name a notification names none (the list may be out of date anyway)
    numbers = (typed_number(value) for value in request.form.getlist("id"))
    ids = [number for number in numbers if number is not None]
    count = outbox.send_troubled_again(tenant_id, actor, Role.OPERATOR, ids)
    return redirect(url_for(".notifications", sent_again=count), code=303)


def _quarantine() -> ResponseReturnValue:
    """The operator's view of mail sent to a reply address that did not get in."""
    tenant_id, actor = acting()
    rows = quarantine.kept(tenant_id, actor)
    return render_template(
        "marketplace_support/staff/quarantine.html",
        rows=rows,
        numbers=quarantine.ticket_numbers(tenant_id, rows),
        dropped=request.args.get("dropped", type=typed_count),
        accepted=request.args.get("accepted", type=typed_count),
        refused=quarantine.reason_named(request.args.get("refused", "")),
        reasons=quarantine.REASONS,
        detail_of=quarantine.detail_of,
        acceptable=quarantine.acceptable,
    )


def _drop_mail() -> ResponseReturnValue:
    tenant_id, actor = acting()
    numbers = (typed_number(value) for value in request.form.getlist("id"))
    ids = [number for number in numbers if number is not None]
    count = quarantine.drop(tenant_id, actor, ids)
    return redirect(url_for(".quarantine", dropped=count), code=303)


def _accept_mail() -> ResponseReturnValue:
    tenant_id, actor = acting()
    entry_id = typed_number(request.form.get("accept", ""))
    outcome = None if entry_id is None else quarantine.accept(tenant_id, actor, entry_id)
    if outcome is None:
        return redirect(url_for(".quarantine"), code=303)
    if outcome.reason is not None:
        return redirect(url_for(".quarantine", refused=outcome.reason.value), code=303)
    return redirect(url_for(".quarantine", accepted=outcome.ticket_number), code=303)
