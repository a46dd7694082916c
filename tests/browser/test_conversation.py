"""A long conversation: its earlier entries are not in the ticket's page; asked for, they come in
place, unfolded, and read like the rest of the page."""

from __future__ import annotations

import re
import secrets

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from example_host.adapter import actor_for
from example_host.models import ServiceOrder, User, db
from marketplace_support import actions, tickets
from marketplace_support.workflow import Action, Role

from .accessibility import describe, violations

pytestmark = pytest.mark.browser


def long_ticket(app: Flask, messages: int, changes: int = 0) -> int:
    """A ticket of Anna's with ``messages`` messages of hers, then resolved and reopened in
    turn ``changes`` times, through the module's use-cases."""
    with app.test_request_context():
        anna = actor_for(db.session.query(User).filter_by(email="anna@acme.example").one())
        order = db.session.query(ServiceOrder).filter_by(service_name="Web hosting M").one()
        opened = tickets.open_ticket(
            "nordic",
            anna,
            {
                "submission_key": secrets.token_urlsafe(24),
                "order": str(order.id),
                "category": "technical",
                "priority": "medium",
                "subject": "Backups stopped",
                "issue_about": "The backups stopped on Monday.",
            },
        )
        number = opened.ticket.number
        for i in range(1, messages + 1):
            body = {"body": f"Finding number {i:02d}.", "submission_key": secrets.token_urlsafe(24)}
            actions.act("nordic", anna, Role.CUSTOMER, number, Action.REPLY, body)
        for i in range(changes):
            action = Action.RESOLVE if i % 2 == 0 else Action.REOPEN
            actions.act("nordic", anna, Role.CUSTOMER, number, action, {})
        return number


def test_earlier_entries_come_in_place_when_asked_for(
    anna_page: Page, demo_app: Flask, axe_source: str
) -> None:
    page = anna_page
    number = long_ticket(demo_app, messages=14)
    page.goto(f"/my/support/tickets/{number}")
    link = page.locator("#ms-earlier a[data-ms-unfold]")
    expect(link).to_have_text("Show 12 earlier entries")
    expect(page.get_by_text("Finding number 01.")).to_have_count(0)
    assert not (found := violations(page, axe_source)), describe(found)
    link.click()
    # in place and open, the reader at its head; the page itself was not left
    summary = page.locator("#ms-earlier details[open] > summary")
    expect(summary).to_be_focused()
    expect(page.get_by_text("Finding number 01.")).to_be_visible()
    expect(page.get_by_text("The backups stopped on Monday.")).to_be_visible()
    assert re.search(rf"/my/support/tickets/{number}$", page.url), page.url
    expect(page.locator("#ms-earlier a[data-ms-unfold]")).to_have_count(0)
    # their times read like the others': "3 minutes ago", the exact time on hover
    first = page.locator("#ms-earlier time").first
    expect(first).to_have_text(re.compile(r"ago|now"))
    expect(first).to_have_attribute("title", re.compile(r"\d{1,2}:\d{2}\s?[AP]M"))
    assert not (found := violations(page, axe_source)), describe(found)
    # folded again, without asking the server
    summary.click()
    expect(page.get_by_text("Finding number 01.")).to_be_hidden()


def test_without_javascript_the_link_opens_the_page_with_them(
    new_context, demo_app: Flask, anna_state
) -> None:
    number = long_ticket(demo_app, messages=14)
    page = new_context(java_script_enabled=False, storage_state=anna_state).new_page()
    page.goto(f"/my/support/tickets/{number}")
    page.locator("#ms-earlier a[data-ms-unfold]").click()
    page.wait_for_url(re.compile(rf"/my/support/tickets/{number}\?entries=all#ms-earlier$"))
    expect(page.get_by_text("Finding number 01.")).to_be_visible()


def test_a_long_history_comes_in_place_when_asked_for(anna_page: Page, demo_app: Flask) -> None:
    page = anna_page
    number = long_ticket(demo_app, messages=0, changes=12)
    page.goto(f"/my/support/tickets/{number}")
    link = page.locator("#ms-history a[data-ms-unfold]")
    expect(link).to_have_text("History: 13 changes")
    link.click()
    summary = page.locator("details#ms-history[open] > summary")
    expect(summary).to_be_focused()
    expect(page.locator("#ms-history li")).to_have_count(13)
    assert re.search(rf"/my/support/tickets/{number}$", page.url), page.url


def test_a_conversation_longer_than_one_read_goes_back_part_by_part(
    anna_page: Page, demo_app: Flask, axe_source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where one request does not read back to the description, the part that comes in place
    ends with "Show older entries": its page has the entries before, as accessible, and the
    way back to the latest."""
    page = anna_page
    number = long_ticket(demo_app, messages=14)
    monkeypatch.setattr(tickets, "ENTRIES_READ_MAX", 8)  # the server runs in this process
    page.goto(f"/my/support/tickets/{number}")
    page.locator("#ms-earlier a[data-ms-unfold]").click()
    expect(page.get_by_text("Finding number 07.")).to_be_visible()
    expect(page.get_by_text("Finding number 06.")).to_have_count(0)
    page.locator("#ms-earlier .ms-older a").click()
    page.wait_for_url(
        re.compile(rf"/my/support/tickets/{number}\?entries=all&before=.+#ms-earlier$")
    )
    expect(page.get_by_text("The backups stopped on Monday.")).to_be_visible()
    expect(page.get_by_text("Finding number 06.")).to_be_visible()
    expect(page.get_by_text("Finding number 07.")).to_have_count(0)
    assert not (found := violations(page, axe_source)), describe(found)
    page.get_by_role("link", name="Back to the latest entries").click()
    expect(page.get_by_text("Finding number 14.")).to_be_visible()
