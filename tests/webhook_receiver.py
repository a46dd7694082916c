"""A webhook receiver on loopback for the tests: a real HTTP server in a thread that keeps
every request it gets, verifies nothing itself (the tests verify with ``standardwebhooks``, as
a provider would), and answers what the test tells it to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return str(self.payload["type"])

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """What ``standardwebhooks`` makes of it (raises WebhookVerificationError)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    url: str
    received: list[Delivery] = field(default_factory=list)
    #: the status each request is answered with, in turn (then 200)
    statuses: list[int] = field(default_factory=list)
    #: called with each request before it is answered (to hold it, say)
    before_answer: Callable[[Delivery], None] | None = None
    arrived: threading.Event = field(default_factory=threading.Event)

    def types(self) -> list[str]:
        return [delivery.type for delivery in self.received]

    def unique(self) -> list[Delivery]:
        """Each event once, as a receiver that files by ``webhook-id`` keeps them."""
        seen: dict[str, Delivery] = {}
        for delivery in self.received:
            seen.setdefault(delivery.id, delivery)
        return list(seen.values())


@contextmanager
def receiver(host: str = "127.0.0.1") -> Iterator[Receiver]:
    """A receiver on a free port of ``host``, stopped at the end."""
    state: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            delivery = Delivery(
                self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            me = state[0]
            me.received.append(delivery)
            me.arrived.set()
            if me.before_answer is not None:
                me.before_answer(delivery)
            status = me.statuses.pop(0) if me.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    state.append(Receiver(f"http://{host}:{server.server_address[1]}/hooks"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
