"""Links for the host's menus: My Page → Support for customers, and the workspaces of
provider and operator staff, each shown only where it applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask import url_for
from flask_babel import get_locale

from .access import may_use
from .i18n import gettext
from .state import per_request, support
from .workflow import Role

_AREAS = (
    (Role.CUSTOMER, "marketplace_support.customer.tickets"),
    (Role.PROVIDER, "marketplace_support.provider.tickets"),
    (Role.OPERATOR, "marketplace_support.operator.tickets"),
)


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str
    #: the area: "customer", "provider" or "operator"
    area: str


def support_menu_links() -> list[MenuLink]:
    """Every support area the current person may use, in the order customer, provider,
    operator; empty when support is off for the tenant or nobody is logged in. Also in
    templates as ``support_menu_links()``."""
    # worked out once per request and language: the host's layout and ours both show them
    links = per_request(("menu_links", str(get_locale())), _menu_links)
    return list(cast("list[MenuLink]", links))


def _menu_links() -> list[MenuLink]:
    actor = support.actor()
    if actor is None or not support.flags(support.tenant_id()).support_enabled:
        return []
    labels = {
        Role.CUSTOMER: gettext("Support"),
        Role.PROVIDER: gettext("Support inbox"),
        Role.OPERATOR: gettext("Support console"),
    }
    return [
        MenuLink(labels[role], url_for(endpoint), role.value)
        for role, endpoint in _AREAS
        if may_use(actor, role)
    ]


def support_menu_link() -> MenuLink | None:
    """The "Support" entry of a customer's My Page menu, or None to hide it. Also in
    templates as ``support_menu_link()``."""
    return next((link for link in support_menu_links() if link.area == Role.CUSTOMER), None)
