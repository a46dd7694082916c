"""What every API call that changes a ticket shares: its fields and files (a JSON object, or
``multipart/form-data`` with files under ``attachments``), its ``Idempotency-Key`` (the same
key and call answer what the first answered and change nothing), and its answer, worked out in
the change's transaction."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from flask import Response, current_app, json, request
from flask_smorest import Blueprint
from marshmallow import Schema

from ... import access, actions, idempotency
from ...attachments import Upload
from ...changes import Change
from ...i18n import gettext
from ...idempotency import Answer, Receipt
from ...models import Event, Message, Ticket
from ...schemas import InvalidInput
from ...workflow import Action, Role
from ..files import uploads
from . import schemas
from .callers import caller
from .problems import problem

#: The actions of ``/actions/<action>``: every one but the messages (``/messages``), also
#: those no row of the workflow table lets the caller take (answered 409 with the reason).
ACTIONS = tuple(action for action in Action if action not in (Action.REPLY, Action.NOTE))

T = TypeVar("T")

#: The form field of the files of a ``multipart/form-data`` call, as on the pages.
FILES_FIELD = "attachments"


#: The ``Idempotency-Key`` header, as the document describes it.
_KEY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "the same key and body again: the first answer, nothing changed",
}
#: The files of a ``multipart/form-data`` body, as the document describes them.
_FILES = {
    "type": "array",
    "items": {"type": "string", "format": "binary"},
    "description": "files, checked as on the pages (count, size, kind)",
}


def documented(
    bp: Blueprint,
    body: type[Schema],
    status: int,
    answer: type[Schema] = schemas.ChangedSchema,
    *,
    files: bool = False,
    required: bool = True,
) -> Callable[[Any], Any]:
    """The document's words for a call that changes something: its ``Idempotency-Key``, its
    body (a JSON object; with ``files`` also ``multipart/form-data`` with ``attachments``) and
    its answer."""
    content: dict[str, Any] = {"application/json": {"schema": body}}
    if files:
        fields = {
            name: {"type": "string"} for name, field in body().fields.items() if not field.dump_only
        }
        content["multipart/form-data"] = {
            "schema": {"type": "object", "properties": {**fields, FILES_FIELD: _FILES}}
        }
    doc = bp.doc(parameters=[_KEY_HEADER], requestBody={"required": required, "content": content})
    answered = bp.response(status, answer)

    def decorate(view: Any) -> Any:
        return answered(doc(view))

    return decorate


def fields_and_files() -> tuple[dict[str, Any], list[Upload]]:
    """The call's fields and files: a JSON object (no body: no fields), or the fields and the
    ``attachments`` files of a ``multipart/form-data`` body.

    Raises: InvalidInput: a body that is neither.
    """
    if request.mimetype == "multipart/form-data":
        # a part's name can be missing from a hand-made body: never a field then
        return {str(name): value for name, value in request.form.items()}, uploads()
    if not request.get_data():
        return {}, []
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput({"_body": [gettext("Send a JSON object.")]})
    return body, []


def _call() -> Any:
    """What two calls must share to be the same call: the JSON body, or the form's fields and
    each file's name and bytes."""
    if request.mimetype != "multipart/form-data":
        return request.get_json(silent=True)
    files = []
    for file in request.files.getlist(FILES_FIELD):
        files.append([file.filename, hashlib.sha256(file.stream.read()).hexdigest()])
        file.stream.seek(0)
    fields = sorted([str(name), value] for name, values in request.form.lists() for value in values)
    return {"fields": fields, "files": files}


