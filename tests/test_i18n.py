"""Translations as users meet them: German pages, every shipped language loading, catalogs in
step with the code, a host's own wording winning over ours, every language rendering the
pages and the e-mails (in the recipient's language), and a tenant's texts per language."""

from __future__ import annotations

import html
import importlib.util
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from babel import dates
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import Flask
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace_support import mailer, texts
from marketplace_support.i18n import DOMAIN, TRANSLATIONS_DIRECTORY, format_datetime
from marketplace_support.models import OutboxMessage, Ticket

from .conftest import examples, host_app, login
from .helpers import listed, translated
from .helpers import open_ticket as open_helper
from .host import Marketplace

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(TRANSLATIONS_DIRECTORY)


def _load_catalogs_script() -> ModuleType:
    """``scripts/catalogs.py``, the same checks ``python scripts/catalogs.py check`` runs."""
    spec = importlib.util.spec_from_file_location(
        "marketplace_support_catalogs", ROOT / "scripts" / "catalogs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


catalogs = _load_catalogs_script()

#: Every language we ship, found in the translations folder, so a new one is tested too.
LANGUAGES = sorted(catalogs.catalog_files(TRANSLATIONS, DOMAIN))


def read_catalog(path: Path, language: str = "de") -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=language)


def hidden_inputs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def fresh_form(client) -> dict[str, str]:
    """The hidden fields (CSRF token, submission key) of a freshly loaded new-ticket form."""
    response = client.get("/support/new")
    assert response.status_code == 200
    fields = hidden_inputs(response.get_data(as_text=True))
    assert {"csrf_token", "submission_key"} <= fields.keys()
    return fields


def open_ticket(client) -> str:
    """Send a complete new-ticket form; returns the ticket page the customer lands on."""
    data = {
        **fresh_form(client),
        "order": "o-hosting",
        "subject": "Website ist down",
        "category": "technical",
        "priority": "high",
        "issue_about": "Seit 9 Uhr kommt ein 502.",
    }
    response = client.post("/support/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.fixture
def german(app: Flask) -> Flask:
    app.config["TEST_LOCALE"] = "de"
    return app


# --- German pages -------------------------------------------------------------------------


def test_ticket_list_is_german(german, client):
    login(client, "alice")
    empty = client.get("/support/").get_data(as_text=True)
    assert "Sie haben keine offenen Tickets." in empty
    open_ticket(client)
    page = client.get("/support/").get_data(as_text=True)
    assert '<html lang="de">' in page
    for german_text in (
        "Meine Support-Tickets · Support",
        "Neues Ticket",
        "Gelöst und geschlossen",
        "Offen",  # the tab and the status badge
        "Hoch",
        "<th>Bearbeitet von</th>",
        "<th>Letzte Aktivität</th>",
    ):
        assert german_text in page
    (row,) = listed(page)
    assert (row["Status"], row["Bearbeitet von"]) == ("Offen", "Nimbus Hosting")
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}", row["Letzte Aktivität"])
    for english in ("My support tickets", "New ticket", "Resolved and closed", "Handled by"):
        assert english not in page


def test_a_list_s_badges_follow_the_reader_s_language_from_page_to_page(app, client):
    """A list's status and priority cells are made once per language: English, German and
    English again, each page in its reader's language (the staff list's too)."""
    login(client, "alice")
    open_helper(client, priority="high")
    shown = []
    for language in ("en", "de", "en"):
        app.config["TEST_LOCALE"] = language
        for url in ("/support/", "/support/provider/"):
            login(client, "alice" if url == "/support/" else "pete")
            (row,) = listed(client.get(url).get_data(as_text=True))
            shown.append((row["Status"], row.get("Priority") or row["Priorität"]))
    assert shown == [
        ("Open", "High"),
        ("Open", "High"),
        ("Offen", "Hoch"),
        ("Offen", "Hoch"),
        ("Open", "High"),
        ("Open", "High"),
    ]


