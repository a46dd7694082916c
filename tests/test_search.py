"""Search finds what people wrote (subject, description, conversation, file names), stemmed, in
each person's own scope: never a word of an internal note for a customer, never another
customer's, provider's or tenant's ticket. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import urlencode

import pytest

from marketplace_support import actions, sharing
from marketplace_support.models import TicketCounter
from marketplace_support.search import fts_query
from marketplace_support.workflow import Action, Role

from .conftest import login
from .helpers import new_ticket_form, open_ticket, png, provider_replies, ticket_fields

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


def found(client, person: str, words: str, **params: str) -> list[int]:
    """The tickets ``person``'s list shows for ``words``, in the list's order."""
    login(client, person)
    page = client.get(
        f"{LISTS[person]}{'&' if '?' in LISTS[person] else '?'}{urlencode({'q': words, **params})}"
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
    body = "The balancer & its <b>pool</b> restarted."
    provider_replies(app, marketplace, ticket, body, "search-mark-0123456")
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


def test_a_short_message_is_its_own_snippet(app, client, ticket, marketplace):
    """On PostgreSQL too: its headline of a four-word message was the found word alone."""
    provider_replies(app, marketplace, ticket, "The disk is full.", "search-short-0123456")
    login(client, "alice")
    page = client.get("/support/?q=disk").get_data(as_text=True)
    assert '<p class="ms-snippet">The <mark>disk</mark> is full.</p>' in page


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


# -- best match first, and words typed wrong --------------------------------------------------


def reply(app, marketplace, user: str, number: int, body: str, *, internal: bool = False) -> None:
    tenant, person = marketplace.actors[user]
    role = Role.CUSTOMER if person.is_customer and not person.provider_ids else Role.PROVIDER
    action = Action.NOTE if internal else Action.REPLY
    key = f"reply-{user}-{number}-{abs(hash(body))}"[:64].ljust(16, "0")
    with app.test_request_context():
        actions.act(tenant, person, role, number, action, {"body": body, "submission_key": key})


@pytest.mark.parametrize("person", ["alice", "pete", "olive"])
def test_a_search_lists_the_best_match_first_and_the_other_orders_stay(
    app, client, marketplace, person
):
    """The ticket about the printer (its subject and description) before the one that
    mentions it once in a reply, though the reply is newer; "latest activity first" still
    there."""
    login(client, "alice")
    about_it = open_ticket(
        client, subject="Printer offline", issue_about="The office printer is offline."
    )
    mentions_it = open_ticket(client, subject="Invoice question")
    reply(app, marketplace, "pete", mentions_it, "Is this about the printer too?")
    assert found(client, person, "printer") == [about_it, mentions_it]
    assert found(client, person, "printer", sort="activity") == [mentions_it, about_it]
    assert found(client, person, "printer", sort="relevance") == [about_it, mentions_it]


def pages(client, url: str) -> list[list[int]]:
    """The ticket numbers of each page of a list, following its "more" link to the end."""
    numbers = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_data(as_text=True)
        numbers.append(
            [int(n) for n in re.findall(r'href="/support/(?:\w+/)?tickets/(\d+)"', page)]
        )
        more = re.search(r'<nav class="ms-pager"[^>]*>\s*<a [^>]*href="([^"]+)"', page)
        url = html.unescape(more.group(1)) if more else None
    return numbers


@pytest.mark.parametrize("url", ["/support/?q=router", "/support/operator/?status=all&q=router"])
def test_best_match_pages_are_stable_and_each_ticket_is_listed_once(app, client, marketplace, url):
    """Seven tickets (pages of five): equal matches are listed by number, newest first; each
    once over the pages."""
    login(client, "alice")
    numbers = [
        open_ticket(client, subject=f"Router {n}", issue_about="It blinks.") for n in range(6)
    ]
    numbers.append(open_ticket(client, subject="Router router", issue_about="The router blinks."))
    login(client, "olive" if "operator" in url else "alice")
    listed = pages(client, url)
    assert [len(page) for page in listed] == [5, 2]
    assert listed[0][0] == numbers[-1]  # the word three times
    assert sorted(n for page in listed for n in page) == sorted(numbers)
    assert [n for page in listed for n in page][1:] == sorted(numbers[:-1], reverse=True)


@pytest.mark.parametrize(
    "after",
    [
        "t1700000000000000.i1",  # a link of the activity order
        "i99999999999999999999.i1",  # beyond what a number holds
        "i5",
        "i5.i1.i2",
        "i-5.x",
    ],
)
@pytest.mark.parametrize("url", ["/support/?q=router", "/support/operator/?status=all&q=router"])
def test_an_edited_best_match_page_link_is_refused_not_an_error(client, url, after):
    login(client, "olive" if "operator" in url else "alice")
    response = client.get(f"{url}&{urlencode({'after': after})}")
    assert response.status_code == 400
    assert "This page link is not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/support/?q=router", "/support/operator/?status=all&q=router"])
def test_a_best_match_page_link_with_made_up_values_is_just_a_page(client, url):
    login(client, "olive" if "operator" in url else "alice")
    assert client.get(f"{url}&after=i5.i1").status_code == 200


def test_a_misspelt_word_finds_its_ticket_on_postgresql(app, client, marketplace, database_url):
    """PostgreSQL: a word like the one typed (trigrams) in a subject or a message finds the
    ticket, ranked below an exact match, never through a note for a customer. SQLite has no
    trigram matching: the same searches find nothing there (README "Search")."""
    login(client, "alice")
    invoice = open_ticket(client, subject="Rechnung fehlt", issue_about="Bitte senden.")
    network = open_ticket(client, subject="Slow site", issue_about="Pages take long.")
    reply(app, marketplace, "pete", network, "We reset the connection pool.")
    noted = open_ticket(client, subject="Backup", issue_about="Nightly backup failed.")
    reply(app, marketplace, "pete", noted, "The connection secret rotates tonight.", internal=True)
    exact = open_ticket(client, subject="No conection", issue_about="Typed like this.")
    described = open_ticket(client, subject="Mail", issue_about="Die Verbindung bricht ab.")
    if not database_url.startswith("postgresql"):
        assert found(client, "alice", "Rechnug") == []
        assert found(client, "alice", "conection") == [exact]
        assert found(client, "alice", "Verbindng") == []
        return
    assert found(client, "alice", "Verbindng") == [described]
    assert found(client, "alice", "Rechnug") == [invoice]
    assert found(client, "bob", "Rechnug") == []  # not his
    assert found(client, "alice", "conection") == [exact, network]  # the exact word first
    first, *rest = found(client, "pete", "conection")  # staff: the note's words too
    assert first == exact and sorted(rest) == sorted([network, noted])
    assert found(client, "olive", "kangaroo") == []


@pytest.mark.parametrize("url", ["/support/?q=router", "/support/operator/?status=all&q=router"])
def test_an_order_that_is_not_offered_is_refused_in_words(client, url):
    login(client, "olive" if "operator" in url else "alice")
    response = client.get(f"{url}&sort=bogus")
    assert response.status_code == 400
    assert "Choose an order." in response.get_data(as_text=True)
