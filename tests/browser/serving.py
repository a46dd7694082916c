"""What the test server wraps around the demo marketplace."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask


class RequestLog:
    """WSGI middleware that notes the method and path of every request the server gets, and
    can hold form posts back for a moment, as a slow network would."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []
        self.post_delay = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        if environ["REQUEST_METHOD"] == "POST" and self.post_delay:
            time.sleep(self.post_delay)
        return self.app(environ, start_response)

    @contextmanager
    def slow_posts(self, seconds: float) -> Iterator[None]:
        self.post_delay = seconds
        try:
            yield
        finally:
            self.post_delay = 0.0
