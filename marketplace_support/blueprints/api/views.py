"""The API's routes: who calls (the token), in which language, and what each route reads or
changes through the use-cases the pages use."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial, update_wrapper
from pathlib import Path
from typing import Any

import flask
from flask import Response, current_app, g, json, request, url_for
from flask_babel import force_locale
from flask_smorest import Api, Blueprint
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ... import actions, api_tokens, idempotency, tickets
from ...access import TicketNotFound
from ...api_tokens import Bearer, Scope, TokenRefused
from ...changes import Change
from ...i18n import TRANSLATIONS_DIRECTORY, gettext
from ...idempotency import Answer, KeyReused, Receipt
from ...models import Event
from ...pagination import InvalidCursor
from ...rate_limits import LimitReached
from ...schemas import ApiMessageSchema, InvalidInput, ListQuerySchema, load
from ...state import per_request, support
from ...workflow import Action, NotAllowed, Role, rule_for
from ..paths import ID
from . import schemas
from .problems import database_error, http_error, problem

#: The languages the API answers in: ours, picked by ``Accept-Language``.
LANGUAGES = ("en", *sorted(p.name for p in Path(TRANSLATIONS_DIRECTORY).iterdir() if p.is_dir()))

#: The largest body a call may send: a message's 10,000 characters, each escaped in JSON,
#: with room to spare (no file travels through the API).
BODY_MAX = 256 * 1024

#: The actions of ``/actions/<action>``: every one but the messages (``/messages``), also
#: those no staff row of the workflow table lets them take (answered 409 with the reason).
_ACTIONS = tuple(action for action in Action if action not in (Action.REPLY, Action.NOTE))
#: those that a row of the table lets provider or operator staff take (the document's)
_STAFF_ACTIONS = tuple(
    action
    for action in _ACTIONS
    if rule_for(action, Role.PROVIDER) or rule_for(action, Role.OPERATOR)
)

#: What a token needs for each method.
_NEEDS = {
    "GET": Scope.TICKETS_READ,
    "HEAD": Scope.TICKETS_READ,
    "OPTIONS": Scope.TICKETS_READ,
    "POST": Scope.TICKETS_WRITE,
}


def build_blueprint(api: Api) -> Blueprint:
    """A fresh blueprint per app (the document is ``api``'s)."""
    bp = Blueprint(
        "marketplace_support_api", __name__, description="Tickets, for provider and operator staff"
    )
    bp.before_request(_authenticate)
    bp.after_request(_private)
    bp.teardown_request(_end_language)
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
        bp.response(200, schemas.TicketSchema)(_ticket)
    )
    bp.route(f"/tickets/<{ID}:number>/messages", endpoint="messages", methods=["POST"])(
        _changing_doc(bp, ApiMessageSchema, 201)(_post_message)
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
    )(_changing_doc(bp, schemas.ActionFieldsSchema, 200)(_post_action))
    return bp


def _document(api: Api) -> Response:
    """The OpenAPI document (``docs/openapi.json`` is a copy)."""
    return current_app.response_class(
        json.dumps(api.spec.to_dict(), indent=2, sort_keys=True) + "\n",
        mimetype="application/json",
    )


def _changing_doc(bp: Blueprint, body: type, status: int) -> Callable[[Any], Any]:
    key = {
        "in": "header",
        "name": "Idempotency-Key",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": "the same key and body again: the first answer, nothing changed",
    }
    documented = bp.doc(
        parameters=[key],
        requestBody={
            "required": body is ApiMessageSchema,
            "content": {"application/json": {"schema": body}},
        },
    )
    answered = bp.response(status, schemas.ChangedSchema)

    def decorate(view: Any) -> Any:
        return answered(documented(view))

    return decorate


# -- who calls, in which language ----------------------------------------------------------


def _authenticate() -> Response | None:
    request.max_content_length = BODY_MAX
    if request.endpoint == "marketplace_support_api.openapi":
        return None
    _speak(None)
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise TokenRefused()
        bearer = api_tokens.authenticate(secret.strip())
    except TokenRefused:
        return problem(
            "invalid-token",
            gettext(
                "Send a valid API token as “Authorization: Bearer <token>”. A token stops "
                "working when it is revoked or expires."
            ),
            headers={"WWW-Authenticate": 'Bearer realm="support", error="invalid_token"'},
        )
    g.marketplace_support_bearer = bearer
    # the host's answers for this request: the token's tenant and person
    per_request("tenant_id", lambda: bearer.tenant_id)
    per_request("actor", lambda: bearer.actor)
    _speak(bearer.actor.locale)
    if not support.flags(bearer.tenant_id).support_enabled:
        return problem("not-found", gettext("Support is switched off on this marketplace."))
    needed = _NEEDS.get(request.method, Scope.TICKETS_WRITE)
    if needed not in bearer.scopes:
        return problem(
            "insufficient-scope",
            gettext("This token may not do this. Create one with the scope %(scope)s.")
            % {"scope": needed.value},
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
        )
    return None


