"""Input schemas (marshmallow): what a form or an API call may send, with errors per field.

Every message is a lazy string of the module's domain, so errors appear in the user's
language. Unknown fields are refused. Surrounding white space is trimmed and an empty field
counts as missing. No text may hold a NUL character (PostgreSQL stores none) or a lone
surrogate (not Unicode: no database stores one; JSON's ``"\\ud800"`` makes one), and a number
that names a ticket is read by :func:`typed_number`, so nothing a form or an address holds
reaches the database in a shape it refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeGuard

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate

from .host import KEY
from .i18n import lazy_gettext
from .models import INTEGER_MAX
from .priorities import Priority
from .workflow import Status


class InvalidInput(Exception):
    """The input was refused; ``errors`` maps each field to its messages."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(dict(errors))
        self.errors = {key: _as_list(value) for key, value in errors.items()}


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [str(v) for messages in value.values() for v in _as_list(messages)]
    return [str(value)]


def load(schema: Schema, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Valid data and errors, so that checks that need the host can add their own errors."""
    try:
        return dict(schema.load(data)), {}
    except ValidationError as error:
        errors = error.messages if isinstance(error.messages, dict) else {"_form": error.messages}
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
        return valid, dict(errors)


#: The value of the "not related to any active service" choice.
NO_ORDER = "none"

SUBJECT_MAX = 200
TEXT_MAX = 10_000

#: A list's filter by the answer to a "one choice" question: "<field key>:<choice key>".
ANSWER_FILTER = re.compile(rf"({KEY}):({KEY})\Z")

#: The random key each form carries, so that sending it twice creates one thing.
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")

#: The days a scorecard can cover: enough for any marketplace, and far from the ends of the
#: calendar, where the moments a period begins and ends no longer exist.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)


def typed_number(text: str) -> int | None:
    """A ticket number or a row id as a person or a form sends it ("42"), or None when it
    cannot name one: anything but ASCII digits (``str.isdigit`` takes "²", which ``int``
    refuses; ``int`` takes Arabic-Indic digits), 0, or a number beyond what an ``Integer``
    column holds."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(INTEGER_MAX)):
        return None
    number = int(text)
    return number if 1 <= number <= INTEGER_MAX else None


def typed_count(text: str) -> int | None:
    """A count a page's own link carries ("3 sent again"), or None when it is not one: as
    :func:`typed_number`, 0 included (for ``request.args.get(..., type=typed_count)``)."""
    return 0 if text.strip() == "0" else typed_number(text)


class _AsciiInteger(fields.Integer):
    """An integer that, sent as text, is written in ASCII digits (``int`` reads "٣٠" as 30)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not value.isascii():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def is_submission_key(value: object) -> TypeGuard[str]:
    """Whether ``value`` looks like the key of one of our forms (and may be looked up)."""
    return isinstance(value, str) and SUBMISSION_KEY.fullmatch(value) is not None


#: what no database stores: a UTF-16 surrogate on its own (a form's text never holds one,
#: Werkzeug decodes it with "replace"; JSON's "\\ud800" escape and a UTF-7 mail make one)
_SURROGATE = re.compile("[\ud800-\udfff]")


class _String(fields.String):
    """A text field whose every message is in the user's language; it takes no NUL
    character and nothing that is not Unicode (a lone surrogate)."""

    default_error_messages = {
        "required": lazy_gettext("Fill in this field."),
        "null": lazy_gettext("Fill in this field."),
        "invalid": lazy_gettext("Enter text in this field."),
        "invalid_utf8": lazy_gettext("Enter text in this field."),
        "nul": lazy_gettext(
            "This text contains a character that cannot be saved (a NUL character). "
            "Remove it and try again."
        ),
        "surrogate": lazy_gettext(
            "This text contains a character that cannot be saved (a lone surrogate, which is "
            "not valid Unicode). Remove it and try again."
        ),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        if _SURROGATE.search(text):
            raise self.make_error("surrogate")
        return text


class _TicketNumber(fields.Field[int]):
    """A ticket number typed into a form field (see :func:`typed_number`); one message,
    ``invalid``, for anything that cannot name a ticket."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        number = typed_number(value) if isinstance(value, str) else None
        if number is None:
            raise self.make_error("invalid")
        return number


_NOT_OUR_PAGE_LINK = lazy_gettext("This page link is not valid. Start again from the list.")


def _text(required: str | None, maximum: int, too_long: str) -> _String:
    length = validate.Length(max=maximum, error=too_long)
    if required is None:
        return _String(load_default="", validate=length)
    return _String(required=True, validate=length, error_messages={"required": required})


def _submission_key() -> _String:
    unreadable = lazy_gettext("The form could not be read. Please reload it.")
    return _String(
        required=True,
        validate=validate.Regexp(SUBMISSION_KEY, error=unreadable),
        error_messages={"required": unreadable, "nul": unreadable, "surrogate": unreadable},
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
    # asked where the problem area has no questions of its own (``tickets._checked_form``)
    issue_about = _text(
        None, TEXT_MAX, lazy_gettext("This text can be at most {max} characters long.")
    )
    expected_outcome = _text(
        None, TEXT_MAX, lazy_gettext("This text can be at most {max} characters long.")
    )
    current_scenario = _text(
        None, TEXT_MAX, lazy_gettext("This text can be at most {max} characters long.")
    )
    follow_up_of = _TicketNumber(
        load_default=None,
        error_messages={"invalid": lazy_gettext("The earlier ticket could not be found.")},
    )


class MessageSchema(_FormSchema):
    """A reply or an internal note."""

    submission_key = _submission_key()
    body = _text(
        lazy_gettext("Write your message."),
        TEXT_MAX,
        lazy_gettext("This text can be at most {max} characters long."),
    )


class ReplySchema(MessageSchema):
    """A reply; staff may send it and, in the same step, wait for the customer or resolve."""

    then = _String(
        load_default=None,
        validate=validate.OneOf(
            ["wait_for_customer", "resolve"], error=lazy_gettext("Choose what to do.")
        ),
    )


class NoFieldsSchema(_FormSchema):
    """A button without fields (start work, resolve, take over, ...)."""


class AssignSchema(_FormSchema):
    assignee = _String(required=True, error_messages={"required": lazy_gettext("Choose a person.")})


class ReasonSchema(_FormSchema):
    """An escalation: why the marketplace should step in."""

    reason = _text(
        lazy_gettext("Say why."),
        2000,
        lazy_gettext("This text can be at most {max} characters long."),
    )


class RerouteSchema(_FormSchema):
    route_to = _String(
        required=True, error_messages={"required": lazy_gettext("Choose who should handle it.")}
    )
    reason = _text(
        lazy_gettext("Say why, for the customer and the new handler."),
        2000,
        lazy_gettext("This text can be at most {max} characters long."),
    )


class PrioritySchema(_FormSchema):
    priority = fields.Enum(
        Priority,
        by_value=True,
        required=True,
        error_messages={
            "required": lazy_gettext("Choose one of the priorities."),
            "unknown": lazy_gettext("Choose one of the priorities."),
        },
    )


class DuplicateSchema(_FormSchema):
    duplicate_of = _TicketNumber(
        required=True,
        error_messages={
            "required": lazy_gettext("Enter the number of the original ticket."),
            "invalid": lazy_gettext("Enter a ticket number."),
        },
    )


class EmergencySchema(_FormSchema):
    explanation = _text(
        lazy_gettext("Tell us what is down and since when."),
        2000,
        lazy_gettext("This text can be at most {max} characters long."),
    )


class DowngradeSchema(_FormSchema):
    reason = _text(
        lazy_gettext("Tell the customer why this is not an emergency."),
        2000,
        lazy_gettext("This text can be at most {max} characters long."),
    )


class ChooseServiceSchema(_FormSchema):
    """The service a ticket opened without one is about: one of the customer's active orders."""

    order = _String(
        required=True,
        validate=[
            validate.Length(max=128, error=lazy_gettext("Choose one of your active services.")),
            validate.NoneOf([NO_ORDER], error=lazy_gettext("Choose one of your active services.")),
        ],
        error_messages={"required": lazy_gettext("Choose the service this is about.")},
    )


class CustomerListQuerySchema(Schema):
    """The search of a customer's list of tickets (a page's query string): words of a subject
    or a ticket number, and one of their services ("none": not related to a service)."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _drop_empty(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {key: value.strip() for key, value in data.items() if value and value.strip()}

    state = _String(
        load_default="open",
        validate=validate.OneOf(
            ["open", "closed", "shared"], error=lazy_gettext("There is no such list of tickets.")
        ),
    )
    q = _String(
        load_default=None,
        validate=validate.Length(
            max=100, error=lazy_gettext("A search can be at most {max} characters long.")
        ),
    )
    service = _String(
        load_default=None,
        validate=validate.Length(
            max=128, error=lazy_gettext("Choose one of your active services.")
        ),
    )
    # none given: best match while searching, else latest activity
    sort = _String(
        load_default=None,
        validate=validate.OneOf(["relevance", "activity"], error=lazy_gettext("Choose an order.")),
    )
    # a page link: read (strictly) by pagination.decode, which refuses what we did not make
    after = _String(
        load_default=None,
        validate=validate.Length(max=100, error=_NOT_OUR_PAGE_LINK),
        error_messages={"nul": _NOT_OUR_PAGE_LINK, "surrogate": _NOT_OUR_PAGE_LINK},
    )


#: made once: loading keeps nothing in it, and a schema made per request costs 30 µs and
#: leaves a reference cycle for the garbage collector
CUSTOMER_LIST_QUERY = CustomerListQuerySchema()


class ListQuerySchema(Schema):
    """The filters of a provider's inbox or the operator's console (a page's query string).

    Other parameters in the address (a host's tracking, say) are left alone.
    """

    class Meta:
        unknown = EXCLUDE

    def __init__(self, queues: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields["queue"].validators = [
            validate.OneOf(list(queues), error=lazy_gettext("There is no such queue."))
        ]

    @pre_load
    def _drop_empty(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        # an empty select in a filter form means "any"
        return {key: value.strip() for key, value in data.items() if value and value.strip()}

    status = _String(
        load_default="active",
        validate=validate.OneOf(
            ["active", "all", *(s.value for s in Status)],
            error=lazy_gettext("Choose one of the statuses."),
        ),
    )
    priority = fields.Enum(
        Priority,
        by_value=True,
        load_default=None,
        error_messages={"unknown": lazy_gettext("Choose one of the priorities.")},
    )
    # longer than any value of its column: not one of the choices the page offered
    category = _String(
        load_default=None,
        validate=validate.Length(max=64, error=lazy_gettext("Choose one of the problem areas.")),
    )
    assignee = _String(
        load_default=None,
        validate=validate.Length(max=128, error=lazy_gettext("Choose one of the people listed.")),
    )
    # "<field key>:<choice key>": the tickets whose request type's question had that answer
    answer = _String(
        load_default=None,
        validate=validate.Regexp(
            ANSWER_FILTER, error=lazy_gettext("Choose one of the answers listed.")
        ),
    )
    provider = _String(
        load_default=None,
        validate=validate.Length(
            max=128, error=lazy_gettext("Choose one of the providers listed.")
        ),
    )
    q = _String(
        load_default=None,
        validate=validate.Length(
            max=100, error=lazy_gettext("A search can be at most {max} characters long.")
        ),
    )
    # none given: best match while searching, else latest activity (``staff_ticket_list``)
    sort = _String(
        load_default=None,
        metadata={
            "description": "relevance (best match first; the default with q), activity (the "
            "default without q), priority, due, or answer:<key> (by the choice made for the "
            "request type's one-choice question <key>)"
        },
        validate=validate.Regexp(
            rf"(relevance|activity|priority|due|answer:{KEY})\Z",
            error=lazy_gettext("Choose an order."),
        ),
    )
    queue = _String(load_default="all")
    # a page link: read (strictly) by pagination.decode, which refuses what we did not make
    after = fields.String(load_default=None, error_messages={"invalid": _NOT_OUR_PAGE_LINK})


class PeriodSchema(Schema):
    """The period of a scorecard (a page's query string); both days count."""

    class Meta:
        unknown = EXCLUDE

    start = fields.Date(
        data_key="from",
        load_default=None,
        validate=validate.Range(
            min=FIRST_DAY, max=LAST_DAY, error=lazy_gettext("Enter a day from {min} to {max}.")
        ),
        error_messages={"invalid": lazy_gettext("Enter the first day as YYYY-MM-DD.")},
    )
    end = fields.Date(
        data_key="to",
        load_default=None,
        validate=validate.Range(
            min=FIRST_DAY, max=LAST_DAY, error=lazy_gettext("Enter a day from {min} to {max}.")
        ),
        error_messages={"invalid": lazy_gettext("Enter the last day as YYYY-MM-DD.")},
    )

    @pre_load
    def _drop_empty(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value}


class TokenSchema(_FormSchema):
    """A new API token of a staff member: a name to know it by, for how many days it works,
    and what it may do (``api_tokens.Scope``)."""

    def __init__(self, scopes: Iterable[str], max_days: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        choose = lazy_gettext("Choose what the token may do.")
        scope_field = self.fields["scopes"]
        assert isinstance(scope_field, fields.List)
        scope_field.inner.validators = [validate.OneOf(list(scopes), error=choose)]
        self.fields["days"].validators = [
            validate.Range(
                min=1,
                max=max_days,
                error=lazy_gettext("Enter a number of days from {min} to {max}."),
            )
        ]

    name = _text(
        lazy_gettext("Enter a name for the token."),
        100,
        lazy_gettext("The name can be at most {max} characters long."),
    )
    days = _AsciiInteger(
        required=True,
        error_messages={
            "required": lazy_gettext("Enter for how many days the token works."),
            "invalid": lazy_gettext("Enter a whole number of days."),
            "too_large": lazy_gettext("Enter a whole number of days."),
        },
    )
    scopes = fields.List(
        _String(),
        required=True,
        validate=validate.Length(min=1, error=lazy_gettext("Choose what the token may do.")),
        error_messages={
            "required": lazy_gettext("Choose what the token may do."),
            "invalid": lazy_gettext("Choose what the token may do."),
        },
    )


class WebhookSchema(_FormSchema):
    """A new webhook endpoint: its URL, the events it wants (``webhooks.EventType``), and for
    staff of several providers, whose it is."""

    def __init__(self, events: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        choose = lazy_gettext("Choose the events to send.")
        event_field = self.fields["events"]
        assert isinstance(event_field, fields.List)
        event_field.inner.validators = [validate.OneOf(list(events), error=choose)]

    url = _text(
        lazy_gettext("Enter the URL to send events to."),
        2000,
        lazy_gettext("The URL can be at most {max} characters long."),
    )
    events = fields.List(
        _String(),
        required=True,
        validate=validate.Length(min=1, error=lazy_gettext("Choose the events to send.")),
        error_messages={
            "required": lazy_gettext("Choose the events to send."),
            "invalid": lazy_gettext("Choose the events to send."),
        },
    )
    provider_id = _String(load_default=None, allow_none=True)


def _true_or_false() -> fields.Boolean:
    """A required ``true`` or ``false`` of a JSON body."""
    message = lazy_gettext("Send true or false.")
    return fields.Boolean(
        required=True,
        error_messages={"required": message, "invalid": message, "null": message},
    )


class WebhookSwitchSchema(_FormSchema):
    """An endpoint enabled or disabled (the JSON API's PATCH)."""

    enabled = _true_or_false()


def _ids(wrong: str, how_many: str) -> fields.List[int]:
    """1 to 100 ids of rows (whole numbers); ``wrong`` and ``how_many`` say what to send."""
    return fields.List(
        fields.Integer(
            strict=True,
            validate=validate.Range(min=1, max=INTEGER_MAX, error=wrong),
            error_messages={"invalid": wrong},
        ),
        required=True,
        validate=validate.Length(min=1, max=100, error=how_many),
        error_messages={"required": how_many, "invalid": how_many},
    )


class SendAgainSchema(_FormSchema):
    """The deliveries of an endpoint to send again (the JSON API)."""

    deliveries = _ids(
        lazy_gettext("Send delivery ids (whole numbers)."),
        lazy_gettext("Send 1 to 100 delivery ids."),
    )


class NotificationsAgainSchema(_FormSchema):
    """The notifications that did not go out to send again (the JSON API)."""

    notifications = _ids(
        lazy_gettext("Send notification ids (whole numbers)."),
        lazy_gettext("Send 1 to 100 notification ids."),
    )


class ApiReplySchema(_FormSchema):
    """A customer's message (a reply, or information they add), sent to the JSON API."""

    body = _text(
        lazy_gettext("Write your message."),
        TEXT_MAX,
        lazy_gettext("This text can be at most {max} characters long."),
    )


class ApiMessageSchema(ApiReplySchema):
    """A reply to the customer or an internal note (``internal``), sent to the JSON API."""

    internal = fields.Boolean(
        load_default=False,
        error_messages={"invalid": lazy_gettext("Send true or false.")},
    )


class ApiSharingSchema(_FormSchema):
    """Whether everyone of the customer's organisation sees a ticket, sent to the JSON API."""

    shared = _true_or_false()


class ApiWatchingSchema(_FormSchema):
    """Whether the caller hears of every change of a ticket, sent to the JSON API."""

    watching = _true_or_false()
