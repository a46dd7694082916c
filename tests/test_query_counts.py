"""Pages cost the same number of SQL statements however many tickets and messages exist."""

from __future__ import annotations

from .conftest import login
from .helpers import add_information, open_ticket


def statements_for(client, count_queries, url):
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_ticket_list_costs_the_same_for_one_and_for_many_tickets(client, count_queries):
    login(client, "alice")
    open_ticket(client)
    one = statements_for(client, count_queries, "/support/")
    for _ in range(11):
        open_ticket(client)
    many = statements_for(client, count_queries, "/support/")
    assert one == many == 3  # the page, the counts of own tickets, the count of shared ones


def test_ticket_page_costs_the_same_for_few_and_many_messages(client, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    few = statements_for(client, count_queries, f"/support/tickets/{number}")
    for i in range(15):
        add_information(client, number, f"Update {i}")
    many = statements_for(client, count_queries, f"/support/tickets/{number}")
    assert few == many == 6  # the ticket, messages, events, files, shares, watching


def test_new_ticket_form_reads_nothing_from_the_database(client, count_queries):
    login(client, "alice")
    for _ in range(3):
        open_ticket(client)
    assert statements_for(client, count_queries, "/support/new") == 0
