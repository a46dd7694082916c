"""The JSON API under ``<SUPPORT_URL_PREFIX>/api/v1``, for provider and operator staff and for
the host's customer-facing apps, built with flask-smorest on marshmallow schemas; its OpenAPI
3.1 document is served at ``/api/v1/openapi.json``.

Staff call ``/tickets/...`` with ``Authorization: Bearer <token>`` (``api_tokens``) or with
the host's session; customers call ``/my/...`` with the host's session only
(``callers``). A session's call that changes something carries the session's CSRF token in
``X-CSRFToken``; a token's call carries no cookie and needs none. Every call goes through the
same use-cases and access layer as the pages (``tickets``, ``actions``, ``sharing``), so
nothing is decided here. Refusals are problem+json (``problems``) in the caller's language.
"""

from __future__ import annotations

import http
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from flask import Flask, Response, request
from flask_babel import force_locale
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ..paths import API, beneath
from .callers import LANGUAGES
from .problems import MEDIA_TYPE, http_error
from .schemas import ProblemSchema
from .views import build_blueprint

_DESCRIPTION = """\
The support desk's tickets, with the same rules as the support pages: for a service provider's
staff and the marketplace operator's staff (`/tickets`), and for the marketplace's customers
(`/my/...`, what My Page → Support shows).

Staff create a token in the Support inbox or the Support console (API tokens) and send it as
`Authorization: Bearer <token>`, or call from a page of the marketplace with their login
(the session's cookie). Customers call with their login on the marketplace only. A call with
the session's cookie that changes something (POST, PUT, DELETE) sends the session's CSRF token
in an `X-CSRFToken` header: `GET /me` gives it.

Every POST (a new ticket, a message, an action, a webhook endpoint, sending webhooks or
notifications again) accepts an `Idempotency-Key` header: the same key with the same body
answers what the first call answered and changes nothing; with another body, 422. Files go up
as `multipart/form-data` (the files under `attachments`) and come down from `.../files/{id}`.
Errors are `application/problem+json` (RFC 9457), in the language of `Accept-Language` for a
token's call, in the language the marketplace shows its pages in for a session's."""


_REFUSALS = (
    "A refusal: 401 a token that is unknown, revoked or expired, or whose maker is no "
    "longer staff there, or no token and no one logged in; 403 a scope the token lacks, a "
    "session's change without its CSRF token, or a route of another area (a token on a "
    "customer's route, a customer on a staff route, provider staff on the operator's); 404 a "
    "ticket that does not exist or is "
    "not the caller's to see; 409 an action the workflow does not allow now (the reason in "
    "detail); 422 refused input (errors per field) or an Idempotency-Key used for another "
    "call; 429 too many messages in a short time (Retry-After)."
)


#: held while a document is written at its first reading (``SupportApi.spec``)
_WRITING_DOCUMENT = threading.RLock()


