"""The provider inbox and the operator console, as provider and operator staff use them."""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest
from flask import request, request_finished, request_started, url_for

from marketplace_support import Flags, blueprints, signals
from marketplace_support.blueprints import area
from marketplace_support.workflow import Action

from . import helpers
from .conftest import login
from .helpers import form_inputs, hidden_inputs, listed_numbers, open_ticket, tickets_in_db

INBOX, CONSOLE = "/support/provider/", "/support/operator/"


def listed(html: str) -> list[int]:
    return listed_numbers(html)


def staff_act(client, area: str, number: int, action: str, **fields: str):
    """Press a button or send a form of a staff ticket page."""
    page = client.get(f"/support/{area}/tickets/{number}").get_data(as_text=True)
    form = {"csrf_token": hidden_inputs(page)["csrf_token"], **fields}
    if action in ("reply", "note"):
        form.setdefault("submission_key", f"{action}-key-{len(page)}-0123456789")
    return client.post(f"/support/{area}/tickets/{number}/{action}", data=form)


@pytest.fixture
def two_tickets(client):
    """Alice's hosting ticket (Nimbus, #1) and mail ticket (Post & Co, #2)."""
    login(client, "alice")
    hosting = open_ticket(client, order="o-hosting", subject="Hosting is slow")
    mail = open_ticket(client, order="o-mail", subject="Mail bounces", priority="urgent")
    return hosting, mail


def test_provider_inbox_lists_only_tickets_routed_to_its_provider(client, two_tickets):
    hosting, mail = two_tickets
    login(client, "pete")
    assert listed(client.get(INBOX).get_data(as_text=True)) == [hosting]
    assert client.get(f"{INBOX}tickets/{mail}").status_code == 404
    login(client, "quinn")
    assert listed(client.get(INBOX).get_data(as_text=True)) == [mail]
    login(client, "cora")  # another tenant's provider
    assert listed(client.get(INBOX).get_data(as_text=True)) == []
    assert client.get(f"{INBOX}tickets/{hosting}").status_code == 404


def test_operator_console_shows_every_ticket_of_its_tenant_only(client, two_tickets):
    login(client, "olive")
    assert sorted(listed(client.get(CONSOLE).get_data(as_text=True))) == sorted(two_tickets)
    login(client, "otto")  # operator of t2
    assert listed(client.get(CONSOLE).get_data(as_text=True)) == []
    assert client.get(f"{CONSOLE}tickets/1").status_code == 404


def test_workspaces_are_refused_to_people_without_the_role(client):
    login(client, "alice")
    response = client.get(INBOX)
    assert response.status_code == 403
    assert "The support inbox is for the staff of service providers." in response.get_data(
        as_text=True
    )
    login(client, "pete")
    assert client.get(CONSOLE).status_code == 403


def test_the_provider_sees_the_customer_and_order_context(client, two_tickets):
    login(client, "pete")
    page = client.get(f"{INBOX}tickets/{two_tickets[0]}").get_data(as_text=True)
    for text in ("Alice", "alice@example.com", "Web hosting M", "(gold)", "The site answers 502"):
        assert text in page


def test_internal_notes_are_for_staff_and_never_reach_the_customer(app, client, two_tickets):
    hosting = two_tickets[0]
    login(client, "alice")
    for number in two_tickets:  # she has read both: nothing is new for her
        client.get(f"/support/tickets/{number}")
    before = client.get("/support/").get_data(as_text=True)
    login(client, "pete")
    assert (
        staff_act(client, "provider", hosting, "note", body="Customer's DB is huge").status_code
        == 303
    )
    staff_page = client.get(f"{INBOX}tickets/{hosting}").get_data(as_text=True)
    assert "Customer&#39;s DB is huge" in staff_page and "Internal note" in staff_page
    login(client, "olive")
    assert "Customer&#39;s DB is huge" in client.get(f"{CONSOLE}tickets/{hosting}").get_data(
        as_text=True
    )
    login(client, "alice")
    page = client.get(f"/support/tickets/{hosting}").get_data(as_text=True)
    assert "DB is huge" not in page and "Internal note" not in page
    # a note is not activity the customer can see: the list shows the same "Updated" time
    assert client.get("/support/").get_data(as_text=True) == before


