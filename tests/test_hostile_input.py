"""Hostile input: whatever a path, a query string or a form holds, every page of the module
answers with a refusal (400, 404, 422) and a message, never a 500, and a refusal changes
nothing. First each case that once gave a 500, then a property test that drives every route
of the module as every kind of visitor with generated paths, query strings and forms."""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from marketplace_support import Flags, SupportBase
from marketplace_support.models import (
    Attachment,
    Delivery,
    IdempotencyKey,
    OutboxMessage,
    WebhookEndpoint,
)
from marketplace_support.workflow import Action

from .api_calls import API, assert_problem, counted, signed_in
from .categories import NO_CONNECTION
from .conftest import examples, login
from .helpers import (
    csrf_token,
    hidden_inputs,
    listed_numbers,
    open_ticket,
    png,
    row_counts,
    stored_rows,
    submit_ticket,
    translated,
)
from .imapserver import deliver_to_mailbox, mailbox_size
from .inbound_mail import fixture, poll, quarantined, receive_by_pipe, taking_mail
from .test_inbound import ticket_state, waiting_ticket

T = TypeVar("T")

HUGE = "9" * 40  # beyond 64 bits
BEYOND_INTEGER = str(2**31)  # beyond a 32-bit Integer column, within 64 bits
BEYOND_64_BITS = str(2**64)
NEW_TICKET = {
    "order": "o-hosting",
    "subject": "Website is down",
    "category": "technical",
    "issue_about": "502 since 9:00",
}


