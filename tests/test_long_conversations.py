"""A conversation too long for one request: a ticket's read (its page with every part
unfolded, the API's ticket) holds its latest entries at most (``tickets.ENTRIES_READ_MAX`` of
each part), and the link to the entries before leads back to the description, every entry
once and in its course."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marketplace_support import tickets
from marketplace_support.models import Event, EventKind, Message, Ticket
from marketplace_support.workflow import Role

from .api_calls import API, assert_problem, auth, token
from .conftest import examples, login
from .helpers import open_ticket, ticket_page_form

#: what one step of a conversation writes: the customer's reply, a provider's reply, an
#: internal note; an event a customer's conversation tells, one that folds into their
#: History, one for staff only
KINDS = ("reply", "answer", "note", "told", "history", "internal")


def write_entries(app, number: int, steps: list[tuple[str, int]]) -> None:
    """Adds the entries of ``steps`` to ticket ``number`` of t1, in order: each ``(kind,
    seconds)`` after the entry before (0: at the same moment, as one change writes)."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        ticket = session.query(Ticket).filter_by(tenant_id="t1", number=number).one()
        moment = ticket.created_at  # after the opening's own entries
        for index, (kind, seconds) in enumerate(steps):
            moment += timedelta(seconds=seconds)
            common = {"tenant_id": "t1", "ticket_id": ticket.id, "created_at": moment}
            if kind in ("reply", "answer", "note"):
                customer = kind == "reply"
                session.add(
                    Message(
                        **common,
                        author_user_id="alice" if customer else "pete",
                        author_name="Alice" if customer else "Pete",
                        author_role=Role.CUSTOMER if customer else Role.PROVIDER,
                        body=f"Entry {index}.",
                        internal=kind == "note",
                    )
                )
            else:
                session.add(
                    Event(
                        **common,
                        kind={
                            "told": EventKind.ESCALATED,
                            "history": EventKind.PRIORITY_CHANGED,
                            "internal": EventKind.ASSIGNED,
                        }[kind],
                        actor_user_id="pete",
                        actor_name="Pete",
                        actor_role=Role.PROVIDER,
                        from_value="medium" if kind == "history" else None,
                        to_value="high" if kind == "history" else None,
                        to_name="Pete" if kind == "internal" else None,
                        detail=f"Entry {index}.",
                        internal=kind == "internal",
                    )
                )
            session.flush()  # the ids in the order of the steps, as changes write them
        session.commit()
        session.remove()


def walk(client, url: str, headers: dict[str, str]) -> list[dict]:
    """Every read of a ticket from its latest entries back to its description, newest read
    first, following each read's ``earlier``."""
    reads = []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        reads.append(response.get_json())
        url = reads[-1]["earlier"]
        assert len(reads) < 200, "the reads do not reach the description"
    return reads


def moment(entry: dict) -> datetime:
    return datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00"))


_STEPS = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from([0, 1, 1])), min_size=0, max_size=40
)


def test_reads_of_a_long_conversation_hold_every_entry_once_in_its_course(
    app, client, marketplace, monkeypatch
):
    """Generated conversations (replies, notes and events, several at one moment) read by the
    customer and by the provider, a few entries a read: the reads together hold exactly what
    one unbounded read holds, each read at most its share, none older than the one after."""
    secret = token(app, marketplace, "pete", Role.PROVIDER)

    @settings(
        max_examples=examples(30),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=_STEPS, most=st.integers(min_value=1, max_value=6))
    # a change of the customer's History and two the conversation tells, all at one moment:
    # a read that ends inside that moment must not skip the History's entry
    @example(steps=[("history", 1), ("told", 0), ("told", 0)], most=1)
    def read(steps, most):
        login(client, "alice")
        number = open_ticket(client)
        write_entries(app, number, steps)
        for url, headers, parts in (
            (f"{API}/my/tickets/{number}", {}, 2),  # a customer's: its History apart
            (f"{API}/tickets/{number}", auth(secret), 1),
        ):
            monkeypatch.setattr(tickets, "ENTRIES_READ_MAX", 10_000)
            (whole,) = walk(client, url, headers)
            monkeypatch.setattr(tickets, "ENTRIES_READ_MAX", most)
            reads = walk(client, url, headers)
            for newer, older in pairwise(reads):
                assert older["messages"] or older["events"]
                shown = [*newer["messages"], *newer["events"]]
                before = [*older["messages"], *older["events"]]
                assert max(map(moment, before)) <= min(map(moment, shown))
            for each in reads:
                assert len(each["messages"]) <= most and len(each["events"]) <= parts * most
            for field in ("messages", "events"):
                ids = [entry["id"] for each in reversed(reads) for entry in each[field]]
                assert ids == [entry["id"] for entry in whole[field]], (url, field)

    read()


