"""What the inbox and the console show beside the tickets, through the API: the scorecard (the
same numbers as its page), the operator's notifications that did not go out (send again,
once per Idempotency-Key), watching a ticket (staff and customers, who may see it as on the
pages), and every operator action of the ticket page."""

from __future__ import annotations

import html
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from babel.numbers import format_percent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace_support import Flags
from marketplace_support.blueprints import business_duration
from marketplace_support.models import Delivery, IdempotencyKey, OutboxMessage, Watcher
from marketplace_support.workflow import RULES, Action, Role

from .api_calls import (
    ANY_TEXT,
    ANY_VALUE,
    API,
    assert_problem,
    auth,
    counted,
    signed_in,
    support_rows,
    token,
)
from .conftest import SERVER_URL, examples, host_app, login
from .helpers import add_information, open_ticket, row_counts, translated
from .mailserver import sending_to
from .permission_cases import (
    ACTING,
    OWNERSHIPS,
    TARGETS,
    Ownership,
)
from .use_cases import MONDAY_10, act, at


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        **sending_to(smtp.port),
        SUPPORT_SMTP_TIMEOUT=5,
    ) as app:
        yield app


# -- the scorecard -----------------------------------------------------------------------------


def _scored_week(app, client, marketplace) -> None:
    """Nimbus: three tickets first answered after 1, 2 and 6 h (one target missed), one
    resolved and reopened; Post & Co: one answered after 3 h (its 1 h target missed)."""
    with at(MONDAY_10):
        login(client, "alice")
        numbers = [open_ticket(client, order="o-hosting", priority="high") for _ in range(3)]
        mail = open_ticket(client, order="o-mail", priority="urgent")
    for number, hours in zip(numbers, (1, 2, 6), strict=True):
        with at(MONDAY_10 + timedelta(hours=hours)):
            act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="On it")
    with at(MONDAY_10 + timedelta(hours=7)):
        act(app, marketplace, "pete", Role.PROVIDER, numbers[0], Action.RESOLVE)
    with at(MONDAY_10 + timedelta(hours=7, minutes=10)):
        act(app, marketplace, "pete", Role.PROVIDER, numbers[0], Action.REOPEN)
    with at(MONDAY_10 + timedelta(hours=3)):
        act(app, marketplace, "quinn", Role.PROVIDER, mail, Action.REPLY, body="Looking")


def _page_rows(page: str) -> dict[str, list[str]]:
    return {
        html.unescape(re.sub(r"<[^>]+>", "", row.split("</th>")[0]).strip()): re.findall(
            r"<td>([^<]*)</td>", row
        )
        for row in page.split("<tr>")[2:]
    }


def _as_the_page_shows(score: dict) -> list[str]:
    def percent(share):
        return "\u2013" if share is None else format_percent(share, locale="en")

    return [
        str(score["tickets"]),
        business_duration(score["first_response_median"]),
        business_duration(score["resolution_median"]),
        percent(score["breached_share"]),
        percent(score["reopen_rate"]),
    ]


@pytest.mark.parametrize(("user_id", "role"), [("olive", Role.OPERATOR), ("pete", Role.PROVIDER)])
def test_the_scorecard_answers_the_numbers_of_its_page(app, client, marketplace, user_id, role):
    _scored_week(app, client, marketplace)
    period = "from=2026-06-01&to=2026-06-01"
    login(client, user_id)
    page = client.get(f"/support/{role.value}/scorecard?{period}").get_data(as_text=True)
    secret = token(app, marketplace, user_id, role, scopes=("tickets:read",))
    by_token = client.get(f"{API}/scorecard?{period}", headers=auth(secret)).get_json()
    by_session = client.get(f"{API}/scorecard?{period}").get_json()
    assert by_token == by_session
    assert (by_token["first"], by_token["last"]) == ("2026-06-01", "2026-06-01")
    scores = {score["provider_name"]: score for score in by_token["scores"]}
    assert {name: _as_the_page_shows(s) for name, s in scores.items()} == _page_rows(page)
    nimbus = scores["Nimbus Hosting"]
    assert nimbus["provider_id"] == "p-nimbus" and nimbus["tickets"] == 3
    assert nimbus["first_response_median"] == 120.0 and nimbus["breached_share"] == 0.25
    # the operator sees every provider; a provider only itself
    expected = {"Nimbus Hosting", "Post & Co"} if role is Role.OPERATOR else {"Nimbus Hosting"}
    assert set(scores) == expected


