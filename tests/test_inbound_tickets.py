"""New tickets by e-mail: a customer writes to the marketplace's support address, without a
notification to answer, and a ticket is opened for the operator as that customer (through
``flask support receive``, the running LMTP server and a real IMAP mailbox). Whatever must
not open a ticket lands in quarantine with the reason, for that tenant's operator."""

from __future__ import annotations

import smtplib
from dataclasses import replace

import pytest
from sqlalchemy import select

from marketplace_support import Flags
from marketplace_support.lmtp import server as lmtp_server
from marketplace_support.models import Attachment, Quarantined, Ticket
from marketplace_support.workflow import Handler

from .conftest import host_app, login
from .imapserver import deliver_to_mailbox, mailbox_size
from .inbound_mail import fixture, poll, quarantined, receive_by_pipe, taking_mail
from .mailserver import free_port, text_of
from .use_cases import deliver

SUPPORT = "help@t1.example"
#: the text of new_request_thunderbird.eml without its signature (ISO-8859-1 in the message)
TEXT = "Guten Tag, die Rechnung für März fehlt in meinem Konto.\nIm Anhang ein Bildschirmfoto."


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp):
    with taking_mail(
        database_url,
        marketplace,
        tmp_path,
        smtp,
        SUPPORT_INBOUND_ADDRESSES={"Help@T1.example": "t1", "help@t2.example": "t2"},
        SUPPORT_TICKETS_BY_EMAIL=True,
    ) as app:
        yield app


def request_from(sender: str, to: str = SUPPORT) -> bytes:
    return fixture("new_request_thunderbird.eml", TO=to, FROM=sender)


def tickets_of(app, tenant: str = "t1") -> list[Ticket]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        found = list(
            session.scalars(
                select(Ticket).where(Ticket.tenant_id == tenant).order_by(Ticket.number)
            )
        )
        session.expunge_all()
        return found


def files_of(app, ticket: Ticket) -> list[str]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        query = select(Attachment.filename).where(Attachment.ticket_id == ticket.id)
        return list(session.scalars(query))


def test_a_customers_e_mail_to_the_support_address_opens_a_ticket_for_the_operator(
    app, client, smtp
):
    result = receive_by_pipe(app, request_from("Alice@Example.com"), SUPPORT)
    assert result.exit_code == 0 and result.output.strip() == "accepted"
    [ticket] = tickets_of(app)
    assert ticket.subject == "Rechnung für März fehlt"
    assert ticket.issue_about == TEXT  # the signature ("-- ") is cut
    assert ticket.handler is Handler.OPERATOR and ticket.order_id is None
    assert ticket.requester_user_id == "alice" and ticket.requester_email == "alice@example.com"
    assert files_of(app, ticket) == ["konto.png"]
    deliver(app)
    [confirmation] = smtp.to("alice@example.com")
    assert confirmation["Subject"] == f"We received your ticket #{ticket.number}: {ticket.subject}"
    assert f"https://t1.example/support/tickets/{ticket.number}" in text_of(confirmation)
    assert [str(m["Subject"]) for m in smtp.to("ops@t1.example")] != []
    # on My Page, as her own ticket
    login(client, "alice")
    page = client.get(f"/support/tickets/{ticket.number}").get_data(as_text=True)
    assert "Rechnung für März fehlt" in page and "Im Anhang ein Bildschirmfoto." in page
    assert quarantined(app) == []


def test_the_same_request_delivered_twice_opens_one_ticket(app):
    raw = request_from("alice@example.com")
    assert receive_by_pipe(app, raw, SUPPORT).output.strip() == "accepted"
    again = b"Received: by mx2.t1.example\r\n" + raw
    assert receive_by_pipe(app, again, SUPPORT).output.strip() == "duplicate"
    assert len(tickets_of(app)) == 1


def test_the_support_address_is_found_in_the_headers_without_an_envelope(app):
    assert receive_by_pipe(app, request_from("bob@example.com")).output.strip() == "accepted"
    [ticket] = tickets_of(app)
    assert ticket.requester_user_id == "bob"


def test_each_tenants_address_opens_tickets_in_that_tenant_for_its_own_customers(app):
    assert receive_by_pipe(app, request_from("carol@example.com", "help@t2.example")).output
    [ticket] = tickets_of(app, "t2")
    assert ticket.requester_user_id == "carol"
    assert tickets_of(app, "t1") == []


@pytest.mark.parametrize(
    "sender",
    [
        "mallory@example.com",  # nobody
        "paul@example.com",  # staff, not a customer
        "carol@example.com",  # a customer of the other tenant
    ],
)
def test_a_sender_who_is_not_a_customer_of_the_tenant_is_quarantined_for_its_operator(
    app, client, sender
):
    result = receive_by_pipe(app, request_from(sender), SUPPORT)
    assert result.output.strip() == "quarantined (unknown_sender)"
    assert tickets_of(app) == []
    [kept] = quarantined(app)
    assert (kept.tenant_id, kept.address, kept.sender) == ("t1", SUPPORT, f"Alice <{sender}>")
    login(client, "olive")
    page = client.get("/support/operator/mail").get_data(as_text=True)
    assert "The sender's address is not one of a customer of this marketplace." in page


