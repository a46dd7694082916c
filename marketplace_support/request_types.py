"""Request types: the questions a problem area asks (``host.RequestField``), read with a
marshmallow schema built from their definitions, and kept with the ticket as they were asked.

A form sends the answer to field ``key`` as ``answer-<key>`` (the API: under ``answers``).
One field class per kind (:data:`FIELD_CLASSES`) says how an answer is read and what is
refused; every message is in the reader's language. An answered field becomes one
:class:`~.models.TicketAnswer` row holding its key, kind, labels in every language the host
gave, choices' labels and the value, so a type changed later never changes an old ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from flask_babel import get_locale
from marshmallow import Schema, fields, validate

from .host import Category, FieldKind, RequestField
from .i18n import lazy_gettext
from .models import TicketAnswer
from .schemas import TEXT_MAX, _FormSchema, _String

#: how a form names the answer to a field
FORM_PREFIX = "answer-"

#: the longest answers when the host sets no ``max_length``
DEFAULT_MAX_LENGTH = {
    FieldKind.SHORT_TEXT: 200,
    FieldKind.LONG_TEXT: TEXT_MAX,
    FieldKind.EMAIL: 320,
    FieldKind.LINK: 2000,
}

#: a number as people type it: digits, a sign, a decimal point (no exponent: "1e9999" is no
#: answer anyone means)
_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,6})?\Z")


def in_language(texts: Mapping[str, str], locale: str | None = None) -> str:
    """The text of ``texts`` (language → text) for ``locale`` (default: the reader's): its
    own, its language's without the region, English, else the first one given."""
    wanted = locale or str(get_locale() or "en")
    for candidate in (wanted, wanted.split("_")[0], "en"):
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()), "")


def form_name(request_field: RequestField) -> str:
    return FORM_PREFIX + request_field.key


def max_length(request_field: RequestField) -> int | None:
    """The longest answer a text field takes (None: not a text field)."""
    return request_field.max_length or DEFAULT_MAX_LENGTH.get(request_field.kind)


# -- reading answers -------------------------------------------------------------------------

_FILL_IN = lazy_gettext("Fill in this field.")
_TOO_LONG = lazy_gettext("This text can be at most {max} characters long.")
_CHOOSE = lazy_gettext("Choose one of the options.")


class _Number(fields.Field[Decimal]):
    """A number typed as digits with an optional sign and decimal point."""

    default_error_messages = {"invalid": lazy_gettext("Enter a number, like 12 or 12.5.")}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _NUMBER.match(value):
            raise self.make_error("invalid")
        try:
            return Decimal(value)
        except InvalidOperation as error:  # pragma: no cover - the pattern admits none
            raise self.make_error("invalid") from error


class _Choices(fields.List[Any]):
    """Several choices: a form sends one value per ticked box (one alone arrives as a string).
    Read in the order of ``keys`` (the question's), however they were sent; a box sent twice
    is one choice."""

    def __init__(self, inner: fields.Field[Any], keys: Sequence[str], **options: Any) -> None:
        super().__init__(inner, **options)
        self.keys = keys

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, str):
            value = [value]
        chosen = set(super()._deserialize(value, attr, data, **kwargs))
        return [key for key in self.keys if key in chosen]


def _text(definition: RequestField, **options: Any) -> fields.Field[Any]:
    return _String(validate=validate.Length(max=max_length(definition), error=_TOO_LONG), **options)


def _range(low: Any, high: Any, both: str, at_least: str, at_most: str) -> list[Any]:
    """The bounds check of a number or a day, its message naming the bounds there are."""
    if low is None and high is None:
        return []
    message = (
        both if low is not None and high is not None else at_least if low is not None else at_most
    )
    return [validate.Range(min=low, max=high, error=message)]


def _number(definition: RequestField, **options: Any) -> fields.Field[Any]:
    checks = _range(
        definition.min_value,
        definition.max_value,
        lazy_gettext("Enter a number from {min} to {max}."),
        lazy_gettext("Enter a number of at least {min}."),
        lazy_gettext("Enter a number of at most {max}."),
    )
    return _Number(validate=checks, **options)


def _date(definition: RequestField, **options: Any) -> fields.Field[Any]:
    checks = _range(
        definition.min_date,
        definition.max_date,
        lazy_gettext("Enter a day from {min} to {max}."),
        lazy_gettext("Enter a day from {min} on."),
        lazy_gettext("Enter a day up to {max}."),
    )
    invalid = lazy_gettext("Enter a day as YYYY-MM-DD.")
    return fields.Date(validate=checks, error_messages={"invalid": invalid}, **options)


def _choice(definition: RequestField, **options: Any) -> fields.Field[Any]:
    keys = [choice.key for choice in definition.choices]
    return _String(validate=validate.OneOf(keys, error=_CHOOSE), **options)


def _choices(definition: RequestField, **options: Any) -> fields.Field[Any]:
    keys = [choice.key for choice in definition.choices]
    inner = _String(validate=validate.OneOf(keys, error=_CHOOSE))
    return _Choices(
        inner,
        keys,
        validate=validate.Length(min=1, error=_CHOOSE),
        error_messages={"invalid": _CHOOSE},
        **options,
    )


def _yes_no(definition: RequestField, **options: Any) -> fields.Field[Any]:
    return fields.Boolean(
        truthy={"yes", True},
        falsy={"no", False},
        error_messages={"invalid": lazy_gettext("Answer yes or no.")},
        **options,
    )


