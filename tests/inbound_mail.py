"""Mail coming in, as the answers-by-e-mail tests send it: a message of tests/mail/ with its
placeholders filled, handed to ``flask support receive`` or fetched from the IMAP test server,
and what was put in quarantine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from marketplace_support.models import InboundMail

from .conftest import host_app
from .helpers import stored_rows
from .imapserver import PASSWORD, USER
from .mailserver import MailServer, sending_to

MAIL = Path(__file__).parent / "mail"
#: the tenant's address for answers by e-mail (``SUPPORT_REPLY_DOMAIN``)
DOMAIN = "support.example"


@contextmanager
def taking_mail(
    database_url: str, marketplace, tmp_path: Path, smtp: MailServer, **config: object
) -> Iterator[Flask]:
    """The test marketplace sending its notifications to ``smtp`` and taking answers by
    e-mail on :data:`DOMAIN`; ``config`` adds or overrides keys."""
    with host_app(
        database_url,
        marketplace,
        SUPPORT_ATTACHMENT_ROOT=str(tmp_path / "files"),
        **sending_to(smtp.port),
        MAIL_DEFAULT_SENDER=("Marketplace support", "support@market.example"),
        SUPPORT_SMTP_TIMEOUT=5,
        **{"SUPPORT_REPLY_DOMAIN": DOMAIN, **config},
    ) as app:
        yield app


def fixture(name: str, **values: str) -> bytes:
    raw = (MAIL / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{" + key.encode() + b"}", value.encode())
    return raw


def receive_by_pipe(app, raw: bytes, *recipients: str):
    arguments = ["support", "receive", *(f"--recipient={r}" for r in recipients)]
    return app.test_cli_runner().invoke(args=arguments, input=raw)


def quarantined(app) -> list[InboundMail]:
    return stored_rows(app, InboundMail)


def poll(app, port: int, password: str = PASSWORD):
    arguments = ["support", "receive-imap", "--host", "127.0.0.1", "--port", str(port)]
    arguments += ["--user", USER, "--security", "none"]
    return app.test_cli_runner().invoke(args=arguments, env={"IMAP_PASSWORD": password})
