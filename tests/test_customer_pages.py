"""My Page → Support as a customer uses it: the list, the form, the ticket page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from marketplace_support import Category, Flags, actions
from marketplace_support.models import Ticket
from marketplace_support.workflow import Action, Role

from .conftest import login
from .helpers import (
    add_information,
    change_status,
    form_inputs,
    listed,
    listed_numbers,
    listed_subjects,
    new_ticket_form,
    open_ticket,
    png,
    provider_replies,
    row_counts,
    ticket_fields,
    tickets_in_db,
)


def set_ticket(app, number, **values):
    """Move a ticket in time or state as the rest of the desk would have."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        ticket = session.query(Ticket).filter_by(tenant_id="t1", number=number).one()
        for key, value in values.items():
            setattr(ticket, key, value)
        session.commit()
        session.remove()


def list_numbers(html: str) -> list[int]:
    return listed_numbers(html)


def test_list_shows_what_a_customer_needs_to_recognise_a_ticket(client):
    login(client, "alice")
    open_ticket(client, subject="Mail bounces", order="o-mail", priority="urgent")
    open_ticket(client, subject="Question about my contract", order="none", priority="low")
    page = client.get("/support/").get_data(as_text=True)
    question, bounces = listed(page)
    assert question["Ticket"].endswith("Question about my contract")
    assert (question["Status"], question["Priority"]) == ("Open", "Low")
    assert question["Service"] == "Not related to a service"
    assert question["Handled by"] == "Marketplace support"
    assert bounces["Ticket"].endswith("Mail bounces")
    assert (bounces["Status"], bounces["Priority"]) == ("Open", "Urgent")
    assert (bounces["Service"], bounces["Handled by"]) == ("Mail Basic", "Post & Co")
    assert re.search(r"<td><time datetime=\"[^\"]+\">[^<]+</time></td></tr>", page)


def test_list_shows_most_recent_activity_first(app, client):
    login(client, "alice")
    first = open_ticket(client, subject="First")
    second = open_ticket(client, subject="Second")
    assert list_numbers(client.get("/support/").get_data(as_text=True)) == [second, first]
    add_information(client, first, "Any news?")
    assert list_numbers(client.get("/support/").get_data(as_text=True)) == [first, second]


def test_open_and_closed_tickets_are_listed_separately_with_counts(client):
    login(client, "alice")
    kept_open = open_ticket(client, subject="Still broken")
    done = open_ticket(client, subject="Fixed now")
    change_status(client, done, "resolve")
    open_page = client.get("/support/").get_data(as_text=True)
    closed_page = client.get("/support/?state=closed").get_data(as_text=True)
    assert list_numbers(open_page) == [kept_open]
    assert list_numbers(closed_page) == [done]
    assert re.search(r'Open <span class="ms-count">1</span>', open_page)
    assert re.search(r'Resolved and closed <span class="ms-count">1</span>', open_page)


