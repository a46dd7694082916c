"""Pages cost the same number of SQL statements however many tickets and messages exist."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from marketplace_support import Category, FieldChoice, FieldKind, RequestField, actions, webhooks
from marketplace_support.blueprints import assets
from marketplace_support.models import OutboxMessage
from marketplace_support.workflow import Action, Role

from .conftest import login
from .helpers import add_information, form_inputs, new_ticket_form, open_ticket, ticket_fields

API = "/support/api/v1"


def statements_for(client, count_queries, url):
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_ticket_list_costs_the_same_for_one_and_for_many_tickets(client, count_queries):
    login(client, "alice")
    open_ticket(client)
    one = statements_for(client, count_queries, "/support/")
    for _ in range(11):
        open_ticket(client)
    many = statements_for(client, count_queries, "/support/")
    # the page (with when the customer last looked at each of its tickets, so which of them
    # changed costs no statement of its own: it was 4), the counts of own tickets and of
    # shared ones (one statement: it was 2)
    assert one == many == 2


def test_ticket_page_costs_the_same_for_few_and_many_messages(client, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    few = statements_for(client, count_queries, f"/support/tickets/{number}")
    for i in range(15):
        add_information(client, number, f"Update {i}")
    many = statements_for(client, count_queries, f"/support/tickets/{number}")
    # the ticket (with when they last looked, whether they watch it, and whether it has files
    # or is shared with anyone by name: neither here, so neither is read), messages, events,
    # and noting that they looked
    assert few == many == 4
    # shared with a colleague by name: the page reads the shares and lists them (looked at
    # once before counting: nothing new to note)
    url = f"/support/tickets/{number}"
    form = form_inputs(client.get(url).get_data(as_text=True), "/sharing/people")
    shared = client.post(f"{url}/sharing/people", data={**form, "person": "amy"})
    assert shared.status_code == 303
    assert "Stop sharing with Amy" in client.get(url).get_data(as_text=True)
    assert statements_for(client, count_queries, url) == 4


def test_a_ticket_without_a_service_costs_the_same_with_its_choice_of_services(
    client, count_queries
):
    login(client, "alice")
    about = open_ticket(client, order="o-hosting")
    loose = open_ticket(client, order="none")
    # the form "Which service is this about?" asks the host for her orders, not the database
    page = client.get(f"/support/tickets/{loose}").get_data(as_text=True)
    assert "Which service is this about?" in page
    assert "Which service" not in client.get(f"/support/tickets/{about}").get_data(as_text=True)
    assert (
        statements_for(client, count_queries, f"/support/tickets/{loose}")
        == statements_for(client, count_queries, f"/support/tickets/{about}")
        == 3  # the ticket, messages, events: she looked at both before (nothing new to note)
    )


def test_looking_again_at_a_ticket_where_nothing_changed_writes_nothing(client, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    add_information(client, number, "Something new")
    with count_queries() as first:
        assert client.get(f"/support/tickets/{number}").status_code == 200
    with count_queries() as again:
        assert client.get(f"/support/tickets/{number}").status_code == 200
    writes = [s for s in first.statements if s.lstrip().startswith("INSERT INTO support_seen")]
    assert len(writes) == 1
    # the page knew from its ticket's row when Alice last looked: nothing new, nothing noted
    assert again.count == first.count - 1
    assert not [s for s in again.statements if "support_seen (" in s]
    add_information(client, number, "Something newer")
    with count_queries() as after_news:
        assert client.get(f"/support/tickets/{number}").status_code == 200
    assert after_news.count == first.count


def test_new_ticket_form_reads_nothing_from_the_database(client, count_queries):
    login(client, "alice")
    for _ in range(3):
        open_ticket(client)
    assert statements_for(client, count_queries, "/support/new") == 0


@pytest.mark.parametrize("endpoints", [False, True], ids=["no endpoints", "endpoints"])
def test_opening_a_ticket_costs_seven_statements_and_one_for_its_emails_and_webhooks(
    app, client, count_queries, marketplace, endpoints
):
    """The form's key looked up, the number, the ticket, its two events, who may be told, and
    the e-mails (the customer's and the provider's) in one INSERT, which also writes the
    webhooks of the endpoints that may hear of it (none without endpoints); nothing is read
    again after the commit. (Delivery, after the response, is left out here.)"""
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    app.config["SUPPORT_WEBHOOK_ALLOW_PRIVATE"] = True
    hearing = []  # the ids of the endpoints that hear of the new ticket
    if endpoints:
        # the operator's and Nimbus's hear of it; Post & Co's does not see the ticket
        staff = (("olive", Role.OPERATOR), ("pete", Role.PROVIDER), ("quinn", Role.PROVIDER))
        for user_id, role in staff:
            tenant_id, actor = marketplace.actors[user_id]
            form = {"url": "https://127.0.0.1:9/hook", "events": ["ticket.opened"]}
            with app.test_request_context():
                endpoint = webhooks.register(tenant_id, actor, role, form).endpoint.id
            if user_id != "quinn":
                hearing.append(endpoint)
    login(client, "alice")
    data = {**new_ticket_form(client), **ticket_fields()}
    with count_queries() as counter:
        assert client.post("/support/new", data=data).status_code == 303
    with app.app_context():
        dialect = app.extensions["sqlalchemy"].engine.dialect.name
        session = app.extensions["sqlalchemy"].session
        hooks = select(OutboxMessage.endpoint_id).where(OutboxMessage.endpoint_id.is_not(None))
        told = sorted(session.scalars(hooks))
    # the ticket's number, the ticket, its two events in one INSERT (on SQLite too: the
    # events' sentinel column says which returned id is which), who may hear it, the outbox
    assert counter.count == 6
    events = [s for s in counter.statements if s.lstrip().startswith("INSERT INTO support_event")]
    assert len(events) == 1, dialect
    outbox = [s for s in counter.statements if s.lstrip().startswith("INSERT INTO support_outbox")]
    assert len(outbox) == 1 and counter.statements[-1] == outbox[0]
    # (the ids themselves: PostgreSQL's sequences go on across tests)
    assert told == hearing


@pytest.mark.parametrize("endpoints", [False, True], ids=["no endpoints", "endpoints"])
def test_a_change_that_e_mails_no_one_costs_no_statement_for_webhooks_without_endpoints(
    app, client, count_queries, marketplace, endpoints
):
    """Starting work on a ticket e-mails no one: the ticket (locked, with whether any endpoint
    of the marketplace listens), the event, the ticket's new state, who watches it; the
    webhooks' INSERT only where an endpoint listens (it is their rows)."""
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    app.config["SUPPORT_WEBHOOK_ALLOW_PRIVATE"] = True
    if endpoints:
        tenant_id, olive = marketplace.actors["olive"]
        form = {"url": "https://127.0.0.1:9/hook", "events": ["ticket.status_changed"]}
        with app.test_request_context():
            webhooks.register(tenant_id, olive, Role.OPERATOR, form)
    login(client, "alice")
    number = open_ticket(client)
    tenant_id, pete = marketplace.actors["pete"]
    with count_queries() as counter, app.test_request_context():
        actions.act(tenant_id, pete, Role.PROVIDER, number, Action.START, {})
    inserts = [s for s in counter.statements if s.lstrip().startswith("INSERT INTO support_outbox")]
    assert len(inserts) == (1 if endpoints else 0)
    assert counter.count == (5 if endpoints else 4)  # main, before webhooks: 4


