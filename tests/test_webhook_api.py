"""The API's webhook routes: the same rules as the Webhooks pages."""

from __future__ import annotations

from marketplace_support.workflow import Role

from . import test_webhooks
from .api_calls import assert_problem, auth, signed_in, token
from .conftest import login
from .helpers import open_ticket
from .use_cases import deliver
from .webhook_receiver import receiver

#: the app of the webhook tests: endpoints on loopback, delivery left to the test
app = test_webhooks.app

API = "/support/api/v1/webhooks"


def test_a_provider_registers_lists_disables_and_deletes_an_endpoint(app, client, marketplace):
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    with receiver() as nimbus:
        response = client.post(
            API, json={"url": nimbus.url, "events": ["ticket.opened"]}, headers=auth(pete)
        )
        assert response.status_code == 201, response.json
        made = response.json
        assert made["secret"].startswith("whsec_") and made["owner"] == "provider"
        assert made["provider_id"] == "p-nimbus" and made["enabled"] is True
        listed = client.get(API, headers=auth(pete)).json["endpoints"]
        assert [e["id"] for e in listed] == [made["id"]] and "secret" not in listed[0]
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        deliver(app)
        [delivery] = nimbus.received
        delivery.verify(made["secret"])
        log = client.get(f"{API}/{made['id']}/deliveries", headers=auth(pete)).json
        [entry] = log["deliveries"]
        assert entry["webhook_id"] == delivery.id and entry["status"] == "sent"
        assert entry["response_status"] == 200 and entry["type"] == "ticket.opened"
        health = client.get(f"{API}/{made['id']}", headers=auth(pete)).json
        assert health["last_success_at"] is not None and health["failures"] == 0
        switched = client.patch(f"{API}/{made['id']}", json={"enabled": False}, headers=auth(pete))
        assert switched.status_code == 200 and switched.json["enabled"] is False
        assert client.delete(f"{API}/{made['id']}", headers=auth(pete)).status_code == 204
        assert client.get(API, headers=auth(pete)).json == {"endpoints": []}


def test_another_provider_s_endpoint_is_not_found_and_the_operator_sees_it(
    app, client, marketplace
):
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    quinn = token(app, marketplace, "quinn", Role.PROVIDER)
    olive = token(app, marketplace, "olive", Role.OPERATOR)
    with receiver() as nimbus:
        made = client.post(
            API, json={"url": nimbus.url, "events": ["ticket.opened"]}, headers=auth(pete)
        ).json
    for method in ("get", "delete"):
        response = getattr(client, method)(f"{API}/{made['id']}", headers=auth(quinn))
        assert_problem(response, 404, "not-found")
    [seen] = client.get(API, headers=auth(olive)).json["endpoints"]
    assert seen["id"] == made["id"] and seen["provider_id"] == "p-nimbus"


def test_refused_input_is_a_422_with_the_field_s_reason(app, client, marketplace):
    app.config["SUPPORT_WEBHOOK_ALLOW_PRIVATE"] = False
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    response = client.post(
        API,
        json={"url": "https://169.254.169.254/latest", "events": ["no.such.event"]},
        headers=auth(pete),
    )
    body = assert_problem(response, 422, "invalid-input")
    assert "public addresses only" in body["errors"]["url"][0]
    assert body["errors"]["events"] == ["Choose the events to send."]
    response = client.patch(f"{API}/1", json={"enabled": "perhaps"}, headers=auth(pete))
    assert response.status_code in (404, 422)


def test_a_read_only_token_may_list_but_not_register(app, client, marketplace):
    reader = token(app, marketplace, "pete", Role.PROVIDER, scopes=("tickets:read",))
    assert client.get(API, headers=auth(reader)).status_code == 200
    response = client.post(
        API, json={"url": "https://example.org/", "events": ["ticket.opened"]}, headers=auth(reader)
    )
    assert_problem(response, 403, "insufficient-scope")


