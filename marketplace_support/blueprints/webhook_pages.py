"""The "Webhooks" pages of the provider inbox and the operator console: register an endpoint
(its secret shown once), enable, disable or delete it, read its delivery log and send failed
deliveries again. The operator's page lists every provider's endpoints too, with their
delivery health. The rules are ``webhooks``'."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial, update_wrapper
from typing import Any

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import webhooks
from ..i18n import gettext
from ..models import INTEGER_MAX
from ..schemas import InvalidInput, typed_count
from ..state import support
from ..webhooks import EndpointNotFound, EventType, Registered
from ..workflow import Role
from .area import acting, error_page
from .paths import ID

#: a delivery's id in the "send again" form
_ID = re.compile(r"[0-9]{1,10}")
#: what a new endpoint's form starts with
_FRESH: dict[str, Any] = {"url": "", "events": [e.value for e in EventType]}


def add_pages(bp: Blueprint, role: Role) -> None:
    """The webhook pages of the area of ``role``."""

    def view(function: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        return update_wrapper(partial(function, role), function)

    one = f"/webhooks/<{ID}:endpoint_id>"
    bp.add_url_rule("/webhooks", "webhooks", view(_page), methods=["GET"])
    bp.add_url_rule("/webhooks", "register_webhook", view(_register), methods=["POST"])
    bp.add_url_rule(one, "webhook", view(_log), methods=["GET"])
    bp.add_url_rule(f"{one}/enable", "enable_webhook", view(_enable), methods=["POST"])
    bp.add_url_rule(f"{one}/disable", "disable_webhook", view(_disable), methods=["POST"])
    bp.add_url_rule(f"{one}/delete", "delete_webhook", view(_delete), methods=["POST"])
    bp.add_url_rule(f"{one}/send-again", "resend_webhook", view(_send_again), methods=["POST"])


def _page(
    role: Role,
    *,
    registered: Registered | None = None,
    errors: Mapping[str, list[str]] | None = None,
    values: Mapping[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    tenant_id, actor = acting()
    return render_template(
        "marketplace_support/staff/webhooks.html",
        role=role,
        endpoints=webhooks.endpoints_of(tenant_id, actor, role),
        event_types=list(EventType),
        event_label=lambda value: EventType(value).label,
        providers=sorted(actor.provider_ids) if role is Role.PROVIDER else [],
        provider_names={p.id: p.name for p in support.providers(tenant_id)},
        registered=registered,
        errors=errors or {},
        values=values if values is not None else _FRESH,
        done=request.args.get("done"),
    ), status


def _register(role: Role) -> ResponseReturnValue:
    tenant_id, actor = acting()
    form = {
        "url": request.form.get("url", "").strip(),
        "events": request.form.getlist("events"),
    }
    if request.form.get("provider_id"):
        form["provider_id"] = request.form["provider_id"]
    try:
        registered = webhooks.register(tenant_id, actor, role, form)
    except InvalidInput as invalid:
        return _page(role, errors=invalid.errors, values=form, status=422)
    # the secret is in this page only: no cache may keep it
    response = make_response(_page(role, registered=registered))
    response.headers["Cache-Control"] = "no-store"
    return response


def _log(role: Role, endpoint_id: int) -> ResponseReturnValue:
    tenant_id, actor = acting()
    try:
        endpoint = webhooks.endpoint(tenant_id, actor, role, endpoint_id)
        log = webhooks.deliveries(tenant_id, actor, role, endpoint_id)
    except EndpointNotFound:
        return _not_found()
    return render_template(
        "marketplace_support/staff/webhook.html",
        role=role,
        endpoint=endpoint,
        log=log,
        log_days=current_app.config["SUPPORT_WEBHOOK_LOG_DAYS"],
        event_label=lambda value: EventType(value).label,
        sent_again=request.args.get("sent_again", type=typed_count),
    )


def _enable(role: Role, endpoint_id: int) -> ResponseReturnValue:
    return _switch(role, endpoint_id, True)


def _disable(role: Role, endpoint_id: int) -> ResponseReturnValue:
    return _switch(role, endpoint_id, False)


def _switch(role: Role, endpoint_id: int, enabled: bool) -> ResponseReturnValue:
    tenant_id, actor = acting()
    try:
        webhooks.set_enabled(tenant_id, actor, role, endpoint_id, enabled)
    except EndpointNotFound:
        return _not_found()
    done = "enabled" if enabled else "disabled"
    return redirect(url_for(".webhooks", done=done), code=303)


def _delete(role: Role, endpoint_id: int) -> ResponseReturnValue:
    tenant_id, actor = acting()
    try:
        webhooks.remove(tenant_id, actor, role, endpoint_id)
    except EndpointNotFound:
        return _not_found()
    return redirect(url_for(".webhooks", done="deleted"), code=303)


def _send_again(role: Role, endpoint_id: int) -> ResponseReturnValue:
    tenant_id, actor = acting()
    ids = [int(v) for v in request.form.getlist("delivery") if _ID.fullmatch(v)]
    ids = [value for value in ids if value <= INTEGER_MAX]
    try:
        count = webhooks.send_again(tenant_id, actor, role, endpoint_id, ids)
    except EndpointNotFound:
        return _not_found()
    return redirect(url_for(".webhook", endpoint_id=endpoint_id, sent_again=count), code=303)


def _not_found() -> ResponseReturnValue:
    return error_page(gettext("There is no such webhook endpoint, or it is not yours to see."), 404)
