"""Input schemas (marshmallow): what a form or an API call may send, with errors per field.

Every message is a lazy string of the module's domain, so errors appear in the user's
language. Unknown fields are refused. Surrounding white space is trimmed and an empty field
counts as missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, fields, pre_load, validate

from .i18n import lazy_gettext
from .priorities import Priority

#: The value of the "not related to any active service" choice.
NO_ORDER = "none"

SUBJECT_MAX = 200
TEXT_MAX = 10_000


class _String(fields.String):
    """A text field whose every message is in the user's language."""

    default_error_messages = {
        "required": lazy_gettext("Fill in this field."),
        "null": lazy_gettext("Fill in this field."),
        "invalid": lazy_gettext("Enter text in this field."),
        "invalid_utf8": lazy_gettext("Enter text in this field."),
    }


def _text(required: str | None, maximum: int, too_long: str) -> _String:
    length = validate.Length(max=maximum, error=too_long)
    if required is None:
        return _String(load_default="", validate=length)
    return _String(required=True, validate=length, error_messages={"required": required})


def _submission_key() -> _String:
    unreadable = lazy_gettext("The form could not be read. Please reload it.")
    return _String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{16,64}$", error=unreadable),
        error_messages={"required": unreadable},
    )


class _FormSchema(Schema):
    error_messages = {
        "unknown": lazy_gettext("This field is not part of the form."),
        "type": lazy_gettext("The form could not be read."),
    }

    class Meta:
        unknown = RAISE

    @pre_load
    def _trim(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        trimmed = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            trimmed[key] = value
        return trimmed


class OpenTicketSchema(_FormSchema):
    """A new ticket from My Page → Support."""

    def __init__(self, category_keys: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keys = list(category_keys)
        category = self.fields["category"]
        category.required = bool(keys)
        category.validators = [
            validate.OneOf(keys, error=lazy_gettext("Choose one of the problem areas."))
        ]

    submission_key = _submission_key()
    order = _String(
        required=True,
        validate=validate.Length(
            max=128, error=lazy_gettext("Choose one of your active services.")
        ),
        error_messages={"required": lazy_gettext("Choose the service this is about.")},
    )
    subject = _text(
        lazy_gettext("Enter a subject."),
        SUBJECT_MAX,
        lazy_gettext("The subject can be at most {max} characters long."),
    )
    category = _String(
        load_default=None,
        error_messages={"required": lazy_gettext("Choose a problem area.")},
    )
    priority = fields.Enum(
        Priority,
        by_value=True,
        load_default=Priority.MEDIUM,
        error_messages={"unknown": lazy_gettext("Choose one of the priorities.")},
    )
    issue_about = _text(
        lazy_gettext("Tell us what the issue is about."),
        TEXT_MAX,
        lazy_gettext("This text can be at most {max} characters long."),
    )
    expected_outcome = _text(
        None, TEXT_MAX, lazy_gettext("This text can be at most {max} characters long.")
    )
    current_scenario = _text(
        None, TEXT_MAX, lazy_gettext("This text can be at most {max} characters long.")
    )
    follow_up_of = fields.Integer(
        load_default=None,
        strict=False,
        error_messages={"invalid": lazy_gettext("The earlier ticket could not be found.")},
    )


class MessageSchema(_FormSchema):
    """Information a customer adds to a ticket."""

    submission_key = _submission_key()
    body = _text(
        lazy_gettext("Write the information you want to add."),
        TEXT_MAX,
        lazy_gettext("This text can be at most {max} characters long."),
    )
