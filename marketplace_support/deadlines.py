"""A whole exchange with another server (a webhook's POST, an e-mail's SMTP dialogue) bounded
in time, not each of its reads.

A socket's timeout counts each read: a peer that answers a line at a time, each within it,
holds the caller as long as it likes (the request it runs after, a worker's pass, past the
claim another worker then takes the row over with). :class:`Deadline` shuts the socket down
when the exchange has not ended in time; the read that waits then fails at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


class Deadline:
    """Within the block, the socket ``current()`` gives (it may change or come later: a
    connection opened inside the block) is shut down after ``seconds``; ``passed`` says
    whether it was."""

    def __init__(self, seconds: float, current: Callable[[], socket.socket | None]) -> None:
        self.seconds = seconds
        self.passed = False
        self._current = current
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _cut(self) -> None:
        self.passed = True
        sock = self._current()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def error(self) -> TimeoutError:
        """What the exchange failed with, when ``passed``."""
        return TimeoutError(f"timed out: no whole answer within {self.seconds:g} s")
