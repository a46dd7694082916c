"""The example marketplace keeps its request types and texts in memory between requests
(``example_host/catalogue.py``): what every support page asks it costs no statement until the
operator changes it, and a change shows on the next page, whichever process serves it."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from example_host import create_app
from example_host.models import Tenant, User, db

from .example_marketplace import csrf_token_of, demo_marketplace, log_in

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(tmp_path):
    with demo_marketplace(tmp_path) as app:
        yield app


@contextmanager
def statements(app):
    """The SQL statements ``app`` runs inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def mail_form(client) -> str:
    page = client.get("/my/support/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": csrf_token_of(page),
        "submission_key": key,
        "category": "mail",
        "choose_area": "1",
    }
    return client.post("/my/support/new", data=data).get_data(as_text=True)


def test_request_types_and_texts_cost_no_statement_once_kept(demo):
    oscar = demo.test_client()
    log_in(oscar, "oscar@nordic.example")
    assert oscar.get("/my/support/operator/").status_code == 200
    with statements(demo) as seen:
        page = oscar.get("/my/support/operator/").get_data(as_text=True)
    assert "No connection" in page  # the area filter: the demo's request types
    assert not [s for s in seen if "request_type" in s or "tenant_text" in s], seen


def test_a_change_made_by_another_process_shows_on_its_next_page(demo):
    with demo.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    other = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "MAIL_CATCHER": False})
    try:
        anna = other.test_client()  # served by the other process
        log_in(anna, "anna@acme.example")
        before = mail_form(anna)
        assert "Affected mailbox" in before and "Mail program" not in before
        oscar = demo.test_client()
        log_in(oscar, "oscar@nordic.example")
        page = oscar.get("/admin/request-types?area=mail").get_data(as_text=True)
        added = oscar.post(
            "/admin/request-types?area=mail",
            data={
                "csrf_token": csrf_token_of(page),
                "do": "add_question",
                "kind": "short_text",
                "label_en": "Mail program",
            },
        )
        assert added.status_code == 303
        assert "Mail program" in mail_form(anna)
        # the texts too: the operator words the troubleshooting hints, the other process shows them
        page = oscar.get("/admin/texts?key=troubleshooting&locale=en").get_data(as_text=True)
        saved = oscar.post(
            "/admin/texts?key=troubleshooting&locale=en",
            data={"csrf_token": csrf_token_of(page), "text": "Restart the router first."},
        )
        assert saved.status_code == 303
        assert "Restart the router first." in anna.get("/my/support/new").get_data(as_text=True)
    finally:
        with other.app_context():
            db.engine.dispose()


def test_new_staff_show_on_the_next_page_and_logins_keep_the_catalogue(demo):
    oscar = demo.test_client()
    log_in(oscar, "oscar@nordic.example")
    assert "Olga Ops" not in oscar.get("/my/support/operator/").get_data(as_text=True)
    with demo.app_context():
        version = db.session.get(Tenant, "nordic").catalogue_version
    log_in(demo.test_client(), "pia@nimbus.example")  # a login changes the account's token
    with demo.app_context():
        assert db.session.get(Tenant, "nordic").catalogue_version == version
        db.session.add(
            User(
                tenant_id="nordic",
                email="olga@nordic.example",
                name="Olga Ops",
                password_hash="-",
                is_operator=True,
            )
        )
        db.session.commit()
    # the console's filter by whom a ticket is assigned to lists the operator's new colleague
    assert "Olga Ops" in oscar.get("/my/support/operator/").get_data(as_text=True)
