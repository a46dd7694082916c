"""axe-core (from the npm registry, `tests/browser/axe`) on every page of the module, as each
party, on a desktop and on a phone: no critical, serious or moderate violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .accessibility import describe, violations
from .pages import (
    ANNA,
    DESKTOP,
    OSCAR,
    PHONE,
    PIA,
    Customer,
    Staff,
    fill_new_ticket,
    log_in,
    sent_ticket_number,
    skip_browser_checks,
)

pytestmark = pytest.mark.browser

#: The pages of each party (the demo data: Anna's ticket #1 waits for her, #4 is an emergency).
PAGES: dict[str, tuple[Customer | Staff, tuple[str, ...]]] = {
    "customer": (
        ANNA,
        (
            "/my/support/",
            "/my/support/?state=closed",
            "/my/support/?state=shared",
            "/my/support/new",
            "/my/support/tickets/1",
            "/my/support/tickets/2",
            "/my/support/tickets/999",
        ),
    ),
    "provider": (
        PIA,
        (
            "/my/support/provider/",
            "/my/support/provider/?sort=due",
            "/my/support/provider/tickets/1",
            "/my/support/provider/scorecard",
            "/my/support/provider/api-tokens",
        ),
    ),
    "operator": (
        OSCAR,
        (
            "/my/support/operator/",
            "/my/support/operator/?queue=emergencies",
            "/my/support/operator/tickets/4",
            "/my/support/operator/scorecard",
            "/my/support/operator/notifications",
            "/my/support/operator/api-tokens",
        ),
    ),
}


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("party", list(PAGES))
def test_every_page_passes_axe(new_context: Any, axe_source: str, party: str, size: Any) -> None:
    person, paths = PAGES[party]
    page = new_context(viewport=size).new_page()
    log_in(page, person)
    problems = {}
    for path in paths:
        page.goto(path)
        found = violations(page, axe_source)
        if found:
            problems[path] = describe(found)
    assert not problems, "\n\n".join(f"{path}\n{text}" for path, text in problems.items())


def test_a_refused_form_passes_axe(new_context: Any, axe_source: str) -> None:
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, ANNA)
    page.goto("/my/support/new")
    skip_browser_checks(page)
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_load_state()
    found = violations(page, axe_source)
    assert not found, describe(found)


def test_choosing_the_service_of_a_ticket_without_one_passes_axe_also_when_refused(
    new_context: Any, axe_source: str
) -> None:
    """The ticket page's "Which service is this about?", as offered and as refused: its field
    error, and the error summary that takes the focus."""
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, ANNA)
    page.goto("/my/support/new")
    fill_new_ticket(
        page,
        subject="E-mails arrive late",
        service="Not related to any of my active services",
        area="Something else",
    )
    page.get_by_role("button", name="Send ticket").click()
    number = sent_ticket_number(page)
    choice = page.get_by_label("Which service is this about?")
    expect(choice).to_be_visible()
    found = violations(page, axe_source)
    assert not found, describe(found)
    skip_browser_checks(page)
    page.get_by_role("button", name="Choose this service").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/my/support/tickets/{number}")
    summary = page.locator(".ms-error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Choose the service this is about.").click()
    expect(choice).to_be_focused()
    found = violations(page, axe_source)
    assert not found, describe(found)
    choice.select_option(label="Team mail 10, provided by Postal Mail Co")
    page.get_by_role("button", name="Choose this service").click()
    expect(page.get_by_text("The ticket is now about Team mail 10.")).to_be_visible()


def test_the_error_summary_links_put_the_focus_in_their_fields(anna_page: Page) -> None:
    page = anna_page
    page.goto("/my/support/new")
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_load_state()
    summary = page.locator(".ms-error-summary")
    for link in summary.locator("a").all():
        link.click()
        focused = page.evaluate(
            "document.activeElement.tagName + ':' + document.activeElement.name"
        )
        assert focused.split(":")[0] in ("INPUT", "TEXTAREA", "SELECT"), focused


def test_a_keyboard_user_skips_the_header_to_the_content(anna_page: Page) -> None:
    page = anna_page
    page.goto("/my/support/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
