"""Fixtures: a fresh app per test on SQLite, or on PostgreSQL when SUPPORT_TEST_DATABASE_URL
names a server (a uniquely named database is created for the run and dropped after it).

Also the Hypothesis profiles, chosen by ``HYPOTHESIS_PROFILE`` (default ``ci`` when ``CI`` is set,
``dev`` otherwise): ``quick`` for ``make check``, ``dev`` for ``make test``, ``ci`` for CI.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from hypothesis import settings

from marketplace_support import MarketplaceSupport, Order, Provider, SupportBase

from .host import FakeHost, Marketplace, add_login_route
from .mailserver import MailServer, free_port

SERVER_URL = os.environ.get("SUPPORT_TEST_DATABASE_URL")

#: Two runs of the suite at once on one Redis (.ci/run runs the SQLite and the PostgreSQL pass
#: side by side) keep apart: the second sets SUPPORT_TEST_REDIS_SHIFT=3.
REDIS_SHIFT = int(os.environ.get("SUPPORT_TEST_REDIS_SHIFT", "0"))


def redis_url(database: int) -> str:
    """A Redis database the tests use alone (13, 14 or 15, less ``REDIS_SHIFT``): the tests
    empty it, so no other program's keys may live there."""
    return f"redis://127.0.0.1:6379/{database - REDIS_SHIFT}"


