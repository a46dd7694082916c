"""What the Support inbox and console show beside the tickets, through the API: the scorecard
(``/scorecard``: the operator every provider's and its own tickets, a provider its own) and
the operator's notifications that did not go out (``/notifications``), with "send again".
The numbers and the rows are ``scorecard``'s and ``outbox``'s, the same as the pages'."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ... import outbox, scorecard
from ...idempotency import Answer, Receipt
from ...models import OutboxMessage
from ...notifications import Notification
from ...schemas import InvalidInput, NotificationsAgainSchema, PeriodSchema, load
from . import callers, changing
from .callers import Area
from .webhooks import SentAgainSchema

#: The area of each route of this module: the notifications are the operator's only.
AREAS: dict[str, Area] = {
    "marketplace_support_api.scorecard": "staff",
    "marketplace_support_api.notifications": "operator",
    "marketplace_support_api.send_notifications_again": "operator",
}


class ScoreSchema(Schema):
    """How one provider (or the marketplace itself) kept its response targets."""

    provider_id = fields.String(
        allow_none=True, metadata={"description": "null: the tickets the marketplace handles"}
    )
    provider_name = fields.String(allow_none=True)
    tickets = fields.Integer(required=True, metadata={"description": "opened in the period"})
    first_response_median = fields.Float(
        allow_none=True,
        metadata={"description": "minutes of business time to the first response (median)"},
    )
    resolution_median = fields.Float(
        allow_none=True,
        metadata={"description": "minutes of business time to the resolution (median)"},
    )
    breached_share = fields.Float(
        allow_none=True, metadata={"description": "0 to 1: the share of targets missed"}
    )
    reopen_rate = fields.Float(
        allow_none=True, metadata={"description": "0 to 1: resolved tickets reopened"}
    )


class ScorecardSchema(Schema):
    first = fields.Date(required=True, metadata={"description": "the period's first day"})
    last = fields.Date(required=True, metadata={"description": "its last day (it counts)"})
    scores = fields.List(fields.Nested(ScoreSchema), required=True)


class TroubledSchema(Schema):
    """A notification that failed for good, or waits for another try."""

    id = fields.Integer(required=True)
    recipient = fields.String(required=True)
    ticket_number = fields.Integer(required=True)
    notification = fields.String(
        required=True, metadata={"enum": [kind.value for kind in Notification]}
    )
    notification_label = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={
            "enum": ["failed", "pending"],
            "description": "failed for good, or pending: tried again at next_attempt_at",
        },
    )
    attempts = fields.Integer(required=True)
    error = fields.String(allow_none=True, metadata={"description": "why it did not go out"})
    next_attempt_at = fields.DateTime(required=True)
    created_at = fields.DateTime(required=True)


class TroubledListSchema(Schema):
    notifications = fields.List(fields.Nested(TroubledSchema), required=True)


class SendNotificationsAgainSchema(Schema):
    notifications = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "1 to 100 ids of notifications listed"},
    )


def add_routes(bp: Blueprint) -> None:
    """The scorecard and the notifications, on the API's blueprint."""
    period = bp.doc(parameters=[{"in": "query", "schema": PeriodSchema}])
    bp.route("/scorecard", endpoint="scorecard", methods=["GET"])(
        bp.response(200, ScorecardSchema)(period(_scorecard))
    )
    bp.route("/notifications", endpoint="notifications", methods=["GET"])(
        bp.response(200, TroubledListSchema)(_notifications)
    )
    bp.route("/notifications/send-again", endpoint="send_notifications_again", methods=["POST"])(
        changing.documented(bp, SendNotificationsAgainSchema, 200, SentAgainSchema)(_send_again)
    )


def _scorecard() -> dict[str, Any]:
    """How providers keep their response targets over a period (``from``, ``to``: by
    default the last 30 days), as the scorecard page shows it: the operator every provider's
    and its own tickets, a provider its own."""
    who = callers.caller()
    days = scorecard.period(who.tenant_id, request.args.to_dict())
    scores = scorecard.scorecard(who.tenant_id, who.actor, who.role, days.start, days.end)
    return {"first": days.first, "last": days.last, "scores": scores}


def _notifications() -> dict[str, Any]:
    """The newest 100 notifications that failed for good or wait for another try, with
    why (the operator's page of notifications that did not go out)."""
    who = callers.caller()
    rows = outbox.troubled(who.tenant_id, who.actor, who.role)
    return {"notifications": [_troubled(row) for row in rows]}


def _send_again() -> Response:
    """Send notifications of the list again, at once; how many were put back."""
    who = callers.caller()
    data, errors = load(NotificationsAgainSchema(), changing.fields_and_files()[0])
    if errors:
        raise InvalidInput(errors)

    def run(receipt: Receipt) -> int:
        ids = data["notifications"]
        return outbox.send_troubled_again(who.tenant_id, who.actor, who.role, ids, receipt)

    return changing.keyed(run, _sent_again, _sent_again)


def _sent_again(count: int) -> Answer:
    return Answer(200, {"sent_again": count})


def _troubled(row: OutboxMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "recipient": row.recipient,
        "ticket_number": row.payload["number"],
        "notification": row.notification,
        "notification_label": str(Notification(row.notification).label),
        "status": row.status.value,
        "attempts": row.attempts,
        "error": row.last_error,
        "next_attempt_at": row.next_attempt_at,
        "created_at": row.created_at,
    }