def test_the_scorecard_covers_the_last_30_days_by_default(app, client, marketplace):
    secret = token(app, marketplace, "olive", Role.OPERATOR)
    with at(datetime(2026, 6, 30, 12, 0, tzinfo=UTC)):
        answer = client.get(f"{API}/scorecard", headers=auth(secret)).get_json()
    assert (answer["first"], answer["last"], answer["scores"]) == ("2026-06-01", "2026-06-30", [])


@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        ({"from": "June"}, "from", "Enter the first day as YYYY-MM-DD."),
        (
            {"from": "2026-06-02", "to": "2026-06-01"},
            "from",
            "The first day must not be after the last.",
        ),
        ({"from": "1999-12-31"}, "from", "Enter a day from {min} to {max}."),
        ({"to": "9999-12-31"}, "to", "Enter a day from {min} to {max}."),
    ],
)
def test_a_wrong_period_is_422_with_the_pages_message_in_the_callers_language(
    app, client, marketplace, period, field, message
):
    login(client, "olive")
    assert client.get("/support/operator/scorecard", query_string=period).status_code == 400
    secret = token(app, marketplace, "olive", Role.OPERATOR)
    refused = client.get(
        f"{API}/scorecard", query_string=period, headers=auth(secret, **{"Accept-Language": "fr"})
    )
    body = assert_problem(refused, 422, "invalid-input")
    assert body["errors"][field] == [
        translated("fr", message).replace("{min}", "2000-01-01").replace("{max}", "2999-12-31")
    ]
    assert body["title"] == translated("fr", "What was sent was refused")


def test_a_customer_has_no_scorecard(client):
    login(client, "alice")
    assert_problem(client.get(f"{API}/scorecard"), 403, "not-your-area")


# -- notifications that did not go out ----------------------------------------------------------


def _failed_notification(app, client, smtp) -> OutboxMessage:
    smtp.refuse.add("tickets@nimbus.example")
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    smtp.refuse.clear()
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        [failed] = session.query(OutboxMessage).filter_by(status=Delivery.FAILED).all()
        session.expunge_all()
        session.remove()
    return failed


def test_the_operator_lists_notifications_that_did_not_go_out_with_the_reason(
    app, client, marketplace, smtp
):
    failed = _failed_notification(app, client, smtp)
    secret = token(app, marketplace, "olive", Role.OPERATOR, scopes=("tickets:read",))
    listed = client.get(f"{API}/notifications", headers=auth(secret)).get_json()["notifications"]
    assert [row["id"] for row in listed] == [failed.id]
    [row] = listed
    assert row["recipient"] == "tickets@nimbus.example" and row["ticket_number"] == 1
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "550" in row["error"]
    assert row["notification_label"] == "New ticket for its handler"
    login(client, "olive")
    page = client.get("/support/operator/notifications").get_data(as_text=True)
    assert row["recipient"] in page and row["notification_label"] in page
    assert client.get(f"{API}/notifications").get_json()["notifications"] == listed


