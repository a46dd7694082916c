"""The ``Idempotency-Key`` of the API's POSTs: every route that changes something runs its
use-case through :func:`once`, which answers a call made before with the same key and body
with that call's answer (``Idempotent-Replayed: true``), refuses the key with another body
(``idempotency.KeyReused``: 422), and otherwise hands the use-case a ``Receipt`` that keeps
the key and the answer in the use-case's transaction (``idempotency``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, json, request

from ... import idempotency
from ...i18n import gettext
from ...idempotency import Answer, Receipt
from ...schemas import InvalidInput

#: The header, documented on every POST of the API.
HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "the same key and body again: the first answer, nothing changed",
}


def once(answer: Callable[[Any], Answer], run: Callable[[Receipt], object]) -> Response:
    """Run a use-case (``run``, given the call's receipt) once per ``Idempotency-Key``;
    ``answer`` makes the call's answer from what the use-case made, in its transaction.

    Raises:
        InvalidInput: a key that is not 1 to 255 visible ASCII characters.
        KeyReused: the key was used for another call.
    """
    bearer = g.marketplace_support_bearer
    key = request.headers.get("Idempotency-Key")
    if key is not None and not idempotency.is_key(key):
        raise InvalidInput(
            {"Idempotency-Key": [gettext("Send 1 to 255 visible ASCII characters.")]}
        )
    fingerprint = idempotency.fingerprint(
        request.method, request.path, request.get_json(silent=True)
    )
    user_id = bearer.actor.user_id
    if key is not None:
        earlier = idempotency.answered_before(bearer.tenant_id, user_id, key, fingerprint)
        if earlier is not None:
            return respond(earlier, replayed=True)
    receipt = Receipt(bearer.tenant_id, user_id, key, fingerprint, answer)
    run(receipt)
    assert receipt.answered is not None
    return respond(receipt.answered, replayed=False)


def respond(answer: Answer, *, replayed: bool) -> Response:
    response = current_app.response_class(
        json.dumps(answer.body), status=answer.status, mimetype="application/json"
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
