"""Notifications: written with the change, delivered from the outbox over real SMTP (an
aiosmtpd server on loopback), once per recipient, in the recipient's language, never with
anything internal for a customer."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from marketplace_support import (
    HostAdapter,
    MarketplaceSupport,
    actions,
    cli,
    clock,
    outbox,
    sharing,
    signals,
    tickets,
)
from marketplace_support.mailer import Mailer
from marketplace_support.models import Delivery, Ticket, Watcher
from marketplace_support.workflow import Action, Role

from .conftest import host_app, login
from .helpers import add_information, form_inputs, open_ticket, ticket_fields
from .mailserver import html_of, sending_to, text_of
from .use_cases import act, deliver, outbox_rows, watch


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        **sending_to(smtp.port),
        MAIL_DEFAULT_SENDER=("Marketplace support", "support@market.example"),
        SUPPORT_SMTP_TIMEOUT=5,
    ) as app:
        yield app


def test_the_customer_gets_a_confirmation_with_the_number_and_a_link(app, client, smtp):
    login(client, "alice")
    number = open_ticket(client, subject="Site down")
    [mail] = smtp.to("alice@example.com")
    assert mail["Subject"] == f"We received your ticket #{number}: Site down"
    assert f"We received your ticket #{number} “Site down”" in text_of(mail)
    assert f"https://t1.example/support/tickets/{number}" in text_of(mail)
    assert f'href="https://t1.example/support/tickets/{number}"' in html_of(mail)
    assert mail["Content-Language"] == "en"
    assert mail["Message-ID"].startswith("<support-t1-")


def test_a_new_ticket_is_announced_to_its_providers_addresses(app, client, smtp):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Site down")
    [mail] = smtp.to("tickets@nimbus.example")
    assert mail["Subject"] == f"New ticket #{number}: Site down"
    assert "The site answers 502 since 9:00." in text_of(mail)
    assert f"https://t1.example/support/provider/tickets/{number}" in text_of(mail)


def test_a_ticket_about_no_service_is_announced_to_the_operator(app, client, smtp):
    login(client, "alice")
    open_ticket(client, order="none")
    [mail] = smtp.to("ops@t1.example")
    assert "/support/operator/tickets/" in text_of(mail)
    assert smtp.to("tickets@nimbus.example") == []


def test_replies_go_to_the_other_side(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="Which page?")
    deliver(app)
    [reply] = [m for m in smtp.to("alice@example.com") if "New reply" in m["Subject"]]
    assert "Which page?" in text_of(reply) and "Pete replied to your ticket:" in text_of(reply)
    add_information(client, number, "The checkout page.")
    answers = [m for m in smtp.to("tickets@nimbus.example") if "answered" in m["Subject"]]
    assert len(answers) == 1 and "The checkout page." in text_of(answers[0])


def test_waiting_for_you_and_resolved_reach_the_customer(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.WAIT_FOR_CUSTOMER)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.RESOLVE)
    deliver(app)
    subjects = [m["Subject"] for m in smtp.to("alice@example.com")]
    assert any(s.startswith(f"Your reply is needed on ticket #{number}") for s in subjects)
    assert any(s.startswith(f"Your ticket #{number} is resolved") for s in subjects)


def test_nothing_internal_ever_reaches_a_customer(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    tenant, alice = marketplace.actors["alice"]
    with app.test_request_context():
        sharing.watch(tenant, alice, Role.CUSTOMER, number, True)
    act(app, marketplace, "pat", Role.PROVIDER, number, Action.NOTE, body="SECRET: their DB leaks")
    act(
        app,
        marketplace,
        "pete",
        Role.PROVIDER,
        number,
        Action.ESCALATE,
        reason="SECRET: we cannot fix it",
    )
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.ASSIGN, assignee="pat")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="We are on it.")
    deliver(app)
    for mail in smtp.to("alice@example.com"):
        assert "SECRET" not in mail.as_string()
        assert "SECRET" not in text_of(mail) and "SECRET" not in html_of(mail)
    assert any("SECRET: we cannot fix it" in text_of(m) for m in smtp.to("ops@t1.example"))


def test_staff_who_watch_hear_of_internal_notes(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    tenant, pat = marketplace.actors["pat"]
    with app.test_request_context():
        sharing.watch(tenant, pat, Role.PROVIDER, number, True)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.NOTE, body="Check the logs")
    deliver(app)
    [note] = [m for m in smtp.to("pat@example.com") if "Internal note" in m["Subject"]]
    assert "Check the logs" in text_of(note)


def test_emails_go_out_in_the_recipients_language(app, client, smtp, marketplace):
    login(client, "amy")  # Amy reads German; Post & Co's staff too
    number = open_ticket(client, order="o-mail", subject="Postfach voll")
    [mail] = smtp.to("amy@example.com")
    assert mail["Content-Language"] == "de"
    assert mail["Subject"] == f"Wir haben Ihr Ticket #{number} erhalten: Postfach voll"
    [provider_mail] = smtp.to("help@post.example")
    assert provider_mail["Content-Language"] == "de"


def test_user_text_cannot_add_mail_headers(app, client, smtp):
    login(client, "alice")
    open_ticket(client, subject="Hello\r\nBcc: evil@attacker.example\r\nX-Injected: yes")
    [mail] = smtp.to("alice@example.com")
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    assert "\n" not in mail["Subject"] and "Bcc: evil@attacker.example" in mail["Subject"]
    assert all("attacker" not in str(m["To"]) for m in smtp.received)


def test_every_link_points_to_the_tenants_own_site(app, client, smtp):
    login(client, "carol")  # tenant t2
    open_ticket(client, order="o-carol")
    for mail in smtp.received:
        links = [part for part in text_of(mail).split() if part.startswith("http")]
        assert links and all(link.startswith("https://t2.example/") for link in links)


def test_mail_server_down_then_up_delivers_each_notification_exactly_once(
    app, client, smtp, marketplace
):
    smtp.stop()  # the mail server is down
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    rows = outbox_rows(app)
    assert {r.status for r in rows} == {Delivery.PENDING}
    assert all(r.attempts == 1 and "ConnectionRefusedError" in r.last_error for r in rows)
    assert deliver(app).handled == 0  # not due yet: the next try waits
    smtp.start()
    later = clock.now() + timedelta(minutes=2)
    with clock.frozen_at(later):
        report = deliver(app)
    assert len(report.sent) == len(rows) == 2
    with clock.frozen_at(later + timedelta(days=1)):
        assert deliver(app).handled == 0  # nothing is sent twice
    assert len(smtp.to("alice@example.com")) == 1
    assert len(smtp.to("tickets@nimbus.example")) == 1
    assert number


def test_a_worker_that_dies_after_sending_leaves_one_message_in_the_mailbox(app, client, smtp):
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    login(client, "alice")
    open_ticket(client, order="none")
    with app.app_context():
        _claim, rows = outbox.claim(10)
        with Mailer() as mailer:
            for row in rows:
                mailer.send(row)  # ... and the worker dies before marking them sent
    assert len(smtp.received) == 2
    with clock.frozen_at(clock.now() + timedelta(minutes=1)):
        assert deliver(app).handled == 0  # another worker leaves a fresh claim alone
    with clock.frozen_at(clock.now() + timedelta(minutes=10)):
        report = deliver(app)  # the claim is stale: another worker takes the rows over
    assert len(report.sent) == 2
    # the second sending is the same message: every mailbox files it once
    assert len(smtp.mailbox("alice@example.com")) == 1
    assert len(smtp.mailbox("ops@t1.example")) == 1
    assert {str(m["Message-ID"]) for m in smtp.to("alice@example.com")} == {
        str(smtp.to("alice@example.com")[0]["Message-ID"])
    }


def test_two_workers_at_once_send_each_notification_once(app, client, smtp, marketplace):
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    login(client, "alice")
    for _ in range(6):
        open_ticket(client, order="o-hosting")
    assert len(outbox_rows(app)) == 12
    barrier, reports = threading.Barrier(2), []

    def worker():
        with app.app_context():
            barrier.wait()
            reports.append(outbox.deliver(limit=4))
            reports.append(outbox.deliver(limit=100))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [row_id for report in reports for row_id in report.sent]
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 12
    assert len(smtp.received) == 12


def test_a_rolled_back_change_sends_no_signal_and_no_email(app, smtp, marketplace, monkeypatch):
    tenant, alice = marketplace.actors["alice"]
    heard = []
    with (
        signals.ticket_opened.connected_to(lambda sender, **kw: heard.append(kw), app),
        app.test_request_context(),
    ):
        session = app.extensions["sqlalchemy"].session

        def broken_commit():
            raise RuntimeError("database went away")

        monkeypatch.setattr(session, "commit", broken_commit)
        with pytest.raises(RuntimeError):
            tickets.open_ticket(tenant, alice, {**ticket_fields(), "submission_key": "x" * 20})
        monkeypatch.undo()
    assert heard == [] and outbox_rows(app) == [] and smtp.received == []


def test_signals_are_sent_after_the_commit_with_what_changed(app, client, marketplace):
    heard = []

    def record(name):
        return lambda sender, **kw: heard.append((name, kw))

    with (
        signals.ticket_opened.connected_to(record("opened"), app),
        signals.ticket_routed.connected_to(record("routed"), app),
        signals.message_posted.connected_to(record("message"), app),
        signals.status_changed.connected_to(record("status"), app),
    ):
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
        act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="On it")
    names = [name for name, _ in heard]
    assert names == ["opened", "routed", "message", "status"]
    routed = heard[1][1]
    assert (routed["event"].to_value, routed["event"].to_name) == ("provider", "Nimbus Hosting")
    message = heard[2][1]
    assert (message["message"].body, message["message"].internal) == ("On it", False)
    assert heard[3][1]["event"].to_value == "in_progress"
    assert all(kw["ticket"].number == number for _, kw in heard)


def test_a_failing_receiver_does_not_undo_the_change_for_the_person(
    app, client, smtp, marketplace, caplog
):
    """A host's receiver that fails (its SMS gateway is down) is logged; the ticket stays
    opened, the person sees it, the other receivers hear of it and the e-mails go out."""
    heard = []

    def broken(sender, **kw):
        raise ConnectionError("SMS gateway down")

    with (
        signals.ticket_opened.connected_to(broken, app),
        signals.ticket_opened.connected_to(lambda sender, **kw: heard.append(kw["ticket"]), app),
        caplog.at_level(logging.ERROR, logger="marketplace_support.signals"),
    ):
        login(client, "alice")
        number = open_ticket(client, order="o-hosting")
    page = client.get(f"/support/tickets/{number}")
    assert page.status_code == 200 and "nothing was saved" not in page.get_data(as_text=True)
    assert [ticket.number for ticket in heard] == [number]
    assert "SMS gateway down" in caplog.text and "stays committed" in caplog.text
    assert len(smtp.received) == 2  # the customer's confirmation and the provider's e-mail


def test_a_refused_address_fails_for_good_and_the_operator_sees_it(app, client, smtp, marketplace):
    smtp.refuse.add("tickets@nimbus.example")
    failures = []
    with signals.notification_failed.connected_to(
        lambda sender, **kw: failures.append(kw["recipient"]), app
    ):
        login(client, "alice")
        open_ticket(client, order="o-hosting")
    assert failures == ["tickets@nimbus.example"]
    [failed] = [r for r in outbox_rows(app) if r.status is Delivery.FAILED]
    assert "550" in failed.last_error
    login(client, "olive")
    page = client.get("/support/operator/notifications").get_data(as_text=True)
    assert "tickets@nimbus.example" in page and "New ticket for its handler" in page
    smtp.refuse.clear()
    token = form_inputs(page, "/send-again")["csrf_token"]
    response = client.post(
        "/support/operator/notifications/send-again", data={"csrf_token": token, "id": failed.id}
    )
    assert response.status_code == 303
    assert len(smtp.to("tickets@nimbus.example")) == 1
    assert "Every notification went out." in client.get("/support/operator/notifications").get_data(
        as_text=True
    )


def test_only_operators_see_the_notifications_that_did_not_go_out(client):
    login(client, "pete")
    assert client.get("/support/operator/notifications").status_code == 403


def test_the_worker_command_delivers_what_is_due(app, client, smtp):
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    assert smtp.received == []
    result = app.test_cli_runner().invoke(args=["support", "deliver"])
    assert result.exit_code == 0 and "sent 2, will retry 0, failed 0" in result.output
    assert len(smtp.received) == 2


def test_without_a_sender_notifications_fail_with_the_reason(app, client, smtp):
    app.extensions["mail"].default_sender = None
    login(client, "alice")
    open_ticket(client, order="none")
    rows = outbox_rows(app)
    assert {row.status for row in rows} == {Delivery.FAILED}
    assert all("set SUPPORT_MAIL_SENDER or MAIL_DEFAULT_SENDER" in row.last_error for row in rows)
    assert smtp.received == []


def test_a_long_running_worker_sends_what_the_host_says_now(app, client, smtp, marketplace):
    """`flask support deliver --loop` runs for weeks in one app context; each pass starts
    anew, so a tenant's new e-mail footer is in the next e-mails, not after a restart."""
    app.config["SUPPORT_DELIVER_AFTER_REQUEST"] = False  # the worker sends, not the request
    login(client, "alice")
    open_ticket(client, subject="Site down")  # a confirmation to Alice, news to Nimbus
    with app.app_context():  # the worker's own context, for its whole life
        assert len(cli.deliver_pass(1).sent) == 1
        marketplace.texts[("t1", "email_footer", "en")] = "Nordic Cloud Market AB, Helsinki"
        assert len(cli.deliver_pass(1).sent) == 1
    [before] = smtp.to("alice@example.com")
    [after] = smtp.to("tickets@nimbus.example")
    assert "Nordic Cloud Market AB" not in text_of(before)
    assert text_of(after).rstrip().endswith("Nordic Cloud Market AB, Helsinki")


