"""Answers by e-mail: real messages (tests/mail/, shaped like Thunderbird's, Outlook's,
Gmail's and Apple Mail's) sent to the reply address of a notification that went out over
SMTP, taken in through ``flask support receive``, the running LMTP server and a real IMAP
mailbox; what must not get in lands in quarantine and never on the ticket."""

from __future__ import annotations

import html
import re
import smtplib
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace_support import Flags, clock, inbound, sharing, signals
from marketplace_support.lmtp import server as lmtp_server
from marketplace_support.models import (
    Attachment,
    Delivery,
    InboundMail,
    Message,
    OutboxMessage,
    Quarantined,
    Ticket,
    Watcher,
)
from marketplace_support.workflow import Action, Role, Status

from .conftest import host_app, login
from .helpers import csrf_token, open_ticket, translated
from .imapserver import deliver_to_mailbox, mailbox_size
from .inbound_mail import DOMAIN, fixture, poll, quarantined, receive_by_pipe, taking_mail
from .mailserver import MailServer, free_port, html_of, sending_to, text_of
from .use_cases import act, deliver, watch

#: the new text of outlook_fr_cp1252.eml (Windows-1252's dash and apostrophe)
OUTLOOK_TEXT = "« Merci », ça marche à nouveau \u2013 c\u2019est réglé."


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp):
    with taking_mail(database_url, marketplace, tmp_path, smtp) as app:
        yield app


def reply_address(mail) -> str:
    return str(mail["Reply-To"]).strip("<>")


def waiting_ticket(app, client, smtp, marketplace) -> tuple[int, str]:
    """A ticket of Alice's that waits for her, and the reply address of that e-mail."""
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="Which page?")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.WAIT_FOR_CUSTOMER)
    deliver(app)
    [mail] = [m for m in smtp.to("alice@example.com") if "reply is needed" in m["Subject"]]
    return number, reply_address(mail)


def ticket_state(app, number: int) -> tuple[Status, list[Message]]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        ticket = session.scalars(
            select(Ticket).where(Ticket.tenant_id == "t1", Ticket.number == number)
        ).one()
        messages = list(
            session.scalars(
                select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
            )
        )
        session.expunge_all()
        return ticket.status, messages


# -- the e-mails we send -----------------------------------------------------------------


def test_notifications_carry_a_signed_reply_address_and_the_tickets_thread(app, client, smtp):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    [customer] = smtp.to("alice@example.com")
    [provider] = smtp.to("tickets@nimbus.example")
    for mail in (customer, provider):
        assert re.fullmatch(rf"reply\+[0-9]+\.[\w-]+\.[\w-]+@{DOMAIN}", reply_address(mail))
        assert mail["In-Reply-To"] == mail["References"]
        assert re.fullmatch(r"<support-t1-ticket-[0-9]+@market\.example>", mail["In-Reply-To"])
    assert customer["In-Reply-To"] == provider["In-Reply-To"]
    assert reply_address(customer) != reply_address(provider)
    assert "reply to this e-mail" in text_of(customer)
    assert "internal note" not in text_of(customer) + html_of(customer)
    note = re.search(rf"note\+[\w.-]+@{DOMAIN}", text_of(provider))
    assert note and note.group(0) in html_of(provider)
    assert f"#{number}" in provider["Subject"]


def test_without_a_reply_domain_the_e_mails_are_as_before(database_url, marketplace, tmp_path):
    smtp = MailServer(free_port())
    smtp.start()
    try:
        with host_app(
            database_url,
            marketplace,
            SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
            **sending_to(smtp.port),
        ) as app:
            client = app.test_client()
            login(client, "alice")
            open_ticket(client, order="o-hosting")
            [mail] = smtp.to("alice@example.com")
            assert mail["Reply-To"] is None
            assert "replies to this e-mail do not reach anyone" in text_of(mail)
            assert "note+" not in text_of(smtp.to("tickets@nimbus.example")[0])
    finally:
        smtp.stop()


# -- answers that get in -------------------------------------------------------------------


