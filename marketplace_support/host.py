"""The host contract: what the module asks the marketplace, and the shapes of its answers.

The host (the marketplace application) owns users, customers, organisations, orders and
providers. It answers through one object, a subclass of :class:`HostAdapter`, passed to
``MarketplaceSupport(app, host=...)``. Everything that crosses this boundary is a frozen
dataclass; ids are opaque strings.
"""

from __future__ import annotations

import abc
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

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

    def __post_init__(self) -> None:
        # a host may hand the ids as any collection (a set, a list): kept as a frozenset, so
        # an actor compares and hashes by what it holds (kept statements are found by it)
        object.__setattr__(self, "provider_ids", frozenset(self.provider_ids))

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
    """Someone the module may name and write to: a colleague in the customer's organisation
    (a ticket can be shared with them), or staff of a provider or of the operator (a ticket
    can be assigned to them)."""

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


#: Hours of business time to the first response and to the resolution, per priority (the
#: first responses are seed 003's): the default of ``SUPPORT_SLA_TARGETS``.
DEFAULT_SLA_TARGETS: dict[str, dict[str, float]] = {
    "urgent": {"first_response": 1, "resolution": 8},
    "high": {"first_response": 4, "resolution": 24},
    "medium": {"first_response": 24, "resolution": 72},
    "low": {"first_response": 48, "resolution": 120},
}


class FieldKind(enum.StrEnum):
    """What a field of a request type asks for, and how its answer is read and shown."""

    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    CHOICES = "choices"
    YES_NO = "yes_no"
    EMAIL = "email"
    LINK = "link"


#: what a field's or a choice's key may look like: it names the answer in forms, the API, the
#: list's filter and sort and their page links (``KEY`` inside a longer pattern)
KEY = r"[a-z][a-z0-9_]{0,62}"
FIELD_KEY = re.compile(KEY + r"\Z")


def _check_key(key: str, what: str) -> None:
    if not FIELD_KEY.match(key):
        raise ValueError(f"{what} key {key!r}: lowercase letters, digits and _, 1-63 characters")


@dataclass(frozen=True)
class FieldChoice:
    """One choice of a "one choice" or "several choices" field: its key (stored and filtered
    by) and its label per language (``{"en": "All off", "de": "Alles aus"}``)."""

    key: str
    label: Mapping[str, str]

    def __post_init__(self) -> None:
        _check_key(self.key, "Choice")


@dataclass(frozen=True)
class RequestField:
    """A question of a request type (see :attr:`Category.fields`).

    ``label`` and ``help`` map a language ("en", "de", ...) to the text; a reader whose language
    is missing gets English, else the first one given. Defaults: optional, no help text, no
    limits. Limits by kind: ``max_length`` for short text (default 200), long text (10,000),
    e-mail (320) and link (2,000); ``min_value``/``max_value`` for a number; ``min_date``/
    ``max_date`` for a date; ``choices`` for one choice and several choices (at least one).
    """

    key: str
    kind: FieldKind
    label: Mapping[str, str]
    help: Mapping[str, str] = field(default_factory=dict)
    required: bool = False
    choices: tuple[FieldChoice, ...] = ()
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    min_date: date | None = None
    max_date: date | None = None

    def __post_init__(self) -> None:
        _check_key(self.key, "Field")
        object.__setattr__(self, "kind", FieldKind(self.kind))
        if not self.label:
            raise ValueError(f"Field {self.key!r} needs a label in at least one language")
        chooses = self.kind in (FieldKind.CHOICE, FieldKind.CHOICES)
        if chooses != bool(self.choices):
            raise ValueError(f"Field {self.key!r}: choices belong to choice fields, and only there")
        if len({c.key for c in self.choices}) != len(self.choices):
            raise ValueError(f"Field {self.key!r}: two choices have the same key")


@dataclass(frozen=True)
class Category:
    """A problem area (a request type). ``operator_only`` sends its tickets to the operator,
    order or not. ``fields`` are the questions the form asks for it, in order; an area with
    none asks the three guided questions of seed 000 (what is it about, the outcome expected,
    what happens now). ``section`` groups areas on the form (a heading, in the reader's
    language like ``label``); areas without one come first."""

    key: str
    label: str
    operator_only: bool = False
    fields: tuple[RequestField, ...] = ()
    section: str | None = None

    def __post_init__(self) -> None:
        if len({f.key for f in self.fields}) != len(self.fields):
            raise ValueError(f"Problem area {self.key!r}: two fields have the same key")