def test_a_ticket_page_s_timeline_and_forms_follow_the_reader_s_language_from_page_to_page(
    app, client
):
    """The timeline's and the forms' macros are made once per process, not once per page:
    English, German and English again, each ticket page in its reader's language (the
    customer's and the provider's)."""
    login(client, "alice")
    number = open_helper(client)
    shown = []
    for language in ("en", "de", "en"):
        app.config["TEST_LOCALE"] = language
        for who, url in (("alice", "/support/tickets"), ("pete", "/support/provider/tickets")):
            login(client, who)
            page = client.get(f"{url}/{number}").get_data(as_text=True)
            shown.append(
                (
                    "Sent to Nimbus Hosting." in page,  # the timeline
                    "Weitergeleitet an Nimbus Hosting." in page,
                    ">Anhänge <" in page,  # the reply form's file input
                    ">Attachments <" in page,
                )
            )
    english, german = (True, False, False, True), (False, True, True, False)
    assert shown == [english, english, german, german, english, english]


def test_new_ticket_form_is_german(german, client):
    login(client, "alice")
    page = client.get("/support/new").get_data(as_text=True)
    for german_text in (
        "Bevor Sie uns schreiben",
        "Bevor Sie ein Ticket senden: Prüfen Sie bitte",  # the troubleshooting text
        "Um welchen Dienst geht es?",
        "Anbieter: Nimbus Hosting",
        "Betrifft keinen meiner aktiven Dienste",
        "Problembereich auswählen",
        "Technisches Problem mit einem Dienst",
        "Probleme, die Ihren Dienst beeinträchtigen",
        "Worum geht es?",
        "(optional)",
        "Ticket senden",
        "Abbrechen",
    ):
        assert german_text in page
    for english in ("Which service is this about?", "Send ticket", "Before you send a ticket"):
        assert english not in page


def test_ticket_page_and_its_history_are_german(german, client):
    login(client, "alice")
    page = open_ticket(client)
    for german_text in (
        "Ihr Ticket #1 wurde gesendet",
        "Nimbus Hosting wird Ihnen hier antworten.",
        "Ticketdetails",
        "Bearbeitet von",
        "Weitergeleitet an Nimbus Hosting. Der Anbieter erbringt den gewählten Dienst.",
        "Als gelöst markieren",
        "Informationen ergänzen",
    ):
        assert german_text in page
    for english in ("has been sent", "Ticket details", "Mark as resolved", "Conversation"):
        assert english not in page

    form = fresh_form(client)
    resolved = client.post("/support/tickets/1/resolve", data={"csrf_token": form["csrf_token"]})
    assert resolved.status_code == 303
    page = client.get(resolved.headers["Location"]).get_data(as_text=True)
    assert "Das Ticket ist als gelöst markiert. Vielen Dank!" in page
    assert "Alice hat den Status von „Offen“ auf „Gelöst“ geändert." in page
    assert "Wieder öffnen" in page
    assert "Resolved" not in page and "Reopen" not in page


def test_validation_errors_of_an_empty_form_are_german(german, client):
    login(client, "alice")
    response = client.post("/support/new", data=fresh_form(client))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for german_text in (
        "Bitte prüfen Sie Ihre Angaben",
        "Fehler:",
        "Bitte wählen Sie den Dienst, um den es geht.",
        "Bitte geben Sie einen Betreff ein.",
        "Bitte wählen Sie einen Problembereich.",
        "Bitte beschreiben Sie, worum es geht.",
    ):
        assert german_text in page
    for english in ("Please check the form", "Enter a subject.", "Choose a problem area."):
        assert english not in page


def test_length_error_keeps_its_number_in_german(german, client):
    login(client, "alice")
    data = {**fresh_form(client), "order": "o-hosting", "subject": "x" * 201}
    page = client.post("/support/new", data=data).get_data(as_text=True)
    assert "Der Betreff darf höchstens 200 Zeichen lang sein." in page


def test_error_page_is_german(german, client):
    login(client, "alice")
    response = client.get("/support/?state=everything")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Hier stimmt etwas nicht" in page and "Diese Ticketliste gibt es nicht." in page


# --- every shipped language loads ---------------------------------------------------------


