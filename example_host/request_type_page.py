"""The operator's request types page: problem areas, their sections, and the questions each
asks on the new-ticket form (as the operator words the texts on the texts page)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from marketplace_support import FIELD_KEY, Category, FieldChoice, FieldKind, RequestField

from . import LANGUAGES
from .accounts import current_account, login_required
from .models import RequestType, db
from .request_types import KIND_NAMES, field_from_json, field_to_json, in_language

bp = Blueprint("example_host_request_types", __name__)


class Refused(Exception):
    """What the operator sent cannot be a request type; the message says why."""


def _texts(prefix: str) -> dict[str, str]:
    """The form's ``<prefix>_<language>`` fields that are filled in."""
    found = {code: request.form.get(f"{prefix}_{code}", "").strip() for code in LANGUAGES}
    return {code: text for code, text in found.items() if text}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    slug = slug if slug[:1].isalpha() else f"c_{slug}"
    return slug[:63] or "choice"


def _choices() -> tuple[FieldChoice, ...]:
    """The choices: one per line, in the same order in every language (keys from English)."""
    lines = {
        code: [line.strip() for line in request.form.get(f"choices_{code}", "").splitlines()]
        for code in LANGUAGES
    }
    english = [line for line in lines["en"] if line]
    made = []
    for position, label in enumerate(english):
        labels = {"en": label}
        for code in LANGUAGES:
            given = [line for line in lines[code] if line]
            if code != "en" and position < len(given):
                labels[code] = given[position]
        made.append(FieldChoice(_slug(label), labels))
    return tuple(made)


def _optional(name: str, read: Any) -> Any:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    try:
        return read(value)
    except (ValueError, InvalidOperation) as error:
        raise Refused(f"{name.replace('_', ' ').capitalize()}: “{value}” is not valid.") from error


def _question() -> RequestField:
    """The question the "add a question" form describes."""
    label = _texts("label")
    if "en" not in label:
        raise Refused("Give the question an English label (the others are optional).")
    kind = request.form.get("kind", "")
    if kind not in {k.value for k in FieldKind}:
        raise Refused("Choose the kind of question.")
    try:
        return RequestField(
            key=request.form.get("key", "").strip() or _slug(label["en"]),
            kind=FieldKind(kind),
            label=label,
            help=_texts("help"),
            required=request.form.get("required") == "1",
            choices=_choices() if kind in (FieldKind.CHOICE, FieldKind.CHOICES) else (),
            max_length=_optional("max_length", int),
            min_value=_optional("min_value", Decimal),
            max_value=_optional("max_value", Decimal),
            min_date=_optional("min_date", date.fromisoformat),
            max_date=_optional("max_date", date.fromisoformat),
        )
    except ValueError as error:
        raise Refused(str(error)) from error


def _add_area(tenant_id: str) -> tuple[str, str]:
    labels = _texts("label")
    key = request.form.get("key", "").strip() or _slug(labels.get("en", ""))
    if "en" not in labels:
        raise Refused("Give the problem area an English name.")
    if not FIELD_KEY.match(key):
        raise Refused("A key is lowercase letters, digits and _, starting with a letter.")
    if db.session.get(RequestType, (tenant_id, key)) is not None:
        raise Refused(f"There is a problem area “{key}” already.")
    last = db.session.scalar(
        select(func.max(RequestType.position)).where(RequestType.tenant_id == tenant_id)
    )
    db.session.add(
        RequestType(
            tenant_id=tenant_id, key=key, position=(last or 0) + 1, labels=labels, fields=[]
        )
    )
    return f"Added the problem area “{labels['en']}”.", key


def _save_area(row: RequestType) -> str:
    labels = _texts("label")
    if "en" not in labels:
        raise Refused("Give the problem area an English name.")
    row.labels = labels
    row.section = request.form.get("section", "").strip()[:100] or None
    row.operator_only = request.form.get("operator_only") == "1"
    return "Saved the problem area."


def _add_question(row: RequestType) -> str:
    question = _question()
    if any(f["key"] == question.key for f in row.fields):
        raise Refused(f"This problem area asks a question “{question.key}” already.")
    Category(row.key, "", fields=(*map(field_from_json, row.fields), question))
    row.fields = [*row.fields, field_to_json(question)]
    return f"Added the question “{question.label['en']}”."


def _remove_question(row: RequestType) -> str:
    key = request.form.get("question", "")
    row.fields = [f for f in row.fields if f["key"] != key]
    return "Removed the question. Tickets opened before keep it, with their answers."


#: what the forms of an area's page do (``do``)
_AREA_CHANGES = {
    "area": _save_area,
    "add_question": _add_question,
    "remove_question": _remove_question,
}


def _change(tenant_id: str, row: RequestType | None) -> tuple[str, str]:
    """Apply the page's form to the tenant's request types; returns what was done, and the
    area to show next."""
    what = request.form.get("do", "")
    if what == "add_area":
        return _add_area(tenant_id)
    if row is None or what not in _AREA_CHANGES:
        abort(404 if row is None else 400)
    return _AREA_CHANGES[what](row), row.key


def _operator_tenant() -> str:
    account = current_account()
    if account is None or not account.is_operator:
        abort(403)
    return account.tenant_id


@bp.route("/admin/request-types", methods=["GET", "POST"])
@login_required
def request_types() -> ResponseReturnValue:
    """The operator's request types: problem areas, their sections, and the questions each
    asks on the new-ticket form."""
    tenant_id = _operator_tenant()
    area = request.values.get("area")
    row = db.session.get(RequestType, (tenant_id, area)) if area else None
    if area and row is None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            done, shown = _change(tenant_id, row)
        except Refused as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(done)
            return redirect(url_for(".request_types", area=shown), code=303)
    rows = db.session.scalars(
        select(RequestType)
        .where(RequestType.tenant_id == tenant_id)
        .order_by(RequestType.position, RequestType.key)
    ).all()
    return render_template(
        "example_host/request_types.html",
        rows=rows,
        row=row,
        questions=[field_from_json(f) for f in row.fields] if row else [],
        kinds=KIND_NAMES,
        in_language=in_language,
        error=error,
        form=request.form if error else {},
    ), (422 if error else 200)
