"""Every refusal of the JSON API as ``application/problem+json`` (RFC 9457): a type, a title
and a detail in the caller's language, the status, and for refused input the messages of
each field. Each kind of refusal is one row of :data:`PROBLEMS`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, json, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from ...attachments import human_size
from ...i18n import gettext, lazy_gettext
from ...storage import StorageUnavailable
from ..database_errors import RETRY_AFTER, is_transient, reported, storage_message

MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Problem:
    """A kind of refusal: its type (a URI that names it) and title."""

    slug: str
    status: int
    title: str

    @property
    def type(self) -> str:
        return f"urn:marketplace-support:problem:{self.slug}"


PROBLEMS = {
    problem.slug: problem
    for problem in (
        Problem("invalid-token", 401, lazy_gettext("The API token was not accepted")),
        Problem("not-logged-in", 401, lazy_gettext("Not logged in")),
        Problem("insufficient-scope", 403, lazy_gettext("The API token may not do this")),
        Problem("not-your-area", 403, lazy_gettext("Not available to this account")),
        Problem("csrf-refused", 403, lazy_gettext("The CSRF token was not accepted")),
        Problem("not-found", 404, lazy_gettext("Not found")),
        Problem("method-not-allowed", 405, lazy_gettext("This address does not take this method")),
        Problem("not-allowed", 409, lazy_gettext("This action is not possible now")),
        Problem("invalid-input", 422, lazy_gettext("What was sent was refused")),
        Problem("idempotency-key-reused", 422, lazy_gettext("This key was used for another call")),
        Problem("too-large", 413, lazy_gettext("What was sent is too large")),
        Problem(
            "storage-unavailable", 503, lazy_gettext("Files cannot be stored or read right now")
        ),
        Problem("invalid-page-link", 400, lazy_gettext("This page link is not valid")),
        Problem(
            "invalid-entries-link", 400, lazy_gettext("This link to older entries is not valid")
        ),
        Problem("rate-limited", 429, lazy_gettext("Too many calls in a short time")),
        Problem("unavailable", 503, lazy_gettext("Try again in a moment")),
        Problem("server-error", 500, lazy_gettext("Something went wrong on our side")),
    )
}


def problem(
    slug: str,
    detail: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The answer for a refusal of kind ``slug``."""
    kind = PROBLEMS[slug]
    body: dict[str, Any] = {
        "type": kind.type,
        "title": str(kind.title),
        "status": kind.status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = {field: [str(m) for m in messages] for field, messages in errors.items()}
    response = current_app.response_class(json.dumps(body), status=kind.status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def http_error(error: HTTPException) -> Response:
    """Any other HTTP error of the API: an address that names nothing, a wrong method (with
    ``Allow``), a body over the call's limit; one the API never raises itself with its own
    words."""
    if isinstance(error, NotFound):
        return problem("not-found", gettext("There is nothing at this address."))
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return problem(
            "method-not-allowed",
            gettext(
                "This address does not take %(method)s; it takes %(methods)s.",
                method=request.method,
                methods=allowed,
            ),
            headers={"Allow": allowed},
        )
    limit = request.max_content_length
    if isinstance(error, RequestEntityTooLarge) and limit is not None:
        return problem(
            "too-large",
            gettext(
                "This call takes at most %(size)s; what was sent is larger.",
                size=human_size(limit),
            ),
        )
    code = error.code or 500
    body = {
        "type": "about:blank",
        "title": error.name,
        "status": code,
        "detail": error.description or error.name,
    }
    response = current_app.response_class(json.dumps(body), status=code, mimetype=MEDIA_TYPE)
    return response


def database_error(error: SQLAlchemyError) -> Response:
    """Nothing was saved: 503 with ``Retry-After`` when trying again can work, else 500. The
    error is logged and announced to the host's error tracking, as the pages do."""
    reported(error)
    if is_transient(error):
        return problem(
            "unavailable",
            gettext(
                "The database could not be reached, so nothing was saved. "
                "Please try again in a moment."
            ),
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    return problem(
        "server-error",
        gettext("Something went wrong on our side, so nothing was saved. Please try again later."),
    )


def storage_error(error: StorageUnavailable) -> Response:
    """The storage failed: nothing was saved (a change is undone), 503 with ``Retry-After``;
    logged and announced as :func:`database_error` does."""
    reported(error)
    return problem(
        "storage-unavailable", storage_message(), headers={"Retry-After": str(RETRY_AFTER)}
    )
