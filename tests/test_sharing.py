"""Sharing a ticket with the organisation or a colleague, and watching it (seed 004)."""

from __future__ import annotations

import re

from marketplace_support import Flags, actions
from marketplace_support.workflow import Action, Role

from . import helpers
from .conftest import login
from .helpers import form_inputs, hidden_inputs, listed_numbers, open_ticket


def listed(html: str) -> list[int]:
    return listed_numbers(html)


def post_form(client, page_url: str, action_ending: str, **fields):
    """Send the form of the page at ``page_url`` whose action ends with ``action_ending``."""
    page = client.get(page_url).get_data(as_text=True)
    data = {**form_inputs(page, action_ending), **fields}
    return client.post(_action(page, action_ending), data=data)


def _action(page: str, action_ending: str) -> str:
    for action in re.findall(r'<form [^>]*action="([^"]*)"', page):
        if action.endswith(action_ending):
            return action.replace("&amp;", "&")
    raise AssertionError(action_ending)


def test_sharing_with_the_organisation_lets_colleagues_see_and_follow(client):
    login(client, "alice")
    number = open_ticket(client, subject="Shop is slow")
    response = post_form(client, f"/support/tickets/{number}", "/sharing/organisation")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Everyone in your organisation can see and follow it." in page
    assert "Alice shared the ticket with their organisation." in page

    login(client, "amy")  # Alice's colleague at Acme
    shared = client.get("/support/?state=shared").get_data(as_text=True)
    assert listed(shared) == [number]
    assert [row["Opened by"] for row in helpers.listed(shared)] == ["Alice"]
    assert listed(client.get("/support/").get_data(as_text=True)) == []  # not Amy's own
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Alice shared this ticket with you." in page
    reply = form_inputs(page, "/reply")
    assert (
        client.post(
            f"/support/tickets/{number}/reply", data={**reply, "body": "Same for me"}
        ).status_code
        == 303
    )

    login(client, "bob")  # another customer: still not found
    assert client.get(f"/support/tickets/{number}").status_code == 404

    login(client, "alice")
    post_form(client, f"/support/tickets/{number}", "/sharing/organisation")
    login(client, "amy")
    assert client.get(f"/support/tickets/{number}").status_code == 404


def test_sharing_with_a_named_colleague(client):
    login(client, "alice")
    number = open_ticket(client)
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert '<option value="amy">Amy</option>' in page
    assert (
        post_form(client, f"/support/tickets/{number}", "/sharing/people", person="amy").status_code
        == 303
    )
    login(client, "amy")
    assert client.get(f"/support/tickets/{number}").status_code == 200
    login(client, "alice")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Stop sharing with Amy" in page
    assert (
        post_form(client, f"/support/tickets/{number}", "/sharing/people/amy/remove").status_code
        == 303
    )
    login(client, "amy")
    assert client.get(f"/support/tickets/{number}").status_code == 404


def test_a_colleague_shared_with_by_name_stops_seeing_it_after_moving_organisation(
    client, marketplace
):
    """A ticket is shared with colleagues: one the host now names in another organisation
    no longer sees it, on the page or in lists (and so neither by API nor by e-mail)."""
    login(client, "alice")
    number = open_ticket(client)
    post_form(client, f"/support/tickets/{number}", "/sharing/people", person="amy")
    login(client, "amy")
    assert client.get(f"/support/tickets/{number}").status_code == 200
    marketplace.add_customer("t1", "amy", "globex", locale="de")  # the host moved her
    assert client.get(f"/support/tickets/{number}").status_code == 404
    shared = client.get("/support/?state=shared").get_data(as_text=True)
    assert number not in listed_numbers(shared)
    marketplace.add_customer("t1", "amy", "acme", locale="de")  # back at Acme: shared again
    assert client.get(f"/support/tickets/{number}").status_code == 200