def test_provider_asks_the_customer_and_the_answer_hands_it_back(client, two_tickets):
    hosting = two_tickets[0]
    login(client, "pete")
    response = staff_act(
        client, "provider", hosting, "reply", body="Which page is slow?", then="wait_for_customer"
    )
    assert response.status_code == 303
    login(client, "alice")
    page = client.get(f"/support/tickets/{hosting}").get_data(as_text=True)
    assert "Which page is slow?" in page
    assert "<dt>Status</dt><dd>Waiting for your reply</dd>" in page
    answer = form_inputs(page, "/reply")
    client.post(f"/support/tickets/{hosting}/reply", data={**answer, "body": "The checkout."})
    login(client, "pete")
    page = client.get(f"{INBOX}tickets/{hosting}").get_data(as_text=True)
    assert "<dt>Status</dt><dd>Open</dd>" in page and "The checkout." in page


def test_a_staff_reply_on_an_open_ticket_puts_it_in_progress(app, client, two_tickets):
    login(client, "pete")
    staff_act(client, "provider", two_tickets[0], "reply", body="Looking into it.")
    assert tickets_in_db(app)[0].status == "in_progress"


def test_inbox_filters_search_sorts_and_counts(client):
    login(client, "alice")
    low = open_ticket(client, subject="Renew certificate", priority="low", category="usage")
    urgent = open_ticket(client, subject="Site down", priority="urgent")
    high = open_ticket(client, subject="Slow admin", priority="high")
    login(client, "pete")
    by_priority = client.get(f"{INBOX}?sort=priority").get_data(as_text=True)
    assert listed(by_priority) == [urgent, high, low]
    assert listed(client.get(f"{INBOX}?priority=low").get_data(as_text=True)) == [low]
    assert listed(client.get(f"{INBOX}?category=usage").get_data(as_text=True)) == [low]
    # a word of one subject only (the descriptions all say "The site answers 502")
    assert listed(client.get(f"{INBOX}?q=admin").get_data(as_text=True)) == [high]
    assert listed(client.get(f"{INBOX}?q=%23{high}").get_data(as_text=True)) == [high]
    staff_act(client, "provider", urgent, "resolve")
    page = client.get(INBOX).get_data(as_text=True)
    assert sorted(listed(page)) == sorted([low, high])
    assert '<option value="open">Open (2)</option>' in page
    assert '<option value="resolved">Resolved</option>' in page  # done tickets are not counted
    assert listed(client.get(f"{INBOX}?status=resolved").get_data(as_text=True)) == [urgent]


def test_long_inboxes_are_paged_without_gaps(client):
    login(client, "alice")  # SUPPORT_PAGE_SIZE is 5 in the tests
    numbers = [
        open_ticket(client, subject=f"T{i}", priority=("low", "high")[i % 2]) for i in range(12)
    ]
    login(client, "pete")
    for sort in ("activity", "priority"):
        seen, url = [], f"{INBOX}?sort={sort}"
        while url:
            page = client.get(url).get_data(as_text=True)
            seen += listed(page)
            more = re.search(r'href="([^"]*after=[^"]+)">More tickets', page)
            url = more.group(1).replace("&amp;", "&") if more else None
        assert sorted(seen) == sorted(numbers) and len(seen) == len(set(seen))


def test_a_filter_value_that_is_not_a_choice_gets_a_clear_message(client):
    login(client, "pete")
    response = client.get(f"{INBOX}?status=lost")
    assert response.status_code == 400
    assert "Choose one of the statuses." in response.get_data(as_text=True)
    assert client.get(f"{INBOX}?after=garbage").status_code == 400