def test_a_customers_answer_from_thunderbird_in_latin1_reaches_the_ticket_once(
    app, client, smtp, marketplace
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture(
        "thunderbird_de_latin1.eml", TO=address, FROM="Alice@Example.com", NUMBER=str(number)
    )
    result = receive_by_pipe(app, raw)
    assert result.exit_code == 0 and result.output.strip() == "accepted"
    status, messages = ticket_state(app, number)
    assert messages[-1].body == "Grüße, die Seite läuft wieder über München."
    assert (messages[-1].author_user_id, messages[-1].author_role) == ("alice", Role.CUSTOMER)
    assert status is Status.OPEN  # the workflow table: back in the provider's court
    deliver(app)
    told = [m for m in smtp.to("tickets@nimbus.example") if "answered" in m["Subject"]]
    assert len(told) == 1 and "die Seite läuft wieder" in text_of(told[0])
    # the mail server delivers it again: stored once, nobody told again
    again = receive_by_pipe(app, raw)
    assert again.exit_code == 0 and again.output.strip() == "duplicate"
    assert len(ticket_state(app, number)[1]) == len(messages)
    deliver(app)
    assert len([m for m in smtp.to("tickets@nimbus.example") if "answered" in m["Subject"]]) == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("outlook_fr_cp1252.eml", OUTLOOK_TEXT),
        ("apple_fr.eml", "C'est la page de paiement."),
        ("plain_signature.eml", "It works again, thank you."),
    ],
)
def test_quoted_history_and_signatures_are_cut(app, client, smtp, marketplace, name, expected):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture(name, TO=address, FROM="alice@example.com", NUMBER=str(number))
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    assert ticket_state(app, number)[1][-1].body == expected


