"""The marketplace's request types: problem areas and their questions, kept in its own table
(``RequestType``) and handed to the support module as ``Category`` objects. The operator edits
them on the request types page (``request_type_page.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, cast, select

from marketplace_support import Category, FieldChoice, FieldKind, RequestField

from .models import RequestType, db

#: the kinds of question, as the page names them
KIND_NAMES = {
    FieldKind.SHORT_TEXT: "Short text",
    FieldKind.LONG_TEXT: "Long text",
    FieldKind.NUMBER: "Number",
    FieldKind.DATE: "Date",
    FieldKind.CHOICE: "One choice",
    FieldKind.CHOICES: "Several choices",
    FieldKind.YES_NO: "Yes / no",
    FieldKind.EMAIL: "E-mail address",
    FieldKind.LINK: "Link",
}


def in_language(texts: Mapping[str, str], locale: str) -> str:
    for candidate in (locale, locale.split("_")[0], "en"):
        if texts.get(candidate):
            return texts[candidate]
    return next((text for text in texts.values() if text), "")


# -- rows and the module's dataclasses ----------------------------------------------------------


def field_to_json(field: RequestField) -> dict[str, Any]:
    return {
        "key": field.key,
        "kind": field.kind.value,
        "label": dict(field.label),
        "help": dict(field.help),
        "required": field.required,
        "choices": [{"key": c.key, "label": dict(c.label)} for c in field.choices],
        "max_length": field.max_length,
        "min_value": None if field.min_value is None else str(field.min_value),
        "max_value": None if field.max_value is None else str(field.max_value),
        "min_date": field.min_date.isoformat() if field.min_date else None,
        "max_date": field.max_date.isoformat() if field.max_date else None,
    }


def field_from_json(data: Mapping[str, Any]) -> RequestField:
    def number(name: str) -> Decimal | None:
        return None if data.get(name) is None else Decimal(data[name])

    def day(name: str) -> date | None:
        return None if not data.get(name) else date.fromisoformat(data[name])

    return RequestField(
        key=data["key"],
        kind=FieldKind(data["kind"]),
        label=data["label"],
        help=data.get("help") or {},
        required=bool(data.get("required")),
        choices=tuple(FieldChoice(c["key"], c["label"]) for c in data.get("choices") or ()),
        max_length=data.get("max_length"),
        min_value=number("min_value"),
        max_value=number("max_value"),
        min_date=day("min_date"),
        max_date=day("max_date"),
    )


def categories(tenant_id: str, locale: str) -> list[Category]:
    """The marketplace's problem areas for the support module, labelled in ``locale``.

    Every support page asks for them (the forms and the staff lists' filters), so the rows are
    read as their stored JSON text and each row's ``Category`` is made once per text and
    language: an edited row has another text, so it is made anew."""
    rows = db.session.execute(
        select(
            RequestType.key,
            cast(RequestType.labels, Text),
            RequestType.operator_only,
            cast(RequestType.fields, Text),
            RequestType.section,
        )
        .where(RequestType.tenant_id == tenant_id)
        .order_by(RequestType.position, RequestType.key)
    )
    return [_category(*row, locale) for row in rows]


@lru_cache(maxsize=1024)
def _category(
    key: str, labels: str, operator_only: bool, fields: str, section: str | None, locale: str
) -> Category:
    return Category(
        key,
        in_language(json.loads(labels), locale),
        operator_only=operator_only,
        fields=tuple(field_from_json(f) for f in json.loads(fields or "[]")),
        section=section or None,
    )


# -- the demo's ----------------------------------------------------------------------------------

ROUTER_LIGHTS = RequestField(
    "router_lights",
    FieldKind.CHOICE,
    {
        "en": "Router lights",
        "de": "Router-Lämpchen",
        "fr": "Voyants du routeur",
        "es": "Luces del router",
        "nl": "Lampjes van de router",
    },
    help={"en": "Look at the front of the router.", "de": "Vorne am Router."},
    required=True,
    choices=(
        FieldChoice("all_off", {"en": "All off", "de": "Alle aus", "fr": "Tous éteints"}),
        FieldChoice(
            "power_only", {"en": "Power only", "de": "Nur Strom", "fr": "Alimentation seule"}
        ),
        FieldChoice(
            "blinking_red", {"en": "Blinking red", "de": "Blinkt rot", "fr": "Rouge clignotant"}
        ),
        FieldChoice("all_green", {"en": "All green", "de": "Alle grün", "fr": "Tous verts"}),
    ),
)
ADDRESS = RequestField(
    "address",
    FieldKind.SHORT_TEXT,
    {"en": "Address of the connection", "de": "Adresse des Anschlusses", "fr": "Adresse"},
    help={"en": "Street, number and town, as on the order."},
    required=True,
)
SINCE = RequestField("since", FieldKind.DATE, {"en": "Since when?", "de": "Seit wann?"})
INVOICE_NUMBER = RequestField(
    "invoice_number",
    FieldKind.SHORT_TEXT,
    {"en": "Invoice number", "de": "Rechnungsnummer", "fr": "Numéro de facture"},
    help={"en": "At the top right of the invoice, like R-2026-0042."},
    required=True,
    max_length=40,
)
AMOUNT = RequestField(
    "amount",
    FieldKind.NUMBER,
    {"en": "Amount in question (€)", "de": "Betrag (€)"},
    min_value=Decimal(0),
    max_value=Decimal(1_000_000),
)
MAILBOX = RequestField(
    "mailbox",
    FieldKind.EMAIL,
    {"en": "Affected mailbox", "de": "Betroffenes Postfach", "fr": "Boîte concernée"},
    required=True,
)
OTHERS_AFFECTED = RequestField(
    "others_affected", FieldKind.YES_NO, {"en": "Are other mailboxes affected too?"}
)


def demo_request_types(tenant_id: str) -> Sequence[RequestType]:
    """The demo marketplace's request types (seed 004's sections and types)."""

    def area(
        key: str, labels: dict[str, str], position: int, *fields: RequestField, **extra: Any
    ) -> RequestType:
        return RequestType(
            tenant_id=tenant_id,
            key=key,
            position=position,
            labels=labels,
            fields=[field_to_json(f) for f in fields],
            **extra,
        )

    return [
        area(
            "no_connection",
            {"en": "No connection", "de": "Keine Verbindung", "fr": "Pas de connexion"},
            1,
            ADDRESS,
            ROUTER_LIGHTS,
            SINCE,
            section="Internet and mail",
        ),
        area(
            "mail",
            {"en": "Mail", "de": "E-Mail", "fr": "Messagerie"},
            2,
            MAILBOX,
            OTHERS_AFFECTED,
            section="Internet and mail",
        ),
        area(
            "technical", {"en": "Technical problem with a service", "de": "Technisches Problem"}, 3
        ),
        area("usage", {"en": "Question about using a service", "de": "Frage zur Nutzung"}, 4),
        area(
            "billing",
            {"en": "Billing", "de": "Rechnung", "fr": "Facturation"},
            5,
            INVOICE_NUMBER,
            AMOUNT,
            section="Account and billing",
            operator_only=True,
        ),
        area(
            "account",
            {"en": "My account on the marketplace", "de": "Mein Konto"},
            6,
            section="Account and billing",
            operator_only=True,
        ),
        area("other", {"en": "Something else", "de": "Etwas anderes"}, 7),
    ]