def test_assigning_a_colleague_and_the_assigned_to_me_view(client, two_tickets):
    hosting = two_tickets[0]
    login(client, "pete")
    refused = staff_act(client, "provider", hosting, "assign", assignee="quinn")  # not Nimbus
    assert refused.status_code == 422
    assert "Choose one of the people listed." in refused.get_data(as_text=True)
    assert staff_act(client, "provider", hosting, "assign", assignee="pat").status_code == 303
    login(client, "pat")
    assert listed(client.get(f"{INBOX}?assignee=me").get_data(as_text=True)) == [hosting]
    login(client, "pete")
    assert listed(client.get(f"{INBOX}?assignee=me").get_data(as_text=True)) == []
    page = client.get(f"{INBOX}?assignee=pat").get_data(as_text=True)
    assert listed(page) == [hosting]
    assert '<option value="pat" selected>Pat</option>' in page
    login(client, "alice")
    assert "assigned" not in client.get(f"/support/tickets/{hosting}").get_data(as_text=True)


def test_escalation_reaches_the_operators_queue_and_the_customer_sees_it(client, two_tickets):
    hosting = two_tickets[0]
    login(client, "pete")
    response = staff_act(client, "provider", hosting, "escalate", reason="Gateway is yours")
    assert response.status_code == 303
    login(client, "olive")
    assert listed(client.get(f"{CONSOLE}?queue=escalated").get_data(as_text=True)) == [hosting]
    assert "Gateway is yours" in client.get(f"{CONSOLE}tickets/{hosting}").get_data(as_text=True)
    login(client, "alice")
    page = client.get(f"/support/tickets/{hosting}").get_data(as_text=True)
    assert "Pete asked the marketplace to step in." in page
    assert "Gateway is yours" not in page


class CountingHost:
    """The host's adapter, noting each question the module asks it (its own calls between its
    methods are not the module's, and are not noted)."""

    def __init__(self, host) -> None:
        self.host = host
        self.asked: list[tuple[str, tuple[object, ...]]] = []

    def __getattr__(self, name: str):
        answer = getattr(self.host, name)
        if not callable(answer):
            return answer

        def ask(*args):
            self.asked.append((name, args))
            return answer(*args)

        return ask


def test_the_host_is_asked_each_question_at_most_once_per_request(app, client):
    """As the README's host contract says: a host may answer slowly (a service, a statement)."""
    state = app.extensions["marketplace_support"]
    counting = CountingHost(state.host)
    asked_again: list[tuple[str, str, tuple[object, ...]]] = []

    def started(sender, **extra) -> None:
        counting.asked.clear()

    def finished(sender, response, **extra) -> None:
        for (name, args), times in Counter(counting.asked).items():
            if times > 1:
                asked_again.append((request.path, name, args))

    state.host = counting
    with request_started.connected_to(started, app), request_finished.connected_to(finished, app):
        login(client, "alice")
        hosting = open_ticket(client, order="o-hosting", subject="Hosting is slow")
        assert helpers.add_information(client, hosting, "It is slow again").status_code == 303
        login(client, "pete")
        answered = compose(
            client, "provider", hosting, kind="reply", body="On it", then="wait_for_customer"
        )
        assert answered.status_code == 303
        login(client, "olive")
        rerouted = staff_act(client, "operator", hosting, "reroute", route_to="p-post", reason="x")
        assert rerouted.status_code == 303
        assert client.get(f"{CONSOLE}tickets/{hosting}").status_code == 200
    assert counting.asked, "the counting adapter was not asked at all"
    assert asked_again == []