def test_only_a_colleague_can_be_chosen(client):
    login(client, "alice")
    number = open_ticket(client)
    response = post_form(client, f"/support/tickets/{number}", "/sharing/people", person="bob")
    assert response.status_code == 422
    assert "Choose one of your colleagues." in response.get_data(as_text=True)


def test_only_the_person_who_opened_it_changes_who_sees_it(client):
    login(client, "alice")
    number = open_ticket(client)
    post_form(client, f"/support/tickets/{number}", "/sharing/organisation")
    login(client, "amy")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "/sharing/" not in page
    token = hidden_inputs(page)["csrf_token"]
    response = client.post(
        f"/support/tickets/{number}/sharing/organisation", data={"csrf_token": token, "shared": "0"}
    )
    assert response.status_code == 409
    assert "Only the person who opened the ticket" in response.get_data(as_text=True)


def test_a_marketplace_can_share_new_tickets_with_the_organisation_by_default(client, marketplace):
    marketplace.flags["t1"] = Flags(share_with_organisation_by_default=True)
    login(client, "alice")
    number = open_ticket(client)
    login(client, "amy")
    assert listed(client.get("/support/?state=shared").get_data(as_text=True)) == [number]


def test_watching_is_a_toggle_for_customers_and_staff(client):
    login(client, "alice")
    number = open_ticket(client)
    post_form(client, f"/support/tickets/{number}", "/sharing/organisation")
    login(client, "amy")
    response = post_form(client, f"/support/tickets/{number}", "/watching")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are watching this ticket." in page and "Stop watching" in page
    login(client, "pete")
    response = post_form(client, f"/support/provider/tickets/{number}", "/watching")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    response = post_form(client, f"/support/provider/tickets/{number}", "/watching")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You no longer watch this ticket." in page and 'aria-pressed="false"' in page


def test_a_colleague_follows_and_adds_information_but_the_owner_decides_the_status(
    app, client, marketplace
):
    marketplace.flags["t1"] = Flags(emergencies_allowed=True)
    login(client, "alice")
    number = open_ticket(client)
    post_form(client, f"/support/tickets/{number}", "/sharing/organisation")
    tenant, pete = marketplace.actors["pete"]
    with app.test_request_context():
        actions.act(tenant, pete, Role.PROVIDER, number, Action.WAIT_FOR_CUSTOMER, {})

    login(client, "amy")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "You can follow it and add information; Alice decides when it is resolved." in page
    assert "<dd>Waiting for a reply from Alice</dd>" in page
    assert 'name="body"' in page  # she may answer the question
    for action in ("resolve", "raise_emergency"):
        assert f"/tickets/{number}/{action}" not in page
    token = hidden_inputs(page)["csrf_token"]
    response = client.post(f"/support/tickets/{number}/resolve", data={"csrf_token": token})
    assert response.status_code == 409
    assert "Only the person who opened the ticket can do this." in response.get_data(as_text=True)

    login(client, "alice")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "<dd>Waiting for your reply</dd>" in page
    assert f"/tickets/{number}/resolve" in page


def test_a_colleague_cannot_reopen_a_resolved_ticket_by_writing_on_it(app, client):
    login(client, "alice")
    number = open_ticket(client)
    post_form(client, f"/support/tickets/{number}", "/sharing/organisation")
    form = form_inputs(client.get(f"/support/tickets/{number}").get_data(as_text=True), "/resolve")
    assert client.post(f"/support/tickets/{number}/resolve", data=form).status_code == 303
    login(client, "amy")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert 'name="body"' not in page and f"/tickets/{number}/reopen" not in page


def test_the_colleague_picker_starts_empty_and_is_not_offered_when_everyone_sees_it(client):
    login(client, "alice")
    number = open_ticket(client)
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert '<option value="">Choose a colleague</option>' in page
    assert 'name="person" required' in page
    post_form(client, f"/support/tickets/{number}", "/sharing/organisation")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert 'name="person"' not in page
    assert "Everyone in your organisation can see and follow it." in page
