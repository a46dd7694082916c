"""A ticket opened "not related to a service" that turns out to be about one: the person who
opened it chooses the service on the ticket page (or through the API) while the marketplace
still holds it, and the ticket goes where a new ticket about that service would have gone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace_support import actions, clock, signals
from marketplace_support.models import Event, EventKind
from marketplace_support.routing import Reason
from marketplace_support.workflow import Action, Handler, Role

from .api_calls import API, assert_problem, csrf
from .conftest import host_app, login
from .helpers import form_inputs, listed_numbers, open_ticket, row_counts, tickets_in_db, translated
from .mailserver import html_of, sending_to, text_of
from .use_cases import outbox_rows

MONDAY_10 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
GOLD = {
    "urgent": {"first_response": 0.5, "resolution": 2},
    "high": {"first_response": 1, "resolution": 4},
    "medium": {"first_response": 2, "resolution": 8},
    "low": {"first_response": 4, "resolution": 16},
}


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        SUPPORT_SLA_PLANS={"gold": GOLD},
        **sending_to(smtp.port),
        MAIL_DEFAULT_SENDER=("Marketplace support", "support@market.example"),
        SUPPORT_SMTP_TIMEOUT=5,
    ) as app:
        yield app


def ticket(app: Flask, number: int):
    return next(t for t in tickets_in_db(app) if t.tenant_id == "t1" and t.number == number)


def events(app: Flask, number: int) -> list[Event]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        rows = list(
            session.scalars(
                select(Event).where(Event.ticket_id == ticket(app, number).id).order_by(Event.id)
            )
        )
        session.expunge_all()
        session.remove()
        return rows


def choose(client, number: int, order: str | None):
    """Send the page's form "Which service is this about?" as the browser does."""
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    data = form_inputs(page, "/choose_service")
    if order is not None:
        data["order"] = order
    return client.post(f"/support/tickets/{number}/choose_service", data=data)


def listed(html: str) -> list[int]:
    return listed_numbers(html)


def test_the_customer_chooses_the_service_and_the_ticket_goes_to_its_provider(app, client, smtp):
    with clock.frozen_at(MONDAY_10):
        login(client, "alice")
        number = open_ticket(client, order="none", subject="Slow pages", priority="high")
        assert ticket(app, number).first_response_due_at == MONDAY_10 + timedelta(hours=4)
        page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
        assert "Which service is this about?" in page
        options = re.findall(r'<option value="(o-[^"]+)"', page)
        assert options == ["o-hosting", "o-mail"]  # her active orders; not the ended one

        with clock.frozen_at(MONDAY_10 + timedelta(minutes=30)):
            response = choose(client, number, "o-hosting")

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/support/tickets/{number}?notice=choose_service")
    chosen = ticket(app, number)
    assert (chosen.order_id, chosen.order_label, chosen.service_plan) == (
        "o-hosting",
        "Web hosting M",
        "gold",
    )
    assert (chosen.handler, chosen.provider_id, chosen.provider_name) == (
        Handler.PROVIDER,
        "p-nimbus",
        "Nimbus Hosting",
    )
    assert chosen.routing_reason is Reason.ORDER_PROVIDER
    # the gold plan's target (1 h) from opening, half an hour of it already spent
    assert chosen.sla_first_response_target == 60
    assert chosen.first_response_due_at == MONDAY_10 + timedelta(hours=1)
    *_, picked, routed = events(app, number)
    assert (picked.kind, picked.actor_name, picked.to_value) == (
        EventKind.SERVICE_CHOSEN,
        "Alice",
        "o-hosting",
    )
    assert (routed.kind, routed.actor_role, routed.to_name, routed.from_value) == (
        EventKind.REROUTED,
        Role.SYSTEM,
        "Nimbus Hosting",
        "operator",
    )

    [news] = smtp.to("tickets@nimbus.example")
    assert news["Subject"] == f"New ticket #{number}: Slow pages"
    why = "Why it came to you: the customer opened it without a service, then chose Web hosting M."
    assert why in text_of(news) and why in html_of(news)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The ticket is now about Web hosting M. Nimbus Hosting will answer it here." in page
    assert "Alice chose the service: Web hosting M." in page
    assert "Sent to Nimbus Hosting. The provider delivers the chosen service." in page
    assert "Which service is this about?" not in page