def test_operator_reroutes_to_another_provider(client, two_tickets):
    hosting = two_tickets[0]
    login(client, "olive")
    response = staff_act(
        client, "operator", hosting, "reroute", route_to="p-post", reason="Mail issue, not hosting"
    )
    assert response.status_code == 303
    login(client, "quinn")
    assert hosting in listed(client.get(INBOX).get_data(as_text=True))
    login(client, "pete")
    assert client.get(f"{INBOX}tickets/{hosting}").status_code == 404
    login(client, "alice")
    page = client.get(f"/support/tickets/{hosting}").get_data(as_text=True)
    assert "<dt>Handled by</dt><dd>Post &amp; Co" in page
    assert (
        "Olive re-routed the ticket to Post &amp; Co." in page and "Mail issue, not hosting" in page
    )


def test_rerouting_to_where_it_already_is_or_to_an_unknown_provider_is_refused(client, two_tickets):
    login(client, "olive")
    same = staff_act(client, "operator", two_tickets[0], "reroute", route_to="p-nimbus", reason="x")
    unknown = staff_act(client, "operator", two_tickets[0], "reroute", route_to="p-crm", reason="x")
    assert same.status_code == unknown.status_code == 422
    assert "already handled there" in same.get_data(as_text=True)
    assert "Choose one of the providers listed." in unknown.get_data(as_text=True)


def test_take_over_and_hand_back(app, client, two_tickets):
    hosting = two_tickets[0]
    login(client, "olive")
    assert staff_act(client, "operator", hosting, "take_over").status_code == 303
    login(client, "pete")
    page = client.get(f"{INBOX}tickets/{hosting}").get_data(as_text=True)
    assert "has taken over this ticket" in page and 'name="body"' in page  # the note form
    refused = client.post(
        f"{INBOX}tickets/{hosting}/reply",
        data={
            "csrf_token": hidden_inputs(page)["csrf_token"],
            "body": "Still mine?",
            "submission_key": "still-mine-000000000001",
        },
    )
    assert refused.status_code == 409
    assert staff_act(client, "provider", hosting, "note", body="Ok, watching").status_code == 303
    login(client, "alice")
    page = client.get(f"/support/tickets/{hosting}").get_data(as_text=True)
    assert "<dt>Handled by</dt><dd>Marketplace support" in page
    login(client, "olive")
    assert staff_act(client, "operator", hosting, "hand_back").status_code == 303
    ticket = tickets_in_db(app)[0]
    assert (ticket.handler, ticket.provider_id) == ("provider", "p-nimbus")


def test_operator_changes_priority_and_closes_duplicates(client, two_tickets):
    hosting, mail = two_tickets
    login(client, "olive")
    assert (
        staff_act(client, "operator", hosting, "change_priority", priority="low").status_code == 303
    )
    same = staff_act(client, "operator", hosting, "change_priority", priority="low")
    assert same.status_code == 422
    assert (
        staff_act(client, "operator", mail, "mark_duplicate", duplicate_of=str(hosting)).status_code
        == 303
    )
    self_dup = staff_act(client, "operator", hosting, "mark_duplicate", duplicate_of=str(hosting))
    assert self_dup.status_code == 422
    login(client, "alice")
    page = client.get(f"/support/tickets/{mail}").get_data(as_text=True)
    assert f'it repeats your ticket <a href="/support/tickets/{hosting}">#{hosting}</a>' in page
    assert "<dt>Status</dt><dd>Closed</dd>" in page
    assert "changed the priority from “High” to “Low”" in client.get(
        f"/support/tickets/{hosting}"
    ).get_data(as_text=True)


def test_an_emergency_pages_the_host_and_the_operator_decides(app, client, marketplace):
    marketplace.flags["t1"] = Flags(emergencies_allowed=True)
    login(client, "alice")
    number = open_ticket(client, priority="medium")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    paged = []
    with signals.emergency_raised.connected_to(
        lambda sender, **kw: paged.append((kw["ticket"].number, kw["event"].detail)), app
    ):
        response = client.post(
            f"/support/tickets/{number}/raise_emergency",
            data={"csrf_token": hidden_inputs(page)["csrf_token"], "explanation": "Shop is down"},
        )
    assert response.status_code == 303
    assert paged == [(number, "Shop is down")]
    assert tickets_in_db(app)[0].priority == "urgent"
    login(client, "olive")
    assert listed(client.get(f"{CONSOLE}?queue=emergencies").get_data(as_text=True)) == [number]
    response = staff_act(client, "operator", number, "downgrade_emergency", reason="Only slow")
    assert response.status_code == 303
    assert listed(client.get(f"{CONSOLE}?queue=emergencies").get_data(as_text=True)) == []
    login(client, "alice")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Only slow" in page and "Not an emergency" in page
    assert "<dt>Priority</dt><dd>Medium</dd>" in page