class SupportApi(Api):  # type: ignore[misc]
    """flask-smorest's ``Api`` for the module: its errors are the API blueprint's own (the
    host's pages keep their error handlers), and the document is served by that blueprint."""

    ERROR_SCHEMA = ProblemSchema

    # The document is written when it is first read (served, or printed by scripts/openapi.py),
    # not when the app is made: writing it converts every schema of every route (about 35 ms
    # of CPU), which an app that never serves it would pay at every start, and the tests at
    # every one of their 1,400 apps.

    @property
    def spec(self) -> Any:
        spec = self.__dict__.get("_spec")
        if self.__dict__.get("_pending_docs") is not None:
            # one thread writes it; another asking meanwhile waits for the whole document, and
            # the writer's own reads of ``self.spec`` (parts read other parts) pass through
            with _WRITING_DOCUMENT:
                pending: list[Callable[[Any], None]] | None = self.__dict__.get("_pending_docs")
                if pending is not None and not self.__dict__.get("_writing"):
                    self.__dict__["_writing"] = True
                    try:
                        for write in pending:
                            write(spec)
                        del self.__dict__["_pending_docs"]
                    finally:
                        del self.__dict__["_writing"]
        return spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self.__dict__["_spec"] = value

    def _later(self, write: Callable[[Any], None]) -> None:
        self.__dict__.setdefault("_pending_docs", []).append(write)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """flask-smorest's, with the blueprint's routes written into the document later."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def write(spec: Any) -> None:
            blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
            spec.tag({"name": name, "description": blp.description})

        self._later(write)

    def _register_doc_blueprint(self) -> None:
        """The API blueprint serves the document (``views.build_blueprint``)."""

    def _register_error_handlers(self) -> None:
        """Registered on the API blueprint, not on the host's app."""

    def _register_responses(self) -> None:
        """Every refusal is problem+json."""
        refusals = [(s.name, s.phrase) for s in http.HTTPStatus if s >= 400]

        def write(spec: Any) -> None:
            for name, description in [*refusals, ("DEFAULT_ERROR", _REFUSALS)]:
                response: dict[str, Any] = {"description": description, "schema": self.ERROR_SCHEMA}
                prepare_response(response, spec, MEDIA_TYPE)
                spec.components.response(name, response, lazy=True)

        self._later(write)

    def _register_etag_headers(self) -> None:
        self._later(lambda spec: super(SupportApi, self)._register_etag_headers())

    def _register_pagination_header(self) -> None:
        """Lists page by keyset (``next``), not by flask-smorest's page numbers."""


#: The security of a session's call that changes something: the cookie and the CSRF header.
SESSION_CHANGE: dict[str, list[str]] = {"session": [], "csrf": []}


def _security_schemes(api: SupportApi, cookie: str) -> None:
    schemes = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "an API token (mst_...)"},
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": cookie,
            "description": "the host's login session (a page or an app of the marketplace)",
        },
        "csrf": {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRFToken",
            "description": (
                "the session's CSRF token (GET /me), with a session's POST, PUT and DELETE"
            ),
        },
    }

    def write(spec: Any) -> None:
        for name, scheme in schemes.items():
            spec.components.security_scheme(name, scheme)

    api._later(write)


def init_api(app: Flask) -> None:
    """Mount the API on ``app``, beneath ``SUPPORT_URL_PREFIX``."""
    api = SupportApi(
        config_prefix="SUPPORT_API",
        spec_kwargs={
            "title": "Marketplace support API",
            "version": "1",
            "openapi_version": "3.1.0",
            "info": {"description": _DESCRIPTION},
            "security": [{"bearer": []}, SESSION_CHANGE],
        },
    )
    api.init_app(app)
    _security_schemes(api, app.config.get("SESSION_COOKIE_NAME") or "session")
    prefix = app.config["SUPPORT_URL_PREFIX"].rstrip("/") + API
    blueprint = build_blueprint(api)
    api.register_blueprint(blueprint, url_prefix=prefix)
    app.before_request(_unrouted(prefix))
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        # the API checks a session's CSRF token itself (``callers``), in a header, and answers
        # a refusal as problem+json; a token's call carries no cookie and needs none
        csrf.exempt(blueprint)


def _unrouted(prefix: str) -> Callable[[], Response | None]:
    """Before every request of the app: a call beneath ``prefix`` that names no route of the
    API (``/tickets/abc``, ``/nothing``), or not with its method, is answered as the API's
    other refusals are, in problem+json; every other address goes on to the host as before.

    Flask runs no blueprint's error handler for an address that routed nowhere (it belongs
    to no blueprint), so the API's own cannot answer it; an app-wide one would answer the
    host's addresses too. The caller is not looked up for this answer: a token's call is
    answered in the language of ``Accept-Language`` (its maker's would need the token
    checked), a session's in the language the host picks for its pages."""

    def answer() -> Response | None:
        error = request.routing_exception
        if not isinstance(error, NotFound | MethodNotAllowed) or not beneath(prefix, request.path):
            return None
        chosen = None
        if "Authorization" in request.headers:
            chosen = request.accept_languages.best_match(LANGUAGES)
        with force_locale(chosen) if chosen else nullcontext():
            response = http_error(error)
        response.headers["Cache-Control"] = "no-store"
        response.vary.update(("Authorization", "Cookie", "Accept-Language"))
        return response

    return answer