def test_the_provider_gets_one_email_and_the_ticket_in_its_inbox_and_leaves_the_operators_queue(
    app, client, smtp
):
    login(client, "alice")
    number = open_ticket(client, order="none", subject="Mail bounces")
    login(client, "olive")
    queue = "/support/operator/?queue=no_order"
    assert listed(client.get(queue).get_data(as_text=True)) == [number]
    confirmations = len(smtp.to("alice@example.com"))
    login(client, "alice")

    assert choose(client, number, "o-mail").status_code == 303

    [news] = smtp.to("help@post.example")  # Post & Co reads German
    assert news["Subject"] == f"Neues Ticket #{number}: Mail bounces"
    assert f"https://t1.example/support/provider/tickets/{number}" in text_of(news)
    assert "order_provider" not in text_of(news) + html_of(news)
    why = "Why it came to you: the customer opened it without a service, then chose %(service)s."
    assert translated("de", why) % {"service": "Mail Basic"} in text_of(news)
    [moved] = [m for m in smtp.to("ops@t1.example") if "moved" in m["Subject"]]
    assert "The customer chose the service ticket" in text_of(moved)
    assert "it went to Post & Co, who provides the service." in text_of(moved)
    assert "no longer have access" not in text_of(moved)
    assert len(smtp.to("alice@example.com")) == confirmations  # she did it: nothing to tell
    assert smtp.to("tickets@nimbus.example") == []
    login(client, "quinn")
    assert listed(client.get("/support/provider/").get_data(as_text=True)) == [number]
    login(client, "olive")
    assert listed(client.get(queue).get_data(as_text=True)) == []


def test_signals_say_what_was_chosen_and_where_the_ticket_went(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="none")
    heard = []

    def record(sender, **kwargs):
        heard.append((kwargs["event"].to_value, kwargs["actor"]))

    alice = marketplace.actors["alice"][1]
    with (
        signals.service_chosen.connected_to(record, app),
        signals.ticket_rerouted.connected_to(record, app),
        app.test_request_context(),
    ):
        actions.act("t1", alice, Role.CUSTOMER, number, Action.CHOOSE_SERVICE, {"order": "o-mail"})
    # the routing follows her choice: the same change, by her
    assert heard == [("o-mail", alice), ("provider", alice)]