@pytest.mark.parametrize(
    "flags",
    [
        Flags(tickets_by_email=False),
        Flags(tickets_by_email=True, ticket_without_order=False),
        Flags(tickets_by_email=True, support_enabled=False),
    ],
)
def test_a_tenant_that_does_not_take_tickets_by_e_mail_gets_none(app, marketplace, flags):
    marketplace.flags["t1"] = flags
    result = receive_by_pipe(app, request_from("alice@example.com"), SUPPORT)
    assert result.output.strip() == "quarantined (tickets_off)"
    assert tickets_of(app) == []
    assert [row.tenant_id for row in quarantined(app)] == ["t1"]


def test_tickets_by_e_mail_are_off_by_default(database_url, marketplace, tmp_path):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        SUPPORT_INBOUND_ADDRESSES={SUPPORT: "t1"},
    ) as app:
        result = receive_by_pipe(app, request_from("alice@example.com"), SUPPORT)
        assert result.output.strip() == "quarantined (tickets_off)"
        assert tickets_of(app) == []


def test_what_the_page_refuses_is_quarantined_and_opens_nothing(app):
    refused = fixture("refused_file.eml", TO=SUPPORT, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, refused).output.strip() == "quarantined (invalid)"
    app.config["SUPPORT_INBOUND_MAX_SIZE"] = 500
    assert receive_by_pipe(app, request_from("alice@example.com")).output.strip() == (
        "quarantined (too_large)"
    )
    assert tickets_of(app) == []
    assert [row.reason for row in quarantined(app)] == [Quarantined.INVALID, Quarantined.TOO_LARGE]
    assert "tool.exe" in quarantined(app)[0].detail


def test_an_automatic_reply_to_the_support_address_creates_nothing(app):
    away = fixture("out_of_office.eml", TO=SUPPORT, FROM="alice@example.com", NUMBER="1")
    assert receive_by_pipe(app, away).output.strip() == "automatic"
    assert tickets_of(app) == [] and quarantined(app) == []


def test_a_request_without_a_subject_is_named_by_its_first_line(app):
    raw = request_from("alice@example.com").replace(
        b"Subject: =?ISO-8859-1?Q?Rechnung_f=FCr_M=E4rz_fehlt?=\n", b""
    )
    assert receive_by_pipe(app, raw).output.strip() == "accepted"
    [ticket] = tickets_of(app)
    assert ticket.subject == "Guten Tag, die Rechnung für März fehlt in meinem Konto."


def test_new_tickets_by_e_mail_count_against_the_rate_limits(database_url, marketplace, tmp_path):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        SUPPORT_INBOUND_ADDRESSES={SUPPORT: "t1"},
        SUPPORT_TICKETS_BY_EMAIL=True,
        RATELIMIT_ENABLED=True,
        SUPPORT_LIMIT_OPEN_TICKETS="1 per hour",
    ) as app:
        first = request_from("alice@example.com")
        second = first.replace(b"new-request-thunderbird", b"second-request")
        assert receive_by_pipe(app, first).output.strip() == "accepted"
        assert receive_by_pipe(app, second).output.strip() == "quarantined (too_many)"
        assert len(tickets_of(app)) == 1


def test_a_request_comes_in_through_the_lmtp_server(app):
    server = lmtp_server(app, "127.0.0.1", free_port())
    server.start()
    try:
        raw = request_from("alice@example.com").replace(b"\n", b"\r\n")  # as on the wire
        with smtplib.LMTP("127.0.0.1", server.port) as connection:
            assert connection.sendmail("alice@example.com", [SUPPORT], raw) == {}
            assert connection.sendmail("alice@example.com", [SUPPORT], raw) == {}  # retried
    finally:
        server.stop()
    [ticket] = tickets_of(app)
    assert ticket.issue_about == TEXT


def test_requests_waiting_in_an_imap_mailbox_open_tickets(app, imap_server):
    request = request_from("alice@example.com")
    stranger = request_from("mallory@example.com").replace(b"new-request", b"stranger")
    deliver_to_mailbox(imap_server, request, stranger)
    result = poll(app, imap_server)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "accepted 1, quarantined 1"
    assert [t.requester_user_id for t in tickets_of(app)] == ["alice"]
    assert [row.reason for row in quarantined(app)] == [Quarantined.UNKNOWN_SENDER]
    assert mailbox_size(imap_server) == 0


@pytest.mark.parametrize(
    "addresses", [{"help@t1.example": ""}, {"help": "t1"}, ["help@t1.example"]]
)
def test_support_addresses_that_cannot_work_stop_init_app(database_url, marketplace, addresses):
    with (
        pytest.raises(RuntimeError, match="SUPPORT_INBOUND_ADDRESSES must map"),
        host_app(database_url, marketplace, SUPPORT_INBOUND_ADDRESSES=addresses),
    ):
        pass


def test_a_host_can_answer_the_support_address_itself(database_url, marketplace, tmp_path):
    marketplace.flags["t1"] = replace(Flags(), tickets_by_email=True)
    with host_app(
        database_url, marketplace, SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files")
    ) as app:
        host = app.extensions["marketplace_support"].host
        host.support_address_tenant = lambda address: "t1" if address.startswith("desk@") else None
        assert receive_by_pipe(app, request_from("alice@example.com", "desk@t1.example")).output
        assert [t.requester_user_id for t in tickets_of(app)] == ["alice"]