def test_no_emergency_where_the_marketplace_takes_none(app, client):
    login(client, "alice")
    number = open_ticket(client)
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "raise_emergency" not in page
    response = client.post(
        f"/support/tickets/{number}/raise_emergency",
        data={"csrf_token": hidden_inputs(page)["csrf_token"], "explanation": "down"},
    )
    assert response.status_code == 409
    assert "does not take emergency reports" in response.get_data(as_text=True)


def test_an_action_the_status_does_not_allow_is_refused_with_the_reason(app, client, two_tickets):
    login(client, "olive")
    staff_act(client, "operator", two_tickets[0], "close")
    response = staff_act(client, "operator", two_tickets[0], "start")
    assert response.status_code == 409
    assert "This cannot be done while the ticket is “Closed”." in response.get_data(as_text=True)
    assert tickets_in_db(app)[0].status == "closed"


def test_people_with_several_roles_can_move_between_areas(client, two_tickets):
    login(client, "mia")  # customer at Acme and staff of Nimbus
    page = client.get(INBOX).get_data(as_text=True)
    assert re.search(
        r'<nav class="ms-areas".*href="/support/".*href="/support/provider/"', page, re.S
    )
    assert 'href="/support/provider/" aria-current="page"' in page


def test_staff_pages_cost_the_same_for_few_and_many_tickets(client, count_queries):
    def cost(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    login(client, "alice")
    open_ticket(client)
    login(client, "pete")
    few = [cost(INBOX), cost(f"{INBOX}?sort=priority&q=down"), cost(f"{INBOX}tickets/1")]
    login(client, "olive")
    few += [cost(CONSOLE), cost(f"{CONSOLE}?queue=escalated"), cost(f"{CONSOLE}tickets/1")]
    login(client, "alice")
    for _ in range(8):
        open_ticket(client)
    login(client, "pete")
    for i in range(6):
        staff_act(client, "provider", 1, "note", body=f"note {i}")
        staff_act(client, "provider", 1, "reply", body=f"reply {i}")
    many = [cost(INBOX), cost(f"{INBOX}?sort=priority&q=down"), cost(f"{INBOX}tickets/1")]
    login(client, "olive")
    many += [cost(CONSOLE), cost(f"{CONSOLE}?queue=escalated"), cost(f"{CONSOLE}tickets/1")]
    assert few == many
    # inbox: page (with when the reader last looked at each of its tickets: which of them
    # changed was a statement of its own, 3 and 4 before) + counts; console: its counts per
    # status and per queue in one statement, apart when a queue filters the list (they were
    # always apart before); ticket page: ticket (with whether the viewer watches it: it was a
    # statement of its own, and whether it has files: none here), messages, events, and noting
    # that they looked; a search: + where its words were found in the page's conversations
    assert few == [2, 3, 4, 2, 3, 4]


def test_a_refused_staff_form_keeps_what_was_typed(client, two_tickets):
    login(client, "olive")
    response = staff_act(
        client, "operator", two_tickets[0], "reroute", route_to="p-post", reason=""
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="ms-reroute-reason-error"' in page and "Say why, for the customer" in page
    assert '<option value="p-post" selected>Post &amp; Co</option>' in page


def test_a_duplicate_of_someone_elses_ticket_is_named_but_not_linked(client, two_tickets):
    login(client, "bob")
    bobs = open_ticket(client, order="o-bob", subject="Mail bounces too")
    login(client, "olive")
    staff_act(client, "operator", bobs, "mark_duplicate", duplicate_of=str(two_tickets[1]))
    login(client, "bob")
    page = client.get(f"/support/tickets/{bobs}").get_data(as_text=True)
    assert f"it repeats ticket #{two_tickets[1]}, where" in page
    assert f'href="/support/tickets/{two_tickets[1]}"' not in page


def test_a_ticket_taken_over_and_rerouted_is_told_moved_to_the_provider_it_was_taken_from(
    app, client, two_tickets
):
    """Taken over, a ticket is still its provider's to see; re-routed from there, that
    provider is told where it went, as from any other ticket of theirs."""
    hosting = two_tickets[0]
    login(client, "olive")
    assert staff_act(client, "operator", hosting, "take_over").status_code == 303
    login(client, "pete")
    assert client.get(f"{INBOX}tickets/{hosting}").status_code == 200
    login(client, "olive")
    staff_act(client, "operator", hosting, "reroute", route_to="p-post", reason="Mail issue")
    login(client, "pete")
    response = client.get(f"{INBOX}tickets/{hosting}")
    assert response.status_code == 404
    assert f"Ticket #{hosting} was moved to Post &amp; Co on" in response.get_data(as_text=True)


def test_the_provider_a_ticket_was_rerouted_away_from_is_told_where_it_went(client, two_tickets):
    hosting, mail = two_tickets
    login(client, "olive")
    staff_act(client, "operator", hosting, "reroute", route_to="p-post", reason="Mail issue")
    login(client, "pete")
    response = client.get(f"{INBOX}tickets/{hosting}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert re.search(
        rf"Ticket #{hosting} was moved to Post &amp; Co on \w+ \d+, \d{{4}}\. "
        r"You no longer have access to it\.",
        page,
    )
    assert "Mail issue" not in page and "Hosting is slow" not in page  # nothing they did not see
    assert f'href="{INBOX}">Back to the list</a>' in page
    # a ticket that was never theirs is simply not found, like one that does not exist
    never, missing = client.get(f"{INBOX}tickets/{mail}"), client.get(f"{INBOX}tickets/999")
    assert never.status_code == missing.status_code == 404
    assert never.get_data() == missing.get_data()
    assert "There is no such ticket, or it is not yours to see." in never.get_data(as_text=True)


def test_a_missing_ticket_is_the_modules_page_in_the_persons_language_with_a_way_back(app, client):
    app.config["TEST_LOCALE"] = "de"
    login(client, "alice")
    response = client.get("/support/tickets/999")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Dieses Ticket gibt es nicht, oder Sie dürfen es nicht sehen." in page
    assert 'href="/support/">Zurück zu meinen Tickets</a>' in page
    assert 'class="ms"' in page  # in the module's frame, inside the host's layout


def compose(client, area: str, number: int, **fields: str):
    """Send the staff ticket page's one composer."""
    page = client.get(f"/support/{area}/tickets/{number}").get_data(as_text=True)
    return client.post(
        f"/support/{area}/tickets/{number}/compose",
        data={**form_inputs(page, "/compose"), **fields},
    )


def test_one_composer_sends_a_reply_or_an_internal_note(client, two_tickets):
    hosting = two_tickets[0]
    login(client, "pete")
    page = client.get(f"{INBOX}tickets/{hosting}").get_data(as_text=True)
    conversation = page[page.index('<section class="ms-conversation"') :]
    conversation = conversation[: conversation.index("</section>")]
    assert conversation.count("<textarea") == 1 and conversation.count('type="file"') == 1
    assert (
        compose(client, "provider", hosting, kind="note", body="Disk nearly full").status_code
        == 303
    )
    assert (
        compose(client, "provider", hosting, kind="reply", body="We are on it").status_code == 303
    )
    login(client, "alice")
    page = client.get(f"/support/tickets/{hosting}").get_data(as_text=True)
    assert "We are on it" in page and "Disk nearly full" not in page


@pytest.mark.parametrize("kind", ["internal", "Note", "note ", "", None])
def test_a_composer_without_a_known_kind_is_refused_never_sent_as_a_reply(
    app, client, two_tickets, kind
):
    """The radio buttons say "reply" or "note"; anything else (a host's own template with the
    note's value misspelt, the choice missing) must not reach the customer as a reply."""
    hosting = two_tickets[0]
    login(client, "pete")
    app.config["TEST_LOCALE"] = "de"
    page = client.get(f"{INBOX}tickets/{hosting}").get_data(as_text=True)
    fields = {**form_inputs(page, "/compose"), "body": "Disk nearly full, do not tell"}
    fields.pop("kind", None)
    if kind is not None:
        fields["kind"] = kind
    refused = client.post(f"{INBOX}tickets/{hosting}/compose", data=fields)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    message = "Wählen Sie, ob dies eine Antwort an den Kunden oder eine interne Notiz ist."
    assert text.count(message) == 2  # in the summary, linked, and at the choice
    assert '<a href="#ms-compose-kind">' in text and 'id="ms-compose-kind"' in text
    assert "Disk nearly full, do not tell</textarea>" in text
    assert 'name="kind" value="reply" checked' not in text  # the choice is asked again
    app.config["TEST_LOCALE"] = "en"
    login(client, "alice")
    assert "Disk nearly full" not in client.get(f"/support/tickets/{hosting}").get_data(
        as_text=True
    )
    login(client, "pete")
    assert "Disk nearly full" not in client.get(f"{INBOX}tickets/{hosting}").get_data(as_text=True)


def test_staff_send_and_resolve_in_one_step(app, client, two_tickets):
    hosting = two_tickets[0]
    login(client, "pete")
    response = compose(client, "provider", hosting, kind="reply", body="Fixed.", then="resolve")
    assert response.status_code == 303
    assert tickets_in_db(app)[0].status == "resolved"
    refused = compose(client, "provider", two_tickets[0], kind="note", body="x", then="resolve")
    assert refused.status_code == 422
    assert "An internal note is sent on its own: use Send." in refused.get_data(as_text=True)


def test_assigning_oneself_is_one_click_and_what_cannot_be_undone_asks_once_more(
    client, two_tickets
):
    hosting = two_tickets[0]
    login(client, "olive")
    page = client.get(f"{CONSOLE}tickets/{hosting}").get_data(as_text=True)
    assert "Assign to me" in page
    assert compose(client, "operator", hosting, kind="reply", body="Looking").status_code == 303
    me = {**form_inputs(page, "/assign"), "assignee": "olive"}
    assert client.post(f"{CONSOLE}tickets/{hosting}/assign", data=me).status_code == 303
    page = client.get(f"{CONSOLE}tickets/{hosting}").get_data(as_text=True)
    assert "Assign to me" not in page
    for summary, action in (("Close…", "close"), ("Take over…", "take_over")):
        folded = re.search(
            rf'<details class="ms-confirm">\s*<summary>{summary}</summary>.*?</details>', page, re.S
        )
        assert folded and f"/tickets/{hosting}/{action}" in folded.group(0), summary


def test_the_inbox_marks_what_is_new_for_each_person(client, two_tickets):
    hosting = two_tickets[0]
    login(client, "pete")
    page = client.get(INBOX).get_data(as_text=True)
    assert page.count("New activity") == 1  # Alice's hosting ticket, not yet opened by Pete
    client.get(f"{INBOX}tickets/{hosting}")
    assert "New activity" not in client.get(INBOX).get_data(as_text=True)
    login(client, "pat")  # his colleague has not looked yet
    assert client.get(INBOX).get_data(as_text=True).count("New activity") == 1


def test_a_stale_filter_address_shows_the_list_with_its_form_and_the_reason(client, two_tickets):
    login(client, "pete")
    response = client.get(f"{INBOX}?status=archived&priority=soon")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose one of the statuses." in page and 'role="search"' in page
    assert listed(page) == [two_tickets[0]]  # the list as it starts


def test_list_rows_show_times_in_the_persons_language_under_translated_headings(
    app, client, two_tickets
):
    app.config["TEST_LOCALE"] = "de"
    german_time = r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}"
    login(client, "pete")
    (row,) = helpers.listed(client.get(INBOX).get_data(as_text=True))
    assert re.fullmatch(german_time, row["Fällig"])
    assert re.fullmatch(german_time, row["Letzte Aktivität"])
    assert (row["Status"], row["Zugewiesen an"]) == ("Offen", "Nicht zugewiesen")
    login(client, "alice")
    rows = helpers.listed(client.get("/support/").get_data(as_text=True))
    assert len(rows) == 2
    assert all(re.fullmatch(german_time, row["Letzte Aktivität"]) for row in rows)


def test_a_host_that_hands_provider_ids_as_a_list_gets_the_inbox(client, marketplace, two_tickets):
    """``Actor.provider_ids`` is a frozenset; a host that builds it from a list or a set is
    served the same (the actor is kept as a frozenset of them)."""
    hosting, _ = two_tickets
    marketplace.add_staff("t1", "lena", provider_ids=["p-nimbus"])  # type: ignore[arg-type]
    login(client, "lena")
    response = client.get(INBOX)
    assert response.status_code == 200
    assert listed(response.get_data(as_text=True)) == [hosting]


def test_an_empty_console_counts_zero_in_every_queue(client):
    login(client, "otto")  # the operator of tenant t2, which has no ticket yet
    page = client.get(CONSOLE).get_data(as_text=True)
    counts = re.findall(r'class="ms-count">([^<]*)<', page)
    assert counts == ["0"] * 5  # all, not about a service, escalated, emergencies, due soon


def test_the_console_s_links_keep_a_search_with_spaces_and_symbols(app, client, two_tickets):
    """The queues' links and "Assigned to me" carry the search as Flask's ``url_for`` writes
    it (the list's address is built once a page, each link adds its query)."""
    login(client, "olive")
    words = "hosting slow & co/50% ü?"
    page = client.get(CONSOLE, query_string={"q": words}).get_data(as_text=True)
    tabs = re.findall(r'<a class="ms-tab[^"]*" href="([^"]+)"', page)
    assert len(tabs) == 5
    for tab in tabs:
        followed = client.get(html.unescape(tab))
        assert followed.status_code == 200
        searched = re.search(r'name="q" value="([^"]*)"', followed.get_data(as_text=True))
        assert searched and html.unescape(searched.group(1)) == words
    with app.test_request_context(CONSOLE):
        query = {"queue": "due", "q": words, "status": "active", "after": None}
        assert area.list_url(**query) == url_for(".tickets", **query)
        assert area.list_url() == url_for(".tickets") == CONSOLE


def test_a_ticket_page_s_forms_post_where_url_for_says(app, client, two_tickets):
    """The forms' addresses are built from one ``url_for`` a page; each is what ``url_for``
    writes, and the page's own forms post to them."""
    login(client, "pete")
    page = client.get("/support/provider/tickets/1").get_data(as_text=True)
    posted = set(re.findall(r'<form[^>]*action="(/support/provider/tickets/1/[^"]+)"', page))
    assert "/support/provider/tickets/1/assign" in posted and len(posted) >= 4
    with app.test_request_context("/support/provider/tickets/1"):
        url = blueprints._action_urls(blueprints._ticket_urls())
        for action in [*Action, "compose", "a b/c"]:  # the last one is quoted by url_for
            assert url(1, action) == url_for(".act", number=1, action=str(action))
        for address in posted:
            assert address == url(1, address.rsplit("/", 1)[1])
