"""How this marketplace answers the support module: the whole host contract in one class."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from flask import current_app, g
from flask_babel import get_locale
from sqlalchemy import ColumnElement, bindparam, func, select

from marketplace_support import (
    ALWAYS,
    WEEKDAYS_9_TO_17,
    Actor,
    BusinessHours,
    Category,
    Contact,
    Flags,
    HostAdapter,
    Order,
    Person,
    Provider,
    Targets,
)

from . import catalogue, request_types
from .accounts import current_account
from .ids import row_id
from .models import Provider as ProviderRow
from .models import ServiceOrder, Tenant, TenantText, User, db

#: An organisation's active orders, by name: made once, run with the tenant and the
#: organisation as parameters (every customer page asks for them). The columns an ``Order``
#: holds, not the rows as objects: a customer list's service filter asks for them on every
#: view, and loading them as objects with their providers took 4 % of that page.
_ACTIVE_ORDERS = (
    select(
        ServiceOrder.id,
        ServiceOrder.service_name,
        ServiceOrder.provider_id,
        ProviderRow.name,
        ServiceOrder.plan,
        ServiceOrder.active,
    )
    .join(ProviderRow, ProviderRow.id == ServiceOrder.provider_id)
    .where(
        ServiceOrder.tenant_id == bindparam("tenant_id"),
        ServiceOrder.organisation_id == bindparam("organisation_id"),
        ServiceOrder.active.is_(True),
    )
    .order_by(ServiceOrder.service_name)
)

#: One order of an organisation (opening a ticket checks the order chosen), made once.
_ORGANISATION_ORDER = select(ServiceOrder).where(
    ServiceOrder.id == bindparam("order_id"),
    ServiceOrder.tenant_id == bindparam("tenant_id"),
    ServiceOrder.organisation_id == bindparam("organisation_id"),
)


class ExampleHost(HostAdapter):
    def tenant_id(self) -> str:
        # each account belongs to one marketplace; visitors see the first one
        account = current_account()
        return (
            account.tenant_id if account is not None else str(current_app.config["DEFAULT_TENANT"])
        )

    def current_actor(self) -> Actor | None:
        account = current_account()
        return actor_for(account) if account is not None else None

    def actor(self, tenant_id: str, user_id: str) -> Actor | None:
        # the account as it is now: an API token works while its maker is still staff here
        key = row_id(user_id)
        user = db.session.get(User, key) if key is not None else None
        return actor_for(user) if user is not None and user.tenant_id == tenant_id else None

    def customer_by_email(self, tenant_id: str, email: str) -> Actor | None:
        # an e-mail to the support address opens a ticket as the customer with that address
        user = db.session.scalars(
            select(User).where(
                User.tenant_id == tenant_id,
                func.lower(User.email) == email.strip().lower(),
                User.organisation_id.is_not(None),
            )
        ).first()
        return actor_for(user) if user is not None else None

    def active_orders(self, tenant_id: str, actor: Actor) -> Sequence[Order]:
        organisation = row_id(actor.customer_id or "")
        if organisation is None:
            return []
        rows = db.session.execute(
            _ACTIVE_ORDERS, {"tenant_id": tenant_id, "organisation_id": organisation}
        )
        return [
            Order(
                id=str(order_id),
                label=label,
                provider_id=str(provider_id),
                provider_name=provider_name,
                service_plan=plan,
                active=active,
            )
            for order_id, label, provider_id, provider_name, plan, active in rows
        ]

    def order(self, tenant_id: str, actor: Actor, order_id: str) -> Order | None:
        key, organisation = row_id(order_id), row_id(actor.customer_id or "")
        if key is None or organisation is None:
            return None
        row = db.session.scalars(
            _ORGANISATION_ORDER,
            {"order_id": key, "tenant_id": tenant_id, "organisation_id": organisation},
        ).one_or_none()
        return _order(row) if row else None

    def flags(self, tenant_id: str) -> Flags:
        # what each marketplace chose; the rest (attachment limits, the sweep's days) are the
        # SUPPORT_* defaults
        tenant = db.session.get(Tenant, tenant_id)
        if tenant is None:
            return replace(super().flags(tenant_id), support_enabled=False)
        return replace(
            super().flags(tenant_id),
            support_enabled=tenant.support_enabled,
            ticket_without_order=tenant.ticket_without_order,
            customer_may_resolve=tenant.customer_may_resolve,
            reopen_days=tenant.reopen_days,
            emergencies_allowed=tenant.emergencies_allowed,
            share_with_organisation_by_default=tenant.share_by_default,
        )

    def providers(self, tenant_id: str) -> Sequence[Provider]:
        return catalogue.kept("providers", tenant_id, "", lambda: _providers(tenant_id))

    def provider(self, tenant_id: str, provider_id: str) -> Provider | None:
        key = row_id(provider_id)
        row = _provider_row(key) if key is not None else None
        return _provider(row) if row is not None and row.tenant_id == tenant_id else None

    def operator_contact(self, tenant_id: str) -> Contact:
        tenant = db.session.get(Tenant, tenant_id)
        if tenant is None or not tenant.support_email:
            return Contact()
        return Contact((tenant.support_email,), tenant.default_locale)

    def business_hours(self, tenant_id: str, provider_id: str | None) -> BusinessHours:
        tenant = db.session.get(Tenant, tenant_id)
        zone = tenant.timezone if tenant else "UTC"
        key = row_id(provider_id) if provider_id else None
        if key is not None:
            provider = _provider_row(key)
            if provider is not None and provider.always_open:
                return BusinessHours(zone, ALWAYS)
        return BusinessHours(zone, WEEKDAYS_9_TO_17)

    def sla_targets(self, tenant_id: str, service_plan: str | None) -> Mapping[str, Targets]:
        # customers on a "gold" or "premium" plan get answers twice as fast
        defaults = super().sla_targets(tenant_id, None)
        if service_plan not in ("gold", "premium"):
            return defaults
        return {
            priority: Targets(t.first_response / 2, t.resolution / 2)
            for priority, t in defaults.items()
        }

    def categories(self, tenant_id: str) -> Sequence[Category]:
        # the request types the operator edits (request_types.py); none yet: the module's.
        # Kept in memory until the operator changes them (catalogue.py).
        locale = str(get_locale() or "en")
        own = catalogue.kept(
            "categories",
            tenant_id,
            locale,
            lambda: tuple(request_types.categories(tenant_id, locale)),
        )
        return own or super().categories(tenant_id)

    def site_url(self, tenant_id: str) -> str | None:
        return current_app.config.get("SITE_URL")

    def organisation_members(self, tenant_id: str, organisation_id: str) -> Sequence[Person]:
        key = row_id(organisation_id)
        if key is None:
            return []
        rows = db.session.scalars(
            select(User)
            .where(User.tenant_id == tenant_id, User.organisation_id == key)
            .order_by(User.name)
        )
        return [
            Person(str(u.id), u.name, u.email, u.locale or u.tenant.default_locale) for u in rows
        ]

    def provider_staff(self, tenant_id: str, provider_id: str) -> Sequence[Person]:
        key = row_id(provider_id)
        if key is None:
            return []
        return catalogue.kept(
            f"provider_staff:{key}",
            tenant_id,
            "",
            lambda: _staff(User.provider_id == key, tenant_id),
        )

    def operator_staff(self, tenant_id: str) -> Sequence[Person]:
        return catalogue.kept(
            "operator_staff", tenant_id, "", lambda: _staff(User.is_operator.is_(True), tenant_id)
        )

    def text(self, tenant_id: str, key: str, locale: str) -> str | None:
        # every text of the tenant in one statement, kept until the operator changes one
        texts = catalogue.kept("texts", tenant_id, "", lambda: _texts(tenant_id))
        if (key, locale) in texts:
            return texts[key, locale]
        if key == "operator_name":
            tenant = db.session.get(Tenant, tenant_id)
            return tenant.name if tenant else None
        return None


def _providers(tenant_id: str) -> tuple[Provider, ...]:
    rows = db.session.scalars(
        select(ProviderRow).where(ProviderRow.tenant_id == tenant_id).order_by(ProviderRow.name)
    )
    return tuple(_provider(row) for row in rows)


def _staff(condition: ColumnElement[bool], tenant_id: str) -> tuple[Person, ...]:
    # the four fields a Person holds, not whole accounts with their tenant, organisation and
    # provider joined in
    rows = db.session.execute(
        select(User.id, User.name, User.email, User.locale, Tenant.default_locale)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(condition, User.tenant_id == tenant_id)
        .order_by(User.name)
    )
    return tuple(
        Person(str(user_id), name, email, locale or default_locale)
        for user_id, name, email, locale, default_locale in rows
    )


def _texts(tenant_id: str) -> dict[tuple[str, str], str]:
    """The operator's wording of each text, by key and language."""
    rows = db.session.execute(
        select(TenantText.key, TenantText.locale, TenantText.text).where(
            TenantText.tenant_id == tenant_id
        )
    )
    return {(key, locale): text for key, locale, text in rows}