def _flag(default: Any, key: str) -> Any:
    """A flag's default and the ``SUPPORT_*`` key a host sets it with (``config.DEFAULTS`` and
    :meth:`Flags.from_config` are built from these, so each default is written once)."""
    return field(default=default, metadata={"config_key": key})


def _limit(default: str, key: str) -> Any:
    """A rate limit flag: Flask-Limiter limit strings (``"5 per minute;20 per hour"``), or
    ``""`` for none. The config check parses every one when the module is mounted."""
    return field(default=default, metadata={"config_key": key, "rate_limit": True})


@dataclass(frozen=True)
class Flags:
    """What a tenant has switched on. :meth:`HostAdapter.flags` builds them from the
    ``SUPPORT_*`` config keys; a host that words two flags per tenant writes
    ``dataclasses.replace(super().flags(tenant_id), ...)`` and keeps the rest.

    To add a flag: add a field here with its default and its config key; nothing else.
    """

    support_enabled: bool = _flag(True, "SUPPORT_ENABLED")
    ticket_without_order: bool = _flag(True, "SUPPORT_TICKET_WITHOUT_ORDER")
    #: a customer's e-mail to the tenant's support address opens a ticket for the operator
    #: (not about a service: needs ``ticket_without_order`` too; see ``inbound``)
    tickets_by_email: bool = _flag(False, "SUPPORT_TICKETS_BY_EMAIL")
    customer_may_resolve: bool = _flag(True, "SUPPORT_CUSTOMER_MAY_RESOLVE")
    reopen_days: int = _flag(14, "SUPPORT_REOPEN_DAYS")
    emergencies_allowed: bool = _flag(False, "SUPPORT_EMERGENCIES_ALLOWED")
    attachments_enabled: bool = _flag(True, "SUPPORT_ATTACHMENTS_ENABLED")
    #: bytes per file
    max_attachment_size: int = _flag(10_000_000, "SUPPORT_MAX_ATTACHMENT_SIZE")
    #: files per message (the description of a ticket, a reply, a note)
    max_attachments: int = _flag(5, "SUPPORT_MAX_ATTACHMENTS")
    #: keys of ``filetypes.KINDS``
    attachment_types: tuple[str, ...] = _flag(DEFAULT_KINDS, "SUPPORT_ATTACHMENT_TYPES")
    #: a new ticket starts shared with the customer's organisation (seed 004)
    share_with_organisation_by_default: bool = _flag(False, "SUPPORT_SHARE_BY_DEFAULT")
    #: days a ticket may wait for the customer before they are reminded, then before it is
    #: resolved for them; days a resolved ticket stays open to a reply before it closes
    reminder_days: int = _flag(3, "SUPPORT_REMINDER_DAYS")
    auto_resolve_days: int = _flag(4, "SUPPORT_AUTO_RESOLVE_DAYS")
    auto_close_days: int = _flag(7, "SUPPORT_AUTO_CLOSE_DAYS")
    #: rate limits (see ``rate_limits``), each per person and, much higher, for the whole
    #: tenant (a flood from many accounts): new tickets; customers' replies; provider and
    #: operator staff's replies and internal notes; emergency reports; files attached
    limit_open_tickets: str = _limit(
        "5 per minute;20 per hour;50 per day", "SUPPORT_LIMIT_OPEN_TICKETS"
    )
    limit_open_tickets_tenant: str = _limit(
        "100 per minute;1000 per hour", "SUPPORT_LIMIT_OPEN_TICKETS_TENANT"
    )
    limit_replies: str = _limit("10 per minute;100 per hour", "SUPPORT_LIMIT_REPLIES")
    limit_replies_tenant: str = _limit(
        "200 per minute;3000 per hour", "SUPPORT_LIMIT_REPLIES_TENANT"
    )
    limit_staff_messages: str = _limit("30 per minute;500 per hour", "SUPPORT_LIMIT_STAFF_MESSAGES")
    limit_staff_messages_tenant: str = _limit(
        "600 per minute;10000 per hour", "SUPPORT_LIMIT_STAFF_MESSAGES_TENANT"
    )
    limit_emergencies: str = _limit("3 per hour;10 per day", "SUPPORT_LIMIT_EMERGENCIES")
    limit_emergencies_tenant: str = _limit(
        "20 per minute;200 per hour", "SUPPORT_LIMIT_EMERGENCIES_TENANT"
    )
    #: counted per file
    limit_uploads: str = _limit("25 per minute;100 per hour", "SUPPORT_LIMIT_UPLOADS")
    limit_uploads_tenant: str = _limit(
        "500 per minute;5000 per hour", "SUPPORT_LIMIT_UPLOADS_TENANT"
    )

    @classmethod
    def config_defaults(cls) -> dict[str, Any]:
        """Each flag's config key and its default."""
        return {f.metadata["config_key"]: f.default for f in fields(cls)}

    @classmethod
    def rate_limit_keys(cls) -> list[str]:
        """The config keys of the rate limit flags."""
        return [f.metadata["config_key"] for f in fields(cls) if f.metadata.get("rate_limit")]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Flags:
        """The flags the ``SUPPORT_*`` keys of ``config`` set (each converted to the field's
        type: a list of attachment types becomes a tuple)."""
        values = {}
        for flag in fields(cls):
            default: Any = flag.default
            values[flag.name] = type(default)(config[flag.metadata["config_key"]])
        return cls(**values)


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

    def actor(self, tenant_id: str, user_id: str) -> Actor | None:
        """The person ``user_id`` of ``tenant_id`` as the host knows them now, or None when
        they are gone. Asked on every API call with a token they made, so a token works only
        while its maker is still staff of that provider or of the operator. Default: None, and
        the module offers no API tokens (a host that answers it gets them)."""
        return None

    def customer_by_email(self, tenant_id: str, email: str) -> Actor | None:
        """The customer of ``tenant_id`` whose confirmed e-mail address is ``email`` (any
        letter case), as :meth:`current_actor` would give them, or None: nobody, several
        people, or someone who is not a customer. Asked for each e-mail to a support address
        (:meth:`support_address_tenant`); only a customer it names can open a ticket by
        e-mail. Default: None (no tickets by e-mail)."""
        return None

    def support_address_tenant(self, address: str) -> str | None:
        """The tenant whose support address ``address`` is (``"help@shop.example"``), or None
        when it is nobody's. Default: looked up (in lower case) in
        ``SUPPORT_INBOUND_ADDRESSES``, a mapping of address to tenant id."""
        configured = current_app.config["SUPPORT_INBOUND_ADDRESSES"]
        addresses = {str(key).strip().lower(): str(value) for key, value in configured.items()}
        return addresses.get(address.strip().lower())

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
        """The tenant's feature flags. Default: the ``SUPPORT_*`` config keys (see
        :class:`Flags`); override with ``replace(super().flags(tenant_id), ...)``."""
        return Flags.from_config(current_app.config)

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
        Default: ``SUPPORT_SITE_URL``. None: e-mails carry no links (never the address of the
        request that caused them: its Host header is whatever the sender wrote)."""
        url = current_app.config["SUPPORT_SITE_URL"]
        return str(url) if url else None

    def organisation_members(self, tenant_id: str, organisation_id: str) -> Sequence[Person]:
        """The people of a customer's organisation, with whom a ticket can be shared by name.
        Default: none (sharing with the whole organisation still works)."""
        return ()

    def provider_staff(self, tenant_id: str, provider_id: str) -> Sequence[Person]:
        """The people of a provider, offered when a ticket is assigned. Default: none."""
        return ()

    def operator_staff(self, tenant_id: str) -> Sequence[Person]:
        """The operator's people, offered when the marketplace assigns a ticket it handles.
        Default: none."""
        return ()

    def sla_targets(self, tenant_id: str, service_plan: str | None) -> Mapping[str, Targets]:
        """Response targets for every priority ("low" … "urgent") of a ticket of
        ``service_plan`` (the order's plan, copied when the ticket was opened). Default:
        ``SUPPORT_SLA_TARGETS``, with ``SUPPORT_SLA_PLANS[plan]`` over it."""
        config = current_app.config
        table = {**config["SUPPORT_SLA_TARGETS"]}
        if service_plan:
            table.update(config["SUPPORT_SLA_PLANS"].get(service_plan, {}))
        return {priority: Targets(**hours) for priority, hours in table.items()}

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

        Default: Flask-Login's ``login_manager.unauthorized()`` (its login page, with
        ``next``) when the app has a login manager, else 401.
        """
        login_manager = getattr(current_app, "login_manager", None)
        if login_manager is not None:
            answer: ResponseReturnValue = login_manager.unauthorized()
            return answer
        abort(401)
