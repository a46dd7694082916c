"""My Page → Support through the API (``/my/...``), for a customer-facing app of the host (a
mobile app, a single-page My Page) on the host's own login, and ``/me``: who is calling.

The customer's routes have paths of their own rather than sharing ``/tickets`` with staff: a
person can be a customer and a provider's staff member at once (the pages keep the two apart
by area too), and what a customer reads and sends differs from what staff do. They call the
same use-cases as the customer's pages (``tickets``, ``actions``, ``sharing``) as
``Role.CUSTOMER``; nothing is decided here.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Response, request, url_for
from flask_smorest import Blueprint

from ... import access, request_types, sharing, tickets
from ...attachments import upload_rules
from ...host import Category, RequestField
from ...i18n import gettext
from ...idempotency import Receipt
from ...models import Ticket
from ...pagination import InvalidCursor
from ...schemas import (
    CUSTOMER_LIST_QUERY,
    ApiReplySchema,
    ApiSharingSchema,
    CustomerListQuerySchema,
    InvalidInput,
    load,
)
from ...workflow import Action, Role, rule_for
from ..paths import ID
from . import changing, schemas
from . import customer_schemas as my
from .callers import Area, caller, csrf_token

#: The area of each route of this module (the others are staff's).
_CUSTOMERS = (
    "my_orders",
    "my_areas",
    "my_tickets",
    "my_open",
    "my_ticket",
    "my_messages",
    "my_act",
    "my_file",
    "my_organisation",
    "my_person",
    "my_unshare",
)
AREAS: dict[str, Area] = {
    "marketplace_support_api.me": "anyone",
    **{f"marketplace_support_api.{endpoint}": "customer" for endpoint in _CUSTOMERS},
}

#: The actions a row of the workflow table lets a customer take (the document's).
_MY_ACTIONS = tuple(a for a in changing.ACTIONS if rule_for(a, Role.CUSTOMER))

_TICKET = f"/my/tickets/<{ID}:number>"


def add_routes(bp: Blueprint) -> None:
    """``/me`` and the customer's routes on the API's blueprint."""
    tag = bp.doc(tags=["My Page"])

    def route(path: str, endpoint: str, method: str, **kwargs: Any) -> Callable[[Any], Any]:
        added = bp.route(path, endpoint=endpoint, methods=[method], **kwargs)
        session: dict[str, list[str]] = {"session": []}
        if method != "GET":
            session["csrf"] = []
        security = [session, {"bearer": []}] if endpoint == "me" else [session]
        secured = bp.doc(security=security)
        return lambda view: added(secured(tag(view)))

    route("/me", "me", "GET")(bp.response(200, my.MeSchema)(_me))
    route("/my/orders", "my_orders", "GET")(bp.response(200, my.MyOrdersSchema)(_orders))
    route("/my/areas", "my_areas", "GET")(bp.response(200, my.MyAreasSchema)(_areas))
    listed = bp.doc(parameters=[{"in": "query", "schema": CustomerListQuerySchema}])
    route("/my/tickets", "my_tickets", "GET")(
        bp.response(200, my.MyTicketListSchema)(listed(_tickets))
    )
    answers = bp.doc(
        description="A problem area with questions of its own (GET /my/areas) takes their "
        "answers as fields answer-<key> (several choices: a list of the choices' keys, or the "
        "field repeated in a form) instead of issue_about, which the other areas need. A "
        "missing, unknown or refused answer is a 422 naming its field."
    )
    route("/my/tickets", "my_open", "POST")(
        changing.documented(bp, my.NewTicketSchema, 201, my.MyChangedSchema, files=True)(
            answers(_open)
        )
    )
    route(_TICKET, "my_ticket", "GET")(
        bp.response(200, my.MyTicketSchema)(bp.doc(parameters=[schemas.BEFORE])(_ticket))
    )
    route(f"{_TICKET}/messages", "my_messages", "POST")(
        changing.documented(bp, ApiReplySchema, 201, my.MyChangedSchema, files=True)(_reply)
    )
    action = {
        "in": "path",
        "name": "action",
        "schema": {"type": "string", "enum": [a.value for a in _MY_ACTIONS]},
        "description": (
            "resolve, reopen, report an emergency (``explanation``), or choose the service a "
            "ticket opened without one is about (``order``: an id from ``/my/orders``)"
        ),
    }
    route(f"{_TICKET}/actions/<action>", "my_act", "POST", parameters=[action])(
        changing.documented(
            bp, schemas.ActionFieldsSchema, 200, my.MyChangedSchema, required=False
        )(_act)
    )
    _add_sharing_routes(bp, route)


def _add_sharing_routes(bp: Blueprint, route: Callable[..., Callable[[Any], Any]]) -> None:
    """Who else sees a ticket: the customer's organisation, or people by name."""
    sharing_answer = bp.response(200, my.SharingSchema)
    shared_body = bp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": ApiSharingSchema}},
        }
    )
    route(f"{_TICKET}/sharing/organisation", "my_organisation", "PUT")(
        sharing_answer(shared_body(_share_with_organisation))
    )
    person = f"{_TICKET}/sharing/people/<user_id>"
    route(person, "my_person", "PUT")(sharing_answer(_share_with_person))
    route(person, "my_unshare", "DELETE")(sharing_answer(_stop_sharing))


