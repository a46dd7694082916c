"""Rate limits: a script is refused within a few dozen requests, a person at a human pace never
is; a refused page keeps what was typed and says how long to wait, in the person's language;
tenants word their own limits; counts are shared through Redis and survive its outage."""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from flask import Flask
from flask_limiter import Limiter
from sqlalchemy import func, select

from marketplace_support import Flags, tickets
from marketplace_support.models import Attachment, OutboxMessage
from marketplace_support.rate_limits import LimitReached

from .conftest import host_app, login, redis_url
from .helpers import (
    add_information,
    form_inputs,
    new_ticket_form,
    open_ticket,
    png,
    row_counts,
    submit_ticket,
    ticket_fields,
    translated,
)
from .test_database_errors import connection_lost, failing

REDIS_URL = redis_url(14)  # a database of this test module's own


@contextmanager
def limited_app(database_url, marketplace, tmp_path, **config) -> Iterator[Flask]:
    """The test host with the module's rate limits switched on (``config`` words them)."""
    with host_app(
        database_url,
        marketplace,
        RATELIMIT_ENABLED=True,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "attachments"),
        **config,
    ) as app:
        yield app


def written(app) -> dict[str, int]:
    """Rows of every table a ticket, a message or a notification writes."""
    counts = row_counts(app)
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        for model in (Attachment, OutboxMessage):
            counts[model.__tablename__] = session.scalar(select(func.count()).select_from(model))
        session.remove()
    return counts


def reply(client, number: int, body: str, files=()):
    data = {
        **form_inputs(client.get(f"/support/tickets/{number}").get_data(as_text=True), "/reply")
    }
    data["body"] = body
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
        return client.post(
            f"/support/tickets/{number}/reply", data=data, content_type="multipart/form-data"
        )
    return client.post(f"/support/tickets/{number}/reply", data=data)


def send_ticket_with_files(client, files):
    data = {**new_ticket_form(client), **ticket_fields()}
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/support/new", data=data, content_type="multipart/form-data")


def assert_refused_with_retry_after(response) -> int:
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert retry_after > 0
    assert int(response.headers["X-RateLimit-Remaining"]) == 0
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    return retry_after


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# -- the defaults -----------------------------------------------------------------------------


def test_a_script_opening_tickets_in_a_loop_is_refused_within_a_few_dozen_requests(
    database_url, marketplace, tmp_path
):
    with limited_app(database_url, marketplace, tmp_path) as app:
        client = app.test_client()
        login(client, "alice")
        statuses = [submit_ticket(client, subject=f"Spam {i}").status_code for i in range(36)]
        assert 429 in statuses
        first_refused = statuses.index(429)
        assert set(statuses[:first_refused]) == {303}
        assert set(statuses[first_refused:]) == {429}, "refused until the window ends"
        assert written(app)["support_ticket"] == first_refused
        assert_refused_with_retry_after(submit_ticket(client, subject="Once more"))


def test_a_script_replying_in_a_loop_is_refused_within_a_few_dozen_requests(
    database_url, marketplace, tmp_path
):
    with limited_app(database_url, marketplace, tmp_path) as app:
        client = app.test_client()
        login(client, "alice")
        number = open_ticket(client)
        statuses = [add_information(client, number, f"Hello {i}").status_code for i in range(36)]
        assert 429 in statuses
        assert set(statuses[: statuses.index(429)]) == {303}