def test_list_is_paginated_and_the_pages_join_up(client):
    login(client, "alice")  # SUPPORT_PAGE_SIZE is 5 in the tests
    numbers = [open_ticket(client, subject=f"Ticket {i}") for i in range(12)]
    seen, url = [], "/support/"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += list_numbers(page)
        more = re.search(r'href="(/support/\?state=open&amp;after=[^"]+)"', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == list(reversed(numbers))


def test_a_page_link_that_was_tampered_with_gets_a_clear_message(client):
    login(client, "alice")
    response = client.get("/support/?after=yesterday")
    assert response.status_code == 400
    assert "This page link is not valid" in response.get_data(as_text=True)
    assert client.get("/support/?state=everything").status_code == 404


def test_empty_list_invites_to_open_a_ticket(client):
    login(client, "alice")
    page = client.get("/support/").get_data(as_text=True)
    assert "You have no open tickets." in page and 'href="/support/new"' in page


def test_form_shows_the_tenants_troubleshooting_text_sanitised(client, marketplace):
    marketplace.texts[("t1", "troubleshooting", "en")] = (
        '<p>Check <a href="https://status.example.com">status</a> first.</p>'
        '<script>alert(1)</script><a href="javascript:alert(1)">x</a><a href="/admin">y</a>'
    )
    login(client, "alice")
    page = client.get("/support/new").get_data(as_text=True)
    assert 'Check <a href="https://status.example.com" rel="noopener noreferrer nofollow">' in page
    assert "<script>alert" not in page and "javascript:" not in page
    assert 'href="/admin"' not in page


def test_form_shows_our_troubleshooting_text_when_the_tenant_has_none(client):
    login(client, "alice")
    page = client.get("/support/new").get_data(as_text=True)
    assert "<p>Before you send a ticket: check whether the service shows a notice" in page


def test_form_offers_the_hosts_problem_areas_and_the_four_priorities(client, marketplace):
    marketplace.categories["t1"] = [
        Category("outage", "Service outage"),
        Category("other", "Other"),
    ]
    login(client, "alice")
    page = client.get("/support/new").get_data(as_text=True)
    assert '<option value="outage" >Service outage</option>' in page
    for priority in ("Low", "Medium", "High", "Urgent"):
        assert f'<span class="ms-choice-title">{priority}</span>' in page
    assert 'value="medium" checked' in page


def test_sending_the_form_confirms_with_the_ticket_number(client):
    login(client, "alice")
    number = open_ticket(client)
    page = client.get(f"/support/tickets/{number}?notice=opened").get_data(as_text=True)
    assert f"Your ticket #{number} has been sent" in page
    assert "Nimbus Hosting will answer it here." in page


def test_ticket_page_shows_the_description_and_the_details(client):
    login(client, "alice")
    number = open_ticket(
        client,
        subject="Site down",
        issue_about="It answers 502.",
        expected_outcome="It loads.",
        current_scenario="Since 9:00.",
    )
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    for text in (
        f"#{number}</span> Site down",
        "It answers 502.",
        "It loads.",
        "Since 9:00.",
        "<dt>Status</dt><dd>Open</dd>",
        "<dt>Priority</dt><dd>High</dd>",
        "<dt>Service</dt><dd>Web hosting M</dd>",
        "<dt>Handled by</dt><dd>Nimbus Hosting</dd>",
        "<dt>Problem area</dt><dd>Technical problem with a service</dd>",
        "<dt>Opened</dt>",
        "<dt>Last activity</dt>",
    ):
        assert text in page


def test_times_are_shown_in_the_viewers_time_zone(app, client, marketplace):
    marketplace.add_customer("t1", "tina", "acme", timezone="Asia/Tokyo")
    login(client, "tina")
    number = open_ticket(client)
    [ticket] = tickets_in_db(app)
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    tokyo = (ticket.created_at + timedelta(hours=9)).strftime("%-I:%M")
    assert tokyo in page


def test_customer_adds_information_and_sees_it_in_the_conversation(client):
    login(client, "alice")
    number = open_ticket(client)
    response = add_information(client, number, "It happens on mobile too.\nScreenshot follows.")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your information was added to the ticket." in page
    assert "It happens on mobile too.\nScreenshot follows." in page


def test_a_long_conversation_s_earlier_part_is_loaded_when_asked_for(client):
    """Up to ten earlier entries are in the ticket's page, folded; a longer earlier part is
    left out behind its link, and the link's page has it unfolded (support.js puts it in
    place), for the customer and for the provider alike."""
    login(client, "alice")
    number = open_ticket(client, issue_about="The backups stopped on Monday.")
    for i in range(1, 14):  # 13 messages: the last 3 shown, 10 earlier ones folded in the page
        add_information(client, number, f"Finding number {i:02d}.")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "<summary>Show 11 earlier entries</summary>" in page
    assert "Finding number 01." in page and "The backups stopped on Monday." in page
    add_information(client, number, "Finding number 14.")  # now 11 earlier ones
    # staff see the routing as an entry of its own: one more
    for who, url, earlier in (
        ("alice", "/support/tickets", 12),
        ("pete", "/support/provider/tickets", 13),
    ):
        login(client, who)
        page = client.get(f"{url}/{number}").get_data(as_text=True)
        link = f'<a href="{url}/{number}?entries=all#ms-earlier" data-ms-unfold>'
        assert f"{link}Show {earlier} earlier entries</a>" in page, who
        assert "Finding number 11." not in page and "The backups stopped on Monday." not in page
        assert all(f"Finding number {i}." in page for i in (12, 13, 14)), who
        unfolded = client.get(f"{url}/{number}?entries=all").get_data(as_text=True)
        assert '<li class="ms-earlier" id="ms-earlier"><details open>' in unfolded, who
        assert "The backups stopped on Monday." in unfolded, who
        assert all(f"Finding number {i:02d}." in unfolded for i in range(1, 15)), who
    # the page reads only the latest entries: the link still counts all of them
    login(client, "alice")
    for i in range(15, 31):
        add_information(client, number, f"Finding number {i}.")
    for who, url, earlier in (
        ("alice", "/support/tickets", 28),
        ("pete", "/support/provider/tickets", 29),
    ):
        login(client, who)
        page = client.get(f"{url}/{number}").get_data(as_text=True)
        assert f"Show {earlier} earlier entries</a>" in page, who
        assert [f"Finding number {i}." in page for i in (27, 28, 29, 30)] == [
            False,
            True,
            True,
            True,
        ], who


def test_a_long_history_is_loaded_when_asked_for(client):
    """A customer's History holds up to ten changes in the page, folded; a longer one is left
    out behind its link, and the link's page has it unfolded."""
    login(client, "alice")
    number = open_ticket(client)
    for action in (*("resolve", "reopen") * 4, "resolve"):
        assert change_status(client, number, action).status_code == 303
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    # routed when opened, then nine changes of the status
    assert '<details class="ms-history" id="ms-history">' in page
    assert "<summary>History: 10 changes</summary>" in page
    assert change_status(client, number, "reopen").status_code == 303
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    link = f'<a href="/support/tickets/{number}?entries=all#ms-history" data-ms-unfold>'
    assert f"{link}History: 11 changes</a>" in page
    assert "changed the status" not in page
    unfolded = client.get(f"/support/tickets/{number}?entries=all").get_data(as_text=True)
    assert '<details class="ms-history" id="ms-history" open>' in unfolded
    assert unfolded.count("changed the status from") == 10
    for action in ("resolve", "reopen") * 4:  # more changes than the page reads
        assert change_status(client, number, action).status_code == 303
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert f"{link}History: 19 changes</a>" in page


def test_empty_information_is_refused_next_to_the_field(app, client):
    login(client, "alice")
    number = open_ticket(client)
    response = add_information(client, number, "   ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="ms-body-error"' in page and "Write your message." in page
    assert row_counts(app)["support_message"] == 0


def test_answering_a_ticket_that_waits_for_the_customer_hands_it_back(app, client):
    login(client, "alice")
    number = open_ticket(client)
    set_ticket(app, number, status="waiting_for_customer")
    add_information(client, number, "Here is the log you asked for.")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "<dt>Status</dt><dd>Open</dd>" in page
    assert "changed the status from “Waiting for your reply” to “Open”" in page


def test_customer_marks_a_ticket_resolved_and_reopens_it(client):
    login(client, "alice")
    number = open_ticket(client)
    response = change_status(client, number, "resolve")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<dt>Status</dt><dd>Resolved</dd>" in page
    assert "The ticket is marked as resolved." in page
    # resolved is not a wall: the customer can still write, which reopens it
    assert 'name="body"' in page and "What is still wrong?" in page
    assert "Writing here reopens the ticket." in page
    response = change_status(client, number, "reopen")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<dt>Status</dt><dd>Open</dd>" in page and "The ticket is open again." in page
    assert "Alice changed the status from “Resolved” to “Open”." in page


def test_writing_on_a_resolved_ticket_reopens_it(app, client):
    login(client, "alice")
    number = open_ticket(client)
    change_status(client, number, "resolve")
    add_information(client, number, "It is slow again since this morning.")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "<dt>Status</dt><dd>Open</dd>" in page
    assert "It is slow again since this morning." in page
    assert tickets_in_db(app)[0].reopen_count == 1


def test_information_cannot_be_added_to_a_closed_ticket(app, client):
    login(client, "alice")
    number = open_ticket(client)
    form = form_inputs(client.get(f"/support/tickets/{number}").get_data(as_text=True), "/reply")
    change_status(client, number, "resolve")
    set_ticket(app, number, status="closed")
    response = client.post(f"/support/tickets/{number}/reply", data={**form, "body": "Late"})
    assert response.status_code == 409
    assert "Open a follow-up ticket to add information." in response.get_data(as_text=True)
    assert row_counts(app)["support_message"] == 0


def test_a_resolved_ticket_past_the_reopen_window_takes_no_more_information(
    app, client, marketplace
):
    marketplace.flags["t1"] = Flags(reopen_days=3)
    login(client, "alice")
    number = open_ticket(client)
    form = form_inputs(client.get(f"/support/tickets/{number}").get_data(as_text=True), "/reply")
    change_status(client, number, "resolve")
    resolved_at = tickets_in_db(app)[0].resolved_at
    set_ticket(app, number, resolved_at=resolved_at - timedelta(days=4))
    assert 'name="body"' not in client.get(f"/support/tickets/{number}").get_data(as_text=True)
    response = client.post(f"/support/tickets/{number}/reply", data={**form, "body": "Late"})
    assert response.status_code == 409
    assert "more than 3 days ago" in response.get_data(as_text=True)
    assert row_counts(app)["support_message"] == 0


def test_where_the_tenant_does_not_let_customers_resolve_there_is_no_button(
    app, client, marketplace
):
    marketplace.flags["t1"] = Flags(customer_may_resolve=False)
    login(client, "alice")
    number = open_ticket(client)
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert f'action="/support/tickets/{number}/resolve"' not in page
    response = change_status(client, number, "resolve")
    assert response.status_code == 409
    assert "support marks tickets resolved" in response.get_data(as_text=True)
    assert tickets_in_db(app)[0].status == "open"


def test_reopen_window_closes_and_the_customer_is_offered_a_follow_up(app, client, marketplace):
    marketplace.flags["t1"] = Flags(reopen_days=3)
    login(client, "alice")
    number = open_ticket(client, subject="Backups fail")
    change_status(client, number, "resolve")
    resolved_at = tickets_in_db(app)[0].resolved_at
    set_ticket(app, number, status="closed", resolved_at=resolved_at - timedelta(days=4))
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert f'action="/support/tickets/{number}/reopen"' not in page
    assert "This ticket can no longer be reopened." in page
    response = change_status(client, number, "reopen")
    assert response.status_code == 409
    assert "more than 3 days ago" in response.get_data(as_text=True)

    form_page = client.get(f"/support/new?follow_up_of={number}").get_data(as_text=True)
    assert f'value="Follow-up to #{number}: Backups fail"' in form_page
    assert 'value="o-hosting" checked' in form_page
    follow_up = open_ticket(client, follow_up_of=str(number))
    page = client.get(f"/support/tickets/{follow_up}").get_data(as_text=True)
    assert f'href="/support/tickets/{number}">#{number}</a>' in page


def test_follow_up_of_someone_elses_ticket_is_not_found(client):
    login(client, "bob")
    bobs = open_ticket(client, order="o-bob")
    login(client, "alice")
    assert client.get(f"/support/new?follow_up_of={bobs}").status_code == 404


def test_a_closed_ticket_within_the_window_can_be_reopened(app, client):
    login(client, "alice")
    number = open_ticket(client)
    change_status(client, number, "resolve")
    set_ticket(app, number, status="closed")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert f'action="/support/tickets/{number}/reopen"' in page
    assert change_status(client, number, "reopen").status_code == 303
    assert tickets_in_db(app)[0].status == "open"


def test_an_unknown_action_changes_nothing(app, client):
    login(client, "alice")
    number = open_ticket(client)
    assert change_status(client, number, "delete").status_code == 404
    assert change_status(client, number, "close").status_code == 404  # staff only
    assert tickets_in_db(app)[0].status == "open"


def test_nobody_logged_in_gets_the_hosts_answer(client):
    assert client.get("/support/").status_code == 401
    assert client.post("/support/new").status_code in (400, 401)


def test_people_who_are_not_customers_are_told_the_page_is_for_customers(client):
    login(client, "paul")
    response = client.get("/support/new")
    assert response.status_code == 403
    assert "Support on My Page is for customers" in response.get_data(as_text=True)


def test_a_form_without_a_valid_csrf_token_is_refused_and_nothing_is_written(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields(), "csrf_token": "forged"}
    response = client.post("/support/new", data=data)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert row_counts(app)["support_ticket"] == 0


def test_where_the_module_checks_the_token_a_refused_form_of_this_site_comes_back(app, client):
    # a host without Flask-WTF's CSRFProtect: the module's own check refuses the form, and
    # one sent from a page of this site comes back with what was typed, as on a host with it
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields(), "csrf_token": "forged"}
    response = client.post("/support/new", data=data, headers={"Origin": "http://localhost"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form had expired, so nothing was sent." in page
    assert f'value="{data["subject"]}"' in page
    assert row_counts(app)["support_ticket"] == 0


def test_customers_find_their_tickets_by_number_subject_and_service(client):
    login(client, "alice")
    first = open_ticket(client, order="o-hosting", subject="Backups fail at night")
    open_ticket(client, order="o-mail", subject="Mailbox is full")
    open_ticket(client, order="none", subject="Invoice has the old address")

    def found(**query):
        page = client.get("/support/", query_string=query).get_data(as_text=True)
        return listed_subjects(page)

    assert found(q="backup") == ["Backups fail at night"]
    assert found(q=f"#{first}") == ["Backups fail at night"]
    assert found(service="o-mail") == ["Mailbox is full"]
    assert found(service="none") == ["Invoice has the old address"]
    page = client.get("/support/", query_string={"q": "nothing like it"}).get_data(as_text=True)
    assert "No tickets match this search." in page


def test_a_search_the_list_cannot_run_comes_back_next_to_its_field(client):
    login(client, "alice")
    open_ticket(client)
    response = client.get("/support/", query_string={"q": "x" * 101})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="ms-q"' in page and "A search can be at most 100 characters long." in page
    assert len(listed(page)) == 1  # the list as it starts


def test_the_list_marks_tickets_with_news_since_the_customer_last_looked(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client)  # she lands on the ticket: seen
    assert "New activity" not in client.get("/support/").get_data(as_text=True)
    provider_replies(app, marketplace, number, "Which page?", "news-since-looking-0001")
    assert "New activity" in client.get("/support/").get_data(as_text=True)
    client.get(f"/support/tickets/{number}")
    assert "New activity" not in client.get("/support/").get_data(as_text=True)


REFUSE_SEEN = {
    "sqlite": [
        "CREATE TRIGGER refuse_seen BEFORE INSERT ON support_seen"
        " BEGIN SELECT RAISE(ABORT, 'read-only'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_seen() RETURNS trigger AS"
        " $$ BEGIN RAISE EXCEPTION 'read-only'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_seen BEFORE INSERT OR UPDATE ON support_seen"
        " FOR EACH ROW EXECUTE FUNCTION refuse_seen()",
    ],
}
ALLOW_SEEN = {
    "sqlite": ["DROP TRIGGER refuse_seen"],
    "postgresql": ["DROP TRIGGER refuse_seen ON support_seen", "DROP FUNCTION refuse_seen()"],
}


def test_a_ticket_page_is_shown_when_noting_it_as_seen_is_refused(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client)
    tenant, pete = marketplace.actors["pete"]
    with app.test_request_context():  # news for Alice: her next look is noted
        actions.act(
            tenant,
            pete,
            Role.PROVIDER,
            number,
            Action.REPLY,
            {"body": "Which page?", "submission_key": "seen-refused-000000001"},
        )
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        dialect = db.engine.dialect.name
        with db.engine.begin() as connection:
            for statement in REFUSE_SEEN[dialect]:
                connection.exec_driver_sql(statement)
    try:
        page = client.get(f"/support/tickets/{number}")
        assert page.status_code == 200
        assert "What outcome do you expect?" in page.get_data(as_text=True)
        assert client.get("/support/").status_code == 200  # the session was rolled back
    finally:
        with app.app_context(), db.engine.begin() as connection:
            for statement in ALLOW_SEEN[dialect]:
                connection.exec_driver_sql(statement)


def test_an_image_opens_in_the_browser_other_files_download(client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    data["attachments"] = [(io.BytesIO(png()), "screen.png"), (io.BytesIO(b"log line\n"), "a.txt")]
    response = client.post("/support/new", data=data, content_type="multipart/form-data")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    image = re.search(r'<a href="([^"]+)">screen.png</a>', page).group(1)
    text = re.search(r'<a href="([^"]+)">a.txt</a>', page).group(1)
    assert image.endswith("?inline=1") and not text.endswith("?inline=1")
    shown = client.get(image.replace("&amp;", "&"))
    assert shown.headers["Content-Type"] == "image/png"
    assert not shown.headers.get("Content-Disposition", "").startswith("attachment")
