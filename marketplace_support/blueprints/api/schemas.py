"""What the JSON API sends and answers, as marshmallow schemas: flask-smorest reads them for the
OpenAPI document and writes the answers with them. What a call may send is checked by the
module's own input schemas (``marketplace_support.schemas``), the same as the pages'."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import RAISE, Schema, fields

from ...host import FieldKind
from ...models import Attachment, Ticket, TicketAnswer
from ...priorities import Priority
from ...ticket_json import event as event
from ...ticket_json import message as message
from ...ticket_json import person as person
from ...ticket_json import summary as summary
from ...tickets import ENTRIES_READ_MAX, TicketView
from ...workflow import Action, Handler, Role, Status


def _choice(values: Any, description: str | None = None, **kwargs: Any) -> fields.String:
    """A string that is one of ``values`` (documented as an enum)."""
    metadata: dict[str, Any] = {"enum": [str(v) for v in values]}
    if description:
        metadata["description"] = description
    return fields.String(metadata=metadata, **kwargs)


class PersonSchema(Schema):
    user_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    role = _choice(Role, allow_none=True)


class TicketSummarySchema(Schema):
    """A ticket as a list shows it."""

    number = fields.Integer(required=True)
    subject = fields.String(required=True)
    status = _choice(Status, required=True)
    priority = _choice(Priority, required=True)
    handler = _choice(Handler, "who answers it now", required=True)
    provider_name = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    requester_name = fields.String(required=True)
    order_label = fields.String(allow_none=True)
    emergency = fields.String(allow_none=True)
    escalated = fields.Boolean(required=True)
    next_due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True, metadata={"description": "last activity"})


class TicketListItemSchema(TicketSummarySchema):
    new_activity = fields.Boolean(
        required=True, metadata={"description": "changed since the caller last opened it"}
    )


class TicketListSchema(Schema):
    tickets = fields.List(fields.Nested(TicketListItemSchema), required=True)
    next = fields.String(
        allow_none=True, metadata={"description": "the address of the next page, or null"}
    )
    active_by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "unresolved"}
    )


class MessageSchema(Schema):
    id = fields.Integer(required=True)
    author = fields.Nested(PersonSchema, required=True)
    body = fields.String(required=True)
    internal = fields.Boolean(required=True, metadata={"description": "staff only"})
    created_at = fields.DateTime(required=True)


class EventSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    actor = fields.Nested(PersonSchema, required=True)
    from_value = fields.String(allow_none=True)
    to_value = fields.String(allow_none=True)
    to_name = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    internal = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    message_id = fields.Integer(
        allow_none=True, metadata={"description": "null: a file of the description"}
    )
    filename = fields.String(required=True)
    size = fields.Integer(required=True)
    kind = fields.String(required=True)
    content_type = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class TargetsSchema(Schema):
    """The response targets: due times run in business hours and pause while the ticket
    waits for the customer."""

    first_response_due_at = fields.DateTime(allow_none=True)
    resolution_due_at = fields.DateTime(allow_none=True)
    first_responded_at = fields.DateTime(allow_none=True)
    first_response_breached = fields.Boolean(allow_none=True)
    resolution_breached = fields.Boolean(allow_none=True)
    paused = fields.Boolean(required=True)


class AnswerSchema(Schema):
    """The answer to a question of the ticket's request type, with the question as it was
    asked when the ticket was opened."""

    key = fields.String(required=True)
    kind = _choice(FieldKind, required=True)
    label = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "the question, by language"},
    )
    value = fields.Raw(
        required=True,
        metadata={
            "description": "text; a number or a day (YYYY-MM-DD) as text; a choice's key; a "
            "list of choices' keys; true or false"
        },
    )
    choices = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
        allow_none=True,
        metadata={"description": "each choice's label by language"},
    )


#: the query parameter of a ticket's read that asks for the entries before an earlier read
BEFORE = {
    "in": "query",
    "name": "before",
    "schema": {"type": "string"},
    "description": "the entries before those of an earlier read (its ``earlier`` holds the "
    f"address); a read holds the latest {ENTRIES_READ_MAX} messages and as many events at most",
}

EARLIER = (
    "the address of the ticket's messages and events before these (a read holds the latest "
    f"{ENTRIES_READ_MAX} messages and as many events at most, for a customer as many of its "
    "History too, from one moment on), or null: these go back to its description"
)


FILES = "the files of the description and of these messages"


def earlier(endpoint: str, view: TicketView) -> str | None:
    """The address of ``endpoint`` with the ticket's entries before those ``view`` read."""
    cursor = view.earlier_cursor
    return url_for(endpoint, number=view.ticket.number, before=cursor) if cursor else None