def _private(response: Response) -> Response:
    """Answers are one person's and in their language: no shared cache keeps them."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.update(("Authorization", "Accept-Language"))
    return response


def _speak(fallback: str | None) -> None:
    """Answer in the caller's language (``Accept-Language``), else the token maker's, else
    the app's default, for the rest of the request."""
    chosen = request.accept_languages.best_match(LANGUAGES) or fallback
    if chosen is None:
        return
    _end_language(None)
    stack = g.marketplace_support_language = ExitStack()
    stack.enter_context(force_locale(chosen))


def _end_language(error: BaseException | None) -> None:
    stack = g.pop("marketplace_support_language", None)
    if stack is not None:
        stack.close()


def _bearer() -> Bearer:
    bearer: Bearer = g.marketplace_support_bearer
    return bearer


# -- reading -------------------------------------------------------------------------------


def _ticket_list() -> dict[str, Any]:
    """The caller's tickets: the same filters, orders and pages as their list in the Support
    inbox or console (``next``: the address of the next page)."""
    bearer = _bearer()
    params: dict[str, Any] = request.args.to_dict()
    listing = tickets.staff_ticket_list(bearer.tenant_id, bearer.actor, bearer.role, params)
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
    bearer = _bearer()
    view = tickets.ticket_view(bearer.tenant_id, bearer.actor, bearer.role, number)
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
        "attachments": [schemas.attachment(file) for file in files],
        "answers": [schemas.answer(row) for row in ticket.answers],
        "actions": [action.value for action in view.actions],
    }


# -- changing ------------------------------------------------------------------------------


def _post_message(number: int) -> Response:
    """Reply to the customer, or add an internal note (``internal``: staff only)."""
    data, errors = load(ApiMessageSchema(), _json_body())
    if errors:
        raise InvalidInput(errors)
    action = Action.NOTE if data["internal"] else Action.REPLY
    # a form's key of its own: the call's Idempotency-Key is kept apart (``idempotency``)
    form = {"body": data["body"], "submission_key": secrets.token_urlsafe(24)}
    return _change(number, action, form, 201)


def _post_action(number: int, action: str) -> Response:
    """Take a workflow action; the body holds the action's fields, as on the ticket page."""
    if action not in _ACTIONS:
        return problem(
            "not-found",
            gettext("There is no such action. Replies and internal notes go to /messages."),
        )
    return _change(number, Action(action), _json_body(), 200)


def _json_body() -> dict[str, Any]:
    """The call's JSON object; no body is no fields.

    Raises: InvalidInput: a body that is not a JSON object.
    """
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput({"_body": [gettext("Send a JSON object.")]})
    return body


def _change(number: int, action: Action, form: dict[str, Any], status: int) -> Response:
    """Fire ``action`` through ``actions.act``; with an ``Idempotency-Key`` once only."""
    bearer = _bearer()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not idempotency.is_key(key):
        raise InvalidInput(
            {"Idempotency-Key": [gettext("Send 1 to 255 visible ASCII characters.")]}
        )
    fingerprint = idempotency.fingerprint(
        request.method, request.path, request.get_json(silent=True)
    )
    user_id = bearer.actor.user_id
    if key is not None:
        earlier = idempotency.answered_before(bearer.tenant_id, user_id, key, fingerprint)
        if earlier is not None:
            return _answer(earlier, replayed=True)
    receipt = Receipt(bearer.tenant_id, user_id, key, fingerprint, partial(_answered, status))
    actions.act(bearer.tenant_id, bearer.actor, bearer.role, number, action, form, receipt=receipt)
    assert receipt.answered is not None
    return _answer(receipt.answered, replayed=False)


def _answered(status: int, change: Change) -> Answer:
    """The answer to a change, worked out in its transaction (kept with its key)."""
    body = schemas.ChangedSchema().dump(
        {
            "ticket": schemas.summary(change.ticket),
            "messages": [schemas.message(m) for m in change.messages],
            "events": [schemas.event(e) for e in change.rows if isinstance(e, Event)],
        }
    )
    return Answer(status, body)


def _answer(answer: Answer, *, replayed: bool) -> Response:
    response = current_app.response_class(
        json.dumps(answer.body), status=answer.status, mimetype="application/json"
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


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


def _limited(error: LimitReached) -> Response:
    return problem("rate-limited", error.message, headers=error.headers())


_HANDLERS: dict[type[BaseException], Callable[[Any], Response]] = {
    TicketNotFound: _not_found,
    NotAllowed: _not_allowed,
    InvalidInput: _invalid,
    KeyReused: _key_reused,
    InvalidCursor: _bad_cursor,
    LimitReached: _limited,
    SQLAlchemyError: database_error,
    HTTPException: http_error,
}
