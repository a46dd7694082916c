"""A real SMTP server on loopback (aiosmtpd) for the notification tests, which can also
refuse recipients or be down."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def sending_to(port: int) -> dict[str, object]:
    """The config of a test app that sends its e-mails to the mail server on ``port``, at once
    (not suppressed as in testing)."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MailServer:
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    #: addresses answered with 550
    refuse: set[str] = field(default_factory=set)
    #: addresses answered "450 Greylisted" the first time they are tried (as greylisting
    #: servers do with a sender they have not seen), then accepted
    greylist: set[str] = field(default_factory=set)
    controller: Controller | None = None
    #: while set, a recipient is not answered (the sender waits, as on a stalled server);
    #: ``holding`` is set when one waits
    hold: threading.Event | None = None
    holding: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        while self.hold is not None and self.hold.is_set():
            self.holding.set()
            await asyncio.sleep(0.05)
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        if address in self.greylist:
            self.greylist.discard(address)
            return "450 4.2.0 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if address in str(m["To"])]

    def mailbox(self, address: str) -> list[EmailMessage]:
        """What the recipient's mailbox shows: messages filed once per Message-ID."""
        seen: dict[str, EmailMessage] = {}
        for message in self.to(address):
            seen.setdefault(str(message["Message-ID"]), message)
        return list(seen.values())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part else ""


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    return part.get_content() if part else ""


class SilentServer:
    """A mail server that accepts connections and never says a word: what a hung server looks
    like from the outside."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = int(self.socket.getsockname()[1])

    def stop(self) -> None:
        self.socket.close()


class SlowServer:
    """A mail server that answers every command rightly, each after ``delay`` seconds: each
    read is quick enough, the whole dialogue is not."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = int(self.socket.getsockname()[1])
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(connection,), daemon=True).start()

    def _say(self, connection: socket.socket, line: bytes) -> None:
        if not self.stopped.wait(self.delay):
            connection.sendall(line)

    def _talk(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError), connection, connection.makefile("rb") as lines:
            self._say(connection, b"220 slow.example ESMTP\r\n")
            in_data = False
            for line in lines:
                if in_data:
                    if line in (b".\r\n", b".\n"):
                        in_data = False
                        self._say(connection, b"250 queued\r\n")
                    continue
                verb = line[:4].upper()
                if verb == b"DATA":
                    in_data = True
                    self._say(connection, b"354 go on\r\n")
                elif verb == b"QUIT":
                    self._say(connection, b"221 bye\r\n")
                    return
                else:
                    self._say(connection, b"250 ok\r\n")

    def stop(self) -> None:
        self.stopped.set()
        self.socket.close()