def actor_for(user: User) -> Actor:
    """An account of this marketplace as the support module sees it."""
    return Actor(
        user_id=str(user.id),
        name=user.name,
        email=user.email,
        locale=user.locale or user.tenant.default_locale,
        timezone=user.timezone,
        customer_id=str(user.organisation_id) if user.organisation_id else None,
        organisation_id=str(user.organisation_id) if user.organisation_id else None,
        provider_ids=frozenset({str(user.provider_id)}) if user.provider_id else frozenset(),
        is_operator=user.is_operator,
    )


def _provider(row: ProviderRow) -> Provider:
    emails = (row.support_email,) if row.support_email else ()
    return Provider(str(row.id), row.name, emails, row.locale)


def _provider_row(key: int) -> ProviderRow | None:
    """A provider's row, read once per request: opening a ticket asks for it three times (the
    order's provider, its business hours, its addresses), and the session's identity map
    forgets a row nobody holds on to."""
    rows: dict[int, ProviderRow | None] = g.setdefault("example_host_providers", {})
    if key not in rows:
        rows[key] = db.session.get(ProviderRow, key)
    return rows[key]


def _order(row: ServiceOrder) -> Order:
    # the row came with its provider (one query): kept for the questions that follow
    g.setdefault("example_host_providers", {})[row.provider_id] = row.provider
    return Order(
        id=str(row.id),
        label=row.service_name,
        provider_id=str(row.provider_id),
        provider_name=row.provider.name,
        service_plan=row.plan,
        active=row.active,
    )
