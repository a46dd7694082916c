"""Hostile input: whatever a path, a query string or a form holds, every page of the module
answers with a refusal (400, 404, 422) and a message, never a 500, and a refusal changes
nothing: each case that once gave a 500."""

from __future__ import annotations

import io

import pytest
from flask import g, session
from flask_wtf.csrf import generate_csrf

from .conftest import login
from .helpers import hidden_inputs, open_ticket, png, row_counts, submit_ticket

HUGE = "9" * 40  # beyond 64 bits
BEYOND_INTEGER = str(2**31)  # beyond a 32-bit Integer column, within 64 bits
BEYOND_64_BITS = str(2**64)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(app, client) -> str:
    """A valid CSRF token for ``client``'s session, as any page of the module would give it."""
    with app.test_request_context():
        # pytest-flask's client keeps its last request's context, and flask_wtf its token in g
        g.pop("csrf_token", None)
        token = generate_csrf()
        raw = session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    return token


@pytest.fixture
def desk(app):
    """Alice's hosting ticket (Nimbus, #1, with a screenshot) and mail ticket (Post & Co, #2)."""
    client = app.test_client()  # not pytest-flask's, which keeps its last request's context
    login(client, "alice")
    data = {
        **hidden_inputs(page_text(client.get("/support/new"))),
        "order": "o-hosting",
        "subject": "Website is down",
        "category": "technical",
        "issue_about": "502 since 9:00",
        "attachments": [(io.BytesIO(png()), "screen.png")],
    }
    response = client.post("/support/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, page_text(response)
    mail = open_ticket(client, order="o-mail", subject="Mail bounces")
    return 1, mail


# -- numbers in paths -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [HUGE, BEYOND_64_BITS, BEYOND_INTEGER])
def test_a_ticket_number_no_column_holds_is_not_found(client, desk, number):
    login(client, "alice")
    assert client.get(f"/support/tickets/{number}").status_code == 404
    login(client, "olive")
    assert client.get(f"/support/operator/tickets/{number}").status_code == 404


@pytest.mark.parametrize("file_id", [HUGE, BEYOND_64_BITS, BEYOND_INTEGER])
def test_a_file_id_no_column_holds_is_not_found(client, desk, file_id):
    login(client, "alice")
    assert client.get(f"/support/tickets/1/files/{file_id}").status_code == 404
    login(client, "pete")
    assert client.get(f"/support/provider/tickets/1/files/{file_id}").status_code == 404


def test_a_form_sent_to_a_ticket_number_no_column_holds_is_not_found(app, client, desk):
    login(client, "alice")
    token = csrf_token(app, client)
    before = row_counts(app)
    response = client.post(
        f"/support/tickets/{BEYOND_64_BITS}/watching", data={"csrf_token": token, "watching": "1"}
    )
    assert response.status_code == 404
    assert row_counts(app) == before


# -- ticket numbers typed by people -----------------------------------------------------------


@pytest.mark.parametrize("search", ["²", "①", "#²", "\u0661\u0662", HUGE, "#" + BEYOND_INTEGER])
def test_a_search_for_something_that_is_not_a_ticket_number_searches_the_subjects(
    client, desk, search
):
    login(client, "olive")
    response = client.get("/support/operator/", query_string={"q": search})
    assert response.status_code == 200
    assert "No tickets match these filters." in page_text(response)


def test_a_search_for_a_ticket_number_still_finds_it(client, desk):
    login(client, "olive")
    page = page_text(client.get("/support/operator/", query_string={"q": "#2"}))
    assert 'class="ms-ticket-number">#2<' in page
    assert 'class="ms-ticket-number">#1<' not in page


@pytest.mark.parametrize("value", [HUGE, BEYOND_INTEGER, "²", "-1"])
def test_a_follow_up_of_a_number_no_ticket_can_have_is_not_found(client, desk, value):
    login(client, "alice")
    assert client.get("/support/new", query_string={"follow_up_of": value}).status_code == 404


@pytest.mark.parametrize("value", [HUGE, BEYOND_INTEGER, "²", "\u0661", "1.5"])
def test_a_follow_up_field_that_is_not_a_ticket_number_is_refused_next_to_it(
    app, client, desk, value
):
    login(client, "alice")
    before = row_counts(app)
    response = submit_ticket(client, follow_up_of=value)
    assert response.status_code == 422
    assert "The earlier ticket could not be found." in page_text(response)
    assert row_counts(app) == before


@pytest.mark.parametrize("value", [HUGE, BEYOND_INTEGER, "²", "①", "0"])
def test_a_duplicate_of_a_number_no_ticket_can_have_is_refused_next_to_it(app, client, desk, value):
    login(client, "olive")
    token = csrf_token(app, client)
    before = row_counts(app)
    response = client.post(
        "/support/operator/tickets/1/mark_duplicate",
        data={"csrf_token": token, "duplicate_of": value},
    )
    assert response.status_code == 422
    assert "Enter a ticket number." in page_text(response)
    assert row_counts(app) == before


@pytest.mark.parametrize("value", ["²", "①", HUGE, BEYOND_INTEGER])
def test_send_again_ignores_ids_no_notification_can_have(app, client, desk, value):
    login(client, "olive")
    token = csrf_token(app, client)
    response = client.post(
        "/support/operator/notifications/send-again", data={"csrf_token": token, "id": value}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("sent_again=0")


# -- page links (cursors) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        f"t1.i{HUGE}",  # an id beyond 64 bits
        f"t1.i{BEYOND_INTEGER}",  # an id beyond the column
        f"t{HUGE}.i1",  # a moment beyond any calendar
        "i1.i1",  # a number where the moment belongs
        "t1.t1",  # a moment where the id belongs
        "t1.i\x00",
        "t\u0661.i1",
    ],
)
def test_a_page_link_that_we_did_not_make_is_refused_with_a_message(client, desk, cursor):
    message = "This page link is not valid. Start again from the list."
    login(client, "alice")
    response = client.get("/support/", query_string={"after": cursor})
    assert response.status_code == 400
    assert message in page_text(response)
    login(client, "pete")
    response = client.get("/support/provider/", query_string={"after": cursor})
    assert response.status_code == 400
    assert message in page_text(response)