@pytest.mark.parametrize("user_id", ["pete", "mia"])
def test_provider_staff_never_see_the_notifications_nor_send_them_again(
    app, client, marketplace, smtp, user_id
):
    failed = _failed_notification(app, client, smtp)
    secret = token(app, marketplace, user_id, Role.PROVIDER)
    for response in (
        client.get(f"{API}/notifications", headers=auth(secret)),
        client.post(
            f"{API}/notifications/send-again",
            json={"notifications": [failed.id]},
            headers=auth(secret),
        ),
    ):
        body = assert_problem(response, 403, "not-your-area")
        assert "operator" in body["detail"]
    in_german = client.get(
        f"{API}/notifications", headers=auth(secret, **{"Accept-Language": "de"})
    )
    assert assert_problem(in_german, 403, "not-your-area")["detail"] == translated(
        "de",
        "Only the marketplace's operator staff may do this, with their login or a token made "
        "in the Support console.",
    )
    headers = signed_in(client, user_id)  # with their login too, as on the console's pages
    assert client.get("/support/operator/notifications").status_code == 403
    assert_problem(client.get(f"{API}/notifications"), 403, "not-your-area")
    sent = client.post(
        f"{API}/notifications/send-again", json={"notifications": [failed.id]}, headers=headers
    )
    assert_problem(sent, 403, "not-your-area")
    assert counted(app, OutboxMessage, OutboxMessage.status == Delivery.FAILED) == 1
    assert smtp.to("tickets@nimbus.example") == []


def test_a_customer_cannot_use_the_operators_routes(app, client, smtp):
    _failed_notification(app, client, smtp)
    headers = signed_in(client, "alice")
    assert_problem(client.get(f"{API}/notifications"), 403, "not-your-area")
    sent = client.post(
        f"{API}/notifications/send-again", json={"notifications": [1]}, headers=headers
    )
    assert_problem(sent, 403, "not-your-area")


def test_send_again_goes_out_once_per_idempotency_key(app, client, marketplace, smtp):
    failed = _failed_notification(app, client, smtp)
    secret = token(app, marketplace, "olive", Role.OPERATOR)
    url = f"{API}/notifications/send-again"
    headers = auth(secret, **{"Idempotency-Key": "resend-7f3a"})
    first = client.post(url, json={"notifications": [failed.id]}, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json() == {"sent_again": 1}
    assert len(smtp.to("tickets@nimbus.example")) == 1
    assert client.get(f"{API}/notifications", headers=auth(secret)).get_json() == {
        "notifications": []
    }
    again = client.post(url, json={"notifications": [failed.id]}, headers=headers)
    assert again.get_json() == {"sent_again": 1}
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(url, json={"notifications": [failed.id, 99]}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")
    assert len(smtp.to("tickets@nimbus.example")) == 1


def test_send_again_puts_back_only_notifications_the_operator_sees(app, client, marketplace, smtp):
    failed = _failed_notification(app, client, smtp)
    secret = token(app, marketplace, "otto", Role.OPERATOR)  # the operator of another tenant
    url = f"{API}/notifications/send-again"
    sent = client.post(url, json={"notifications": [failed.id]}, headers=auth(secret))
    assert sent.get_json() == {"sent_again": 0}
    assert counted(app, OutboxMessage, OutboxMessage.status == Delivery.FAILED) == 1
    assert smtp.to("tickets@nimbus.example") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"notifications": []}, "Send 1 to 100 notification ids."),
        ({"notifications": ["one"]}, "Send notification ids (whole numbers)."),
        ({"notifications": [0]}, "Send notification ids (whole numbers)."),
        ({}, "Send 1 to 100 notification ids."),
    ],
)
def test_send_again_refuses_what_names_no_notification(app, client, marketplace, body, message):
    secret = token(app, marketplace, "olive", Role.OPERATOR)
    refused = client.post(
        f"{API}/notifications/send-again",
        json=body,
        headers=auth(secret, **{"Accept-Language": "nl"}),
    )
    errors = assert_problem(refused, 422, "invalid-input")["errors"]["notifications"]
    assert translated("nl", message) in str(errors)


# -- watching -----------------------------------------------------------------------------------

AREA = {Role.CUSTOMER: "", Role.PROVIDER: "provider/", Role.OPERATOR: "operator/"}
PATH = {Role.CUSTOMER: "/my/tickets", Role.PROVIDER: "/tickets", Role.OPERATOR: "/tickets"}