def test_german_is_shipped():
    assert "de" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_shipped_language_loads_through_the_domain(app, language):
    """Through the app's domain, every entry of the .po comes back translated: the .mo the
    wheel ships is found and holds the catalog."""
    app.config["TEST_LOCALE"] = language
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po", language)
    domain = app.extensions["marketplace_support"].domain
    with app.test_request_context():
        assert domain.gettext("My support tickets") != "My support tickets"
        translations = domain.get_translations()
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, tuple):
                for n in range(3):
                    expected = message.string[translations.plural(n)]
                    assert translations.ngettext(*message.id, n) == expected
            elif message.context:
                assert translations.pgettext(message.context, message.id) == message.string
            else:
                assert translations.gettext(message.id) == message.string


# --- the catalogs are in step with the code -----------------------------------------------


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """The messages in the code and templates now, extracted with setup.cfg's options."""
    return catalogs.extract_messages()


def test_extraction_finds_strings_of_code_and_templates(extracted):
    assert extracted.get("My support tickets") is not None  # a template (_ms)
    assert extracted.get("Waiting for your reply") is not None  # code (lazy_gettext)
    assert extracted.get("Enter a subject.") is not None  # a schema's error


def test_shipped_catalogs_are_complete_and_compiled(extracted):
    problems = catalogs.check_catalogs(template=extracted)
    assert problems == [], "\n".join(map(str, problems))


def test_check_command_passes_on_the_shipped_catalogs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "catalogs.py"), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "de" in result.stdout


@pytest.fixture
def german_copy(tmp_path: Path) -> Path:
    """A copy of the German .po and .mo in a folder of its own; returns the .po."""
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for suffix in (".po", ".mo"):
        source = TRANSLATIONS / "de" / "LC_MESSAGES" / f"{DOMAIN}{suffix}"
        (folder / source.name).write_bytes(source.read_bytes())
    return folder / f"{DOMAIN}.po"


def rewrite(po: Path, change) -> None:
    catalog = read_catalog(po)
    change(catalog)
    with po.open("wb") as file:
        write_po(file, catalog, width=None)


def compile_po(po: Path) -> None:
    catalog = read_catalog(po)
    with po.with_suffix(".mo").open("wb") as file:
        write_mo(file, catalog)


def found(problems, kind: str, message: str):
    """The problem of ``kind`` about ``message``, or None."""
    return next((p for p in problems if p.kind == kind and p.message == message), None)


def check_copy(po: Path, extracted: Catalog):
    return catalogs.check_catalogs(po.parent.parent.parent, DOMAIN, template=extracted)


def test_copy_of_the_catalog_passes(german_copy, extracted):
    assert check_copy(german_copy, extracted) == []


def test_check_reports_a_string_missing_from_the_catalog(german_copy, extracted):
    rewrite(german_copy, lambda catalog: catalog.delete("My support tickets"))
    compile_po(german_copy)
    missing = found(check_copy(german_copy, extracted), "missing", "My support tickets")
    assert missing is not None
    assert "customer/tickets.html" in str(missing)  # says where the string is used


def test_check_reports_a_new_string_not_yet_in_the_catalog(german_copy, extracted):
    template = read_catalog(german_copy)  # every msgid the catalog has …
    template.add("Your ticket was merged", locations=[("customer/ticket.html", 12)])  # … and one
    missing = found(check_copy(german_copy, template), "missing", "Your ticket was merged")
    assert missing is not None and "customer/ticket.html:12" in str(missing)


def test_check_reports_fuzzy_and_untranslated_entries(german_copy, extracted):
    def unfinish(catalog: Catalog) -> None:
        catalog["New ticket"].flags.add("fuzzy")
        catalog["Send ticket"].string = ""

    rewrite(german_copy, unfinish)
    compile_po(german_copy)
    problems = check_copy(german_copy, extracted)
    assert found(problems, "fuzzy", "New ticket")
    assert found(problems, "untranslated", "Send ticket")