def test_a_page_link_of_another_order_is_refused(client, desk):
    login(client, "olive")
    response = client.get("/support/operator/", query_string={"sort": "priority", "after": "t1.i1"})
    assert response.status_code == 400


# -- the scorecard's period -------------------------------------------------------------------


@pytest.mark.parametrize(
    "period",
    [
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"to": "0001-01-05"},
        {"from": "1999-12-31", "to": "2024-01-01"},
    ],
)
def test_a_period_outside_the_calendar_the_scorecard_covers_is_refused(app, client, desk, period):
    app.config["SUPPORT_TIMEZONE"] = "Europe/Berlin"  # east of UTC: 0001-01-01 starts in year 0
    login(client, "olive")
    response = client.get("/support/operator/scorecard", query_string=period)
    assert response.status_code == 400
    assert "Enter a day from 2000-01-01 to 2999-12-31." in page_text(response)


def test_a_period_at_the_ends_of_the_calendar_is_shown(client, desk):
    login(client, "pete")
    response = client.get(
        "/support/provider/scorecard", query_string={"from": "2000-01-01", "to": "2999-12-31"}
    )
    assert response.status_code == 200


# -- characters a database refuses ------------------------------------------------------------


NUL = "\x00"


@pytest.mark.parametrize("name", ["q", "category", "assignee", "provider"])
def test_a_nul_character_in_a_list_filter_is_refused_with_a_message(client, desk, name):
    login(client, "olive")
    response = client.get("/support/operator/", query_string={name: f"web{NUL}site"})
    assert response.status_code == 400
    assert "contains a character that cannot be saved" in page_text(response)


def test_a_nul_character_in_a_form_field_is_refused_next_to_it(app, client, desk):
    login(client, "alice")
    before = row_counts(app)
    response = submit_ticket(client, subject=f"Site{NUL}down")
    assert response.status_code == 422
    assert "This text contains a character that cannot be saved" in page_text(response)
    assert row_counts(app) == before


def test_a_nul_character_in_a_submission_key_asks_to_reload(app, client, desk):
    login(client, "alice")
    before = row_counts(app)
    response = submit_ticket(client, submission_key=f"abcdefghijklmnop{NUL}")
    assert response.status_code == 422
    assert "The form could not be read. Please reload it." in page_text(response)
    assert row_counts(app) == before


def test_a_nul_character_in_a_path_is_not_found(app, client, desk):
    login(client, "alice")
    token = csrf_token(app, client)
    before = row_counts(app)
    response = client.post(
        "/support/tickets/1/sharing/people/amy%00/remove", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert row_counts(app) == before
