"""Request types: each problem area asks its own questions, validated from their definitions,
stored with the question as it was asked, shown and sent to staff, searchable and filterable."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace_support import Category, FieldChoice, FieldKind, RequestField
from marketplace_support.mailer import compose
from marketplace_support.models import Ticket, TicketAnswer

from .categories import BILLING, MAIL, NO_CONNECTION, OTHER, ROUTER_LIGHTS
from .conftest import examples, login
from .helpers import (
    hidden_inputs,
    listed_numbers,
    new_ticket_form,
    open_ticket,
    png,
    row_counts,
    submit_ticket,
    ticket_fields,
)


def request_types(marketplace, *categories):
    marketplace.categories["t1"] = list(categories or (NO_CONNECTION, BILLING, MAIL, OTHER))


def no_connection(**answers):
    fields = {
        "category": "no_connection",
        "issue_about": None,
        "expected_outcome": None,
        "current_scenario": None,
        "answer-address": "Main street 1, Springfield",
        "answer-router_lights": "blinking_red",
    }
    fields.update(answers)
    return fields


def answers_in_db(app, number=None):
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        rows = list(session.scalars(select(TicketAnswer).order_by(TicketAnswer.id)))
        session.expunge_all()
        session.remove()
    return {row.key: row for row in rows}


def test_the_form_asks_exactly_the_chosen_areas_questions_without_javascript(client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    shown = client.post(
        "/support/new",
        data={
            **new_ticket_form(client),
            "category": "no_connection",
            "choose_area": "1",
            "subject": "Offline",
        },
    )
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert "Please check the form" not in page  # choosing is not a refusal
    assert 'value="Offline"' in page  # what was typed stays
    own = re.search(r'<fieldset[^>]*data-ms-area="no_connection"[^>]*>', page).group(0)
    assert "hidden" not in own and "disabled" not in own
    billing = re.search(r'<fieldset[^>]*data-ms-area="billing"[^>]*>', page).group(0)
    assert "hidden" in billing and "disabled" in billing
    guided = re.search(r"<fieldset[^>]*data-ms-area-default[^>]*>", page).group(0)
    assert "disabled" in guided
    address = re.search(r'<input [^>]*name="answer-address"[^>]*>', page, re.S).group(0)
    assert 'type="text"' in address and 'maxlength="200"' in address and "required" in address
    assert "Look at the front of the router." in page
    assert page.count('name="answer-router_lights"') == 4
    since = re.search(r'<input [^>]*name="answer-since"[^>]*>', page, re.S).group(0)
    assert 'type="date"' in since and "required" not in since
    assert '<optgroup label="Internet">' in page


def test_a_missing_mandatory_answer_is_refused_and_the_form_keeps_what_was_typed(
    app, client, marketplace
):
    request_types(marketplace)
    login(client, "alice")
    before = row_counts(app)
    refused = submit_ticket(client, **no_connection(**{"answer-router_lights": None}))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(r'href="#ms-answer-router_lights">Fill in this field.', page)
    assert 'value="Main street 1, Springfield"' in page
    assert row_counts(app) == before and not answers_in_db(app)
    number = open_ticket(client, **no_connection())
    answers = answers_in_db(app)
    assert answers["address"].value == "Main street 1, Springfield"
    assert answers["router_lights"].value == "blinking_red"
    assert "since" not in answers  # optional and left empty
    assert number == 1


def test_an_area_with_questions_does_not_ask_the_guided_ones_and_one_without_does(
    client, marketplace
):
    request_types(marketplace)
    login(client, "alice")
    assert submit_ticket(client, **no_connection()).status_code == 303
    refused = submit_ticket(client, category="other", issue_about=None)
    assert refused.status_code == 422
    assert "Tell us what the issue is about." in refused.get_data(as_text=True)


def test_unknown_answers_are_refused_and_nothing_is_written(app, client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    before = row_counts(app)
    for fields in (
        no_connection(**{"answer-colour": "red"}),  # not a question of the area
        no_connection(category="other", issue_about="Help"),  # the area asks nothing
        no_connection(**{"answer-invoice_number": "R-1"}),  # another area's question
    ):
        refused = submit_ticket(client, **fields)
        assert refused.status_code == 422
        assert "This field is not part of the form." in refused.get_data(as_text=True)
    assert row_counts(app) == before and not answers_in_db(app)


def test_each_kind_refuses_what_it_cannot_take_with_its_own_message(client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    cases = [
        (no_connection(**{"answer-router_lights": "purple"}), "Choose one of the options."),
        (no_connection(**{"answer-since": "yesterday"}), "Enter a day as YYYY-MM-DD."),
        (
            {"category": "billing", "issue_about": None, "answer-invoice_number": "R" * 21},
            "This text can be at most 20 characters long.",
        ),
        (
            {
                "category": "billing",
                "issue_about": None,
                "answer-invoice_number": "R-1",
                "answer-amount": "-5",
            },
            "Enter a number from 0 to 100000.",
        ),
        (
            {
                "category": "billing",
                "issue_about": None,
                "answer-invoice_number": "R-1",
                "answer-amount": "1e5",
            },
            "Enter a number, like 12 or 12.5.",
        ),
        (
            {"category": "mail", "issue_about": None, "answer-mailbox": "not an address"},
            "Enter an e-mail address, like name@example.com.",
        ),
    ]
    for fields, message in cases:
        refused = submit_ticket(client, **fields)
        assert refused.status_code == 422, fields
        assert message in refused.get_data(as_text=True), message


def test_staff_see_the_answers_at_the_top_in_their_language(app, client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    number = open_ticket(client, **no_connection(**{"answer-since": "2026-11-29"}))
    login(client, "pete")
    page = client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)
    top = page[: page.index("ms-conversation-title")]
    assert "Answers to the questions of No connection" in top
    assert re.search(r"<dt>Router lights</dt>\s*<dd[^>]*>Blinking red</dd>", top)
    assert re.search(r"<dt>Address</dt>\s*<dd[^>]*>Main street 1, Springfield</dd>", top)
    assert re.search(r"<dt>Since when\?</dt>\s*<dd[^>]*>2026-11-29</dd>", top)
    app.config["TEST_LOCALE"] = "de"
    german = client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)
    assert re.search(r"<dt>Router-Lämpchen</dt>\s*<dd[^>]*>Blinkt rot</dd>", german)
    # a label the definition has in English only stays English
    assert re.search(r"<dt>Since when\?</dt>", german)


def test_changing_a_request_type_later_never_changes_an_old_ticket(app, client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    number = open_ticket(client, **no_connection())
    changed = replace(
        NO_CONNECTION,
        fields=(
            RequestField(
                "customer_number", FieldKind.NUMBER, {"en": "Customer number"}, required=True
            ),
            replace(
                ROUTER_LIGHTS,
                label={"en": "Lamps"},
                choices=(FieldChoice("green", {"en": "Green"}),),
            ),
        ),
    )
    request_types(marketplace, changed, BILLING, MAIL, OTHER)
    login(client, "pete")
    page = client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)
    assert re.search(r"<dt>Router lights</dt>\s*<dd[^>]*>Blinking red</dd>", page)
    assert re.search(r"<dt>Address</dt>\s*<dd[^>]*>Main street 1, Springfield</dd>", page)
    assert "Customer number" not in page and "Lamps" not in page
    request_types(marketplace, OTHER)  # the area is gone altogether
    page = client.get(f"/support/provider/tickets/{number}").get_data(as_text=True)
    assert re.search(r"<dt>Router lights</dt>\s*<dd[^>]*>Blinking red</dd>", page)


def test_provider_and_operator_filter_their_lists_by_a_choice(client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    red = open_ticket(client, subject="Red lights", **no_connection())
    green = open_ticket(
        client, subject="Green lights", **no_connection(**{"answer-router_lights": "all_green"})
    )
    for user, url in (("pete", "/support/provider/"), ("olive", "/support/operator/")):
        login(client, user)
        everything = client.get(url).get_data(as_text=True)
        assert '<option value="router_lights:blinking_red">Blinking red</option>' in everything
        page = client.get(url + "?answer=router_lights:blinking_red&status=all").get_data(
            as_text=True
        )
        assert f"#{red}" in page and f"#{green}" not in page
        assert "Red lights" in page and "Green lights" not in page
        refused = client.get(url + "?answer=router_lights:<script>")
        assert refused.status_code == 400
        assert "Choose one of the answers listed." in refused.get_data(as_text=True)


def test_answers_are_found_by_staff_and_by_the_customer_who_wrote_them(client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    number = open_ticket(
        client, subject="Offline", **no_connection(**{"answer-address": "Elm Road 7"})
    )
    other = open_ticket(
        client, subject="Other", **no_connection(**{"answer-address": "Oak Lane 3"})
    )
    found = client.get("/support/?q=Elm").get_data(as_text=True)
    assert f"#{number}" in found and f"#{other}" not in found
    # a choice is found by its label, in any language the definition has
    found = client.get("/support/?q=Blinkt").get_data(as_text=True)
    assert f"#{number}" in found
    login(client, "pete")
    found = client.get("/support/provider/?q=Elm&status=all").get_data(as_text=True)
    assert f"#{number}" in found and f"#{other}" not in found
    login(client, "bob")  # another customer finds nothing of Alice's
    assert f"#{number}" not in client.get("/support/?q=Elm").get_data(as_text=True)


def test_the_api_shows_the_answers_with_their_questions(app, client, marketplace):
    from .api_calls import API, token

    request_types(marketplace)
    login(client, "alice")
    number = open_ticket(client, **no_connection())
    secret = token(app, marketplace, "pete", "provider")
    ticket = client.get(
        f"{API}/tickets/{number}", headers={"Authorization": f"Bearer {secret}"}
    ).get_json()
    [address, lights] = ticket["answers"]
    assert address == {
        "key": "address",
        "kind": "short_text",
        "label": {"en": "Address", "de": "Adresse"},
        "value": "Main street 1, Springfield",
        "choices": None,
    }
    assert lights["value"] == "blinking_red"
    assert lights["choices"]["blinking_red"] == {"en": "Blinking red", "de": "Blinkt rot"}
    login(client, "alice")
    green = open_ticket(client, **no_connection(**{"answer-router_lights": "all_green"}))
    listed = client.get(
        f"{API}/tickets?answer=router_lights:all_green",
        headers={"Authorization": f"Bearer {secret}"},
    ).get_json()
    assert [t["number"] for t in listed["tickets"]] == [green]


def test_the_provider_s_e_mail_carries_the_answers(app, client, marketplace):
    from .use_cases import outbox_rows

    request_types(marketplace)
    login(client, "alice")
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    open_ticket(client, order="o-mail", **no_connection())
    rows = outbox_rows(app)
    # Post & Co reads German: the labels of its e-mail are the definition's German ones
    [post] = [row for row in rows if row.recipient == "help@post.example"]
    assert post.payload["answers"] == [
        ["Adresse", "Main street 1, Springfield"],
        ["Router-Lämpchen", "Blinkt rot"],
    ]
    with app.app_context():
        mail = compose(post)
    text, html = mail.body, mail.html
    assert "Adresse: Main street 1, Springfield" in text
    assert "Router-Lämpchen: Blinkt rot" in text
    assert "<dt><strong>Router-Lämpchen</strong></dt><dd>Blinkt rot</dd>" in html


def test_answers_are_kept_in_one_statement_per_ticket_count(app, client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    open_ticket(client, **no_connection())
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        assert session.scalar(select(func.count()).select_from(TicketAnswer)) == 2
        session.remove()


def test_a_date_outside_the_range_is_refused(client, marketplace):
    bounded = replace(
        NO_CONNECTION,
        fields=(
            RequestField(
                "since",
                FieldKind.DATE,
                {"en": "Since"},
                required=True,
                min_date=date(2026, 1, 1),
                max_date=date(2026, 12, 31),
            ),
        ),
    )
    request_types(marketplace, bounded)
    login(client, "alice")
    form = client.post(
        "/support/new",
        data={**new_ticket_form(client), "category": "no_connection", "choose_area": "1"},
    ).get_data(as_text=True)
    assert 'min="2026-01-01"' in form and 'max="2026-12-31"' in form
    refused = submit_ticket(
        client, category="no_connection", issue_about=None, **{"answer-since": "2025-12-31"}
    )
    assert refused.status_code == 422
    assert "Enter a day from 2026-01-01 to 2026-12-31." in refused.get_data(as_text=True)


# -- generated definitions and answers ---------------------------------------------------------

KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
LABELS = st.fixed_dictionaries({"en": st.text(min_size=1, max_size=20)})
WORDS = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
)


@st.composite
def definitions(draw):
    kind = draw(st.sampled_from(list(FieldKind)))
    options = {}
    if kind in (FieldKind.CHOICE, FieldKind.CHOICES):
        keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
        options["choices"] = tuple(FieldChoice(key, draw(LABELS)) for key in keys)
    elif kind in (FieldKind.SHORT_TEXT, FieldKind.LONG_TEXT):
        options["max_length"] = draw(st.integers(1, 40))
    elif kind is FieldKind.NUMBER:
        low = draw(st.integers(-1000, 1000))
        options.update(min_value=Decimal(low), max_value=Decimal(low + draw(st.integers(0, 500))))
    elif kind is FieldKind.DATE:
        low = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
        options.update(min_date=low, max_date=date(low.year + 5, 1, 1))
    return RequestField(draw(KEYS), kind, draw(LABELS), required=draw(st.booleans()), **options)


def valid_answer(definition):
    """What a person may send, and what is stored for it."""
    kind = definition.kind
    if kind in (FieldKind.SHORT_TEXT, FieldKind.LONG_TEXT):
        text = WORDS.map(str.strip).filter(lambda t: 0 < len(t) <= definition.max_length)
        return text.map(lambda t: (t, t))
    if kind is FieldKind.NUMBER:
        number = st.decimals(definition.min_value, definition.max_value, places=2, allow_nan=False)
        return number.map(lambda n: (str(n), str(n)))
    if kind is FieldKind.DATE:
        day = st.dates(definition.min_date, definition.max_date)
        return day.map(lambda d: (d.isoformat(), d.isoformat()))
    keys = [choice.key for choice in definition.choices]
    if kind is FieldKind.CHOICE:
        return st.sampled_from(keys).map(lambda k: (k, k))
    if kind is FieldKind.CHOICES:
        chosen = st.lists(st.sampled_from(keys), min_size=1, unique=True)
        return chosen.map(lambda ks: (ks, [k for k in keys if k in ks]))
    if kind is FieldKind.YES_NO:
        return st.sampled_from([("yes", True), ("no", False)])
    if kind is FieldKind.EMAIL:
        mailbox = st.from_regex(r"[a-z0-9]{1,12}@[a-z]{1,10}\.(com|fi|de)", fullmatch=True)
        return mailbox.map(lambda m: (m, m))
    page = st.from_regex(r"https://[a-z]{1,10}\.example\.com/[a-z0-9]{0,10}", fullmatch=True)
    return page.map(lambda p: (p, p))


INVALID = {
    FieldKind.NUMBER: ["1e5", "twelve", "1,5", "-1001", "99999999"],
    FieldKind.DATE: ["yesterday", "2026-13-01", "1999-12-31", "2200-01-01"],
    FieldKind.CHOICE: ["not_a_choice9"],
    FieldKind.CHOICES: ["not_a_choice9"],
    FieldKind.YES_NO: ["maybe"],
    FieldKind.EMAIL: ["not an address", "a@", "@example.com"],
    FieldKind.LINK: ["javascript:alert(1)", "ftp://example.com/x", "example"],
}


def invalid_answer(definition):
    """What a field refuses: too long a text, a value of no kind it takes, or out of range."""
    if definition.kind in (FieldKind.SHORT_TEXT, FieldKind.LONG_TEXT):
        return st.just("x" * (definition.max_length + 1))
    return st.sampled_from(INVALID[definition.kind])


@settings(
    max_examples=examples(60),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_request_types_store_valid_answers_exactly_and_refuse_the_rest(
    app, client, marketplace, data
):
    asked = data.draw(st.lists(definitions(), min_size=1, max_size=5, unique_by=lambda f: f.key))
    request_types(marketplace, Category("generated", "Generated", fields=tuple(asked)))
    login(client, "alice")
    form = {"category": "generated", "issue_about": None}
    expected, refused = {}, set()
    for definition in asked:
        name = f"answer-{definition.key}"
        how = data.draw(st.sampled_from(["valid", "invalid", "missing"]))
        if how == "valid":
            form[name], expected[definition.key] = data.draw(valid_answer(definition))
        elif how == "invalid":
            form[name] = data.draw(invalid_answer(definition))
            refused.add(name)
        elif definition.required:
            refused.add(name)
    if data.draw(st.booleans()):
        form["answer-zz_unknown"] = "surprise"
        refused.add("answer-zz_unknown")
    before = row_counts(app)
    stored_before = len(answers_in_db(app))
    response = client.post(
        "/support/new", data={**new_ticket_form(client), **ticket_fields(**form)}
    )
    assert response.status_code < 500
    if refused:
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        for name in refused - {"answer-zz_unknown"}:  # each one's error, linked to its field
            assert f'href="#ms-{name}"' in page, name
        if "answer-zz_unknown" in refused:
            assert "This field is not part of the form." in page
        assert row_counts(app) == before and len(answers_in_db(app)) == stored_before
        return
    assert response.status_code == 303, response.get_data(as_text=True)
    number = int(re.search(r"/tickets/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        rows = session.scalars(
            select(TicketAnswer)
            .join(Ticket, Ticket.id == TicketAnswer.ticket_id)
            .where(Ticket.tenant_id == "t1", Ticket.number == number)
        ).all()
        stored = {row.key: row.value for row in rows}
        session.remove()
    assert stored == expected


def test_files_chosen_before_the_area_or_a_refusal_go_with_the_ticket(app, client, marketplace):
    request_types(marketplace)
    login(client, "alice")
    chosen = {
        **new_ticket_form(client),
        "category": "no_connection",
        "choose_area": "1",
        "attachments": [(io.BytesIO(png()), "router.png")],
    }
    shown = client.post("/support/new", data=chosen, content_type="multipart/form-data")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert "Kept from your last try, sent with the form:" in page and "router.png" in page
    refused = client.post(
        "/support/new",
        data={**hidden_inputs(page), **ticket_fields(**no_connection(**{"answer-address": None}))},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "router.png" in page
    assert 'value="blinking_red" checked' in page  # the choice made stays made
    sent = client.post(
        "/support/new", data={**hidden_inputs(page), **ticket_fields(**no_connection())}
    )
    assert sent.status_code == 303
    assert "router.png" in client.get(sent.headers["Location"]).get_data(as_text=True)


def test_staff_sort_their_list_by_a_choice_page_by_page(app, client, marketplace):
    """Sorted by a question, the list holds the tickets that answered it, grouped by the choice
    made (its key's order), each with its answer; page links go on where the page ended."""
    request_types(marketplace)
    login(client, "alice")
    made = {}
    for lights in (
        "all_green",
        "blinking_red",
        "all_off",
        "blinking_red",
        "power_only",
        "all_off",
        "all_green",
    ):
        number = open_ticket(client, **no_connection(**{"answer-router_lights": lights}))
        made[number] = lights
    open_ticket(client, category="other")  # asked no such question: not in this order
    login(client, "pete")
    url = "/support/provider/?status=all&sort=answer:router_lights"
    listed, pages = [], 0
    while url:
        page = client.get(url).get_data(as_text=True)
        assert (
            '<option value="answer:router_lights" selected>By answer: Router lights</option>'
            in page
        )
        listed += listed_numbers(page)
        more = re.search(r'href="([^"]*after=[^"]+)"', page)
        url = more.group(1).replace("&amp;", "&") if more else None
        pages += 1
    assert pages == 2  # five a page
    assert listed == sorted(made, key=lambda n: (made[n], n))
    assert "Router lights: Blinking red" in client.get(
        "/support/provider/?status=all&sort=answer:router_lights"
    ).get_data(as_text=True)
    refused = client.get("/support/provider/?sort=answer:Not-A-Key")
    assert refused.status_code == 400


def test_a_search_ranks_the_answers_and_pages_by_best_match_or_by_an_answer(
    app, client, marketplace
):
    """Words found in an answer count for a ticket's relevance beside its subject; the best
    match, and the order by a question's choice, page on through the API's links."""
    from .api_calls import API, token

    request_types(marketplace)
    login(client, "alice")
    in_subject = open_ticket(
        client,
        **no_connection(**{"answer-address": "Elm Road 7", "answer-router_lights": "all_off"}),
        subject="Elm Road offline",
    )
    in_answer = [
        open_ticket(
            client,
            **no_connection(**{"answer-address": f"Elm Road {n}", "answer-router_lights": lights}),
            subject=f"Offline {n}",
        )
        for n, lights in ((8, "blinking_red"), (9, "all_green"))
    ]
    open_ticket(client, **no_connection(**{"answer-address": "Oak Lane 3"}), subject="Oak")
    headers = {"Authorization": f"Bearer {token(app, marketplace, 'pete', 'provider')}"}

    def every_page(url):
        numbers = []
        while url:
            answer = client.get(url, headers=headers)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            numbers += [t["number"] for t in answer.get_json()["tickets"]]
            url = answer.get_json()["next"]
        return numbers

    app.config["SUPPORT_PAGE_SIZE"] = 1
    best = every_page(f"{API}/tickets?q=Elm&status=all")
    assert best[0] == in_subject  # its subject and its answer have the word
    assert sorted(best) == sorted([in_subject, *in_answer])  # each once, Oak never
    by_lights = every_page(f"{API}/tickets?q=Elm&status=all&sort=answer:router_lights")
    # by the choice's key: all_green, all_off, blinking_red
    assert by_lights == [in_answer[1], in_subject, in_answer[0]]
    edited = client.get(
        f"{API}/tickets?q=Elm&sort=answer:router_lights&after=sX.i1", headers=headers
    )
    assert edited.status_code == 400


def test_a_misspelt_word_of_an_answer_finds_its_ticket_on_postgresql(
    client, marketplace, database_url
):
    """PostgreSQL: an answer with a word like the one typed (trigrams) finds its ticket, below
    one whose answer has the word itself; SQLite's search finds only the exact one."""
    request_types(marketplace)
    login(client, "alice")
    exact = open_ticket(client, **no_connection(**{"answer-address": "Springfeld 4"}))
    like = open_ticket(client, **no_connection(**{"answer-address": "Springfield 5"}))
    open_ticket(client, **no_connection(**{"answer-address": "Oak Lane 3"}))
    page = client.get("/support/?q=Springfeld").get_data(as_text=True)
    listed = [int(n) for n in re.findall(r'href="/support/tickets/(\d+)"', page)]
    if database_url.startswith("postgresql"):
        assert listed == [exact, like]
    else:
        assert listed == [exact]