# -- who may be told: at the moment of the change, by the rules of access.py -------------------


def watchers_of(app, number) -> list[str]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        query = (
            select(Watcher.user_id)
            .join(Ticket, Ticket.id == Watcher.ticket_id)
            .where(Ticket.tenant_id == "t1", Ticket.number == number)
        )
        return list(session.scalars(query))


def test_a_provider_who_watched_hears_nothing_after_the_ticket_is_rerouted_away(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")  # Nimbus: Pete and Pat
    watch(app, marketplace, "pat", Role.PROVIDER, number)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.NOTE, body="Nimbus only: reboot")
    deliver(app)
    assert len(smtp.to("pat@example.com")) == 1  # she watches, and sees the ticket
    act(
        app,
        marketplace,
        "olive",
        Role.OPERATOR,
        number,
        Action.REROUTE,
        route_to="p-post",
        reason="It is the mail service.",
    )
    assert watchers_of(app, number) == []  # losing sight of the ticket ends watching it
    act(app, marketplace, "quinn", Role.PROVIDER, number, Action.NOTE, body="Post only: MX broken")
    add_information(client, number, "Mail bounces since noon.")
    act(app, marketplace, "quinn", Role.PROVIDER, number, Action.REPLY, body="Fixed the MX.")
    deliver(app)
    assert len(smtp.to("pat@example.com")) == 1
    assert all(
        "MX" not in text_of(m) and "noon" not in text_of(m)
        for m in smtp.received
        if "pat@" in str(m["To"]) or "nimbus" in str(m["To"])
    )


