"""Addresses of the module that name nothing, or not with the method they were asked with: the
module's own page (in the host's layout, in the person's language) or the API's problem+json,
like a ticket that does not exist; never Werkzeug's English page. The host's own addresses
keep the host's answers, and so do the module's where support is off for the tenant."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from marketplace_support import Flags
from marketplace_support.models import Message
from marketplace_support.workflow import Role

from .api_calls import API, assert_problem, auth, counted, signed_in, token
from .conftest import host_app, login
from .helpers import csrf_token, open_ticket, translated

HOST_LAYOUT = """<!doctype html>
<html><head><title>{% block title %}{% endblock %}</title>{% block head %}{% endblock %}</head>
<body><header>Host marketplace header</header>{% block content %}{% endblock %}</body></html>
"""

#: the module's page for an address that names nothing, in German
NOTHING_HERE = "Unter dieser Adresse gibt es nichts."
HEADING = "Hier stimmt etwas nicht"  # "Something is not right"


@pytest.fixture
def host(database_url, marketplace, tmp_path) -> Iterator[Flask]:
    """The test marketplace in German, in a layout of its own, with its own pages for a
    404 and a 405 and a page of its own that takes GET only."""
    with host_app(
        database_url,
        marketplace,
        TEST_LOCALE="de",
        SUPPORT_BASE_TEMPLATE="host/layout.html",
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "attachments"),
    ) as app:
        app.jinja_env.loader = ChoiceLoader(
            [DictLoader({"host/layout.html": HOST_LAYOUT}), app.jinja_env.loader]
        )
        app.register_error_handler(404, lambda error: ("The host's own not-found page", 404))
        app.register_error_handler(405, lambda error: ("The host's own wrong-method page", 405))
        app.add_url_rule("/shop", "shop", lambda: "The shop")
        yield app


@pytest.fixture
def alice(host):
    """Alice logged in, with her ticket #1."""
    client = host.test_client()
    login(client, "alice")
    assert open_ticket(client, order="o-hosting", subject="Website is down") == 1
    return client


def page_of(response) -> str:
    return response.get_data(as_text=True)


def assert_module_page(response, status: int) -> str:
    """The module's error page with ``status``, in the host's layout, in German."""
    page = page_of(response)
    assert response.status_code == status, page
    assert response.mimetype == "text/html"
    assert "Host marketplace header" in page
    assert HEADING in page
    assert "The requested URL was not found" not in page
    return page


def back_link(page: str) -> str | None:
    found = re.search(r'<p><a href="([^"]+)">[^<]+</a></p>', page)
    return found.group(1) if found else None


# -- pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/support/tickets/0",
        "/support/tickets/abc",
        "/support/tickets/-1",
        "/support/tickets/1x",
        "/support/tickets/99999999999999999999",
        "/support/tickets/2147483648",  # beyond the Integer column, so beyond the converter
        "/support/tickets/1/files/abc",
        "/support/nothing",
    ],
)
def test_an_address_that_names_no_page_gets_the_modules_page_as_a_missing_ticket_does(alice, path):
    missing_ticket = assert_module_page(alice.get("/support/tickets/99"), 404)
    page = assert_module_page(alice.get(path), 404)
    assert NOTHING_HERE in page
    # a way back to the customer's list, as a missing ticket's page has
    assert back_link(page) == back_link(missing_ticket) == "/support/"


def test_a_staff_address_that_names_nothing_leads_back_to_their_list(host, alice):
    client = host.test_client()
    login(client, "pete")
    page = assert_module_page(client.get("/support/provider/tickets/abc"), 404)
    assert NOTHING_HERE in page
    assert back_link(page) == "/support/provider/"


def test_an_action_the_customer_cannot_take_gets_the_modules_page(host, alice):
    token = csrf_token(host, alice)
    response = alice.post("/support/tickets/1/close", data={"csrf_token": token})
    assert NOTHING_HERE in assert_module_page(response, 404)
    # a follow-up of what cannot be a ticket reads as one of a ticket that is not hers
    pages = [
        assert_module_page(alice.get("/support/new", query_string={"follow_up_of": value}), 404)
        for value in ("abc", "٣", "99")
    ]
    not_hers = translated("de", "There is no such ticket, or it is not yours to see.")
    assert all(not_hers in page for page in pages)


def test_a_wrong_method_on_a_page_gets_the_modules_page_with_allow(host, alice):
    response = alice.delete("/support/tickets/1")
    assert NOTHING_HERE in assert_module_page(response, 405)
    assert {"GET", "HEAD"} <= set(response.headers["Allow"].split(", "))
    client = host.test_client()
    login(client, "pete")
    response = client.get("/support/provider/tickets/1/bogus")  # actions are posted
    assert_module_page(response, 405)
    assert "POST" in response.headers["Allow"].split(", ")


