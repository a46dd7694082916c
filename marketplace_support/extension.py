"""The extension object a host mounts: ``MarketplaceSupport(app, host=...)``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, g
from flask_babel import Domain, get_locale
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from . import config, texts
from .host import Actor, Category, Flags, HostAdapter
from .i18n import build_domain
from .storage import AttachmentStorage, FilesystemStorage

EXTENSION_KEY = "marketplace_support"


@dataclass
class SupportState:
    """What the module keeps per app, in ``app.extensions["marketplace_support"]``.

    The request-scoped answers of the host (tenant, actor, flags) are kept in ``flask.g`` for
    the length of one request only: nothing lives in process memory that another process
    would need.
    """

    host: HostAdapter
    db: SQLAlchemy
    domain: Domain
    storage: AttachmentStorage

    @property
    def session(self) -> Session:
        return cast(Session, self.db.session)

    def tenant_id(self) -> str:
        return cast(str, _per_request("tenant_id", self.host.tenant_id))

    def actor(self) -> Actor | None:
        return cast("Actor | None", _per_request("actor", self.host.current_actor))

    def flags(self, tenant_id: str) -> Flags:
        return cast(Flags, _per_request(("flags", tenant_id), lambda: self.host.flags(tenant_id)))

    def categories(self, tenant_id: str) -> tuple[Category, ...]:
        return cast(
            "tuple[Category, ...]",
            _per_request(("categories", tenant_id), lambda: tuple(self.host.categories(tenant_id))),
        )

    def text(self, tenant_id: str, key: str) -> Markup:
        """A tenant's text in the current language as HTML, sanitised (see ``texts``)."""
        return texts.render(key, self._host_text(tenant_id, key))

    def plain_text(self, tenant_id: str, key: str) -> str:
        """A plain tenant text (``texts.TEXTS[key].rich`` is False) in the current language,
        unescaped: for e-mails' text parts and headers."""
        return texts.value(key, self._host_text(tenant_id, key))

    def _host_text(self, tenant_id: str, key: str) -> str | None:
        locale = str(get_locale() or "en")
        return cast(
            "str | None",
            _per_request(
                ("text", tenant_id, key, locale), lambda: self.host.text(tenant_id, key, locale)
            ),
        )


def _per_request(name: object, compute: Any) -> Any:
    cache = g.setdefault("_marketplace_support", {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


#: The state of the current app, for views and the service layer.
support: SupportState = cast(
    SupportState, LocalProxy(lambda: current_app.extensions[EXTENSION_KEY])
)


class MarketplaceSupport:
    """The support desk, mounted on a Flask app.

    ``host`` is the marketplace's :class:`HostAdapter`. ``db`` is the host's Flask-SQLAlchemy
    object; when omitted, the one already initialised on the app is used. The same
    ``MarketplaceSupport`` object may serve several apps (it keeps no app of its own).
    ``storage`` keeps attachment files; by default a :class:`FilesystemStorage` under
    ``SUPPORT_ATTACHMENT_ROOT`` (or the app's instance folder).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        host: HostAdapter | None = None,
        db: SQLAlchemy | None = None,
        storage: AttachmentStorage | None = None,
    ) -> None:
        self.host = host
        self.db = db
        self.storage = storage
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, *, host: HostAdapter | None = None) -> None:
        """Mount the module on ``app``.

        Raises:
            RuntimeError: the module is already mounted on ``app``; no host adapter was given;
                Flask-SQLAlchemy or Flask-Babel is not initialised; a ``SUPPORT_*`` key is
                unknown.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("marketplace_support is already initialised on this app.")
        host = host or self.host
        if host is None:
            raise RuntimeError("marketplace_support needs a host adapter: init_app(app, host=...)")
        db = self.db or app.extensions.get("sqlalchemy")
        if db is None:
            raise RuntimeError(
                "marketplace_support needs Flask-SQLAlchemy: call db.init_app(app) first "
                "or pass db= to MarketplaceSupport."
            )
        config.apply_defaults(app)
        if "mail" not in app.extensions:
            Mail(app)
        storage = self.storage or FilesystemStorage(
            app.config["SUPPORT_ATTACHMENT_ROOT"] or Path(app.instance_path) / "support-attachments"
        )
        app.extensions[EXTENSION_KEY] = SupportState(
            host=host, db=db, domain=build_domain(app), storage=storage
        )

        from .blueprints import build_blueprint
        from .cli import support_cli
        from .menu import support_menu_link, support_menu_links

        app.register_blueprint(build_blueprint(), url_prefix=app.config["SUPPORT_URL_PREFIX"])
        app.add_template_global(support_menu_link)
        app.add_template_global(support_menu_links)
        app.cli.add_command(support_cli)
