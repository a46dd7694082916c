"""What the JSON API and the webhooks say about a ticket, a message and an event: the same
fields in both, so a provider's program reads an event as it reads the API's answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from .models import Event, Message, Ticket
from .workflow import Role


def person(user_id: str | None, name: str | None, role: Role | None) -> dict[str, Any]:
    return {"user_id": user_id, "name": name, "role": role.value if role else None}


def summary(ticket: Ticket | Row[Any]) -> dict[str, Any]:
    """The fields of a ticket a list loads (``tickets.LIST_FIELDS``) and no others: of a
    ticket, or of a list's row (``tickets.ListedTicket``)."""
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "handler": ticket.handler.value,
        "provider_name": ticket.provider_name,
        "assignee_name": ticket.assignee_name,
        "requester_name": ticket.requester_name,
        "order_label": ticket.order_label,
        "emergency": ticket.emergency.value if ticket.emergency else None,
        "escalated": ticket.escalated_at is not None,
        "next_due_at": ticket.next_due_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def message(row: Message | Row[Any]) -> dict[str, Any]:
    """A message, or a row of its fields (``access.messages``)."""
    return {
        "id": row.id,
        "author": person(row.author_user_id, row.author_name, row.author_role),
        "body": row.body,
        "internal": bool(row.internal),
        "created_at": row.created_at,
    }


def event(row: Event | Row[Any]) -> dict[str, Any]:
    """An event, or a row of its fields (``access.events``)."""
    return {
        "id": row.id,
        "kind": row.kind.value,
        "actor": person(row.actor_user_id, row.actor_name, row.actor_role),
        "from_value": row.from_value,
        "to_value": row.to_value,
        "to_name": row.to_name,
        "detail": row.detail,
        "internal": bool(row.internal),
        "created_at": row.created_at,
    }
