"""Search finds what people wrote (subject, description, conversation, file names), stemmed, in
each person's own scope: never a word of an internal note for a customer, never another
customer's, provider's or tenant's ticket. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import pytest

from marketplace_support import actions, sharing
from marketplace_support.models import TicketCounter
from marketplace_support.search import fts_query
from marketplace_support.workflow import Action, Role

from .conftest import login
from .helpers import new_ticket_form, open_ticket, png, ticket_fields

#: where each person searches
LISTS = {
    "alice": "/support/",
    "amy": "/support/?state=shared",
    "bob": "/support/",
    "carol": "/support/",
    "pete": "/support/provider/?status=all",
    "quinn": "/support/provider/?status=all",
    "cora": "/support/provider/?status=all",
    "olive": "/support/operator/?status=all",
    "otto": "/support/operator/?status=all",
}
#: who may see Alice's hosting ticket (shared with her organisation): Amy is her colleague,
#: Pete works for the provider, Olive is the operator
SEES_IT = {"alice", "amy", "pete", "olive"}
STAFF = {"pete", "olive"}


@pytest.fixture
def ticket(app, client, marketplace) -> int:
    """Alice's ticket with a screenshot, a provider's reply, an internal note and her German
    answer; shared with her organisation."""
    login(client, "alice")
    data = {
        **new_ticket_form(client),
        **ticket_fields(
            subject="Checkout broken",
            issue_about="The checkout shows a certificate warning.",
        ),
    }
    data["attachments"] = [(io.BytesIO(png()), "router-lights.png")]
    response = client.post("/support/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    number = int(re.search(r"/tickets/(\d+)", response.headers["Location"]).group(1))
    tenant, pete = marketplace.actors["pete"]
    with app.test_request_context():
        for action, body in (
            (Action.REPLY, "We renewed the certificates on the load balancer."),
            (Action.NOTE, "For us: rotate the HSM passphrase tonight."),
        ):
            key = f"search-{action.value}-0123456789"
            actions.act(
                tenant, pete, Role.PROVIDER, number, action, {"body": body, "submission_key": key}
            )
    alice = marketplace.actors["alice"][1]
    with app.test_request_context():
        actions.act(
            tenant,
            alice,
            Role.CUSTOMER,
            number,
            Action.REPLY,
            {
                "body": "Die Verbindungen brechen immer noch ab.",
                "submission_key": "search-de-012345678",
            },
        )
        sharing.share_with_organisation(tenant, alice, number, True)
    return number


def found(client, person: str, words: str) -> list[int]:
    login(client, person)
    page = client.get(
        f"{LISTS[person]}{'&' if '?' in LISTS[person] else '?'}{urlencode({'q': words})}"
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    return [
        int(n)
        for n in re.findall(r'href="/support/(?:\w+/)?tickets/(\d+)"', page.get_data(as_text=True))
    ]


@pytest.mark.parametrize("person", sorted(LISTS))
@pytest.mark.parametrize(
    ("words", "where"),
    [
        ("certificate", "the description"),
        ("renewing certificates", "a reply, stemmed"),
        ("Verbindung", "a German reply: German stem, or a word's beginning"),
        ("router-lights", "a file's name"),
        ("#1", "the number"),
    ],
)
def test_what_people_wrote_is_found_by_those_who_may_see_it(client, ticket, person, words, where):
    assert (found(client, person, words) == [ticket]) == (person in SEES_IT), where


@pytest.mark.parametrize("person", sorted(LISTS))
def test_an_internal_note_is_found_by_staff_only(client, ticket, person):
    assert (found(client, person, "passphrase") == [ticket]) == (person in STAFF)


def test_a_word_nobody_wrote_finds_nothing(client, ticket):
    assert found(client, "olive", "kangaroo") == []


def test_what_a_person_types_is_only_words_to_the_search():
    assert fts_query('cert* OR "x" NEAR(a b) -- ;') == '"cert"* "OR"* "x"* "NEAR"* "a"* "b"*'
    assert fts_query("!!!") == '""'


def test_a_list_shows_where_the_words_were_found_marked_and_escaped(
    app, client, ticket, marketplace
):
    tenant, pete = marketplace.actors["pete"]
    with app.test_request_context():
        actions.act(
            tenant,
            pete,
            Role.PROVIDER,
            ticket,
            Action.REPLY,
            {
                "body": "The balancer & its <b>pool</b> restarted.",
                "submission_key": "search-mark-0123456",
            },
        )
    login(client, "alice")
    page = client.get("/support/?" + urlencode({"q": "balancer"})).get_data(as_text=True)
    snippet = re.search(r'<p class="ms-snippet">(.*?)</p>', page).group(1)
    assert "<mark>balancer</mark> &amp;" in snippet and "<b>" not in snippet
    login(client, "pete")  # staff: the note's words too
    page = client.get("/support/provider/?" + urlencode({"q": "passphrase"})).get_data(as_text=True)
    assert "<mark>passphrase</mark>" in page
    login(client, "alice")  # never the note's words for the customer, not even in a snippet
    page = client.get("/support/?" + urlencode({"q": "checkout passphrase"})).get_data(as_text=True)
    assert "passphrase</mark>" not in page


def test_a_part_of_a_long_number_finds_its_ticket(app, client, marketplace):
    """Numbers grow long in a busy marketplace: "4021" finds #40213; two digits find only the
    ticket with that number."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        session.add(TicketCounter(tenant_id="t1", last_number=40212))
        session.commit()
    login(client, "alice")
    long_one = open_ticket(client, subject="Invoice question")
    assert long_one == 40213
    assert found(client, "alice", "4021") == [long_one]
    assert found(client, "alice", "#40213") == [long_one]
    assert found(client, "alice", "13") == []  # too short to be a part: no ticket 13
    assert found(client, "bob", "4021") == []  # not his
