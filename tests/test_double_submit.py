"""A form sent twice (double click, browser resend) creates one ticket, one message."""

from __future__ import annotations

import threading

from marketplace_support import tickets

from .conftest import login
from .helpers import new_ticket_form, row_counts, ticket_fields, ticket_page_form, tickets_in_db


def test_sending_the_same_ticket_form_twice_creates_one_ticket(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    first = client.post("/support/new", data=data)
    second = client.post("/support/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(tickets_in_db(app)) == 1
    assert row_counts(app)["support_event"] == 2  # opened + routed, once


def test_two_loads_of_the_form_are_two_tickets(app, client):
    login(client, "alice")
    for _ in range(2):
        assert (
            client.post(
                "/support/new", data={**new_ticket_form(client), **ticket_fields()}
            ).status_code
            == 303
        )
    assert [t.number for t in tickets_in_db(app)] == [1, 2]


def test_the_same_form_sent_at_the_same_moment_creates_one_ticket(app, marketplace):
    alice = marketplace.actors["alice"][1]
    form = {**ticket_fields(), "submission_key": "same-key-from-one-form-0001"}
    results, barrier = [], threading.Barrier(4)

    def send():
        with app.test_request_context():
            barrier.wait()
            results.append(tickets.open_ticket("t1", alice, form).ticket.number)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1, 1, 1, 1]
    assert len(tickets_in_db(app)) == 1


def test_information_sent_twice_is_added_once(app, client):
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    client.post("/support/new", data=data)
    form = {**ticket_page_form(client, 1), "body": "The log is attached."}
    assert client.post("/support/tickets/1/reply", data=form).status_code == 303
    assert client.post("/support/tickets/1/reply", data=form).status_code == 303
    page = client.get("/support/tickets/1").get_data(as_text=True)
    assert page.count("The log is attached.") == 1
    assert row_counts(app)["support_message"] == 1
