"""The example marketplace's language switcher: the support pages follow the language a
person picks, and keep it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..helpers import translated
from .pages import LIST, NEW_TICKET, Customer, log_in

pytestmark = pytest.mark.browser

#: ben@birch.example, a customer of Birch AB on "Nordic Cloud Market" (English by default);
#: no other browser test uses him, so his language setting can change here
BEN = Customer("Ben Berg")


def switch_to(page, language_name: str) -> None:
    switcher = page.get_by_label("Language")
    switcher.select_option(label=language_name)
    page.locator("form.language").get_by_role("button", name="OK").click()


def test_a_customer_switches_the_support_pages_to_french_and_back(new_context) -> None:
    page = new_context().new_page()
    log_in(page, BEN)
    page.goto(LIST)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My support tickets")

    switch_to(page, "Français")
    expect(page).to_have_url(re.compile(rf"{LIST}$"))  # back on the same page
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated("fr", "My support tickets")
    )
    page.get_by_role("link", name=translated("fr", "New ticket")).click()
    expect(page).to_have_url(re.compile(rf"{NEW_TICKET}$"))
    expect(
        page.get_by_role("group", name=translated("fr", "Which service is this about?"))
    ).to_be_visible()

    # his setting: another browser, logged in again, is French too
    other = new_context().new_page()
    log_in(other, BEN)
    other.goto(LIST)
    expect(other.locator("html")).to_have_attribute("lang", "fr")

    switch_to(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("New ticket")
