"""A small but real service marketplace that mounts marketplace_support, as any host would.

Run it with ``make demo``; ``create_app`` is what ``flask --app example_host`` finds.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from marketplace_support import MarketplaceSupport, add_version_location, include_host_object

from .accounts import current_account, login_manager
from .adapter import ExampleHost
from .models import db

#: The languages the marketplace offers (the module ships all of them), by their own names.
LANGUAGES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "nl": "Nederlands",
}

#: How far above the app's port the demo's mail catcher listens when MAIL_PORT is not set.
MAIL_PORT_ABOVE_APP = 20

support = MarketplaceSupport(host=ExampleHost())
migrate = Migrate(include_object=include_host_object, render_as_batch=True)
migrate.configure(add_version_location)


class _Marketplace(Flask):
    """Flask, whose stylesheet asked for by its digest a browser keeps for a year (a page view
    then asks for the page alone), as the support module's own files."""

    #: the digest of the stylesheet's bytes, which ``layout.html`` links it with
    layout_css_digest = ""

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        if filename == "layout.css" and request.args.get("v") == self.layout_css_digest:
            return 365 * 24 * 3600
        return super().get_send_file_max_age(filename)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = _Marketplace(__name__, instance_relative_config=True)
    layout_css = Path(app.static_folder or "") / "layout.css"
    app.layout_css_digest = hashlib.sha256(layout_css.read_bytes()).hexdigest()[:16]
    app.jinja_env.globals["layout_css_digest"] = app.layout_css_digest
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "demo-only-not-secret"),
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'example.db'}"
        ),
        DEFAULT_TENANT="nordic",
        SUPPORT_URL_PREFIX="/my/support",
        SUPPORT_BASE_TEMPLATE="example_host/layout.html",
        # notifications go to the demo's own mail catcher (see mailcatcher.py)
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=_mail_port(),
        MAIL_DEFAULT_SENDER=("Marketplace support", "support@marketplace.example"),
        MAIL_CATCHER=os.environ.get("DEMO_MAIL_CATCHER") == "1",
        # links in e-mails sent outside a request (the demo data's) point here
        SITE_URL=os.environ.get("SITE_URL"),
    )
    app.config.update(config or {})
    if app.config["MAIL_CATCHER"]:
        from . import mailcatcher

        # before the extensions read the mail settings: with MAIL_PORT 0 the system picks
        # the catcher's port, and the catcher sets MAIL_PORT to it
        mailcatcher.start(app)
        # e-mails can be answered from the catcher's pages (see mailcatcher.py)
        app.config.setdefault("SUPPORT_REPLY_DOMAIN", "replies.marketplace.example")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    Babel(app, locale_selector=_locale, timezone_selector=_timezone)
    CSRFProtect(app)
    login_manager.init_app(app)
    support.init_app(app)

    from . import cli, paging, request_type_page, views

    app.register_blueprint(views.bp)
    app.register_blueprint(request_type_page.bp)
    cli.register(app)
    paging.connect(app)
    return app


def _mail_port() -> int:
    """``MAIL_PORT`` from the environment, else ``MAIL_PORT_ABOVE_APP`` above the app's
    ``PORT`` (5000, ``flask run``'s, when unset): two demos on two ports get two catchers."""
    if os.environ.get("MAIL_PORT"):
        return int(os.environ["MAIL_PORT"])
    return int(os.environ.get("PORT") or 5000) + MAIL_PORT_ABOVE_APP


def _locale() -> str | None:
    # the person's own setting; else the language picked in the switcher before logging in;
    # else their marketplace's language (visitors: the browser's)
    if not has_request_context():
        return None
    chosen: str | None = session.get("locale")
    account = current_account()
    if account is not None:
        return account.locale or chosen or account.tenant.default_locale
    return chosen or request.accept_languages.best_match(list(LANGUAGES))


def _timezone() -> str | None:
    account = current_account()
    return account.timezone if account is not None else None
