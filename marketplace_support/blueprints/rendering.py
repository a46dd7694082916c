"""What every area's views share: who is acting, the area check, the error page, and the
one way an action form is handled (act, then redirect or show the form again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import access, actions, sharing
from ..attachments import Upload
from ..host import Actor
from ..i18n import lazy_gettext
from ..schemas import InvalidInput
from ..state import support
from ..workflow import Action, NotAllowed, Role

_NOT_YOURS = {
    Role.CUSTOMER: lazy_gettext("Support on My Page is for customers of the marketplace."),
    Role.PROVIDER: lazy_gettext("The support inbox is for the staff of service providers."),
    Role.OPERATOR: lazy_gettext("The support console is for the marketplace's operator team."),
}


def error_page(message: str, status: int) -> ResponseReturnValue:
    return render_template("marketplace_support/error.html", message=message), status


def require_area(role: Role) -> ResponseReturnValue | None:
    """Before every view of an area: someone is logged in and has this area."""
    actor = support.actor()
    if actor is None:
        return support.host.unauthenticated()
    if not access.may_use(actor, role):
        return error_page(str(_NOT_YOURS[role]), 403)
    return None


def acting() -> tuple[str, Actor]:
    """The tenant and the person of this request (the area check ran before)."""
    actor = support.actor()
    assert actor is not None
    return support.tenant_id(), actor


def perform(
    role: Role,
    number: int,
    action: Action,
    page: Callable[..., ResponseReturnValue],
    files: Sequence[Upload],
) -> ResponseReturnValue:
    """Fire an action from a form (see :func:`change`)."""
    tenant_id, actor = acting()
    form = form_data()
    return change(
        number,
        page,
        lambda: actions.act(tenant_id, actor, role, number, action, form, files),
        notice=action.value,
        failed=action.value,
    )


def form_data() -> dict[str, str]:
    """The request's form fields, without the CSRF token (checked before every view)."""
    form = request.form.to_dict()
    form.pop("csrf_token", None)
    return form


def change(
    number: int,
    page: Callable[..., ResponseReturnValue],
    run: Callable[[], object],
    *,
    notice: str,
    failed: str,
) -> ResponseReturnValue:
    """Run a change from a form; on success go back to the ticket with ``notice``, else show the
    ticket page again with the refused form's errors (as form ``failed``) and values."""
    try:
        run()
    except InvalidInput as invalid:
        return page(number, failed=failed, errors=invalid.errors, values=form_data(), status=422)
    except NotAllowed as refused:
        return page(number, problem=str(refused.message), status=409)
    endpoint = request.endpoint or ""
    ticket_endpoint = endpoint.rsplit(".", 1)[0] + ".ticket"
    return redirect(url_for(ticket_endpoint, number=number, notice=notice), code=303)


def watch(role: Role, number: int, page: Callable[..., ResponseReturnValue]) -> ResponseReturnValue:
    """Start or stop watching a ticket (the form's ``watching`` is "1" or "0")."""
    tenant_id, actor = acting()
    watching = request.form.get("watching") == "1"
    return change(
        number,
        page,
        lambda: sharing.watch(tenant_id, actor, role, number, watching),
        notice="watching" if watching else "not_watching",
        failed="watching",
    )
