"""Take the README's screenshots of the customer pages from the demo marketplace.

    python -m scripts.screenshots   # needs Debian's chromium; writes docs/screenshots/*.png

It builds a fresh demo database in a temporary folder, serves the example marketplace on a
free loopback port and drives Chromium through the pages as Anna, a demo customer.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from example_host import create_app
from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/demo.db",
                "MAIL_CATCHER": True,  # its own, on a port the system picks
                "MAIL_PORT": 0,
                "MAIL_CATCHER_FOLDER": f"{scratch}/mail",
                "RATELIMIT_ENABLED": False,  # the script opens tickets faster than people
            }
        )
        app.test_cli_runner().invoke(args=["demo", "reset"])
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
                )
                for name, viewport in (
                    ("desktop", {"width": 1280, "height": 900}),
                    ("phone", {"width": 390, "height": 844}),
                ):
                    page = browser.new_page(viewport=viewport)
                    page.goto(f"{base}/login")
                    page.get_by_role("button", name="Log in as Anna Virtanen").click()
                    page.goto(f"{base}/my/support/")
                    page.screenshot(path=OUT / f"tickets-{name}.png", full_page=True)
                    page.goto(f"{base}/my/support/new")
                    page.get_by_role("button", name="Send ticket").click()
                    page.screenshot(path=OUT / f"new-ticket-errors-{name}.png", full_page=True)
                    page.goto(f"{base}/my/support/tickets/1")
                    page.screenshot(path=OUT / f"ticket-{name}.png", full_page=True)
                    page.close()
                for who, area in (("Pia Provider", "provider"), ("Oscar Operator", "operator")):
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    page.goto(f"{base}/login")
                    page.get_by_role("button", name=f"Log in as {who}").click()
                    page.goto(f"{base}/my/support/{area}/")
                    page.screenshot(path=OUT / f"{area}-tickets-desktop.png", full_page=True)
                    number = 3 if area == "provider" else 4
                    page.goto(f"{base}/my/support/{area}/tickets/{number}")
                    page.screenshot(path=OUT / f"{area}-ticket-desktop.png", full_page=True)
                    if area == "operator":
                        page.goto(f"{base}/my/support/operator/scorecard")
                        page.screenshot(path=OUT / "scorecard-desktop.png", full_page=True)
                    page.close()
                # a customer who picked French in the marketplace's language switcher
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/login")
                page.get_by_role("button", name="Log in as Anna Virtanen").click()
                page.goto(f"{base}/my/support/tickets/1")
                page.get_by_label("Language").select_option(label="Français")
                page.locator("form.language").get_by_role("button", name="OK").click()
                page.wait_for_load_state()
                page.screenshot(path=OUT / "ticket-desktop-fr.png", full_page=True)
                page.close()
                browser.close()
        finally:
            server.shutdown()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
