"""Turning an outbox row into an e-mail, in the recipient's language, and sending it over SMTP
with Flask-Mail.

Flask-Mail opens its SMTP connection without a timeout; a mail server that hangs would hold a
worker (or the request that delivers right after itself) for ever, so the connection here is
Flask-Mail's with a timeout (``SUPPORT_SMTP_TIMEOUT`` seconds).
"""

from __future__ import annotations

import smtplib
import socket
import time
from email.utils import parseaddr
from types import TracebackType
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_mail import Connection, Mail, Message

from . import replies
from .deadlines import Deadline
from .i18n import localiser
from .models import OutboxMessage
from .notifications import Notification, one_line
from .priorities import Priority
from .replies import Kind
from .state import support
from .workflow import Role


class PermanentFailure(Exception):
    """The mail server refused the message for good (5xx): retrying will not help."""


class TemporaryFailure(Exception):
    """The mail server refused the message for now (4xx: greylisting, a full mailbox, a
    server busy): another try later may succeed."""


class ConnectionProblem(Exception):
    """The mail server could not be reached, or did not answer in time."""

    def __init__(self, problem: Exception) -> None:
        super().__init__(str(problem))
        self.problem = problem


def compose(row: OutboxMessage) -> Message:
    """The e-mail of an outbox row: text and HTML, in the row's language.

    Raises: PermanentFailure when no sender is configured.
    """
    address = _sender_address()
    if not address:
        raise PermanentFailure("no sender: set SUPPORT_MAIL_SENDER or MAIL_DEFAULT_SENDER")
    payload = dict(row.payload)
    answer_at = _answer_addresses(row)
    with force_locale(row.locale):
        # the marketplace's own name, as it words it for the reader's language
        sender_name = one_line(support.plain_text(row.tenant_id, "operator_name"))
        if payload.get("handler_name") is None:
            payload["handler_name"] = sender_name
        notification = Notification(row.notification)
        subject = str(notification.subject) % {
            "number": payload["number"],
            "subject": payload["subject"],
            "handler": payload["handler_name"],
        }
        context: dict[str, Any] = {
            "p": payload,
            "priority_label": lambda value: Priority(value).label,
            "footer": support.plain_text(row.tenant_id, "email_footer"),
            "locale": row.locale,
            "reply_by_mail": Kind.REPLY in answer_at,
            "note_address": answer_at.get(Kind.NOTE),
        }
        # rendered without the app's context processors: a host's may need a request, and
        # workers have none. The text part is not HTML: its strings are not escaped.
        templates = current_app.jinja_env
        local = localiser()
        text = templates.get_template(notification.template("txt")).render(
            _ms=local.gettext, **context
        )
        html = templates.get_template(notification.template("html")).render(
            _ms=local.markup, **context
        )
    message = Message(
        subject=one_line(subject)[:250],
        recipients=[(row.recipient_name, row.recipient) if row.recipient_name else row.recipient],
        body=text,
        html=html,
        sender=(sender_name, address) if sender_name else address,
        extra_headers={"Content-Language": row.locale},
    )
    domain = address.rsplit("@", 1)[-1] or "marketplace-support"
    # the same id at every try: a mail sent twice (a worker died before it could mark it
    # sent) is one message to mailboxes that file by Message-ID
    message.msgId = f"<support-{row.tenant_id}-{row.id}@{domain}>"
    _thread(message, row, domain, answer_at)
    return message


def _answer_addresses(row: OutboxMessage) -> dict[Kind, str]:
    """The addresses this e-mail may be answered at (none when replies by e-mail are off,
    or for a reader who may not answer): an internal note is answered with a note, and
    staff are offered the note address beside the reply."""
    reply_as = row.payload.get("reply_as")
    if not reply_as or row.ticket_id is None or replies.domain() is None:
        return {}
    kinds = (
        [Kind.REPLY, Kind.NOTE] if replies.offers_notes(Role(reply_as["role"])) else [Kind.REPLY]
    )
    return {kind: address for kind in kinds if (address := replies.make(kind, row.id))}