@pytest.mark.parametrize(
    ("role", "ownership"),
    [
        pytest.param(role, ownership, id=f"{role}-{ownership}")
        for role in (Role.CUSTOMER, Role.PROVIDER, Role.OPERATOR)
        for ownership in OWNERSHIPS[role]
    ],
)
def test_who_may_watch_a_ticket_through_the_api_is_who_may_on_its_page(
    desk,
    client,
    role,
    ownership,
):
    headers = signed_in(client, ACTING[role])
    number = TARGETS[ownership][1]
    page = client.post(
        f"/support/{AREA[role]}tickets/{number}/watching",
        data={"csrf_token": headers["X-CSRFToken"], "watching": "1"},
    )
    page_watched = counted(desk.app, Watcher)
    client.post(
        f"/support/{AREA[role]}tickets/{number}/watching",
        data={"csrf_token": headers["X-CSRFToken"], "watching": "0"},
    )
    called = client.put(
        f"{API}{PATH[role]}/{number}/watching", json={"watching": True}, headers=headers
    )
    if ownership is Ownership.OWN:
        assert page.status_code == 303 and page_watched == 1
        assert called.status_code == 200 and called.get_json() == {"watching": True}
        assert counted(desk.app, Watcher) == 1
        return
    assert page.status_code == 404 and page_watched == 0
    missing = client.put(
        f"{API}{PATH[role]}/999/watching", json={"watching": True}, headers=headers
    )
    assert assert_problem(called, 404, "not-found") == assert_problem(missing, 404, "not-found")
    assert counted(desk.app, Watcher) == 0


def test_staff_watch_with_a_token_and_the_ticket_says_so(app, client, marketplace, smtp):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    secret = token(app, marketplace, "pat", Role.PROVIDER)  # Pete's colleague at Nimbus
    url = f"{API}/tickets/{number}/watching"
    assert (
        client.get(f"{API}/tickets/{number}", headers=auth(secret)).get_json()["watching"] is False
    )
    assert client.put(url, json={"watching": True}, headers=auth(secret)).get_json() == {
        "watching": True
    }
    assert (
        client.get(f"{API}/tickets/{number}", headers=auth(secret)).get_json()["watching"] is True
    )
    login(client, "pat")
    assert 'aria-pressed="true"' in client.get(f"/support/provider/tickets/{number}").text
    # a watcher hears of the ticket's changes
    login(client, "alice")
    add_information(client, number, "It is down again.")
    assert any("It is down again." in str(m) for m in smtp.to("pat@example.com"))
    assert client.put(url, json={"watching": False}, headers=auth(secret)).get_json() == {
        "watching": False
    }
    assert counted(app, Watcher) == 0
    reader = token(app, marketplace, "pat", Role.PROVIDER, scopes=("tickets:read",))
    assert_problem(
        client.put(url, json={"watching": True}, headers=auth(reader)), 403, "insufficient-scope"
    )


def test_a_customer_watches_a_ticket_shared_with_them_on_my_page_routes(app, client):
    headers = signed_in(client, "alice")
    number = open_ticket(client)
    client.put(
        f"{API}/my/tickets/{number}/sharing/organisation", json={"shared": True}, headers=headers
    )
    headers = signed_in(client, "amy")  # Alice's colleague
    url = f"{API}/my/tickets/{number}/watching"
    before = row_counts(app)
    assert_problem(client.put(url, json={"watching": True}), 403, "csrf-refused")
    assert row_counts(app) == before
    assert client.put(url, json={"watching": True}, headers=headers).get_json() == {
        "watching": True
    }
    ticket = client.get(f"{API}/my/tickets/{number}").get_json()
    assert ticket["sharing"]["watching"] is True
    # a customer is refused the staff's route, whatever ticket it names
    refused = client.put(
        f"{API}/tickets/{number}/watching", json={"watching": True}, headers=headers
    )
    assert_problem(refused, 403, "not-your-area")
    # once it is no longer shared with her, it is not hers to watch
    headers = signed_in(client, "alice")
    client.put(
        f"{API}/my/tickets/{number}/sharing/organisation", json={"shared": False}, headers=headers
    )
    headers = signed_in(client, "amy")
    assert_problem(client.put(url, json={"watching": False}, headers=headers), 404, "not-found")


