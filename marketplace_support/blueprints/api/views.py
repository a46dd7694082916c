"""The API's blueprint and the staff's routes (``/tickets``): what each reads or changes through
the use-cases the pages use, and every refusal as problem+json. Who calls is ``callers``'s;
the customer's routes are ``customer``'s, the downloads ``files``'s."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial, update_wrapper
from typing import Any

import flask
from flask import Response, current_app, json, request, url_for
from flask_smorest import Api, Blueprint
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ... import sharing, tickets
from ...access import TicketNotFound
from ...i18n import gettext
from ...idempotency import KeyReused
from ...pagination import InvalidCursor
from ...rate_limits import LimitReached
from ...schemas import ApiMessageSchema, InvalidInput, ListQuerySchema, load
from ...storage import StorageUnavailable
from ...workflow import Action, NotAllowed, Role, rule_for
from ..paths import ID
from . import callers, changing, customer, files, oversight, schemas, watching, webhooks
from .problems import database_error, http_error, problem, storage_error

#: The largest body a call may send without files: a message's 10,000 characters, each
#: escaped in JSON, with room to spare (a call with files may send what the tenant's limits
#: allow: ``callers.authenticate``).
BODY_MAX = 256 * 1024

#: The actions of ``/actions/<action>`` that a row of the table lets provider or operator
#: staff take (the document's)
_STAFF_ACTIONS = tuple(
    action
    for action in changing.ACTIONS
    if rule_for(action, Role.PROVIDER) or rule_for(action, Role.OPERATOR)
)


def build_blueprint(api: Api) -> Blueprint:
    """A fresh blueprint per app (the document is ``api``'s)."""
    bp = Blueprint(
        "marketplace_support_api", __name__, description="Tickets, for provider and operator staff"
    )
    bp.before_request(_authenticate)
    bp.after_request(_private)
    bp.teardown_request(callers.end_language)
    for error, handler in _HANDLERS.items():
        bp.register_error_handler(error, handler)
    # Flask's own rule: the document does not describe itself
    flask.Blueprint.add_url_rule(
        bp, "/openapi.json", "openapi", update_wrapper(partial(_document, api), _document)
    )
    list_doc = bp.doc(
        parameters=[{"in": "query", "schema": ListQuerySchema(queues=tickets.QUEUES)}]
    )
    bp.route("/tickets", endpoint="tickets", methods=["GET"])(
        bp.response(200, schemas.TicketListSchema)(list_doc(_ticket_list))
    )
    bp.route(f"/tickets/<{ID}:number>", endpoint="ticket", methods=["GET"])(
        bp.response(200, schemas.TicketSchema)(bp.doc(parameters=[schemas.BEFORE])(_ticket))
    )
    bp.route(f"/tickets/<{ID}:number>/messages", endpoint="messages", methods=["POST"])(
        changing.documented(bp, ApiMessageSchema, 201, files=True)(_post_message)
    )
    bp.route(
        f"/tickets/<{ID}:number>/actions/<action>",
        endpoint="act",
        methods=["POST"],
        parameters=[
            {
                "in": "path",
                "name": "action",
                "schema": {"type": "string", "enum": [a.value for a in _STAFF_ACTIONS]},
                "description": "a workflow action; the table decides who may take it when",
            }
        ],
    )(changing.documented(bp, schemas.ActionFieldsSchema, 200, required=False)(_post_action))
    files.add_routes(bp)
    customer.add_routes(bp)
    watching.add_routes(bp)
    oversight.add_routes(bp)
    webhooks.add_routes(bp)
    return bp


def _document(api: Api) -> Response:
    """The OpenAPI document (``docs/openapi.json`` is a copy)."""
    return current_app.response_class(
        json.dumps(api.spec.to_dict(), indent=2, sort_keys=True) + "\n",
        mimetype="application/json",
    )


# -- who calls ---------------------------------------------------------------------------


def _authenticate() -> Response | None:
    request.max_content_length = BODY_MAX  # raised for files once the tenant is known
    if request.endpoint == "marketplace_support_api.openapi":
        return None
    return callers.authenticate(_AREAS.get(request.endpoint or "", "staff"))


#: The area of each route that is not the staff's (``callers``).
_AREAS: dict[str, callers.Area] = {**customer.AREAS, **watching.AREAS, **oversight.AREAS}


def _private(response: Response) -> Response:
    """Answers are one person's and in their language: no shared cache keeps them."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.update(("Authorization", "Cookie", "Accept-Language"))
    return response


# -- reading -------------------------------------------------------------------------------


def _ticket_list() -> dict[str, Any]:
    """The caller's tickets: the same filters, orders and pages as their list in the Support
    inbox or console (``next``: the address of the next page)."""
    who = callers.caller()
    params: dict[str, Any] = request.args.to_dict()
    listing = tickets.staff_ticket_list(who.tenant_id, who.actor, who.role, params)
    cursor = listing.page.next_cursor
    return {
        "tickets": [
            {**schemas.summary(ticket), "new_activity": ticket.id in listing.unread}
            for ticket in listing.page.items
        ],
        "next": url_for(".tickets", **{**params, "after": cursor}) if cursor else None,
        "active_by_status": {status.value: n for status, n in listing.by_status.items()},
    }


def _ticket(number: int) -> dict[str, Any]:
    """One ticket with its conversation (internal notes too), history, files (their
    details; the files themselves are on the ticket's page) and response targets."""
    who = callers.caller()
    before = request.args.get("before")
    view = tickets.ticket_view(who.tenant_id, who.actor, who.role, number, before=before)
    ticket = view.ticket
    files = sorted((f for fs in view.files.values() for f in fs), key=lambda f: f.id)
    return {
        **schemas.summary(ticket),
        "issue_about": ticket.issue_about,
        "expected_outcome": ticket.expected_outcome,
        "current_scenario": ticket.current_scenario,
        "category_key": ticket.category_key,
        "order_id": ticket.order_id,
        "provider_id": ticket.provider_id,
        "assignee_user_id": ticket.assignee_user_id,
        "requester_user_id": ticket.requester_user_id,
        "escalation_reason": ticket.escalation_reason,
        "emergency_explanation": ticket.emergency_explanation,
        "duplicate_of": ticket.duplicate_of_number,
        "follow_up_of": ticket.follow_up_of_number,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "targets": schemas.targets(ticket),
        "messages": [schemas.message(e.message) for e in view.timeline if e.message],
        "events": [schemas.event(e.event) for e in view.timeline if e.event],
        "earlier": schemas.earlier(".ticket", view),
        "attachments": [schemas.attachment(file) for file in files],
        "answers": [schemas.answer(row) for row in ticket.answers],
        "actions": [action.value for action in view.actions],
        "assignable": [{"user_id": p.user_id, "name": p.name} for p in view.assignable],
        "reroute_to": [{"id": p.id, "name": p.name} for p in view.providers],
        "watching": sharing.watching(ticket, who.actor),
    }


# -- changing ------------------------------------------------------------------------------


def _post_message(number: int) -> Response:
    """Reply to the customer, or add an internal note (``internal``: staff only), with files
    where the body is ``multipart/form-data``."""
    fields, files = changing.fields_and_files()
    data, errors = load(ApiMessageSchema(), fields)
    if errors:
        raise InvalidInput(errors)
    action = Action.NOTE if data["internal"] else Action.REPLY
    # a form's key of its own: the call's Idempotency-Key is kept apart (``idempotency``)
    form = {"body": data["body"], "submission_key": secrets.token_urlsafe(24)}
    return changing.change(number, action, form, 201, files)


def _post_action(number: int, action: str) -> Response:
    """Take a workflow action; the body holds the action's fields, as on the ticket page."""
    return changing.post_action(number, action)


# -- refusals ------------------------------------------------------------------------------


def _not_found(error: TicketNotFound) -> Response:
    return problem("not-found", gettext("There is no such ticket, or it is not yours to see."))


def _not_allowed(error: NotAllowed) -> Response:
    return problem("not-allowed", str(error.message))


def _invalid(error: InvalidInput) -> Response:
    detail = gettext("Some fields were refused; see errors.")
    return problem("invalid-input", detail, errors=error.errors)


def _key_reused(error: KeyReused) -> Response:
    return problem(
        "idempotency-key-reused",
        gettext(
            "This Idempotency-Key was used for another call in the last 24 hours. "
            "Use a new key for each new call."
        ),
    )


def _bad_cursor(error: InvalidCursor) -> Response:
    return problem(
        "invalid-page-link", gettext("This page link is not valid. Start again from the list.")
    )


def _bad_entries_link(error: tickets.InvalidEntriesLink) -> Response:
    return problem("invalid-entries-link", str(error.message))


def _limited(error: LimitReached) -> Response:
    return problem("rate-limited", error.message, headers=error.headers())


_HANDLERS: dict[type[BaseException], Callable[[Any], Response]] = {
    TicketNotFound: _not_found,
    NotAllowed: _not_allowed,
    InvalidInput: _invalid,
    KeyReused: _key_reused,
    InvalidCursor: _bad_cursor,
    tickets.InvalidEntriesLink: _bad_entries_link,
    LimitReached: _limited,
    SQLAlchemyError: database_error,
    StorageUnavailable: storage_error,
    HTTPException: http_error,
}
