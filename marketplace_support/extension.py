"""The extension object a host mounts: ``MarketplaceSupport(app, host=...)``.

It sits at the top of the import graph: it builds the per-app state (``state.py``) and
registers the blueprints, the CLI and the template helpers.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy

from . import config
from .blueprints import build_blueprint
from .blueprints.api import init_api
from .blueprints.paths import add_converter
from .cli import support_cli
from .host import HostAdapter
from .i18n import build_domain
from .limit_storage import LimitStorage
from .menu import support_menu_link, support_menu_links
from .state import EXTENSION_KEY, SupportState
from .storage import AttachmentStorage, FilesystemStorage, Guarded


class MarketplaceSupport:
    """The support desk, mounted on a Flask app.

    ``host`` is the marketplace's :class:`HostAdapter`. ``db`` is the host's Flask-SQLAlchemy
    object; when omitted, the one already initialised on the app is used. The same
    ``MarketplaceSupport`` object may serve several apps (it keeps no app of its own).
    ``storage`` keeps attachment files; by default a :class:`FilesystemStorage` under
    ``SUPPORT_ATTACHMENT_ROOT`` (or the app's instance folder). Rate limits are counted by a
    Flask-Limiter ``Limiter`` of the module's own per app, beside any the host has.
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
        storage = self.storage or _configured_storage(app)
        app.extensions[EXTENSION_KEY] = SupportState(
            host=host,
            db=db,
            domain=build_domain(app),
            storage=Guarded(storage),
            limits=LimitStorage(app),
        )

        if type(host).site_url is HostAdapter.site_url and not app.config["SUPPORT_SITE_URL"]:
            # links in e-mails come from the host or the configuration only, never from a
            # request's Host header (which whoever sends the request chooses)
            app.logger.warning(
                "marketplace_support: neither SUPPORT_SITE_URL nor HostAdapter.site_url() is "
                "set, so e-mails will carry no links to their tickets"
            )
        add_converter(app)
        app.register_blueprint(build_blueprint(), url_prefix=app.config["SUPPORT_URL_PREFIX"])
        init_api(app)
        app.add_template_global(support_menu_link)
        app.add_template_global(support_menu_links)
        app.cli.add_command(support_cli)


def _configured_storage(app: Flask) -> AttachmentStorage:
    """The storage the configuration names: an S3 bucket, or a folder of this machine."""
    if app.config["SUPPORT_ATTACHMENT_S3_BUCKET"]:
        from .s3_storage import S3Storage  # boto3 only where it is used

        return S3Storage.from_config(app.config)
    return FilesystemStorage(
        app.config["SUPPORT_ATTACHMENT_ROOT"] or Path(app.instance_path) / "support-attachments"
    )
