"""The API for a customer-facing app of the host (``/my/...``) on the host's own login, and
staff on theirs: what My Page shows and does, the same visibility as the pages (generated from
the permission tests' tickets), CSRF on every change, files up and down, Idempotency-Key,
refusals as problem+json in the person's language, constant query counts."""

from __future__ import annotations

import io
import re

import pytest

from marketplace_support import Category, FieldChoice, FieldKind, Flags, RequestField, clock
from marketplace_support.models import Attachment, IdempotencyKey, Message, Ticket
from marketplace_support.workflow import RULES, Action, Role, rule_for

from .api_calls import API, assert_problem, auth, counted, csrf, signed_in, token
from .categories import BILLING, NO_CONNECTION, OTHER
from .conftest import host_app, login
from .helpers import add_information, open_ticket, png, row_counts, translated
from .permission_cases import (
    ACTING,
    FORMS,
    OWNERSHIPS,
    TARGETS,
    Ownership,
    state_for,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NEW = {
    "order": "o-hosting",
    "subject": "Website is down",
    "category": "technical",
    "priority": "high",
    "issue_about": "The site answers 502 since 9:00.",
}


def multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> dict:
    return {**fields, "attachments": [(io.BytesIO(content), name) for name, content in files]}


# -- visibility: the pages' answers, generated from the permission tests' tickets -------------

AREA = {Role.CUSTOMER: "", Role.PROVIDER: "provider/", Role.OPERATOR: "operator/"}
PATH = {Role.CUSTOMER: "/my/tickets", Role.PROVIDER: "/tickets", Role.OPERATOR: "/tickets"}
VISIBILITY = [
    pytest.param(role, ownership, id=f"{role}-{ownership}")
    for role in (Role.CUSTOMER, Role.PROVIDER, Role.OPERATOR)
    for ownership in OWNERSHIPS[role]
]


@pytest.mark.parametrize(("role", "ownership"), VISIBILITY)
def test_a_ticket_answers_through_the_api_as_on_the_page_with_the_same_login(
    desk,
    client,
    role,
    ownership,
):
    login(client, ACTING[role])
    number = TARGETS[ownership][1]
    page = client.get(f"/support/{AREA[role]}tickets/{number}")
    called = client.get(f"{API}{PATH[role]}/{number}")
    assert called.status_code == page.status_code
    files = client.get(f"{API}{PATH[role]}/{number}/files/1")
    if ownership is Ownership.OWN:
        assert called.get_json()["number"] == number
        return
    missing = client.get(f"{API}{PATH[role]}/999")
    assert assert_problem(called, 404, "not-found") == assert_problem(missing, 404, "not-found")
    assert assert_problem(files, 404, "not-found") == missing.get_json()


CUSTOMER_ACTIONS = [
    pytest.param(rule, id=f"{rule.action}[{min(rule.roles)}]")
    for rule in RULES
    if rule.action not in (Action.REPLY, Action.NOTE)
    if Role.CUSTOMER in rule.roles or rule_for(rule.action, Role.CUSTOMER) is None
]


@pytest.mark.slow  # one app for each row of the table
@pytest.mark.parametrize("rule", CUSTOMER_ACTIONS)
def test_a_customers_action_through_the_api_is_allowed_exactly_as_the_table_says(
    desk,
    client,
    rule,
):
    where = TARGETS[Ownership.OWN]
    state = state_for(rule, rule.roles, desk.target(*where, "alice").provider_id, clock.now())
    desk.put(*where, state)
    form = FORMS[rule.action](desk.target(*where, "alice"))
    body = {key: value for key, value in form.items() if key != "submission_key"}
    headers = signed_in(client, "alice")
    before = desk.snapshot()

    response = client.post(
        f"{API}/my/tickets/{where[1]}/actions/{rule.action}", json=body, headers=headers
    )

    if Role.CUSTOMER in rule.roles:
        assert response.status_code == 200, response.get_data(as_text=True)
        changed = response.get_json()["ticket"]
        assert rule.target is None or changed["status"] == rule.target.value
    else:
        assert_problem(response, 409, "not-allowed")
        assert desk.snapshot() == before


@pytest.mark.parametrize("user_id", ["alice", "amy", "bob", "carol", "mia"])
@pytest.mark.parametrize("state", ["open", "closed", "shared"])
def test_each_list_holds_the_tickets_of_my_page(app, client, marketplace, user_id, state):
    login(client, "alice")
    shared = open_ticket(client)
    open_ticket(client, order="o-mail")
    headers = csrf(client)
    assert (
        client.put(
            f"{API}/my/tickets/{shared}/sharing/organisation",
            json={"shared": True},
            headers=headers,
        ).status_code
        == 200
    )
    client.post(f"{API}/my/tickets/{shared}/actions/resolve", headers=headers)
    login(client, user_id)
    page = client.get(f"/support/?state={state}").get_data(as_text=True)
    shown = {int(n) for n in re.findall(r'href="/support/tickets/(\d+)"', page)}
    listed = client.get(f"{API}/my/tickets?state={state}")
    assert listed.status_code == 200
    assert {t["number"] for t in listed.get_json()["tickets"]} == shown


def test_the_list_pages_by_keyset_and_counts_each_tab(client):
    login(client, "alice")
    for _ in range(7):
        open_ticket(client)
    first = client.get(f"{API}/my/tickets").get_json()
    assert len(first["tickets"]) == 5 and first["next"]
    assert first["counts"] == {"open": 7, "closed": 0, "shared": 0}
    second = client.get(first["next"]).get_json()
    assert len(second["tickets"]) == 2 and second["next"] is None
    numbers = [t["number"] for t in first["tickets"] + second["tickets"]]
    assert sorted(numbers) == list(range(1, 8))
    assert "assignee_name" not in first["tickets"][0]
    bad = client.get(f"{API}/my/tickets?state=lost")
    assert assert_problem(bad, 422, "invalid-input")["errors"] == {
        "state": ["There is no such list of tickets."]
    }
    assert_problem(client.get(f"{API}/my/tickets?after=t1.i2.x"), 400, "invalid-page-link")


def test_a_search_lists_the_best_match_first_and_takes_the_other_order(client):
    login(client, "alice")
    about_it = open_ticket(client, subject="Printer offline", issue_about="The printer is off.")
    mentions_it = open_ticket(client, subject="Invoice", issue_about="Not the printer.")
    numbers = [
        [
            t["number"]
            for t in client.get(f"{API}/my/tickets?q=printer{order}").get_json()["tickets"]
        ]
        for order in ("", "&sort=relevance", "&sort=activity")
    ]
    assert numbers == [[about_it, mentions_it], [about_it, mentions_it], [mentions_it, about_it]]
    bad = client.get(f"{API}/my/tickets?q=printer&sort=oldest")
    assert assert_problem(bad, 422, "invalid-input")["errors"] == {"sort": ["Choose an order."]}


def test_a_ticket_reads_as_my_page_shows_it_without_internal_notes(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client)
    add_information(client, number, "It is still down.")
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    for body, internal in (("Checking the load balancer.", True), ("We are on it.", False)):
        sent = client.post(
            f"{API}/tickets/{number}/messages",
            json={"body": body, "internal": internal},
            headers=auth(secret),
        )
        assert sent.status_code == 201
    ticket = client.get(f"{API}/my/tickets/{number}").get_json()
    assert [m["body"] for m in ticket["messages"]] == ["It is still down.", "We are on it."]
    assert not any(e["internal"] for e in ticket["events"])
    pete = ticket["messages"][1]["author"]
    assert pete == {"user_id": None, "name": pete["name"], "role": "provider"}
    assert ticket["targets"]["first_response_due_at"]
    assert set(ticket["actions"]) >= {"reply", "resolve"} and "start" not in ticket["actions"]
    assert ticket["sharing"]["owner"] is True
    assert "load balancer" not in client.get(f"{API}/my/tickets/{number}").get_data(as_text=True)


def test_orders_lists_the_customers_active_orders_from_the_host(client, marketplace):
    marketplace.flags["t1"] = Flags(ticket_without_order=False)
    login(client, "alice")
    answer = client.get(f"{API}/my/orders").get_json()
    assert [o["id"] for o in answer["orders"]] == ["o-hosting", "o-mail"]  # not the ended one
    assert answer["without_order_allowed"] is False
    assert answer["categories"] and answer["attachments"]["max_files"] == 5


# -- who may call ----------------------------------------------------------------------------


def test_a_change_with_the_session_needs_its_csrf_token_in_the_persons_language(app):
    app.config["TEST_LOCALE"] = "de"
    client = app.test_client()
    login(client, "alice")
    before = row_counts(app)
    for headers in ({}, {"X-CSRFToken": "forged"}):
        refused = client.post(f"{API}/my/tickets", json=NEW, headers=headers)
        body = assert_problem(refused, 403, "csrf-refused")
        assert body["title"] == translated("de", "The CSRF token was not accepted")
    assert row_counts(app) == before
    opened = client.post(f"{API}/my/tickets", json=NEW, headers=csrf(client))
    assert opened.status_code == 201, opened.get_data(as_text=True)
    assert opened.get_json()["ticket"]["subject"] == "Website is down"
    # another person's token is not this session's
    other = app.test_client()
    other_token = signed_in(other, "amy")
    assert_problem(
        client.post(f"{API}/my/tickets", json=NEW, headers=other_token), 403, "csrf-refused"
    )


def test_who_is_not_logged_in_or_in_another_area_is_refused(app, client, marketplace):
    assert_problem(client.get(f"{API}/my/tickets"), 401, "not-logged-in")
    assert_problem(client.get(f"{API}/tickets"), 401, "not-logged-in")
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    assert_problem(client.get(f"{API}/my/tickets", headers=auth(secret)), 403, "not-your-area")
    login(client, "alice")
    refused = assert_problem(client.get(f"{API}/tickets"), 403, "not-your-area")
    assert refused["detail"] == translated(
        "en", "These calls are for the staff of service providers and the marketplace's operator."
    )
    login(client, "paul")  # staff only
    assert_problem(client.get(f"{API}/my/tickets"), 403, "not-your-area")
    me = client.get(f"{API}/me").get_json()
    assert me["areas"] == ["provider"] and me["csrf_token"]
    assert client.get(f"{API}/me", headers=auth(secret)).get_json()["csrf_token"] is None


def test_staff_reply_with_their_session_and_its_csrf_token(app, client):
    login(client, "alice")
    number = open_ticket(client)
    headers = signed_in(client, "pete")
    url = f"{API}/tickets/{number}/messages"
    assert_problem(client.post(url, json={"body": "Hello"}), 403, "csrf-refused")
    sent = client.post(url, json={"body": "Hello"}, headers=headers)
    assert sent.status_code == 201
    assert sent.get_json()["ticket"]["status"] == "in_progress"
    listed = client.get(f"{API}/tickets").get_json()["tickets"]
    assert [t["number"] for t in listed] == [number]
    login(client, "mia")  # a customer of Acme and Nimbus staff: each area by its paths
    assert [t["number"] for t in client.get(f"{API}/tickets").get_json()["tickets"]] == [number]
    assert client.get(f"{API}/my/tickets").get_json()["tickets"] == []


# -- opening, replying, acting ---------------------------------------------------------------


def test_a_new_ticket_is_about_an_active_order_of_the_customer(app, client, marketplace):
    marketplace.flags["t1"] = Flags(ticket_without_order=False)
    headers = signed_in(client, "alice")
    refusals = {
        "o-bob": "Choose one of your active services.",
        "o-ended": "This service has ended. Choose one of your active services instead.",
        "none": "On this marketplace every ticket is about one of your services. Choose a service.",
    }
    for order, message in refusals.items():
        refused = client.post(f"{API}/my/tickets", json={**NEW, "order": order}, headers=headers)
        assert assert_problem(refused, 422, "invalid-input")["errors"] == {"order": [message]}
    missing = client.post(f"{API}/my/tickets", json={"subject": "x", "cc": 1}, headers=headers)
    errors = assert_problem(missing, 422, "invalid-input")["errors"]
    assert {"order", "issue_about", "cc"} <= set(errors)
    assert counted(app, Ticket) == 0
    marketplace.flags["t1"] = Flags(ticket_without_order=True)
    about_none = client.post(f"{API}/my/tickets", json={**NEW, "order": "none"}, headers=headers)
    assert about_none.status_code == 201
    assert about_none.get_json()["ticket"]["handler"] == "operator"


def test_reply_resolve_reopen_and_a_refused_action_with_its_reason(app, client):
    headers = signed_in(client, "alice")
    number = client.post(f"{API}/my/tickets", json=NEW, headers=headers).get_json()["ticket"][
        "number"
    ]
    base = f"{API}/my/tickets/{number}"
    replied = client.post(f"{base}/messages", json={"body": "More details."}, headers=headers)
    assert replied.status_code == 201
    assert [m["body"] for m in replied.get_json()["messages"]] == ["More details."]
    assert_problem(
        client.post(f"{base}/messages", json={"body": "x", "internal": True}, headers=headers),
        422,
        "invalid-input",
    )
    resolved = client.post(f"{base}/actions/resolve", headers=headers)
    assert resolved.status_code == 200 and resolved.get_json()["ticket"]["status"] == "resolved"
    refused = assert_problem(
        client.post(f"{base}/actions/start", headers=headers), 409, "not-allowed"
    )
    assert refused["detail"] == "This action is not available on this ticket."
    reopened = client.post(f"{base}/actions/reopen", headers=headers)
    assert reopened.get_json()["ticket"]["status"] == "open"
    assert_problem(client.post(f"{base}/actions/explode", headers=headers), 404, "not-found")


def test_an_emergency_is_reported_with_its_explanation_where_the_marketplace_takes_them(
    client, marketplace
):
    headers = signed_in(client, "alice")
    number = client.post(f"{API}/my/tickets", json=NEW, headers=headers).get_json()["ticket"][
        "number"
    ]
    url = f"{API}/my/tickets/{number}/actions/raise_emergency"
    body = {"explanation": "Everything is down since 9:00."}
    assert_problem(client.post(url, json=body, headers=headers), 409, "not-allowed")
    marketplace.flags["t1"] = Flags(emergencies_allowed=True)
    missing = client.post(url, json={}, headers=headers)
    assert assert_problem(missing, 422, "invalid-input")["errors"] == {
        "explanation": ["Tell us what is down and since when."]
    }
    raised = client.post(url, json=body, headers=headers)
    assert raised.status_code == 200
    assert raised.get_json()["ticket"]["emergency"] is not None


def test_sharing_through_the_api_is_decided_by_the_sharing_rules(app):
    client = app.test_client()  # pytest-flask's keeps its last request's context: one person
    headers = signed_in(client, "alice")
    number = client.post(f"{API}/my/tickets", json=NEW, headers=headers).get_json()["ticket"][
        "number"
    ]
    url = f"{API}/my/tickets/{number}/sharing"
    colleague = client.put(f"{url}/people/amy", headers=headers)
    assert colleague.status_code == 200
    assert [p["user_id"] for p in colleague.get_json()["people"]] == ["amy"]
    stranger = assert_problem(
        client.put(f"{url}/people/bob", headers=headers), 422, "invalid-input"
    )
    assert stranger["errors"] == {"person": ["Choose one of your colleagues."]}
    assert_problem(
        client.put(f"{url}/organisation", json={"shared": "maybe"}, headers=headers),
        422,
        "invalid-input",
    )
    amy = app.test_client()
    amy_headers = signed_in(amy, "amy")
    assert [
        t["number"] for t in amy.get(f"{API}/my/tickets?state=shared").get_json()["tickets"]
    ] == [number]
    not_owner = amy.put(f"{url}/organisation", json={"shared": True}, headers=amy_headers)
    assert assert_problem(not_owner, 409, "not-allowed")["detail"] == (
        "Only the person who opened the ticket can change who sees it."
    )
    assert client.delete(f"{url}/people/amy", headers=headers).get_json()["people"] == []
    assert_problem(amy.get(f"{API}/my/tickets/{number}"), 404, "not-found")
    bob = app.test_client()
    assert_problem(
        bob.put(f"{url}/organisation", json={"shared": True}, headers=signed_in(bob, "bob")),
        404,
        "not-found",
    )


# -- files -------------------------------------------------------------------------------------


def test_files_go_up_with_a_new_ticket_and_a_reply_and_come_down_as_from_the_page(app):
    client = app.test_client()  # pytest-flask's keeps its last request's context: one person
    headers = signed_in(client, "alice")
    opened = client.post(
        f"{API}/my/tickets",
        data=multipart(NEW, [("screen.png", png())]),
        headers=headers,
        content_type="multipart/form-data",
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)
    number = opened.get_json()["ticket"]["number"]
    replied = client.post(
        f"{API}/my/tickets/{number}/messages",
        data=multipart({"body": "The invoice."}, [("invoice.pdf", PDF)]),
        headers=headers,
        content_type="multipart/form-data",
    )
    assert replied.status_code == 201, replied.get_data(as_text=True)
    files = client.get(f"{API}/my/tickets/{number}").get_json()["attachments"]
    assert [(f["filename"], f["size"]) for f in files] == [
        ("screen.png", len(png())),
        ("invoice.pdf", len(PDF)),
    ]
    for file in files:
        page = client.get(f"/support/tickets/{number}/files/{file['id']}")
        called = client.get(f"{API}/my/tickets/{number}/files/{file['id']}")
        assert called.status_code == 200 and called.data == page.data
        for header in (
            "Content-Type",
            "Content-Disposition",
            "X-Content-Type-Options",
            "Content-Security-Policy",
            "Cross-Origin-Resource-Policy",
            "Cache-Control",
        ):
            assert called.headers[header] == page.headers[header], header
    # Bob, another customer, gets the same 404 as for a file that does not exist
    bob = app.test_client()
    login(bob, "bob")
    theirs = bob.get(f"{API}/my/tickets/{number}/files/{files[0]['id']}")
    assert (
        assert_problem(theirs, 404, "not-found")
        == bob.get(f"{API}/my/tickets/{number}/files/999").get_json()
    )


def test_staff_attach_files_and_the_customer_never_gets_an_internal_notes_file(
    app, client, marketplace
):
    login(client, "alice")
    number = open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    for body, internal, name in (("Logs", "true", "stack.pdf"), ("Guide", "false", "guide.pdf")):
        sent = client.post(
            f"{API}/tickets/{number}/messages",
            data=multipart({"body": body, "internal": internal}, [(name, PDF)]),
            headers=auth(secret),
            content_type="multipart/form-data",
        )
        assert sent.status_code == 201, sent.get_data(as_text=True)
    staff_files = client.get(f"{API}/tickets/{number}", headers=auth(secret)).get_json()[
        "attachments"
    ]
    by_name = {f["filename"]: f["id"] for f in staff_files}
    assert set(by_name) == {"stack.pdf", "guide.pdf"}
    down = client.get(f"{API}/tickets/{number}/files/{by_name['stack.pdf']}", headers=auth(secret))
    assert down.status_code == 200 and down.data == PDF
    assert down.headers["Content-Disposition"].startswith("attachment;")
    mine = client.get(f"{API}/my/tickets/{number}").get_json()["attachments"]
    assert [f["filename"] for f in mine] == ["guide.pdf"]
    assert_problem(
        client.get(f"{API}/my/tickets/{number}/files/{by_name['stack.pdf']}"), 404, "not-found"
    )


@pytest.mark.parametrize(
    ("name", "content", "flags", "message"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", Flags(), "is not a file type"),
        ("fake.png", b"<html><script>alert(1)</script></html>", Flags(), "does not match its name"),
        ("big.png", png() + b"\x00" * 3000, Flags(max_attachment_size=1000), "can be at most 1 KB"),
    ],
)
def test_a_refused_file_is_422_with_the_files_error_and_nothing_is_stored(
    app, client, marketplace, name, content, flags, message
):
    marketplace.flags["t1"] = flags
    headers = signed_in(client, "alice")
    before = row_counts(app)
    refused = client.post(
        f"{API}/my/tickets",
        data=multipart(NEW, [(name, content)]),
        headers=headers,
        content_type="multipart/form-data",
    )
    errors = assert_problem(refused, 422, "invalid-input")["errors"]
    assert list(errors) == ["attachments"] and message in errors["attachments"][0]
    assert row_counts(app) == before


def test_too_many_files_are_refused_with_the_limit(app, client, marketplace):
    marketplace.flags["t1"] = Flags(max_attachments=2)
    headers = signed_in(client, "alice")
    refused = client.post(
        f"{API}/my/tickets",
        data=multipart(NEW, [(f"s{i}.png", png()) for i in range(3)]),
        headers=headers,
        content_type="multipart/form-data",
    )
    errors = assert_problem(refused, 422, "invalid-input")["errors"]
    assert errors == {"attachments": ["Attach at most 2 files to one message."]}
    assert counted(app, Attachment) == 0


# -- Idempotency-Key, limits -------------------------------------------------------------------


def test_a_new_ticket_retried_with_its_key_is_opened_once(app, client):
    headers = {**signed_in(client, "alice"), "Idempotency-Key": "new-ticket-1"}
    first = client.post(f"{API}/my/tickets", json=NEW, headers=headers)
    again = client.post(f"{API}/my/tickets", json=NEW, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counted(app, Ticket) == 1 and counted(app, IdempotencyKey) == 1
    other = client.post(f"{API}/my/tickets", json={**NEW, "subject": "Other"}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")
    number = first.get_json()["ticket"]["number"]
    reply = {**headers, "Idempotency-Key": "reply-1"}
    url = f"{API}/my/tickets/{number}/messages"
    files = [("screen.png", png())]
    answers = [
        client.post(
            url,
            data=multipart({"body": "Hi"}, files),
            headers=reply,
            content_type="multipart/form-data",
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].get_json() == answers[1].get_json()
    assert counted(app, Message) == 1 and counted(app, Attachment) == 1
    changed = client.post(
        url,
        data=multipart({"body": "Hi"}, [("other.png", png())]),
        headers=reply,
        content_type="multipart/form-data",
    )
    assert_problem(changed, 422, "idempotency-key-reused")


def test_opening_tickets_is_rate_limited_as_on_my_page(database_url, marketplace, tmp_path):
    with host_app(
        database_url,
        marketplace,
        RATELIMIT_ENABLED=True,
        SUPPORT_LIMIT_OPEN_TICKETS="2 per minute",
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
    ) as app:
        client = app.test_client()
        headers = signed_in(client, "alice")
        for _ in range(2):
            assert client.post(f"{API}/my/tickets", json=NEW, headers=headers).status_code == 201
        refused = client.post(f"{API}/my/tickets", json=NEW, headers=headers)
        assert_problem(refused, 429, "rate-limited")
        assert int(refused.headers["Retry-After"]) > 0
        assert counted(app, Ticket) == 2


# -- request types: a problem area's own questions through the API -----------------------------

DEVICES = Category(
    "devices",
    "Devices",
    fields=(
        RequestField(
            "affected",
            FieldKind.CHOICES,
            {"en": "Which devices?", "de": "Welche Geräte?"},
            required=True,
            choices=(
                FieldChoice("laptop", {"en": "Laptop"}),
                FieldChoice("phone", {"en": "Phone", "de": "Telefon"}),
                FieldChoice("tv", {"en": "TV"}),
            ),
        ),
    ),
)
NO_CONNECTION_NEW = {
    "order": "o-hosting",
    "subject": "Offline since this morning",
    "category": "no_connection",
    "answer-address": "Main street 1, Springfield",
    "answer-router_lights": "blinking_red",
}


def test_an_app_reads_each_areas_questions_in_the_callers_language(app, client, marketplace):
    marketplace.categories["t1"] = [NO_CONNECTION, BILLING, OTHER]
    app.config["TEST_LOCALE"] = "de"  # the language the host picks for her pages
    login(client, "alice")
    answer = client.get(f"{API}/my/areas")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    areas = {area["key"]: area for area in answer.get_json()["areas"]}
    assert list(areas) == ["no_connection", "billing", "other"]  # the host's order
    assert areas["other"]["fields"] == []
    assert areas["no_connection"]["section"] == "Internet"
    address, lights, since = areas["no_connection"]["fields"]
    assert (address["key"], address["kind"], address["label"], address["required"]) == (
        "address",
        "short_text",
        "Adresse",
        True,
    )
    assert address["max_length"] == 200
    assert lights["choices"][:3] == [
        {"key": "all_off", "label": "Alle aus"},
        {"key": "power_only", "label": "Nur Strom"},
        {"key": "blinking_red", "label": "Blinkt rot"},
    ]
    assert lights["help"] == "Look at the front of the router."  # English: no German given
    assert (since["kind"], since["required"], since["label"]) == ("date", False, "Since when?")
    invoice, amount = areas["billing"]["fields"]
    assert invoice["max_length"] == 20
    assert (amount["min_value"], amount["max_value"]) == ("0", "100000")


def test_a_ticket_in_an_area_with_questions_opens_through_the_api_with_its_answers(
    app, client, marketplace
):
    marketplace.categories["t1"] = [NO_CONNECTION, DEVICES, OTHER]
    headers = signed_in(client, "alice")
    opened = client.post(f"{API}/my/tickets", json=NO_CONNECTION_NEW, headers=headers)
    assert opened.status_code == 201, opened.get_data(as_text=True)
    number = opened.get_json()["ticket"]["number"]
    read = client.get(f"{API}/my/tickets/{number}").get_json()
    answers = {a["key"]: a["value"] for a in read["answers"]}
    assert answers == {"address": "Main street 1, Springfield", "router_lights": "blinking_red"}
    assert read["issue_about"] == ""
    # several choices: a list in JSON, the field repeated in a form
    as_json = {"order": "o-hosting", "subject": "No sound", "category": "devices"}
    both = client.post(
        f"{API}/my/tickets", json={**as_json, "answer-affected": ["tv", "phone"]}, headers=headers
    )
    assert both.status_code == 201, both.get_data(as_text=True)
    in_form = client.post(
        f"{API}/my/tickets",
        data={**as_json, "answer-affected": ["laptop", "tv"]},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert in_form.status_code == 201, in_form.get_data(as_text=True)
    # stored in the question's order of choices, however they were sent
    for made, chosen in ((both, ["phone", "tv"]), (in_form, ["laptop", "tv"])):
        ticket = client.get(f"{API}/my/tickets/{made.get_json()['ticket']['number']}")
        assert [a["value"] for a in ticket.get_json()["answers"]] == [chosen]


def test_a_missing_or_unknown_answer_is_refused_with_its_field_and_nothing_is_written(
    app, client, marketplace
):
    marketplace.categories["t1"] = [NO_CONNECTION, OTHER]
    headers = signed_in(client, "alice")
    before = row_counts(app)
    missing = {k: v for k, v in NO_CONNECTION_NEW.items() if k != "answer-address"}
    refused = client.post(f"{API}/my/tickets", json=missing, headers=headers)
    errors = assert_problem(refused, 422, "invalid-input")["errors"]
    assert errors == {"answer-address": ["Fill in this field."]}
    unknown = client.post(
        f"{API}/my/tickets", json={**NO_CONNECTION_NEW, "answer-colour": "red"}, headers=headers
    )
    errors = assert_problem(unknown, 422, "invalid-input")["errors"]
    assert errors == {"answer-colour": ["This field is not part of the form."]}
    wrong_choice = client.post(
        f"{API}/my/tickets",
        json={**NO_CONNECTION_NEW, "answer-router_lights": "purple"},
        headers=headers,
    )
    errors = assert_problem(wrong_choice, 422, "invalid-input")["errors"]
    assert list(errors) == ["answer-router_lights"]
    # an area without questions of its own still needs what the issue is about
    guided = {"order": "o-hosting", "subject": "Something", "category": "other"}
    needs_about = client.post(f"{API}/my/tickets", json=guided, headers=headers)
    assert "issue_about" in assert_problem(needs_about, 422, "invalid-input")["errors"]
    assert row_counts(app) == before