def call_key() -> str | None:
    """The call's ``Idempotency-Key``, or None.

    Raises: InvalidInput: a key that is not 1 to 255 visible ASCII characters.
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None and not idempotency.is_key(key):
        raise InvalidInput(
            {"Idempotency-Key": [gettext("Send 1 to 255 visible ASCII characters.")]}
        )
    return key


def submission_key(key: str | None) -> str:
    """The form key a new ticket's call hands ``tickets.open_ticket`` (which stores a form
    once): derived from the call's ``Idempotency-Key``, so two calls with one key that race
    each other open one ticket, and the key used again after it is forgotten answers that
    ticket; random without a key."""
    if key is None:
        return secrets.token_urlsafe(24)
    digest = hashlib.sha256(b"api-call:" + key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def once(
    run: Callable[[Receipt], Ticket],
    status: int,
    answer: type[Schema] = schemas.ChangedSchema,
) -> Response:
    """Run a change (``run`` hands the receipt to the use-case) and answer what it changed,
    as ``answer``; with an ``Idempotency-Key`` once only.

    Raises: InvalidInput (also a bad key), KeyReused, and whatever the use-case raises.
    """
    role = caller().role

    def stored_before(ticket: Ticket) -> Answer:
        return Answer(status, dumped(answer, role, ticket, [], []))

    return keyed(run, partial(_answered, status, role, answer), stored_before)


def keyed(
    run: Callable[[Receipt], T],
    answering: Callable[[Any], Answer],
    otherwise: Callable[[T], Answer],
) -> Response:
    """Run a use-case with the call's ``Idempotency-Key``: ``run`` hands the receipt to the
    use-case, which keeps the answer ``answering`` works out of what it did in its own
    transaction; the same key and call again answer that, and change nothing. ``otherwise``
    answers what ``run`` returned when no answer was kept (a form stored before, its key
    forgotten since).

    Raises: InvalidInput (a bad key), KeyReused, and whatever the use-case raises.
    """
    who = caller()
    key = call_key()
    fingerprint = idempotency.fingerprint(request.method, request.path, _call())
    user_id = who.actor.user_id
    if key is not None:
        earlier = idempotency.answered_before(who.tenant_id, user_id, key, fingerprint)
        if earlier is not None:
            return respond(earlier, replayed=True)
    receipt = Receipt(who.tenant_id, user_id, key, fingerprint, answering)
    done = run(receipt)
    answered = receipt.answered or receipt.take_earlier() or otherwise(done)
    return respond(answered, replayed=False)


def _answered(status: int, role: Role, answer: type[Schema], change: Change) -> Answer:
    """The answer to a change, worked out in its transaction (kept with its key)."""
    events = [e for e in change.rows if isinstance(e, Event)]
    return Answer(status, dumped(answer, role, change.ticket, change.messages, events))


def dumped(
    answer: type[Schema],
    role: Role,
    ticket: Ticket,
    messages: list[Message],
    events: list[Event],
) -> dict[str, Any]:
    """A change's answer: the ticket as it is now, and what the change added that ``role``
    may read."""
    internal = access.reads_internal(role)
    return dict(
        answer().dump(
            {
                "ticket": schemas.summary(ticket),
                "messages": [schemas.message(m) for m in messages if internal or not m.internal],
                "events": [schemas.event(e) for e in events if internal or not e.internal],
            }
        )
    )


def post_action(number: int, action: str, answer: type[Schema] = schemas.ChangedSchema) -> Response:
    """Take a workflow action; the body holds the action's fields, as on the ticket page."""
    if action not in {a.value for a in ACTIONS}:
        return problem(
            "not-found",
            gettext("There is no such action. Replies and internal notes go to /messages."),
        )
    fields, files = fields_and_files()
    return change(number, Action(action), fields, 200, files, answer)


def change(
    number: int,
    action: Action,
    form: dict[str, Any],
    status: int,
    files: Sequence[Upload] = (),
    answer: type[Schema] = schemas.ChangedSchema,
) -> Response:
    """Fire ``action`` through ``actions.act`` as the caller; with an ``Idempotency-Key``
    once only."""
    who = caller()

    def run(receipt: Receipt) -> Ticket:
        return actions.act(
            who.tenant_id, who.actor, who.role, number, action, form, files, receipt=receipt
        )

    return once(run, status, answer)


def respond(answer: Answer, *, replayed: bool) -> Response:
    response = current_app.response_class(
        json.dumps(answer.body), status=answer.status, mimetype="application/json"
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