def test_a_customer_at_a_human_pace_is_never_refused(database_url, marketplace, tmp_path):
    """Three tickets, one with screenshots, and a few replies in the same minute: more than
    anyone writes by hand."""
    with limited_app(database_url, marketplace, tmp_path) as app:
        client = app.test_client()
        login(client, "alice")
        first = send_ticket_with_files(client, [("a.png", png()), ("b.png", png())])
        assert first.status_code == 303
        numbers = [open_ticket(client, subject="Mail bounces", order="o-mail"), open_ticket(client)]
        for number in numbers:
            for body in ("Here is more information.", "It happens again now."):
                assert add_information(client, number, body).status_code == 303
        assert reply(client, numbers[0], "A log", [("log.txt", b"error\n")]).status_code == 303
        staff = app.test_client()
        login(staff, "pete")
        for _ in range(3):
            page = staff.get("/support/provider/tickets/1").get_data(as_text=True)
            data = {**form_inputs(page, "/compose"), "kind": "reply", "body": "We are on it."}
            assert staff.post("/support/provider/tickets/1/compose", data=data).status_code == 303


# -- what a refused person sees ------------------------------------------------------------


def test_a_refused_new_ticket_keeps_what_was_typed_and_says_why_in_german(
    database_url, marketplace, tmp_path
):
    with limited_app(
        database_url,
        marketplace,
        tmp_path,
        TEST_LOCALE="de",
        SUPPORT_LIMIT_OPEN_TICKETS="1 per hour",
    ) as app:
        client = app.test_client()
        login(client, "alice")
        open_ticket(client)
        before = written(app)
        response = submit_ticket(
            client,
            subject="Rechnung fehlt",
            issue_about="Die Rechnung für März ist nicht im Konto.",
            expected_outcome="Die Rechnung erscheint.",
        )
        retry_after = assert_refused_with_retry_after(response)
        page = text_of(response)
        assert 'value="Rechnung fehlt"' in page
        assert "Die Rechnung für März ist nicht im Konto.</textarea>" in page
        assert "Die Rechnung erscheint.</textarea>" in page
        said = translated("de", "You sent many tickets in a short time.")
        assert said != "You sent many tickets in a short time." and said in page
        minutes = -(-retry_after // 60)
        assert re.search(rf"\b{minutes} Minuten\b", page)
        assert written(app) == before


def test_a_request_that_failed_half_way_counts_nowhere(database_url, marketplace, tmp_path):
    """The database fails while the ticket is written ("nothing was saved", 503): trying
    again is not refused for the tries that wrote nothing (a failover, a deadlock)."""
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_OPEN_TICKETS="1 per hour"
    ) as app:
        client = app.test_client()
        login(client, "alice")
        with failing(app, r"\s*INSERT INTO support_ticket\b", connection_lost, times=2):
            for _ in range(2):
                assert submit_ticket(client).status_code == 503
        assert written(app)["support_ticket"] == 0
        assert submit_ticket(client).status_code == 303
        assert_refused_with_retry_after(submit_ticket(client))  # and the limit still holds


def test_a_refused_reply_keeps_its_text_and_nothing_is_written(database_url, marketplace, tmp_path):
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_REPLIES="2 per hour"
    ) as app:
        client = app.test_client()
        login(client, "alice")
        number = open_ticket(client)
        assert add_information(client, number, "First").status_code == 303
        assert add_information(client, number, "Second").status_code == 303
        before = written(app)
        response = add_information(client, number, "The third thing I wanted to say")
        assert_refused_with_retry_after(response)
        page = text_of(response)
        assert "The third thing I wanted to say</textarea>" in page
        assert re.search(
            r"You sent many messages in a short time\. Please wait \d+ minutes and send again\.",
            page,
        )
        assert written(app) == before


def test_a_refused_staff_reply_keeps_its_text(database_url, marketplace, tmp_path):
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_STAFF_MESSAGES="1 per minute"
    ) as app:
        customer = app.test_client()
        login(customer, "alice")
        number = open_ticket(customer)
        staff = app.test_client()
        login(staff, "pete")
        url = f"/support/provider/tickets/{number}"
        for body, status in (("On it.", 303), ("Found the cause: a full disk.", 429)):
            page = staff.get(url).get_data(as_text=True)
            data = {**form_inputs(page, "/compose"), "kind": "reply", "body": body}
            response = staff.post(f"{url}/compose", data=data)
            assert response.status_code == status
        assert "Found the cause: a full disk.</textarea>" in text_of(response)
        assert "Please wait" in text_of(response)


