"""Request types in a browser: a customer answers the questions of "No connection", is told of
a mandatory one left out, completes it; the provider reads the answers and filters by them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .accessibility import describe, violations
from .pages import ANNA, PIA, ROWS, log_in, radio, sent_ticket_number, skip_browser_checks

pytestmark = pytest.mark.browser


def choose_no_connection(page: Page, subject: str) -> None:
    page.goto("/my/support/new")
    radio(page, "Web hosting M").check()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Problem area").select_option(label="No connection")


def test_a_customer_answers_no_connection_and_the_provider_filters_by_the_answer(
    new_context: Any,
    axe_source: str,
) -> None:
    subject = "Office has no internet since 8:00"
    page = new_context().new_page()
    log_in(page, ANNA)
    choose_no_connection(page, subject)
    # switched in place: the area's questions, not the guided ones
    expect(page.get_by_label("What is the issue about?")).to_be_hidden()
    address = page.get_by_label("Address of the connection")
    expect(address).to_be_visible()
    expect(page.get_by_text("Street, number and town, as on the order.")).to_be_visible()
    address.fill("Esplanadi 12, Helsinki")
    lights = page.get_by_role("group", name="Router lights")
    expect(lights.get_by_role("radio")).to_have_count(4)
    found = violations(page, axe_source)
    assert not found, describe(found)

    page.get_by_role("button", name="Send ticket").click()
    # refused before sending: the mandatory choice is left out
    expect(lights).to_contain_text("Fill in this field.")
    expect(page).to_have_url(re.compile(r"/my/support/new$"))
    lights.get_by_role("radio", name="Blinking red").check()
    page.get_by_role("button", name="Send ticket").click()

    number = sent_ticket_number(page)
    answers = page.get_by_role("region", name="Answers to the questions of No connection")
    expect(answers).to_contain_text("Esplanadi 12, Helsinki")
    expect(answers).to_contain_text("Blinking red")
    found = violations(page, axe_source)
    assert not found, describe(found)

    staff = new_context().new_page()
    log_in(staff, PIA)
    staff.goto(f"/my/support/provider/tickets/{number}")
    answers = staff.get_by_role("region", name="Answers to the questions of No connection")
    expect(answers.locator("dt").first).to_have_text("Address of the connection")
    expect(answers).to_contain_text("Blinking red")
    found = violations(staff, axe_source)
    assert not found, describe(found)
    staff.goto("/my/support/provider/")
    staff.get_by_label("Answer").select_option(label="Blinking red")
    staff.get_by_role("button", name="Show").click()
    expect(staff).to_have_url(re.compile(r"answer=router_lights%3Ablinking_red"))
    expect(staff.locator(ROWS).filter(has_text=subject)).to_have_count(1)
    found = violations(staff, axe_source)
    assert not found, describe(found)
    staff.get_by_label("Answer").select_option(label="All green")
    staff.get_by_role("button", name="Show").click()
    expect(staff.locator(ROWS).filter(has_text=subject)).to_have_count(0)


def test_the_server_s_refusal_keeps_the_answers_and_passes_axe(
    anna_page: Page,
    axe_source: str,
) -> None:
    page = anna_page
    choose_no_connection(page, "Offline again")
    page.get_by_label("Address of the connection").fill("Mannerheimintie 1")
    skip_browser_checks(page)
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_load_state()
    summary = page.locator(".ms-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Fill in this field.")
    expect(page.get_by_label("Address of the connection")).to_have_value("Mannerheimintie 1")
    found = violations(page, axe_source)
    assert not found, describe(found)
    summary.get_by_role("link", name="Fill in this field.").click()
    focused = page.evaluate("document.activeElement.name")
    assert focused == "answer-router_lights"


def test_without_javascript_the_area_is_chosen_first(new_context: Any) -> None:
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, ANNA)
    page.goto("/my/support/new")
    page.get_by_label("Subject").fill("No connection at all")
    page.get_by_label("Problem area").select_option(label="No connection")
    page.get_by_role("button", name="Show the questions for this problem area").click()
    expect(page.get_by_label("Subject")).to_have_value("No connection at all")
    expect(page.get_by_label("Address of the connection")).to_be_visible()
    expect(page.get_by_label("What is the issue about?")).to_be_hidden()
