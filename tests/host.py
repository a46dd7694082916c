"""A marketplace for tests: in-memory customers, orders, flags and texts behind the real
host contract. It stands in for the host application, never for the module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import Flask, abort, session

from marketplace_support import (
    Actor,
    Category,
    Contact,
    Flags,
    HostAdapter,
    Order,
    Person,
    Provider,
)


@dataclass
class Marketplace:
    """The host's data: who exists, in which tenant, owning which orders."""

    actors: dict[str, tuple[str, Actor]] = field(default_factory=dict)  # user id → (tenant, actor)
    orders: dict[tuple[str, str], tuple[str, Order]] = field(default_factory=dict)
    flags: dict[str, Flags] = field(default_factory=dict)
    texts: dict[tuple[str, str, str], str] = field(default_factory=dict)
    categories: dict[str, list[Category]] = field(default_factory=dict)
    providers: dict[str, list[Provider]] = field(default_factory=dict)  # tenant → providers
    operator_emails: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)  # tenant → its site's address
    calls: list[str] = field(default_factory=list)

    def add_customer(
        self,
        tenant: str,
        user_id: str,
        customer_id: str | None,
        *,
        timezone: str | None = None,
        locale: str | None = None,
    ) -> Actor:
        actor = Actor(
            user_id=user_id,
            name=user_id.title(),
            email=f"{user_id}@example.com",
            customer_id=customer_id,
            organisation_id=customer_id,
            timezone=timezone,
            locale=locale,
        )
        self.actors[user_id] = (tenant, actor)
        return actor

    def add_staff(
        self,
        tenant: str,
        user_id: str,
        *,
        provider_ids: frozenset[str] = frozenset(),
        is_operator: bool = False,
        customer_id: str | None = None,
    ) -> Actor:
        actor = Actor(
            user_id=user_id,
            name=user_id.title(),
            email=f"{user_id}@example.com",
            provider_ids=provider_ids,
            is_operator=is_operator,
            customer_id=customer_id,
            organisation_id=customer_id,
        )
        self.actors[user_id] = (tenant, actor)
        return actor

    def staff_of(self, tenant: str, provider_id: str | None) -> list[Person]:
        """Provider staff of ``provider_id``, or operator staff when it is None."""
        return [
            Person(actor.user_id, actor.name)
            for actor_tenant, actor in self.actors.values()
            if actor_tenant == tenant
            and (provider_id in actor.provider_ids if provider_id else actor.is_operator)
        ]

    def add_order(self, tenant: str, customer_id: str, order: Order) -> Order:
        self.orders[(tenant, order.id)] = (customer_id, order)
        return order


class FakeHost(HostAdapter):
    def __init__(self, marketplace: Marketplace) -> None:
        self.marketplace = marketplace

    def _logged_in(self) -> tuple[str, Actor] | None:
        user_id = session.get("user_id")
        return self.marketplace.actors.get(user_id) if user_id else None

    def tenant_id(self) -> str:
        self.marketplace.calls.append("tenant_id")
        logged_in = self._logged_in()
        return logged_in[0] if logged_in else "t1"

    def current_actor(self) -> Actor | None:
        self.marketplace.calls.append("current_actor")
        logged_in = self._logged_in()
        return logged_in[1] if logged_in else None

    def actor(self, tenant_id: str, user_id: str) -> Actor | None:
        self.marketplace.calls.append("actor")
        found = self.marketplace.actors.get(user_id)
        return found[1] if found is not None and found[0] == tenant_id else None

    def customer_by_email(self, tenant_id: str, email: str) -> Actor | None:
        self.marketplace.calls.append("customer_by_email")
        found = [
            actor
            for actor_tenant, actor in self.marketplace.actors.values()
            if actor_tenant == tenant_id
            and actor.is_customer
            and (actor.email or "").lower() == email.strip().lower()
        ]
        return found[0] if len(found) == 1 else None

    def active_orders(self, tenant_id: str, actor: Actor) -> Sequence[Order]:
        self.marketplace.calls.append("active_orders")
        return [
            order
            for (tenant, _), (customer_id, order) in self.marketplace.orders.items()
            if tenant == tenant_id and customer_id == actor.customer_id and order.active
        ]

    def order(self, tenant_id: str, actor: Actor, order_id: str) -> Order | None:
        self.marketplace.calls.append("order")
        found = self.marketplace.orders.get((tenant_id, order_id))
        if found is None or found[0] != actor.customer_id:
            return None
        return found[1]

    def flags(self, tenant_id: str) -> Flags:
        return self.marketplace.flags.get(tenant_id) or super().flags(tenant_id)

    def providers(self, tenant_id: str) -> Sequence[Provider]:
        return self.marketplace.providers.get(tenant_id, [])

    def operator_contact(self, tenant_id: str) -> Contact:
        return Contact(self.marketplace.operator_emails.get(tenant_id, ()), "en")

    def site_url(self, tenant_id: str) -> str | None:
        return self.marketplace.sites.get(tenant_id)

    def organisation_members(self, tenant_id: str, organisation_id: str) -> Sequence[Person]:
        return [
            Person(actor.user_id, actor.name, actor.email, actor.locale)
            for actor_tenant, actor in self.marketplace.actors.values()
            if actor_tenant == tenant_id
            and actor.organisation_id == organisation_id
            and actor.customer_id
        ]

    def provider_staff(self, tenant_id: str, provider_id: str) -> Sequence[Person]:
        return self.marketplace.staff_of(tenant_id, provider_id)

    def operator_staff(self, tenant_id: str) -> Sequence[Person]:
        return self.marketplace.staff_of(tenant_id, None)

    def text(self, tenant_id: str, key: str, locale: str) -> str | None:
        return self.marketplace.texts.get((tenant_id, key, locale))

    def categories(self, tenant_id: str) -> Sequence[Category]:
        return self.marketplace.categories.get(tenant_id) or super().categories(tenant_id)


def add_login_route(app: Flask, marketplace: Marketplace) -> None:
    """``/test-login/<user_id>``: what the host's login form does, in one request."""

    @app.get("/test-login/<user_id>")
    def test_login(user_id: str) -> str:
        if user_id not in marketplace.actors:
            abort(404)
        session["user_id"] = user_id
        return "ok"
