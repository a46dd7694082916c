"""Pages cost the same number of SQL statements however many tickets and messages exist."""

from __future__ import annotations

from .conftest import login
from .helpers import add_information, new_ticket_form, open_ticket, ticket_fields

API = "/support/api/v1"


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
    # the page (with when the customer last looked at each of its tickets, so which of them
    # changed costs no statement of its own: it was 4), the counts of own tickets, the
    # count of shared ones
    assert one == many == 3


def test_ticket_page_costs_the_same_for_few_and_many_messages(client, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    few = statements_for(client, count_queries, f"/support/tickets/{number}")
    for i in range(15):
        add_information(client, number, f"Update {i}")
    many = statements_for(client, count_queries, f"/support/tickets/{number}")
    # the ticket (with when they last looked), messages, events, files, shares, watching, and
    # noting that they looked
    assert few == many == 7


def test_a_ticket_without_a_service_costs_the_same_with_its_choice_of_services(
    client, count_queries
):
    login(client, "alice")
    about = open_ticket(client, order="o-hosting")
    loose = open_ticket(client, order="none")
    # the form "Which service is this about?" asks the host for her orders, not the database
    page = client.get(f"/support/tickets/{loose}").get_data(as_text=True)
    assert "Which service is this about?" in page
    assert "Which service" not in client.get(f"/support/tickets/{about}").get_data(as_text=True)
    assert (
        statements_for(client, count_queries, f"/support/tickets/{loose}")
        == statements_for(client, count_queries, f"/support/tickets/{about}")
        == 6  # as the page of any ticket she looked at before (nothing new to note)
    )


def test_looking_again_at_a_ticket_where_nothing_changed_writes_nothing(client, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    add_information(client, number, "Something new")
    with count_queries() as first:
        assert client.get(f"/support/tickets/{number}").status_code == 200
    with count_queries() as again:
        assert client.get(f"/support/tickets/{number}").status_code == 200
    writes = [s for s in first.statements if s.lstrip().startswith("INSERT INTO support_seen")]
    assert len(writes) == 1
    # the page knew from its ticket's row when Alice last looked: nothing new, nothing noted
    assert again.count == first.count - 1
    assert not [s for s in again.statements if "support_seen (" in s]
    add_information(client, number, "Something newer")
    with count_queries() as after_news:
        assert client.get(f"/support/tickets/{number}").status_code == 200
    assert after_news.count == first.count


def test_new_ticket_form_reads_nothing_from_the_database(client, count_queries):
    login(client, "alice")
    for _ in range(3):
        open_ticket(client)
    assert statements_for(client, count_queries, "/support/new") == 0


def test_opening_a_ticket_costs_eight_statements_and_one_for_its_emails(app, client, count_queries):
    """The form's key looked up, the number, the ticket, its two events, who may be told, the
    webhook endpoints that may hear of it (none here), and the e-mails (the customer's and the
    provider's) in one INSERT; nothing is read again after the commit. (Delivery, after the
    response, is left out here.)"""
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    with count_queries() as counter:
        assert client.post("/support/new", data=data).status_code == 303
    with app.app_context():
        dialect = app.extensions["sqlalchemy"].engine.dialect.name
    # PostgreSQL gets both events in one INSERT too; SQLite cannot return their ids in order
    assert counter.count == (7 if dialect == "postgresql" else 8)
    outbox = [s for s in counter.statements if s.lstrip().startswith("INSERT INTO support_outbox")]
    assert len(outbox) == 1 and counter.statements[-1] == outbox[0]


# -- the customer's API (``/my/...``) costs what My Page costs ---------------------------------


def test_the_list_costs_what_my_page_costs_for_one_and_for_many_tickets(client, count_queries):
    login(client, "alice")
    open_ticket(client)
    one = statements_for(client, count_queries, f"{API}/my/tickets")
    for _ in range(11):
        open_ticket(client)
    many = statements_for(client, count_queries, f"{API}/my/tickets")
    page = statements_for(client, count_queries, "/support/")
    # the page (with when the customer last looked at each), the counts of own tickets, the
    # count of shared ones
    assert one == many == page == 3


def test_a_ticket_costs_what_its_page_costs_for_few_and_many_messages(client, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    few = statements_for(client, count_queries, f"{API}/my/tickets/{number}")
    for i in range(12):
        add_information(client, number, f"Update {i}")
    many = statements_for(client, count_queries, f"{API}/my/tickets/{number}")
    add_information(client, number, "One more")
    page = statements_for(client, count_queries, f"/support/tickets/{number}")
    # the ticket (with when they last looked), messages, events, files, shares, watching, and
    # noting that they looked
    assert few == many == page == 7
