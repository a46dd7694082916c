"""The issue's main flow: a customer opens a ticket from My Page and follows it up."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .pages import ANNA, ROWS, fill_new_ticket, log_in, sent_ticket_number

pytestmark = pytest.mark.browser


def test_customer_opens_a_ticket_finds_it_and_adds_information(page: Page) -> None:
    subject = "Control panel shows error 502"
    added = "It also happens in a private window. Request id: 7f3a-22."

    log_in(page, ANNA)
    page.locator("summary", has_text=ANNA.name).click()
    page.get_by_role("link", name="Support", exact=True).click()
    expect(page).to_have_url(re.compile(r"/my/support/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My support tickets")

    page.get_by_role("link", name="New ticket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New ticket")
    fill_new_ticket(page, subject=subject, service="Web hosting M", priority="High")
    page.get_by_role("button", name="Send ticket").click()

    number = sent_ticket_number(page)
    expect(page).to_have_url(re.compile(rf"/my/support/tickets/{number}\b"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{number} {subject}")
    details = page.get_by_role("complementary", name="Ticket details")
    expect(details).to_contain_text("Web hosting M")
    expect(details).to_contain_text("Nimbus Hosting")
    expect(details).to_contain_text("High")

    page.get_by_role("link", name="Back to my tickets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My support tickets")
    row = page.locator(ROWS).filter(has_text=subject)
    expect(row).to_have_count(1)
    expect(row.get_by_role("link")).to_have_text(f"#{number} {subject}")
    expect(row.get_by_role("cell", name="Web hosting M", exact=True)).to_have_count(1)

    row.get_by_role("link", name=f"#{number} {subject}").click()
    expect(page).to_have_url(re.compile(rf"/my/support/tickets/{number}$"))
    page.get_by_label("Add information").fill(added)
    page.get_by_role("button", name="Add to ticket").click()

    expect(page.get_by_role("status")).to_contain_text("Your information was added to the ticket.")
    conversation = page.get_by_role("region", name="Conversation")
    latest = conversation.locator(".ms-message").filter(has_text=added)
    expect(latest).to_have_count(1)
    expect(latest.locator(":scope > p").first).to_contain_text(ANNA.name)
    expect(page.get_by_label("Add information")).to_have_value("")
