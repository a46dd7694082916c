"""The one way a form of a ticket page is handled: run the change, then go back to the
ticket with a notice, or show the ticket page again with the refused form's errors."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from .. import actions, drafts, sharing
from ..attachments import Upload
from ..host import Actor
from ..rate_limits import LimitReached
from ..request_types import FORM_PREFIX
from ..schemas import InvalidInput
from ..workflow import Action, NotAllowed, Role
from .area import acting, over_limit


def perform(
    role: Role,
    number: int,
    action: Action,
    page: Callable[..., ResponseReturnValue],
    files: Sequence[Upload],
    *,
    failed: str | None = None,
    drop: Collection[str] = (),
    refused: InvalidInput | None = None,
) -> ResponseReturnValue:
    """Fire an action from a form (see :func:`change`); ``failed`` names the form to show again
    when refused (default: the action's), ``drop`` the page's own fields that are not the
    action's, ``refused`` what the page found wrong in those before the action is tried.
    Files of the same form that were kept from a refused try go with it; when it is refused
    again, the new files are kept too."""
    tenant_id, actor = acting()
    form = {name: value for name, value in form_data().items() if name not in drop}
    key = form.get("submission_key", "")

    def run() -> None:
        try:
            with kept_files(tenant_id, actor, key) as kept_before:
                if refused is not None:
                    raise refused
                actions.act(tenant_id, actor, role, number, action, form, [*files, *kept_before])
        except InvalidInput:
            # kept for the next try; over the upload limit, none is (LimitReached)
            drafts.keep(tenant_id, actor, key, files)
            raise
        if kept_before:
            drafts.clear(tenant_id, actor, key)

    return change(number, page, run, notice=action.value, failed=failed or action.value)


def form_data() -> dict[str, Any]:
    """The request's form fields, without the CSRF token (checked before every view), the
    fields of kept files (see :func:`kept_files`) and the button that only shows a problem
    area's questions; an answer of several choices (``request_types``) is a list."""
    form: dict[str, Any] = request.form.to_dict()
    for name, values in request.form.lists():
        if name.startswith(FORM_PREFIX) and len(values) > 1:
            form[name] = values
    for name in ("csrf_token", "drop_draft", "kept_files", "choose_area"):
        form.pop(name, None)
    return form


def kept_files(tenant_id: str, actor: Actor, form_key: str) -> AbstractContextManager[list[Upload]]:
    """The files kept from the form's refused try (``drafts.reopened``), where the form says it
    lists some: a form sent for the first time asks the database nothing."""
    if not request.form.get("kept_files"):
        return nullcontext([])
    return drafts.reopened(tenant_id, actor, form_key, dropped_drafts())


def dropped_drafts() -> set[str]:
    """The ids of kept files the person unticked on the refused form."""
    return set(request.form.getlist("drop_draft"))


def change(
    number: int,
    page: Callable[..., ResponseReturnValue],
    run: Callable[[], object],
    *,
    notice: str,
    failed: str,
) -> ResponseReturnValue:
    """Run a change from a form; on success go back to the ticket with ``notice``, else show the
    ticket page again with the refused form's errors (as form ``failed``) and values (429 with
    ``Retry-After`` when a rate limit was reached)."""
    try:
        run()
    except InvalidInput as invalid:
        return page(number, failed=failed, errors=invalid.errors, values=form_data(), status=422)
    except NotAllowed as refused:
        return page(number, problem=str(refused.message), status=409)
    except LimitReached as reached:
        return page_again(page, number, failed, over_limit(reached), 429)
    endpoint = request.endpoint or ""
    ticket_endpoint = endpoint.rsplit(".", 1)[0] + ".ticket"
    return redirect(url_for(ticket_endpoint, number=number, notice=notice), code=303)


def page_again(
    page: Callable[..., ResponseReturnValue], number: int, failed: str, problem: str, status: int
) -> ResponseReturnValue:
    """The ticket page again with the refused form ``failed`` keeping what was typed, and the
    reason (``problem``) above the page, as for ``NotAllowed``: a rate limit reached, a token
    refused (``expired_forms``)."""
    return page(number, failed=failed, values=form_data(), problem=problem, status=status)


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
