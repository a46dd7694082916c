"""Sending the new-ticket form twice opens one ticket.

A quick double click: Chromium sends the form once. A second click while the first sending
is still on its way (a slow connection: the server holds posts back for a moment): the page's
script refuses to send again; without the script the browser does send again, and the server
recognises the resend by the form's submission key.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .pages import NEW_TICKET, fill_new_ticket, open_ticket_count, rows_with_subject
from .serving import RequestLog

pytestmark = pytest.mark.browser

SENT_URL = re.compile(r"/my/support/tickets/\d+\?notice=opened$")


def posts_so_far(request_log: RequestLog, start: int) -> int:
    return request_log.requests[start:].count(("POST", NEW_TICKET))


def send_and_count_tickets(
    page: Page, subject: str, request_log: RequestLog, send: Callable[[int], None]
) -> int:
    """Fill the form, ``send(start)`` it, check that one ticket was opened; how many times the
    form reached the server."""
    before = open_ticket_count(page)
    page.goto(NEW_TICKET)
    fill_new_ticket(page, subject=subject)
    start = len(request_log.requests)
    with request_log.slow_posts(0.4):
        send(start)
        # (not wait_for_url: it fails on the first navigation, which the second replaces)
        expect(page).to_have_url(SENT_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text(subject)

    expect(rows_with_subject(page, subject)).to_have_count(1)
    assert open_ticket_count(page) == before + 1
    return posts_so_far(request_log, start)


def click_again_while_sending(page: Page, request_log: RequestLog) -> Callable[[int], None]:
    """Click "Send ticket", and once the form reached the server click the same spot again
    (a locator would wait for the next page: the mouse clicks where the button still is)."""

    def send(start: int) -> None:
        button = page.get_by_role("button", name="Send ticket")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.click(x, y)
        deadline = time.monotonic() + 5
        while posts_so_far(request_log, start) == 0:
            assert time.monotonic() < deadline, "the form was not sent"
            time.sleep(0.01)
        page.mouse.click(x, y)

    return send


def test_double_click_on_send_opens_one_ticket(anna_page: Page, request_log: RequestLog) -> None:
    button = anna_page.get_by_role("button", name="Send ticket")
    posts = send_and_count_tickets(
        anna_page, "Double click on send", request_log, lambda start: button.dblclick()
    )
    assert posts == 1


def test_second_click_while_sending_opens_one_ticket(
    anna_page: Page, request_log: RequestLog
) -> None:
    send = click_again_while_sending(anna_page, request_log)
    posts = send_and_count_tickets(anna_page, "Clicked again while sending", request_log, send)
    assert posts == 1, "support.js lets a form be sent once"


def test_second_click_while_sending_opens_one_ticket_without_javascript(
    new_context: Any, anna_state: dict[str, Any], request_log: RequestLog
) -> None:
    page = new_context(storage_state=anna_state, java_script_enabled=False).new_page()
    send = click_again_while_sending(page, request_log)
    posts = send_and_count_tickets(page, "Clicked again, no script", request_log, send)
    assert posts == 2, "without the script the browser sends twice: the server's guard is tested"
