"""Times on the pages read as people say them: "3 hours ago" in the page's language, the exact
time (to the minute, in the person's zone) on hover; deadlines stay exact."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .pages import LIST, ROWS, Staff, log_in

pytestmark = pytest.mark.browser

#: a clock time as the pages write it in English ("9:41 AM"), never with seconds
CLOCK = re.compile(r"\d{1,2}:\d{2}\s?[AP]M")


def test_recent_times_read_relative_with_the_exact_time_on_hover(anna_page) -> None:
    page = anna_page
    page.goto(LIST)
    page.locator(ROWS).get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/my/support/tickets/\d+"))
    opened = page.locator(".ms-timeline time").first
    expect(opened).to_have_text(re.compile(r"ago|now|yesterday"))
    exact = opened.get_attribute("title") or ""
    assert CLOCK.search(exact), exact
    assert not re.search(r"\d:\d{2}:\d{2}", exact), "no seconds"
    deadline = page.locator("[data-ms-exact]").first
    expect(deadline).to_have_text(CLOCK)


def test_a_german_inbox_says_it_in_german(page) -> None:
    # Georg works for a provider of the Alpen marketplace, whose language is German
    log_in(page, Staff("Georg Gipfel", "provider"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    updated = page.locator(f"{ROWS} time[datetime]:not([data-ms-exact])").first
    # the first is a deadline ahead, in the column "Fällig": "in 4 Tagen"
    expect(updated).to_have_text(re.compile(r"^(vor |in |jetzt|gestern|morgen)"))
