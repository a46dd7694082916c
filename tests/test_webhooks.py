"""Webhooks: endpoints of providers and the operator get signed events of the tickets their
party sees, from the outbox, posted to a real receiver on loopback and verified with the
``standardwebhooks`` package as a provider's program verifies them."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import WebhookVerificationError

from marketplace_support import access, actions, clock, webhooks
from marketplace_support.blueprints.api.schemas import MessageSchema, TicketSummarySchema
from marketplace_support.models import Delivery, OutboxMessage, Ticket, WebhookEndpoint
from marketplace_support.schemas import InvalidInput
from marketplace_support.workflow import Action, Role

from .api_calls import auth, token
from .conftest import host_app, login
from .helpers import open_ticket, ticket_page_form
from .use_cases import ALL_EVENTS, deliver, register
from .webhook_receiver import receiver


@pytest.fixture
def app(database_url, marketplace, tmp_path):
    """Delivery is left to the test (``deliver``); endpoints may be on loopback over http."""
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "attachments"),
        SUPPORT_DELIVER_AFTER_REQUEST=False,
        SUPPORT_WEBHOOK_ALLOW_HTTP=True,
        SUPPORT_WEBHOOK_ALLOW_PRIVATE=True,
        SUPPORT_WEBHOOK_TIMEOUT=2,
    ) as made:
        yield made


def webhook_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        query = select(OutboxMessage).where(OutboxMessage.endpoint_id.is_not(None))
        rows = list(session.scalars(query.order_by(OutboxMessage.id)))
        session.expunge_all()
        return rows


def test_a_provider_endpoint_gets_a_signed_event_for_a_new_ticket(app, client, marketplace):
    with receiver() as nimbus:
        secret = register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        assert secret.startswith("whsec_")
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
        deliver(app)
    [delivery] = nimbus.received
    event = delivery.verify(secret)
    assert event["type"] == "ticket.opened"
    assert event["data"]["ticket"]["number"] == number
    assert event["data"]["ticket"]["provider_name"] == "Nimbus Hosting"
    # the fields of the API's tickets, as the API writes them
    assert TicketSummarySchema().validate(event["data"]["ticket"]) == {}
    assert set(event["data"]["ticket"]) == set(TicketSummarySchema().fields)
    assert delivery.headers["webhook-id"].startswith("msg_t1_")
    assert delivery.headers["webhook-signature"].startswith("v1,")
    [row] = webhook_rows(app)
    assert row.status is Delivery.SENT and row.response_status == 200


def test_each_change_tells_of_its_own_ticket(app, client, marketplace):
    """The statement that writes a change's webhooks is made once per shape and reused: two
    openings in a row each tell of their own ticket, with their own subject."""
    with receiver() as nimbus:
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url, ["ticket.opened"])
        login(client, "alice")
        first = open_ticket(client, order="o-hosting", subject="The first one")
        second = open_ticket(client, order="o-hosting", subject="The second one")
        deliver(app)
    told = [
        (d.payload["data"]["ticket"]["number"], d.payload["data"]["ticket"]["subject"])
        for d in nimbus.received
    ]
    assert told == [(first, "The first one"), (second, "The second one")]


def test_a_tampered_or_replayed_delivery_fails_verification(app, client, marketplace):
    with receiver() as nimbus:
        secret = register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        login(client, "alice")
        ten_minutes_ago = clock.now() - timedelta(minutes=10)
        with clock.frozen_at(ten_minutes_ago):
            open_ticket(client, order="o-hosting")
            deliver(app)
        open_ticket(client, order="o-hosting")
        deliver(app)
    replayed, fresh = nimbus.received
    assert fresh.verify(secret)["type"] == "ticket.opened"
    # sent ten minutes ago and played again now: too old
    with pytest.raises(WebhookVerificationError, match="too old"):
        replayed.verify(secret)
    # the old delivery re-dated to now: the signature no longer matches
    redated = {**replayed.headers, "webhook-timestamp": fresh.headers["webhook-timestamp"]}
    with pytest.raises(WebhookVerificationError):
        type(fresh)(fresh.path, redated, replayed.body).verify(secret)
    # a body changed on the way
    tampered = fresh.body.replace(b"ticket.opened", b"ticket.closed")
    with pytest.raises(WebhookVerificationError):
        type(fresh)(fresh.path, fresh.headers, tampered).verify(secret)
    # another endpoint's secret
    with receiver() as other:
        other_secret = register(app, marketplace, "pat", Role.PROVIDER, other.url)
    with pytest.raises(WebhookVerificationError):
        fresh.verify(other_secret)


def test_an_endpoint_of_another_provider_never_hears_of_a_ticket(app, client, marketplace):
    with receiver() as nimbus, receiver() as post, receiver() as ops:
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        register(app, marketplace, "quinn", Role.PROVIDER, post.url)
        register(app, marketplace, "olive", Role.OPERATOR, ops.url)
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
        deliver(app)
        assert nimbus.types() == ["ticket.opened"] and post.received == []
        assert ops.types() == ["ticket.opened"]
        # the operator re-routes it to Post & Co: Nimbus hears only that it went
        olive = token(app, marketplace, "olive", Role.OPERATOR)
        response = client.post(
            f"/support/api/v1/tickets/{number}/actions/reroute",
            json={"route_to": "p-post", "reason": "Mail problem"},
            headers=auth(olive),
        )
        assert response.status_code == 200, response.json
        deliver(app)
        assert nimbus.types() == ["ticket.opened", "ticket.rerouted_away"]
        away = nimbus.received[-1].payload["data"]
        assert away == {
            "ticket": {
                "number": number,
                "subject": away["ticket"]["subject"],
                "handler": "provider",
                "provider_name": "Post & Co",
            }
        }
        assert post.types() == ["ticket.routed"]
        # what happens on it now is Post & Co's, not Nimbus's
        quinn = token(app, marketplace, "quinn", Role.PROVIDER)
        response = client.post(
            f"/support/api/v1/tickets/{number}/messages",
            json={"body": "We are on it."},
            headers=auth(quinn),
        )
        assert response.status_code == 201
        deliver(app)
    assert nimbus.types() == ["ticket.opened", "ticket.rerouted_away"]
    # the first answer also starts the work on it
    answered = ["message.posted", "ticket.status_changed"]
    assert post.types() == ["ticket.routed", *answered]
    assert post.received[1].payload["data"]["message"]["body"] == "We are on it."
    status = post.received[2].payload["data"]
    assert status["event"]["to_value"] == status["ticket"]["status"] == "in_progress"
    assert ops.types() == ["ticket.opened", "ticket.routed", *answered]


def test_internal_notes_reach_only_the_endpoints_of_the_party_that_wrote_them(
    app, client, marketplace
):
    with receiver() as nimbus, receiver() as ops:
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        register(app, marketplace, "olive", Role.OPERATOR, ops.url)
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
        olive = token(app, marketplace, "olive", Role.OPERATOR)
        pete = token(app, marketplace, "pete", Role.PROVIDER)
        url = f"/support/api/v1/tickets/{number}/messages"
        for secret, body in ((olive, "Operator only"), (pete, "Nimbus only")):
            response = client.post(url, json={"body": body, "internal": True}, headers=auth(secret))
            assert response.status_code == 201
        deliver(app)
    heard = {
        name: [d.payload["data"].get("message", {}).get("body") for d in r.received]
        for name, r in (("nimbus", nimbus), ("ops", ops))
    }
    assert heard == {"nimbus": [None, "Nimbus only"], "ops": [None, "Operator only"]}
    message = nimbus.received[-1].payload["data"]["message"]
    assert MessageSchema().validate(message) == {} and message["internal"] is True


def test_the_same_form_sent_twice_sends_one_event(app, client, marketplace):
    """A change that is rolled back (the second submission of one form) sends nothing."""
    with receiver() as nimbus:
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url, ["message.posted"])
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
        form = {**ticket_page_form(client, number), "body": "More details"}
        for _ in range(2):
            response = client.post(f"/support/tickets/{number}/reply", data=form)
            assert response.status_code in (302, 303)
        deliver(app)
    assert nimbus.types() == ["message.posted"]


def test_a_failing_endpoint_gets_a_ticket_s_events_in_order_and_delays_no_one(
    app, client, marketplace
):
    with receiver() as flaky, receiver() as steady:
        flaky.statuses = [500]
        register(app, marketplace, "pete", Role.PROVIDER, flaky.url)
        register(app, marketplace, "olive", Role.OPERATOR, steady.url)
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
        pete = token(app, marketplace, "pete", Role.PROVIDER)
        response = client.post(
            f"/support/api/v1/tickets/{number}/messages",
            json={"body": "First answer"},
            headers=auth(pete),
        )
        assert response.status_code == 201
        deliver(app)
        # the steady endpoint has both; the flaky one refused the first, and the second
        # waits for it
        answered = ["message.posted", "ticket.status_changed"]
        assert steady.types() == ["ticket.opened", *answered]
        assert flaky.types() == ["ticket.opened"]
        deliver(app)
        assert flaky.types() == ["ticket.opened"]  # it pauses after its failure
        with app.app_context():
            session = app.extensions["sqlalchemy"].session
            hook = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.url == flaky.url))
            endpoint = hook.one()
            assert endpoint.failures == 1 and "HTTP 500" in (endpoint.last_error or "")
        with clock.frozen_at(clock.now() + timedelta(minutes=3)):
            deliver(app)
    assert flaky.types() == ["ticket.opened", "ticket.opened", *answered]
    assert flaky.received[0].id == flaky.received[1].id  # the same event, tried again
    assert [row.status for row in webhook_rows(app)] == [Delivery.SENT] * 6


def test_a_slow_endpoint_does_not_hold_up_another(app, client, marketplace):
    """The slow endpoint answers only once the other one got its event: posted one after the
    other, it would time out (2 s) first."""
    with receiver() as slow, receiver() as quick:
        slow.before_answer = lambda delivery: quick.arrived.wait(20)
        register(app, marketplace, "pete", Role.PROVIDER, slow.url)
        register(app, marketplace, "olive", Role.OPERATOR, quick.url)
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        report = deliver(app)
    assert slow.types() == quick.types() == ["ticket.opened"]
    assert len(report.sent) == 4  # two e-mails and two webhooks


@contextmanager
def trickling_endpoint(lines: int, every: float) -> Iterator[str]:
    """An endpoint that answers "200 OK" one header line at a time, ``every`` seconds apart:
    each read is quick, the whole answer is not."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(10)
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            for line in range(lines):
                if done.wait(every):
                    return
                with contextlib.suppress(OSError):
                    connection.sendall(f"X-Slow-{line}: yes\r\n".encode())
            with contextlib.suppress(OSError):
                connection.sendall(b"Content-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    finally:
        done.set()
        listener.close()


def test_an_endpoint_that_answers_a_line_at_a_time_is_cut_at_the_timeout(app, client, marketplace):
    """Each line comes well within the timeout (2 s), the whole answer would take 8 s: it is
    a failure at 2 s, tried again later, and does not hold the delivery up."""
    with trickling_endpoint(lines=16, every=0.5) as url:
        register(app, marketplace, "pete", Role.PROVIDER, url)
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        started = time.monotonic()
        report = deliver(app)
        took = time.monotonic() - started
    assert took < 4, f"the delivery took {took:.1f} s"
    assert len(report.sent) == 2  # the two e-mails
    [row] = webhook_rows(app)
    assert row.status is not Delivery.SENT
    assert row.last_error == "TimeoutError: timed out: no whole answer within 2 s"


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hooks",
        "https://127.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://localhost/hooks",
    ],
)
def test_an_endpoint_on_a_private_address_is_refused(app, marketplace, url):
    app.config["SUPPORT_WEBHOOK_ALLOW_PRIVATE"] = False
    tenant_id, actor = marketplace.actors["pete"]
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        webhooks.register(tenant_id, actor, Role.PROVIDER, {"url": url, "events": ALL_EVENTS})
    [message] = refused.value.errors["url"]
    assert "public addresses only" in message