def twenty_questions() -> Category:
    """A problem area of 20 questions: ten short texts and ten choices."""
    texts = [
        RequestField(f"text_{i}", FieldKind.SHORT_TEXT, {"en": f"Text {i}"}, required=True)
        for i in range(10)
    ]
    choices = [
        RequestField(
            f"choice_{i}",
            FieldKind.CHOICE,
            {"en": f"Choice {i}"},
            required=True,
            choices=(FieldChoice("yes_one", {"en": "Yes"}), FieldChoice("no_one", {"en": "No"})),
        )
        for i in range(10)
    ]
    return Category("twenty", "Twenty questions", fields=(*texts, *choices))


def test_lists_and_ticket_pages_cost_the_same_with_0_and_20_answered_questions(
    client, marketplace, count_queries
):
    area = twenty_questions()
    marketplace.categories["t1"] = [area, Category("technical", "Technical")]
    login(client, "alice")
    plain = open_ticket(client, category="technical")
    answered = {
        f"answer-{f.key}": "yes_one" if f.kind is FieldKind.CHOICE else "A" for f in area.fields
    }
    asked = open_ticket(client, category="twenty", issue_about=None, **answered)

    def costs(number: int) -> list[int]:
        login(client, "alice")
        customer = statements_for(client, count_queries, f"/support/tickets/{number}")
        login(client, "pete")
        provider = [
            statements_for(client, count_queries, url)
            for url in (
                "/support/provider/",
                "/support/provider/?answer=choice_3:yes_one",
                f"/support/provider/tickets/{number}",
                "/support/provider/?sort=answer:choice_3",
            )
        ]
        login(client, "olive")
        operator = [
            statements_for(client, count_queries, url)
            for url in (
                "/support/operator/",
                "/support/operator/?answer=choice_3:yes_one",
                f"/support/operator/tickets/{number}",
            )
        ]
        return [customer, *provider, *operator]

    none, twenty = costs(plain), costs(asked)
    assert none == twenty
    # customer page as above; inbox, filtered or sorted by an answer: page + counts; the
    # console: the same, its counts per queue in the one statement of counts, apart when the
    # list is filtered; the staff ticket page: the ticket with its answers joined, messages,
    # events, files, watching, noting the look
    assert none[1] == none[2] == none[4] == none[5] == none[6] - 1


# -- the customer's API (``/my/...``) costs what My Page costs ---------------------------------


