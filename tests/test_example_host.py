"""The example marketplace uses the module as a host would: menu, login, tenants, flags, the
language switcher and the operator's page for the marketplace's texts."""

from __future__ import annotations

import html
import re

import pytest
from flask_mail import Message
from sqlalchemy import select

from example_host import create_app
from example_host.models import TenantText, User, db
from marketplace_support.models import Message as SupportMessage
from marketplace_support.models import Ticket

from .conftest import empty_database
from .example_marketplace import csrf_token_of, demo_marketplace, log_in
from .helpers import translated

# the demo marketplace's data, built for the module and again in some tests
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo marketplace for the module: the tests only read it and log in."""
    with demo_marketplace(tmp_path_factory.mktemp("demo")) as app:
        yield app


def test_login_page_lists_the_demo_logins_of_every_marketplace(demo):
    page = demo.test_client().get("/login").get_data(as_text=True)
    for email in (
        "anna@acme.example",
        "pia@nimbus.example",
        "oscar@nordic.example",
        "lena@bergbau.example",
        "hugo@quay.example",
    ):
        assert email in page
    assert "Every password is <code>demo</code>" in page


def test_customer_finds_support_in_the_my_page_menu(demo):
    client = demo.test_client()
    log_in(client, "anna@acme.example")
    page = client.get("/my").get_data(as_text=True)
    assert '<a href="/my/support/">Support</a>' in page
    tickets = client.get("/my/support/").get_data(as_text=True)
    assert "The website loads very slowly since Monday" in tickets
    assert "Nordic Cloud Market" in tickets  # the host's own layout around our pages


def test_a_support_page_view_asks_for_the_page_alone_its_styles_and_script_are_kept(demo):
    client = demo.test_client()
    log_in(client, "anna@acme.example")
    page = client.get("/my/support/").get_data(as_text=True)
    # the marketplace's stylesheet and the module's stylesheet and script, each by its digest
    files = re.findall(r'(?:href|src)="([^"]+\.(?:css|js)\?v=[0-9a-f]{16})"', page)
    assert len(files) == 3
    for address in files:
        with client.get(address) as response:
            assert response.status_code == 200
            assert response.cache_control.max_age == 365 * 24 * 3600
        # without the digest: checked again at each use, as Flask serves static files
        with client.get(address.partition("?")[0]) as response:
            assert response.cache_control.max_age is None


def test_the_menu_hides_support_where_the_marketplace_switched_it_off(demo):
    client = demo.test_client()
    log_in(client, "hugo@quay.example")
    assert ">Support</a>" not in client.get("/my").get_data(as_text=True)
    assert client.get("/my/support/").status_code == 404


def test_provider_staff_land_in_their_inbox_and_have_no_customer_entry(demo):
    client = demo.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_of(page)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "pia@nimbus.example", "password": "demo"}
    )
    assert response.headers["Location"] == "/my/support/provider/"
    page = client.get("/my").get_data(as_text=True)
    assert '<a href="/my/support/provider/">Support inbox</a>' in page
    assert ">Support</a>" not in page


def test_operators_land_in_the_console_with_the_demo_emergency(demo):
    client = demo.test_client()
    log_in(client, "oscar@nordic.example")
    page = client.get("/my/support/operator/?queue=emergencies").get_data(as_text=True)
    assert "No e-mail arrives" in page and "Emergency reported" in page


def test_a_marketplace_without_tickets_about_no_service_offers_only_services(demo):
    client = demo.test_client()
    log_in(client, "lena@bergbau.example")
    page = client.get("/my/support/new").get_data(as_text=True)
    assert "ERP Cloud" in page and 'value="none"' not in page
    assert "Tickets auf diesem Marktplatz betreffen immer einen Ihrer aktiven Dienste." in page


def test_each_marketplace_shows_its_own_troubleshooting_text(demo):
    client = demo.test_client()
    log_in(client, "anna@acme.example")
    page = client.get("/my/support/new").get_data(as_text=True)
    assert "Most problems are solved fastest by the provider of the service" in page


def test_visitors_are_sent_to_the_login_page(demo):
    response = demo.test_client().get("/my/support/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_customers_of_one_marketplace_never_see_anothers_tickets(demo):
    client = demo.test_client()
    log_in(client, "lena@bergbau.example")
    assert client.get("/my/support/tickets/1").status_code == 200  # Lena's own #1 in alpen
    assert "Export nach Excel" in client.get("/my/support/tickets/1").get_data(as_text=True)
    assert client.get("/my/support/tickets/2").status_code == 404  # alpen has one ticket


def test_the_demo_pages_its_on_call_team_when_a_customer_reports_an_emergency(demo, caplog):
    client = demo.test_client()
    log_in(client, "anna@acme.example")
    page = client.get("/my/support/tickets/1").get_data(as_text=True)
    token = csrf_token_of(page)
    with caplog.at_level("WARNING"):
        response = client.post(
            "/my/support/tickets/1/raise_emergency",
            data={"csrf_token": token, "explanation": "The whole shop is offline"},
        )
    assert response.status_code == 303
    assert (
        "SMS to the on-call team of nordic: emergency on ticket #1 "
        "(The website loads very slowly since Monday): The whole shop is offline"
    ) in caplog.text


def app_with_mail_catcher(folder):
    """The example marketplace with its mail catcher on a port the system picks (never one a
    running demo may use), delivering to it."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/mail.db",
            "TESTING": True,
            "MAIL_CATCHER": True,
            "MAIL_PORT": 0,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_CATCHER_FOLDER": str(folder / "mail"),
        }
    )


