"""The host contract: what the module asks the marketplace, and the shapes of its answers.

The host (the marketplace application) owns users, customers, organisations, orders and
providers. It answers through one object, a subclass of :class:`HostAdapter`, passed to
``MarketplaceSupport(app, host=...)``. Everything that crosses this boundary is a frozen
dataclass; ids are opaque strings.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask import abort, current_app
from flask.typing import ResponseReturnValue

from .business_hours import BusinessHours
from .filetypes import DEFAULT_KINDS
from .i18n import lazy_gettext


@dataclass(frozen=True)
class Actor:
    """The person acting in this request, as the host knows them.

    ``customer_id`` is set when the person may use My Page → Support (the customer account
    whose orders they see); ``provider_ids`` lists the providers they work for; ``is_operator``
    marks marketplace operator staff. One person may hold several of these roles.
    """

    user_id: str
    name: str
    email: str | None = None
    locale: str | None = None
    timezone: str | None = None
    customer_id: str | None = None
    organisation_id: str | None = None
    provider_ids: frozenset[str] = field(default_factory=frozenset)
    is_operator: bool = False

    @property
    def is_customer(self) -> bool:
        return self.customer_id is not None


@dataclass(frozen=True)
class Order:
    """A service order of a customer. ``active`` is False for an order that has ended."""

    id: str
    label: str
    provider_id: str
    provider_name: str
    service_plan: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Provider:
    """A company that delivers services on the marketplace, and where it wants to hear of
    its tickets (``notification_emails``, in ``locale``)."""

    id: str
    name: str
    notification_emails: tuple[str, ...] = ()
    locale: str | None = None


@dataclass(frozen=True)
class Contact:
    """Where the marketplace's own support team hears of tickets, and in which language."""

    emails: tuple[str, ...] = ()
    locale: str | None = None


@dataclass(frozen=True)
class Person:
    """A colleague in the customer's organisation, with whom a ticket can be shared."""

    user_id: str
    name: str
    email: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class StaffMember:
    """A person who works tickets: staff of a provider, or of the marketplace operator."""

    user_id: str
    name: str
    email: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class Targets:
    """Response targets of one priority, in hours of business time: the first reply the
    customer can see, and the resolution."""

    first_response: float
    resolution: float


@dataclass(frozen=True)
class Category:
    """A problem area. ``operator_only`` sends its tickets to the operator, order or not."""

    key: str
    label: str
    operator_only: bool = False


@dataclass(frozen=True)
class Flags:
    """What a tenant has switched on. Defaults come from ``SUPPORT_*`` config keys."""

    support_enabled: bool = True
    ticket_without_order: bool = True
    customer_may_resolve: bool = True
    reopen_days: int = 14
    emergencies_allowed: bool = False
    attachments_enabled: bool = True
    #: bytes per file
    max_attachment_size: int = 10_000_000
    #: files per message (the description of a ticket, a reply, a note)
    max_attachments: int = 5
    #: keys of ``filetypes.KINDS``
    attachment_types: tuple[str, ...] = DEFAULT_KINDS
    #: a new ticket starts shared with the customer's organisation (seed 004)
    share_with_organisation_by_default: bool = False
    #: days a ticket may wait for the customer before they are reminded, then before it is
    #: resolved for them; days a resolved ticket stays open to a reply before it closes
    reminder_days: int = 3
    auto_resolve_days: int = 4
    auto_close_days: int = 7


def default_categories() -> tuple[Category, ...]:
    """The problem areas a host gets when it configures none."""
    return (
        Category("technical", lazy_gettext("Technical problem with a service")),
        Category("usage", lazy_gettext("Question about using a service")),
        Category("billing", lazy_gettext("Billing and invoices"), operator_only=True),
        Category("account", lazy_gettext("My account on the marketplace"), operator_only=True),
        Category("other", lazy_gettext("Something else")),
    )