def page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def desk(app):
    """Alice's hosting ticket (Nimbus, #1, with a screenshot) and mail ticket (Post & Co, #2)."""
    client = app.test_client()  # not pytest-flask's, which keeps its last request's context
    login(client, "alice")
    data = {
        **hidden_inputs(page_text(client.get("/support/new"))),
        "order": "o-hosting",
        "subject": "Website is down",
        "category": "technical",
        "issue_about": "502 since 9:00",
        "attachments": [(io.BytesIO(png()), "screen.png")],
    }
    response = client.post("/support/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, page_text(response)
    mail = open_ticket(client, order="o-mail", subject="Mail bounces")
    return 1, mail


# -- numbers in paths -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [HUGE, BEYOND_64_BITS, BEYOND_INTEGER])
def test_a_ticket_number_no_column_holds_is_not_found(client, desk, number):
    login(client, "alice")
    assert client.get(f"/support/tickets/{number}").status_code == 404
    login(client, "olive")
    assert client.get(f"/support/operator/tickets/{number}").status_code == 404


@pytest.mark.parametrize("file_id", [HUGE, BEYOND_64_BITS, BEYOND_INTEGER])
def test_a_file_id_no_column_holds_is_not_found(client, desk, file_id):
    login(client, "alice")
    assert client.get(f"/support/tickets/1/files/{file_id}").status_code == 404
    login(client, "pete")
    assert client.get(f"/support/provider/tickets/1/files/{file_id}").status_code == 404


def test_a_form_sent_to_a_ticket_number_no_column_holds_is_not_found(app, client, desk):
    login(client, "alice")
    token = csrf_token(app, client)
    before = row_counts(app)
    response = client.post(
        f"/support/tickets/{BEYOND_64_BITS}/watching", data={"csrf_token": token, "watching": "1"}
    )
    assert response.status_code == 404
    assert row_counts(app) == before


# -- ticket numbers typed by people -----------------------------------------------------------


@pytest.mark.parametrize("search", ["²", "①", "#²", "\u0661\u0662", HUGE, "#" + BEYOND_INTEGER])
def test_a_search_for_something_that_is_not_a_ticket_number_searches_the_subjects(
    client, desk, search
):
    login(client, "olive")
    response = client.get("/support/operator/", query_string={"q": search})
    assert response.status_code == 200
    assert "No tickets match these filters." in page_text(response)


def test_a_search_for_a_ticket_number_still_finds_it(client, desk):
    login(client, "olive")
    page = page_text(client.get("/support/operator/", query_string={"q": "#2"}))
    assert listed_numbers(page) == [2]


@pytest.mark.parametrize("value", [HUGE, BEYOND_INTEGER, "²", "-1"])
def test_a_follow_up_of_a_number_no_ticket_can_have_is_not_found(client, desk, value):
    login(client, "alice")
    assert client.get("/support/new", query_string={"follow_up_of": value}).status_code == 404


@pytest.mark.parametrize("value", [HUGE, BEYOND_INTEGER, "²", "\u0661", "1.5"])
def test_a_follow_up_field_that_is_not_a_ticket_number_is_refused_next_to_it(
    app, client, desk, value
):
    login(client, "alice")
    before = row_counts(app)
    response = submit_ticket(client, follow_up_of=value)
    assert response.status_code == 422
    assert "The earlier ticket could not be found." in page_text(response)
    assert row_counts(app) == before


@pytest.mark.parametrize("value", [HUGE, BEYOND_INTEGER, "²", "①", "0"])
def test_a_duplicate_of_a_number_no_ticket_can_have_is_refused_next_to_it(app, client, desk, value):
    login(client, "olive")
    token = csrf_token(app, client)
    before = row_counts(app)
    response = client.post(
        "/support/operator/tickets/1/mark_duplicate",
        data={"csrf_token": token, "duplicate_of": value},
    )
    assert response.status_code == 422
    assert "Enter a ticket number." in page_text(response)
    assert row_counts(app) == before


@pytest.mark.parametrize("value", ["²", "①", HUGE, BEYOND_INTEGER])
def test_send_again_ignores_ids_no_notification_can_have(app, client, desk, value):
    login(client, "olive")
    token = csrf_token(app, client)
    response = client.post(
        "/support/operator/notifications/send-again", data={"csrf_token": token, "id": value}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("sent_again=0")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("0", "0 notifications will be sent again."),
        ("2", "2 notifications will be sent again."),
        ("\u0661", None),  # int() reads an Arabic-Indic one
        ("-5", None),
        (" 3", "3 notifications will be sent again."),
        (HUGE, None),
    ],
)
def test_the_count_a_page_link_carries_is_read_in_ascii_digits(client, desk, value, said):
    login(client, "olive")
    page = page_text(
        client.get("/support/operator/notifications", query_string={"sent_again": value})
    )
    notices = re.findall(r"[^\s>]+ notifications? will be sent again\.", page)
    assert notices == ([said] if said else [])


# -- page links (cursors) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        f"t1.i{HUGE}",  # an id beyond 64 bits
        f"t1.i{BEYOND_INTEGER}",  # an id beyond the column
        f"t{HUGE}.i1",  # a moment beyond any calendar
        "i1.i1",  # a number where the moment belongs
        "t1.t1",  # a moment where the id belongs
        "t1.i\x00",
        "t\u0661.i1",
    ],
)
def test_a_page_link_that_we_did_not_make_is_refused_with_a_message(client, desk, cursor):
    message = "This page link is not valid. Start again from the list."
    login(client, "alice")
    response = client.get("/support/", query_string={"after": cursor})
    assert response.status_code == 400
    assert message in page_text(response)
    login(client, "pete")
    response = client.get("/support/provider/", query_string={"after": cursor})
    assert response.status_code == 400
    assert message in page_text(response)


def test_a_page_link_of_another_order_is_refused(client, desk):
    login(client, "olive")
    response = client.get("/support/operator/", query_string={"sort": "priority", "after": "t1.i1"})
    assert response.status_code == 400


# -- the scorecard's period -------------------------------------------------------------------


@pytest.mark.parametrize(
    "period",
    [
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"to": "0001-01-05"},
        {"from": "1999-12-31", "to": "2024-01-01"},
    ],
)
def test_a_period_outside_the_calendar_the_scorecard_covers_is_refused(app, client, desk, period):
    app.config["SUPPORT_TIMEZONE"] = "Europe/Berlin"  # east of UTC: 0001-01-01 starts in year 0
    login(client, "olive")
    response = client.get("/support/operator/scorecard", query_string=period)
    assert response.status_code == 400
    assert "Enter a day from 2000-01-01 to 2999-12-31." in page_text(response)


