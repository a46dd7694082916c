"""A real IMAP server on loopback (pymap's in-memory backend) with one mailbox, for the tests of
``flask support receive-imap``; the ``imap_server`` fixture (conftest.py) starts one per test."""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .mailserver import free_port

USER, PASSWORD = "support", "secret"


@contextmanager
def running() -> Iterator[int]:
    """Its port, once it answers; stopped afterwards."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "pymap"), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-tls", "dict"]
    command += ["--demo-user", USER, "--demo-password", PASSWORD]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def deliver_to_mailbox(port: int, *messages: bytes) -> None:
    with imaplib.IMAP4("127.0.0.1", port) as connection:
        connection.login(USER, PASSWORD)
        for raw in messages:
            assert connection.append("INBOX", None, None, raw)[0] == "OK"


def mailbox_size(port: int) -> int:
    with imaplib.IMAP4("127.0.0.1", port) as connection:
        connection.login(USER, PASSWORD)
        return int(connection.select("INBOX")[1][0])