def test_the_demo_shows_the_emails_it_sent(tmp_path):
    app = app_with_mail_catcher(tmp_path)
    try:
        assert app.test_cli_runner().invoke(args=["demo", "reset"]).exit_code == 0
        client = app.test_client(use_cookies=True)
        page = client.get("/dev/mail/").get_data(as_text=True)
        assert "No e-mails yet." in page
        token = csrf_token_of(page)
        client.post("/dev/mail/deliver", data={"csrf_token": token})
        page = client.get("/dev/mail/").get_data(as_text=True)
        assert "We received your ticket #1: The website loads very slowly since Monday" in page
        assert "Wir haben Ihr Ticket #1 erhalten: Export nach Excel bricht ab" in page
        first = re.search(r'href="/dev/mail/(\d+)"', page).group(1)
        message = client.get(f"/dev/mail/{first}").get_data(as_text=True)
        assert "Message-ID" in message and "<iframe" in message
        html = client.get(f"/dev/mail/{first}/html")
        assert "sandbox" in html.headers["Content-Security-Policy"]
    finally:
        app.extensions["mail_catcher"].stop()
        with app.app_context():
            db.engine.dispose()


def test_the_demo_answers_an_e_mail_through_lmtp_and_the_answer_lands_on_the_ticket(tmp_path):
    app = app_with_mail_catcher(tmp_path)
    try:
        assert app.test_cli_runner().invoke(args=["demo", "reset"]).exit_code == 0
        client = app.test_client(use_cookies=True)
        token = csrf_token_of(client.get("/dev/mail/").get_data(as_text=True))
        client.post("/dev/mail/deliver", data={"csrf_token": token})
        page = client.get("/dev/mail/").get_data(as_text=True)
        # the e-mail that asks Anna for her answer
        found = re.search(
            r'href="/dev/mail/(\d+)"[^>]*>\s*Your reply is needed on ticket #(\d+)', page
        )
        name, number = found.group(1), int(found.group(2))
        message = client.get(f"/dev/mail/{name}").get_data(as_text=True)
        assert "Send the answer" in message and "@replies.marketplace.example" in message
        response = client.post(
            f"/dev/mail/{name}/answer",
            data={"csrf_token": csrf_token_of(message), "body": "Only the shop's start page."},
        )
        assert response.status_code == 303
        shown = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "The desk's LMTP server took your answer: accepted." in shown
        with app.app_context():
            ticket = db.session.scalars(
                select(Ticket).where(Ticket.tenant_id == "nordic", Ticket.number == number)
            ).one()
            last = db.session.scalars(
                select(SupportMessage)
                .where(SupportMessage.ticket_id == ticket.id)
                .order_by(SupportMessage.id.desc())
            ).first()
            assert last.body == "Only the shop's start page."  # the quoted e-mail is cut
            assert ticket.status.value == "open"
        page = client.get("/dev/mail/").get_data(as_text=True)
        assert f"The customer answered on #{number}" in page
    finally:
        app.extensions["mail_catcher"].stop()
        with app.app_context():
            db.engine.dispose()


def test_two_demos_each_catch_their_own_mail(tmp_path):
    apps = [app_with_mail_catcher(tmp_path / name) for name in ("one", "two")]
    try:
        ports = {app.config["MAIL_PORT"] for app in apps}
        assert len(ports) == 2 and 0 not in ports
        for app in apps:
            with app.app_context():
                db.create_all()
        with apps[1].app_context():
            apps[1].extensions["mail"].send(
                Message("Only for the second demo", recipients=["anna@acme.example"], body="Hi")
            )
        first, second = (app.test_client().get("/dev/mail/").get_data(as_text=True) for app in apps)
        assert "Only for the second demo" in second
        assert "Only for the second demo" not in first and "No e-mails yet." in first
    finally:
        for app in apps:
            app.extensions["mail_catcher"].stop()
            with app.app_context():
                db.engine.dispose()