def test_failed_deliveries_are_sent_again_through_the_api(app, client, marketplace):
    app.config["SUPPORT_DELIVERY_ATTEMPTS"] = 1
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    with receiver() as nimbus:
        nimbus.statuses = [500]
        made = client.post(
            API, json={"url": nimbus.url, "events": ["ticket.opened"]}, headers=auth(pete)
        ).json
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        deliver(app)
        [failed] = client.get(f"{API}/{made['id']}/deliveries", headers=auth(pete)).json[
            "deliveries"
        ]
        assert failed["status"] == "failed" and failed["response_status"] == 500
        response = client.post(
            f"{API}/{made['id']}/send-again",
            json={"deliveries": [failed["id"]]},
            headers=auth(pete),
        )
        assert response.json == {"sent_again": 1}
        deliver(app)
    assert len(nimbus.unique()) == 1 and len(nimbus.received) == 2


def test_registering_again_with_the_same_key_answers_the_first_endpoint_and_its_secret(
    app, client, marketplace
):
    """A bridge whose answer got lost registers again with the same Idempotency-Key: one
    endpoint, and the same answer, secret included; another body with the key is refused."""
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    headers = auth(pete, **{"Idempotency-Key": "register-nimbus-1"})
    body = {"url": "https://127.0.0.1:9/hooks", "events": ["ticket.opened"]}
    first = client.post(API, json=body, headers=headers)
    again = client.post(API, json={"events": ["ticket.opened"], **body}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.json["secret"].startswith("whsec_")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert [e["id"] for e in client.get(API, headers=auth(pete)).json["endpoints"]] == [
        first.json["id"]
    ]
    other = client.post(API, json={**body, "events": ["ticket.routed"]}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")
    # the key is the caller's own: a colleague's same key registers their own endpoint
    pat = token(app, marketplace, "pat", Role.PROVIDER)
    theirs = client.post(
        API, json=body, headers=auth(pat, **{"Idempotency-Key": "register-nimbus-1"})
    )
    assert theirs.status_code == 201 and theirs.json["id"] != first.json["id"]
    assert theirs.json["secret"] != first.json["secret"]


def test_staff_register_with_their_session_once_per_key(app, client):
    """The same Idempotency-Key with the session (and its CSRF token) as with a token: one
    endpoint, the first answer again, the key kept per person."""
    headers = {**signed_in(client, "pete"), "Idempotency-Key": "session-register-1"}
    body = {"url": "https://127.0.0.1:9/hooks", "events": ["ticket.opened"]}
    first = client.post(API, json=body, headers=headers)
    again = client.post(API, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert [e["id"] for e in client.get(API).json["endpoints"]] == [first.json["id"]]
    other = client.post(API, json={**body, "events": ["ticket.routed"]}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


def test_a_registration_refused_with_a_key_leaves_the_key_free(app, client, marketplace):
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    headers = auth(pete, **{"Idempotency-Key": "k-2"})
    refused = client.post(
        API, json={"url": "ftp://x", "events": ["ticket.opened"]}, headers=headers
    )
    assert_problem(refused, 422, "invalid-input")
    body = {"url": "https://127.0.0.1:9/hooks", "events": ["ticket.opened"]}
    assert client.post(API, json=body, headers=headers).status_code == 201
    bad_key = client.post(API, json=body, headers=auth(pete, **{"Idempotency-Key": "é"}))
    assert_problem(bad_key, 422, "invalid-input")
    assert len(client.get(API, headers=auth(pete)).json["endpoints"]) == 1


def test_sending_again_with_the_same_key_sends_once(app, client, marketplace):
    app.config["SUPPORT_DELIVERY_ATTEMPTS"] = 1
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    with receiver() as nimbus:
        nimbus.statuses = [500, 500]
        made = client.post(
            API, json={"url": nimbus.url, "events": ["ticket.opened"]}, headers=auth(pete)
        ).json
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        deliver(app)
        [failed] = client.get(f"{API}/{made['id']}/deliveries", headers=auth(pete)).json[
            "deliveries"
        ]
        url, headers = f"{API}/{made['id']}/send-again", auth(pete, **{"Idempotency-Key": "r-1"})
        first = client.post(url, json={"deliveries": [failed["id"]]}, headers=headers)
        assert first.json == {"sent_again": 1}
        deliver(app)  # fails again (500)
        again = client.post(url, json={"deliveries": [failed["id"]]}, headers=headers)
        assert again.json == {"sent_again": 1} and again.headers["Idempotent-Replayed"] == "true"
        deliver(app)
        assert len(nimbus.received) == 2  # the first try and the one sent again, no third
        other = client.post(url, json={"deliveries": [failed["id"], 999]}, headers=headers)
        assert_problem(other, 422, "idempotency-key-reused")
