"""A customer sees only their own tickets; another customer's or tenant's is "not found"."""

from __future__ import annotations

import pytest

from .conftest import login
from .helpers import (
    hidden_inputs,
    listed,
    listed_subjects,
    new_ticket_form,
    open_ticket,
    row_counts,
    tickets_in_db,
)


@pytest.fixture
def alices_ticket(client):
    login(client, "alice")
    return open_ticket(client, subject="Alice's secret problem")


def test_another_customers_ticket_is_not_found_exactly_like_a_missing_one(client, alices_ticket):
    login(client, "bob")
    hidden = client.get(f"/support/tickets/{alices_ticket}")
    missing = client.get("/support/tickets/999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data() == missing.get_data()


def test_another_tenants_ticket_with_the_same_number_stays_hidden(client, alices_ticket):
    login(client, "carol")  # tenant t2
    carols = open_ticket(client, order="o-carol", subject="Carol's own")
    assert carols == alices_ticket == 1  # numbers run per tenant
    page = client.get(f"/support/tickets/{carols}").get_data(as_text=True)
    assert "Carol&#39;s own" in page and "Alice" not in page
    listing = client.get("/support/").get_data(as_text=True)
    assert "Alice&#39;s secret problem" not in listing


def test_lists_show_only_the_customers_own_tickets(client, alices_ticket):
    login(client, "bob")
    open_ticket(client, order="o-bob", subject="Bob's problem")
    page = client.get("/support/").get_data(as_text=True)
    assert "Bob&#39;s problem" in page and "Alice&#39;s secret problem" not in page
    assert listed(client.get("/support/?state=closed").get_data(as_text=True)) == []


def test_a_list_page_read_once_is_never_shown_to_someone_else(client, alices_ticket):
    """A list page's statements are kept once made (per customer, tenant, tab and page):
    whoever asks next for the same page of their own list gets their own tickets."""

    def subjects() -> list[str]:
        return listed_subjects(client.get("/support/").get_data(as_text=True))

    assert subjects() == ["Alice's secret problem"]
    login(client, "bob")
    assert subjects() == []
    open_ticket(client, order="o-bob", subject="Bob's problem")
    assert subjects() == ["Bob's problem"]
    login(client, "carol")  # tenant t2, and its own ticket number 1
    open_ticket(client, order="o-carol", subject="Carol's own")
    assert subjects() == ["Carol's own"]
    login(client, "alice")
    assert subjects() == ["Alice's secret problem"]


def test_nobody_can_write_to_or_change_another_customers_ticket(app, client, alices_ticket):
    login(client, "bob")
    form = new_ticket_form(client)
    before = row_counts(app)
    reply = client.post(
        f"/support/tickets/{alices_ticket}/reply",
        data={
            "csrf_token": form["csrf_token"],
            "submission_key": form["submission_key"],
            "body": "hi",
        },
    )
    resolve = client.post(
        f"/support/tickets/{alices_ticket}/resolve",
        data={"csrf_token": form["csrf_token"], "action": "resolve"},
    )
    assert reply.status_code == resolve.status_code == 404
    assert row_counts(app) == before
    assert tickets_in_db(app)[0].status == "open"


def test_a_follow_up_cannot_point_at_someone_elses_ticket(app, client, alices_ticket):
    login(client, "bob")
    data = {
        **new_ticket_form(client),
        "order": "o-bob",
        "subject": "Sneaky",
        "category": "technical",
        "issue_about": "x",
        "follow_up_of": str(alices_ticket),
    }
    response = client.post("/support/new", data=data)
    assert response.status_code == 422
    assert "The earlier ticket could not be found." in response.get_data(as_text=True)
    assert len(tickets_in_db(app)) == 1


def test_the_same_submission_key_from_another_customer_is_a_new_ticket(app, client):
    login(client, "alice")
    form = new_ticket_form(client)
    data = {**form, "order": "none", "subject": "A", "category": "other", "issue_about": "x"}
    assert client.post("/support/new", data=data).status_code == 303
    login(client, "bob")
    data["csrf_token"] = hidden_inputs(client.get("/support/new").get_data(as_text=True))[
        "csrf_token"
    ]
    response = client.post("/support/new", data=data)
    assert response.status_code == 303
    assert [t.requester_user_id for t in tickets_in_db(app)] == ["alice", "bob"]
