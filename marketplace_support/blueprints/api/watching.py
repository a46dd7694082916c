"""Watching a ticket through the API: staff on ``/tickets/<number>/watching``, a customer on
``/my/tickets/<number>/watching``. Anyone who may see a ticket may watch it and then hears of
every change (customers only of what customers may see): ``sharing.watch``, as the pages'
"Watch" button."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ... import sharing
from ...schemas import ApiWatchingSchema, InvalidInput, load
from ..paths import ID
from . import changing
from .callers import Area, caller

#: The area of each route of this module.
AREAS: dict[str, Area] = {
    "marketplace_support_api.watching": "staff",
    "marketplace_support_api.my_watching": "customer",
}


class WatchingSchema(Schema):
    watching = fields.Boolean(
        required=True,
        metadata={"description": "whether the caller hears of every change of the ticket"},
    )


def add_routes(bp: Blueprint) -> None:
    """The staff's and the customer's route, on the API's blueprint."""
    body = bp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": ApiWatchingSchema}},
        }
    )
    answer = bp.response(200, WatchingSchema)
    bp.route(f"/tickets/<{ID}:number>/watching", endpoint="watching", methods=["PUT"])(
        answer(body(_watch))
    )
    customer = bp.doc(tags=["My Page"], security=[{"session": [], "csrf": []}])
    bp.route(f"/my/tickets/<{ID}:number>/watching", endpoint="my_watching", methods=["PUT"])(
        answer(body(customer(_watch)))
    )


def _watch(number: int) -> dict[str, Any]:
    """Start (``{"watching": true}``) or stop watching a ticket the caller may see."""
    who = caller()
    data, errors = load(ApiWatchingSchema(), changing.fields_and_files()[0])
    if errors:
        raise InvalidInput(errors)
    sharing.watch(who.tenant_id, who.actor, who.role, number, data["watching"])
    return {"watching": data["watching"]}