class HostAdapter(abc.ABC):
    """Subclass this and pass an instance to :class:`MarketplaceSupport`.

    Two methods must be written by every host: :meth:`current_actor` and
    :meth:`active_orders`. The others have defaults that read ``SUPPORT_*`` config keys, which
    is enough for a marketplace with one tenant. Methods are called inside a request (or an
    app context); the module asks each at most once per request for the same arguments.
    """

    def tenant_id(self) -> str:
        """The tenant (marketplace) this request is for. Default: ``SUPPORT_TENANT_ID``."""
        return str(current_app.config["SUPPORT_TENANT_ID"])

    @abc.abstractmethod
    def current_actor(self) -> Actor | None:
        """The person making this request, or None when nobody is logged in."""

    @abc.abstractmethod
    def active_orders(self, tenant_id: str, actor: Actor) -> Sequence[Order]:
        """The actor's customer account's active orders in this tenant, in display order."""

    def order(self, tenant_id: str, actor: Actor, order_id: str) -> Order | None:
        """One order by id, only if it belongs to the actor's customer account in this tenant.

        Return an ended order with ``active=False`` so the customer is told it ended; return
        None for an order that is unknown, another customer's or another tenant's. The default
        looks the id up in :meth:`active_orders`.
        """
        return next((o for o in self.active_orders(tenant_id, actor) if o.id == order_id), None)

    def flags(self, tenant_id: str) -> Flags:
        """The tenant's feature flags. Default: the ``SUPPORT_*`` config keys."""
        config = current_app.config
        return Flags(
            support_enabled=bool(config["SUPPORT_ENABLED"]),
            ticket_without_order=bool(config["SUPPORT_TICKET_WITHOUT_ORDER"]),
            customer_may_resolve=bool(config["SUPPORT_CUSTOMER_MAY_RESOLVE"]),
            reopen_days=int(config["SUPPORT_REOPEN_DAYS"]),
            emergencies_allowed=bool(config["SUPPORT_EMERGENCIES_ALLOWED"]),
            attachments_enabled=bool(config["SUPPORT_ATTACHMENTS_ENABLED"]),
            max_attachment_size=int(config["SUPPORT_MAX_ATTACHMENT_SIZE"]),
            max_attachments=int(config["SUPPORT_MAX_ATTACHMENTS"]),
            attachment_types=tuple(config["SUPPORT_ATTACHMENT_TYPES"]),
            share_with_organisation_by_default=bool(config["SUPPORT_SHARE_BY_DEFAULT"]),
            reminder_days=int(config["SUPPORT_REMINDER_DAYS"]),
            auto_resolve_days=int(config["SUPPORT_AUTO_RESOLVE_DAYS"]),
            auto_close_days=int(config["SUPPORT_AUTO_CLOSE_DAYS"]),
        )

    def providers(self, tenant_id: str) -> Sequence[Provider]:
        """The tenant's providers, offered when the operator re-routes a ticket. Default: none
        (the operator can then only re-route to the marketplace itself)."""
        return ()

    def provider(self, tenant_id: str, provider_id: str) -> Provider | None:
        """One provider, for its notification addresses. Default: looked up in
        :meth:`providers`."""
        return next((p for p in self.providers(tenant_id) if p.id == provider_id), None)

    def operator_contact(self, tenant_id: str) -> Contact:
        """Where the operator hears of tickets. Default: ``SUPPORT_OPERATOR_EMAILS``, in the
        app's default language."""
        config = current_app.config
        return Contact(
            emails=tuple(config["SUPPORT_OPERATOR_EMAILS"]),
            locale=config.get("BABEL_DEFAULT_LOCALE", "en"),
        )

    def site_url(self, tenant_id: str) -> str | None:
        """The address of the tenant's own site, for links in e-mails ("https://shop.example").
        Default: ``SUPPORT_SITE_URL``; None: the address of the request that caused the mail."""
        url = current_app.config["SUPPORT_SITE_URL"]
        return str(url) if url else None

    def organisation_members(self, tenant_id: str, organisation_id: str) -> Sequence[Person]:
        """The people of a customer's organisation, with whom a ticket can be shared by name.
        Default: none (sharing with the whole organisation still works)."""
        return ()

    def provider_staff(self, tenant_id: str, provider_id: str) -> Sequence[StaffMember]:
        """The people of a provider, offered when a ticket is assigned. Default: none."""
        return ()

    def operator_staff(self, tenant_id: str) -> Sequence[StaffMember]:
        """The operator's people, offered when the marketplace assigns a ticket it handles.
        Default: none."""
        return ()

    def sla_targets(self, tenant_id: str, service_plan: str | None) -> Mapping[str, Targets]:
        """Response targets per priority ("low" … "urgent") for a ticket of ``service_plan``
        (the order's plan, copied when the ticket was opened). Default: ``SUPPORT_SLA_PLANS``
        for the plan, else ``SUPPORT_SLA_TARGETS``."""
        config = current_app.config
        table = config["SUPPORT_SLA_PLANS"].get(service_plan) if service_plan else None
        return {
            priority: Targets(**hours)
            for priority, hours in (table or config["SUPPORT_SLA_TARGETS"]).items()
        }

    def business_hours(self, tenant_id: str, provider_id: str | None) -> BusinessHours:
        """When the tenant works (``provider_id`` None) or a provider does; targets count only
        these hours. Default: ``SUPPORT_BUSINESS_HOURS`` in ``SUPPORT_TIMEZONE``, for both."""
        config = current_app.config
        return BusinessHours(
            timezone=config["SUPPORT_TIMEZONE"], week=tuple(config["SUPPORT_BUSINESS_HOURS"])
        )

    def text(self, tenant_id: str, key: str, locale: str) -> str | None:
        """The tenant's own wording for a text (see ``texts.TEXTS``), or None for ours."""
        return None

    def categories(self, tenant_id: str) -> Sequence[Category]:
        """Problem areas offered on the form. Default: ``SUPPORT_CATEGORIES`` or ours."""
        configured = current_app.config["SUPPORT_CATEGORIES"]
        if configured is None:
            return default_categories()
        return tuple(configured)

    def unauthenticated(self) -> ResponseReturnValue:
        """What to answer when a support page is opened without a logged-in actor.

        Default: 401. A host with Flask-Login returns ``login_manager.unauthorized()``.
        """
        abort(401)
