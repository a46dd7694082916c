"""The "API tokens" page of the provider inbox and the operator console: staff make a token
for their own programs (shown once), see their tokens with when each was last used, and
revoke them. The rules are ``api_tokens``'."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial, update_wrapper
from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import api_tokens
from ..api_tokens import MAX_DAYS, Made, Scope
from ..clock import now
from ..i18n import gettext
from ..schemas import InvalidInput
from ..workflow import Role
from .area import acting, error_page
from .paths import ID

#: what a new token's form starts with
_FRESH = {"days": "90", "scopes": [Scope.TICKETS_READ.value]}


def add_pages(bp: Blueprint, role: Role) -> None:
    """The token pages of the area of ``role``."""

    def view(function: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        return update_wrapper(partial(function, role), function)

    bp.add_url_rule("/api-tokens", "api_tokens", view(_page), methods=["GET"])
    bp.add_url_rule("/api-tokens", "make_api_token", view(_make), methods=["POST"])
    bp.add_url_rule(
        f"/api-tokens/<{ID}:token_id>/revoke",
        "revoke_api_token",
        view(_revoke),
        methods=["POST"],
    )


def _page(
    role: Role,
    *,
    made: Made | None = None,
    errors: Mapping[str, list[str]] | None = None,
    values: Mapping[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    if not api_tokens.offered():
        abort(404)
    tenant_id, actor = acting()
    return render_template(
        "marketplace_support/staff/api_tokens.html",
        role=role,
        tokens=api_tokens.tokens_of(tenant_id, actor, role),
        scope_label=lambda value: Scope(value).label,
        scopes=list(Scope),
        max_days=MAX_DAYS,
        moment=now(),
        made=made,
        errors=errors or {},
        values=values if values is not None else _FRESH,
        revoked=request.args.get("revoked") == "1",
    ), status


def _make(role: Role) -> ResponseReturnValue:
    if not api_tokens.offered():
        abort(404)
    tenant_id, actor = acting()
    form = {
        "name": request.form.get("name", ""),
        "days": request.form.get("days", ""),
        "scopes": request.form.getlist("scopes"),
    }
    try:
        made = api_tokens.make(tenant_id, actor, role, form)
    except InvalidInput as invalid:
        return _page(role, errors=invalid.errors, values=form, status=422)
    # the secret is in this page only: no cache may keep it
    response = make_response(_page(role, made=made))
    response.headers["Cache-Control"] = "no-store"
    return response


def _revoke(role: Role, token_id: int) -> ResponseReturnValue:
    if not api_tokens.offered():
        abort(404)
    tenant_id, actor = acting()
    if not api_tokens.revoke(tenant_id, actor, role, token_id):
        return error_page(gettext("There is no such token, or it was revoked already."), 404)
    return redirect(url_for(".api_tokens", revoked=1), code=303)
