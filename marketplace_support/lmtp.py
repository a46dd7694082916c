"""An LMTP server (aiosmtpd) that takes answers by e-mail from the host's mail server:
``flask support receive-smtp``.

Each message is handed to ``inbound.receive`` once, in an app context of its own, in a worker
thread (the database is not asked from the event loop). Every recipient is answered
``250`` when the message was taken or quarantined, or ``451`` when the database could not be
reached or something unexpected went wrong (the mail server keeps the message and tries
again: nothing is lost). Any number of these servers may run at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from flask import Flask

from . import inbound


class Handler:
    """aiosmtpd's handler: one ``inbound.receive`` per message."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode("utf-8", "surrogateescape")
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(None, self._receive, raw, recipients)
        except Exception:
            self.app.logger.exception("an answer by e-mail could not be taken in")
            status = "451 4.3.0 Temporary failure, please try again later"
        else:
            status = f"250 2.0.0 {outcome.result.value}"
        # LMTP answers DATA once per recipient
        return "\r\n".join(status for _ in recipients)

    def _receive(self, raw: bytes, recipients: list[str]) -> inbound.Outcome:
        with self.app.app_context():
            return inbound.receive(raw, recipients)


class LMTPController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP."""

    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def server(app: Flask, host: str, port: int) -> LMTPController:
    """An LMTP server for ``app`` on ``host``:``port`` (not started yet)."""
    size = int(app.config["SUPPORT_INBOUND_MAX_SIZE"])
    # messages somewhat over the limit still come in, to be quarantined with the reason
    return LMTPController(
        Handler(app), hostname=host, port=port, data_size_limit=size * 2, enable_SMTPUTF8=True
    )