def test_the_demo_mail_catcher_listens_20_above_the_demos_port_unless_told(monkeypatch, tmp_path):
    monkeypatch.delenv("MAIL_PORT", raising=False)
    monkeypatch.delenv("DEMO_MAIL_CATCHER", raising=False)
    monkeypatch.setenv("PORT", "5100")
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/port.db", "TESTING": True}
    assert create_app(config).config["MAIL_PORT"] == 5120
    monkeypatch.setenv("MAIL_PORT", "2525")
    assert create_app(config).config["MAIL_PORT"] == 2525


def test_a_mail_catcher_port_in_use_stops_the_demo_with_a_clear_message(tmp_path):
    app = app_with_mail_catcher(tmp_path / "one")
    try:
        taken = app.config["MAIL_PORT"]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{taken}.*set MAIL_PORT"):
            create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/two.db",
                    "TESTING": True,
                    "MAIL_CATCHER": True,
                    "MAIL_PORT": taken,
                    "MAIL_CATCHER_FOLDER": str(tmp_path / "two"),
                }
            )
    finally:
        app.extensions["mail_catcher"].stop()


def test_the_alpen_marketplace_speaks_german_to_people_without_a_setting(demo):
    client = demo.test_client()
    log_in(client, "lena@bergbau.example")  # no language of her own
    page = client.get("/my/support/").get_data(as_text=True)
    assert '<html lang="de">' in page and "Meine Support-Tickets" in page