def test_a_colleague_hears_nothing_once_the_ticket_is_no_longer_shared(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    tenant, alice = marketplace.actors["alice"]
    with app.test_request_context():
        sharing.share_with_organisation(tenant, alice, number, True)
    watch(app, marketplace, "amy", Role.CUSTOMER, number)
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="First answer.")
    deliver(app)
    assert [m["Subject"] for m in smtp.to("amy@example.com")]  # shared: Amy hears of it
    heard_before = len(smtp.to("amy@example.com"))
    with app.test_request_context():
        sharing.share_with_organisation(tenant, alice, number, False)
    assert watchers_of(app, number) == []
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.REPLY, body="Second answer.")
    deliver(app)
    assert len(smtp.to("amy@example.com")) == heard_before
    assert all("Second answer." not in text_of(m) for m in smtp.to("amy@example.com"))


def test_one_change_sends_each_person_one_email_that_carries_the_message(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting")
    before = len(smtp.to("alice@example.com"))
    act(
        app,
        marketplace,
        "pete",
        Role.PROVIDER,
        number,
        Action.REPLY,
        body="Which browser do you use?",
        then="wait_for_customer",
    )
    deliver(app)
    [mail] = smtp.to("alice@example.com")[before:]
    assert mail["Subject"].startswith(f"Your reply is needed on ticket #{number}")
    assert "Which browser do you use?" in text_of(mail)
    assert "Which browser do you use?" in html_of(mail)


def test_email_links_never_follow_the_address_a_request_came_in_on(app, client, smtp, marketplace):
    del marketplace.sites["t1"]  # this tenant gave no address of its own
    evil = "http://evil.example"  # whoever sends a request chooses its Host header
    assert client.get("/test-login/alice", base_url=evil).status_code == 200
    data = {**ticket_fields(order="o-hosting")}
    form = client.get("/support/new", base_url=evil).get_data(as_text=True)
    data.update(form_inputs(form, "/support/new"))
    response = client.post("/support/new", data=data, base_url=evil)
    assert response.status_code == 303
    assert smtp.received
    for mail in smtp.received:
        assert "evil.example" not in mail.as_string()
        assert "Open the ticket:" not in text_of(mail)


def test_a_host_without_a_site_address_is_warned_at_start(database_url, caplog):
    class Minimal(HostAdapter):
        def current_actor(self):
            return None

        def active_orders(self, tenant_id, actor):
            return []

    app = Flask("minimal")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=database_url)
    SQLAlchemy().init_app(app)
    Babel(app)
    with caplog.at_level(logging.WARNING):
        MarketplaceSupport(app, host=Minimal())
    assert "neither SUPPORT_SITE_URL nor HostAdapter.site_url() is set" in caplog.text