def test_a_period_at_the_ends_of_the_calendar_is_shown(client, desk):
    login(client, "pete")
    response = client.get(
        "/support/provider/scorecard", query_string={"from": "2000-01-01", "to": "2999-12-31"}
    )
    assert response.status_code == 200


# -- characters a database refuses ------------------------------------------------------------


NUL = "\x00"


@pytest.mark.parametrize("name", ["q", "category", "assignee", "provider"])
def test_a_nul_character_in_a_list_filter_is_refused_with_a_message(client, desk, name):
    login(client, "olive")
    response = client.get("/support/operator/", query_string={name: f"web{NUL}site"})
    assert response.status_code == 400
    assert "contains a character that cannot be saved" in page_text(response)


def test_a_nul_character_in_a_form_field_is_refused_next_to_it(app, client, desk):
    login(client, "alice")
    before = row_counts(app)
    response = submit_ticket(client, subject=f"Site{NUL}down")
    assert response.status_code == 422
    assert "This text contains a character that cannot be saved" in page_text(response)
    assert row_counts(app) == before


def test_a_nul_character_in_a_submission_key_asks_to_reload(app, client, desk):
    login(client, "alice")
    before = row_counts(app)
    response = submit_ticket(client, submission_key=f"abcdefghijklmnop{NUL}")
    assert response.status_code == 422
    assert "The form could not be read. Please reload it." in page_text(response)
    assert row_counts(app) == before