def test_the_list_costs_what_my_page_costs_for_one_and_for_many_tickets(client, count_queries):
    login(client, "alice")
    open_ticket(client)
    one = statements_for(client, count_queries, f"{API}/my/tickets")
    for _ in range(11):
        open_ticket(client)
    many = statements_for(client, count_queries, f"{API}/my/tickets")
    page = statements_for(client, count_queries, "/support/")
    # the page (with when the customer last looked at each), the counts of own and of shared
    # tickets in one statement
    assert one == many == page == 2


def test_a_ticket_costs_what_its_page_costs_for_few_and_many_messages(client, count_queries):
    login(client, "alice")
    number = open_ticket(client)
    few = statements_for(client, count_queries, f"{API}/my/tickets/{number}")
    for i in range(12):
        add_information(client, number, f"Update {i}")
    many = statements_for(client, count_queries, f"{API}/my/tickets/{number}")
    add_information(client, number, "One more")
    page = statements_for(client, count_queries, f"/support/tickets/{number}")
    # the ticket (with when they last looked, whether they watch it and whether it has files
    # or shares: none here), messages, events, and noting that they looked
    assert few == many == page == 4


# -- the scorecard and the operator's notifications through the API --------------------------


def test_the_scorecard_costs_what_its_page_costs_however_many_tickets(client, count_queries):
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    login(client, "olive")
    one = statements_for(client, count_queries, f"{API}/scorecard")
    login(client, "alice")
    for order in ("o-hosting", "o-mail", "none") * 3:
        open_ticket(client, order=order)
    login(client, "olive")
    many = statements_for(client, count_queries, f"{API}/scorecard")
    page = statements_for(client, count_queries, "/support/operator/scorecard")
    # the totals and one median each for the first response and the resolution
    assert one == many == page == 3


def test_the_notifications_that_did_not_go_out_cost_one_statement_however_many(
    app, client, count_queries
):
    app.extensions["mail"].default_sender = None  # every notification fails, with the reason
    login(client, "alice")
    open_ticket(client)
    login(client, "olive")
    one = statements_for(client, count_queries, f"{API}/notifications")
    login(client, "alice")
    for _ in range(6):
        open_ticket(client)
    login(client, "olive")
    many = statements_for(client, count_queries, f"{API}/notifications")
    assert len(client.get(f"{API}/notifications").get_json()["notifications"]) == 14
    page = statements_for(client, count_queries, "/support/operator/notifications")
    assert one == many == page == 1


def kept_seconds(client, address):
    """How long the browser may keep the file at ``address`` (None: check again each use)."""
    with client.get(address) as response:
        assert response.status_code == 200
        return response.cache_control.max_age


def test_the_stylesheet_s_address_follows_where_the_app_is_mounted(client):
    """The files' addresses are built once per app, host and mount point: the same app
    behind two mount points (``SCRIPT_NAME``) links each page to its own."""
    login(client, "alice")
    shown = []
    for root in ("", "/shop", ""):
        page = client.get("/support/", environ_overrides={"SCRIPT_NAME": root}).get_data(
            as_text=True
        )
        shown.append(re.search(r'href="([^"]*/static/support\.css)\?v=', page)[1])
    ours, shop = "/support/static/support.css", "/shop/support/static/support.css"
    assert shown == [ours, shop, ours]


def test_a_page_s_stylesheet_and_script_are_kept_by_the_browser_until_a_release_changes_them(
    client, marketplace, count_queries, monkeypatch, tmp_path
):
    login(client, "alice")
    page = client.get("/support/").get_data(as_text=True)
    links = re.findall(
        r'(?:href|src)="(/support/static/support\.(?:css|js)\?v=[0-9a-f]{16})"', page
    )
    assert len(links) == 2
    for link in links:
        marketplace.calls.clear()
        with count_queries() as counter:
            assert kept_seconds(client, link) == 365 * 24 * 3600
        # served without a statement and without asking the host anything (before, the
        # host was asked for the tenant's flags, and so for who is logged in: the example
        # marketplace read the account for it)
        assert counter.count == 0
        assert marketplace.calls == []
    # an address without the digest, or with another (a page from before a release): the
    # browser checks again at each use
    css = "/support/static/support.css"
    assert kept_seconds(client, css) is None
    assert kept_seconds(client, f"{css}?v=0123456789abcdef") is None

    # a release that changes the stylesheet changes its address; the old address is then
    # checked again at each use
    changed = tmp_path / "support.css"
    changed.write_bytes((assets.FOLDER / "support.css").read_bytes() + b"\n/* next release */\n")
    shutil.copyfile(assets.FOLDER / "support.js", tmp_path / "support.js")
    old_css = next(link for link in links if ".css" in link)
    monkeypatch.setattr(assets, "FOLDER", tmp_path)
    page = client.get("/support/").get_data(as_text=True)
    new_css = re.search(r'href="(/support/static/support\.css\?v=[0-9a-f]{16})"', page)[1]
    assert new_css != old_css
    assert kept_seconds(client, old_css) is None
    assert kept_seconds(client, new_css) == 365 * 24 * 3600
