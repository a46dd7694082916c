"""A database that fails in the middle of a request: the module's own error page in the
person's language and the host's layout (503 and Retry-After when trying again can work, 500
otherwise), saying nothing was saved, and nothing half-written."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask, got_request_exception
from jinja2 import ChoiceLoader, DictLoader

from .conftest import host_app, login
from .helpers import new_ticket_form, row_counts, submit_ticket, ticket_fields, translated

NOTHING_SAVED = (
    "The database could not be reached, so nothing was saved. Please try again in a moment."
)
WENT_WRONG = "Something went wrong on our side, so nothing was saved. Please try again later."

#: A layout of the host's own, around every support page.
HOST_LAYOUT = """<!doctype html><html><head><title>{% block title %}{% endblock %}</title>
{% block head %}{% endblock %}</head><body><header>Market Square</header>
{{ host_banner() }}<main>{% block content %}{% endblock %}</main></body></html>"""


@contextmanager
def failing(
    app: Flask, statement: str, error: Callable[[str], Exception], *, times: int = 1
) -> Iterator[list[str]]:
    """The next ``times`` statements matching ``statement`` (a regular expression) fail with
    ``error(statement)`` before they reach the database; yields the statements that failed."""
    failed: list[str] = []

    def fail(conn, cursor, sql, parameters, context, executemany) -> None:
        if len(failed) < times and re.match(statement, sql, re.I | re.S):
            failed.append(sql)
            raise error(sql)

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        yield failed
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)


def connection_lost(sql: str) -> Exception:
    return sa.exc.OperationalError(
        sql,
        None,
        Exception("server closed the connection unexpectedly"),
        connection_invalidated=True,
    )


def out_of_range(sql: str) -> Exception:
    return sa.exc.DataError(sql, None, Exception("integer out of range"))


@pytest.fixture
def host_layout_app(database_url, marketplace, tmp_path) -> Iterator[Flask]:
    with host_app(
        database_url,
        marketplace,
        SUPPORT_BASE_TEMPLATE="host/layout.html",
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "attachments"),
    ) as app:
        app.jinja_env.loader = ChoiceLoader(
            [DictLoader({"host/layout.html": HOST_LAYOUT}), app.jinja_env.loader]
        )
        app.add_template_global(lambda: "", "host_banner")
        yield app


@pytest.mark.parametrize(
    "statement",
    [
        r"INSERT INTO support_ticket_counter",
        r"INSERT INTO support_ticket\b",
        r"INSERT INTO support_event",
        r"INSERT INTO support_outbox",
    ],
)
def test_a_connection_lost_while_opening_a_ticket_says_nothing_was_saved_in_german(
    host_layout_app, statement
):
    app = host_layout_app
    app.config["TEST_LOCALE"] = "de"
    client = app.test_client()
    login(client, "alice")
    form = {**new_ticket_form(client), **ticket_fields()}
    before = row_counts(app)
    with failing(app, statement, connection_lost) as failed:
        response = client.post("/support/new", data=form)
    assert failed, "the statement never ran"
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert translated("de", NOTHING_SAVED) in page
    assert translated("de", NOTHING_SAVED) != NOTHING_SAVED
    assert "<header>Market Square</header>" in page  # the host's layout
    assert row_counts(app) == before
    # the form still works: the session was rolled back, the pool gives a working connection
    assert client.post("/support/new", data=form).status_code == 303
    assert row_counts(app)["support_ticket"] == before["support_ticket"] + 1


def test_a_connection_lost_on_a_list_page_is_a_503_page(app, client):
    login(client, "olive")
    with failing(app, r"SELECT", connection_lost):
        response = client.get("/support/operator/")
    assert response.status_code == 503
    assert NOTHING_SAVED in response.get_data(as_text=True)
    assert client.get("/support/operator/").status_code == 200


def test_another_database_error_is_a_500_page_of_the_module_in_the_persons_language(app, client):
    app.config["TEST_LOCALE"] = "fr"
    login(client, "alice")
    before = row_counts(app)
    with failing(app, r"INSERT INTO support_ticket\b", out_of_range):
        response = submit_ticket(client)
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert translated("fr", WENT_WRONG) in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_the_hosts_error_tracking_still_hears_of_the_error(app, client):
    heard = []
    login(client, "alice")
    with (
        got_request_exception.connected_to(lambda sender, **kw: heard.append(kw), app),
        failing(app, r"SELECT", connection_lost),
    ):
        assert client.get("/support/").status_code == 503
    assert [type(kw["exception"]) for kw in heard] == [sa.exc.OperationalError]


def test_when_even_the_hosts_layout_needs_the_database_a_plain_page_says_it(
    host_layout_app, database_url
):
    app = host_layout_app
    app.config["TEST_LOCALE"] = "de"

    def banner() -> str:  # a layout that reads the database (news, the cart, ...)
        session = app.extensions["sqlalchemy"].session
        return str(session.execute(sa.text("SELECT 'Willkommen'")).scalar())

    app.add_template_global(banner, "host_banner")
    client = app.test_client()
    login(client, "alice")
    with failing(app, r"SELECT", connection_lost, times=100):
        response = client.get("/support/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page
    assert translated("de", NOTHING_SAVED) in page
    assert "Market Square" not in page


def test_the_hosts_own_pages_keep_the_hosts_error_handling(app, client):
    """The handler is the module's: a host page that fails is the host's business."""

    @app.get("/host-page")
    def host_page() -> str:
        raise sa.exc.OperationalError("SELECT 1", None, Exception("gone"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/host-page")
    assert response.status_code == 500
    assert NOTHING_SAVED not in response.get_data(as_text=True)
