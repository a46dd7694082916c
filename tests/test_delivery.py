"""Delivering the outbox when things go wrong: one bad row among good ones, values that cannot
work, a greylisting server, a server that accepts connections and never answers. Real SMTP
servers on loopback (aiosmtpd, and a silent socket), on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from marketplace_support import Provider, clock, outbox
from marketplace_support.models import Delivery, OutboxMessage

from .conftest import host_app, login
from .helpers import new_ticket_form, open_ticket, ticket_fields
from .mailserver import SilentServer, SlowServer, text_of
from .use_cases import outbox_rows


def mail_app(database_url, marketplace, tmp_path, port, **config):
    settings = {
        "SUPPORT_ATTACHMENT_ROOT": str(tmp_path / "files"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "SUPPORT_SMTP_TIMEOUT": 5,
        **config,
    }
    return host_app(database_url, marketplace, **settings)


@pytest.fixture
def app(database_url, marketplace, tmp_path, smtp):
    with mail_app(
        database_url, marketplace, tmp_path, smtp.port, SUPPORT_DELIVER_AFTER_REQUEST=False
    ) as app:
        yield app


def spoil(app, row_id: int, **values: object) -> None:
    """Change a row in the database, as a row written by an older version might be."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))
        session.commit()


def test_one_poisoned_row_fails_alone_and_every_good_one_goes_out_in_the_same_pass(
    app, client, smtp
):
    login(client, "alice")
    for _ in range(3):
        open_ticket(client, order="o-hosting")  # 6 rows: Alice's confirmations, Nimbus' news
    first, second, *good = outbox_rows(app)
    # written before values were settled at writing: a name that breaks the header, a
    # language nobody can render
    spoil(app, first.id, recipient_name="Alice\r\nBcc: evil@attacker.example")
    spoil(app, second.id, locale="fr-FR-x-nonsense", payload={"number": 1})
    with app.app_context():
        report = outbox.deliver()
    assert sorted(report.sent) == sorted(row.id for row in good)
    assert sorted(report.failed) == [first.id, second.id]
    assert len(smtp.received) == 4
    assert all("attacker" not in str(m["To"]) and m["Bcc"] is None for m in smtp.received)
    by_id = {row.id: row for row in outbox_rows(app)}
    assert by_id[first.id].status is Delivery.FAILED and by_id[first.id].last_error
    assert by_id[second.id].status is Delivery.FAILED and by_id[second.id].last_error
    assert not [row for row in by_id.values() if row.status is Delivery.SENDING]
    login(client, "olive")
    page = client.get("/support/operator/notifications").get_data(as_text=True)
    assert by_id[first.id].last_error.split(":")[0] in page


def test_a_pass_reads_its_rows_once_however_often_it_commits(app, client, smtp, count_queries):
    """The claim, the rows, and for each e-mail its claim renewed and its outcome: each row
    is not read again after each of the pass's commits (two e-mails: 6 statements, were 11)."""
    login(client, "alice")
    open_ticket(client, order="o-hosting")  # Alice's confirmation and Nimbus' news
    with app.app_context(), count_queries() as counter:
        report = outbox.deliver()
    assert len(report.sent) == 2 and len(smtp.received) == 2
    assert counter.count == 6, counter.statements
    assert sum(s.lstrip().startswith("SELECT") for s in counter.statements) == 1


def test_values_that_cannot_work_are_settled_when_the_row_is_written(
    app, client, smtp, marketplace
):
    marketplace.providers["t1"][0] = Provider(
        "p-nimbus", "Nimbus\r\nHosting", ("tickets@nimbus.example", "not an address"), "fr-FR"
    )
    login(client, "alice")
    open_ticket(client, order="o-hosting", subject="Site en panne")
    written = {row.recipient: row for row in outbox_rows(app)}
    assert written["tickets@nimbus.example"].locale == "fr_FR"
    assert written["tickets@nimbus.example"].recipient_name == "Nimbus Hosting"
    refused = written["not an address"]
    assert refused.status is Delivery.FAILED and "not an e-mail address" in refused.last_error
    with app.app_context():
        report = outbox.deliver()
    assert len(report.sent) == 2
    [news] = smtp.to("tickets@nimbus.example")
    assert news["Subject"].startswith("Nouveau ticket")  # French, though the host said fr-FR
    assert "Site en panne" in text_of(news)


