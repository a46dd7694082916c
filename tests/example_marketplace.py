"""The example marketplace, for the tests of the example host itself: one with the demo data on
a database of its own, its login, and the CSRF token of its pages."""

from __future__ import annotations

import re
from contextlib import contextmanager

from example_host import create_app
from example_host.models import db

from .conftest import empty_database


@contextmanager
def demo_marketplace(folder):
    """The example marketplace with the demo data, on a database of its own; it sends no mail."""
    with empty_database(folder) as url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "TESTING": True,
                "MAIL_CATCHER": False,
                "MAIL_SUPPRESS_SEND": True,
            }
        )
        result = app.test_cli_runner().invoke(args=["demo", "reset"])
        assert result.exit_code == 0, result.output
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, email):
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": "demo"})
    assert response.status_code == 303
