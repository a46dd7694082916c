"""Browser fixtures: one demo marketplace served from a thread and one Chromium for the whole
session; every test gets a fresh browser context (cookies, storage) of its own.

The tests skip only when Debian's Chromium is missing (see shared NOTES: never
``playwright install``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from example_host import create_app
from example_host.models import db

from .accessibility import AXE
from .chromium import CHROMIUM, LAUNCH_ARGS
from .pages import ANNA, PHONE, TIMEOUT_MS, log_in
from .serving import RequestLog


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not Path(CHROMIUM).is_file():
        missing = f"no Chromium executable at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI must run the browser tests")
        pytest.skip(missing)
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, to run on a page (``accessibility.violations``)."""
    if not AXE.is_file():
        missing = f"axe-core is not installed at {AXE} (npm ci --prefix tests/browser/axe)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI must run the accessibility checks")
        pytest.skip(missing)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The example marketplace on a fresh SQLite file with the demo data, and a mail catcher
    of its own (on a port the system picks: never a running demo's)."""
    folder = tmp_path_factory.mktemp("browser-demo")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db",
            "MAIL_CATCHER": True,
            "MAIL_PORT": 0,
            "MAIL_CATCHER_FOLDER": str(folder / "mail"),
            # the tests open tickets as the demo's people far faster than people do
            "RATELIMIT_ENABLED": False,
        }
    )
    result = app.test_cli_runner().invoke(args=["demo", "reset"])
    assert result.exit_code == 0, result.output
    assert result.exception is None, result.exception
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def request_log(demo_app: Flask) -> RequestLog:
    return RequestLog(demo_app)


# Fixture arguments are set up in order and torn down in reverse: Chromium is looked for
# first, and the browser closes before the server stops.
@pytest.fixture(scope="session")
def base_url(chromium_executable: str, request_log: RequestLog) -> Iterator[str]:
    """The demo marketplace served on a free loopback port until the session ends."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, request_log, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the demo server thread did not stop"


@pytest.fixture(scope="session")
def playwright_driver(chromium_executable: str) -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_executable: str) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(
        executable_path=chromium_executable, headless=True, args=LAUNCH_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def anna_state(base_url: str, browser: Browser) -> dict[str, Any]:
    """Anna's logged-in cookies, so tests that are not about logging in start on her pages."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, ANNA)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def new_context(base_url: str, browser: Browser) -> Iterator[Any]:
    """``new_context(**options)``: a fresh browser context, closed after the test."""
    opened: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context: Any) -> Page:
    """A page of a fresh context without anyone logged in."""
    return new_context().new_page()


@pytest.fixture
def anna_page(new_context: Any, anna_state: dict[str, Any]) -> Page:
    """A page of a fresh context where Anna is logged in (desktop size)."""
    return new_context(storage_state=anna_state).new_page()


@pytest.fixture
def anna_phone_page(new_context: Any, anna_state: dict[str, Any]) -> Page:
    """A page of a fresh phone-sized context where Anna is logged in."""
    context = new_context(storage_state=anna_state, viewport=PHONE, is_mobile=True, has_touch=True)
    return context.new_page()
