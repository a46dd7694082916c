"""What the API answers a customer (``/my/...``) and the caller (``/me``), as marshmallow
schemas: what My Page shows, and nothing only staff see (internal notes and events, who the
ticket is assigned to, staff members' ids)."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields

from ...host import FieldKind
from ...priorities import Priority
from ...workflow import Role
from .schemas import (
    EARLIER,
    FILES,
    AnswerSchema,
    AttachmentSchema,
    EventSchema,
    MessageSchema,
    PersonNameSchema,
    TargetsSchema,
    TicketSummarySchema,
    _choice,
)


class MeSchema(Schema):
    """Who is calling, and the token a session's script sends with each change."""

    user_id = fields.String(required=True)
    name = fields.String(required=True)
    areas = fields.List(
        _choice(Role), required=True, metadata={"description": "the areas the caller has"}
    )
    csrf_token = fields.String(
        allow_none=True,
        metadata={"description": "send it as X-CSRFToken with each change (null for tokens)"},
    )


class MyTicketSummarySchema(TicketSummarySchema):
    """A ticket as the customer's list shows it."""

    class Meta:
        exclude = ("assignee_name",)


class MyTicketListItemSchema(MyTicketSummarySchema):
    new_activity = fields.Boolean(
        required=True, metadata={"description": "changed since the customer last opened it"}
    )


class MyCountsSchema(Schema):
    open = fields.Integer(required=True)
    closed = fields.Integer(required=True)
    shared = fields.Integer(required=True, metadata={"description": "others' shared with them"})


class MyTicketListSchema(Schema):
    tickets = fields.List(fields.Nested(MyTicketListItemSchema), required=True)
    next = fields.String(
        allow_none=True, metadata={"description": "the address of the next page, or null"}
    )
    counts = fields.Nested(MyCountsSchema, required=True)


class SharingSchema(Schema):
    """Who sees a ticket besides the customer who opened it, and whether the caller watches."""

    shared_with_organisation = fields.Boolean(required=True)
    people = fields.List(fields.Nested(PersonNameSchema), required=True)
    colleagues = fields.List(
        fields.Nested(PersonNameSchema),
        required=True,
        metadata={"description": "whom the owner can still share it with"},
    )
    owner = fields.Boolean(
        required=True, metadata={"description": "the caller opened it (only they share it)"}
    )
    watching = fields.Boolean(required=True)


class FieldChoiceSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "in the caller's language"})


class RequestFieldSchema(Schema):
    """A question of a problem area: sent as the field ``answer-<key>`` of a new ticket."""

    key = fields.String(required=True)
    kind = _choice(FieldKind, required=True)
    label = fields.String(required=True, metadata={"description": "in the caller's language"})
    help = fields.String(required=True)
    required = fields.Boolean(required=True)
    choices = fields.List(fields.Nested(FieldChoiceSchema), required=True)
    max_length = fields.Integer(
        allow_none=True, metadata={"description": "the longest text it takes (text kinds)"}
    )
    min_value = fields.String(allow_none=True, metadata={"description": "a number, as text"})
    max_value = fields.String(allow_none=True, metadata={"description": "a number, as text"})
    min_date = fields.Date(allow_none=True)
    max_date = fields.Date(allow_none=True)


class AreaSchema(Schema):
    """A problem area and the questions it asks (none: the guided ``issue_about``,
    ``expected_outcome`` and ``current_scenario``)."""

    key = fields.String(required=True)
    label = fields.String(required=True)
    section = fields.String(allow_none=True, metadata={"description": "a heading grouping areas"})
    questions = fields.List(
        fields.Nested(RequestFieldSchema), required=True, attribute="fields", data_key="fields"
    )


class MyAreasSchema(Schema):
    areas = fields.List(fields.Nested(AreaSchema), required=True)


class MyTicketSchema(MyTicketSummarySchema):
    """A ticket as My Page shows it: the conversation without internal notes, the events the
    customer sees, the files, the response targets, what they may do now, its sharing."""

    issue_about = fields.String(required=True)
    expected_outcome = fields.String(required=True)
    current_scenario = fields.String(required=True)
    category_key = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
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
    actions = fields.List(fields.String(), required=True)
    sharing = fields.Nested(SharingSchema, required=True)
    answers = fields.List(
        fields.Nested(AnswerSchema),
        required=True,
        metadata={"description": "the answers to its problem area's questions"},
    )


class MyChangedSchema(Schema):
    """What a customer's call changed: the ticket as it is now, the messages and events it
    added that the customer sees."""

    ticket = fields.Nested(MyTicketSummarySchema, required=True)
    messages = fields.List(fields.Nested(MessageSchema), required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)


class OrderSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    provider_id = fields.String(allow_none=True)
    provider_name = fields.String(allow_none=True)


class CategorySchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)


class UploadRulesSchema(Schema):
    enabled = fields.Boolean(required=True)
    max_files = fields.Integer(required=True)
    max_size = fields.Integer(required=True, metadata={"description": "bytes per file"})
    extensions = fields.String(required=True, metadata={"description": "e.g. .pdf .png"})


class MyOrdersSchema(Schema):
    """What a new ticket can be about: the customer's active orders (``order``), or none
    (``"none"``) where the marketplace allows it, its problem areas, and the files it takes."""

    orders = fields.List(fields.Nested(OrderSchema), required=True)
    without_order_allowed = fields.Boolean(required=True)
    categories = fields.List(fields.Nested(CategorySchema), required=True)
    attachments = fields.Nested(UploadRulesSchema, required=True)


class NewTicketSchema(Schema):
    """A new ticket, as the form on My Page sends it (``tickets.open_ticket`` checks it). A
    problem area with questions of its own (``GET /my/areas``) takes their answers as fields
    ``answer-<key>`` (a list of choices' keys for several choices) instead of ``issue_about``,
    which the other areas need."""

    class Meta:
        # the answers to the chosen area's questions: answer-<key>
        unknown = INCLUDE

    order = fields.String(
        required=True, metadata={"description": 'an active order\'s id, or "none"'}
    )
    subject = fields.String(required=True)
    category = fields.String(metadata={"description": "a problem area's key"})
    priority = _choice(Priority)
    issue_about = fields.String(
        metadata={"description": "needed unless the area asks questions of its own"}
    )
    expected_outcome = fields.String()
    current_scenario = fields.String()
    follow_up_of = fields.Integer(metadata={"description": "an earlier ticket's number"})


def anonymous_staff(message: dict[str, Any]) -> dict[str, Any]:
    """A message or event as a customer reads it: staff members by name and role only."""
    for key in ("author", "actor"):
        person = message.get(key)
        if person is not None and person["role"] != Role.CUSTOMER.value:
            message[key] = {**person, "user_id": None}
    return message