def test_plain_http_is_refused_unless_the_host_allows_it(app, marketplace):
    app.config["SUPPORT_WEBHOOK_ALLOW_HTTP"] = False
    tenant_id, actor = marketplace.actors["pete"]
    form = {"url": "http://127.0.0.1:9/hooks", "events": ["ticket.opened"]}
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        webhooks.register(tenant_id, actor, Role.PROVIDER, form)
    assert refused.value.errors["url"] == ["The URL must start with https://."]


def test_an_endpoint_that_became_private_is_refused_when_sent_to(app, client, marketplace):
    """Checked again at each send: a name that resolves to a private address now (DNS
    rebinding; here the host's setting changed) gets nothing, and the log says why."""
    with receiver("127.0.0.1") as target:
        url = target.url.replace("127.0.0.1", "localhost")
        register(app, marketplace, "pete", Role.PROVIDER, url)
        app.config["SUPPORT_WEBHOOK_ALLOW_PRIVATE"] = False
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        deliver(app)
    assert target.received == []
    [row] = webhook_rows(app)
    assert row.status is Delivery.FAILED
    assert "localhost resolves to 127.0.0.1" in (row.last_error or "")


def test_a_change_writes_its_e_mails_and_webhooks_in_one_statement(
    app, client, marketplace, count_queries
):
    with receiver() as nimbus, receiver() as ops:
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        register(app, marketplace, "olive", Role.OPERATOR, ops.url)
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
        form = {**ticket_page_form(client, number), "body": "More details"}
        with count_queries() as counter:
            assert client.post(f"/support/tickets/{number}/reply", data=form).status_code == 303
    inserts = [s for s in counter.statements if s.lstrip().startswith("INSERT INTO support_outbox")]
    assert len(inserts) == 1
    reads = [s for s in counter.statements if "FROM support_webhook_endpoint" in s]
    # no statement of their own: the ticket's lock asks whether any endpoint listens, the
    # outbox INSERT picks those that hear of it
    assert [s.lstrip().split()[0] for s in reads] == ["SELECT", "INSERT"]
    assert reads[0].lstrip().startswith("SELECT support_ticket.id") and reads[1] == inserts[0]
    assert [row.notification for row in webhook_rows(app)][-2:] == ["message.posted"] * 2