def test_emergency_reports_are_limited_and_the_report_is_kept(database_url, marketplace, tmp_path):
    with limited_app(
        database_url,
        marketplace,
        tmp_path,
        SUPPORT_EMERGENCIES_ALLOWED=True,
        SUPPORT_LIMIT_EMERGENCIES="1 per day",
    ) as app:
        client = app.test_client()
        login(client, "alice")
        numbers = [open_ticket(client), open_ticket(client, order="o-mail")]
        statuses = []
        for number in numbers:
            page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
            data = {**form_inputs(page, "/raise_emergency"), "explanation": "All mail is down"}
            response = client.post(f"/support/tickets/{number}/raise_emergency", data=data)
            statuses.append(response.status_code)
        assert statuses == [303, 429]
        page = text_of(response)
        assert "You reported many emergencies in a short time." in page
        assert "All mail is down</textarea>" in page


def test_files_count_one_by_one(database_url, marketplace, tmp_path):
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_UPLOADS="3 per hour"
    ) as app:
        client = app.test_client()
        login(client, "alice")
        assert (
            send_ticket_with_files(client, [("a.png", png()), ("b.png", png())]).status_code == 303
        )
        before = written(app)
        two_more = reply(client, 1, "Two more screenshots", [("c.png", png()), ("d.png", png())])
        assert two_more.status_code == 429
        assert "You sent many files in a short time." in text_of(two_more)
        # a request over a limit writes nothing: its files are not kept for the next try either
        assert "Your files were not kept: attach them again when you send it." in text_of(two_more)
        assert "Kept from your last try" not in text_of(two_more)
        assert written(app) == before
        assert reply(client, 1, "One more screenshot", [("c.png", png())]).status_code == 303
        assert written(app)["support_attachment"] == 3


def stored_files(tmp_path) -> int:
    return sum(1 for path in (tmp_path / "attachments").rglob("*") if path.is_file())


def test_files_kept_from_a_refused_form_count_against_the_limit_once(
    database_url, marketplace, tmp_path
):
    """A file kept for the next try is stored at once: it counts then, and not again when the
    form is sent with it. A script sending refused forms with files in a loop (each with a new
    key) stops storing them at the limit."""
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_UPLOADS="3 per hour"
    ) as app:
        client = app.test_client()
        login(client, "alice")
        number = open_ticket(client)
        page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
        form = {**form_inputs(page, "/reply"), "body": ""}
        two = [(io.BytesIO(png()), "a.png"), (io.BytesIO(png()), "b.png")]
        refused = client.post(f"/support/tickets/{number}/reply", data={**form, "attachments": two})
        assert refused.status_code == 422
        assert "Kept from your last try" in text_of(refused)
        assert written(app)["support_draft_file"] == 2
        # sent again with the two kept files: they were counted when kept
        again = {**form_inputs(refused.get_data(as_text=True), "/reply"), "body": "Here they are"}
        assert client.post(f"/support/tickets/{number}/reply", data=again).status_code == 303
        assert written(app)["support_attachment"] == 2
        assert reply(client, number, "One more", [("c.png", png())]).status_code == 303
        files_before, before = stored_files(tmp_path), written(app)
        for _ in range(3):  # the limit is spent: refused forms keep nothing more
            page = client.get(f"/support/tickets/{number}").get_data(as_text=True)
            one = [(io.BytesIO(png()), "d.png")]
            data = {**form_inputs(page, "/reply"), "body": "", "attachments": one}
            response = client.post(f"/support/tickets/{number}/reply", data=data)
            assert_refused_with_retry_after(response)
            assert "You sent many files in a short time." in text_of(response)
        assert written(app) == before and stored_files(tmp_path) == files_before


# -- who words the limits, and whose counts they are ---------------------------------------