@pytest.mark.parametrize(
    ("order", "error"),
    [
        ("o-bob", "Choose one of your active services."),  # Bob's
        ("o-ended", "This service has ended. Choose one of your active services instead."),
        ("o-carol", "Choose one of your active services."),  # another tenant's
        ("none", "Choose one of your active services."),
        (None, "Choose the service this is about."),
    ],
)
def test_an_order_that_is_not_her_active_one_is_refused_next_to_the_field(
    app, client, smtp, order, error
):
    login(client, "alice")
    number = open_ticket(client, order="none")
    before, fields_before = row_counts(app), ticket(app, number)
    mails = len(outbox_rows(app))

    response = choose(client, number, order)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = re.search(r'<div class="ms-error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary and "data-ms-focus" in summary.group(0)
    assert f'<a href="#ms-service-order">{error}</a>' in summary.group(1)
    assert 'id="ms-service-order-error"' in page
    assert re.search(r'<select [^>]*id="ms-service-order"[^>]*aria-invalid="true"', page)
    assert row_counts(app) == before
    after = ticket(app, number)
    assert (after.order_id, after.handler, after.updated_at) == (
        None,
        fields_before.handler,
        fields_before.updated_at,
    )
    assert len(outbox_rows(app)) == mails


def test_no_choice_once_the_ticket_is_about_a_service_or_with_a_provider(app, client, marketplace):
    login(client, "alice")
    about = open_ticket(client, order="o-hosting")
    page = client.get(f"/support/tickets/{about}").get_data(as_text=True)
    assert "Which service is this about?" not in page
    csrf_token = form_inputs(page, "/reply")["csrf_token"]
    refused = client.post(
        f"/support/tickets/{about}/choose_service",
        data={"csrf_token": csrf_token, "order": "o-mail"},
    )
    assert refused.status_code == 409
    assert "This ticket is already about one of your services." in refused.get_data(as_text=True)

    loose = open_ticket(client, order="none")
    olive = marketplace.actors["olive"][1]
    with app.test_request_context():
        form = {"route_to": "p-post", "reason": "Post & Co looks first."}
        actions.act("t1", olive, Role.OPERATOR, loose, Action.REROUTE, form)
    page = client.get(f"/support/tickets/{loose}").get_data(as_text=True)
    assert "Which service is this about?" not in page
    refused = client.post(
        f"/support/tickets/{loose}/choose_service",
        data={"csrf_token": csrf_token, "order": "o-mail"},
    )
    assert refused.status_code == 409
    assert "The ticket was already passed on to a provider." in refused.get_data(as_text=True)
    assert ticket(app, loose).order_id is None


def test_a_colleague_on_a_shared_ticket_cannot_choose_for_the_person_who_opened_it(app, client):
    login(client, "alice")
    number = open_ticket(client, order="none")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    client.post(
        f"/support/tickets/{number}/sharing/organisation",
        data={**form_inputs(page, "/sharing/organisation"), "shared": "1"},
    )
    login(client, "amy")
    page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert "Welcher Service" not in page and "ms-service-order" not in page
    refused = client.post(
        f"/support/tickets/{number}/choose_service",
        data={**form_inputs(page, "/watching"), "order": "o-hosting"},
    )
    assert refused.status_code == 409
    assert ticket(app, number).order_id is None


def test_an_operator_only_problem_area_stays_with_the_marketplace(app, client, smtp):
    login(client, "alice")
    number = open_ticket(client, order="none", category="billing")
    outbox_before = len(outbox_rows(app))

    assert choose(client, number, "o-hosting").status_code == 303

    chosen = ticket(app, number)
    assert (chosen.order_id, chosen.handler) == ("o-hosting", Handler.OPERATOR)
    assert chosen.routing_reason is Reason.OPERATOR_CATEGORY
    assert [e.kind for e in events(app, number)][-1] is EventKind.SERVICE_CHOSEN
    assert len(outbox_rows(app)) == outbox_before  # nobody new to tell
    login(client, "olive")
    assert listed(client.get("/support/operator/?queue=no_order").get_data(as_text=True)) == []


def test_the_confirmation_of_a_ticket_without_a_service_says_where_to_choose_it(app, client, smtp):
    login(client, "alice")
    loose = open_ticket(client, order="none", subject="A question")
    about = open_ticket(client, order="o-hosting", subject="Site down")
    [without] = [m for m in smtp.to("alice@example.com") if f"#{loose}:" in m["Subject"]]
    [with_service] = [m for m in smtp.to("alice@example.com") if f"#{about}:" in m["Subject"]]
    hint = "Is this about one of your services? Then choose the service on the ticket page"
    assert hint in text_of(without) and hint in html_of(without)
    assert f"https://t1.example/support/tickets/{loose}" in text_of(without)
    assert hint not in text_of(with_service)


def test_the_api_chooses_the_service_with_the_same_checks(app, client):
    login(client, "alice")
    headers = csrf(client)
    number = open_ticket(client, order="none")
    url = f"{API}/my/tickets/{number}/actions/choose_service"
    before = row_counts(app)

    ended = assert_problem(
        client.post(url, json={"order": "o-ended"}, headers=headers), 422, "invalid-input"
    )
    assert ended["errors"] == {
        "order": ["This service has ended. Choose one of your active services instead."]
    }
    foreign = client.post(url, json={"order": "o-bob"}, headers=headers)
    assert assert_problem(foreign, 422, "invalid-input")["errors"] == {
        "order": ["Choose one of your active services."]
    }
    assert row_counts(app) == before
    listed_orders = client.get(f"{API}/my/orders").get_json()
    assert "o-mail" in str(listed_orders)

    chosen = client.post(url, json={"order": "o-mail"}, headers=headers)

    assert chosen.status_code == 200, chosen.get_data(as_text=True)
    body = chosen.get_json()
    assert body["ticket"]["handler"] == "provider"
    assert [e["kind"] for e in body["events"]] == ["service_chosen", "rerouted"]
    mine = client.get(f"{API}/my/tickets/{number}").get_json()
    assert "choose_service" not in mine["actions"]
    again = client.post(url, json={"order": "o-hosting"}, headers=headers)
    assert assert_problem(again, 409, "not-allowed")["detail"] == (
        "This ticket is already about one of your services."
    )