def test_a_disabled_endpoint_gets_nothing_and_a_deleted_one_takes_its_log_along(
    app, client, marketplace
):
    tenant_id, pete = marketplace.actors["pete"]
    with receiver() as nimbus:
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        with app.test_request_context():
            [endpoint] = webhooks.endpoints_of(tenant_id, pete, Role.PROVIDER)
            endpoint_id = endpoint.id
            webhooks.set_enabled(tenant_id, pete, Role.PROVIDER, endpoint_id, False)
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        deliver(app)
        assert nimbus.received == [] and webhook_rows(app) == []
        with app.test_request_context():
            webhooks.set_enabled(tenant_id, pete, Role.PROVIDER, endpoint_id, True)
        open_ticket(client, order="o-hosting")
        deliver(app)
        assert nimbus.types() == ["ticket.opened"]
    with app.test_request_context():
        # Quinn (Post & Co) cannot touch Nimbus's endpoint
        _, quinn = marketplace.actors["quinn"]
        with pytest.raises(webhooks.EndpointNotFound):
            webhooks.remove(tenant_id, quinn, Role.PROVIDER, endpoint_id)
        webhooks.remove(tenant_id, pete, Role.PROVIDER, endpoint_id)
        assert webhooks.endpoints_of(tenant_id, pete, Role.PROVIDER) == []
    assert webhook_rows(app) == []