def test_a_greylisted_recipient_is_tried_again_later_and_then_gets_the_mail(app, client, smtp):
    smtp.greylist.add("tickets@nimbus.example")
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    with app.app_context():
        report = outbox.deliver()
    assert len(report.sent) == 1 and len(report.retrying) == 1
    [waiting] = [row for row in outbox_rows(app) if row.status is Delivery.PENDING]
    assert "450" in waiting.last_error
    with clock.frozen_at(clock.now() + timedelta(minutes=2)), app.app_context():
        assert outbox.deliver().sent == [waiting.id]
    assert len(smtp.to("tickets@nimbus.example")) == 1


def test_a_temporary_refusal_is_tried_for_about_a_day_before_it_fails(app, client, smtp):
    login(client, "alice")
    open_ticket(client, order="none")
    smtp.stop()
    moment = clock.now()
    for _ in range(40):
        with (
            clock.frozen_at(moment),
            app.app_context(),
            contextlib.suppress(outbox.ServerUnavailable),
        ):
            outbox.deliver()
        [row, *_] = outbox_rows(app)
        if row.status is Delivery.FAILED:
            break
        moment = row.next_attempt_at
    assert row.status is Delivery.FAILED
    assert timedelta(hours=20) < moment - row.created_at < timedelta(hours=30)


def test_a_mail_server_that_answers_slowly_holds_a_response_no_longer_than_the_budget(
    database_url, marketplace, tmp_path
):
    """Each answer comes within the timeout (10 s), the whole dialogue would take 3 s: the
    delivery after the response stops at its budget (1 s), the e-mails left to the workers."""
    slow = SlowServer(delay=0.4)
    try:
        with mail_app(
            database_url,
            marketplace,
            tmp_path,
            slow.port,
            SUPPORT_DELIVER_AFTER_REQUEST_SECONDS=1,
            SUPPORT_SMTP_TIMEOUT=10,
        ) as app:
            client = app.test_client()
            login(client, "alice")
            page = new_ticket_form(client)
            started = time.monotonic()
            response = client.post("/support/new", data={**page, **ticket_fields()})
            response.close()  # what runs after the response, as a server runs it
            took = time.monotonic() - started
            assert response.status_code == 303
            assert took < 2, f"the request and its delivery took {took:.1f} s"
            rows = outbox_rows(app)
            assert {row.status for row in rows} == {Delivery.PENDING}
            assert any("no whole answer within" in (row.last_error or "") for row in rows)
    finally:
        slow.stop()


def test_a_silent_mail_server_holds_one_response_for_the_budget_then_is_left_to_workers(
    database_url, marketplace, tmp_path
):
    silent = SilentServer()
    try:
        with mail_app(
            database_url,
            marketplace,
            tmp_path,
            silent.port,
            SUPPORT_DELIVER_AFTER_REQUEST_SECONDS=0.5,
            SUPPORT_SMTP_TIMEOUT=30,
        ) as app:
            client = app.test_client()
            login(client, "alice")
            open_ticket(client, order="o-hosting")
            first = outbox_rows(app)
            assert {row.status for row in first} == {Delivery.PENDING}
            assert all(row.attempts == 1 and "timed out" in row.last_error for row in first)
            # the process now leaves delivery to the workers: the next change is not tried
            open_ticket(client, order="o-hosting")
            later = [row for row in outbox_rows(app) if row.id not in {r.id for r in first}]
            assert len(later) == 2
            assert all(row.attempts == 0 and row.last_error is None for row in later)
    finally:
        silent.stop()
