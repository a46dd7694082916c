"""The Webhooks pages of the provider inbox and the operator console."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace_support import clock
from marketplace_support.workflow import Role

from . import test_webhooks
from .api_calls import auth, token
from .conftest import login
from .helpers import hidden_inputs, open_ticket, translated
from .use_cases import deliver, register
from .webhook_receiver import receiver

#: the app of the webhook tests: endpoints on loopback, delivery left to the test
app = test_webhooks.app

EVENTS = ["ticket.opened", "message.posted"]


def register_on_page(client, area: str, url: str, **extra):
    page = client.get(f"/support/{area}/webhooks")
    assert page.status_code == 200
    data = {"csrf_token": hidden_inputs(page.text)["csrf_token"], "url": url, "events": EVENTS}
    return client.post(f"/support/{area}/webhooks", data={**data, **extra})


def test_a_provider_registers_an_endpoint_and_sees_its_secret_once(app, client):
    login(client, "pete")
    assert 'href="/support/provider/webhooks"' in client.get("/support/provider/").text
    with receiver() as nimbus:
        response = register_on_page(client, "provider", nimbus.url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        secret = re.search(r'id="ms-new-secret">(whsec_[^<]+)<', response.text)
        assert secret is not None
        listing = client.get("/support/provider/webhooks").text
        assert nimbus.url in listing and secret.group(1) not in listing
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        deliver(app)
    nimbus.received[0].verify(secret.group(1))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the URL to send events to."),
        ("ftp://example.org/", "The URL must start with https:// or http://."),
        ("https://169.254.169.254/", "public addresses only"),
        ("https://helpdesk.example/a b\r\nHost: evil", "This is not a URL."),
        ("https://user:secret@helpdesk.example/", "may not carry a user name or password"),
    ],
)
def test_a_refused_endpoint_says_why_in_the_user_s_language(app, client, url, message):
    app.config["SUPPORT_WEBHOOK_ALLOW_PRIVATE"] = False
    login(client, "pete")
    response = register_on_page(client, "provider", url)
    assert response.status_code == 422
    assert message in response.text


def test_a_refused_endpoint_is_refused_in_german(app, client):
    app.config["TEST_LOCALE"] = "de"
    login(client, "pete")
    response = register_on_page(client, "provider", "")
    assert response.status_code == 422
    assert translated("de", "Enter the URL to send events to.") in response.text


def test_the_log_shows_each_try_and_sends_a_failed_delivery_again(app, client, marketplace):
    app.config["SUPPORT_DELIVERY_ATTEMPTS"] = 1
    with receiver() as nimbus:
        nimbus.statuses = [503]
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        deliver(app)
        login(client, "pete")
        listing = client.get("/support/provider/webhooks").text
        endpoint = re.search(r'href="/support/provider/webhooks/(\d+)"', listing)
        assert endpoint is not None and "HTTP 503" in listing
        log = client.get(f"/support/provider/webhooks/{endpoint.group(1)}")
        assert log.status_code == 200
        assert "ticket.opened" in log.text and "503" in log.text and "Failed" in log.text
        delivery = re.search(r'name="delivery" value="(\d+)"', log.text)
        assert delivery is not None
        response = client.post(
            f"/support/provider/webhooks/{endpoint.group(1)}/send-again",
            data={"csrf_token": hidden_inputs(log.text)["csrf_token"], "delivery": [delivery[1]]},
        )
        assert response.status_code == 303
        assert "1 notification will be sent again." in client.get(response.headers["Location"]).text
        deliver(app)
    assert nimbus.types() == ["ticket.opened", "ticket.opened"]
    assert "Sent" in client.get(f"/support/provider/webhooks/{endpoint.group(1)}").text


def test_the_operator_sees_every_provider_s_endpoint_and_a_provider_not_another_s(
    app, client, marketplace
):
    with receiver() as somewhere:
        register(app, marketplace, "pete", Role.PROVIDER, somewhere.url + "/nimbus")
        register(app, marketplace, "quinn", Role.PROVIDER, somewhere.url + "/post")
    login(client, "olive")
    listing = client.get("/support/operator/webhooks").text
    assert "Nimbus Hosting" in listing and "Post &amp; Co" in listing
    nimbus = re.search(r'href="/support/operator/webhooks/(\d+)">[^<]*/nimbus<', listing)
    assert nimbus is not None
    login(client, "quinn")
    page = client.get("/support/provider/webhooks").text
    assert "/post" in page and "/nimbus" not in page
    assert client.get(f"/support/provider/webhooks/{nimbus[1]}").status_code == 404
    response = client.post(
        f"/support/provider/webhooks/{nimbus[1]}/delete",
        data={"csrf_token": hidden_inputs(page)["csrf_token"]},
    )
    assert response.status_code == 404


def test_a_disabled_endpoint_shows_it_and_can_be_enabled_again(app, client, marketplace):
    with receiver() as nimbus:
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
    login(client, "pete")
    page = client.get("/support/provider/webhooks").text
    endpoint = re.search(r"/support/provider/webhooks/(\d+)/disable", page)
    assert endpoint is not None
    csrf = hidden_inputs(page)["csrf_token"]
    response = client.post(endpoint.group(0), data={"csrf_token": csrf})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "no events go to it until you enable it" in page
    assert f"/support/provider/webhooks/{endpoint.group(1)}/enable" in page


def test_every_try_is_in_the_log_with_its_time_answer_and_duration_until_the_sweep(
    app, client, marketplace
):
    """A delivery refused (500), then refused again, then taken: three tries, each with its
    number, time, HTTP status (or error) and how long it took, on the page and through the
    API; `flask support sweep` forgets them after SUPPORT_WEBHOOK_LOG_DAYS."""
    app.config["SUPPORT_DELIVERY_ATTEMPTS"] = 5
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    start = clock.now()
    with receiver() as nimbus:
        nimbus.statuses = [500, 502]
        register(app, marketplace, "pete", Role.PROVIDER, nimbus.url)
        login(client, "alice")
        open_ticket(client, order="o-hosting")
        for hours in (1, 3, 5):  # each time past the endpoint's pause and the row's wait
            with clock.frozen_at(start + timedelta(hours=hours)):
                deliver(app)
    assert len(nimbus.received) == 3
    [endpoint] = client.get("/support/api/v1/webhooks", headers=auth(pete)).json["endpoints"]
    log = f"/support/api/v1/webhooks/{endpoint['id']}/deliveries"
    [delivery] = client.get(log, headers=auth(pete)).json["deliveries"]
    tries = delivery["tries"]
    assert [t["attempt"] for t in tries] == [1, 2, 3]
    assert [t["response_status"] for t in tries] == [500, 502, 200]
    assert tries[0]["error"].startswith("HTTP 500") and tries[2]["error"] is None
    assert all(t["duration_ms"] >= 0 for t in tries)
    assert tries[0]["tried_at"] < tries[1]["tried_at"] < tries[2]["tried_at"]
    login(client, "pete")
    page = client.get(f"/support/provider/webhooks/{endpoint['id']}").text
    for number, status in ((1, 500), (2, 502), (3, 200)):
        assert re.search(rf"Try {number} at .*?: HTTP {status} in \d+ ms", page), number
    assert "Every try is kept for 30 days." in page
    with clock.frozen_at(start + timedelta(days=30, hours=4)):
        result = app.test_cli_runner().invoke(args=["support", "sweep"])
    assert "forgot 0 idempotency keys and 2 webhook tries" in result.output
    # (the sweep escalated the ticket meanwhile: a new delivery, not tried yet)
    [kept] = [
        d
        for d in client.get(log, headers=auth(pete)).json["deliveries"]
        if d["id"] == delivery["id"]
    ]
    assert [t["attempt"] for t in kept["tries"]] == [3] and kept["status"] == "sent"


def test_a_try_that_gets_no_answer_keeps_its_error(app, client, marketplace):
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    with receiver() as gone:
        url = gone.url
    register(app, marketplace, "pete", Role.PROVIDER, url)  # nothing listens there any more
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    deliver(app)
    [endpoint] = client.get("/support/api/v1/webhooks", headers=auth(pete)).json["endpoints"]
    log = f"/support/api/v1/webhooks/{endpoint['id']}/deliveries"
    [delivery] = client.get(log, headers=auth(pete)).json["deliveries"]
    [tried] = delivery["tries"]
    assert tried["response_status"] is None and "Connection" in tried["error"]
    assert tried["attempt"] == 1 and delivery["status"] == "pending"