def test_check_reports_a_translation_that_drops_a_placeholder(german_copy, extracted):
    def drop(catalog: Catalog) -> None:
        catalog["Customer: %(name)s"].string = "Kunde: %(nome)s"

    rewrite(german_copy, drop)
    compile_po(german_copy)
    assert found(check_copy(german_copy, extracted), "invalid", "Customer: %(name)s")


def test_check_reports_a_mo_out_of_step_with_its_po(german_copy, extracted):
    def reword(catalog: Catalog) -> None:
        catalog["Cancel"].string = "Zurück"

    rewrite(german_copy, reword)  # the .mo still says "Abbrechen"
    assert found(check_copy(german_copy, extracted), "mo-stale", "Cancel")

    compile_po(german_copy)  # a new .mo: other bytes and dates, the same messages
    assert check_copy(german_copy, extracted) == []

    german_copy.with_suffix(".mo").unlink()
    assert found(check_copy(german_copy, extracted), "mo-missing", "")


# --- a host's wording wins ----------------------------------------------------------------


@pytest.fixture
def host_translations(tmp_path: Path) -> Path:
    """The host's own catalog of our domain, rewording one of our strings in German."""
    catalog = Catalog(locale="de", domain=DOMAIN)
    catalog.add("My support tickets", "Ihre Anfragen an uns")
    folder = tmp_path / "host_translations" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{DOMAIN}.po").open("wb") as file:
        write_po(file, catalog)
    with (folder / f"{DOMAIN}.mo").open("wb") as file:
        write_mo(file, catalog)
    return tmp_path / "host_translations"


@pytest.fixture
def translated_host(database_url: str, marketplace: Marketplace, host_translations: Path):
    """A host app like conftest's ``app``, in German, with its own translation folder."""
    with host_app(
        database_url,
        marketplace,
        BABEL_TRANSLATION_DIRECTORIES=str(host_translations),
        TEST_LOCALE="de",
    ) as app:
        yield app


def test_host_catalog_overrides_our_wording(translated_host):
    client = translated_host.test_client()
    login(client, "alice")
    page = client.get("/support/").get_data(as_text=True)
    assert "Ihre Anfragen an uns" in page
    assert "Meine Support-Tickets" not in page
    assert "Neues Ticket" in page and "Gelöst und geschlossen" in page  # still ours

    translated_host.config["TEST_LOCALE"] = "en"  # the host has no English wording: ours stays
    page = client.get("/support/").get_data(as_text=True)
    assert "My support tickets" in page and "Ihre Anfragen an uns" not in page


# --- every language renders the pages and the e-mails ------------------------------------

#: What each page must show in the viewer's language (msgid, or (context, msgid)).
PAGE_WORDS: dict[str, list[str | tuple[str, str]]] = {
    "customer list": ["My support tickets", ("tickets tab", "Open"), "Resolved and closed"],
    "customer ticket": ["Ticket details", "Conversation", "Mark as resolved", "Add information"],
    "refused form": ["Please check the form", "Enter a subject.", "Choose a problem area."],
    "provider ticket": ["Send and resolve", "Internal note", "Escalate to the marketplace"],
    "operator console": [("queue of tickets", "Escalated"), "Not about a service", "Emergencies"],
    "error page": ["Something is not right", "There is no such list of tickets."],
}


def word(language: str, wanted: str | tuple[str, str]) -> tuple[str, str]:
    """The English and the ``language`` wording of one PAGE_WORDS entry."""
    context, message = wanted if isinstance(wanted, tuple) else (None, wanted)
    return message, translated(language, message, context)


