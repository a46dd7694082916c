"""The JSON API for provider and operator staff: the same tickets as their pages, the same
workflow table, refusals as problem+json in the caller's language, Idempotency-Key exactly
once, constant query counts, and the OpenAPI document checked in beside the code."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace_support import clock
from marketplace_support.models import IdempotencyKey, Message, OutboxMessage
from marketplace_support.workflow import RULES, Action, Handler, Role, Status, rule_for

from .api_calls import (
    ANY_TEXT,
    ANY_VALUE,
    API,
    assert_problem,
    auth,
    counted,
    support_rows,
    token,
)
from .conftest import SERVER_URL, examples, host_app, login
from .helpers import add_information, open_ticket, translated
from .permission_cases import (
    ACTING,
    FORMS,
    OWNERSHIPS,
    TARGETS,
    Ownership,
    state_for,
)

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
STAFF = (Role.PROVIDER, Role.OPERATOR)


# -- visibility: what the pages show, generated from the permission tests' tickets -------------

AREA = {Role.PROVIDER: "provider", Role.OPERATOR: "operator"}
VISIBILITY = [
    pytest.param(role, ownership, id=f"{role}-{ownership}")
    for role in STAFF
    for ownership in OWNERSHIPS[role]
]


@pytest.mark.parametrize(("role", "ownership"), VISIBILITY)
def test_a_ticket_answers_through_the_api_as_on_the_staff_page(
    desk,
    client,
    role,
    ownership,
):
    actor_id = ACTING[role]
    secret = token(desk.app, desk.marketplace, actor_id, role)
    number = TARGETS[ownership][1]
    login(client, actor_id)
    page = client.get(f"/support/{AREA[role]}/tickets/{number}")
    called = client.get(f"{API}/tickets/{number}", headers=auth(secret))
    assert called.status_code == page.status_code
    if ownership is Ownership.OWN:
        assert called.get_json()["number"] == number
        return
    missing = client.get(f"{API}/tickets/999", headers=auth(secret))
    assert_problem(called, 404, "not-found")
    assert called.get_json(force=True) == missing.get_json(force=True)


@pytest.mark.parametrize("user_id", ["pete", "quinn", "olive", "cora", "otto", "mia"])
def test_the_list_holds_the_tickets_of_the_staff_page(desk, client, user_id):
    _tenant, actor = desk.marketplace.actors[user_id]
    role = Role.OPERATOR if actor.is_operator else Role.PROVIDER
    secret = token(desk.app, desk.marketplace, user_id, role)
    login(client, user_id)
    page = client.get(f"/support/{AREA[role]}/").get_data(as_text=True)
    shown = {int(n) for n in re.findall(rf"/support/{AREA[role]}/tickets/(\d+)", page)}
    listed = client.get(f"{API}/tickets", headers=auth(secret)).get_json()
    assert {ticket["number"] for ticket in listed["tickets"]} == shown


def test_the_list_pages_by_keyset_with_a_next_link(app, client, marketplace):
    login(client, "alice")
    for _ in range(7):
        open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    first = client.get(f"{API}/tickets?sort=activity", headers=auth(secret)).get_json()
    assert len(first["tickets"]) == 5 and first["next"]
    assert first["active_by_status"] == {"open": 7}
    second = client.get(first["next"], headers=auth(secret)).get_json()
    assert len(second["tickets"]) == 2 and second["next"] is None
    numbers = [t["number"] for t in first["tickets"] + second["tickets"]]
    assert sorted(numbers) == list(range(1, 8))


def test_a_ticket_carries_its_conversation_with_internal_notes_for_staff(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client)
    add_information(client, number, "It is still down.")
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    note = client.post(
        f"{API}/tickets/{number}/messages",
        json={"body": "Checking the load balancer.", "internal": True},
        headers=auth(secret),
    )
    assert note.status_code == 201
    ticket = client.get(f"{API}/tickets/{number}", headers=auth(secret)).get_json()
    assert [(m["body"], m["internal"]) for m in ticket["messages"]] == [
        ("It is still down.", False),
        ("Checking the load balancer.", True),
    ]
    assert ticket["events"][0]["kind"] == "routed"
    assert ticket["targets"]["first_response_due_at"]
    assert "start" in ticket["actions"] and "close" not in ticket["actions"]
    # the customer never reads the note
    assert "load balancer" not in client.get(f"/support/tickets/{number}").text


# -- the workflow table, through the API -------------------------------------------------------

ACTION_CASES = [
    pytest.param(rule, role, id=f"{rule.action}[{min(rule.roles)}]-{role}")
    for rule in RULES
    if rule.action not in (Action.REPLY, Action.NOTE)
    for role in STAFF
    if role in rule.roles or rule_for(rule.action, role) is None
]


def _fire(client, secret, number, action, form, **headers):
    body = {key: value for key, value in form.items() if key != "submission_key"}
    url = f"{API}/tickets/{number}/actions/{action}"
    return client.post(url, json=body, headers=auth(secret, **headers))


@pytest.mark.slow  # one app for each row of the table and each staff role
@pytest.mark.parametrize(("rule", "role"), ACTION_CASES)
def test_an_action_through_the_api_is_allowed_exactly_as_the_table_says(
    desk,
    client,
    rule,
    role,
):
    where = TARGETS[Ownership.OWN]
    actor_id = ACTING[role]
    secret = token(desk.app, desk.marketplace, actor_id, role)
    state = state_for(rule, rule.roles, desk.target(*where, actor_id).provider_id, clock.now())
    desk.put(*where, state)
    form = FORMS[rule.action](desk.target(*where, actor_id))
    before = desk.snapshot()

    response = _fire(client, secret, where[1], rule.action, form)

    handler_ok = not (
        role is Role.PROVIDER and rule.handler_only and state.handler is not Handler.PROVIDER
    )
    if role in rule.roles and handler_ok:
        assert response.status_code == 200, response.get_data(as_text=True)
        changed = response.get_json()
        assert changed["ticket"]["number"] == where[1]
        assert changed["events"] or changed["messages"]
        if rule.target is not None:
            assert changed["ticket"]["status"] == rule.target.value
    else:
        assert_problem(response, 409, "not-allowed")
        assert desk.snapshot() == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rule", "role"),
    [
        pytest.param(rule, role, id=f"{rule.action}-{role}")
        for rule in RULES
        if rule.action not in (Action.REPLY, Action.NOTE)
        for role in sorted(rule.roles)
        if role in STAFF and set(Status) - rule.sources
    ],
)
def test_an_action_from_another_status_is_409_with_the_reason(desk, client, rule, role):
    where = TARGETS[Ownership.OWN]
    actor_id = ACTING[role]
    secret = token(desk.app, desk.marketplace, actor_id, role)
    status = next(s for s in Status if s not in rule.sources)
    provider_id = desk.target(*where, actor_id).provider_id
    state = state_for(rule, frozenset({role}), provider_id, clock.now(), statuses=(status,))
    desk.put(*where, state)
    form = FORMS[rule.action](desk.target(*where, actor_id))
    before = desk.snapshot()
    body = assert_problem(_fire(client, secret, where[1], rule.action, form), 409, "not-allowed")
    assert body["detail"]
    assert desk.snapshot() == before


def test_an_action_on_another_providers_ticket_is_404_like_a_missing_one(desk, client):
    secret = token(desk.app, desk.marketplace, "pete", Role.PROVIDER)
    other = _fire(client, secret, TARGETS[Ownership.OTHER_PARTY][1], "start", {})
    missing = _fire(client, secret, 999, "start", {})
    assert assert_problem(other, 404, "not-found") == assert_problem(missing, 404, "not-found")


def test_an_unknown_action_is_404(app, client, marketplace):
    secret = token(app, marketplace, "olive", Role.OPERATOR)
    assert_problem(_fire(client, secret, 1, "explode", {}), 404, "not-found")


# -- refusals as problem+json, in the caller's language --------------------------------------


@pytest.mark.parametrize("language", ["en", "de"])
def test_refusals_are_problem_json_in_the_callers_language(app, client, marketplace, language):
    login(client, "alice")
    number = open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    headers = auth(secret, **{"Accept-Language": language})

    missing = assert_problem(client.get(f"{API}/tickets/999", headers=headers), 404, "not-found")
    assert missing["detail"] == translated(
        language, "There is no such ticket, or it is not yours to see."
    )
    refused = client.post(f"{API}/tickets/{number}/messages", json={"body": " "}, headers=headers)
    invalid = assert_problem(refused, 422, "invalid-input")
    assert invalid["errors"] == {"body": [translated(language, "Write your message.")]}
    extra = client.post(
        f"{API}/tickets/{number}/messages", json={"body": "Hi", "cc": "x"}, headers=headers
    )
    assert assert_problem(extra, 422, "invalid-input")["errors"] == {
        "cc": [translated(language, "This field is not part of the form.")]
    }
    closed = _fire(client, secret, number, "close", {}, **{"Accept-Language": language})
    assert assert_problem(closed, 409, "not-allowed")["detail"] == translated(
        language, "This action is not available on this ticket."
    )
    bad = client.get(f"{API}/tickets", headers=auth("mst_unknown", **{"Accept-Language": language}))
    assert assert_problem(bad, 401, "invalid-token")["title"] == translated(
        language, "The API token was not accepted"
    )
    query = client.get(f"{API}/tickets?status=lost", headers=headers)
    assert assert_problem(query, 422, "invalid-input")["errors"] == {
        "status": [translated(language, "Choose one of the statuses.")]
    }
    link = client.get(f"{API}/tickets?after=t1.i2.x", headers=headers)
    assert_problem(link, 400, "invalid-page-link")


def test_without_accept_language_the_token_makers_language_is_used(app, client, marketplace):
    tenant, pete = marketplace.actors["pete"]
    marketplace.actors["pete"] = (tenant, pete.__class__(**{**pete.__dict__, "locale": "fr"}))
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    body = assert_problem(client.get(f"{API}/tickets/999", headers=auth(secret)), 404, "not-found")
    assert body["detail"] == translated("fr", "There is no such ticket, or it is not yours to see.")


def test_a_staff_reply_is_rate_limited_like_on_the_page(database_url, marketplace, tmp_path):
    with host_app(
        database_url,
        marketplace,
        RATELIMIT_ENABLED=True,
        SUPPORT_LIMIT_STAFF_MESSAGES="2 per minute",
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
    ) as app:
        client = app.test_client()
        login(client, "alice")
        number = open_ticket(client)
        secret = token(app, marketplace, "pete", Role.PROVIDER)
        url = f"{API}/tickets/{number}/messages"
        for i in range(2):
            reply = client.post(url, json={"body": f"Reply {i}"}, headers=auth(secret))
            assert reply.status_code == 201
        refused = client.post(url, json={"body": "Reply 3"}, headers=auth(secret))
        assert_problem(refused, 429, "rate-limited")
        assert int(refused.headers["Retry-After"]) > 0
        assert counted(app, Message) == 2


# -- Idempotency-Key ---------------------------------------------------------------------------


def test_a_retried_reply_with_the_same_key_is_sent_once(app, client, marketplace):
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    login(client, "alice")
    number = open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    url = f"{API}/tickets/{number}/messages"
    headers = auth(secret, **{"Idempotency-Key": "b7c2e1d4-retry-me"})
    mails_before = counted(app, OutboxMessage, OutboxMessage.recipient == "alice@example.com")

    first = client.post(url, json={"body": "We restarted the server."}, headers=headers)
    again = client.post(
        url,
        data='{ "body" : "We restarted the server." }',
        content_type="application/json",
        headers=headers,
    )

    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.get_json()["ticket"]["status"] == "in_progress"
    assert counted(app, Message) == 1
    mails = counted(app, OutboxMessage, OutboxMessage.recipient == "alice@example.com")
    assert mails == mails_before + 1
    assert counted(app, IdempotencyKey) == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    headers = auth(secret, **{"Idempotency-Key": "key-1"})
    url = f"{API}/tickets/{number}/messages"
    assert client.post(url, json={"body": "First"}, headers=headers).status_code == 201
    other = client.post(url, json={"body": "Second"}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")
    action = client.post(f"{API}/tickets/{number}/actions/resolve", json={}, headers=headers)
    assert_problem(action, 422, "idempotency-key-reused")
    assert counted(app, Message) == 1


def test_an_action_retried_with_its_key_answers_the_same_and_is_not_refused(
    app, client, marketplace
):
    login(client, "alice")
    number = open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    headers = auth(secret, **{"Idempotency-Key": "resolve-1"})
    url = f"{API}/tickets/{number}/actions/resolve"
    first = client.post(url, headers=headers)
    again = client.post(url, headers=headers)  # resolving twice would be refused: 409
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()


def test_keys_are_kept_per_person_and_forgotten_after_a_day(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client)
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    olive = token(app, marketplace, "olive", Role.OPERATOR)
    url = f"{API}/tickets/{number}/messages"
    for secret in (pete, olive):  # the same key of two people: two calls
        sent = client.post(
            url, json={"body": "Hello"}, headers=auth(secret, **{"Idempotency-Key": "k"})
        )
        assert sent.status_code == 201
    with clock.frozen_at(clock.now() + timedelta(hours=24, seconds=1)):
        later = client.post(
            url, json={"body": "Hello"}, headers=auth(pete, **{"Idempotency-Key": "k"})
        )
        assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert counted(app, Message) == 3


def test_a_key_that_is_not_visible_ascii_is_refused(app, client, marketplace):
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    response = client.post(
        f"{API}/tickets/1/messages",
        json={"body": "Hi"},
        headers=auth(secret, **{"Idempotency-Key": "x" * 256}),
    )
    assert "Idempotency-Key" in assert_problem(response, 422, "invalid-input")["errors"]


# -- costs ---------------------------------------------------------------------------------------


def _statements(client, count_queries, url, secret) -> int:
    client.get(url, headers=auth(secret))  # "last used" is written once a minute: not here
    with count_queries() as counter:
        response = client.get(url, headers=auth(secret))
    assert response.status_code == 200
    return counter.count


def test_the_list_costs_the_same_for_one_and_for_many_tickets(
    app, client, marketplace, count_queries
):
    login(client, "alice")
    open_ticket(client)
    for user_id, role in (("pete", Role.PROVIDER), ("olive", Role.OPERATOR)):
        secret = token(app, marketplace, user_id, role)
        one = _statements(client, count_queries, f"{API}/tickets", secret)
        for _ in range(11):
            open_ticket(client)
        many = _statements(client, count_queries, f"{API}/tickets", secret)
        # the token, the page (with when the caller last looked at each ticket), the counts
        # per status (operators: per queue too, in the same statement)
        assert one == many == 3


def test_a_ticket_costs_the_same_for_few_and_many_messages(app, client, marketplace, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    url = f"{API}/tickets/{number}"
    few = _statements(client, count_queries, url, secret)
    for i in range(12):
        add_information(client, number, f"Update {i}")
    many = _statements(client, count_queries, url, secret)
    # the token, the ticket (with whether the caller watches it and whether it has files: none
    # here), its messages and events
    assert few == many == 4


# -- the document ------------------------------------------------------------------------------


def test_the_served_openapi_document_is_the_checked_in_one(client):
    served = client.get(f"{API}/openapi.json")
    assert served.status_code == 200
    assert served.get_json()["openapi"] == "3.1.0"
    assert served.get_data(as_text=True) == DOCUMENT.read_text(encoding="utf-8"), (
        "the API changed: python scripts/openapi.py writes docs/openapi.json again"
    )


def test_callers_who_ask_first_for_the_document_at_once_each_get_all_of_it(app):
    """The document is written at its first reading (not when the app starts): a caller who
    asks while another's reading writes it waits for the whole document."""
    start = threading.Barrier(4)

    def read(_: int) -> str:
        client = app.test_client()
        start.wait()
        return client.get(f"{API}/openapi.json").get_data(as_text=True)

    with ThreadPoolExecutor(4) as pool:
        documents = list(pool.map(read, range(4)))
    assert documents == [DOCUMENT.read_text(encoding="utf-8")] * 4