def test_a_nul_character_in_a_path_is_not_found(app, client, desk):
    login(client, "alice")
    token = csrf_token(app, client)
    before = row_counts(app)
    response = client.post(
        "/support/tickets/1/sharing/people/amy%00/remove", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert row_counts(app) == before


# -- text that is not Unicode (a lone surrogate) ------------------------------------------------

#: what the API answers for a text holding a lone surrogate: JSON's "\ud800" escape (or its
#: bytes, which ``json.loads`` takes too) makes one; no database stores it
NOT_UNICODE = (
    "This text contains a character that cannot be saved (a lone surrogate, which is not "
    "valid Unicode). Remove it and try again."
)
#: the calls of the API that take free text, by whom, and the field that carries it
SURROGATE_CALLS = [
    pytest.param("alice", "/my/tickets/1/messages", {"body": "Still down"}, "body", id="reply"),
    pytest.param("alice", "/my/tickets", {**NEW_TICKET}, "subject", id="new-ticket-subject"),
    pytest.param("alice", "/my/tickets", {**NEW_TICKET}, "issue_about", id="new-ticket-text"),
    pytest.param(
        "alice",
        "/my/tickets/1/actions/raise_emergency",
        {"explanation": "Down"},
        "explanation",
        id="emergency",
    ),
    pytest.param("pete", "/tickets/1/messages", {"body": "Which page?"}, "body", id="staff-reply"),
    pytest.param(
        "pete", "/tickets/1/messages", {"body": "Check", "internal": True}, "body", id="note"
    ),
    pytest.param(
        "pete", "/tickets/1/actions/escalate", {"reason": "Not ours"}, "reason", id="escalate"
    ),
    pytest.param(
        "olive",
        "/tickets/1/actions/reroute",
        {"route_to": "operator", "reason": "Ours"},
        "reason",
        id="reroute",
    ),
    pytest.param(
        "pete",
        "/webhooks",
        {"url": "https://hooks.example/in", "events": ["ticket.opened"]},
        "url",
        id="webhook",
    ),
]


def with_surrogate(fields: dict, name: str, *, as_bytes: bool = False) -> bytes:
    """``fields`` as a JSON body whose ``name`` holds a lone surrogate, written as JSON's
    escape (what a script sends) or as the bytes it stands for."""
    marked = {**fields, name: f"{fields[name]} \N{SNOWMAN}"}
    body = json.dumps(marked)
    return body.replace("\\u2603", "\\ud800" if not as_bytes else "\udfff").encode(
        "utf-8", "surrogatepass"
    )


@pytest.mark.parametrize("as_bytes", [False, True], ids=["escaped", "bytes"])
@pytest.mark.parametrize(("user", "path", "fields", "name"), SURROGATE_CALLS)
def test_a_lone_surrogate_in_any_text_of_the_api_is_refused_next_to_it(
    app, client, desk, marketplace, user, path, fields, name, as_bytes
):
    marketplace.flags["t1"] = Flags(emergencies_allowed=True)
    headers = signed_in(client, user)
    before = row_counts(app), counted(app, WebhookEndpoint), counted(app, IdempotencyKey)
    response = client.post(
        f"{API}{path}",
        data=with_surrogate(fields, name, as_bytes=as_bytes),
        content_type="application/json",
        headers={**headers, "Idempotency-Key": "surrogate-1"},
    )
    assert assert_problem(response, 422, "invalid-input")["errors"] == {name: [NOT_UNICODE]}
    assert (row_counts(app), counted(app, WebhookEndpoint), counted(app, IdempotencyKey)) == before
    # the same call with the text as it should be is taken (the webhook's URL is refused
    # for what it names: no resolver here): the refusal was the character's
    response = client.post(f"{API}{path}", json=fields, headers=headers)
    assert response.status_code in ((422,) if path == "/webhooks" else (200, 201))
    assert NOT_UNICODE not in response.get_data(as_text=True)


def test_a_lone_surrogate_in_an_answer_to_a_request_types_question_is_refused(
    app, client, desk, marketplace
):
    marketplace.categories["t1"] = [NO_CONNECTION]
    headers = signed_in(client, "alice")
    before = row_counts(app)
    fields = {
        "order": "o-hosting",
        "subject": "No internet",
        "category": NO_CONNECTION.key,
        "answer-address": "Main Street 1",
        "answer-router_lights": "blinking_red",
    }
    response = client.post(
        f"{API}/my/tickets",
        data=with_surrogate(fields, "answer-address"),
        content_type="application/json",
        headers=headers,
    )
    errors = assert_problem(response, 422, "invalid-input")["errors"]
    assert errors == {"answer-address": [NOT_UNICODE]}
    assert row_counts(app) == before


def test_a_lone_surrogate_is_refused_in_the_callers_language(app, client, desk):
    """Passes once the catalogs word ``NOT_UNICODE``."""
    app.config["TEST_LOCALE"] = "de"
    headers = signed_in(client, "alice")
    response = client.post(
        f"{API}/my/tickets/1/messages",
        data=with_surrogate({"body": "Still down"}, "body"),
        content_type="application/json",
        headers=headers,
    )
    german = translated("de", NOT_UNICODE)
    assert german != NOT_UNICODE
    assert assert_problem(response, 422, "invalid-input")["errors"] == {"body": [german]}


# -- every route, every visitor, generated input ----------------------------------------------

#: Who visits: nobody logged in, the customer whose tickets they are, another customer, the
#: provider staff the tickets are routed to, and the operator.
VISITORS = (None, "alice", "bob", "pete", "olive")

#: The query parameters some page of the module reads, and the fields some form sends.
QUERY_NAMES = (
    "after",
    "assignee",
    "category",
    "follow_up_of",
    "from",
    "inline",
    "notice",
    "priority",
    "provider",
    "q",
    "queue",
    "sent_again",
    "sort",
    "state",
    "status",
    "to",
)
FORM_NAMES = (
    "assignee",
    "body",
    "category",
    "current_scenario",
    "duplicate_of",
    "expected_outcome",
    "explanation",
    "follow_up_of",
    "id",
    "issue_about",
    "order",
    "person",
    "priority",
    "reason",
    "route_to",
    "shared",
    "subject",
    "submission_key",
    "then",
    "watching",
)

#: Values the pages know, so that some generated requests get past the first check.
KNOWN_VALUES = (
    *("open", "closed", "shared", "active", "all", "activity", "priority", "due"),
    *("new", "in_progress", "waiting_for_customer", "resolved", "urgent", "high", "low"),
    *("technical", "usage", "me", "none", "operator", "p-nimbus", "p-post", "o-hosting"),
    *("o-mail", "o-ended", "escalated", "emergencies", "no_order", "pete", "amy", "bob"),
    *("1", "0", "Site down", "It is down since 9:00."),
)
#: Numbers as typed, as pasted and as forged: "²", "①" (``isdigit`` but not ``int``), Arabic-
#: Indic and double-struck digits (``int`` takes them), and beyond 32 and 64 bits.
NUMBERS = (
    *("1", "2", "3", "4", "0", "-1", "#1", "0001", " 1 ", "+1", "1.5", "1e3", "0x10", "1_0"),
    *("²", "①", "\u0661\u0662", "\u0663", "\U0001d7d9"),
    *("2147483647", BEYOND_INTEGER, "9223372036854775807", "9223372036854775808"),
    *(BEYOND_64_BITS, HUGE, "9" * 5000),
)
DAYS = (
    *("0001-01-01", "9999-12-31", "1999-12-31", "2000-01-01", "2999-12-31", "3000-01-01"),
    *("2024-02-30", "2024-13-01", "10000-01-01", "-001-01-01", "2024-1-1"),
    "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661",  # 2024-01-01 in Arabic-Indic digits
)
CURSORS = (
    *("t1.i1", "i1.i1", "t1.t1", "i3.t1.i1", "i99.t1.i1", "t1", ".", "t.i", "t1.i1.i1"),
    *(f"t{HUGE}.i1", f"t1.i{HUGE}", f"t1.i{BEYOND_INTEGER}", f"t-{HUGE}.i1"),
    *("t-62135596800000001.i1", "t253402300800000000.i1", "t1.i-2147483649"),
)


#: The parameters and fields that read a number, a day or a page link.
NUMBERED = frozenset({"duplicate_of", "follow_up_of", "id", "q", "sent_again"})
DATED = frozenset({"from", "to"})
PAGED = frozenset({"after"})

numbers = st.sampled_from(NUMBERS)
days = st.one_of(st.sampled_from(DAYS), st.dates().map(str))
cursors = st.one_of(
    st.sampled_from(CURSORS),
    st.builds(
        lambda kinds, values: ".".join(k + v for k, v in zip(kinds, values, strict=False)),
        st.lists(st.sampled_from("ti"), min_size=1, max_size=3),
        st.lists(numbers, min_size=1, max_size=3),
    ),
)


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(KNOWN_VALUES),
        numbers,
        days,
        cursors,
        st.sampled_from(("\x00", "a\x00b", "%00", "\x00" * 3, "x" * 101, "x" * 10_001)),
        st.text(max_size=30),
    )


