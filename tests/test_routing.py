"""Who a new ticket goes to, and which orders a customer may name (the routing matrix)."""

from __future__ import annotations

import dataclasses

import pytest

from marketplace_support import Category, Flags, Order
from marketplace_support.routing import Handler, Reason, route_new_ticket

from .conftest import login
from .helpers import new_ticket_form, open_ticket, row_counts, submit_ticket, tickets_in_db

ORDER = Order("o-1", "Web hosting", "p-1", "Nimbus")
TECHNICAL = Category("technical", "Technical")
BILLING = Category("billing", "Billing", operator_only=True)


@pytest.mark.parametrize(
    ("order", "category", "handler", "reason", "provider"),
    [
        (ORDER, TECHNICAL, Handler.PROVIDER, Reason.ORDER_PROVIDER, "p-1"),
        (ORDER, None, Handler.PROVIDER, Reason.ORDER_PROVIDER, "p-1"),
        (None, TECHNICAL, Handler.OPERATOR, Reason.NO_ORDER, None),
        (ORDER, BILLING, Handler.OPERATOR, Reason.OPERATOR_CATEGORY, None),
        (None, BILLING, Handler.OPERATOR, Reason.OPERATOR_CATEGORY, None),
    ],
)
def test_routing_rules(order, category, handler, reason, provider):
    route = route_new_ticket(order, category)
    assert (route.handler, route.reason, route.provider_id) == (handler, reason, provider)


def test_ticket_about_own_order_goes_to_its_provider(app, client):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    [ticket] = tickets_in_db(app)
    assert (ticket.number, ticket.handler, ticket.provider_id) == (
        number,
        Handler.PROVIDER,
        "p-nimbus",
    )
    # what the host said at submit time is kept on the ticket
    assert (ticket.order_label, ticket.provider_name, ticket.service_plan) == (
        "Web hosting M",
        "Nimbus Hosting",
        "gold",
    )
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Handled by" in page and "Nimbus Hosting" in page
    assert "Sent to Nimbus Hosting. The provider delivers the chosen service." in page


def test_ticket_without_order_goes_to_operator(app, client):
    login(client, "alice")
    number = open_ticket(client, order="none")
    [ticket] = tickets_in_db(app)
    assert (ticket.handler, ticket.routing_reason, ticket.provider_id) == (
        Handler.OPERATOR,
        Reason.NO_ORDER,
        None,
    )
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Not related to a service" in page
    assert "Sent to Marketplace support. The ticket is not about a service." in page


def test_operator_only_category_goes_to_operator_even_with_an_order(app, client):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", category="billing")
    [ticket] = tickets_in_db(app)
    assert (ticket.handler, ticket.routing_reason) == (Handler.OPERATOR, Reason.OPERATOR_CATEGORY)
    assert ticket.order_label == "Web hosting M"  # still about the service
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "The marketplace handles this problem area itself." in page


@pytest.mark.parametrize(
    ("order_id", "message"),
    [
        ("o-bob", "Choose one of your active services."),  # another customer's order
        ("o-carol", "Choose one of your active services."),  # another tenant's order
        ("o-nope", "Choose one of your active services."),  # unknown
        ("o-ended", "This service has ended. Choose one of your active services instead."),
    ],
)
def test_orders_that_are_not_the_customers_active_ones_are_refused(app, client, order_id, message):
    login(client, "alice")
    response = submit_ticket(client, order=order_id)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="ms-order-error"' in page
    assert row_counts(app)["support_ticket"] == 0


def test_the_order_check_asks_the_host_for_this_tenant_and_customer(app, client, marketplace):
    login(client, "carol")  # tenant t2
    response = submit_ticket(client, order="o-hosting")  # alice's order in t1
    assert response.status_code == 422
    assert row_counts(app)["support_ticket"] == 0


def test_form_lists_only_active_orders_with_their_provider(client):
    login(client, "alice")
    page = client.get("/support/new").get_data(as_text=True)
    assert "Web hosting M" in page and "Provided by Nimbus Hosting" in page
    assert "Mail Basic" in page and "Provided by Post &amp; Co" in page
    assert "Old backup" not in page  # ended
    assert "Bob&#39;s shop" not in page  # another customer's
    assert "Not related to any of my active services" in page


def test_without_order_not_allowed_hides_the_option_and_refuses_a_crafted_request(
    app, client, marketplace
):
    marketplace.flags["t1"] = Flags(ticket_without_order=False)
    login(client, "alice")
    page = client.get("/support/new").get_data(as_text=True)
    assert 'value="none"' not in page
    assert "Not related to any of my active services" not in page
    response = submit_ticket(client, order="none")
    assert response.status_code == 422
    assert "On this marketplace every ticket is about one of your services." in response.get_data(
        as_text=True
    )
    assert row_counts(app)["support_ticket"] == 0


def test_customer_without_active_orders_where_order_is_required_is_told_why(client, marketplace):
    marketplace.flags["t1"] = Flags(ticket_without_order=False)
    marketplace.orders = {
        key: (owner, dataclasses.replace(order, active=False))
        for key, (owner, order) in marketplace.orders.items()
    }
    login(client, "alice")
    page = client.get("/support/new").get_data(as_text=True)
    assert "you have none right now" in page
    assert "Send ticket" not in page


def test_routing_is_decided_at_submit_and_stored_not_recomputed(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    # the provider renames itself and the order ends: the ticket's history stays
    marketplace.orders[("t1", "o-hosting")] = (
        "acme",
        Order("o-hosting", "Renamed", "p-nimbus", "Nimbus Cloud", active=False),
    )
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Web hosting M" in page and "Nimbus Hosting" in page
    assert new_ticket_form(client)  # the form still works without that order