def test_the_document_describes_every_route_of_the_api(app):
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"]
    documented = {(path, method.upper()) for path, ops in document.items() for method in ops}
    routes = {
        (re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("marketplace_support_api.") and "openapi" not in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(p, m) for p, m in documented if m != "PARAMETERS"}
    assert {
        f"{API}/tickets",
        f"{API}/tickets/{{number}}/files/{{file_id}}",
        f"{API}/my/tickets",
        f"{API}/my/tickets/{{number}}/files/{{file_id}}",
        f"{API}/me",
        f"{API}/webhooks",
        f"{API}/webhooks/{{endpoint_id}}/send-again",
    } <= set(document)


# -- hostile input -----------------------------------------------------------------------------

_FIELDS = st.sampled_from(
    ["body", "internal", "assignee", "reason", "route_to", "priority", "duplicate_of", "then"]
)
_BODY = st.one_of(ANY_VALUE, st.dictionaries(_FIELDS, ANY_VALUE, max_size=4))
_QUERY = st.dictionaries(
    st.sampled_from(["status", "priority", "category", "assignee", "q", "sort", "queue", "after"]),
    ANY_TEXT,
    max_size=4,
)


@pytest.mark.parametrize("user_id", ["pete", "olive"])
def test_no_input_makes_an_api_route_fail_and_a_refusal_changes_nothing(
    app, client, marketplace, user_id
):
    """Every route of the API with generated numbers, actions, query strings, bodies and
    keys: never a 5xx, always JSON, and a refusal leaves every row as it was."""
    login(client, "alice")
    open_ticket(client)
    role = Role.OPERATOR if user_id == "olive" else Role.PROVIDER
    secret = token(app, marketplace, user_id, role)

    @settings(
        max_examples=examples(40),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        number=st.sampled_from([1, 2, 999]),
        action=st.sampled_from([*Action, "x", "%00"]),
        kind=st.sampled_from(["list", "ticket", "message", "action"]),
        query=_QUERY,
        body=_BODY,
        key=st.one_of(st.none(), st.sampled_from(["k1", "k2"])),
    )
    def call(number, action, kind, query, body, key):
        headers = auth(secret, **({"Idempotency-Key": key} if key else {}))
        before = support_rows(app)
        if kind == "list":
            response = client.get(f"{API}/tickets", query_string=query, headers=headers)
        elif kind == "ticket":
            response = client.get(f"{API}/tickets/{number}", headers=headers)
        else:
            tail = "messages" if kind == "message" else f"actions/{action}"
            url = f"{API}/tickets/{number}/{tail}"
            response = client.post(url, json=body, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        assert response.is_json or response.mimetype == "application/problem+json"
        if response.status_code >= 400:
            assert support_rows(app) == before

    call()


def test_answers_are_kept_by_no_shared_cache(app, client, marketplace):
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    for response in (
        client.get(f"{API}/tickets", headers=auth(secret)),
        client.get(f"{API}/tickets/999", headers=auth(secret)),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert {"Authorization", "Accept-Language"} <= set(response.vary)


@pytest.mark.skipif(SERVER_URL is None, reason="two calls at the same moment: PostgreSQL's locks")
def test_two_calls_with_the_same_key_at_the_same_moment_reply_once(app, client, marketplace):
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    login(client, "alice")
    number = open_ticket(client)
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    headers = auth(secret, **{"Idempotency-Key": "at-once"})
    url = f"{API}/tickets/{number}/messages"
    start = threading.Barrier(2)

    def call(_: int):
        caller = app.test_client()
        start.wait()
        return caller.post(url, json={"body": "On it."}, headers=headers)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(call, range(2))
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert counted(app, Message) == 1
    assert counted(app, IdempotencyKey) == 1
    assert counted(app, OutboxMessage, OutboxMessage.notification == "new_reply") == 1
    # mostly neither finds the key before acting: the second loses at its commit (the key's
    # unique row), its change is rolled back and it answers what the first wrote


def test_a_body_larger_than_any_message_is_refused_before_it_is_read(app, client, marketplace):
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    huge = json.dumps({"body": "x" * 300_000})
    response = client.post(
        f"{API}/tickets/1/messages",
        data=huge,
        content_type="application/json",
        headers=auth(secret),
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert counted(app, Message) == 0
