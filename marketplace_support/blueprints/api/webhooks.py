"""The API's webhook routes (``/webhooks``): register an endpoint (its secret in this answer
only), list, read, enable or disable and delete endpoints, read an endpoint's delivery log and
send failed deliveries again. The rules are ``webhooks``' (the pages' too); provider staff
manage their providers' endpoints, the operator every endpoint of the marketplace."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ... import webhooks
from ...i18n import gettext
from ...idempotency import Answer, Receipt
from ...models import WebhookEndpoint
from ...schemas import InvalidInput, SendAgainSchema, WebhookSwitchSchema, load
from ...webhook_delivery import webhook_id
from ...webhooks import EndpointNotFound, EventType
from ...workflow import Role
from ..paths import ID
from . import callers, changing
from .problems import problem


class NewEndpointSchema(Schema):
    """A new endpoint (checked by ``schemas.WebhookSchema``, as the page's form)."""

    url = fields.String(required=True, metadata={"description": "https://, a public address"})
    events = fields.List(
        fields.String(metadata={"enum": [e.value for e in EventType]}), required=True
    )
    provider_id = fields.String(
        allow_none=True, metadata={"description": "staff of several providers: whose it is"}
    )


class SwitchSchema(Schema):
    enabled = fields.Boolean(required=True)


class ResendSchema(Schema):
    deliveries = fields.List(
        fields.Integer(), required=True, metadata={"description": "1 to 100 ids of failed ones"}
    )


class EndpointSchema(Schema):
    """A webhook endpoint, with its delivery health."""

    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(
        fields.String(metadata={"enum": [e.value for e in EventType]}), required=True
    )
    enabled = fields.Boolean(required=True)
    owner = fields.String(
        required=True, metadata={"enum": [Role.PROVIDER.value, Role.OPERATOR.value]}
    )
    provider_id = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    failures = fields.Integer(required=True, metadata={"description": "failures in a row"})
    retry_at = fields.DateTime(
        allow_none=True, metadata={"description": "paused after failures until then"}
    )
    last_success_at = fields.DateTime(allow_none=True)
    last_failure_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class RegisteredSchema(EndpointSchema):
    secret = fields.String(
        required=True,
        metadata={"description": "whsec_...: signs every delivery; shown in this answer only"},
    )


class EndpointListSchema(Schema):
    endpoints = fields.List(fields.Nested(EndpointSchema), required=True)


class TrySchema(Schema):
    """One try to post a delivery."""

    attempt = fields.Integer(
        required=True, metadata={"description": "which try: 1, 2, ... (anew after send again)"}
    )
    tried_at = fields.DateTime(required=True)
    duration_ms = fields.Integer(required=True, metadata={"description": "how long it took"})
    response_status = fields.Integer(
        allow_none=True, metadata={"description": "the endpoint's answer; null: none came"}
    )
    error = fields.String(allow_none=True, metadata={"description": "null: a 2xx answer"})


class DeliverySchema(Schema):
    """One event to the endpoint, with its last try and every try still kept."""

    id = fields.Integer(required=True)
    webhook_id = fields.String(required=True, metadata={"description": "the webhook-id header"})
    type = fields.String(required=True, metadata={"enum": [e.value for e in EventType]})
    ticket_number = fields.Integer(required=True)
    status = fields.String(
        required=True, metadata={"enum": ["pending", "sending", "sent", "failed"]}
    )
    attempts = fields.Integer(required=True)
    response_status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    tries = fields.List(
        fields.Nested(TrySchema),
        required=True,
        metadata={"description": "oldest first; kept SUPPORT_WEBHOOK_LOG_DAYS days"},
    )


class DeliveryListSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True)


class SentAgainSchema(Schema):
    sent_again = fields.Integer(required=True, metadata={"description": "how many"})


def add_routes(bp: Blueprint) -> None:
    """The webhook routes, on the API's blueprint."""
    one = f"/webhooks/<{ID}:endpoint_id>"
    bp.register_error_handler(EndpointNotFound, _not_found)
    bp.route("/webhooks", endpoint="webhooks", methods=["GET"])(
        bp.response(200, EndpointListSchema)(_list)
    )
    bp.route("/webhooks", endpoint="register_webhook", methods=["POST"])(
        changing.documented(bp, NewEndpointSchema, 201, RegisteredSchema)(_register)
    )
    bp.route(one, endpoint="webhook", methods=["GET"])(bp.response(200, EndpointSchema)(_read))
    bp.route(one, endpoint="switch_webhook", methods=["PATCH"])(
        _body(bp, SwitchSchema())(bp.response(200, EndpointSchema)(_switch))
    )
    bp.route(one, endpoint="delete_webhook", methods=["DELETE"])(bp.response(204)(_delete))
    bp.route(f"{one}/deliveries", endpoint="webhook_deliveries", methods=["GET"])(
        bp.response(200, DeliveryListSchema)(_deliveries)
    )
    bp.route(f"{one}/send-again", endpoint="webhook_send_again", methods=["POST"])(
        changing.documented(bp, ResendSchema, 200, SentAgainSchema)(_send_again)
    )