def assert_in_language(language: str, page: str, words: list) -> None:
    shown = html.unescape(page)
    assert f'<html lang="{language}">' in page
    for wanted in words:
        english, wording = word(language, wanted)
        assert wording in shown, f"{language}: {wording!r} ({english!r}) is not on the page"
        if language != "en" and wording != english:
            assert english not in shown, f"{language}: English {english!r} is left on the page"


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_each_language_renders_the_pages(app, client, marketplace, language):
    app.config["TEST_LOCALE"] = language
    login(client, "alice")
    refused = client.post("/support/new", data=fresh_form(client))
    assert refused.status_code == 422
    assert_in_language(language, refused.get_data(as_text=True), PAGE_WORDS["refused form"])
    number = open_helper(client, subject="Website down", order="o-hosting")
    pages = {
        "customer list": client.get("/support/"),
        "customer ticket": client.get(f"/support/tickets/{number}"),
        "error page": client.get("/support/?state=everything"),
    }
    login(client, "pete")
    pages["provider ticket"] = client.get(f"/support/provider/tickets/{number}")
    login(client, "olive")
    pages["operator console"] = client.get("/support/operator/")
    for name, response in pages.items():
        assert response.status_code in (200, 404), name
        assert_in_language(language, response.get_data(as_text=True), PAGE_WORDS[name])

    # the ticket's time in the viewer's locale (months and order of the parts differ)
    with app.app_context():
        opened = app.extensions["sqlalchemy"].session.scalar(
            select(Ticket.created_at).where(Ticket.number == number)
        )
    expected = babel_datetime(opened, "medium", "short", UTC, language)  # to the minute
    page = html.unescape(pages["customer ticket"].get_data(as_text=True))
    assert expected in page
    seconds = dates.format_datetime(opened, format="medium", tzinfo=UTC, locale=language)
    assert seconds not in page


def babel_datetime(value, format, time_format, zone, language) -> str:
    """Babel's ``format_datetime``, with the time in ``time_format``: the date, the time and
    their combination each in their locale's pattern, as Babel puts them together."""
    local = value.astimezone(zone)
    combined = str(dates.get_datetime_format(format, locale=language)).replace("'", "")
    time = dates.format_time(local, time_format, locale=language)
    return combined.replace("{0}", time).replace("{1}", dates.format_date(local, format, language))


#: languages whose times are written differently: ours, 12-hour clocks with their own AM/PM
#: words, other digits and calendars' orders, right-to-left scripts
TIME_LANGUAGES = ["en", *LANGUAGES, "en_US", "fi", "ar", "he", "ja", "ko", "zh_Hant", "hi", "bn"]
#: zones with summer time, half and quarter hours, the date line
TIME_ZONES = ["UTC", "Europe/Helsinki", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]
TIME_ZONES += ["Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Kiritimati"]


@settings(
    max_examples=examples(300),
    deadline=None,
    database=None,
    # the app is only read (its domain): the same one serves every example
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    moment=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    language=st.sampled_from(TIME_LANGUAGES),
    zone=st.sampled_from(TIME_ZONES),
    format=st.sampled_from(["short", "medium", "long", "full"]),
    time_format=st.sampled_from([None, "short"]),
)
def test_times_are_written_exactly_as_babel_writes_them(
    app, moment, language, zone, format, time_format
):
    """Pages write times with their locale's patterns resolved once per request; what they
    write is Babel's own ``format_datetime``, in every language, zone and named format (and
    with the time in another format: pages write it to the minute), in each zone as the
    standard library's tz database has it."""
    shifts = (0, 1, 719)  # the same day and hour, the next minute, half a day on
    with app.test_request_context(), force_locale(language):
        ours = [
            format_datetime(moment + timedelta(minutes=shift), zone, format, time_format)
            for shift in shifts
        ]
    tzinfo = ZoneInfo(zone)
    if time_format is None:
        babel = [
            dates.format_datetime(
                moment + timedelta(minutes=shift), format, tzinfo=tzinfo, locale=language
            )
            for shift in shifts
        ]
    else:
        babel = [
            babel_datetime(moment + timedelta(minutes=shift), format, time_format, tzinfo, language)
            for shift in shifts
        ]
    assert ours == babel


