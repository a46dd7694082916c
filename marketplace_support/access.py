"""The one place that decides which tickets an actor may see.

Every ticket query of the module starts here, scoped to the tenant and to what the actor may
see in the area they use. A ticket outside that scope is "not found", exactly like a ticket
that does not exist.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from werkzeug.exceptions import NotFound

from .host import Actor
from .models import Ticket


class TicketNotFound(NotFound):
    """No ticket with this number that the actor may see (it may exist for someone else).

    It is werkzeug's 404, so pages answer it exactly as they answer a ticket that does not
    exist, through the host's own 404 handler.
    """


def customer_tickets(tenant_id: str, actor: Actor) -> Select[Ticket]:
    """Tickets a customer sees on My Page → Support: the ones they opened, in this tenant."""
    return select(Ticket).where(
        Ticket.tenant_id == tenant_id, Ticket.requester_user_id == actor.user_id
    )
