"""The issue's flow between the parties, each in a browser of their own: the customer opens a
ticket, the provider's staff answer it (and note something the customer must not read), the
marketplace's operator re-routes it to another provider, and everyone sees what they should.

The demo database is shared by the session's tests: tickets are found by the number this test
got when it opened its own, never by a position in a list.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from .pages import (
    ANNA,
    NEW_TICKET,
    OSCAR,
    PAULO,
    PIA,
    ROWS,
    Staff,
    fill_new_ticket,
    log_in,
    open_user_menu,
    sent_ticket_number,
)

pytestmark = pytest.mark.browser


NewContext = Callable[..., BrowserContext]


def staff_page(new_context: NewContext, person: Staff) -> Page:
    """A page of a fresh context where ``person`` has logged in (landing in the workspace)."""
    page = new_context().new_page()
    log_in(page, person)
    expect(page.get_by_role("heading", level=1)).to_have_text(person.workspace)
    return page


def search_workspace(page: Page, person: Staff, text: str) -> Locator:
    """Search the workspace's list for ``text`` (any status); the rows found."""
    page.goto(person.landing)
    filters = page.get_by_role("search", name="Filter tickets")
    filters.get_by_label("Number or words").fill(text)
    filters.get_by_label("Status").select_option(label="Any status")
    filters.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]q=[^&]+&status=all\b"))  # on the results
    expect(page.get_by_label("Number or words")).to_have_value(text)
    return page.locator(ROWS)


def expect_done(page: Page, number: int, action: str) -> None:
    """The action went through: back on the ticket with the notice of that action."""
    expect(page).to_have_url(re.compile(rf"/tickets/{number}\?notice={action}$"))
    expect(page.get_by_role("status")).to_be_visible()


def ticket_link(rows: Locator, number: int, subject: str) -> Locator:
    return rows.get_by_role("link", name=f"#{number} {subject}", exact=True)


def details_value(page: Page, term: str) -> Locator:
    """The ``<dd>`` after the ``<dt>`` ``term`` in the ticket's details (the customer's page
    has them as the complementary column, the staff page as a region in that column)."""
    details = page.get_by_role("complementary", name="Ticket details").or_(
        page.get_by_role("region", name="Ticket details")
    )
    return details.locator(f"dt:text-is('{term}') + dd")


