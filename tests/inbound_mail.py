"""Mail coming in, as the answers-by-e-mail tests send it: a message of tests/mail/ with its
placeholders filled, handed to ``flask support receive`` or fetched from the IMAP test server,
and what was put in quarantine."""

from __future__ import annotations

from pathlib import Path

from marketplace_support.models import InboundMail

from .helpers import stored_rows
from .imapserver import PASSWORD, USER

MAIL = Path(__file__).parent / "mail"
#: the tenant's address for answers by e-mail (``SUPPORT_REPLY_DOMAIN``)
DOMAIN = "support.example"


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