def test_a_conversation_longer_than_a_page_reads_is_shown_part_by_part(app, client):
    """The page with every part unfolded holds the latest entries one request reads; its
    "Show older entries" leads to the ones before, back to the description, and back."""
    login(client, "alice")
    number = open_ticket(client, issue_about="The backups stopped on Monday.")
    most = tickets.ENTRIES_READ_MAX
    write_entries(app, number, [("reply", 60)] * (most + 30))
    page = client.get(f"/support/tickets/{number}?entries=all").get_data(as_text=True)
    assert page.count('<li class="ms-message ms-message--customer"') == most
    assert f"Entry {most + 29}." in page and "Entry 29." not in page  # entry 30 is the 200th
    assert "The backups stopped on Monday." not in page
    # the summary still counts the whole conversation: the description and every reply
    assert f"<summary>Show {most + 31 - 3} earlier entries</summary>" in page
    older = re.search(r'<li class="ms-older"><a href="([^"]+)">Show older entries</a></li>', page)
    assert older is not None
    link = older.group(1).replace("&amp;", "&")
    assert link.startswith(f"/support/tickets/{number}?") and link.endswith("#ms-earlier")
    before = client.get(link.partition("#")[0])
    assert before.status_code == 200
    older_page = before.get_data(as_text=True)
    assert "The backups stopped on Monday." in older_page
    assert all(f"Entry {i}." in older_page for i in range(30))
    assert f"Entry {30}." not in older_page and "Show older entries" not in older_page
    assert f'<a href="/support/tickets/{number}">Back to the latest entries</a>' in older_page
    # the page the reader starts from is as it was: the latest entries, the rest behind links
    latest = client.get(f"/support/tickets/{number}").get_data(as_text=True)
    assert f"Entry {most + 29}." in latest and f"Entry {most + 25}." not in latest


@pytest.mark.parametrize("before", ["i5", "i5.i5.i5", "x1.i2", "i-1.i3", "i99999999999.i1", ""])
def test_a_link_to_older_entries_that_was_not_made_by_us_is_refused(
    app, client, marketplace, before
):
    login(client, "alice")
    number = open_ticket(client)
    page = client.get(
        f"/support/tickets/{number}", query_string={"entries": "all", "before": before}
    )
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "This link to older entries is not valid. Start again from the ticket." in text
    secret = token(app, marketplace, "pete", Role.PROVIDER)
    for url, headers in (
        (f"{API}/tickets/{number}", auth(secret)),
        (f"{API}/my/tickets/{number}", {}),
    ):
        response = client.get(url, query_string={"before": before}, headers=headers)
        problem = assert_problem(response, 400, "invalid-entries-link")
        assert "Start again from the ticket." in problem["detail"]


def test_a_read_holds_the_files_of_the_entries_it_holds(app, client, monkeypatch):
    """The API's read of a long conversation lists the files of the messages it holds; the
    file of an older message comes with the read of its part."""
    login(client, "alice")
    number = open_ticket(client)
    form = {**ticket_page_form(client, number), "body": "The log is attached."}
    form["attachments"] = [(io.BytesIO(b"the log\n"), "first.log")]
    assert client.post(f"/support/tickets/{number}/reply", data=form).status_code == 303
    write_entries(app, number, [("reply", 60)] * 3)
    monkeypatch.setattr(tickets, "ENTRIES_READ_MAX", 2)
    latest, *before = walk(client, f"{API}/my/tickets/{number}", {})
    assert latest["attachments"] == [] and "The log is attached." not in str(latest["messages"])
    (oldest,) = [read for read in before if read["earlier"] is None]
    assert [file["filename"] for file in oldest["attachments"]] == ["first.log"]
    assert any(m["body"] == "The log is attached." for m in oldest["messages"])


def test_a_short_conversation_behind_a_long_history_is_linked_not_lost(app, client, monkeypatch):
    """A History longer than one read cuts it: the conversation's own entries before the cut
    are not shown as if there were none; the link to them stands in their place, and the
    links lead to them and to the description."""
    login(client, "alice")
    number = open_ticket(client, issue_about="The backups stopped on Monday.")
    write_entries(app, number, [("reply", 60), *[("history", 60)] * 6])
    monkeypatch.setattr(tickets, "ENTRIES_READ_MAX", 3)
    url = f"/support/tickets/{number}?entries=all"
    pages = []
    while url:
        pages.append(client.get(url).get_data(as_text=True))
        conversation = pages[-1].partition('<ol class="ms-timeline"')[2].partition("</ol>")[0]
        link = re.search(r'<li class="ms-older"><a href="([^"#]+)#', conversation)
        url = link.group(1).replace("&amp;", "&") if link else None
        assert len(pages) < 10
    assert len(pages) == 3  # 3 changes, 3 more with the routing, then the reply
    assert ["Entry 0." in page for page in pages] == [False, False, True]
    assert "The backups stopped on Monday." in pages[-1]


def test_a_read_costs_the_same_statements_however_long_the_conversation(
    app, client, count_queries, monkeypatch
):
    """The page with every part unfolded, a part of older entries and the API's read send as
    many statements for a conversation of a few entries as for one longer than a read."""
    monkeypatch.setattr(tickets, "ENTRIES_READ_MAX", 3)
    login(client, "alice")
    short, long = open_ticket(client), open_ticket(client)
    write_entries(app, short, [("reply", 60), ("history", 60)])
    write_entries(app, long, [("reply", 60), ("history", 60)] * 20)

    def statements(url: str) -> int:
        client.get(url)  # looked at once: the count leaves out noting it again
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        return counter.count

    for read in ("/support/tickets/{}?entries=all", f"{API}/my/tickets/{{}}"):
        assert statements(read.format(short)) == statements(read.format(long)), read
    older = client.get(f"{API}/my/tickets/{long}").get_json()["earlier"]
    assert statements(older) == statements(f"{API}/my/tickets/{short}")