def value_for(name: str) -> st.SearchStrategy[str]:
    """Half the time a value of the kind the parameter reads, else any."""
    if name in NUMBERED:
        return st.one_of(numbers, hostile_text())
    if name in DATED:
        return st.one_of(days, hostile_text())
    if name in PAGED:
        return st.one_of(cursors, hostile_text())
    return st.one_of(st.sampled_from(KNOWN_VALUES), hostile_text())


def mostly(usual: st.SearchStrategy[T], rare: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """``usual`` three times in four, so that most requests get past the first check."""
    return st.sampled_from((usual, usual, usual, rare)).flatmap(lambda chosen: chosen)


def path_value(name: str, desk: Desk) -> st.SearchStrategy[str]:
    if name in ("number", "file_id"):
        real = st.sampled_from(desk.numbers if name == "number" else desk.file_ids).map(str)
        return st.one_of(real, numbers, st.text(max_size=12))
    if name == "action":
        return mostly(st.sampled_from([a.value for a in Action]), st.text(max_size=12))
    return mostly(st.sampled_from((*VISITORS[1:], "amy", "mia")), hostile_text())


def fields(names: tuple[str, ...]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Known names with generated values, and now and then a name of no page."""
    named = st.sampled_from(names).flatmap(lambda name: st.tuples(st.just(name), value_for(name)))
    known = st.lists(named, max_size=4)
    other = st.lists(st.tuples(st.text(max_size=8), hostile_text()), max_size=1)
    return st.builds(lambda a, b: a + b, known, other)


@dataclass
class Desk:
    """A small support desk: who visits with which client, the tickets and files there are."""

    clients: dict[str | None, FlaskClient]
    tokens: dict[str | None, str]
    numbers: list[int]
    file_ids: list[int]


@pytest.fixture
def small_desk(app, desk) -> Desk:
    """Alice's tickets #1 (with a screenshot, a reply and an internal note) and #2; Bob's
    #3; #1 shared with Amy; a notification that failed; a client per visitor."""
    clients: dict[str | None, FlaskClient] = {}
    for visitor in VISITORS:
        clients[visitor] = app.test_client()
        if visitor is not None:
            login(clients[visitor], visitor)
    tokens = {visitor: csrf_token(app, client) for visitor, client in clients.items()}
    alice, bob, pete = clients["alice"], clients["bob"], clients["pete"]
    shared = alice.post(
        "/support/tickets/1/sharing/people", data={"csrf_token": tokens["alice"], "person": "amy"}
    )
    assert shared.status_code == 303
    assert open_ticket(bob, order="o-bob", subject="Shop is slow") == 3
    for action, body in (("reply", "Looking into it"), ("note", "Customer on gold plan")):
        answered = pete.post(
            f"/support/provider/tickets/1/{action}",
            data={"csrf_token": tokens["pete"], "body": body, "submission_key": f"{action}" * 8},
        )
        assert answered.status_code == 303, page_text(answered)
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        first = sa.select(sa.func.min(OutboxMessage.id)).scalar_subquery()
        failed = sa.update(OutboxMessage).where(OutboxMessage.id == first)
        assert session.execute(failed.values(status=Delivery.FAILED)).rowcount == 1
        file_ids = list(session.scalars(sa.select(Attachment.id)))
        session.commit()
        session.remove()
    return Desk(clients, tokens, numbers=[1, 2, 3], file_ids=file_ids)


def database_content(app) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the module."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        try:
            return {
                table.name: [
                    tuple(row)
                    for row in session.execute(
                        sa.select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in SupportBase.metadata.sorted_tables
            }
        finally:
            session.remove()


def module_rules(app) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("marketplace_support.")
            and rule.endpoint != "marketplace_support.static"
        ),
        key=lambda rule: rule.rule,
    )


#: How many generated requests each route gets from each visitor (under the dev profile; the
#: quick and ci profiles scale it).
EXAMPLES_PER_ROUTE = 10


@pytest.mark.parametrize("visitor", VISITORS, ids=lambda visitor: visitor or "logged-out")
def test_no_input_makes_any_route_fail_and_a_refusal_changes_nothing(app, small_desk, visitor):
    """Every route of the module (read from the app's URL map) as this visitor, with generated
    path values, query strings and forms (the names pages read and others; values mixing text,
    NUL characters, Unicode digits, huge numbers, extreme days and forged page links; a valid
    CSRF token most of the time; files with odd names): never a 5xx, and a refusal (4xx)
    leaves every row of every table of the module as it was."""
    client, token = small_desk.clients[visitor], small_desk.tokens[visitor]
    rules = module_rules(app)
    assert len(rules) >= 20

    @settings(
        max_examples=examples(EXAMPLES_PER_ROUTE),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def route_answers_without_failing(rule: Rule, data: st.DataObject) -> None:
        path = re.sub(
            r"<(?:[^<>:]+:)?(\w+)>",
            lambda match: quote(data.draw(path_value(match.group(1), small_desk)), safe=""),
            rule.rule,
        )
        method = data.draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
        query = data.draw(fields(QUERY_NAMES))
        form: list[tuple[str, object]] = []
        if method == "POST":
            form = [*data.draw(fields(FORM_NAMES))]
            form.append(("csrf_token", data.draw(mostly(st.just(token), hostile_text()))))
            if data.draw(st.booleans()):
                key = data.draw(st.from_regex(r"[A-Za-z0-9_-]{16,64}", fullmatch=True))
                form.append(("submission_key", key))
            for name in data.draw(st.lists(st.text(min_size=1, max_size=20), max_size=2)):
                content = data.draw(st.sampled_from([png(), b"", b"%PDF-1.4\n", b"<html>"]))
                form.append(("attachments", (io.BytesIO(content), name)))
        before = database_content(app)
        response = client.open(
            path, method=method, query_string=query, data=MultiDict(form) if form else None
        )
        assert response.status_code < 500, (rule.rule, path, response.status_code)
        if 400 <= response.status_code < 500:
            assert database_content(app) == before, (path, response.status_code)

    for rule in rules:
        route_answers_without_failing(rule)


# -- mail whose charset decodes to what is not Unicode ------------------------------------------

PNG_BASE64 = base64.b64encode(png()).decode("ascii")


@pytest.fixture
def mail_app(database_url, marketplace, tmp_path, smtp):
    """The test marketplace taking answers by e-mail (as tests/test_inbound.py's)."""
    with taking_mail(database_url, marketplace, tmp_path, smtp) as app:
        yield app


@pytest.fixture
def answering(mail_app, smtp, marketplace) -> tuple[int, str]:
    """A ticket of Alice's that waits for her answer, and the reply address to answer."""
    return waiting_ticket(mail_app, mail_app.test_client(), smtp, marketplace)


def answer(
    to: str,
    *,
    text: str = "text/plain; charset=utf-7",
    body: str = "Fixed +2AA- now",
    filename: str = 'filename="screen.png"',
    sender: str = "alice@example.com",
) -> bytes:
    """An answer with a text part and a PNG, the Message-ID its own for each variant."""
    unique = abs(hash((text, body, filename, sender)))
    return (
        f"Message-ID: <hostile-{unique}@example.com>\nFrom: {sender}\nTo: {to}\n"
        "Subject: Re: your ticket\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=BOUNDARY\n\n"
        f"--BOUNDARY\nContent-Type: {text}\n\n{body}\n"
        "--BOUNDARY\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n"
        f"Content-Disposition: attachment; {filename}\n\n{PNG_BASE64}\n--BOUNDARY--\n"
    ).encode("ascii")


def last_message(app, number: int) -> tuple[str, list[str]]:
    """The body of the ticket's last message and the names of its files."""
    _, messages = ticket_state(app, number)
    files = [f.filename for f in stored_rows(app, Attachment) if f.message_id == messages[-1].id]
    return messages[-1].body, files


@pytest.mark.parametrize(
    ("text", "body", "expected"),
    [
        ("text/plain; charset=utf-7", "Fixed +2AA- now", "Fixed \ufffd now"),
        ("text/plain; charset=unicode_escape", "Fixed \\ud800 now", "Fixed \ufffd now"),
        ("text/plain; charset=raw-unicode-escape", "Fixed \\udfff now", "Fixed \ufffd now"),
        ("text/html; charset=utf-7", "<p>Fixed +2AA- now</p>", "Fixed \ufffd now"),
        # a pair the charset leaves split is the character it stands for
        ("text/plain; charset=unicode_escape", "Fixed \\ud83d\\ude00 now", "Fixed \U0001f600 now"),
    ],
    ids=["utf-7", "unicode_escape", "raw-unicode-escape", "html-utf-7", "split-pair"],
)
def test_an_answer_whose_charset_makes_no_unicode_gets_in_with_what_can_be_read(
    mail_app, answering, text, body, expected
):
    number, address = answering
    result = receive_by_pipe(mail_app, answer(address, text=text, body=body))
    assert (result.exit_code, result.output.strip()) == (0, "accepted")
    assert last_message(mail_app, number) == (expected, ["screen.png"])
    # the next message is not held up behind it
    after = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(mail_app, after).output.strip() == "accepted"
    assert last_message(mail_app, number)[0] == "It works again, thank you."


@pytest.mark.parametrize(
    "filename",
    ['filename="=?utf-7?Q?screen+2AA-.png?="', "filename*=utf-7''screen%2B2AA-.png"],
    ids=["encoded-word", "rfc2231"],
)
def test_a_file_name_in_utf_7_that_makes_no_unicode_gets_in_readable(mail_app, answering, filename):
    number, address = answering
    raw = answer(address, text="text/plain; charset=utf-8", body="Here", filename=filename)
    result = receive_by_pipe(mail_app, raw)
    assert (result.exit_code, result.output.strip()) == (0, "accepted")
    assert last_message(mail_app, number) == ("Here", ["screen\ufffd.png"])


def test_an_imap_pass_takes_such_an_answer_and_the_ones_after_it(mail_app, answering, imap_server):
    number, address = answering
    after = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    deliver_to_mailbox(imap_server, answer(address), after)
    result = poll(mail_app, imap_server)
    assert (result.exit_code, result.output.strip()) == (0, "accepted 2")
    assert mailbox_size(imap_server) == 0
    bodies = [m.body for m in ticket_state(mail_app, number)[1][-2:]]
    assert bodies == ["Fixed \ufffd now", "It works again, thank you."]


def test_the_operator_accepts_such_an_answer_from_another_address(mail_app, answering, marketplace):
    number, address = answering
    raw = answer(address, sender="alice@home.example")
    assert receive_by_pipe(mail_app, raw).output.strip() == "quarantined (wrong_sender)"
    [kept] = quarantined(mail_app)
    client = mail_app.test_client()
    login(client, "olive")
    response = client.post(
        "/support/operator/mail/accept",
        data={"csrf_token": csrf_token(mail_app, client), "accept": kept.id},
    )
    assert response.status_code == 303
    assert quarantined(mail_app) == []
    assert last_message(mail_app, number) == ("Fixed \ufffd now", ["screen.png"])


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("From", "=?utf-7?Q?Alice_+2AA-?= <alice@example.com>"),
        ("To", "=?utf-7?Q?Support_+2AA-?= <{address}>"),
        ("Subject", "=?utf-7?Q?Re:_+2AA-?="),
    ],
    ids=["from", "to", "subject"],
)
def test_a_header_in_utf_7_that_makes_no_unicode_does_not_hold_the_answer_up(
    mail_app, answering, header, value
):
    number, address = answering
    raw = answer(address, text="text/plain; charset=utf-8", body="Here")
    start = raw.index(f"\n{header}: ".encode()) + 1
    end = raw.index(b"\n", start)
    raw = raw[:start] + f"{header}: {value.format(address=address)}".encode() + raw[end:]
    result = receive_by_pipe(mail_app, raw)
    assert (result.exit_code, result.output.strip()) == (0, "accepted")
    assert last_message(mail_app, number) == ("Here", ["screen.png"])


def test_a_sender_with_bytes_that_are_not_utf_8_is_quarantined_readable(mail_app, answering):
    _, address = answering
    raw = answer(address, text="text/plain; charset=utf-8", body="Here")
    raw = raw.replace(b"From: alice@example.com", b"From: ali\xffce@example.com")
    result = receive_by_pipe(mail_app, raw)
    assert (result.exit_code, result.output.strip()) == (0, "quarantined (wrong_sender)")
    [kept] = quarantined(mail_app)
    assert kept.sender == kept.detail == "ali\ufffdce@example.com"