@pytest.mark.parametrize("number", ["\u0661", "\U0001d7d9", "\u0967"])  # Arabic, math, Devanagari
def test_a_ticket_number_in_other_digits_than_0_to_9_is_not_found(host, alice, marketplace, number):
    assert_module_page(alice.get(f"/support/tickets/{number}"), 404)
    assert_problem(alice.get(f"{API}/my/tickets/{number}"), 404, "not-found")
    secret = token(host, marketplace, "pete", Role.PROVIDER)
    client = host.test_client()
    assert_problem(client.get(f"{API}/tickets/{number}", headers=auth(secret)), 404, "not-found")
    login(client, "pete")
    assert_module_page(client.get(f"/support/provider/tickets/{number}"), 404)
    # ticket #1 in ASCII digits is there for each of them
    assert alice.get("/support/tickets/1").status_code == 200
    assert client.get("/support/provider/tickets/1").status_code == 200


def test_the_hosts_own_addresses_keep_the_hosts_answers(host, alice):
    for path in ("/nothing", "/supportive", "/shop/1"):
        response = alice.get(path)
        assert response.status_code == 404
        assert page_of(response) == "The host's own not-found page"
    response = alice.post("/shop")
    assert response.status_code == 405
    assert page_of(response) == "The host's own wrong-method page"


def test_where_support_is_off_the_modules_addresses_get_the_hosts_not_found(
    host, alice, marketplace
):
    marketplace.flags["t1"] = Flags(support_enabled=False)
    for path in ("/support/tickets/abc", "/support/nothing", "/support/tickets/1"):
        response = alice.get(path)
        assert response.status_code == 404
        assert page_of(response) == "The host's own not-found page"


# -- the API ------------------------------------------------------------------------------


def german_problem(response, status: int, kind: str) -> dict:
    body = assert_problem(response, status, kind)
    assert response.headers["Cache-Control"] == "no-store"
    return body


@pytest.mark.parametrize(
    "path", ["/my/tickets/abc", "/nothing", "/my/tickets/2147483648", "/tickets/0", ""]
)
def test_an_api_address_that_names_nothing_is_a_problem_in_the_callers_language(
    host, alice, marketplace, path
):
    body = german_problem(alice.get(f"{API}{path}"), 404, "not-found")
    assert body["title"] == "Nicht gefunden"
    assert body["detail"] == NOTHING_HERE
    secret = token(host, marketplace, "pete", Role.PROVIDER)
    headers = auth(secret, **{"Accept-Language": "de"})
    body = german_problem(host.test_client().get(f"{API}{path}", headers=headers), 404, "not-found")
    assert body["detail"] == NOTHING_HERE


def test_a_wrong_method_on_the_api_is_a_problem_with_allow(host, alice, marketplace):
    response = alice.delete(f"{API}/my/tickets", headers=signed_in(alice, "alice"))
    body = german_problem(response, 405, "method-not-allowed")
    assert body["title"] == "Diese Adresse nimmt diese Methode nicht an"
    assert "DELETE" in body["detail"]
    assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))
    secret = token(host, marketplace, "pete", Role.PROVIDER)
    response = host.test_client().delete(
        f"{API}/tickets", headers=auth(secret, **{"Accept-Language": "de"})
    )
    body = german_problem(response, 405, "method-not-allowed")
    assert body["detail"] == "Diese Adresse nimmt DELETE nicht an, sondern GET, HEAD, OPTIONS."
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_a_body_over_the_api_limit_is_a_problem_in_the_callers_language(host, alice, marketplace):
    secret = token(host, marketplace, "pete", Role.PROVIDER)
    before = counted(host, Message)
    response = host.test_client().post(
        f"{API}/tickets/1/messages",
        data=json.dumps({"body": "x" * 300_000}),
        content_type="application/json",
        headers=auth(secret, **{"Accept-Language": "de"}),
    )
    body = assert_problem(response, 413, "too-large")
    assert body["title"] == "Das Gesendete ist zu groß"
    assert body["detail"] == "Dieser Aufruf nimmt höchstens 262 KB an; das Gesendete ist größer."
    assert counted(host, Message) == before


def test_the_host_keeps_its_addresses_beside_the_api(host, alice):
    response = alice.get("/support/apix/v1/tickets")  # the module's pages, not the API
    assert NOTHING_HERE in assert_module_page(response, 404)
    response = alice.get("/api/v1/tickets")  # the host's
    assert page_of(response) == "The host's own not-found page"
