"""Bad input gets a clear error next to its field, keeps what was typed, and writes nothing."""

from __future__ import annotations

import re

import pytest

from .conftest import login
from .helpers import new_ticket_form, row_counts, submit_ticket, ticket_fields


def field_error(page: str, name: str) -> str | None:
    match = re.search(rf'<p class="ms-field-error" id="ms-{name}-error">(.*?)</p>', page, re.S)
    if not match:
        return None
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip()


def test_an_empty_form_names_each_missing_field_next_to_it(app, client):
    login(client, "alice")
    data = new_ticket_form(client)
    response = client.post("/support/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "order") == "Choose the service this is about."
    assert field_error(page, "subject") == "Enter a subject."
    assert field_error(page, "category") == "Choose a problem area."
    assert field_error(page, "issue_about") == "Tell us what the issue is about."
    assert field_error(page, "expected_outcome") is None  # optional
    # the summary links to each field; each field points screen readers at its error
    assert '<a href="#ms-subject">Enter a subject.</a>' in page
    assert re.search(
        r'<input class="ms-input" type="text" id="ms-subject" name="subject" value=""'
        r' maxlength="200" required aria-required="true"'
        r' aria-describedby="ms-subject-hint ms-subject-error" aria-invalid="true">',
        page,
    )
    assert 'aria-describedby="ms-order-error"' in page
    assert '<input type="radio" name="order" value="o-hosting"  aria-invalid="true">' in page
    assert row_counts(app) == {
        "support_ticket": 0,
        "support_message": 0,
        "support_event": 0,
        "support_ticket_counter": 0,
        "support_attachment": 0,
        "support_draft_file": 0,
    }


def test_the_form_keeps_what_the_user_typed(client):
    login(client, "alice")
    response = submit_ticket(
        client,
        subject="",
        order="o-mail",
        category="usage",
        priority="urgent",
        issue_about="Mails <b>bounce</b>\nsince today",
        expected_outcome="Delivery",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="o-mail" checked' in page
    assert '<option value="usage" selected>' in page
    assert 'value="urgent" checked' in page
    assert "Mails &lt;b&gt;bounce&lt;/b&gt;\nsince today</textarea>" in page
    assert ">Delivery</textarea>" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subject", "x" * 201, "The subject can be at most 200 characters long."),
        ("issue_about", "x" * 10_001, "This text can be at most 10000 characters long."),
        ("category", "made-up", "Choose one of the problem areas."),
        ("priority", "critical", "Choose one of the priorities."),
    ],
)
def test_values_outside_the_rules_are_refused_with_a_specific_message(
    app, client, field, value, message
):
    login(client, "alice")
    response = submit_ticket(client, **{field: value})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert row_counts(app)["support_ticket"] == 0


def test_unknown_fields_are_refused(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields(), "status": "closed"}
    response = client.post("/support/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This field is not part of the form." in page
    assert row_counts(app)["support_ticket"] == 0


def test_a_form_without_its_submission_key_asks_to_reload(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    del data["submission_key"]
    response = client.post("/support/new", data=data)
    assert response.status_code == 422
    assert "The form could not be read. Please reload it." in response.get_data(as_text=True)
    assert row_counts(app)["support_ticket"] == 0


def test_white_space_alone_is_not_a_subject(app, client):
    login(client, "alice")
    response = submit_ticket(client, subject="   \t ")
    assert field_error(response.get_data(as_text=True), "subject") == "Enter a subject."


def test_surrounding_white_space_is_trimmed(app, client):
    login(client, "alice")
    response = submit_ticket(client, subject="  Site down  ")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "</span> Site down</h1>" in page
