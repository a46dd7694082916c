"""marketplace_support: a support desk a service marketplace mounts into its Flask app.

The public surface: :class:`MarketplaceSupport` (the extension), the host contract
(:class:`HostAdapter` and the dataclasses it answers with), the texts a tenant may word
(:data:`TEXTS`, :func:`render_text` to preview one as customers see it), and
:data:`VERSIONS_DIRECTORY` (the Alembic revisions to add to the host's ``version_locations``).
"""

from __future__ import annotations

from .business_hours import ALWAYS, WEEKDAYS_9_TO_17, BusinessHours
from .extension import MarketplaceSupport
from .host import (
    FIELD_KEY,
    Actor,
    Category,
    Contact,
    FieldChoice,
    FieldKind,
    Flags,
    HostAdapter,
    Order,
    Person,
    Provider,
    RequestField,
    Targets,
    default_categories,
)
from .menu import MenuLink, support_menu_link, support_menu_links
from .migrations import VERSIONS_DIRECTORY, add_version_location, include_host_object
from .models import Base as SupportBase
from .texts import TEXTS, Text
from .texts import render as render_text

__all__ = [
    "ALWAYS",
    "FIELD_KEY",
    "TEXTS",
    "VERSIONS_DIRECTORY",
    "WEEKDAYS_9_TO_17",
    "Actor",
    "BusinessHours",
    "Category",
    "Contact",
    "FieldChoice",
    "FieldKind",
    "Flags",
    "HostAdapter",
    "MarketplaceSupport",
    "MenuLink",
    "Order",
    "Person",
    "Provider",
    "RequestField",
    "SupportBase",
    "Targets",
    "Text",
    "add_version_location",
    "default_categories",
    "include_host_object",
    "render_text",
    "support_menu_link",
    "support_menu_links",
]
