"""The test marketplace's problem areas with questions of their own (request types): no
connection (an address, the router's lights, since when), billing (for the operator only),
mail, and one without questions."""

from __future__ import annotations

from decimal import Decimal

from marketplace_support import Category, FieldChoice, FieldKind, RequestField

ROUTER_LIGHTS = RequestField(
    "router_lights",
    FieldKind.CHOICE,
    {"en": "Router lights", "de": "Router-Lämpchen"},
    help={"en": "Look at the front of the router."},
    required=True,
    choices=(
        FieldChoice("all_off", {"en": "All off", "de": "Alle aus"}),
        FieldChoice("power_only", {"en": "Power only", "de": "Nur Strom"}),
        FieldChoice("blinking_red", {"en": "Blinking red", "de": "Blinkt rot"}),
        FieldChoice("all_green", {"en": "All green", "de": "Alle grün"}),
    ),
)
NO_CONNECTION = Category(
    "no_connection",
    "No connection",
    fields=(
        RequestField(
            "address", FieldKind.SHORT_TEXT, {"en": "Address", "de": "Adresse"}, required=True
        ),
        ROUTER_LIGHTS,
        RequestField("since", FieldKind.DATE, {"en": "Since when?"}),
    ),
    section="Internet",
)
BILLING = Category(
    "billing",
    "Billing",
    operator_only=True,
    fields=(
        RequestField(
            "invoice_number",
            FieldKind.SHORT_TEXT,
            {"en": "Invoice number"},
            required=True,
            max_length=20,
        ),
        RequestField(
            "amount",
            FieldKind.NUMBER,
            {"en": "Amount"},
            min_value=Decimal(0),
            max_value=Decimal(100000),
        ),
    ),
)
MAIL = Category(
    "mail",
    "Mail",
    fields=(RequestField("mailbox", FieldKind.EMAIL, {"en": "Affected mailbox"}),),
)
OTHER = Category("other", "Something else")
