"""Who calls the API, in which language: a program with an API token, or a person logged in on
the host (a single-page My Page, a mobile app, a page's script) with the host's own session.

A token acts as its maker, in the tenant and the area (provider or operator) it was made in
(``api_tokens``). A session acts as the person the host says is logged in
(:meth:`~marketplace_support.host.HostAdapter.current_actor`, as for the pages): on the
customer's routes (``/my/...``) as a customer, on the staff routes as operator staff where
the person is, else as their provider's staff. A call that carries the session's cookie and
changes something must carry the session's CSRF token in an ``X-CSRFToken`` header
(Flask-WTF's, the same as the pages' forms): another site can make a browser send the cookie,
not read the token.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flask import Response, g, request
from flask_babel import force_locale
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from ... import access, api_tokens
from ...api_tokens import Scope, TokenRefused
from ...host import Actor
from ...i18n import TRANSLATIONS_DIRECTORY, gettext, lazy_gettext
from ...state import per_request, support
from ...workflow import Role
from ..area import NOT_YOURS
from ..files import limit_request_body
from .problems import problem

#: The languages the API answers in: ours, picked by ``Accept-Language``.
LANGUAGES = ("en", *sorted(p.name for p in Path(TRANSLATIONS_DIRECTORY).iterdir() if p.is_dir()))

#: What a token needs for each method.
_NEEDS = {
    "GET": Scope.TICKETS_READ,
    "HEAD": Scope.TICKETS_READ,
    "OPTIONS": Scope.TICKETS_READ,
    "POST": Scope.TICKETS_WRITE,
}
#: Who a route is for: My Page's customers, the staff of providers and the operator, the
#: operator's staff only (what only the Support console shows), or anyone (who is calling).
Area = Literal["customer", "staff", "operator", "anyone"]
#: The roles a call may act in on the routes of an area; for a session's, the first the
#: person has.
_AREAS: dict[Area, tuple[Role, ...]] = {
    "customer": (Role.CUSTOMER,),
    "staff": (Role.OPERATOR, Role.PROVIDER),
    "operator": (Role.OPERATOR,),
    "anyone": (Role.CUSTOMER, Role.OPERATOR, Role.PROVIDER),
}
#: Why a session's person is refused the routes of an area they do not have.
_NOT_YOURS: dict[Area, str] = {
    "customer": NOT_YOURS[Role.CUSTOMER],
    "staff": lazy_gettext(
        "These calls are for the staff of service providers and the marketplace's operator."
    ),
    "operator": lazy_gettext(
        "Only the marketplace's operator staff may do this, with their login or a token made "
        "in the Support console."
    ),
    "anyone": lazy_gettext(
        "Support is for the marketplace's customers, its providers' staff and its operator."
    ),
}
#: The methods that change nothing: no CSRF token needed.
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where Flask-WTF's ``CSRFProtect`` looks for the token of a call without a form.
_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


@dataclass(frozen=True)
class Caller:
    """Who a call acts as: the tenant, the area's role, the person, what they may do, and
    whether they came with the host's session (else with a token)."""

    tenant_id: str
    role: Role
    actor: Actor
    scopes: frozenset[Scope]
    session: bool


def caller() -> Caller:
    """The caller of this request (``authenticate`` ran before the view)."""
    found: Caller = g.marketplace_support_caller
    return found


def authenticate(area: Area) -> Response | None:
    """Before a view of ``area``: find the caller, or the refusal to answer. Files may then
    be as large as the tenant's limits allow.

    A token's call is answered in the language of ``Accept-Language``, else its maker's; a
    session's in the language the host picks for its pages."""
    if "Authorization" in request.headers:
        _speak(None)
        found = _by_token(area)
    else:
        found = _by_session(area)
    if isinstance(found, Response):
        return found
    g.marketplace_support_caller = found
    # the host's answers for this request: the caller's tenant and person
    per_request("tenant_id", lambda: found.tenant_id)
    per_request("actor", lambda: found.actor)
    if not support.flags(found.tenant_id).support_enabled:
        return problem("not-found", gettext("Support is switched off on this marketplace."))
    if request.mimetype == "multipart/form-data":
        limit_request_body()
    return None


def _by_token(area: Area) -> Caller | Response:
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
    _speak(bearer.actor.locale)
    if area == "customer":
        return problem(
            "not-your-area",
            gettext(
                "API tokens act for the staff of providers and the operator. A customer's "
                "calls are made with their own login on the marketplace."
            ),
        )
    if bearer.role not in _AREAS[area]:  # a provider's token on the operator's routes
        return problem("not-your-area", str(_NOT_YOURS[area]))
    needed = _NEEDS.get(request.method, Scope.TICKETS_WRITE)
    if needed not in bearer.scopes:
        return problem(
            "insufficient-scope",
            gettext("This token may not do this. Create one with the scope %(scope)s.")
            % {"scope": needed.value},
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
        )
    return Caller(bearer.tenant_id, bearer.role, bearer.actor, bearer.scopes, session=False)


def _by_session(area: Area) -> Caller | Response:
    actor = support.actor()
    if actor is None:
        return problem(
            "not-logged-in",
            gettext(
                "Log in on the marketplace first, or send an API token as "
                "“Authorization: Bearer <token>”."
            ),
            headers={"WWW-Authenticate": 'Bearer realm="support"'},
        )
    role = _session_role(actor, area)
    if role is None:
        return problem("not-your-area", str(_NOT_YOURS[area]))
    if request.method not in _SAFE and not _csrf_token_valid():
        return problem(
            "csrf-refused",
            gettext(
                "Send the CSRF token of your session in the X-CSRFToken header "
                "(GET /api/v1/me gives it), then try again."
            ),
        )
    return Caller(support.tenant_id(), role, actor, frozenset(Scope), session=True)


def _session_role(actor: Actor, area: Area) -> Role | None:
    """The role a person's session call acts in, or None where they have none there."""
    return next((role for role in _AREAS[area] if access.may_use(actor, role)), None)


def _csrf_token_valid() -> bool:
    token = next((request.headers[h] for h in _CSRF_HEADERS if h in request.headers), None)
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def _speak(fallback: str | None) -> None:
    """Answer in the caller's language (``Accept-Language``), else ``fallback`` (the token
    maker's), else the app's default, for the rest of the request."""
    chosen = request.accept_languages.best_match(LANGUAGES) or fallback
    if chosen is None:
        return
    end_language(None)
    stack = g.marketplace_support_language = ExitStack()
    stack.enter_context(force_locale(chosen))


def end_language(error: BaseException | None) -> None:
    stack = g.pop("marketplace_support_language", None)
    if stack is not None:
        stack.close()


def csrf_token() -> str | None:
    """The session's CSRF token for the caller's script (None for a token's call)."""
    return str(generate_csrf()) if caller().session else None
