"""Who handles a new ticket: the provider of its order, or the marketplace operator.

The rules, first match wins:

1. a problem area the host marks operator-only goes to the operator, order or not;
2. a ticket about an order goes to the provider that delivers it;
3. a ticket about no order goes to the operator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .host import Category, Order
from .i18n import lazy_gettext
from .workflow import Handler


class Reason(enum.StrEnum):
    OPERATOR_CATEGORY = "operator_category"
    ORDER_PROVIDER = "order_provider"
    NO_ORDER = "no_order"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    Reason.OPERATOR_CATEGORY: lazy_gettext("The marketplace handles this problem area itself."),
    Reason.ORDER_PROVIDER: lazy_gettext("The provider delivers the chosen service."),
    Reason.NO_ORDER: lazy_gettext("The ticket is not about a service."),
}


@dataclass(frozen=True)
class Route:
    handler: Handler
    reason: Reason
    provider_id: str | None = None
    provider_name: str | None = None


def route_new_ticket(order: Order | None, category: Category | None) -> Route:
    """Decide who handles a ticket about ``order`` (or none) in ``category`` (or none)."""
    if category is not None and category.operator_only:
        return Route(Handler.OPERATOR, Reason.OPERATOR_CATEGORY)
    if order is not None:
        return Route(
            Handler.PROVIDER, Reason.ORDER_PROVIDER, order.provider_id, order.provider_name
        )
    return Route(Handler.OPERATOR, Reason.NO_ORDER)