def test_a_tenant_words_its_own_limits(database_url, marketplace, tmp_path):
    marketplace.flags["t1"] = replace(Flags(), limit_open_tickets="2 per hour")
    with limited_app(database_url, marketplace, tmp_path) as app:
        alice, carol = app.test_client(), app.test_client()
        login(alice, "alice")
        login(carol, "carol")
        assert [submit_ticket(alice).status_code for _ in range(3)] == [303, 303, 429]
        for _ in range(3):  # t2 keeps the defaults
            assert submit_ticket(carol, order="o-carol").status_code == 303


def test_a_tenants_limit_that_is_not_a_limit_string_falls_back_to_the_configured_one(
    database_url, marketplace, tmp_path, caplog
):
    marketplace.flags["t1"] = replace(Flags(), limit_open_tickets="twice a fortnight")
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_OPEN_TICKETS="2 per hour"
    ) as app:
        client = app.test_client()
        login(client, "alice")
        assert [submit_ticket(client).status_code for _ in range(3)] == [303, 303, 429]
    assert "Flags.limit_open_tickets='twice a fortnight' is not a limit string" in caplog.text


def test_an_empty_limit_means_none(database_url, marketplace, tmp_path):
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_OPEN_TICKETS="", SUPPORT_LIMIT_UPLOADS=""
    ) as app:
        client = app.test_client()
        login(client, "alice")
        assert {submit_ticket(client).status_code for _ in range(12)} == {303}


def test_the_tenant_wide_limit_counts_every_customer_of_the_tenant(
    database_url, marketplace, tmp_path
):
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_OPEN_TICKETS_TENANT="3 per hour"
    ) as app:
        alice, bob, carol = app.test_client(), app.test_client(), app.test_client()
        for client, user in ((alice, "alice"), (bob, "bob"), (carol, "carol")):
            login(client, user)
        assert [submit_ticket(alice).status_code for _ in range(2)] == [303, 303]
        assert submit_ticket(bob, order="o-bob").status_code == 303
        refused = submit_ticket(bob, order="o-bob", subject="Shop offline")
        assert_refused_with_retry_after(refused)
        page = text_of(refused)
        assert "Support receives an unusual number of requests right now." in page
        assert "You sent many" not in page  # Bob sent one ticket: it is not his doing
        assert submit_ticket(carol, order="o-carol").status_code == 303  # another tenant


def test_the_use_case_holds_the_limit_for_every_channel(database_url, marketplace, tmp_path):
    """An e-mail intake or the API opens tickets through the same use-case, without a page."""
    with limited_app(
        database_url, marketplace, tmp_path, SUPPORT_LIMIT_OPEN_TICKETS="2 per hour"
    ) as app:
        tenant, alice = marketplace.actors["alice"]
        forms = [{**ticket_fields(), "submission_key": f"mail-{i:016d}"} for i in range(3)]
        with app.test_request_context():
            for form in forms[:2]:
                tickets.open_ticket(tenant, alice, form)
            with pytest.raises(LimitReached) as reached:
                tickets.open_ticket(tenant, alice, forms[2])
        assert reached.value.retry_after > 0
        assert written(app)["support_ticket"] == 2


def test_limits_that_are_not_limit_strings_stop_the_app_at_start(database_url, marketplace):
    with (
        pytest.raises(RuntimeError, match="SUPPORT_LIMIT_REPLIES"),
        host_app(database_url, marketplace, SUPPORT_LIMIT_REPLIES="many per hour"),
    ):
        pass