def answer(row: TicketAnswer) -> dict[str, Any]:
    return {
        "key": row.key,
        "kind": row.kind,
        "label": row.label,
        "value": row.value,
        "choices": row.choices,
    }


class PersonNameSchema(Schema):
    user_id = fields.String(required=True)
    name = fields.String(required=True)


class ProviderSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class TicketSchema(TicketSummarySchema):
    """A ticket with its conversation (internal notes included), history, files and targets,
    and the actions the caller may take on it now."""

    issue_about = fields.String(required=True)
    expected_outcome = fields.String(required=True)
    current_scenario = fields.String(required=True)
    category_key = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    provider_id = fields.String(allow_none=True)
    assignee_user_id = fields.String(allow_none=True)
    requester_user_id = fields.String(required=True)
    escalation_reason = fields.String(allow_none=True)
    emergency_explanation = fields.String(allow_none=True)
    duplicate_of = fields.Integer(allow_none=True)
    follow_up_of = fields.Integer(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    targets = fields.Nested(TargetsSchema, required=True)
    messages = fields.List(fields.Nested(MessageSchema), required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)
    earlier = fields.String(allow_none=True, required=True, metadata={"description": EARLIER})
    attachments = fields.List(
        fields.Nested(AttachmentSchema), required=True, metadata={"description": FILES}
    )
    answers = fields.List(fields.Nested(AnswerSchema), required=True)
    actions = fields.List(
        _choice(Action), required=True, metadata={"description": "what the caller may do now"}
    )
    assignable = fields.List(
        fields.Nested(PersonNameSchema),
        required=True,
        metadata={"description": "who ``assign`` may name now (empty when it may not)"},
    )
    reroute_to = fields.List(
        fields.Nested(ProviderSchema),
        required=True,
        metadata={
            "description": 'the providers ``reroute`` may name now, besides "operator" '
            "(empty when it may not)"
        },
    )
    watching = fields.Boolean(
        required=True, metadata={"description": "whether the caller watches the ticket"}
    )


class ChangedSchema(Schema):
    """What a call changed: the ticket as it is now, and the messages and events it added."""

    ticket = fields.Nested(TicketSummarySchema, required=True)
    messages = fields.List(fields.Nested(MessageSchema), required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)


class ActionFieldsSchema(Schema):
    """The action's fields: none for start, wait_for_customer, resolve, reopen, close,
    take_over, hand_back and confirm_emergency; ``assignee`` (a user id, or "none") for
    assign; ``reason`` for escalate and downgrade_emergency; ``route_to`` (a provider id, or
    "operator") and ``reason`` for reroute; ``priority`` for change_priority;
    ``duplicate_of`` (a ticket number) for mark_duplicate; ``explanation`` for
    raise_emergency and ``order`` (the id of one of their active orders, as ``/my/orders``
    lists them) for choose_service (customers)."""

    class Meta:
        unknown = RAISE

    assignee = fields.String()
    reason = fields.String()
    route_to = fields.String()
    priority = _choice(Priority)
    duplicate_of = fields.Integer()
    explanation = fields.String()
    order = fields.String()


class ProblemSchema(Schema):
    """An error, as RFC 9457 describes (``application/problem+json``), in the caller's
    language."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "422 only: the messages of each field"},
    )


# -- what the views answer, from the rows (the webhooks say the same: ``ticket_json``) -------


def attachment(row: Attachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "filename": row.filename,
        "size": row.size,
        "kind": row.kind,
        "content_type": row.content_type,
        "created_at": row.created_at,
    }


def targets(ticket: Ticket) -> dict[str, Any]:
    return {
        "first_response_due_at": ticket.first_response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "first_responded_at": ticket.first_responded_at,
        "first_response_breached": ticket.first_response_breached,
        "resolution_breached": ticket.resolution_breached,
        "paused": ticket.status is Status.WAITING_FOR_CUSTOMER,
    }
