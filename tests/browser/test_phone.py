"""On a phone-sized screen (390 by 844 CSS pixels) the support pages fit the width, and every
form control on them has a label."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .pages import (
    LIST,
    NEW_TICKET,
    PHONE,
    ROWS,
    fill_new_ticket,
    page_width_problems,
    radio,
    sent_ticket_number,
    skip_browser_checks,
    unlabelled_controls,
)

pytestmark = pytest.mark.browser

FORM_LABELS = (
    "Subject",
    "Problem area",
    "What is the issue about?",
    "What outcome do you expect?",
    "What is happening now?",
)
FORM_RADIOS = (
    "Team mail 10",
    "Web hosting M",
    "Not related to any of my active services",
    "Low",
    "Medium",
    "High",
    "Urgent",
)


def assert_fits_and_is_labelled(page: Page) -> None:
    too_wide = page_width_problems(page, PHONE["width"])
    if too_wide:
        pytest.fail(too_wide)
    unlabelled = unlabelled_controls(page)
    assert not unlabelled, f"{page.url}: {unlabelled}"


@pytest.mark.parametrize("path", [LIST, f"{LIST}?state=closed"], ids=["open", "closed"])
def test_ticket_lists_fit_a_phone(anna_phone_page: Page, path: str) -> None:
    page = anna_phone_page
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("My support tickets")
    expect(page.locator(ROWS).first).to_be_visible()
    assert_fits_and_is_labelled(page)


def test_open_user_menu_fits_a_phone(anna_phone_page: Page) -> None:
    """The way to Support on a phone: the host's user menu, opened by a tap."""
    page = anna_phone_page
    page.goto(LIST)
    page.locator("header summary").tap()
    expect(page.get_by_role("link", name="Support", exact=True)).to_be_visible()
    too_wide = page_width_problems(page, PHONE["width"])
    if too_wide:
        pytest.fail(too_wide)


def test_new_ticket_form_fits_a_phone_and_labels_every_control(anna_phone_page: Page) -> None:
    page = anna_phone_page
    page.goto(NEW_TICKET)
    for label in FORM_LABELS:
        expect(page.get_by_label(label)).to_be_visible()
    for title in FORM_RADIOS:
        expect(radio(page, title)).to_be_visible()
    assert_fits_and_is_labelled(page)

    skip_browser_checks(page)  # the server's refusal, as without JavaScript
    page.get_by_role("button", name="Send ticket").tap()  # refused: errors beside the fields
    expect(page.locator(".ms-error-summary")).to_be_focused()
    assert_fits_and_is_labelled(page)


def test_ticket_page_fits_a_phone(anna_phone_page: Page) -> None:
    page = anna_phone_page
    page.goto("/my/support/tickets/1")  # Anna's first demo ticket
    expect(page.get_by_role("heading", level=1)).to_contain_text("#1")
    expect(page.get_by_label("Add information")).to_be_visible()
    assert_fits_and_is_labelled(page)

    skip_browser_checks(page)
    page.get_by_role("button", name="Add to ticket").tap()  # refused: nothing written
    expect(page.locator(".ms-error-summary")).to_be_focused()
    assert_fits_and_is_labelled(page)


def test_long_unbroken_words_do_not_widen_the_pages(anna_phone_page: Page) -> None:
    """Customers paste links and error ids; the subject is at most 200 characters."""
    page = anna_phone_page
    url = "https://shop.acme.example/checkout/payment/confirm?session=" + "a1b2c3d4" * 12
    subject = url[:200]
    page.goto(NEW_TICKET)
    fill_new_ticket(page, subject=subject, about=f"This page fails: {url}", outcome=url, now=url)
    page.get_by_role("button", name="Send ticket").tap()
    number = sent_ticket_number(page)
    problems = [page_width_problems(page, PHONE["width"])]

    page.goto(LIST)
    expect(page.get_by_role("link", name=f"#{number} {subject}")).to_be_visible()
    problems.append(page_width_problems(page, PHONE["width"]))
    too_wide = "\n".join(problem for problem in problems if problem)
    if too_wide:
        pytest.fail(too_wide)


def test_on_a_phone_the_latest_message_and_the_reply_box_come_within_two_screens(
    anna_phone_page: Page,
) -> None:
    """A long conversation folds its older part, and the details fold under the
    conversation: the newest message and the reply box are what a phone shows first."""
    page = anna_phone_page
    page.goto("/my/support/tickets/1")
    for turn in range(6):  # a long conversation
        page.get_by_label("Add information").fill(f"Still slow, try {turn}: the checkout page.")
        page.get_by_role("button", name="Add to ticket").tap()
        expect(page.get_by_text(f"Still slow, try {turn}")).to_be_visible()
    page.goto("/my/support/tickets/1")
    screen = PHONE["height"]
    latest = page.locator("#latest").bounding_box()
    reply = page.get_by_label("Add information").bounding_box()
    assert latest and reply
    assert latest["y"] < 2 * screen, latest
    assert reply["y"] + reply["height"] < 2 * screen, reply
    expect(page.get_by_text("Ticket details")).to_be_visible()  # folded, below
    expect(page.get_by_role("term").filter(has_text="Service")).to_be_hidden()