def _thread(message: Message, row: OutboxMessage, domain: str, answer_at: dict[Kind, str]) -> None:
    """Headers that keep a ticket's e-mails in one thread, and where answers go."""
    headers = message.extra_headers
    assert headers is not None
    if row.ticket_id is not None:
        thread = replies.thread_id(row.tenant_id, row.ticket_id, domain)
        headers.update({"In-Reply-To": thread, "References": thread})
    if answer_at:
        # an internal note's e-mail is answered with a note: never to the customer
        first = Kind.NOTE if row.notification == Notification.INTERNAL_NOTE else Kind.REPLY
        message.reply_to = answer_at.get(first, answer_at[Kind.REPLY])


def _sender_address() -> str:
    """The address notifications come from (its name is the marketplace's, per tenant)."""
    configured = (
        current_app.config["SUPPORT_MAIL_SENDER"] or current_app.extensions["mail"].default_sender
    )
    if isinstance(configured, tuple | list):
        configured = configured[1] if len(configured) > 1 else ""
    return parseaddr(str(configured or ""))[1]


class _Connection(Connection):
    def __init__(self, mail: Mail, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout
        #: the connection being opened (its socket is there before the server's greeting)
        self.opening: smtplib.SMTP | None = None

    def socket(self) -> socket.socket | None:
        """The socket of the connection, open or being opened (for a :class:`Deadline`)."""
        host = getattr(self, "host", None) or self.opening
        return host.sock if host is not None else None

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        mail, timeout = self.mail, self.timeout
        kind = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
        host = kind(timeout=timeout)  # not connected yet: its socket is watched from the start
        self.opening = host
        host.connect(mail.server, mail.port)
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


class Mailer:
    """One SMTP connection for a batch of rows, opened on the first send. Each send, with the
    connection's opening where it comes first, takes at most ``timeout`` seconds
    (``SUPPORT_SMTP_TIMEOUT`` by default) in all, not each read (``deadlines``), and never
    runs past ``until`` (``time.monotonic()``; a pass after a response: its few seconds)."""

    def __init__(self, timeout: float | None = None, until: float | None = None) -> None:
        self.mail: Mail = current_app.extensions["mail"]
        self.timeout = (
            float(current_app.config["SUPPORT_SMTP_TIMEOUT"]) if timeout is None else timeout
        )
        self.until = until
        self.connection: _Connection | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.reset()

    def reset(self) -> None:
        """Drop the connection (after an error, the next send opens a new one)."""
        if self.connection is not None and self.connection.host is not None:
            try:
                self.connection.host.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.host.close()
        self.connection = None

    def send(self, row: OutboxMessage) -> None:
        """Raises: ConnectionProblem (the server cannot be reached or does not answer),
        PermanentFailure (5xx, or no sender), TemporaryFailure (4xx), another OSError or
        SMTPException (the connection broke: worth another try), or whatever composing the
        e-mail raised (the row can never be sent)."""
        message = compose(row)
        seconds = self.timeout
        if self.until is not None:
            seconds = max(0.1, min(seconds, self.until - time.monotonic()))
        connection = self.connection or _Connection(self.mail, self.timeout)
        with Deadline(seconds, connection.socket) as deadline:
            try:
                self._send(connection, message)
            except ConnectionProblem as problem:  # while it was being opened
                if deadline.passed:
                    raise ConnectionProblem(deadline.error()) from problem
                raise
            except (OSError, smtplib.SMTPException) as problem:
                if deadline.passed:
                    raise deadline.error() from problem
                raise

    def _send(self, connection: _Connection, message: Message) -> None:
        if self.connection is None:
            try:
                connection.host = None if self.mail.suppress else connection.configure_host()
            except (OSError, smtplib.SMTPException) as problem:
                raise ConnectionProblem(problem) from problem
            self.connection = connection
        try:
            connection.send(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(str(refused.recipients)) from refused
            raise TemporaryFailure(str(refused.recipients)) from refused
        except smtplib.SMTPResponseException as response:
            reason = f"{response.smtp_code} {response.smtp_error!r}"
            if response.smtp_code >= 500:
                raise PermanentFailure(reason) from response
            if response.smtp_code >= 400:
                raise TemporaryFailure(reason) from response
            raise