def test_files_come_in_through_the_pages_checks(app, client, smtp, marketplace):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture("gmail_attachments.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    _, messages = ticket_state(app, number)
    assert messages[-1].body == "Here is the invoice and a screenshot of the error."
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        files = session.scalars(
            select(Attachment).where(Attachment.message_id == messages[-1].id)
        ).all()
        assert sorted((f.filename, f.kind) for f in files) == [
            ("error.png", "png"),
            ("invoice.pdf", "pdf"),
        ]


def test_a_file_type_the_marketplace_does_not_take_sends_the_mail_to_quarantine(
    app, client, smtp, marketplace
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    before = ticket_state(app, number)
    raw = fixture("refused_file.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "quarantined (invalid)"
    assert len(ticket_state(app, number)[1]) == len(before[1])
    [kept] = quarantined(app)
    assert kept.tenant_id == "t1" and "tool.exe" in (kept.detail or "")


def test_a_providers_html_only_answer_from_apple_mail_reaches_the_customer_as_text(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    [new_ticket] = smtp.to("tickets@nimbus.example")
    raw = fixture(
        "apple_html_only.eml",
        TO=reply_address(new_ticket),
        FROM="tickets@nimbus.example",
        NUMBER=str(number),
    )
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    status, messages = ticket_state(app, number)
    answer = messages[-1]
    assert answer.body == "We restarted the web server & the cache.\n\nCheck again, please."
    assert (answer.author_role, answer.internal) == (Role.PROVIDER, False)
    assert status is Status.IN_PROGRESS  # the handler's first answer starts the work
    deliver(app)
    [told] = [m for m in smtp.to("alice@example.com") if "New reply" in m["Subject"]]
    assert "We restarted the web server & the cache." in text_of(told)
    assert "alert" not in html_of(told)


def test_a_note_by_e_mail_stays_internal(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    [new_ticket] = smtp.to("tickets@nimbus.example")
    note_address = re.search(rf"note\+[\w.-]+@{DOMAIN}", text_of(new_ticket)).group(0)
    raw = fixture("plain_signature.eml", TO=note_address, FROM="tickets@nimbus.example", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    note = ticket_state(app, number)[1][-1]
    assert (note.body, note.internal, note.author_role) == (
        "It works again, thank you.",
        True,
        Role.PROVIDER,
    )
    deliver(app)
    assert not [m for m in smtp.to("alice@example.com") if "works again" in text_of(m)]


# -- what must not get in ----------------------------------------------------------------


def assert_quarantined(app, number, before, result, reason):
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"quarantined ({reason.value})"
    assert len(ticket_state(app, number)[1]) == len(before)
    assert quarantined(app)[-1].reason is reason


def test_an_answer_after_the_tenant_switched_support_off_is_quarantined(
    app, client, smtp, marketplace
):
    """Its pages and API answer 404 then: an answer by e-mail does not write either."""
    number, address = waiting_ticket(app, client, smtp, marketplace)
    _, before = ticket_state(app, number)
    marketplace.flags["t1"] = replace(Flags(), support_enabled=False)
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@example.com")
    with app.app_context():  # the pipe's own, not the one the test client keeps
        result = receive_by_pipe(app, raw)
    assert_quarantined(app, number, before, result, Quarantined.SUPPORT_OFF)
    assert ticket_state(app, number)[0] is Status.WAITING_FOR_CUSTOMER
    del marketplace.flags["t1"]
    assert_in_the_operators_quarantine(client, "Support is switched off on this marketplace.")


def test_a_forged_address_is_quarantined_and_nothing_reaches_the_ticket(
    app, client, smtp, marketplace
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    _, before = ticket_state(app, number)
    local, _, domain = address.partition("@")
    forged = f"{local[:-2]}{'AA' if not local.endswith('AA') else 'BB'}@{domain}"
    raw = fixture("plain_signature.eml", TO=forged, FROM="alice@example.com", NUMBER="1")
    assert_quarantined(app, number, before, receive_by_pipe(app, raw), Quarantined.FORGED)
    assert quarantined(app)[-1].tenant_id is None  # a forged address says no tenant
    other_key = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    app.config["SECRET_KEY"] = "another"
    result = receive_by_pipe(app, other_key.replace(b"plain-1@", b"plain-2@"))
    assert_quarantined(app, number, before, result, Quarantined.FORGED)


def test_an_old_secret_key_still_opens_its_addresses_after_rotation(app, client, smtp, marketplace):
    _, address = waiting_ticket(app, client, smtp, marketplace)
    app.config.update(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["test"])
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "accepted"


def test_an_address_replayed_after_it_expired_is_quarantined(
    app, client, smtp, marketplace, monkeypatch
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    _, before = ticket_state(app, number)
    monkeypatch.setattr("time.time", lambda: clock.now().timestamp() + 91 * 86400)
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert_quarantined(app, number, before, receive_by_pipe(app, raw), Quarantined.EXPIRED)
    assert quarantined(app)[-1].tenant_id == "t1"


def test_a_reply_from_another_sender_is_quarantined(app, client, smtp, marketplace):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    _, before = ticket_state(app, number)
    raw = fixture("plain_signature.eml", TO=address, FROM="mallory@example.com", NUMBER="1")
    result = receive_by_pipe(app, raw)
    assert_quarantined(app, number, before, result, Quarantined.WRONG_SENDER)


def test_a_provider_that_lost_the_ticket_cannot_answer_it_by_e_mail(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    [new_ticket] = smtp.to("tickets@nimbus.example")
    act(
        app,
        marketplace,
        "olive",
        Role.OPERATOR,
        number,
        Action.REROUTE,
        route_to="p-post",
        reason="Mail, not hosting.",
    )
    _, before = ticket_state(app, number)
    raw = fixture(
        "plain_signature.eml",
        TO=reply_address(new_ticket),
        FROM="tickets@nimbus.example",
        NUMBER="1",
    )
    result = receive_by_pipe(app, raw)
    assert_quarantined(app, number, before, result, Quarantined.LOST_ACCESS)


def test_the_workflow_decides_a_customer_cannot_write_on_a_closed_ticket(
    app, client, smtp, marketplace
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    act(app, marketplace, "olive", Role.OPERATOR, number, Action.CLOSE)
    _, before = ticket_state(app, number)
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert_quarantined(app, number, before, receive_by_pipe(app, raw), Quarantined.REFUSED)
    assert "closed" in (quarantined(app)[-1].detail or "")


def test_a_customers_answer_reopens_a_resolved_ticket_as_the_table_says(
    app, client, smtp, marketplace
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.RESOLVE)
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    assert ticket_state(app, number)[0] is Status.OPEN


def test_a_message_too_large_is_quarantined(app, client, smtp, marketplace):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    _, before = ticket_state(app, number)
    app.config["SUPPORT_INBOUND_MAX_SIZE"] = 1000
    raw = fixture("gmail_attachments.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert_quarantined(app, number, before, receive_by_pipe(app, raw), Quarantined.TOO_LARGE)


def test_unreadable_and_unaddressed_mail_is_quarantined(app):
    assert receive_by_pipe(app, b"\x00\x01 not a message").output.strip() == (
        "quarantined (unreadable)"
    )
    raw = fixture("plain_signature.eml", TO="someone@else.example", FROM="a@b.example")
    assert receive_by_pipe(app, raw).output.strip() == "quarantined (no_address)"
    assert {row.tenant_id for row in quarantined(app)} == {None}


def test_the_same_quarantined_message_is_kept_once(app, client, smtp, marketplace):
    _, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture("plain_signature.eml", TO=address, FROM="mallory@example.com", NUMBER="1")
    receive_by_pipe(app, raw)
    receive_by_pipe(app, b"Received: by mx2\r\n" + raw)
    assert len(quarantined(app)) == 1


def test_an_out_of_office_reply_creates_nothing(app, client, smtp, marketplace):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    before = ticket_state(app, number)
    raw = fixture("out_of_office.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "automatic"
    assert len(ticket_state(app, number)[1]) == len(before[1])
    assert quarantined(app) == []
    for header in ("Precedence: bulk", "X-Autoreply: yes"):
        other = raw.replace(b"Auto-Submitted: auto-replied", header.encode())
        assert receive_by_pipe(app, other).output.strip() == "automatic"


def test_a_bounce_marks_the_notification_failed_for_the_operator(app, client, smtp, marketplace):
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    [mail] = smtp.to("alice@example.com")
    failed = []
    with signals.notification_failed.connected_to(lambda sender, **kw: failed.append(kw), app):
        raw = fixture("bounce.eml", FROM="alice@example.com", BOUNCED_ID=mail["Message-ID"])
        assert receive_by_pipe(app, raw).output.strip() == "bounce"
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "alice@example.com")
        ).one()
        assert row.status is Delivery.FAILED and "User unknown" in row.last_error
    assert failed and failed[0]["recipient"] == "alice@example.com"
    login(client, "olive")
    page = client.get("/support/operator/notifications").get_data(as_text=True)
    assert "User unknown" in page


# -- the operator --------------------------------------------------------------------------


def test_the_operator_sees_their_tenants_quarantine_and_drops_from_it(
    app, client, smtp, marketplace
):
    _, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture("plain_signature.eml", TO=address, FROM="mallory@example.com", NUMBER="1")
    receive_by_pipe(app, raw)
    receive_by_pipe(app, b"\x00 unreadable")
    login(client, "otto")  # the other tenant's operator sees none of it
    assert "mallory" not in client.get("/support/operator/mail").get_data(as_text=True)
    login(client, "pete")
    assert client.get("/support/operator/mail").status_code in (403, 404)
    login(client, "olive")
    console = client.get("/support/operator/").get_data(as_text=True)
    assert "/support/operator/mail" in console
    page = client.get("/support/operator/mail").get_data(as_text=True)
    assert "mallory@example.com" in page
    assert "It comes from another address than the one the e-mail was sent to." in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    [kept_id] = re.findall(r'name="id" value="(\d+)"', page)
    response = client.post("/support/operator/mail/drop", data={"csrf_token": token, "id": kept_id})
    assert response.status_code == 303
    assert [row.reason for row in quarantined(app)] == [Quarantined.UNREADABLE]


# -- LMTP --------------------------------------------------------------------------------


@pytest.fixture
def lmtp(app):
    server = lmtp_server(app, "127.0.0.1", free_port())
    server.start()
    yield server
    server.stop()


def test_answers_come_in_through_the_lmtp_server(app, client, smtp, marketplace, lmtp):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture("outlook_fr_cp1252.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    forged = fixture("plain_signature.eml", TO=f"reply+1.AAAA.BBBB@{DOMAIN}", FROM="x@y.example")
    with smtplib.LMTP("127.0.0.1", lmtp.port) as connection:
        assert connection.sendmail("alice@example.com", [address], raw) == {}
        # one answer per recipient (smtplib reads the first; the second follows)
        connection.mail("x@y.example")
        connection.rcpt(f"reply+1.AAAA.BBBB@{DOMAIN}")
        connection.rcpt(f"other@{DOMAIN}")
        assert connection.data(forged)[0] == 250
        assert connection.getreply() == (250, b"2.0.0 quarantined")
        assert connection.sendmail("alice@example.com", [address], raw) == {}  # retried
    status, messages = ticket_state(app, number)
    assert [m.body for m in messages].count(OUTLOOK_TEXT) == 1
    assert status is Status.OPEN
    assert [row.reason for row in quarantined(app)] == [Quarantined.FORGED]


def test_lmtp_answers_451_when_the_database_cannot_be_reached(app, lmtp, monkeypatch):
    def unreachable(raw, recipients=()):
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(inbound, "receive", unreachable)
    with (
        smtplib.LMTP("127.0.0.1", lmtp.port) as connection,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        connection.sendmail("a@b.example", [f"reply+1.A.B@{DOMAIN}"], b"Subject: x\r\n\r\nx")
    assert refused.value.smtp_code == 451


def test_the_pipe_exits_75_when_the_database_cannot_be_reached(marketplace, tmp_path):
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    with host_app(unreachable, marketplace, SUPPORT_REPLY_DOMAIN=DOMAIN) as app:
        raw = fixture("plain_signature.eml", TO=f"reply+1.AAAA.BBBB@{DOMAIN}", FROM="a@b.example")
        result = receive_by_pipe(app, raw)
    assert result.exit_code == 75
    assert "try again later" in result.output


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"SUPPORT_REPLY_DOMAIN": "reply@support.example"}, "SUPPORT_REPLY_DOMAIN must be"),
        ({"SUPPORT_REPLY_DOMAIN": "localhost"}, "SUPPORT_REPLY_DOMAIN must be"),
        ({"SUPPORT_REPLY_MAX_AGE_DAYS": 0}, "SUPPORT_REPLY_MAX_AGE_DAYS must be"),
        ({"SUPPORT_REPLY_DOMAIN": DOMAIN, "SECRET_KEY": None}, "needs SECRET_KEY"),
    ],
)
def test_reply_settings_that_cannot_work_stop_init_app(database_url, marketplace, config, message):
    with (
        pytest.raises(RuntimeError, match=message),
        host_app(database_url, marketplace, **config),
    ):
        pass


def quarantine_page(client) -> tuple[str, str]:
    page = client.get("/support/operator/mail").get_data(as_text=True)
    return page, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_operator_accepts_an_answer_from_another_address_of_the_same_person(
    app, client, smtp, marketplace
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@home.example", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "quarantined (wrong_sender)"
    [kept] = quarantined(app)
    login(client, "otto")  # another tenant's operator cannot take it in
    token = csrf_token(app, client)
    client.post("/support/operator/mail/accept", data={"csrf_token": token, "accept": kept.id})
    assert len(quarantined(app)) == 1
    login(client, "olive")
    page, token = quarantine_page(client)
    assert "An answer to the e-mail sent to alice@example.com" in page
    assert f'href="/support/operator/tickets/{number}"' in page
    assert "Accept: it is from alice@example.com" in page
    response = client.post(
        "/support/operator/mail/accept", data={"csrf_token": token, "accept": kept.id}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"The message was put on ticket #{number}." in page
    assert quarantined(app) == []
    status, messages = ticket_state(app, number)
    assert (messages[-1].body, messages[-1].author_user_id) == (
        "It works again, thank you.",
        "alice",
    )
    assert status is Status.OPEN
    deliver(app)
    told = [m for m in smtp.to("tickets@nimbus.example") if "works again" in text_of(m)]
    assert len(told) == 1
    # the mail server delivers it again: it is on the ticket already
    assert receive_by_pipe(app, raw).output.strip() == "duplicate"
    assert quarantined(app) == []


def test_accepting_checks_everything_but_the_sender_again(app, client, smtp, marketplace):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@home.example", NUMBER="1")
    receive_by_pipe(app, raw)
    act(app, marketplace, "olive", Role.OPERATOR, number, Action.CLOSE)
    _, before = ticket_state(app, number)
    login(client, "olive")
    _, token = quarantine_page(client)
    [kept] = quarantined(app)
    response = client.post(
        "/support/operator/mail/accept", data={"csrf_token": token, "accept": kept.id}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The message could not be accepted: The ticket does not take this message now." in page
    assert [row.reason for row in quarantined(app)] == [Quarantined.REFUSED]
    assert "Accept: it is from" not in page  # the workflow's refusal cannot be overruled
    assert len(ticket_state(app, number)[1]) == len(before)


def test_only_a_wrong_sender_can_be_accepted(app, client, smtp, marketplace):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    _, before = ticket_state(app, number)
    app.config["SUPPORT_INBOUND_MAX_SIZE"] = 1000
    raw = fixture("gmail_attachments.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    receive_by_pipe(app, raw)
    [kept] = quarantined(app)
    login(client, "olive")
    page, token = quarantine_page(client)
    assert "Accept: it is from" not in page
    client.post("/support/operator/mail/accept", data={"csrf_token": token, "accept": kept.id})
    assert [row.reason for row in quarantined(app)] == [Quarantined.TOO_LARGE]
    assert len(ticket_state(app, number)[1]) == len(before)


def test_a_staff_watcher_answers_an_internal_note_with_a_note_until_the_ticket_moves_away(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    watch(app, marketplace, "pat", Role.PROVIDER, number)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.NOTE, body="Reboot tonight?")
    deliver(app)
    [note_mail] = smtp.to("pat@example.com")
    assert reply_address(note_mail).startswith("note+")  # a note is answered with a note
    raw = fixture("plain_signature.eml", TO=reply_address(note_mail), FROM="pat@example.com")
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    answer = ticket_state(app, number)[1][-1]
    assert (answer.author_user_id, answer.internal) == ("pat", True)
    act(
        app,
        marketplace,
        "olive",
        Role.OPERATOR,
        number,
        Action.REROUTE,
        route_to="p-post",
        reason="Mail, not hosting.",
    )
    _, before = ticket_state(app, number)
    again = raw.replace(b"plain-1@", b"plain-2@")
    assert_quarantined(app, number, before, receive_by_pipe(app, again), Quarantined.LOST_ACCESS)


def assert_in_the_operators_quarantine(client, reason_words: str) -> None:
    login(client, "olive")
    page = client.get("/support/operator/mail").get_data(as_text=True)
    assert reason_words in page


def test_staff_removed_from_the_provider_can_no_longer_answer_as_a_watcher(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    watch(app, marketplace, "pat", Role.PROVIDER, number)
    act(app, marketplace, "alice", Role.CUSTOMER, number, Action.REPLY, body="Still down.")
    deliver(app)
    [mail] = smtp.to("pat@example.com")
    marketplace.add_staff("t1", "pat")  # the host took Pat off Nimbus: no provider now
    login(client, "pat")
    assert client.get(f"/support/provider/tickets/{number}").status_code == 403
    _, before = ticket_state(app, number)
    raw = fixture("plain_signature.eml", TO=reply_address(mail), FROM="pat@example.com")
    assert_quarantined(app, number, before, receive_by_pipe(app, raw), Quarantined.LOST_ACCESS)
    assert_in_the_operators_quarantine(client, "The sender may no longer see the ticket.")


def test_staff_removed_from_the_provider_are_no_longer_told_of_the_ticket(
    app, client, smtp, marketplace
):
    """Watching was decided when they could see the ticket; what they are told is decided by
    who they are now: not its notes, nor its replies, once the host took them off the
    provider; and the watch goes."""
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    watch(app, marketplace, "pat", Role.PROVIDER, number)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.NOTE, body="Disk 98 % full")
    deliver(app)
    assert len(smtp.to("pat@example.com")) == 1  # while Pat is Nimbus staff
    marketplace.add_staff("t1", "pat")  # the host took Pat off Nimbus
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.NOTE, body="Replaced the disk")
    act(app, marketplace, "alice", Role.CUSTOMER, number, Action.REPLY, body="Works again")
    deliver(app)
    assert len(smtp.to("pat@example.com")) == 1
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        assert session.scalars(select(Watcher).where(Watcher.user_id == "pat")).all() == []


def test_staff_of_another_provider_now_cannot_answer_as_a_watcher(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    watch(app, marketplace, "pat", Role.PROVIDER, number)
    act(app, marketplace, "alice", Role.CUSTOMER, number, Action.REPLY, body="Still down.")
    deliver(app)
    [mail] = smtp.to("pat@example.com")
    marketplace.add_staff("t1", "pat", provider_ids=frozenset({"p-post"}))  # moved to Post & Co
    _, before = ticket_state(app, number)
    raw = fixture("plain_signature.eml", TO=reply_address(mail), FROM="pat@example.com")
    assert_quarantined(app, number, before, receive_by_pipe(app, raw), Quarantined.LOST_ACCESS)


def test_a_colleague_who_moved_to_another_organisation_can_no_longer_answer_as_a_watcher(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    _, alice = marketplace.actors["alice"]
    with app.test_request_context():
        sharing.share_with_organisation("t1", alice, number, True)
    watch(app, marketplace, "amy", Role.CUSTOMER, number)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="Which page?")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="And since when?")
    deliver(app)
    first, second = smtp.to("amy@example.com")
    raw = fixture("plain_signature.eml", TO=reply_address(first), FROM="amy@example.com")
    assert receive_by_pipe(app, raw).output.strip() == "accepted"  # while she is at Acme
    marketplace.add_customer("t1", "amy", "globex", locale="de")  # the host moved her
    _, before = ticket_state(app, number)
    again = fixture("plain_signature.eml", TO=reply_address(second), FROM="amy@example.com")
    again = again.replace(b"plain-1@", b"plain-2@")
    assert_quarantined(app, number, before, receive_by_pipe(app, again), Quarantined.LOST_ACCESS)
    assert_in_the_operators_quarantine(client, "The sender may no longer see the ticket.")


@pytest.mark.parametrize("change", ["gone", "no longer a customer"])
def test_a_requester_the_host_no_longer_knows_as_a_customer_cannot_answer(
    app, client, smtp, marketplace, change
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    if change == "gone":
        del marketplace.actors["alice"]
    else:
        marketplace.add_customer("t1", "alice", None)
    _, before = ticket_state(app, number)
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert_quarantined(app, number, before, receive_by_pipe(app, raw), Quarantined.LOST_ACCESS)
    assert_in_the_operators_quarantine(client, "The sender may no longer see the ticket.")


def test_an_answer_is_written_as_the_person_the_host_knows_now(app, client, smtp, marketplace):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    marketplace.actors["alice"] = (
        "t1",
        replace(marketplace.actors["alice"][1], name="Alice Smith"),
    )
    raw = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    assert ticket_state(app, number)[1][-1].author_name == "Alice Smith"


# -- what was wrong, in the operator's language --------------------------------------------

#: an answer with nothing but a signature: no text
EMPTY_ANSWER = (
    "Message-ID: <empty-1@example.com>\r\nFrom: {FROM}\r\nTo: {TO}\r\n"
    "Subject: Re: ticket\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n-- \r\nAlice\r\n"
)

NOT_TAKEN = "“%(name)s” is not a file type this marketplace takes (%(types)s)."


@pytest.mark.parametrize(("received_in", "shown_in"), [("en", "de"), ("de", "en"), ("de", "de")])
def test_the_operator_reads_what_was_refused_in_their_language_without_field_names(
    app, client, smtp, marketplace, received_in, shown_in
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    app.config["TEST_LOCALE"] = received_in  # the receiving process's language
    empty = EMPTY_ANSWER.format(FROM="alice@example.com", TO=address).encode()
    assert receive_by_pipe(app, empty).output.strip() == "quarantined (invalid)"
    raw = fixture("refused_file.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, raw).output.strip() == "quarantined (invalid)"
    act(app, marketplace, "olive", Role.OPERATOR, number, Action.CLOSE)
    closed = fixture("plain_signature.eml", TO=address, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, closed).output.strip() == "quarantined (refused)"
    app.config["TEST_LOCALE"] = shown_in
    login(client, "olive")
    page = html.unescape(client.get("/support/operator/mail").get_data(as_text=True))
    words = {
        message: translated(shown_in, message) if shown_in != "en" else message
        for message in (
            "Write your message.",
            NOT_TAKEN,
            "This ticket is closed. Open a follow-up ticket to add information.",
            "Its text or files were refused.",
        )
    }
    assert words["Write your message."] in page
    assert words[NOT_TAKEN].split(" (%(types)s)")[0] % {"name": "tool.exe"} in page
    assert words["This ticket is closed. Open a follow-up ticket to add information."] in page
    assert words["Its text or files were refused."] in page
    assert "body:" not in page and "attachments:" not in page


def test_mail_kept_before_shows_its_reason_without_field_names_in_the_operators_language(
    app, client, smtp, marketplace
):
    waiting_ticket(app, client, smtp, marketplace)
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        session.add(
            InboundMail(
                tenant_id="t1",
                delivery_key="mail-before",
                reason=Quarantined.INVALID,
                detail="body: Write your message.; attachments: “x.exe” is refused.",
                sender="alice@example.com",
                size=10,
                raw=b"0123456789",
            )
        )
        session.commit()
    app.config["TEST_LOCALE"] = "de"
    login(client, "olive")
    page = html.unescape(client.get("/support/operator/mail").get_data(as_text=True))
    assert translated("de", "Write your message.") in page
    assert "“x.exe” is refused." in page  # words no catalog knows stay as they were
    assert "body:" not in page and "attachments:" not in page


def test_answers_by_e_mail_count_against_the_rate_limits(database_url, marketplace, tmp_path, smtp):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        **sending_to(smtp.port),
        SUPPORT_REPLY_DOMAIN=DOMAIN,
        RATELIMIT_ENABLED=True,
        SUPPORT_LIMIT_REPLIES="1 per hour",
    ) as app:
        number, address = waiting_ticket(app, app.test_client(), smtp, marketplace)
        first = fixture("plain_signature.eml", TO=address, FROM="alice@example.com")
        second = first.replace(b"plain-1@", b"plain-2@").replace(b"It works", b"Still works")
        assert receive_by_pipe(app, first).output.strip() == "accepted"
        _, before = ticket_state(app, number)
        result = receive_by_pipe(app, second)
        assert_quarantined(app, number, before, result, Quarantined.TOO_MANY)


def test_the_quarantine_page_costs_the_same_statements_for_one_row_or_many(
    app, client, smtp, marketplace, count_queries
):
    _, address = waiting_ticket(app, client, smtp, marketplace)
    raw = fixture("plain_signature.eml", TO=address, FROM="mallory@example.com")
    receive_by_pipe(app, raw)
    login(client, "olive")
    with count_queries() as one:
        assert client.get("/support/operator/mail").status_code == 200
    for position in range(2, 6):
        receive_by_pipe(app, raw.replace(b"plain-1@", f"plain-{position}@".encode()))
    with count_queries() as five:
        page = client.get("/support/operator/mail").get_data(as_text=True)
    assert page.count('name="accept"') == 5
    assert five.count == one.count


# -- IMAP: a real server on loopback (tests/imapserver.py) -----------------------------------


def test_answers_waiting_in_an_imap_mailbox_are_taken_in_and_deleted(
    app, client, smtp, marketplace, imap_server
):
    number, address = waiting_ticket(app, client, smtp, marketplace)
    answer = fixture("outlook_fr_cp1252.eml", TO=address, FROM="alice@example.com")
    forged = fixture("plain_signature.eml", TO=f"reply+1.AAAA.BBBB@{DOMAIN}", FROM="x@y.example")
    away = fixture("out_of_office.eml", TO=address, FROM="alice@example.com")
    deliver_to_mailbox(imap_server, answer, forged, away)
    result = poll(app, imap_server)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "accepted 1, automatic 1, quarantined 1"
    status, messages = ticket_state(app, number)
    assert messages[-1].body == OUTLOOK_TEXT and status is Status.OPEN
    assert [row.reason for row in quarantined(app)] == [Quarantined.FORGED]
    assert mailbox_size(imap_server) == 0
    # the same answer again (two pollers, or a copy): stored once
    deliver_to_mailbox(imap_server, answer)
    assert poll(app, imap_server).output.strip() == "duplicate 1"
    assert len(ticket_state(app, number)[1]) == len(messages)


def test_a_pass_that_cannot_reach_the_database_leaves_the_mail_in_the_mailbox(
    marketplace, imap_server
):
    raw = fixture("plain_signature.eml", TO=f"reply+1.AAAA.BBBB@{DOMAIN}", FROM="a@b.example")
    deliver_to_mailbox(imap_server, raw, raw.replace(b"plain-1@", b"plain-2@"))
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    with host_app(unreachable, marketplace, SUPPORT_REPLY_DOMAIN=DOMAIN) as app:
        result = poll(app, imap_server)
    assert result.exit_code == 75
    assert "the rest waits" in result.output
    assert mailbox_size(imap_server) == 2


def test_a_wrong_password_or_no_server_exits_75(app, imap_server):
    result = poll(app, imap_server, password="wrong")
    assert result.exit_code == 75 and "could not be read" in result.output
    assert poll(app, free_port()).exit_code == 75


def test_clean_mail_removes_what_the_quarantine_kept_too_long(app):
    receive_by_pipe(app, b"\x00 unreadable, kept for a month")
    later = clock.now() + timedelta(days=29)
    with clock.frozen_at(later):
        receive_by_pipe(app, b"\x00 unreadable, kept a day")
    with clock.frozen_at(later + timedelta(days=2)):
        result = app.test_cli_runner().invoke(args=["support", "clean-mail"])
    assert result.exit_code == 0 and "Removed 1 kept message" in result.output
    assert [bytes(row.raw) for row in quarantined(app)] == [b"\x00 unreadable, kept a day"]


def test_the_lmtp_server_refuses_a_message_over_twice_the_limit_during_the_transfer(app):
    app.config["SUPPORT_INBOUND_MAX_SIZE"] = 600
    server = lmtp_server(app, "127.0.0.1", free_port())
    server.start()
    try:
        raw = fixture("gmail_attachments.eml", TO=f"reply+1.A.B@{DOMAIN}", FROM="a@b.example")
        assert len(raw) > 1200
        with (
            smtplib.LMTP("127.0.0.1", server.port) as connection,
            # at MAIL FROM when the client says the size (SIZE), else after the data
            pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused,
        ):
            connection.sendmail("a@b.example", [f"reply+1.A.B@{DOMAIN}"], raw)
        assert refused.value.smtp_code == 552
    finally:
        server.stop()
    assert quarantined(app) == []
