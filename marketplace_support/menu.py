"""A link for the host's My Page menu, shown only where support is switched on."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from .extension import support
from .i18n import gettext


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str


def support_menu_link() -> MenuLink | None:
    """The "Support" entry for the current actor's My Page menu, or None to hide it.

    None when support is off for the tenant or the actor is not a customer. Also available
    in templates as ``support_menu_link()``.
    """
    actor = support.actor()
    if (
        actor is None
        or not actor.is_customer
        or not support.flags(support.tenant_id()).support_enabled
    ):
        return None
    return MenuLink(gettext("Support"), url_for("marketplace_support.customer.tickets"))
