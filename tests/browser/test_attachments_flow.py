"""A customer attaches a screenshot when opening a ticket; the provider sees it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from ..helpers import png
from .pages import ANNA, NEW_TICKET, PIA, fill_new_ticket, log_in, sent_ticket_number

pytestmark = pytest.mark.browser

#: an image's width once the browser has it (``decode`` waits for a lazy image still on its
#: way, where ``naturalWidth`` alone read 0 when it came a moment late)
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"


def test_a_screenshot_attached_to_a_new_ticket_reaches_the_provider(
    new_context: Callable[..., BrowserContext],
) -> None:
    subject = "Checkout button does nothing (screenshot)"
    customer = new_context().new_page()
    log_in(customer, ANNA)
    customer.goto(NEW_TICKET)
    fill_new_ticket(customer, subject=subject, service="Web hosting M", priority="Medium")
    customer.get_by_label("Attachments").set_input_files(
        [{"name": "checkout.png", "mimeType": "image/png", "buffer": png(40, 30)}]
    )
    customer.get_by_role("button", name="Send ticket").click()
    number = sent_ticket_number(customer)

    files = customer.get_by_role("list", name="Attachments")
    expect(files).to_contain_text("checkout.png")
    expect(files).to_contain_text("PNG image")
    thumbnail = files.locator("img.ms-thumb")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate(LOADED_WIDTH) == 40  # the image really loaded

    staff = new_context().new_page()
    log_in(staff, PIA)
    staff.goto(f"/my/support/provider/tickets/{number}")
    staff_files = staff.get_by_role("list", name="Attachments")
    expect(staff_files).to_contain_text("checkout.png")
    assert staff_files.locator("img.ms-thumb").evaluate(LOADED_WIDTH) == 40
    with staff.expect_download() as download:  # the name opens it in the browser
        staff_files.get_by_role("link", name="Download checkout.png").click()
    assert download.value.suggested_filename == "checkout.png"
    assert download.value.path().read_bytes() == png(40, 30)