def _email(definition: RequestField, **options: Any) -> fields.Field[Any]:
    invalid = lazy_gettext("Enter an e-mail address, like name@example.com.")
    length = validate.Length(max=max_length(definition), error=_TOO_LONG)
    return _String(validate=[length, validate.Email(error=invalid)], **options)


def _link(definition: RequestField, **options: Any) -> fields.Field[Any]:
    invalid = lazy_gettext("Enter a link that starts with https://, like https://example.com/page.")
    length = validate.Length(max=max_length(definition), error=_TOO_LONG)
    address = validate.URL(schemes={"http", "https"}, require_tld=True, error=invalid)
    return _String(validate=[length, address], **options)


#: the marshmallow field of each kind
FIELD_CLASSES: dict[FieldKind, Callable[..., fields.Field[Any]]] = {
    FieldKind.SHORT_TEXT: _text,
    FieldKind.LONG_TEXT: _text,
    FieldKind.NUMBER: _number,
    FieldKind.DATE: _date,
    FieldKind.CHOICE: _choice,
    FieldKind.CHOICES: _choices,
    FieldKind.YES_NO: _yes_no,
    FieldKind.EMAIL: _email,
    FieldKind.LINK: _link,
}


def answers_schema(category: Category | None, *, prefix: str = FORM_PREFIX) -> Schema:
    """The schema of the answers to ``category``'s fields (none: no answer is taken), names
    prefixed as a form sends them; loaded data is keyed by the fields' own keys."""
    if category is None or not category.fields:
        return _no_answers()
    built: dict[str, fields.Field[Any]] = {}
    for definition in category.fields:
        made = FIELD_CLASSES[definition.kind](
            definition,
            attribute=definition.key,
            data_key=prefix + definition.key,
            required=definition.required,
        )
        made.error_messages.update(required=_FILL_IN, null=_FILL_IN)
        built[definition.key] = made
    return _FormSchema.from_dict(built, name="AnswersSchema")()


@cache
def _no_answers() -> Schema:
    """The schema of an area without questions: made once (a schema class of its own would
    be made at every form sent)."""
    return _FormSchema.from_dict({}, name="AnswersSchema")()


def answer_fields(form: Mapping[str, Any], prefix: str = FORM_PREFIX) -> dict[str, Any]:
    """The answers of a form: its fields named ``prefix``…."""
    return {name: value for name, value in form.items() if name.startswith(prefix)}


# -- keeping answers -------------------------------------------------------------------------


def stored(value: Any) -> Any:
    """An answer as its JSON column keeps it: a number and a day as text, exactly as read."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def answer_rows(
    tenant_id: str, category: Category, answers: Mapping[str, Any]
) -> list[TicketAnswer]:
    """The rows of the answered fields, each with its definition as asked now."""
    rows = []
    for position, definition in enumerate(category.fields):
        if definition.key not in answers or answers[definition.key] is None:
            continue
        value = stored(answers[definition.key])
        labels = {c.key: dict(c.label) for c in definition.choices}
        rows.append(
            TicketAnswer(
                tenant_id=tenant_id,
                position=position,
                key=definition.key,
                kind=definition.kind.value,
                label=dict(definition.label),
                choices=labels or None,
                value=value,
                choice=value if definition.kind is FieldKind.CHOICE else None,
                text=_searchable(definition.kind, value, labels),
            )
        )
    return rows


def _searchable(kind: FieldKind, value: Any, labels: Mapping[str, Mapping[str, str]]) -> str:
    """The words of an answer that a search finds: a choice's labels in every language."""
    if kind in (FieldKind.CHOICE, FieldKind.CHOICES):
        chosen = [value] if isinstance(value, str) else value
        return " ".join(text for key in chosen for text in labels.get(key, {}).values())
    if kind is FieldKind.YES_NO:
        return ""
    return str(value)


# -- showing answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """An answer as a reader sees it: the label and the value in their language."""

    key: str
    kind: FieldKind
    label: str
    text: str
    #: a link to show as one (a "link" answer)
    href: str | None = None


def shown(answers: Iterable[TicketAnswer], locale: str | None = None) -> list[Shown]:
    """The answers of a ticket in the order asked, labelled in ``locale`` (default: the
    reader's language) where the definition had it."""
    return [_shown(answer, locale) for answer in sorted(answers, key=lambda a: a.position)]


def _shown(answer: TicketAnswer, locale: str | None) -> Shown:
    kind = FieldKind(answer.kind)
    value = answer.value
    choices = answer.choices or {}
    href = None
    if kind in (FieldKind.CHOICE, FieldKind.CHOICES):
        chosen = [value] if isinstance(value, str) else list(value)
        text = ", ".join(in_language(choices.get(key, {}), locale) or key for key in chosen)
    elif kind is FieldKind.YES_NO:
        text = str(lazy_gettext("Yes") if value else lazy_gettext("No"))
    else:
        text = str(value)
        href = text if kind is FieldKind.LINK else None
    return Shown(answer.key, kind, in_language(answer.label, locale), text, href)


# -- filtering lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """A choice field staff can filter their list by: its key, label, and choices (key, label)
    in the reader's language."""

    key: str
    label: str
    choices: tuple[tuple[str, str], ...]


def filters(categories: Sequence[Category]) -> list[Filter]:
    """The "one choice" fields of the tenant's request types, each key once (the first
    definition names it)."""
    found: dict[str, Filter] = {}
    for category in categories:
        for definition in category.fields:
            if definition.kind is FieldKind.CHOICE and definition.key not in found:
                found[definition.key] = Filter(
                    definition.key,
                    in_language(definition.label),
                    tuple((c.key, in_language(c.label)) for c in definition.choices),
                )
    return list(found.values())