def test_a_reroute_tells_the_new_handler_the_customer_and_the_handler_it_was_taken_from(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Mail bounces")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.NOTE, body="Nimbus: not ours")
    act(
        app,
        marketplace,
        "olive",
        Role.OPERATOR,
        number,
        Action.REROUTE,
        route_to="p-post",
        reason="Post & Co runs your mail.",
    )
    deliver(app)
    [moved] = [m for m in smtp.to("tickets@nimbus.example") if "moved" in m["Subject"]]
    assert moved["Subject"] == f"Ticket #{number} was moved to Post & Co: Mail bounces"
    assert "You no longer have access to it." in text_of(moved)
    assert "http" not in text_of(moved)  # no link to a page they can no longer open
    assert "runs your mail" not in text_of(moved) and "not ours" not in text_of(moved)
    [news] = smtp.to("help@post.example")
    assert news["Subject"].startswith(f"Neues Ticket #{number}")  # Post & Co reads German
    [told] = [m for m in smtp.to("alice@example.com") if "now handled by" in m["Subject"]]
    assert "Your ticket is now handled by Post & Co." in text_of(told)
    assert "Post & Co runs your mail." in text_of(told)


def test_the_handler_hears_when_the_customer_reopens_a_ticket(app, client, smtp, marketplace):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Slow site")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.RESOLVE)
    tenant, alice = marketplace.actors["alice"]
    with app.test_request_context():
        actions.act(tenant, alice, Role.CUSTOMER, number, Action.REOPEN, {})
    deliver(app)
    [reopened] = [m for m in smtp.to("tickets@nimbus.example") if "reopened" in m["Subject"]]
    assert reopened["Subject"] == f"Ticket #{number} was reopened: Slow site"
    assert f"Alice reopened ticket #{number} “Slow site”" in text_of(reopened)


def test_emails_come_from_the_marketplace_by_name_and_say_how_to_answer(
    app, client, smtp, marketplace
):
    marketplace.texts[("t1", "operator_name", "en")] = "Nordic Cloud Market"
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    [mail] = smtp.to("alice@example.com")
    assert mail["From"] == "Nordic Cloud Market <support@market.example>"
    assert "replies to this e-mail do not reach anyone" in text_of(mail)
    assert "replies to this e-mail do not reach anyone" in html_of(mail)


def test_writing_on_a_resolved_ticket_tells_the_handler_once_what_is_still_wrong(
    app, client, smtp, marketplace
):
    login(client, "alice")
    number = open_ticket(client, order="o-hosting", subject="Slow site")
    act(app, marketplace, "pete", Role.PROVIDER, number, Action.RESOLVE)
    before = len(smtp.to("tickets@nimbus.example"))
    add_information(client, number, "Still slow on the checkout page.")
    mails = smtp.to("tickets@nimbus.example")[before:]
    assert [m["Subject"] for m in mails] == [f"Ticket #{number} was reopened: Slow site"]
    assert "Still slow on the checkout page." in text_of(mails[0])
