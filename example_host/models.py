"""The example marketplace's own data: tenants, people, providers and orders.

The support module never imports these; it learns what it needs through ``adapter.py``.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Model(DeclarativeBase):
    """The base of this marketplace's models, and of ``db.Model``.

    The models subclass it rather than ``db.Model``: Flask-SQLAlchemy makes ``db.Model`` at
    run time, where a type checker cannot see it. ``db`` shares this base's metadata and
    registry, so ``db.session``, ``db.create_all`` and the migrations see the same tables; what
    is lost is ``Model.query`` (not used: queries are ``select()``) and the automatic table
    names (each model names its table).
    """


db = SQLAlchemy(model_class=Model)


class Tenant(Model):
    """One marketplace of the deployment, with its own support settings."""

    __tablename__ = "tenant"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    default_locale: Mapped[str] = mapped_column(String(8), default="en")
    support_enabled: Mapped[bool] = mapped_column(default=True)
    ticket_without_order: Mapped[bool] = mapped_column(default=True)
    customer_may_resolve: Mapped[bool] = mapped_column(default=True)
    reopen_days: Mapped[int] = mapped_column(default=14)
    emergencies_allowed: Mapped[bool] = mapped_column(default=False)
    share_by_default: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    #: where the operator's team hears of tickets
    support_email: Mapped[str | None] = mapped_column(String(200))
    #: raised with every change to the tenant's request types, texts, providers and staff
    #: (``catalogue.py``)
    catalogue_version: Mapped[int] = mapped_column(default=0, server_default="0")


class TenantText(Model):
    """A text the operator worded for its marketplace, per language (seed 001)."""

    __tablename__ = "tenant_text"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class RequestType(Model):
    """A problem area of a marketplace and the questions it asks (the operator edits them on
    the request types page; ``request_types.py`` turns a row into the module's ``Category``).

    ``labels`` maps a language to the area's name; ``fields`` lists its questions as JSON
    (``request_types.field_to_json``)."""

    __tablename__ = "request_type"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[str | None] = mapped_column(String(100))
    operator_only: Mapped[bool] = mapped_column(default=False)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Organisation(Model):
    """A customer account: a company whose people order services."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    name: Mapped[str] = mapped_column(String(100))


class Provider(Model):
    """A company that delivers services on the marketplace."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    name: Mapped[str] = mapped_column(String(100))
    support_email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    #: a provider on call around the clock counts every hour; others the marketplace's hours
    always_open: Mapped[bool] = mapped_column(default=False)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(Model):
    """An account: a customer's, a provider's staff member's or the operator's."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    is_operator: Mapped[bool] = mapped_column(default=False)
    #: part of every session's id (``get_id``): a new one ends the sessions made before it
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship()
    provider: Mapped[Provider | None] = relationship()

    # what Flask-Login asks of a user
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What the session keeps: the account and its session token (Flask-Login's
        "alternative tokens"), so that ``end_sessions`` can make old sessions worthless."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Every session of this account made until now no longer logs anyone in."""
        self.session_token = new_session_token()


class ServiceOrder(Model):
    """A service an organisation ordered from a provider; ``active`` until it ends."""

    __tablename__ = "service_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    service_name: Mapped[str] = mapped_column(String(100))
    plan: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(default=True)

    provider: Mapped[Provider] = relationship(lazy="joined")