# Hypothesis profiles. A test asks for ``examples(n)``, n being its count under ``dev``; the other
# profiles scale n by their max_examples / 100, so each test keeps its weight (the stateful test
# runs far fewer, far costlier examples than the calendar properties). The tests keep no example
# database, so every profile prints a failure's blob for @reproduce_failure. ``ci`` builds on
# Hypothesis's own ci profile (derandomized: the same examples every run), which is what CI=true
# loaded before these profiles existed; it runs half as many examples again as ``dev`` (twice as
# many made the SQLite pass of ``.ci/run``, beside the PostgreSQL pass with ``dev``, 13 of its
# 15 minutes on a slow day).
DEV_EXAMPLES = 100
settings.register_profile(
    "quick", max_examples=DEV_EXAMPLES // 10, stateful_step_count=10, print_blob=True
)
settings.register_profile("dev", max_examples=DEV_EXAMPLES, stateful_step_count=25, print_blob=True)
settings.register_profile(
    "ci", settings.get_profile("ci"), max_examples=3 * DEV_EXAMPLES // 2, stateful_step_count=25
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


def examples(dev_count: int) -> int:
    """How many examples a test runs: ``dev_count`` under ``dev``, scaled for other profiles.

    Read when the test module is imported, so after ``--hypothesis-profile`` too.
    """
    return max(1, math.ceil(dev_count * settings().max_examples / DEV_EXAMPLES))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow too, so ``-m "not slow"`` alone leaves them out."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


def pytest_report_header() -> list[str]:
    profile = f"hypothesis profile: {settings.get_current_profile_name()}"
    if SERVER_URL is None:
        return ["database: SQLite, a new file per test", profile]
    server = sa.engine.make_url(SERVER_URL).render_as_string(hide_password=True)
    return [f"database: PostgreSQL at {server}, a fresh uniquely named database per run", profile]


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, uniquely named PostgreSQL database on ``server_url``, dropped afterwards."""
    name = f"ms_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # a test database lives no longer than its run: no commit waits for the WAL to reach
        # the disk (locking and transactions are unchanged), as SQLite's synchronous=OFF below
        connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield (
            sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def empty_database(folder: object) -> Iterator[str]:
    """A database of its own: a SQLite file in ``folder``, or a fresh PostgreSQL database."""
    if SERVER_URL is None:
        yield f"sqlite:///{folder}/own.db"
    else:
        with fresh_postgres_database(SERVER_URL) as url:
            yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    if SERVER_URL is None:
        yield None
        return
    with fresh_postgres_database(SERVER_URL) as url:
        engine = sa.create_engine(url)
        SupportBase.metadata.create_all(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_url: str) -> Iterator[sa.Engine]:
    """One connection pool for emptying the tables after each PostgreSQL test."""
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    """A real SMTP server on loopback (tests/mailserver.py), for the tests of e-mail."""
    server = MailServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def desk(app: Flask, marketplace: Marketplace) -> Any:
    """The tickets of the permission tests' cases (tests/permission_cases.py), opened as
    customers open them. test_hostile_input and test_api_schema have desks of their own."""
    from .permission_cases import open_desk

    return open_desk(app, marketplace)


@pytest.fixture
def imap_server() -> Iterator[int]:
    """A real IMAP server on loopback with one mailbox (tests/imapserver.py): its port."""
    from .imapserver import running

    with running() as port:
        yield port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server on loopback (tests/s3server.py), for the tests of
    attachments in an object store; its credentials are where boto3 looks for them."""
    from .s3server import credentials_in_environment, s3_server

    with s3_server() as endpoint, credentials_in_environment():
        yield endpoint


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with our tables, built once. A test's database starts as a copy of it:
    creating the tables anew costs one synced write per table and index, ~0.4 s a test on a
    busy disk, most of the fast tests' time."""
    path = tmp_path_factory.mktemp("schema") / "support.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    SupportBase.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(
    postgres_url: str | None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    if postgres_url is None:
        # only SQLite needs the schema file: asked for here, so a PostgreSQL run never builds it
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), tmp_path / "support.db")
        yield f"sqlite:///{tmp_path}/support.db"
        return
    cleaner = request.getfixturevalue("postgres_cleaner")
    yield postgres_url
    # DELETE, children first, rather than TRUNCATE: a test leaves a few rows, and TRUNCATE's
    # cost is per table whatever they hold (62 ms against 3 ms for the schema, measured)
    with cleaner.begin() as connection:
        for table in reversed(SupportBase.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def marketplace() -> Marketplace:
    """The test marketplace (:func:`build_marketplace`)."""
    return build_marketplace()


def build_marketplace() -> Marketplace:
    """Two tenants. In t1: customers Alice and Bob (different accounts), Pete and Pat (staff of
    the provider Nimbus), Quinn (staff of Post & Co), Olive (operator), Paul (staff only, no
    customer), Mia (customer at Acme and Nimbus staff). In t2: customer Carol, Cora (staff of
    CRM Ltd), Otto (operator)."""
    market = Marketplace()
    nimbus, post, crm = frozenset({"p-nimbus"}), frozenset({"p-post"}), frozenset({"p-crm"})
    market.add_staff("t1", "pete", provider_ids=nimbus)
    market.add_staff("t1", "pat", provider_ids=nimbus)
    market.add_staff("t1", "quinn", provider_ids=post)
    market.add_staff("t1", "olive", is_operator=True)
    market.add_staff("t1", "mia", provider_ids=nimbus, customer_id="acme")
    market.add_staff("t2", "cora", provider_ids=crm)
    market.add_staff("t2", "otto", is_operator=True)
    market.providers["t1"] = [
        Provider("p-nimbus", "Nimbus Hosting", ("tickets@nimbus.example",), "en"),
        Provider("p-post", "Post & Co", ("help@post.example",), "de"),
    ]
    market.providers["t2"] = [Provider("p-crm", "CRM Ltd", ("crm@crm.example",))]
    market.operator_emails = {"t1": ("ops@t1.example",), "t2": ("ops@t2.example",)}
    market.sites = {"t1": "https://t1.example", "t2": "https://t2.example"}
    market.add_customer("t1", "alice", "acme")
    market.add_customer("t1", "amy", "acme", locale="de")  # Alice's colleague, reads German
    market.add_customer("t1", "bob", "globex")
    market.add_customer("t2", "carol", "initech")
    market.add_staff("t1", "paul", provider_ids=frozenset({"p-other"}))  # not a customer
    market.add_order(
        "t1", "acme", Order("o-hosting", "Web hosting M", "p-nimbus", "Nimbus Hosting", "gold")
    )
    market.add_order("t1", "acme", Order("o-mail", "Mail Basic", "p-post", "Post & Co"))
    market.add_order(
        "t1", "acme", Order("o-ended", "Old backup", "p-nimbus", "Nimbus Hosting", active=False)
    )
    market.add_order("t1", "globex", Order("o-bob", "Bob's shop", "p-post", "Post & Co"))
    market.add_order("t2", "initech", Order("o-carol", "Carol's CRM", "p-crm", "CRM Ltd"))
    return market


def compile_time_settings(env: jinja2.Environment) -> tuple[object, ...]:
    """What, besides a template's source, decides the code Jinja compiles it to."""
    autoescape = getattr(env.autoescape, "__func__", env.autoescape)  # Flask's is a method
    return (
        tuple(sorted(env.extensions)),
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.finalize,
        autoescape,
        env.is_async,
        env.policies.get("ext.i18n.trimmed"),
        env.policies.get("compiler.ascii_str"),
    )


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates kept for the whole run and shared by every app the tests create.

    Each test has an app, so a Jinja environment, of its own, which compiled every template it
    rendered anew: half the fast tests' time. Code is filed under the environment's
    compile-time settings and Jinja's key (the template's name and file); Jinja checks it
    against the source's checksum, so a template edited during the run compiles again.
    """

    def __init__(self) -> None:
        self.code: dict[tuple[object, ...], bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get((*compile_time_settings(bucket.environment), bucket.key))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        key = (*compile_time_settings(bucket.environment), bucket.key)
        self.code[key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def _compile_each_template_once() -> Iterator[None]:
    """Every Flask app of the run (ours, the example host's) gets :class:`SharedTemplateCode`."""
    create = Flask.create_jinja_environment
    shared = SharedTemplateCode()

    def with_shared_code(app: Flask) -> Any:
        env = create(app)
        env.bytecode_cache = shared
        return env

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "create_jinja_environment", with_shared_code)
        yield