def test_the_operator_sees_every_endpoint_and_providers_only_theirs(app, marketplace):
    with receiver() as somewhere:
        for user_id, role in (("pete", Role.PROVIDER), ("quinn", Role.PROVIDER)):
            register(app, marketplace, user_id, role, somewhere.url)
        register(app, marketplace, "olive", Role.OPERATOR, somewhere.url)
    tenant_id = "t1"
    with app.test_request_context():
        seen = {
            user_id: [(e.role.value, e.provider_id) for e in webhooks.endpoints_of(tenant_id, a, r)]
            for user_id, a, r in (
                ("olive", marketplace.actors["olive"][1], Role.OPERATOR),
                ("pete", marketplace.actors["pete"][1], Role.PROVIDER),
                ("quinn", marketplace.actors["quinn"][1], Role.PROVIDER),
            )
        }
    assert seen == {
        "olive": [("provider", "p-nimbus"), ("provider", "p-post"), ("operator", None)],
        "pete": [("provider", "p-nimbus")],
        "quinn": [("provider", "p-post")],
    }


def test_the_provider_of_a_service_chosen_later_hears_the_ticket_routed_to_it(
    app, client, marketplace
):
    with receiver() as post:
        register(app, marketplace, "quinn", Role.PROVIDER, post.url)
        login(client, "alice")
        number = open_ticket(client, order="none")
        deliver(app)
        assert post.received == []
        tenant_id, alice = marketplace.actors["alice"]
        with app.test_request_context():
            actions.act(
                tenant_id, alice, Role.CUSTOMER, number, Action.CHOOSE_SERVICE, {"order": "o-mail"}
            )
        deliver(app)
    assert post.types() == ["ticket.routed"]
    routed = post.received[0].payload["data"]
    assert routed["ticket"]["number"] == number
    assert routed["event"]["detail"] == "order_provider"