def test_a_customer_switches_to_french_and_keeps_it(demo):
    client = demo.test_client()
    log_in(client, "ben@birch.example")
    page = client.get("/my/support/").get_data(as_text=True)
    assert '<html lang="en">' in page and "My support tickets" in page
    response = client.post(
        "/language",
        data={"csrf_token": csrf_token_of(page), "locale": "fr", "next": "/my/support/?state=done"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/my/support/?state=done"
    page = client.get("/my/support/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert html.unescape(translated("fr", "My support tickets")) in html.unescape(page)
    assert "My support tickets" not in page
    assert '<option value="fr" lang="fr" selected>Français</option>' in page

    # a setting of the person: a new session (another browser) is French too
    again = demo.test_client()
    log_in(again, "ben@birch.example")
    assert '<html lang="fr">' in again.get("/my/support/").get_data(as_text=True)
    with demo.app_context():
        ben = db.session.scalars(select(User).where(User.email == "ben@birch.example")).one()
        assert ben.locale == "fr"


def test_a_visitor_picks_a_language_before_logging_in(demo):
    client = demo.test_client()
    page = client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="nl">' in page  # the browser's language first
    client.post("/language", data={"csrf_token": csrf_token_of(page), "locale": "es"})
    log_in(client, "anna@acme.example")  # Anna has no setting: the choice of this browser
    page = client.get("/my/support/").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert html.unescape(translated("es", "New ticket")) in html.unescape(page)


def test_the_switcher_refuses_a_language_it_does_not_offer(demo):
    client = demo.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/language", data={"csrf_token": csrf_token_of(page), "locale": "xx"})
    assert response.status_code == 400
    assert "Choose one of the languages offered" in response.get_data(as_text=True)
    elsewhere = client.post(
        "/language",
        data={"csrf_token": csrf_token_of(page), "locale": "de", "next": "//evil.example/"},
    )
    assert elsewhere.headers["Location"] == "/"  # never to another site


def test_switching_language_on_a_refused_form_returns_to_the_form(demo):
    client = demo.test_client()
    log_in(client, "ben@birch.example")
    form = client.get("/my/support/new").get_data(as_text=True)
    refused = client.post(
        "/my/support/new",
        data={"csrf_token": csrf_token_of(form)},
        headers={"Referer": "http://localhost/my/support/new"},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'name="next" value="http://localhost/my/support/new"' in page
    response = client.post(
        "/language",
        data={
            "csrf_token": csrf_token_of(page),
            "locale": "en",
            "next": "http://localhost/my/support/new",
        },
    )
    assert response.headers["Location"] == "/my/support/new"
    elsewhere = client.post(
        "/language",
        data={"csrf_token": csrf_token_of(page), "locale": "en", "next": "https://evil.example/x"},
    )
    assert elsewhere.headers["Location"] == "/"


def test_the_operator_words_the_troubleshooting_text_per_language(demo):
    oscar = demo.test_client()
    log_in(oscar, "oscar@nordic.example")
    page = oscar.get("/admin/texts?key=troubleshooting&locale=fr").get_data(as_text=True)
    assert "The hint above the new-ticket form" in page
    wording = (
        "<p>Avant d'écrire, consultez la <a href=\"https://statut.example\">page d'état</a>.</p>"
        "<script>alert(1)</script>"
    )
    saved = oscar.post(
        "/admin/texts?key=troubleshooting&locale=fr",
        data={"csrf_token": csrf_token_of(page), "text": wording},
    )
    assert saved.status_code == 303
    page = oscar.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved: Français now shows your wording." in page
    assert 'href="https://statut.example" rel="noopener noreferrer nofollow"' in page  # preview
    assert "<script>alert(1)</script>" not in page.split("What customers see")[1]

    # a customer reading French gets it on the form, sanitised; English keeps the old text
    anna = demo.test_client()
    log_in(anna, "anna@acme.example")
    form = anna.get("/my/support/new").get_data(as_text=True)
    assert "Most problems are solved fastest" in form
    anna.post("/language", data={"csrf_token": csrf_token_of(form), "locale": "fr"})
    form = anna.get("/my/support/new").get_data(as_text=True)
    assert "Avant d'écrire, consultez la" in html.unescape(form)
    assert "<script>alert" not in form

    # an empty text gives the module's French wording back
    oscar.post(
        "/admin/texts?key=troubleshooting&locale=fr",
        data={"csrf_token": csrf_token_of(page), "text": "  "},
    )
    form = anna.get("/my/support/new").get_data(as_text=True)
    assert "Avant d'écrire" not in html.unescape(form)
    assert html.unescape(translated("fr", "Before you write to us")) in html.unescape(form)
    anna.post("/language", data={"csrf_token": csrf_token_of(form), "locale": "en"})


def test_only_operators_edit_texts_and_too_long_ones_are_refused(demo):
    anna = demo.test_client()
    log_in(anna, "anna@acme.example")
    assert anna.get("/admin/texts").status_code == 403
    oscar = demo.test_client()
    log_in(oscar, "oscar@nordic.example")
    assert oscar.get("/admin/texts?key=nonsense").status_code == 404
    page = oscar.get("/admin/texts?key=email_footer&locale=en").get_data(as_text=True)
    refused = oscar.post(
        "/admin/texts?key=email_footer&locale=en",
        data={"csrf_token": csrf_token_of(page), "text": "x" * 5001},
    )
    assert refused.status_code == 422
    assert "A text may hold at most 5,000 characters; this one has 5,001." in refused.get_data(
        as_text=True
    )
    with demo.app_context():  # nothing was saved
        assert db.session.get(TenantText, ("nordic", "email_footer", "en")) is None


def test_the_marketplace_keeps_the_attachment_limits_it_configures(tmp_path):
    """The example host words some flags per marketplace; the SUPPORT_* keys still set the
    others (it once replaced them all, so these two keys silently did nothing)."""
    with empty_database(tmp_path) as url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "TESTING": True,
                "SUPPORT_MAX_ATTACHMENT_SIZE": 2_000_000,
                "SUPPORT_MAX_ATTACHMENTS": 2,
            }
        )
        assert app.test_cli_runner().invoke(args=["demo", "reset"]).exit_code == 0
        client = app.test_client()
        log_in(client, "anna@acme.example")
        page = client.get("/my/support/new").get_data(as_text=True)
        assert "up to 2 files of at most 2 MB each" in page
        with app.app_context():
            db.engine.dispose()


def test_a_providers_token_made_in_the_demo_reads_and_answers_its_tickets(tmp_path):
    """Pia makes a token in her inbox; her helpdesk lists Nimbus's tickets and replies through
    the API, and the example host tells the module who she is on every call."""
    with demo_marketplace(tmp_path) as app:
        client = app.test_client()
        log_in(client, "pia@nimbus.example")
        page = client.get("/my/support/provider/api-tokens").get_data(as_text=True)
        made = client.post(
            "/my/support/provider/api-tokens",
            data={
                "csrf_token": csrf_token_of(page),
                "name": "Helpdesk",
                "days": "7",
                "scopes": ["tickets:read", "tickets:write"],
            },
        )
        secret = re.search(r'id="ms-new-token">([^<]+)<', made.get_data(as_text=True)).group(1)
        helpdesk = app.test_client()  # no session: the token alone
        headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "demo-1"}
        listed = helpdesk.get("/my/support/api/v1/tickets?status=open", headers=headers)
        assert listed.status_code == 200
        numbers = [ticket["number"] for ticket in listed.get_json()["tickets"]]
        assert numbers
        url = f"/my/support/api/v1/tickets/{numbers[0]}/messages"
        reply = helpdesk.post(url, json={"body": "Answered from our helpdesk."}, headers=headers)
        assert reply.status_code == 201, reply.get_data(as_text=True)
        again = helpdesk.post(url, json={"body": "Answered from our helpdesk."}, headers=headers)
        assert again.get_json() == reply.get_json()
        assert again.headers["Idempotent-Replayed"] == "true"