def test_watching_needs_true_or_false_in_the_persons_language(app, client, marketplace):
    app.config["TEST_LOCALE"] = "de"
    headers = signed_in(client, "alice")
    number = open_ticket(client)
    for body in ({}, {"watching": "maybe"}, {"watching": True, "colour": "red"}):
        refused = client.put(f"{API}/my/tickets/{number}/watching", json=body, headers=headers)
        problem = assert_problem(refused, 422, "invalid-input")
        assert problem["title"] == translated("de", "What was sent was refused")
    assert counted(app, Watcher) == 0
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    refused = client.put(
        f"{API}/tickets/{number}/watching", json={"watching": None}, headers=auth(secret)
    )
    assert assert_problem(refused, 422, "invalid-input")["errors"] == {
        "watching": [translated("de", "Send true or false.")]
    }


# -- every operator action of the ticket page ---------------------------------------------------


def test_the_api_offers_every_action_the_operators_ticket_page_offers(client):
    document = client.get(f"{API}/openapi.json").get_json()
    path = document["paths"]["/support/api/v1/tickets/{number}/actions/{action}"]
    [action] = [p for p in path["parameters"] if p["name"] == "action"]
    on_the_page = {
        rule.action.value
        for rule in RULES
        if Role.OPERATOR in rule.roles and rule.action not in (Action.REPLY, Action.NOTE)
    }
    assert on_the_page <= set(action["schema"]["enum"])
    assert {"reroute", "take_over", "hand_back", "assign", "confirm_emergency"} <= on_the_page