def test_a_hosts_own_flask_limiter_keeps_its_limits_and_counts(database_url, marketplace, tmp_path):
    """The host limits every page with a Limiter of its own; ours counts apart and never
    applies the host's limits a second time."""
    with limited_app(
        database_url,
        marketplace,
        tmp_path,
        RATELIMIT_DEFAULT="100 per hour",
        RATELIMIT_HEADERS_ENABLED=True,
        SUPPORT_LIMIT_OPEN_TICKETS="1 per hour",
    ) as app:
        hosts = Limiter(lambda: "everyone", app=app, storage_uri="memory://")
        assert hosts in app.extensions["limiter"] and len(app.extensions["limiter"]) == 2
        client = app.test_client()
        login(client, "alice")
        remaining = [
            client.get("/support/").headers.getlist("X-RateLimit-Remaining") for _ in range(3)
        ]
        assert remaining == [["99"], ["98"], ["97"]]  # the host's one limit, counted once
        assert submit_ticket(client).status_code == 303
        refused = submit_ticket(client)
        assert refused.status_code == 429
        assert "You sent many tickets in a short time." in text_of(refused)


# -- where the counts are kept ---------------------------------------------------------------


@pytest.fixture
def redis_database() -> Iterator[str]:
    """Our own database of the machine's Redis, empty before and after the test."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as error:
        missing = f"no Redis at {REDIS_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI must test the shared counts")
        pytest.skip(missing)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


def test_two_app_processes_share_the_counts_through_redis(
    database_url, marketplace, tmp_path, redis_database
):
    config = {
        "SUPPORT_RATELIMIT_STORAGE_URI": redis_database,
        "SUPPORT_LIMIT_OPEN_TICKETS": "3 per hour",
    }
    with (
        limited_app(database_url, marketplace, tmp_path, **config) as one,
        limited_app(database_url, marketplace, tmp_path, **config) as other,
    ):
        first, second = one.test_client(), other.test_client()
        login(first, "alice")
        login(second, "alice")
        assert [submit_ticket(first).status_code for _ in range(2)] == [303, 303]
        assert submit_ticket(second).status_code == 303
        assert_refused_with_retry_after(submit_ticket(second))
        assert_refused_with_retry_after(submit_ticket(first))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_redis_does_not_stop_a_customer(database_url, marketplace, tmp_path):
    with limited_app(
        database_url,
        marketplace,
        tmp_path,
        SUPPORT_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}/0",
        SUPPORT_LIMIT_OPEN_TICKETS="2 per hour",
    ) as app:
        client = app.test_client()
        login(client, "alice")
        number = open_ticket(client)
        assert add_information(client, number, "Still there?").status_code == 303
        # meanwhile each process keeps counting on its own
        assert [submit_ticket(client).status_code for _ in range(2)] == [303, 429]


@contextmanager
def trickling_redis() -> Iterator[int]:
    """The tests' Redis behind a proxy that passes each of its answers on one byte every 0.3
    s: each read comes within the client's socket timeout (1 s), the answers are right, and
    each takes a second or more."""
    listener = socket.create_server(("127.0.0.1", 0))
    stopped = threading.Event()

    def forward(source: socket.socket, target: socket.socket, slowly: bool) -> None:
        with contextlib.suppress(OSError):
            while not stopped.is_set() and (chunk := source.recv(65536)):
                for byte in chunk if slowly else [chunk]:
                    if slowly and stopped.wait(0.3):
                        return
                    target.sendall(bytes([byte]) if slowly else byte)

    def serve() -> None:
        while not stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", 6379))
            for source, target, slowly in ((client, server, False), (server, client, True)):
                threading.Thread(target=forward, args=(source, target, slowly), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stopped.set()
        listener.close()


def test_a_redis_answering_a_byte_at_a_time_holds_a_customer_a_moment_only(
    database_url, marketplace, tmp_path
):
    with (
        trickling_redis() as port,
        limited_app(
            database_url,
            marketplace,
            tmp_path,
            SUPPORT_RATELIMIT_STORAGE_URI=REDIS_URL.replace(":6379/", f":{port}/"),
        ) as app,
    ):
        client = app.test_client()
        login(client, "alice")
        started = time.monotonic()
        assert submit_ticket(client).status_code == 303
        took = time.monotonic() - started
    assert took < 4, f"opening a ticket took {took:.1f} s"
