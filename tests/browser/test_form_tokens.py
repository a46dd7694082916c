"""A form left open longer than its CSRF token lives is still sent, with what was typed.

The demo's tokens are made to live 4 seconds for these tests (Flask-WTF's
``WTF_CSRF_TIME_LIMIT``; an hour by default). With the page's script, its forms' tokens are
renewed while it stays open. Without the script, the same wait ends with the form refused
(which shows that the token really did expire) and back with what was typed and a fresh token:
sending it again opens the ticket.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from .pages import NEW_TICKET, fill_new_ticket, sent_ticket_number

pytestmark = pytest.mark.browser

LIFETIME = 4


@pytest.fixture
def short_lived_tokens(demo_app: Flask) -> Iterator[None]:
    before = demo_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    demo_app.config["WTF_CSRF_TIME_LIMIT"] = LIFETIME
    yield
    demo_app.config["WTF_CSRF_TIME_LIMIT"] = before


def fill_and_wait(page: Any, subject: str) -> None:
    page.goto(NEW_TICKET)
    fill_new_ticket(page, subject=subject)
    page.wait_for_timeout((LIFETIME + 2) * 1000)  # the page's own token has expired


def test_a_form_open_longer_than_its_token_lives_is_sent(
    short_lived_tokens: None, new_context: Any, anna_state: dict[str, Any]
) -> None:
    page = new_context(storage_state=anna_state).new_page()
    fill_and_wait(page, "Written over a long lunch")
    page.get_by_role("button", name="Send ticket").click()
    assert sent_ticket_number(page) > 0
    expect(page.get_by_role("heading", level=1)).to_contain_text("Written over a long lunch")


def test_without_the_script_the_form_comes_back_with_what_was_typed(
    short_lived_tokens: None, new_context: Any, anna_state: dict[str, Any]
) -> None:
    page = new_context(storage_state=anna_state, java_script_enabled=False).new_page()
    fill_and_wait(page, "Written without the script")
    page.get_by_role("button", name="Send ticket").click()
    expect(
        page.get_by_text(re.compile("This form had expired, so nothing was sent"))
    ).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_value("Written without the script")
    page.get_by_role("button", name="Send ticket").click()  # its token is fresh
    assert sent_ticket_number(page) > 0
    expect(page.get_by_role("heading", level=1)).to_contain_text("Written without the script")
