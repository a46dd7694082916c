"""The module's per-app state and its accessor, at the bottom of the import graph.

Views and the service layer reach the host adapter, the database session, the gettext domain,
the file storage and the rate limit counts through :data:`support`, a proxy to the state of
the current app. Only the extension object (``extension.py``, at the top) creates the state;
nothing here imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app, g
from flask_babel import Domain, get_locale
from flask_sqlalchemy import SQLAlchemy
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.local import LocalProxy

from . import texts
from .business_hours import BusinessHours
from .host import Actor, Category, Contact, Flags, HostAdapter, Provider
from .limit_storage import LimitStorage
from .storage import AttachmentStorage

EXTENSION_KEY = "marketplace_support"


@dataclass
class SupportState:
    """What the module keeps per app, in ``app.extensions["marketplace_support"]``.

    The request-scoped answers of the host (tenant, actor, flags, and each question below that
    a request may ask more than once) are kept in ``flask.g`` for the length of one request (or
    one pass of a worker's app context) only: nothing lives in process memory that another
    process would need.
    """

    host: HostAdapter
    db: SQLAlchemy
    domain: Domain
    storage: AttachmentStorage
    #: rate limit counts (see ``rate_limits``)
    limits: LimitStorage
    #: until when (``time.monotonic()``) this process leaves delivery after a response to
    #: the workers, because the mail server did not answer: only this process needs it
    delivery_paused_until: float = 0.0
    #: whether the host's layout was checked for the blocks the pages fill (``layout.py``)
    layout_checked: bool = False
    #: hands a committed change's notification ids to a task queue (``celery_tasks``);
    #: None: they are delivered after the response
    enqueue_delivery: Callable[[list[int]], None] | None = None

    @property
    def session(self) -> Session:
        return cast(Session, self.db.session)

    def tenant_id(self) -> str:
        return cast(str, per_request("tenant_id", self.host.tenant_id))

    def actor(self) -> Actor | None:
        return cast("Actor | None", per_request("actor", self.host.current_actor))

    def answers_actor(self) -> bool:
        """Whether the host tells who a person is now (:meth:`HostAdapter.actor`) at all."""
        return getattr(type(self.host), "actor", None) is not HostAdapter.actor

    def person_now(self, tenant_id: str, user_id: str, kept: Actor) -> Actor | None:
        """The person ``user_id`` as the host knows them now (:meth:`HostAdapter.actor`), None
        when it no longer does (or answers with someone else). A host that does not answer
        ``actor`` at all cannot tell: the person is taken as ``kept`` (what a ticket or a watch
        kept of them when it was made)."""
        if not self.answers_actor():
            return kept
        actor = self.host.actor(tenant_id, user_id)
        return actor if actor is not None and actor.user_id == user_id else None

    def flags(self, tenant_id: str) -> Flags:
        return cast(Flags, per_request(("flags", tenant_id), lambda: self.host.flags(tenant_id)))

    def categories(self, tenant_id: str) -> tuple[Category, ...]:
        return cast(
            "tuple[Category, ...]",
            per_request(("categories", tenant_id), lambda: tuple(self.host.categories(tenant_id))),
        )

    def providers(self, tenant_id: str) -> tuple[Provider, ...]:
        return cast(
            "tuple[Provider, ...]",
            per_request(("providers", tenant_id), lambda: tuple(self.host.providers(tenant_id))),
        )

    def provider(self, tenant_id: str, provider_id: str) -> Provider | None:
        return cast(
            "Provider | None",
            per_request(
                ("provider", tenant_id, provider_id),
                lambda: self.host.provider(tenant_id, provider_id),
            ),
        )

    def operator_contact(self, tenant_id: str) -> Contact:
        return cast(
            Contact,
            per_request(
                ("operator_contact", tenant_id), lambda: self.host.operator_contact(tenant_id)
            ),
        )

    def site_url(self, tenant_id: str) -> str | None:
        return cast(
            "str | None",
            per_request(("site_url", tenant_id), lambda: self.host.site_url(tenant_id)),
        )

    def business_hours(self, tenant_id: str, provider_id: str | None) -> BusinessHours:
        return cast(
            BusinessHours,
            per_request(
                ("business_hours", tenant_id, provider_id),
                lambda: self.host.business_hours(tenant_id, provider_id),
            ),
        )

    def category(self, tenant_id: str, key: str | None) -> Category | None:
        """The problem area ``key`` while the host still offers it."""
        return next((c for c in self.categories(tenant_id) if c.key == key), None)

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
            per_request(
                ("text", tenant_id, key, locale), lambda: self.host.text(tenant_id, key, locale)
            ),
        )


def per_request(name: object, compute: Any) -> Any:
    """What ``compute()`` returns, worked out once per request (kept in ``g``)."""
    cache = g.setdefault("_marketplace_support", {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


def current_state() -> SupportState:
    """The state of the current app itself, for code that uses it many times in a row (a
    page's template helpers): each use of :data:`support` looks the app up again."""
    return cast(SupportState, current_app.extensions[EXTENSION_KEY])


#: The state of the current app, for views and the service layer.
support: SupportState = cast(
    SupportState, LocalProxy(lambda: current_app.extensions[EXTENSION_KEY])
)