def test_the_endpoints_that_hear_of_a_ticket_are_those_whose_party_sees_it(
    app, client, marketplace
):
    """``access.endpoint_sees`` (the condition the outbox INSERT picks endpoints by) agrees
    with ``access.visible`` for each endpoint's party, on tickets of two providers, of the
    operator and after a re-routing, and never crosses to another tenant."""
    with receiver() as somewhere:
        for user_id, role in (
            ("pete", Role.PROVIDER),
            ("quinn", Role.PROVIDER),
            ("olive", Role.OPERATOR),
            ("cora", Role.PROVIDER),
            ("otto", Role.OPERATOR),
        ):
            register(app, marketplace, user_id, role, somewhere.url)
    login(client, "alice")
    hosting, mail = open_ticket(client, order="o-hosting"), open_ticket(client, order="o-mail")
    moved, to_us = open_ticket(client, order="o-hosting"), open_ticket(client, order="o-mail")
    tenant_id, olive = marketplace.actors["olive"]
    with app.test_request_context():
        actions.act(tenant_id, olive, Role.OPERATOR, mail, Action.TAKE_OVER, {})
        for number, target in ((moved, "p-post"), (to_us, actions.TO_OPERATOR)):
            form = {"route_to": target, "reason": "Theirs"}
            actions.act(tenant_id, olive, Role.OPERATOR, number, Action.REROUTE, form)
        session = app.extensions["sqlalchemy"].session
        endpoints = list(session.scalars(select(WebhookEndpoint)))
        seen = {}
        for ticket in session.scalars(select(Ticket)):
            picked = select(WebhookEndpoint.id).where(access.endpoint_sees(ticket.id))
            parties = tuple(access.endpoint_party(e) for e in endpoints)
            who = access.who_sees(ticket.tenant_id, parties)
            seeing = session.scalars(who, access.of_ticket(ticket))
            same_tenant = {e.id for e in endpoints if e.tenant_id == ticket.tenant_id}
            by_rule = {endpoints[int(p)].id for p in seeing} & same_tenant
            assert set(session.scalars(picked)) == by_rule, ticket.number
            seen[ticket.number] = sorted(
                (e.role.value, e.provider_id) for e in endpoints if e.id in by_rule
            )
    assert seen[hosting] == [("operator", None), ("provider", "p-nimbus")]
    assert seen[mail] == [("operator", None), ("provider", "p-post")]  # taken over
    assert seen[moved] == [("operator", None), ("provider", "p-post")]
    assert seen[to_us] == [("operator", None)]