def _body(bp: Blueprint, schema: Schema) -> Any:
    """The route's JSON body (a POST's: ``changing.documented``, with its
    ``Idempotency-Key``)."""
    return bp.doc(
        requestBody={"required": True, "content": {"application/json": {"schema": schema}}},
    )


def _caller() -> tuple[str, Any, Role]:
    who = callers.caller()
    return who.tenant_id, who.actor, who.role


def _json() -> dict[str, Any]:
    """Raises: InvalidInput: a body that is not a JSON object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput({"_body": [gettext("Send a JSON object.")]})
    return body


def _list() -> dict[str, Any]:
    """The caller's endpoints (the operator: every endpoint of the marketplace)."""
    return {"endpoints": [_endpoint(e) for e in webhooks.endpoints_of(*_caller())]}


def _register() -> Response:
    """Register an endpoint; its URL is checked now (https, public addresses only). The
    same call again with its ``Idempotency-Key`` registers nothing more and answers what the
    first answered, the secret too (for 24 hours, to the person who sent it only)."""
    tenant_id, actor, role = _caller()
    form = _json()

    def run(receipt: Receipt) -> webhooks.Registered:
        return webhooks.register(tenant_id, actor, role, form, receipt=receipt)

    return changing.keyed(run, _registered, _registered)


def _registered(registered: webhooks.Registered) -> Answer:
    body = {**_endpoint(registered.endpoint), "secret": registered.secret}
    return Answer(201, RegisteredSchema().dump(body))


def _read(endpoint_id: int) -> dict[str, Any]:
    """One endpoint with its delivery health."""
    return _endpoint(webhooks.endpoint(*_caller(), endpoint_id))


def _switch(endpoint_id: int) -> dict[str, Any]:
    """Enable or disable an endpoint (``{"enabled": false}``)."""
    data, errors = load(WebhookSwitchSchema(), _json())
    if errors:
        raise InvalidInput(errors)
    return _endpoint(webhooks.set_enabled(*_caller(), endpoint_id, data["enabled"]))


def _delete(endpoint_id: int) -> Response:
    """Delete an endpoint and its delivery log."""
    webhooks.remove(*_caller(), endpoint_id)
    return current_app.response_class(status=204)


def _deliveries(endpoint_id: int) -> dict[str, Any]:
    """The endpoint's newest deliveries, with their last try and every try still kept."""
    logged = webhooks.deliveries(*_caller(), endpoint_id)
    return {"deliveries": [_delivery(entry) for entry in logged]}


def _send_again(endpoint_id: int) -> Response:
    """Send failed deliveries of the endpoint again, at once (with an ``Idempotency-Key``:
    once, the same call again answers the first count)."""
    data, errors = load(SendAgainSchema(), _json())
    if errors:
        raise InvalidInput(errors)

    def run(receipt: Receipt) -> int:
        return webhooks.send_again(*_caller(), endpoint_id, data["deliveries"], receipt=receipt)

    return changing.keyed(run, _sent_again, _sent_again)


def _sent_again(count: int) -> Answer:
    return Answer(200, SentAgainSchema().dump({"sent_again": count}))


def _endpoint(row: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "events": row.events.split(),
        "enabled": row.enabled,
        "owner": row.role.value,
        "provider_id": row.provider_id,
        "created_at": row.created_at,
        "failures": row.failures,
        "retry_at": row.retry_at,
        "last_success_at": row.last_success_at,
        "last_failure_at": row.last_failure_at,
        "last_error": row.last_error,
    }


def _delivery(entry: webhooks.Logged) -> dict[str, Any]:
    row = entry.delivery
    return {
        "id": row.id,
        "webhook_id": webhook_id(row),
        "type": row.notification,
        "ticket_number": row.payload["data"]["ticket"]["number"],
        "status": row.status.value,
        "attempts": row.attempts,
        "response_status": row.response_status,
        "error": row.last_error,
        "last_attempt_at": row.claimed_at,
        "next_attempt_at": row.next_attempt_at,
        "sent_at": row.sent_at,
        "created_at": row.created_at,
        "tries": [
            {
                "attempt": tried.attempt,
                "tried_at": tried.tried_at,
                "duration_ms": tried.duration_ms,
                "response_status": tried.response_status,
                "error": tried.error,
            }
            for tried in entry.tries
        ],
    }


def _not_found(error: EndpointNotFound) -> Response:
    return problem(
        "not-found", gettext("There is no such webhook endpoint, or it is not yours to see.")
    )