def test_provider_answers_operator_reroutes_and_everyone_sees_their_part(
    new_context: NewContext, anna_page: Page
) -> None:
    subject = "Staff flow: SSL certificate expired on acme.example"
    note = "Internal: the renewal job ran out of disk on web-07; do not tell the customer."
    question = "Thanks, Anna. Which domain names should the certificate cover?"
    answer = "acme.example and www.acme.example, please."
    reason = "The certificate is part of the mail service of Postal Mail Co."

    # Anna opens a ticket about Web hosting M (Nimbus Hosting).
    anna = anna_page
    anna.goto(NEW_TICKET)
    fill_new_ticket(anna, subject=subject, service="Web hosting M")
    anna.get_by_role("button", name="Send ticket").click()
    number = sent_ticket_number(anna)
    anna_url = f"/my/support/tickets/{number}"
    expect(details_value(anna, "Handled by")).to_have_text("Nimbus Hosting")

    # Pia finds it in her Support inbox, notes something internally and asks Anna a question.
    pia = staff_page(new_context, PIA)
    open_user_menu(pia, PIA).get_by_role("link", name="Support inbox").click()
    expect(pia).to_have_url(re.compile(r"/my/support/provider/$"))
    rows = search_workspace(pia, PIA, subject)
    expect(rows).to_have_count(1)
    ticket_link(rows, number, subject).click()
    expect(pia).to_have_url(re.compile(rf"/my/support/provider/tickets/{number}$"))
    expect(pia.get_by_role("heading", level=1)).to_have_text(f"#{number} {subject}")
    expect(details_value(pia, "Status")).to_have_text("Open")

    composer = pia.locator("form[data-ms-composer]")
    composer.get_by_label("Internal note", exact=True).check()
    # a note is sent on its own: waiting and resolving go with a reply only
    expect(composer.get_by_role("button", name="Send and wait for the customer")).to_be_hidden()
    composer.get_by_label("Message").fill(note)
    composer.get_by_role("button", name="Send", exact=True).click()
    expect_done(pia, number, "note")
    conversation = pia.get_by_role("region", name="Conversation")
    internal = conversation.locator(".ms-message--internal").filter(has_text=note)
    expect(internal).to_have_count(1)
    expect(internal.locator(":scope > p").first).to_contain_text(PIA.name)
    expect(internal.locator(":scope > p").first).to_contain_text("Internal note")

    composer.get_by_label("Reply to the customer").check()
    composer.get_by_label("Message").fill(question)
    composer.get_by_role("button", name="Send and wait for the customer").click()
    expect_done(pia, number, "reply")
    expect(details_value(pia, "Status")).to_have_text("Waiting for customer")
    reply = conversation.locator(".ms-message--provider").filter(has_text=question)
    expect(reply).to_have_count(1)
    expect(reply).not_to_have_class(re.compile(r"ms-message--internal"))

    # Anna reads the question, never the note, and answers: the ticket is open again.
    anna.goto(anna_url)
    conversation = anna.get_by_role("region", name="Conversation")
    expect(conversation.locator(".ms-message").filter(has_text=question)).to_have_count(1)
    expect(details_value(anna, "Status")).to_have_text("Waiting for your reply")
    expect(anna.locator(".ms-ticket-header")).to_contain_text("Waiting for your reply")
    expect(anna.locator("body")).not_to_contain_text(note)
    assert note not in anna.content(), "the internal note is in the customer's page source"
    anna.get_by_label("Add information").fill(answer)
    anna.get_by_role("button", name="Add to ticket").click()
    expect(anna.get_by_role("status")).to_contain_text("Your information was added to the ticket.")
    answered = conversation.locator(".ms-message").filter(has_text=answer)
    expect(answered).to_have_count(1)
    expect(answered.locator(":scope > p").first).to_contain_text(ANNA.name)
    expect(details_value(anna, "Status")).to_have_text("Open")

    # Oscar opens it in the Support console and re-routes it to Postal Mail Co.
    oscar = staff_page(new_context, OSCAR)
    rows = search_workspace(oscar, OSCAR, subject)
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("cell", name="Nimbus Hosting", exact=True)).to_have_count(1)
    ticket_link(rows, number, subject).click()
    expect(oscar).to_have_url(re.compile(rf"/my/support/operator/tickets/{number}$"))
    # the operator reads the provider's internal note too
    expect(oscar.locator(".ms-message--internal").filter(has_text=note)).to_have_count(1)
    decisions = oscar.get_by_role("region", name="Marketplace decisions")
    decisions.get_by_label("Re-route to").select_option(label="Postal Mail Co")
    decisions.get_by_label("Why (the customer reads this)").fill(reason)
    decisions.get_by_role("button", name="Re-route").click()
    expect_done(oscar, number, "reroute")
    expect(details_value(oscar, "Handled by")).to_have_text("Postal Mail Co")

    # Paulo, of Postal Mail Co, has it in his inbox now; Pia has lost it.
    paulo = staff_page(new_context, PAULO)
    rows = search_workspace(paulo, PAULO, subject)
    expect(rows).to_have_count(1)
    ticket_link(rows, number, subject).click()
    expect(paulo).to_have_url(re.compile(rf"/my/support/provider/tickets/{number}$"))
    expect(paulo.get_by_role("heading", level=1)).to_have_text(f"#{number} {subject}")
    expect(details_value(paulo, "Handled by")).to_have_text("Postal Mail Co")

    rows = search_workspace(pia, PIA, subject)
    expect(rows).to_have_count(0)
    expect(pia.get_by_text("No tickets match these filters.")).to_be_visible()
    response = pia.goto(f"/my/support/provider/tickets/{number}")
    assert response is not None
    assert response.status == 404, f"Pia opened a ticket of another provider: {response.status}"

    # Anna sees who handles it now, and the re-routing with its reason in the history.
    anna.goto(anna_url)
    expect(details_value(anna, "Handled by")).to_have_text("Postal Mail Co")
    rerouted = anna.locator(".ms-event").filter(has_text="re-routed the ticket to Postal Mail Co")
    expect(rerouted).to_have_count(1)
    expect(rerouted.locator("q")).to_have_text(reason)
    expect(anna.locator("body")).not_to_contain_text(note)
    assert note not in anna.content(), "the internal note is in the customer's page source"


def test_provider_lands_in_the_inbox_and_operator_in_the_console(
    new_context: NewContext,
) -> None:
    pia = staff_page(new_context, PIA)
    expect(pia).to_have_url(re.compile(r"/my/support/provider/$"))
    menu = open_user_menu(pia, PIA)
    expect(menu.get_by_role("link", name="Support inbox")).to_be_visible()
    expect(menu.get_by_role("link", name="Support console")).to_have_count(0)

    oscar = staff_page(new_context, OSCAR)
    expect(oscar).to_have_url(re.compile(r"/my/support/operator/$"))
    menu = open_user_menu(oscar, OSCAR)
    expect(menu.get_by_role("link", name="Support console")).to_be_visible()
    expect(menu.get_by_role("link", name="Support inbox")).to_have_count(0)

    # The demo's emergency: Anna's "No e-mail arrives" (#4), reported, not yet decided.
    queues = oscar.get_by_role("navigation", name="Queues")
    emergencies = queues.get_by_role("link", name=re.compile(r"^Emergencies\b"))
    assert int(emergencies.locator(".ms-count").inner_text()) >= 1
    emergencies.click()
    expect(emergencies).to_have_attribute("aria-current", "page")
    row = oscar.locator(ROWS).filter(
        has=oscar.get_by_role("link", name="#4 No e-mail arrives", exact=True)
    )
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\bms-emergency\b"))
    expect(row.get_by_role("cell", name="Postal Mail Co", exact=True)).to_have_count(1)