# -- reading -------------------------------------------------------------------------------


def _me() -> dict[str, Any]:
    """Who is calling: their areas, and the CSRF token a session's script sends with each
    change (``X-CSRFToken``)."""
    who = caller()
    roles = (Role.CUSTOMER, Role.PROVIDER, Role.OPERATOR)
    areas = [r for r in roles if access.may_use(who.actor, r)] if who.session else [who.role]
    return {
        "user_id": who.actor.user_id,
        "name": who.actor.name,
        "areas": [role.value for role in areas],
        "csrf_token": csrf_token(),
    }


def _orders() -> dict[str, Any]:
    """What a new ticket can be about: the customer's active orders (from the host), problem
    areas, and the files it takes."""
    who = caller()
    form = tickets.new_ticket_form(who.tenant_id, who.actor, None)
    rules = upload_rules()
    return {
        "orders": [
            {
                "id": o.id,
                "label": o.label,
                "provider_id": o.provider_id,
                "provider_name": o.provider_name,
            }
            for o in form.orders
        ],
        "without_order_allowed": form.without_order_allowed,
        "categories": [{"key": c.key, "label": str(c.label)} for c in form.categories],
        "attachments": {
            "enabled": rules.enabled,
            "max_files": rules.max_files,
            "max_size": rules.max_size,
            "extensions": rules.extensions,
        },
    }


def _areas() -> dict[str, Any]:
    """The problem areas a new ticket can be in, each with the questions it asks (their
    answers are sent as ``answer-<key>``), in the caller's language."""
    who = caller()
    return {"areas": [_area(c) for c in tickets.problem_areas(who.tenant_id)]}


def _area(category: Category) -> dict[str, Any]:
    return {
        "key": category.key,
        "label": str(category.label),
        "section": str(category.section) if category.section else None,
        "fields": [_question(definition) for definition in category.fields],
    }


def _question(definition: RequestField) -> dict[str, Any]:
    def number(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "key": definition.key,
        "kind": definition.kind,
        "label": request_types.in_language(definition.label),
        "help": request_types.in_language(definition.help),
        "required": definition.required,
        "choices": [
            {"key": c.key, "label": request_types.in_language(c.label)} for c in definition.choices
        ],
        "max_length": request_types.max_length(definition),
        "min_value": number(definition.min_value),
        "max_value": number(definition.max_value),
        "min_date": definition.min_date,
        "max_date": definition.max_date,
    }


def _tickets() -> dict[str, Any]:
    """The customer's tickets, latest activity first (best match first while searching,
    unless ``sort=activity``): the same lists (``state``: open, closed, shared), search,
    service filter, orders and pages (``next``) as My Page."""
    who = caller()
    params: dict[str, Any] = request.args.to_dict()
    search, errors = load(CUSTOMER_LIST_QUERY, params)
    if "after" in errors:
        raise InvalidCursor()
    if errors:
        raise InvalidInput(errors)
    listing = tickets.customer_ticket_list(
        who.tenant_id,
        who.actor,
        tab=search["state"],
        cursor=search.get("after"),
        search=search.get("q"),
        service=search.get("service"),
        sort=search.get("sort"),
    )
    cursor = listing.page.next_cursor
    return {
        "tickets": [
            {**schemas.summary(ticket), "new_activity": ticket.id in listing.unread}
            for ticket in listing.page.items
        ],
        "next": url_for(".my_tickets", **{**params, "after": cursor}) if cursor else None,
        "counts": {
            "open": listing.active_count,
            "closed": listing.done_count,
            "shared": listing.shared_count,
        },
    }


