"""Ticket numbers run per tenant from 1 and stay unique when tickets are opened at once."""

from __future__ import annotations

import threading

import pytest

from marketplace_support import tickets

from .helpers import ticket_fields, tickets_in_db


def open_at_once(app, actor, tenant, count):
    """Open ``count`` tickets from as many threads, released together."""
    numbers, errors, barrier = [], [], threading.Barrier(count)

    def send(index):
        with app.test_request_context():
            form = {
                **ticket_fields(order="none"),
                "submission_key": f"form-{index:04d}-xxxxxxxxxxxx",
            }
            barrier.wait()
            try:
                numbers.append(tickets.open_ticket(tenant, actor, form).ticket.number)
            except Exception as error:  # reported below with the numbers
                errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return numbers


def test_twenty_tickets_opened_at_once_get_twenty_distinct_numbers(app, marketplace):
    alice = marketplace.actors["alice"][1]
    numbers = open_at_once(app, alice, "t1", 20)
    assert sorted(numbers) == list(range(1, 21))
    assert sorted(t.number for t in tickets_in_db(app)) == list(range(1, 21))


def test_numbers_run_per_tenant(app, marketplace):
    alice, carol = marketplace.actors["alice"][1], marketplace.actors["carol"][1]
    open_at_once(app, alice, "t1", 3)
    open_at_once(app, carol, "t2", 2)
    assert [(t.tenant_id, t.number) for t in tickets_in_db(app)] == [
        ("t1", 1),
        ("t1", 2),
        ("t1", 3),
        ("t2", 1),
        ("t2", 2),
    ]


def test_a_refused_ticket_does_not_use_up_a_number(app, marketplace):
    alice = marketplace.actors["alice"][1]
    with app.test_request_context():
        refused = {**ticket_fields(order="o-bob"), "submission_key": "refused-form-000001"}
        with pytest.raises(tickets.InvalidInput):
            tickets.open_ticket("t1", alice, refused)
        accepted = {**ticket_fields(), "submission_key": "accepted-form-00001"}
        assert tickets.open_ticket("t1", alice, accepted).ticket.number == 1
