"""The example marketplace's request types: the demo's areas ask their own questions, and its
operator edits them on a page of their own (as they edit the texts)."""

from __future__ import annotations

import re

import pytest

from .example_marketplace import csrf_token_of, demo_marketplace, log_in

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(tmp_path):
    with demo_marketplace(tmp_path) as app:
        yield app


def new_ticket(client, area):
    page = client.get("/my/support/new").get_data(as_text=True)
    token = csrf_token_of(page)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    return {"csrf_token": token, "submission_key": key, "category": area}


def test_the_demo_asks_no_connection_for_the_address_and_the_router_lights(demo):
    anna = demo.test_client()
    log_in(anna, "anna@acme.example")
    page = anna.post(
        "/my/support/new", data={**new_ticket(anna, "no_connection"), "choose_area": "1"}
    ).get_data(as_text=True)
    assert '<optgroup label="Internet and mail">' in page
    assert "Address of the connection" in page
    for light in ("All off", "Power only", "Blinking red", "All green"):
        assert light in page
    form = {**new_ticket(anna, "no_connection"), "order": "none", "subject": "Offline"}
    refused = anna.post("/my/support/new", data={**form, "answer-address": "Katu 1"})
    assert refused.status_code == 422
    assert re.search(
        r'href="#ms-answer-router_lights">Fill in this field.', refused.get_data(as_text=True)
    )
    sent = anna.post(
        "/my/support/new",
        data={**form, "answer-address": "Katu 1", "answer-router_lights": "all_off"},
    )
    assert sent.status_code == 303
    ticket = anna.get(sent.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<dt>Router lights</dt>\s*<dd[^>]*>All off</dd>", ticket)


def test_the_operator_adds_a_question_and_old_tickets_keep_theirs(demo):
    oscar = demo.test_client()
    log_in(oscar, "oscar@nordic.example")
    page = oscar.get("/admin/request-types?area=mail").get_data(as_text=True)
    assert "Affected mailbox" in page
    added = oscar.post(
        "/admin/request-types?area=mail",
        data={
            "csrf_token": csrf_token_of(page),
            "do": "add_question",
            "kind": "choice",
            "required": "1",
            "label_en": "Mail program",
            "label_de": "E-Mail-Programm",
            "choices_en": "Outlook\nThunderbird\nIn the browser",
            "choices_de": "Outlook\nThunderbird\nIm Browser",
        },
    )
    assert added.status_code == 303
    anna = demo.test_client()
    log_in(anna, "anna@acme.example")
    page = anna.post(
        "/my/support/new", data={**new_ticket(anna, "mail"), "choose_area": "1"}
    ).get_data(as_text=True)
    assert 'name="answer-mail_program" value="in_the_browser"' in page
    form = {**new_ticket(anna, "mail"), "order": "none", "subject": "No mail"}
    sent = anna.post(
        "/my/support/new",
        data={**form, "answer-mailbox": "anna@acme.example", "answer-mail_program": "outlook"},
    )
    assert sent.status_code == 303
    number = re.search(r"/tickets/(\d+)", sent.headers["Location"]).group(1)
    page = oscar.get("/admin/request-types?area=mail").get_data(as_text=True)
    removed = oscar.post(
        "/admin/request-types?area=mail",
        data={
            "csrf_token": csrf_token_of(page),
            "do": "remove_question",
            "question": "mail_program",
        },
    )
    assert removed.status_code == 303
    ticket = oscar.get(f"/my/support/operator/tickets/{number}").get_data(as_text=True)
    assert re.search(r"<dt>Mail program</dt>\s*<dd[^>]*>Outlook</dd>", ticket)


def test_a_question_that_cannot_be_is_refused_with_the_reason(demo):
    oscar = demo.test_client()
    log_in(oscar, "oscar@nordic.example")
    page = oscar.get("/admin/request-types?area=mail").get_data(as_text=True)
    refused = oscar.post(
        "/admin/request-types?area=mail",
        data={
            "csrf_token": csrf_token_of(page),
            "do": "add_question",
            "kind": "choice",
            "label_en": "Program",
        },
    )
    assert refused.status_code == 422
    assert "choices belong to choice fields, and only there" in refused.get_data(as_text=True)
    anna = demo.test_client()
    log_in(anna, "anna@acme.example")
    assert anna.get("/admin/request-types").status_code == 403
