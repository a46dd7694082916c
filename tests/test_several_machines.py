"""Two app processes behind one load balancer: the same database, the same bucket, the same
Redis. A customer whose requests land on either, one after the other, sees one desk: her
tickets, their files, the files kept from a refused form, what she has read, and one count of
her requests."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from .conftest import host_app, login, redis_url
from .helpers import new_ticket_form, png, ticket_fields
from .s3server import new_bucket

pytestmark = pytest.mark.slow

REDIS_URL = redis_url(13)  # a database of this module's own


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as error:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def machines(database_url, marketplace, s3_endpoint, redis_url, tmp_path):
    """Two apps as two machines would run them: nothing shared but the services."""
    shared = {
        "SUPPORT_ATTACHMENT_S3_BUCKET": new_bucket(s3_endpoint),
        "SUPPORT_ATTACHMENT_S3_ENDPOINT_URL": s3_endpoint,
        "SUPPORT_RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_ENABLED": True,
        "SUPPORT_LIMIT_OPEN_TICKETS": "3 per hour",
    }
    with ExitStack() as stack:
        apps = [
            stack.enter_context(
                host_app(
                    database_url,
                    marketplace,
                    SUPPORT_ATTACHMENT_ROOT=str(tmp_path / name),  # each its own disk
                    **shared,
                )
            )
            for name in ("first", "second")
        ]
        browser = Browser([app.test_client() for app in apps])
        first, second = browser.machine(0), browser.machine(1)
        login(first, "alice")
        yield first, second


class Browser:
    """One browser whose requests a load balancer sends to either machine: one session
    cookie, whichever machine set it last."""

    def __init__(self, clients) -> None:
        self.clients = clients
        self.session: str | None = None

    def machine(self, index: int) -> Machine:
        return Machine(self, self.clients[index])

    def open(self, client, *args, **kwargs):
        if self.session is not None:
            client.set_cookie("session", self.session)
        response = client.open(*args, **kwargs)
        cookie = client.get_cookie("session")
        self.session = cookie.value if cookie is not None else None
        return response


class Machine:
    """The browser's requests that land on one machine."""

    def __init__(self, browser: Browser, client) -> None:
        self.browser, self.client = browser, client

    def get(self, url, **kwargs):
        return self.browser.open(self.client, url, method="GET", **kwargs)

    def post(self, url, **kwargs):
        return self.browser.open(self.client, url, method="POST", **kwargs)


def send(client, files=(), **fields):
    data = {**new_ticket_form(client), **ticket_fields(**fields)}
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/support/new", data=data, content_type="multipart/form-data")


def test_a_customer_served_by_two_machines_in_turn_sees_one_desk(machines):
    first, second = machines

    opened = send(first, [("screen.png", png())], subject="Opened on the first machine")
    assert opened.status_code == 303
    ticket = opened.headers["Location"].split("?")[0]
    page = second.get(ticket).get_data(as_text=True)
    assert "Opened on the first machine" in page
    link = re.search(r'<a href="([^"]+)\?inline=1">screen.png', page).group(1)
    with second.get(link) as download:  # stored by the first, read by the second
        assert download.status_code == 200 and download.data == png()

    # a form refused on the second keeps its file; sent again, it lands on the first
    refused = send(second, [("log.txt", b"error 502\n")], subject="")
    assert refused.status_code == 422 and "Kept from your last try" in refused.get_data(
        as_text=True
    )
    again = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', refused.get_data(as_text=True)))
    again.pop("drop_draft", None)  # the box that would remove the kept file stays unticked
    again.update(ticket_fields(subject="Sent again on the first machine"))
    sent = first.post("/support/new", data=again)
    assert sent.status_code == 303, sent.get_data(as_text=True)
    assert "log.txt" in second.get(sent.headers["Location"]).get_data(as_text=True)

    # what she has read is the same on both: nothing new on either list
    first.get(ticket)
    assert "New activity" not in second.get("/support/").get_data(as_text=True)

    # her third ticket of the hour is her last, whichever machine counts it
    assert send(second, subject="Third").status_code == 303
    refused_fourth = send(first, subject="Fourth")
    assert refused_fourth.status_code == 429 and "Retry-After" in refused_fourth.headers
