"""The module's page when the database, or the attachment storage, fails in the middle of a
request.

A lost connection (a database restart, a failover, a cut network) or a database too busy to
answer passes: 503 with ``Retry-After``. Any other database error is a 500. Either way the
person sees the module's error page in their language and in the host's layout, saying that
nothing was saved and to try again; the session is rolled back first (a use-case that fails
writes nothing). The error is still logged and sent to Flask's ``got_request_exception``, as an
unhandled one would be, so the host's error tracking sees it. A storage that fails (a full
disk, an object store that does not answer: ``storage.StorageUnavailable``) is a 503 too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, got_request_exception, make_response, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..i18n import gettext
from ..state import support
from ..storage import StorageUnavailable
from .area import error_page

#: What a refused request is told to wait before it tries again, in seconds.
RETRY_AFTER = 5

#: The page when even the layout cannot be drawn (a host layout that reads the database).
_PLAIN_PAGE = Markup(
    '<!doctype html>\n<html lang="{lang}">\n<meta charset="utf-8">\n<title>{title}</title>\n'
    "<h1>{title}</h1>\n<p>{message}</p>\n</html>\n"
)


def is_transient(error: SQLAlchemyError) -> bool:
    """Whether trying again soon can work: the connection was lost, the database could not
    serve the statement (PEP 249's ``OperationalError``), or no connection was free."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | DisconnectionError | PoolTimeout)


E = TypeVar("E", bound=Exception)


def answering_database_errors(
    handler: Callable[[E], ResponseReturnValue],
) -> Callable[[E], ResponseReturnValue]:
    """``handler``, an error handler, with a database error raised while it makes its page
    answered by :func:`database_error`. Flask passes an error raised in an error handler to
    no other handler: it would be a 500 (the database failing just as a form refused for its
    token is answered, say: who is asking is read then)."""

    @wraps(handler)
    def answering(error: E) -> ResponseReturnValue:
        try:
            return handler(error)
        except SQLAlchemyError as failed:
            return database_error(failed)

    return answering


def database_error(error: SQLAlchemyError) -> ResponseReturnValue:
    """The error handler of the module's pages for every SQLAlchemy error."""
    app = reported(error)
    transient = is_transient(error)
    if transient:
        message = gettext(
            "The database could not be reached, so nothing was saved. Please try again in a moment."
        )
        status = 503
    else:
        message = gettext(
            "Something went wrong on our side, so nothing was saved. Please try again later."
        )
        status = 500
    try:
        response = make_response(error_page(message, status))
    except SQLAlchemyError:  # the host's layout needs the database too
        _roll_back(app)
        page = _PLAIN_PAGE.format(
            lang=str(get_locale() or "en"), title=gettext("Something is not right"), message=message
        )
        response = make_response(page, status)
    if transient:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def reported(error: Exception) -> Flask:
    """Log ``error`` and send it to Flask's ``got_request_exception``, as an unhandled error
    would be (the host's error tracking sees it), and roll the session back; the app."""
    app = cast(Flask, cast(Any, current_app)._get_current_object())
    got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=error)
    app.log_exception(sys.exc_info())  # Flask calls error handlers while handling the error
    _roll_back(app)
    return app


def _roll_back(app: Flask) -> None:
    try:
        support.session.rollback()
    except SQLAlchemyError:
        # the connection is gone; the pool replaces it and the transaction died with it
        app.logger.warning("rolling back after a database error failed", exc_info=True)


def storage_error(error: StorageUnavailable) -> ResponseReturnValue:
    """The error handler of the module's pages for a storage that failed: 503 with
    ``Retry-After``, logged and announced as :func:`database_error` does."""
    reported(error)
    response = make_response(error_page(storage_message(), 503))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def storage_message() -> str:
    """What a person reads when the storage failed: reading a file, or sending a form."""
    if request.method in ("GET", "HEAD"):
        return gettext("This file cannot be read right now. Please try again in a moment.")
    return gettext(
        "Files cannot be stored right now, so nothing was saved. Please try again in a moment."
    )
