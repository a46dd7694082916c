"""Answers by e-mail from an IMAP mailbox, for hosts on hosted mail: ``flask support
receive-imap``.

One pass logs in, reads every message of the mailbox (oldest first, at most ``batch``), hands
each to ``inbound.receive`` and deletes it once it was taken, found to be a duplicate, dropped
as automatic, counted as a bounce or kept in quarantine (the quarantine keeps it, not the
mailbox). When a message cannot be taken in now (the database cannot be reached), the pass
stops and leaves it, and every message after it, in the mailbox for the next pass. Several
pollers may read one mailbox at once: a message two of them take is stored once
(``inbound``'s delivery key), and each deletes it.
"""

from __future__ import annotations

import enum
import imaplib
import ssl
from dataclasses import dataclass, field
from typing import Any

from . import inbound


class Security(enum.StrEnum):
    #: TLS from the first byte (port 993)
    TLS = "tls"
    #: a plain connection upgraded with STARTTLS (port 143)
    STARTTLS = "starttls"
    #: no encryption: only for a server on the same machine
    NONE = "none"


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    security: Security = Security.TLS
    timeout: float = 30.0


@dataclass
class Pass:
    """What one pass did: how many messages it took and what became of them."""

    outcomes: list[inbound.Outcome] = field(default_factory=list)
    #: a message could not be taken in now; it and the rest wait for the next pass
    stopped: str | None = None


class MailboxError(Exception):
    """The IMAP server refused a command (login, select, fetch, delete)."""


def poll(box: Mailbox, batch: int = 100) -> Pass:
    """One pass over the mailbox, in the caller's app context.

    Raises: MailboxError, OSError (the server cannot be reached), imaplib.IMAP4.error.
    """
    report = Pass()
    with _connect(box) as connection:
        _ok(connection.login(box.user, box.password), "login")
        _ok(connection.select(_quoted(box.mailbox)), "select")
        found = _ok(connection.uid("SEARCH", "UNDELETED"), "search")[0].split()[:batch]
        uids = [uid.decode("ascii") for uid in found]
        for uid in uids:
            raw = _fetch(connection, uid)
            if raw is None:  # another poller took it meanwhile
                continue
            try:
                report.outcomes.append(inbound.receive(raw))
            except Exception as problem:  # the message stays for the next pass
                report.stopped = f"{type(problem).__name__}: {problem}"
                break
            _ok(connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "delete")
        _ok(connection.expunge(), "expunge")
    return report


def _connect(box: Mailbox) -> imaplib.IMAP4:
    if box.security is Security.TLS:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context, timeout=box.timeout)
    connection = imaplib.IMAP4(box.host, box.port, timeout=box.timeout)
    if box.security is Security.STARTTLS:
        connection.starttls(ssl.create_default_context())
    return connection


def _fetch(connection: imaplib.IMAP4, uid: str) -> bytes | None:
    """The message ``uid`` as it is stored (not marked as read), or None when it is gone."""
    data = _ok(connection.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _ok(answer: tuple[str, list[Any]], command: str) -> list[Any]:
    kind, data = answer
    if kind != "OK":
        raise MailboxError(f"{command}: {kind} {data!r}")
    return data


def _quoted(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