def _do(client, secret, number, action, **fields):
    response = client.post(
        f"{API}/tickets/{number}/actions/{action}", json=fields, headers=auth(secret)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_operator_reroutes_takes_over_assigns_and_handles_emergencies(app, client, marketplace):
    marketplace.flags["t1"] = Flags(emergencies_allowed=True)
    headers = signed_in(client, "alice")
    number = open_ticket(client, order="o-hosting")
    raised = client.post(
        f"{API}/my/tickets/{number}/actions/raise_emergency",
        json={"explanation": "Every shop page answers 502."},
        headers=headers,
    )
    assert raised.status_code == 200, raised.get_data(as_text=True)
    olive = token(app, marketplace, "olive", Role.OPERATOR)
    pete = token(app, marketplace, "pete", Role.PROVIDER)
    quinn = token(app, marketplace, "quinn", Role.PROVIDER)
    ticket = client.get(f"{API}/tickets/{number}", headers=auth(olive)).get_json()
    assert {"reroute", "take_over", "assign", "confirm_emergency"} <= set(ticket["actions"])
    assert {"id": "p-post", "name": "Post & Co"} in ticket["reroute_to"]
    # while Nimbus handles it, it is assigned among Nimbus's staff, as the page offers
    assert {person["user_id"] for person in ticket["assignable"]} == {"pete", "pat", "mia"}

    assert _do(client, olive, number, "confirm_emergency")["ticket"]["emergency"] == "confirmed"
    downgraded = _do(client, olive, number, "downgrade_emergency", reason="One page only.")
    assert downgraded["ticket"]["emergency"] == "downgraded"
    assert downgraded["events"][0]["detail"] == "One page only."

    moved = _do(client, olive, number, "reroute", route_to="p-post", reason="Mail problem.")
    assert moved["ticket"]["provider_name"] == "Post & Co"
    assert_problem(client.get(f"{API}/tickets/{number}", headers=auth(pete)), 404, "not-found")
    assert client.get(f"{API}/tickets/{number}", headers=auth(quinn)).status_code == 200

    to_us = _do(client, olive, number, "reroute", route_to="operator", reason="We answer it.")
    assert to_us["ticket"]["handler"] == "operator"
    assert_problem(client.get(f"{API}/tickets/{number}", headers=auth(quinn)), 404, "not-found")
    assignable = client.get(f"{API}/tickets/{number}", headers=auth(olive)).get_json()["assignable"]
    assert assignable == [{"user_id": "olive", "name": "Olive"}]
    assigned = _do(client, olive, number, "assign", assignee="olive")
    assert assigned["events"][0]["kind"] == "assigned"
    assert assigned["ticket"]["assignee_name"] == "Olive"

    _do(client, olive, number, "reroute", route_to="p-nimbus", reason="Back to hosting.")
    taken = _do(client, olive, number, "take_over")
    assert taken["ticket"]["handler"] == "operator"
    assert (
        "hand_back"
        in client.get(f"{API}/tickets/{number}", headers=auth(olive)).get_json()["actions"]
    )
    handed = _do(client, olive, number, "hand_back")
    assert handed["ticket"]["handler"] == "provider"
    # a provider is refused the operator's actions with the reason, and nothing changes
    refused = client.post(f"{API}/tickets/{number}/actions/take_over", json={}, headers=auth(pete))
    assert assert_problem(refused, 409, "not-allowed")["detail"]
    assert client.get(f"{API}/tickets/{number}", headers=auth(olive)).get_json()["handler"] == (
        "provider"
    )


def test_a_reroute_to_no_provider_is_422_with_the_field(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    olive = token(app, marketplace, "olive", Role.OPERATOR)
    refused = client.post(
        f"{API}/tickets/{number}/actions/reroute",
        json={"route_to": "p-nowhere", "reason": "?"},
        headers=auth(olive, **{"Accept-Language": "es"}),
    )
    problem = assert_problem(refused, 422, "invalid-input")
    assert "route_to" in problem["errors"]
    assert problem["title"] == translated("es", "What was sent was refused")


@pytest.mark.skipif(SERVER_URL is None, reason="two calls at the same moment: PostgreSQL's locks")
def test_two_send_agains_with_the_same_key_at_the_same_moment_answer_alike(
    app, client, marketplace, smtp
):
    failed = _failed_notification(app, client, smtp)
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    secret = token(app, marketplace, "olive", Role.OPERATOR)
    headers = auth(secret, **{"Idempotency-Key": "resend-at-once"})
    start = threading.Barrier(2)

    def call(_: int):
        caller = app.test_client()
        start.wait()
        return caller.post(
            f"{API}/notifications/send-again", json={"notifications": [failed.id]}, headers=headers
        )

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(call, range(2))
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json() == {"sent_again": 1}
    assert counted(app, IdempotencyKey) == 1
    assert counted(app, OutboxMessage, OutboxMessage.status == Delivery.PENDING) == 1


@pytest.mark.parametrize("user_id", ["pete", "olive"])
def test_no_input_makes_the_new_routes_fail_and_a_refusal_changes_nothing(
    app, client, marketplace, smtp, user_id
):
    """The scorecard's period, send-again's and watching's bodies and keys, generated: never a
    5xx, always JSON, and a refusal leaves every row as it was."""
    _failed_notification(app, client, smtp)
    role = Role.OPERATOR if user_id == "olive" else Role.PROVIDER
    secret = token(app, marketplace, user_id, role)

    @settings(
        max_examples=examples(40),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        kind=st.sampled_from(["scorecard", "notifications", "send-again", "watching"]),
        query=st.dictionaries(st.sampled_from(["from", "to", "x"]), ANY_TEXT, max_size=3),
        body=st.one_of(
            ANY_VALUE, st.dictionaries(st.sampled_from(["notifications", "watching"]), ANY_VALUE)
        ),
        number=st.sampled_from([1, 2, 999]),
        key=st.one_of(st.none(), st.sampled_from(["k1", "k2", " "])),
    )
    def call(kind, query, body, number, key):
        headers = auth(secret, **({"Idempotency-Key": key} if key else {}))
        before = support_rows(app)
        if kind in ("scorecard", "notifications"):
            response = client.get(f"{API}/{kind}", query_string=query, headers=headers)
        elif kind == "send-again":
            response = client.post(f"{API}/notifications/send-again", json=body, headers=headers)
        else:
            response = client.put(f"{API}/tickets/{number}/watching", json=body, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        assert response.is_json or response.mimetype == "application/problem+json"
        if response.status_code >= 400:
            assert support_rows(app) == before

    call()
