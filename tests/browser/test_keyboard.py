"""The new-ticket form with the keyboard alone, and what a refused form tells the user."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .pages import (
    NEW_TICKET,
    described_by_text,
    press_until_focused,
    radio,
    sent_ticket_number,
    skip_browser_checks,
)

pytestmark = pytest.mark.browser


def test_new_ticket_form_can_be_filled_and_sent_with_the_keyboard_only(anna_page: Page) -> None:
    page = anna_page
    subject = "Mailbox quota warning every hour"
    page.goto(NEW_TICKET)

    # Tab from the top of the page into the service choices: none is chosen yet, so the
    # first radio ("Team mail 10", in name order) takes the focus; an arrow key moves on
    # and chooses.
    first_service = radio(page, "Team mail 10")
    press_until_focused(page, first_service)
    web_hosting = radio(page, "Web hosting M")
    press_until_focused(page, web_hosting, key="ArrowDown", limit=1)
    expect(web_hosting).to_be_checked()
    page.keyboard.press("ArrowUp")
    expect(first_service).to_be_focused()
    expect(first_service).to_be_checked()
    page.keyboard.press("Space")
    expect(first_service).to_be_checked()

    # From here on, every field is one Tab after the one before (focus order = page order).
    assert press_until_focused(page, page.get_by_label("Subject"), limit=1) == 1
    page.keyboard.type(subject)

    area = page.get_by_label("Problem area")
    assert press_until_focused(page, area, limit=1) == 1
    page.keyboard.type("Question")  # a closed select jumps to the option typed
    expect(area).to_have_value("usage")

    medium = radio(page, "Medium")
    assert press_until_focused(page, medium, limit=1) == 1  # the chosen priority
    page.keyboard.press("ArrowDown")
    expect(radio(page, "High")).to_be_checked()
    expect(radio(page, "High")).to_be_focused()

    for label, text in (
        ("What is the issue about?", "A quota warning arrives every hour.\nThe box is 10% full."),
        ("What outcome do you expect?", "No warnings while there is space."),
        ("What is happening now?", "Since Tuesday, for the whole team."),
    ):
        assert press_until_focused(page, page.get_by_label(label), limit=1) == 1
        page.keyboard.type(text)

    # the file input is the next stop (Space or Enter would open the file chooser)
    assert press_until_focused(page, page.get_by_label("Attachments"), limit=1) == 1
    send = page.get_by_role("button", name="Send ticket")
    assert press_until_focused(page, send, limit=1) == 1
    page.keyboard.press("Enter")

    number = sent_ticket_number(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{number} {subject}")
    details = page.get_by_role("complementary", name="Ticket details")
    expect(details).to_contain_text("Team mail 10")
    expect(details).to_contain_text("Postal Mail Co")
    expect(details).to_contain_text("High")
    expect(details).to_contain_text("Question about using a service")
    expect(page.get_by_role("region", name="Conversation")).to_contain_text(
        "A quota warning arrives every hour.\nThe box is 10% full."
    )


def test_refused_form_moves_focus_to_the_summary_and_ties_errors_to_fields(
    anna_page: Page,
) -> None:
    page = anna_page
    page.goto(NEW_TICKET)
    send = page.get_by_role("button", name="Send ticket")
    summary = page.locator(".ms-error-summary")
    errors = {
        "subject": "Enter a subject.",
        "category": "Choose a problem area.",
        "issue_about": "Tell us what the issue is about.",
    }

    # 0. The browser points out what is missing before anything is sent.
    send.press("Enter")
    expect(page.get_by_label("Subject")).to_be_focused()
    expect(page.get_by_label("Subject")).to_have_attribute("aria-invalid", "true")
    assert "Fill in this field." in described_by_text(page.get_by_label("Subject"))
    expect(summary).to_have_count(0)

    # 1. The empty form, sent as a browser without JavaScript sends it.
    skip_browser_checks(page)
    send.press("Enter")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("data-ms-focus", "")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Please check the form")
    for name, message in errors.items():
        control = page.locator(f"#ms-{name}")
        expect(control).to_have_attribute("aria-invalid", "true")
        assert message in described_by_text(control), name
        expect(summary.get_by_role("link", name=message)).to_have_attribute("href", f"#ms-{name}")
    # the service choices are a fieldset; its description carries the error
    # (fieldset is role "group", which takes no aria-invalid: the GOV.UK pattern)
    services = page.get_by_role("group", name="Which service is this about?")
    assert "Choose the service this is about." in described_by_text(services)
    expect(summary.get_by_role("link", name="Choose the service this is about.")).to_have_attribute(
        "href", "#ms-order"
    )
    for name in ("expected_outcome", "current_scenario"):
        expect(page.locator(f"#ms-{name}")).not_to_have_attribute("aria-invalid", "true")

    # 2. Some fields typed, others still missing: what was typed stays.
    page.get_by_label("Subject").fill("Backups fail at night")
    page.get_by_label("Problem area").select_option(label="Something else")
    radio(page, "Urgent").check()
    page.get_by_label("What outcome do you expect?").fill("Nightly backups finish.\nAs before.")
    page.get_by_label("What is happening now?").fill("Three nights in a row <b>now</b> & more")
    skip_browser_checks(page)
    page.get_by_role("button", name="Send ticket").press("Enter")

    expect(summary).to_be_focused()
    expect(page.get_by_label("Subject")).to_have_value("Backups fail at night")
    expect(page.get_by_label("Problem area")).to_have_value("other")
    expect(radio(page, "Urgent")).to_be_checked()
    expect(page.get_by_label("What outcome do you expect?")).to_have_value(
        "Nightly backups finish.\nAs before."
    )
    expect(page.get_by_label("What is happening now?")).to_have_value(
        "Three nights in a row <b>now</b> & more"
    )
    for name in ("subject", "category"):
        expect(page.locator(f"#ms-{name}")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#ms-issue_about")).to_have_attribute("aria-invalid", "true")
    expect(summary.get_by_role("listitem")).to_have_count(2)

    # 3. The kept form, completed, is sent.
    radio(page, "Web hosting M").check()
    page.get_by_label("What is the issue about?").fill("The nightly backup job stops at 40%.")
    page.get_by_role("button", name="Send ticket").press("Enter")
    number = sent_ticket_number(page)
    expect(page).to_have_url(re.compile(rf"/tickets/{number}\b"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{number} Backups fail at night")
