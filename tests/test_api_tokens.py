"""API tokens: made on a page of the staff areas, shown once, kept as a hash, listed, revoked;
a token works only while it is valid and its maker is still staff there."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from marketplace_support import HostAdapter, clock
from marketplace_support.models import ApiToken

from .conftest import login
from .helpers import hidden_inputs, stored_rows, translated
from .host import FakeHost

TICKETS = "/support/api/v1/tickets"


def make_token(client, area: str = "provider", **fields) -> str:
    """Create a token on the area's page, as a person does; the secret the page shows."""
    page = client.get(f"/support/{area}/api-tokens")
    assert page.status_code == 200
    data = {
        "csrf_token": hidden_inputs(page.get_data(as_text=True))["csrf_token"],
        "name": "Zendesk bridge",
        "days": "30",
        "scopes": ["tickets:read", "tickets:write"],
    }
    data.update(fields)
    response = client.post(f"/support/{area}/api-tokens", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    match = re.search(r'<code id="ms-new-token">(mst_[A-Za-z0-9_-]{43})</code>', response.text)
    assert match
    return match.group(1)


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def stored_tokens(app) -> list[ApiToken]:
    return stored_rows(app, ApiToken)


def test_a_new_token_is_shown_once_and_kept_only_as_its_hash(app, client):
    login(client, "pete")
    secret = make_token(client)
    [row] = stored_tokens(app)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.name, row.hint, row.scopes}
    assert secret.startswith(row.hint) and row.hint.startswith("mst_")
    assert row.scopes == "tickets:read tickets:write"
    assert row.expires_at - row.created_at == timedelta(days=30)
    listing = client.get("/support/provider/api-tokens").get_data(as_text=True)
    assert secret not in listing
    assert "Zendesk bridge" in listing and f"{row.hint}…" in listing and "Never" in listing


def test_the_inbox_and_the_console_link_to_their_token_page(client):
    login(client, "pete")
    assert 'href="/support/provider/api-tokens"' in client.get("/support/provider/").text
    login(client, "olive")
    assert 'href="/support/operator/api-tokens"' in client.get("/support/operator/").text