class ServerLikeClient(FlaskClient):
    """A test client that, like a real server, reads each response to its end and closes it,
    so what runs "after the response has gone out" (``call_on_close``) runs."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def without_waiting_for_the_disk(connection: Any, record: object) -> None:
    """A test's SQLite file lives no longer than the test, so no commit needs to wait until the
    disk has it (synchronous=OFF): locking and transactions are unchanged. A tenth of the fast
    tests' time on a busy disk."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.close()


@contextmanager
def host_app(database_url: str, marketplace: Marketplace, **config: object) -> Iterator[Flask]:
    """A host app with the test marketplace mounted; ``config`` adds or overrides keys.

    The locale is ``config["TEST_LOCALE"]`` (default English), read at every request. Rate
    limits are off (tests open tickets faster than any person), except where ``config`` sets
    ``RATELIMIT_ENABLED=True`` (tests/test_limits.py).
    """
    app = Flask("test_host")
    app.config.update(
        TESTING=True,
        SECRET_KEY="test",
        SQLALCHEMY_DATABASE_URI=database_url,
        TEST_LOCALE="en",
        MAIL_DEFAULT_SENDER="support@market.example",
        RATELIMIT_ENABLED=False,
    )
    app.config.update(config)
    app.test_client_class = ServerLikeClient
    db = SQLAlchemy()
    db.init_app(app)
    Babel(app, locale_selector=lambda: app.config["TEST_LOCALE"])
    MarketplaceSupport(app, host=FakeHost(marketplace))
    add_login_route(app, marketplace)
    with app.app_context():
        if database_url.startswith("sqlite"):
            sa.event.listen(db.engine, "connect", without_waiting_for_the_disk)
            SupportBase.metadata.create_all(db.engine)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        close_limit_storages(app)


def close_limit_storages(app: Flask) -> None:
    """Close the Redis connections of ``app``'s rate-limit counts, if it keeps them there: an
    app is held in reference cycles, and the collector, freeing it later, would find them open
    (a ResourceWarning, an error here, in whichever test it happens to run)."""
    for limiter in app.extensions.get("limiter", ()):
        client = getattr(limiter.storage, "storage", None)  # limits' Redis storages: a client
        if isinstance(client, redis.Redis):
            client.close()


@pytest.fixture
def app(database_url: str, marketplace: Marketplace, tmp_path: Path) -> Iterator[Flask]:
    with host_app(
        database_url,
        marketplace,
        SUPPORT_PAGE_SIZE=5,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "attachments"),
    ) as app:
        yield app


@pytest.fixture(autouse=True)
def _push_request_context() -> Iterator[None]:
    """Replace pytest-flask's: one request context for a whole test leaks ``g`` (the actor,
    the locale) from one client request into the next."""
    yield


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)
    parameters: list[object] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> object:
    """``with count_queries() as counter:`` counts the SQL statements our code sends."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)", statement, re.I):
                counter.statements.append(statement)
                counter.parameters.append(parameters)

        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting


def login(client, user_id: str) -> None:
    response = client.get(f"/test-login/{user_id}")
    assert response.status_code == 200
