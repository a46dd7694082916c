"""The lists' headings, tabs and filters, each row of a list, a ticket's conversation and its
reply box are made once for what they show and then kept (``blueprints.fragments``): they must
still show every change at once, in the reader's language and time zone, each page's forms
must hold their own token and keys, and a host's own version of one that reads more than its
inputs is made every time."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from datetime import timedelta

import pytest
from jinja2 import ChoiceLoader, DictLoader

from marketplace_support import Category, Flags, clock
from marketplace_support.blueprints import fragments
from marketplace_support.workflow import Status

from .conftest import login
from .helpers import (
    add_information,
    change_status,
    form_inputs,
    listed_numbers,
    open_ticket,
    provider_replies,
    ticket_page_form,
    tickets_in_db,
)
from .host import Order

INBOX, CONSOLE = "/support/provider/", "/support/operator/"
STAFF_HEAD = "marketplace_support/staff/_list_head.html"
CUSTOMER_HEAD = "marketplace_support/customer/_list_head.html"
STAFF_ROW = "marketplace_support/staff/_ticket_row.html"
CUSTOMER_ROW = "marketplace_support/customer/_ticket_row.html"
CONVERSATION = "marketplace_support/_conversation.html"
REPLY_FORM = "marketplace_support/customer/_reply_form.html"
DETAILS = "marketplace_support/customer/_ticket_details.html"
COMPOSER = "marketplace_support/staff/_composer.html"
STAFF_DETAILS = "marketplace_support/staff/_ticket_details.html"
KEPT_PARTS = (
    STAFF_HEAD,
    CUSTOMER_HEAD,
    STAFF_ROW,
    CUSTOMER_ROW,
    CONVERSATION,
    REPLY_FORM,
    DETAILS,
    COMPOSER,
    STAFF_DETAILS,
)


@pytest.fixture
def made(app):
    """How many times each kept part's template was rendered (a list's rows: how many pages
    made at least one of them)."""
    counted: Counter[str] = Counter()
    get_template = app.jinja_env.get_template

    def counting(name, *args, **kwargs):
        if name in KEPT_PARTS:
            counted[name] += 1
        return get_template(name, *args, **kwargs)

    app.jinja_env.get_template = counting
    return counted


def tab_count(page: str, label: str) -> int:
    found = re.search(rf">\s*{re.escape(label)} <span class=\"ms-count\">(\d+)</span>", page)
    assert found, f"no tab {label!r}"
    return int(found.group(1))


def test_the_console_head_is_made_once_and_again_when_a_count_moves(app, client, made):
    login(client, "alice")
    open_ticket(client, order="o-hosting", subject="Hosting is slow")
    login(client, "olive")
    first = client.get(CONSOLE).get_data(as_text=True)
    assert client.get(CONSOLE).get_data(as_text=True) == first
    assert made[STAFF_HEAD] == 1
    assert tab_count(first, "All") == 1
    assert '<option value="open">Open (1)</option>' in first

    login(client, "alice")
    open_ticket(client, order="o-mail", subject="Mail bounces", priority="urgent")
    login(client, "olive")
    after = client.get(CONSOLE).get_data(as_text=True)
    assert tab_count(after, "All") == 2
    assert '<option value="open">Open (2)</option>' in after
    assert made[STAFF_HEAD] == 2


def test_the_console_head_shows_the_filters_chosen(client, made):
    login(client, "olive")
    page = client.get(f"{CONSOLE}?priority=urgent&provider=p-post").get_data(as_text=True)
    assert '<option value="urgent" selected>Urgent</option>' in page
    assert '<option value="p-post" selected>Post &amp; Co</option>' in page
    plain = client.get(CONSOLE).get_data(as_text=True)
    assert "selected>Urgent" not in plain
    assert "selected>Post &amp; Co" not in plain
    assert made[STAFF_HEAD] == 2


def test_the_head_is_in_each_readers_language(app, client, marketplace, made):
    # the same inputs in both languages (the operator's name and the problem areas named
    # the same): only the language tells the two apart
    for locale in ("en", "de"):
        marketplace.texts[("t1", "operator_name", locale)] = "Market"
    marketplace.categories["t1"] = [Category("hosting", "Hosting")]
    login(client, "pete")
    assert '<h1 class="ms-h1">Support inbox</h1>' in client.get(INBOX).get_data(as_text=True)
    app.config["TEST_LOCALE"] = "de"
    german = client.get(INBOX).get_data(as_text=True)
    assert '<h1 class="ms-h1">Support-Posteingang</h1>' in german
    assert '<option value="">Alle Prioritäten</option>' in german
    assert made[STAFF_HEAD] == 2


def test_a_provider_sees_its_own_colleagues_not_the_heads_of_another(client):
    login(client, "pete")
    pete = client.get(INBOX).get_data(as_text=True)
    assert ">Pat</option>" in pete
    login(client, "quinn")  # Post & Co: same tenant, same filters chosen, other colleagues
    quinn = client.get(INBOX).get_data(as_text=True)
    assert ">Pat</option>" not in quinn


def test_the_customer_list_head_follows_the_tickets_and_the_orders(app, client, marketplace, made):
    login(client, "alice")
    empty = client.get("/support/").get_data(as_text=True)
    assert client.get("/support/").get_data(as_text=True) == empty
    assert made[CUSTOMER_HEAD] == 1
    assert tab_count(empty, "Open") == 0

    open_ticket(client, order="o-hosting", subject="Hosting is slow")
    assert tab_count(client.get("/support/").get_data(as_text=True), "Open") == 1

    marketplace.add_order("t1", "acme", Order("o-dns", "DNS Pro", "p-nimbus", "Nimbus Hosting"))
    page = client.get("/support/").get_data(as_text=True)
    assert '<option value="o-dns">DNS Pro</option>' in page
    login(client, "bob")  # another customer of the same tenant: his own orders only
    bob = client.get("/support/").get_data(as_text=True)
    assert "DNS Pro" not in bob and "Bob&#39;s shop" in bob


def test_a_refused_search_is_shown_next_to_its_field(client):
    login(client, "alice")
    page = client.get("/support/?q=slow&sort=sideways").get_data(as_text=True)
    assert 'id="ms-sort-error"' in page
    assert 'id="ms-sort-error"' not in client.get("/support/?q=slow").get_data(as_text=True)


def test_a_hosts_head_that_reads_more_than_its_inputs_is_made_on_every_page(app, client, caplog):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader({STAFF_HEAD: "<p>Desk of {{ config.DESK_NAME }}</p>"}),
            app.jinja_env.loader,
        ]
    )
    login(client, "olive")
    app.config["DESK_NAME"] = "Olive"
    with caplog.at_level(logging.WARNING, logger="marketplace_support.blueprints.fragments"):
        assert "<p>Desk of Olive</p>" in client.get(CONSOLE).get_data(as_text=True)
    app.config["DESK_NAME"] = "Otto"
    assert "<p>Desk of Otto</p>" in client.get(CONSOLE).get_data(as_text=True)
    assert "reads config besides its inputs" in caplog.text


def test_every_status_a_staff_list_filters_by_is_offered(client):
    login(client, "pete")
    page = client.get(INBOX).get_data(as_text=True)
    for status in Status:
        assert f'<option value="{status.value}"' in page


#: a host's copy of the inbox made before the head was kept: it reads the page's variables
OLD_STAFF_COPY = """{% extends "marketplace_support/base.html" %}
{% block support_content %}<ul>
{%- for person in colleagues %}<li>{{ person.name }}</li>{% endfor %}
{%- for category in categories %}<li>{{ category.key }}</li>{% endfor %}
{%- for status in statuses %}<li>{{ status.value }}</li>{% endfor %}
{%- for priority in priorities %}<li>{{ priority.value }}</li>{% endfor %}
<li>{{ api_tokens }}</li></ul>{% endblock %}"""

OLD_CUSTOMER_COPY = """{% extends "marketplace_support/base.html" %}
{% block support_content %}<ul>
{%- for order in services %}<li>{{ order.label }}</li>{% endfor %}
{%- for name, messages in errors.items() %}<li>{{ name }}: {{ messages | join }}</li>{% endfor %}
</ul>{% endblock %}"""


def test_a_hosts_copy_of_a_list_page_made_before_still_gets_its_variables(app, client):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "marketplace_support/staff/tickets.html": OLD_STAFF_COPY,
                    "marketplace_support/customer/tickets.html": OLD_CUSTOMER_COPY,
                }
            ),
            app.jinja_env.loader,
        ]
    )
    login(client, "pete")
    inbox = client.get(INBOX).get_data(as_text=True)
    for shown in ("<li>Pat</li>", "<li>technical</li>", "<li>open</li>", "<li>urgent</li>"):
        assert shown in inbox
    login(client, "alice")
    assert "<li>Web hosting M</li>" in client.get("/support/").get_data(as_text=True)
    refused = client.get("/support/?q=slow&sort=sideways").get_data(as_text=True)
    assert "<li>sort: " in refused


class _TranslatableText(str):
    """A host's own text type without a hash, as some translation libraries' proxies are."""

    __hash__ = None  # type: ignore[assignment]


def test_a_head_whose_inputs_cannot_be_keyed_is_made_every_time(client, marketplace, made):
    marketplace.categories["t1"] = [Category("hosting", _TranslatableText("Hosting"))]
    login(client, "pete")
    for _ in range(2):
        page = client.get(INBOX)
        assert page.status_code == 200
        assert '<option value="hosting">Hosting</option>' in page.get_data(as_text=True)
    assert made[STAFF_HEAD] == 2


# -- rows ---------------------------------------------------------------------------------


def row_of(page: str, number: int) -> str:
    found = re.search(rf'<tr[^>]*><td><a href="[^"]*/tickets/{number}">.*?</tr>', page, re.S)
    assert found, f"no row of ticket {number}"
    return found.group(0)


def test_a_row_is_made_once_and_again_when_its_ticket_changes(client, made):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    login(client, "pete")
    first = client.get(INBOX).get_data(as_text=True)
    assert client.get(INBOX).get_data(as_text=True) == first
    assert made[STAFF_ROW] == 1
    assert "Open" in row_of(first, number) and "Urgent" not in row_of(first, number)

    login(client, "alice")
    add_information(client, number, "Now it is down completely.")
    login(client, "olive")
    client.post(
        f"/support/operator/tickets/{number}/change_priority",
        data={"priority": "urgent", "csrf_token": _token(client, number)},
    )
    login(client, "pete")
    after = row_of(client.get(INBOX).get_data(as_text=True), number)
    assert "Urgent" in after
    assert made[STAFF_ROW] == 2


def _token(client, number: int) -> str:
    page = client.get(f"/support/operator/tickets/{number}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_row_turns_overdue_when_its_target_passes_without_any_change(app, client):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", priority="urgent")
    (ticket,) = tickets_in_db(app)
    login(client, "pete")
    with clock.frozen_at(ticket.next_due_at - timedelta(minutes=1)):
        before = row_of(client.get(INBOX).get_data(as_text=True), number)
    with clock.frozen_at(ticket.next_due_at + timedelta(minutes=1)):
        after = row_of(client.get(INBOX).get_data(as_text=True), number)
    assert "Overdue since" not in before
    assert "Overdue since" in after


def test_a_row_is_in_each_readers_time_zone_and_language(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    for user, zone in (("pete", "Europe/Helsinki"), ("pat", "America/New_York")):
        tenant, actor = marketplace.actors[user]
        marketplace.actors[user] = (tenant, dataclasses.replace(actor, timezone=zone))
    login(client, "pete")
    helsinki = row_of(client.get(INBOX).get_data(as_text=True), number)
    login(client, "pat")
    new_york = row_of(client.get(INBOX).get_data(as_text=True), number)
    shown = re.compile(r"<time [^>]*>([^<]+)</time>")
    assert shown.findall(helsinki) != shown.findall(new_york)  # seven hours apart
    app.config["TEST_LOCALE"] = "de"
    german = row_of(client.get(INBOX).get_data(as_text=True), number)
    assert "Neues</span>" in german and "Offen" in german
    assert "New activity" not in german


def test_the_console_row_names_the_operator_as_the_tenant_calls_it_now(client, marketplace):
    marketplace.texts[("t1", "operator_name", "en")] = "Market Desk"
    login(client, "alice")
    number = open_ticket(client, order="none", subject="Billing question")
    login(client, "olive")
    assert "<td>Market Desk</td>" in row_of(client.get(CONSOLE).get_data(as_text=True), number)
    marketplace.texts[("t1", "operator_name", "en")] = "Nordic Help"
    row = row_of(client.get(CONSOLE).get_data(as_text=True), number)
    assert "<td>Nordic Help</td>" in row and "Market Desk" not in row


def test_the_customers_row_names_the_operator_as_the_tenant_calls_it_now(client, marketplace):
    marketplace.texts[("t1", "operator_name", "en")] = "Market Desk"
    login(client, "alice")
    number = open_ticket(client, order="none", subject="Billing question")
    assert "<td>Market Desk</td>" in row_of(client.get("/support/").get_data(as_text=True), number)
    marketplace.texts[("t1", "operator_name", "en")] = "Nordic Help"
    row = row_of(client.get("/support/").get_data(as_text=True), number)
    assert "<td>Nordic Help</td>" in row and "Market Desk" not in row


def test_a_search_shows_its_snippet_and_the_plain_list_does_not(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting")
    provider_replies(app, marketplace, number, "The disk is full.", "kept-rows-snippet-0001")
    login(client, "pete")
    searched = row_of(client.get(f"{INBOX}?q=disk").get_data(as_text=True), number)
    assert re.search(r'<p class="ms-snippet">[^<]*<mark>disk</mark>', searched)
    assert "ms-snippet" not in row_of(client.get(INBOX).get_data(as_text=True), number)


def test_a_hosts_row_that_reads_more_than_its_inputs_is_made_on_every_page(app, client, caplog):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {STAFF_ROW: "<tr><td>#{{ ticket.number }} for {{ config.DESK_NAME }}</td></tr>"}
            ),
            app.jinja_env.loader,
        ]
    )
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    login(client, "pete")
    app.config["DESK_NAME"] = "Pete"
    with caplog.at_level(logging.WARNING, logger="marketplace_support.blueprints.fragments"):
        assert "<td>#1 for Pete</td>" in client.get(INBOX).get_data(as_text=True)
    app.config["DESK_NAME"] = "Pat"
    assert "<td>#1 for Pat</td>" in client.get(INBOX).get_data(as_text=True)
    assert "reads config besides its inputs" in caplog.text


def test_the_rows_kept_are_bounded_and_every_row_is_still_shown(client, monkeypatch):
    monkeypatch.setattr(fragments, "KEPT_ROWS", 2)
    login(client, "alice")
    numbers = [open_ticket(client, order="o-hosting", subject=f"Ticket {n}") for n in range(3)]
    login(client, "pete")
    for _ in range(2):
        page = client.get(INBOX).get_data(as_text=True)
        assert sorted(listed_numbers(page)) == numbers
    assert len(fragments._parts_of(client.application.jinja_env).rows) == 2


# -- a ticket's conversation --------------------------------------------------------------


def conversation_of(page: str) -> str:
    found = re.search(r'<ol class="ms-timeline">.*</ol>', page, re.S)
    assert found, "no conversation"
    return found.group(0)


def test_a_conversation_is_made_once_and_again_when_someone_writes(app, client, marketplace, made):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    first = conversation_of(client.get(f"/support/tickets/{number}").get_data(as_text=True))
    made_first = made[CONVERSATION]  # and once more as ``_timeline.html`` imports its macros
    assert conversation_of(client.get(f"/support/tickets/{number}").get_data(as_text=True)) == first
    assert made[CONVERSATION] == made_first
    provider_replies(
        app, marketplace, number, "We are moving you to a new disk.", "kept-conversation-0001"
    )
    after = conversation_of(client.get(f"/support/tickets/{number}").get_data(as_text=True))
    assert "We are moving you to a new disk." in after
    assert re.search(
        r'<li class="ms-message ms-message--provider" id="latest">[^\n]*new disk', after
    )
    assert made[CONVERSATION] == made_first + 1


def test_a_conversation_is_in_each_readers_time_zone_and_language(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    add_information(client, number, "It is down since this morning.")
    for user, zone in (("pete", "Europe/Helsinki"), ("pat", "America/New_York")):
        tenant, actor = marketplace.actors[user]
        marketplace.actors[user] = (tenant, dataclasses.replace(actor, timezone=zone))
    page = f"/support/provider/tickets/{number}"
    login(client, "pete")
    helsinki = conversation_of(client.get(page).get_data(as_text=True))
    login(client, "pat")
    new_york = conversation_of(client.get(page).get_data(as_text=True))
    shown = re.compile(r"<time [^>]*>([^<]+)</time>")
    assert shown.findall(helsinki) != shown.findall(new_york)  # seven hours apart
    app.config["TEST_LOCALE"] = "de"
    german = conversation_of(client.get(page).get_data(as_text=True))
    assert re.search(r"<time [^>]*>\d\d\.\d\d\.\d{4}, ", german)  # 02.12.2026, 09:30


def test_the_conversation_names_the_operator_as_the_tenant_calls_it_now(client, marketplace):
    marketplace.texts[("t1", "operator_name", "en")] = "Market Desk"
    login(client, "alice")
    number = open_ticket(client, order="none", subject="Billing question")
    assert "Sent to Market Desk." in client.get(f"/support/tickets/{number}").get_data(as_text=True)
    marketplace.texts[("t1", "operator_name", "en")] = "Nordic Help"
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Sent to Nordic Help." in page and "Market Desk" not in page


def test_a_page_with_its_folded_parts_open_and_the_plain_page_are_kept_apart(client):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    for n in range(5):
        add_information(client, number, f"Detail number {n}.")
    url = f"/support/tickets/{number}"
    folded = '<li class="ms-earlier" id="ms-earlier"><details>'
    opened = '<li class="ms-earlier" id="ms-earlier"><details open>'
    assert folded in client.get(url).get_data(as_text=True)
    assert opened in client.get(f"{url}?entries=all").get_data(as_text=True)
    assert folded in client.get(url).get_data(as_text=True)


def test_a_hosts_conversation_that_reads_more_than_its_inputs_is_made_on_every_page(
    app, client, caplog
):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader({CONVERSATION: "<ol><li>{{ config.DESK_NAME }} answers here</li></ol>"}),
            app.jinja_env.loader,
        ]
    )
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    app.config["DESK_NAME"] = "Pete"
    with caplog.at_level(logging.WARNING, logger="marketplace_support.blueprints.fragments"):
        page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "<li>Pete answers here</li>" in page
    app.config["DESK_NAME"] = "Pat"
    assert "<li>Pat answers here</li>" in client.get(f"/support/tickets/{number}").get_data(
        as_text=True
    )
    assert "reads config besides its inputs" in caplog.text


# -- a kept form ----------------------------------------------------------------------------


def test_a_kept_reply_box_gets_each_pages_own_token_and_a_fresh_key(client, made):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    pages = [client.get(f"/support/tickets/{number}").get_data(as_text=True) for _ in range(3)]
    assert made[REPLY_FORM] == 1
    forms = [form_inputs(page, "/reply") for page in pages]
    assert len({form["submission_key"] for form in forms}) == 3
    assert all(page.count("data-ms-renew=") == 1 for page in pages)  # the page's first token
    assert "\x00" not in "".join(pages)
    # a reply sent with the first page's form is taken, and the same form again adds nothing
    data = {**forms[0], "body": "The disk is full again."}
    assert client.post(f"/support/tickets/{number}/reply", data=data).status_code == 303
    assert client.post(f"/support/tickets/{number}/reply", data=data).status_code == 303
    second = {**forms[1], "body": "And the backups stopped."}
    assert client.post(f"/support/tickets/{number}/reply", data=second).status_code == 303
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert page.count("The disk is full again.") == 1 and "And the backups stopped." in page


def test_a_kept_reply_box_tells_the_tenants_upload_limits_as_they_are_now(client, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    marketplace.flags["t1"] = Flags(max_attachments=2)
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "up to 2 files" in form_of(page, "/reply")
    marketplace.flags["t1"] = Flags(max_attachments=4)
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "up to 4 files" in form_of(page, "/reply") and "up to 2 files" not in page


def test_a_refused_reply_shows_what_was_typed_and_the_next_page_a_fresh_box(client):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    data = {**ticket_page_form(client, number), "body": "x" * 20_001}
    refused = client.post(f"/support/tickets/{number}/reply", data=data)
    assert refused.status_code == 422
    assert "x" * 20_001 in form_of(refused.get_data(as_text=True), "/reply")
    fresh = form_of(client.get(f"/support/tickets/{number}").get_data(as_text=True), "/reply")
    assert "xxxx" not in fresh and "ms-field--error" not in fresh


def details_of(page: str) -> str:
    found = re.search(r'<details class="ms-panel ms-details.*?</dl>.*?</details>', page, re.S)
    assert found, "no details"
    return without_tokens(found.group(0))


def without_tokens(html: str) -> str:
    """``html`` without its forms' tokens and keys (new on every page; a token also tells the
    second it was made in)."""
    return re.sub(r'name="(csrf_token|submission_key)" value="[^"]*"', r'name="\1"', html)


def test_kept_details_follow_the_ticket_and_the_tenants_problem_areas(client, marketplace, made):
    marketplace.categories["t1"] = [Category("technical", "Technical problem")]
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    url = f"/support/tickets/{number}"
    first = details_of(client.get(url).get_data(as_text=True))
    made_first = made[DETAILS]
    assert details_of(client.get(url).get_data(as_text=True)) == first
    assert made[DETAILS] == made_first
    assert "<dd>Technical problem</dd>" in first and "/resolve" in first and "/reopen" not in first

    assert change_status(client, number, "resolve").status_code == 303
    resolved = details_of(client.get(url).get_data(as_text=True))
    assert "<dd>Resolved</dd>" in resolved and "/reopen" in resolved and "/resolve" not in resolved
    marketplace.categories["t1"] = [Category("technical", "Technical trouble")]
    assert "<dd>Technical trouble</dd>" in details_of(client.get(url).get_data(as_text=True))


def test_a_refused_emergency_report_is_shown_and_the_next_page_is_fresh(client, marketplace):
    marketplace.flags["t1"] = Flags(emergencies_allowed=True)
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    url = f"/support/tickets/{number}"
    data = {**form_inputs(client.get(url).get_data(as_text=True), "/raise_emergency")}
    refused = client.post(f"{url}/raise_emergency", data={**data, "explanation": " "})
    assert refused.status_code == 422
    assert '<details class="ms-emergency" open>' in refused.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert '<details class="ms-emergency">' in page and "ms-field--error" not in page


def test_a_kept_composer_follows_what_the_ticket_allows_and_shows_a_refused_message(client, made):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    login(client, "pete")
    url = f"/support/provider/tickets/{number}"
    pages = [client.get(url).get_data(as_text=True) for _ in range(2)]
    assert made[COMPOSER] == 1
    keys = {form_inputs(page, "/compose")["submission_key"] for page in pages}
    assert len(keys) == 2 and "Send and resolve" in form_of(pages[0], "/compose")

    fields = {**form_inputs(pages[1], "/compose"), "kind": "note", "body": ""}
    refused = client.post(f"{url}/compose", data=fields)
    assert refused.status_code == 422
    assert 'value="note" checked' in form_of(refused.get_data(as_text=True), "/compose")
    fields = {
        **form_inputs(pages[1], "/compose"),
        "kind": "reply",
        "body": "Fixed.",
        "then": "resolve",
    }
    assert client.post(f"{url}/compose", data=fields).status_code == 303
    resolved = form_of(client.get(url).get_data(as_text=True), "/compose")
    # a resolved ticket takes notes only
    assert "Send and resolve" not in resolved and 'value="reply"' not in resolved
    assert 'value="note" checked' in resolved


def staff_details_of(page: str) -> str:
    found = re.search(r'<aside class="ms-details-column">.*</aside>', page, re.S)
    assert found, "no details"
    return without_tokens(found.group(0))


def test_kept_staff_details_turn_overdue_and_follow_an_assignment(app, client, made):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", priority="urgent")
    (ticket,) = tickets_in_db(app)
    login(client, "pete")
    url = f"/support/provider/tickets/{number}"
    with clock.frozen_at(ticket.first_response_due_at - timedelta(minutes=1)):
        before = staff_details_of(client.get(url).get_data(as_text=True))
        assert staff_details_of(client.get(url).get_data(as_text=True)) == before
        made_before = made[STAFF_DETAILS]
    assert made_before == 1
    with clock.frozen_at(ticket.first_response_due_at + timedelta(minutes=1)):
        after = staff_details_of(client.get(url).get_data(as_text=True))
    assert "Overdue" not in before and "Overdue" in after
    assert "<dd>Nobody yet</dd>" in after and "Assign to me" in after

    page = client.get(url).get_data(as_text=True)
    data = {**form_inputs(page, "/assign"), "assignee": "pete"}
    assert client.post(f"{url}/assign", data=data).status_code == 303
    assigned = staff_details_of(client.get(url).get_data(as_text=True))
    assert "<dd>Pete</dd>" in assigned and "Assign to me" not in assigned


def test_a_refused_re_routing_is_shown_and_the_next_page_is_fresh(client):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    login(client, "olive")
    url = f"/support/operator/tickets/{number}"
    data = {**form_inputs(client.get(url).get_data(as_text=True), "/reroute")}
    refused = client.post(f"{url}/reroute", data={**data, "route_to": "operator", "reason": ""})
    assert refused.status_code == 422
    assert "ms-field--error" in form_of(refused.get_data(as_text=True), "/reroute")
    assert "ms-field--error" not in form_of(client.get(url).get_data(as_text=True), "/reroute")


def form_of(page: str, action_ending: str) -> str:
    for found in re.finditer(r'<form [^>]*action="([^"]*)"[^>]*>.*?</form>', page, re.S):
        if found.group(1).endswith(action_ending):
            return found.group(0)
    raise AssertionError(f"no form posting to …{action_ending}")


def test_the_parts_kept_are_bounded_by_their_length_and_every_page_is_whole(
    app, client, monkeypatch
):
    monkeypatch.setattr(fragments, "KEPT_CHARACTERS", 48_000)  # a part of 3,000 at most
    login(client, "alice")
    short = open_ticket(client, order="o-hosting", subject="Short")
    long = open_ticket(client, order="o-hosting", subject="Long")
    assert add_information(client, long, "Log: " + "disk full " * 400).status_code == 303
    kept = fragments._parts_of(app.jinja_env).kept
    for _ in range(2):
        for number in (short, long):
            page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
            assert "Add information" in page and "Ticket details" in page
        assert "disk full " * 399 in conversation_of(page)
    assert 0 < kept.characters <= 48_000
    # the long conversation is made on every page, not kept
    assert not any("disk full disk full" in part for part in kept._kept.values())


def test_a_hosts_copy_of_a_ticket_page_made_before_still_shows_the_conversation(app, client):
    # a copy made before the parts were kept: it writes the conversation and the reply box
    # itself, with the macros of ``_timeline.html`` and ``_macros.html``
    page = """{% extends "marketplace_support/base.html" %}
{% import "marketplace_support/_macros.html" as m %}
{% import "marketplace_support/_timeline.html" as t %}
{% block support_content %}
<h1>Our own ticket page #{{ ticket.number }}</h1>
{{ t.answers(ticket) }}
{{ t.timeline(view, operator_name) }}
{{ m.message_form(ticket, "reply", "Add", "Send", values, errors, failed, kept_files=kept) }}
{% endblock %}"""
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"marketplace_support/customer/ticket.html": page}), app.jinja_env.loader]
    )
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    assert add_information(client, number, "It is down since this morning.").status_code == 303
    shown = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert f"<h1>Our own ticket page #{number}</h1>" in shown
    assert "It is down since this morning." in conversation_of(shown)
    assert form_inputs(shown, "/reply")["submission_key"]
    assert "\x00" not in shown