def test_a_customer_cannot_get_a_token(app, client):
    login(client, "alice")
    for area in ("provider", "operator"):
        assert client.get(f"/support/{area}/api-tokens").status_code == 403
        response = client.post(
            f"/support/{area}/api-tokens",
            data={"name": "x", "days": "3", "scopes": "tickets:read"},
        )
        assert response.status_code in (400, 403)
    assert stored_tokens(app) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_refused_token_form_names_each_field_in_the_users_language(app, client, language):
    app.config["TEST_LOCALE"] = language
    login(client, "olive")
    page = client.get("/support/operator/api-tokens")
    csrf = hidden_inputs(page.get_data(as_text=True))["csrf_token"]
    response = client.post(
        "/support/operator/api-tokens", data={"csrf_token": csrf, "name": " ", "days": "400"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in (
        "Enter a name for the token.",
        "Choose what the token may do.",
    ):
        assert translated(language, message) in html
    assert (
        translated(language, "Enter a number of days from {min} to {max}.").format(min=1, max=365)
        in html
    )
    assert stored_tokens(app) == []


@pytest.mark.parametrize("days", ["\u0663\u0660", "\uff13\uff10", "30 days"])
def test_a_number_of_days_in_other_digits_is_refused_not_read(app, client, days):
    """``int`` reads Arabic-Indic and full-width digits: thirty in them made a 30-day token."""
    login(client, "pete")
    page = client.get("/support/provider/api-tokens")
    csrf = hidden_inputs(page.get_data(as_text=True))["csrf_token"]
    data = {"csrf_token": csrf, "name": "Bridge", "days": days, "scopes": "tickets:read"}
    response = client.post("/support/provider/api-tokens", data=data)
    assert response.status_code == 422
    assert "Enter a whole number of days." in response.get_data(as_text=True)
    assert stored_tokens(app) == []


def test_a_token_answers_until_it_is_revoked(app, client):
    login(client, "pete")
    secret = make_token(client)
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 200
    [row] = stored_tokens(app)
    assert row.last_used_at is not None
    page = client.get("/support/provider/api-tokens").get_data(as_text=True)
    csrf = hidden_inputs(page)["csrf_token"]
    response = client.post(
        f"/support/provider/api-tokens/{row.id}/revoke", data={"csrf_token": csrf}
    )
    assert response.status_code == 303
    refused = client.get(TICKETS, headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.mimetype == "application/problem+json"
    assert "Revoked" in client.get("/support/provider/api-tokens").text


def test_another_persons_token_cannot_be_revoked(app, client):
    login(client, "pete")
    make_token(client)
    [row] = stored_tokens(app)
    login(client, "pat")  # Pete's colleague at the same provider
    page = client.get("/support/provider/api-tokens").get_data(as_text=True)
    assert "Zendesk bridge" not in page
    csrf = hidden_inputs(page)["csrf_token"]
    response = client.post(
        f"/support/provider/api-tokens/{row.id}/revoke", data={"csrf_token": csrf}
    )
    assert response.status_code == 404
    assert stored_tokens(app)[0].revoked_at is None


def test_an_expired_token_is_refused(app, client):
    login(client, "pete")
    secret = make_token(client, days="1")
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 200
    with clock.frozen_at(clock.now() + timedelta(days=1, seconds=1)):
        assert client.get(TICKETS, headers=bearer(secret)).status_code == 401
        assert "Expired" in client.get("/support/provider/api-tokens").text


def test_a_token_stops_when_the_host_no_longer_says_its_maker_is_staff(client, marketplace):
    login(client, "pete")
    secret = make_token(client)
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 200
    tenant, pete = marketplace.actors["pete"]
    marketplace.actors["pete"] = (tenant, replace(pete, provider_ids=frozenset()))
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 401
    marketplace.actors["pete"] = (tenant, pete)
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 200
    del marketplace.actors["pete"]
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 401


def test_an_operator_token_made_in_the_console_stops_when_they_are_no_longer_operator(
    client, marketplace
):
    login(client, "olive")
    secret = make_token(client, "operator")
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 200
    tenant, olive = marketplace.actors["olive"]
    marketplace.actors["olive"] = (tenant, replace(olive, is_operator=False))
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 401


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer mst_short", "Basic cGV0ZTpwZXRl", "Bearer mst_" + "A" * 43],
)
def test_a_call_without_a_valid_token_is_401(client, authorization):
    response = client.get(TICKETS, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json(force=True)
    assert body["status"] == 401 and body["type"].endswith(":invalid-token")


def test_a_read_only_token_may_not_write(client):
    login(client, "pete")
    secret = make_token(client, scopes=["tickets:read"])
    assert client.get(TICKETS, headers=bearer(secret)).status_code == 200
    response = client.post(f"{TICKETS}/1/messages", json={"body": "Hi"}, headers=bearer(secret))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_last_used_is_written_at_most_once_a_minute(app, client):
    login(client, "pete")
    secret = make_token(client)
    client.get(TICKETS, headers=bearer(secret))
    first = stored_tokens(app)[0].last_used_at
    client.get(TICKETS, headers=bearer(secret))
    assert stored_tokens(app)[0].last_used_at == first
    later = clock.now() + timedelta(minutes=2)
    with clock.frozen_at(later):
        client.get(TICKETS, headers=bearer(secret))
    assert stored_tokens(app)[0].last_used_at == later


class _HostThatKnowsNoOneById(FakeHost):
    """A host that does not answer ``actor()``: no token could be checked."""

    actor = HostAdapter.actor


def test_a_host_that_cannot_say_who_a_token_is_gets_no_token_pages(app, client, marketplace):
    app.extensions["marketplace_support"].host = _HostThatKnowsNoOneById(marketplace)
    login(client, "pete")
    assert "api-tokens" not in client.get("/support/provider/").text
    assert client.get("/support/provider/api-tokens").status_code == 404