@pytest.mark.parametrize(
    ("moment", "zone", "shown"),
    [
        # pytz (Babel's zones) knows the summer time rules up to 2037 only
        (datetime(2038, 7, 1, 12, 0, tzinfo=UTC), "Europe/Helsinki", "Jul 1, 2038, 3:00\u202fPM"),
        (datetime(2050, 7, 1, 12, 0, tzinfo=UTC), "America/New_York", "Jul 1, 2050, 8:00\u202fAM"),
        (datetime(2050, 1, 1, 12, 0, tzinfo=UTC), "America/New_York", "Jan 1, 2050, 7:00\u202fAM"),
    ],
)
def test_a_time_after_2037_is_shown_in_the_summer_time_of_its_year(app, moment, zone, shown):
    """A response target or a host's date far ahead reads in the zone's time of that day."""
    with app.test_request_context(), force_locale("en"):
        assert format_datetime(moment, zone, "medium", "short") == shown


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_each_language_writes_the_emails_in_the_recipients_language(
    app, client, marketplace, language
):
    """Alice writes in English; the provider reads ``language``: each gets their own."""
    marketplace.providers["t1"][0] = replace(marketplace.providers["t1"][0], locale=language)
    login(client, "alice")
    number = open_helper(client, subject="Website down", order="o-hosting")
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        rows = {row.recipient: row for row in session.scalars(select(OutboxMessage))}
        provider_mail = mailer.compose(rows["tickets@nimbus.example"])
        customer_mail = mailer.compose(rows["alice@example.com"])
    assert provider_mail.extra_headers["Content-Language"] == language
    assert f'<html lang="{language}">' in provider_mail.html
    expected_subject = translated(language, "New ticket #%(number)d: %(subject)s") % {
        "number": number,
        "subject": "Website down",
    }
    assert provider_mail.subject == expected_subject
    for part in (provider_mail.body, html.unescape(provider_mail.html)):
        assert translated(language, "Open the ticket") in part
        footer = translated(
            language, "You receive this message from the marketplace's support desk."
        )
        assert footer in part
    assert customer_mail.extra_headers["Content-Language"] == "en"
    assert customer_mail.subject.startswith(f"We received your ticket #{number}")


# --- a tenant's own texts, per language ---------------------------------------------------


def test_a_tenants_text_is_chosen_per_language_and_sanitised(app, client, marketplace):
    marketplace.texts[("t1", "troubleshooting", "fr")] = (
        "<p>Avant d'écrire :</p><ul><li>consultez la "
        '<a href="https://statut.example.fr" onclick="steal()">page d\'état</a></li>'
        '<li><img src="x" onerror="steal()">videz le cache</li></ul><style>p{}</style>'
    )
    login(client, "alice")
    app.config["TEST_LOCALE"] = "fr"
    page = client.get("/support/new").get_data(as_text=True)
    assert "<p>Avant d'écrire :</p><ul><li>consultez la " in page
    assert '<a href="https://statut.example.fr" rel="noopener noreferrer nofollow">' in page
    assert "<li>videz le cache</li></ul>" in page
    assert "onclick" not in page and "<img" not in page and "p{}" not in page

    app.config["TEST_LOCALE"] = "es"  # no Spanish text from the tenant: our Spanish default
    page = html.unescape(client.get("/support/new").get_data(as_text=True))
    with app.test_request_context(), force_locale("es"):
        ours = str(texts.TEXTS["troubleshooting"].default)
    assert f"<p>{ours}</p>" in page and "Avant d'écrire" not in page


def test_a_tenants_email_footer_in_the_recipients_language(app, client, marketplace):
    marketplace.texts[("t1", "email_footer", "de")] = "Nordic Markt GmbH · Hafenstraße 1 & 2"
    login(client, "amy")  # reads German; Nimbus Hosting English
    app.config["TEST_LOCALE"] = "de"
    open_helper(client, subject="Website langsam", order="o-hosting")
    with app.app_context():
        rows = app.extensions["sqlalchemy"].session.scalars(select(OutboxMessage)).all()
        mails = {row.recipient: mailer.compose(row) for row in rows}
    german = mails["amy@example.com"]
    assert german.body.rstrip().endswith("Nordic Markt GmbH · Hafenstraße 1 & 2")  # as written
    assert "Hafenstraße 1 &amp; 2</p>" in german.html  # escaped in HTML
    default = translated("de", "You receive this message from the marketplace's support desk.")
    assert default not in german.body
    english = mails["tickets@nimbus.example"].body  # the tenant has no English footer: ours
    assert "Nordic Markt" not in english
    assert "You receive this message from the marketplace's support desk." in english
