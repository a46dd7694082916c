"""The JSON API under ``<SUPPORT_URL_PREFIX>/api/v1``, for provider and operator staff, built
with flask-smorest on marshmallow schemas; its OpenAPI 3.1 document is served at
``/api/v1/openapi.json``.

Calls carry ``Authorization: Bearer <token>`` (``api_tokens``): no cookies, so no CSRF
check. Each call acts as the token's maker, in the tenant and the area it was made in, asked of
the host again at every call; it goes through the same use-cases and access layer as the pages
(``tickets``, ``actions``), so nothing is decided here. Refusals are problem+json
(``problems``) in the caller's language.
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from .problems import MEDIA_TYPE
from .schemas import ProblemSchema
from .views import build_blueprint

#: Where the API lives, beneath ``SUPPORT_URL_PREFIX``.
API_PREFIX = "/api/v1"

_DESCRIPTION = """\
The support desk's tickets for a service provider's staff and the marketplace operator's
staff, with the same rules as the support pages. Create a token in the Support inbox or the
Support console (API tokens) and send it as `Authorization: Bearer <token>`. Every POST (a
message, an action, a webhook endpoint, sending again) accepts an `Idempotency-Key` header:
the same key with the same body answers what the first call answered and changes nothing;
with another body, 422. Errors are
`application/problem+json` (RFC 9457) in the language of `Accept-Language`."""


_REFUSALS = (
    "A refusal: 401 a token that is missing, unknown, revoked or expired, or whose maker is no "
    "longer staff there; 403 a scope the token lacks; 404 a ticket that does not exist or is "
    "not the caller's to see; 409 an action the workflow does not allow now (the reason in "
    "detail); 422 refused input (errors per field) or an Idempotency-Key used for another "
    "call; 429 too many messages in a short time (Retry-After)."
)


class SupportApi(Api):  # type: ignore[misc]
    """flask-smorest's ``Api`` for the module: its errors are the API blueprint's own (the
    host's pages keep their error handlers), and the document is served by that blueprint."""

    ERROR_SCHEMA = ProblemSchema

    def _register_doc_blueprint(self) -> None:
        """The API blueprint serves the document (``views.build_blueprint``)."""

    def _register_error_handlers(self) -> None:
        """Registered on the API blueprint, not on the host's app."""

    def _register_responses(self) -> None:
        """Every refusal is problem+json."""
        refusals = [(s.name, s.phrase) for s in http.HTTPStatus if s >= 400]
        for name, description in [*refusals, ("DEFAULT_ERROR", _REFUSALS)]:
            response: dict[str, Any] = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(name, response, lazy=True)

    def _register_pagination_header(self) -> None:
        """Lists page by keyset (``next``), not by flask-smorest's page numbers."""


def init_api(app: Flask) -> None:
    """Mount the API on ``app``, beneath ``SUPPORT_URL_PREFIX``."""
    api = SupportApi(
        config_prefix="SUPPORT_API",
        spec_kwargs={
            "title": "Marketplace support API",
            "version": "1",
            "openapi_version": "3.1.0",
            "info": {"description": _DESCRIPTION},
            "security": [{"bearer": []}],
        },
    )
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "an API token (mst_...)"}
    )
    prefix = app.config["SUPPORT_URL_PREFIX"].rstrip("/") + API_PREFIX
    blueprint = build_blueprint(api)
    api.register_blueprint(blueprint, url_prefix=prefix)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        # Flask-WTF's CSRFProtect guards cookie sessions; API calls carry no cookie, only a
        # token (and the API never asks the host for the session's person)
        csrf.exempt(blueprint)