def _ticket(number: int) -> dict[str, Any]:
    """One of the customer's tickets (their own or shared with them), as My Page shows it;
    it counts as looked at, as on the page."""
    who = caller()
    before = request.args.get("before")
    view = tickets.ticket_view(who.tenant_id, who.actor, Role.CUSTOMER, number, before=before)
    ticket = view.ticket
    shares = sharing.sharing_of(ticket, who.actor, Role.CUSTOMER)
    files = sorted((f for fs in view.files.values() for f in fs), key=lambda f: f.id)
    answer = {
        **schemas.summary(ticket),
        "issue_about": ticket.issue_about,
        "expected_outcome": ticket.expected_outcome,
        "current_scenario": ticket.current_scenario,
        "category_key": ticket.category_key,
        "order_id": ticket.order_id,
        "emergency_explanation": ticket.emergency_explanation,
        "duplicate_of": ticket.duplicate_of_number,
        "follow_up_of": ticket.follow_up_of_number,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "targets": schemas.targets(ticket),
        "messages": [
            my.anonymous_staff(schemas.message(e.message)) for e in view.timeline if e.message
        ],
        "events": [my.anonymous_staff(schemas.event(e.event)) for e in view.timeline if e.event],
        "earlier": schemas.earlier(".my_ticket", view),
        "attachments": [schemas.attachment(file) for file in files],
        "actions": [action.value for action in view.actions],
        "sharing": _sharing(shares),
        "answers": [schemas.answer(row) for row in ticket.answers],
    }
    tickets.mark_seen(ticket, who.actor)  # after reading: its commit expires the rows
    return answer


def _sharing(shares: sharing.Sharing) -> dict[str, Any]:
    return {
        "shared_with_organisation": shares.shared_with_organisation,
        "people": [{"user_id": s.user_id, "name": s.name} for s in shares.people],
        "colleagues": [{"user_id": p.user_id, "name": p.name} for p in shares.colleagues],
        "owner": shares.owner,
        "watching": shares.watching,
    }


# -- changing ------------------------------------------------------------------------------


def _open() -> Response:
    """Open a ticket about one of the customer's active orders (or none, where the marketplace
    allows it), with files where the body is ``multipart/form-data``. In a problem area with
    questions of its own (``GET /my/areas``) their answers are fields ``answer-<key>`` (several
    choices: a list of keys, or the field repeated in a form), and ``issue_about`` is not
    needed."""
    who = caller()
    fields, files = changing.fields_and_files()
    if "submission_key" in fields:
        raise InvalidInput({"submission_key": [gettext("This field is not part of the form.")]})
    form = {**fields, "submission_key": changing.submission_key(changing.call_key())}

    def run(receipt: Receipt) -> Ticket:
        opened = tickets.open_ticket(who.tenant_id, who.actor, form, files, receipt=receipt)
        return opened.ticket

    return changing.once(run, 201, my.MyChangedSchema)


def _reply(number: int) -> Response:
    """Add information to the ticket (an answer when it waits for the customer), with files
    where the body is ``multipart/form-data``."""
    fields, files = changing.fields_and_files()
    data, errors = load(ApiReplySchema(), fields)
    if errors:
        raise InvalidInput(errors)
    form = {"body": data["body"], "submission_key": changing.submission_key(None)}
    return changing.change(number, Action.REPLY, form, 201, files, my.MyChangedSchema)


def _act(number: int, action: str) -> Response:
    """Resolve, reopen, or report an emergency; the workflow table decides, as on the page."""
    return changing.post_action(number, action, my.MyChangedSchema)


def _share_with_organisation(number: int) -> dict[str, Any]:
    """Let everyone of the customer's organisation see and follow the ticket, or no longer."""
    who = caller()
    data, errors = load(ApiSharingSchema(), changing.fields_and_files()[0])
    if errors:
        raise InvalidInput(errors)
    sharing.share_with_organisation(who.tenant_id, who.actor, number, data["shared"])
    return _sharing_now(number)


def _share_with_person(number: int, user_id: str) -> dict[str, Any]:
    """Let one colleague see and follow the ticket."""
    who = caller()
    sharing.share_with_person(who.tenant_id, who.actor, number, user_id)
    return _sharing_now(number)


def _stop_sharing(number: int, user_id: str) -> dict[str, Any]:
    """No longer let that colleague see the ticket."""
    who = caller()
    sharing.stop_sharing_with_person(who.tenant_id, who.actor, number, user_id)
    return _sharing_now(number)


def _sharing_now(number: int) -> dict[str, Any]:
    who = caller()
    ticket = tickets.ticket_in_scope(who.tenant_id, who.actor, Role.CUSTOMER, number)
    return _sharing(sharing.sharing_of(ticket, who.actor, Role.CUSTOMER))
