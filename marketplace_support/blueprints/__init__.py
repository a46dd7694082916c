"""The module's pages, one blueprint per area, under one parent blueprint.

The parent holds what every area shares: the templates and static files, the support-enabled
check, CSRF, the error pages (an address that names nothing, a body too large, a database
that failed), and the template helpers. Each area is a child blueprint in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from babel.numbers import format_percent
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, validate_csrf
from jinja2 import Environment
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from wtforms import ValidationError

from .. import layout, request_types
from ..access import TicketNotFound
from ..attachments import human_size, upload_rules
from ..clock import now
from ..i18n import Localiser, format_duration, gettext, localiser, ngettext, zone
from ..menu import MenuLink, support_menu_links
from ..priorities import Priority
from ..routing import Reason
from ..state import SupportState, current_state, support
from ..storage import StorageUnavailable
from ..tickets import InvalidEntriesLink
from ..workflow import Action, Role, Status
from . import assets, customer, expired_forms, files, form_tokens, fragments, paths, staff
from .area import (
    category_label,
    error_page,
    invalid_entries_link,
    list_url,
    ticket_not_found,
    unfolded,
)
from .database_errors import answering_database_errors, database_error, storage_error


class _Parent(Blueprint):
    """The parent blueprint: its stylesheet and script asked for by their digest may be kept
    for a year (``assets``)."""

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        return assets.max_age(filename) or super().get_send_file_max_age(filename)


def build_blueprint() -> Blueprint:
    """A fresh blueprint tree per app, so one module can serve several apps."""
    parent = _Parent(
        "marketplace_support",
        __name__,
        template_folder="../templates",
        static_folder=assets.FOLDER,
        static_url_path="/static",
    )
    parent.before_app_request(_unrouted)
    parent.before_request(_check_layout_once)
    parent.before_request(_no_nul_in_path)
    parent.before_request(_for_pages_and_forms)
    parent.before_request(_check_csrf)
    parent.after_request(_framing_and_referrer)
    # each page of an error is made again in the database's page if the database fails
    # meanwhile (``answering_database_errors``)
    parent.register_error_handler(RequestEntityTooLarge, answering_database_errors(_too_large))
    parent.register_error_handler(CSRFError, answering_database_errors(_form_expired))
    parent.register_error_handler(SQLAlchemyError, database_error)
    parent.register_error_handler(StorageUnavailable, answering_database_errors(storage_error))
    parent.register_error_handler(NotFound, answering_database_errors(_not_found))
    parent.register_error_handler(TicketNotFound, answering_database_errors(ticket_not_found))
    parent.register_error_handler(
        InvalidEntriesLink, answering_database_errors(invalid_entries_link)
    )
    parent.context_processor(_template_helpers)
    parent.teardown_request(_forget_page_helpers)
    for name, helper in _SHARED_HELPERS.items():
        parent.add_app_template_global(_page_helper(name, helper), name)
    for name in _ROW_FILTERS:
        parent.add_app_template_filter(_page_helper(name, name), name)
    form_tokens.register(parent)
    parent.register_blueprint(customer.build_blueprint())
    parent.register_blueprint(staff.build_blueprint(Role.PROVIDER), url_prefix="/provider")
    parent.register_blueprint(staff.build_blueprint(Role.OPERATOR), url_prefix="/operator")
    return parent


def _check_layout_once() -> None:
    if not support.layout_checked:
        support.layout_checked = True
        layout.check(current_app)


def _no_nul_in_path() -> None:
    # no address of ours holds a NUL character, and PostgreSQL refuses one in a query
    if "\x00" in request.path:
        abort(404)


def _for_pages_and_forms() -> None:
    """Support switched on for the tenant, and the largest body its forms may send. The
    stylesheet and script need neither: they are served without asking the host anything."""
    if request.endpoint == assets.ENDPOINT:
        return
    if not support.flags(support.tenant_id()).support_enabled:
        abort(404)
    files.limit_request_body()


def _not_found(error: NotFound) -> ResponseReturnValue:
    """An address of a page that names nothing (an action the person cannot take, a file
    the storage no longer has): the module's page. Where support is off for the tenant, the
    host's "not found", as for every address of the module there."""
    if not support.flags(support.tenant_id()).support_enabled:
        return _as_the_host(error)
    return error_page(gettext("There is nothing at this address."), 404)


def _unrouted() -> ResponseReturnValue | None:
    """Before every request of the app: an address beneath the module's pages that names no
    page (``/tickets/abc``, ``/tickets/0``), or not with its method (405, with ``Allow``),
    gets the module's page in the host's layout and the person's language, as a ticket that
    does not exist does. Every other address goes on to the host untouched, and so do these
    where support is off for the tenant. The API's addresses are the API's (``api``).

    Flask gives a request that routed nowhere no blueprint, so none of the parent's
    handlers, context processors or after-request functions run for it: this page takes the
    helpers and headers of the module's pages itself."""
    error = request.routing_exception
    prefix = current_app.config["SUPPORT_URL_PREFIX"]
    if (
        not isinstance(error, NotFound | MethodNotAllowed)
        or not paths.beneath(prefix, request.path)
        or paths.beneath(prefix.rstrip("/") + paths.API, request.path)
    ):
        return None
    try:
        return _nothing_here(error)
    except SQLAlchemyError as failed:  # reading who asks; no handler of ours runs here
        return database_error(failed)


def _nothing_here(error: NotFound | MethodNotAllowed) -> ResponseReturnValue | None:
    """The page of :func:`_unrouted` (None: support is off for the tenant, the host answers)."""
    if not support.flags(support.tenant_id()).support_enabled:
        return None
    _check_layout_once()
    back = _way_back()
    try:
        page = render_template(
            "marketplace_support/error.html",
            **_template_helpers(),
            message=gettext("There is nothing at this address."),
            back_url=back.url if back else None,
            back_label=back.label if back else None,
        )
    finally:
        _forget_page_helpers(None)
    response = make_response(page, error.code)
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
    return _framing_and_referrer(response)


def _way_back() -> MenuLink | None:
    """The list of the person's area the address is in (the longest beginning), else of
    their first area; None for someone with no area."""
    links = support_menu_links()
    path = request.script_root + request.path
    within = [link for link in links if path.startswith(link.url)]
    return max(within, key=lambda link: len(link.url), default=links[0] if links else None)


def _as_the_host(error: HTTPException) -> ResponseReturnValue:
    """What the host answers ``error`` with: its own error handler for it (registered on
    the app; Flask's own lookup, asked for no blueprint, so not ours), else Werkzeug's page."""
    handler = current_app._find_error_handler(error, [])
    return error if handler is None else current_app.ensure_sync(handler)(error)


def _framing_and_referrer(response: Response) -> Response:
    """Pages carry one-click buttons (resolve, close, take over, share): no other site may
    frame them. Headers the host set already are left as they are."""
    config = current_app.config
    ancestors = config["SUPPORT_FRAME_ANCESTORS"]
    if ancestors:
        response.headers.setdefault("Content-Security-Policy", f"frame-ancestors {ancestors}")
        if ancestors.strip() == "'self'":
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        elif ancestors.strip() == "'none'":
            response.headers.setdefault("X-Frame-Options", "DENY")
    if config["SUPPORT_REFERRER_POLICY"]:
        response.headers.setdefault("Referrer-Policy", config["SUPPORT_REFERRER_POLICY"])
    return response


def _too_large(error: RequestEntityTooLarge) -> Any:
    rules = upload_rules()
    return error_page(
        ngettext(
            "What you sent is too large. Attach at most %(num)d file of at most %(size)s, "
            "then send the form again.",
            "What you sent is too large. Attach at most %(num)d files of at most %(size)s "
            "each, then send the form again.",
            rules.max_files,
            size=rules.max_size_text,
        ),
        413,
    )


def _check_csrf() -> Any:
    """A form's CSRF token, checked here where the host has no Flask-WTF ``CSRFProtect``.
    Where it has, that has checked the form before (``g.csrf_valid``), and a form it refuses
    gets the same page as here (:func:`_form_expired`), not Flask-WTF's bare one."""
    if request.method in ("GET", "HEAD", "OPTIONS") or g.get("csrf_valid"):
        return None
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return _form_expired()
    return None


def _form_expired(error: CSRFError | None = None) -> ResponseReturnValue:
    """A form without a valid CSRF token (kept too long, or from another session): nothing
    written; the form again with what was typed where it came from this site and someone
    wrote in it (``expired_forms``), else the module's page saying it expired, in the
    person's language. Where support is off for the tenant, the host's "not found", as for
    every address of the module there (the host's ``CSRFProtect`` refuses the form before
    :func:`_for_pages_and_forms` is asked)."""
    if not support.flags(support.tenant_id()).support_enabled:
        return _as_the_host(NotFound())
    again = expired_forms.form_again()  # a form where someone wrote, with what they wrote
    if again is not None:
        return again
    return error_page(
        gettext("This form has expired. Go back, reload the page and send it again."), 400
    )


def business_duration(minutes: float | None) -> str:
    """Minutes of business time for people: "3 h 20 min", "45 min" in their language."""
    if minutes is None:
        return "\u2013"  # an en dash: nothing measured yet
    return format_duration(round(minutes))


class _Later:
    """Markup worked out the first time a page shows it: the operator's name costs the host
    a query, and most pages never show it (no ticket on them is handled by the operator)."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], Markup]) -> None:
        self._compute = compute
        self._value: Markup | None = None

    def _markup(self) -> Markup:
        if self._value is None:
            self._value = self._compute()
        return self._value

    def __html__(self) -> str:
        return self._markup().__html__()

    def __str__(self) -> str:
        return str(self._markup())

    def __bool__(self) -> bool:
        return bool(self._markup())


def _ticket_urls() -> Callable[[int], str]:
    """The address of a ticket of the current area by its number, for list rows: Werkzeug
    builds one address (``url_for``), the others take its beginning (the number is the rule's
    last part) instead of building each again. Falls back to ``url_for`` for a host whose rule
    reads otherwise."""
    made: Callable[[int], str] | None = None

    def url(number: int) -> str:
        nonlocal made
        if made is None:
            sample = url_for(".ticket", number=1)
            if sample.endswith("/1"):
                prefix = sample[:-1]
                made = lambda number: f"{prefix}{int(number)}"  # noqa: E731
            else:
                made = lambda number: url_for(".ticket", number=number)  # noqa: E731
        return made(number)

    return url


def _action_urls(ticket_url: Callable[[int], str]) -> Callable[[int, str], str]:
    """``ms_action_url(number, action)`` in templates: the address a ticket page's form for
    ``action`` posts to, as ``url_for(".act", number=..., action=...)`` writes it: the
    ticket's address (``ticket_url``, built once a page) and the action, where the rule reads
    so (a staff ticket page has up to ten such forms, 15-20 µs a ``url_for``). Falls back to
    ``url_for`` for a host whose rule reads otherwise, or an action that is not a plain name."""
    follows: bool | None = None

    def url(number: int, action: str) -> str:
        nonlocal follows
        action = str(action)
        if follows is None:
            follows = url_for(".act", number=1, action="x") == f"{ticket_url(1)}/x"
        if follows and action.isidentifier():
            return f"{ticket_url(number)}/{action}"
        return url_for(".act", number=number, action=action)

    return url


def _around_time(words: Markup) -> tuple[str, str] | None:
    """What comes before and after ``%(time)s`` in translated ``words``, or None where they
    hold anything else to fill in (or no time): Markup's own formatting then fills them."""
    parts = str(words).split("%(time)s")
    if len(parts) != 2 or "%" in "".join(parts).replace("%%", ""):
        return None
    before, after = parts
    return before.replace("%%", "%"), after.replace("%%", "%")


def _time_element(local: Localiser, zone: tzinfo) -> Callable[..., Markup]:
    """``ms_time_tag`` in templates: a ``<time>`` element with the moment in UTC for machines
    and in the viewer's language and zone, to the minute, for people. In the browser
    (support.js) it reads as a relative time ("3 hours ago", "in 2 days"), the exact one on
    hover; ``exact=True`` keeps the exact time where a relative one would not read well
    ("Overdue since ...").

    ``words``, a translation holding ``%(time)s`` once ("Overdue since %(time)s"), puts the
    element in it: the same as ``words % {"time": element}``, with the words split once per
    page rather than formatted again on every row of a list."""
    split: dict[str, tuple[str, str] | None] = {}

    def element(value: datetime, exact: bool = False, words: Markup | None = None) -> Markup:
        machine = value.astimezone(UTC).isoformat(timespec="seconds")[:19]
        shown = escape(local.format_datetime(value, zone, "medium", "short"))
        kept = " data-ms-exact" if exact else ""
        tag = f'<time datetime="{machine}Z"{kept}>{shown}</time>'
        if words is None:
            return Markup(tag)
        if words not in split:
            split[words] = _around_time(words)
        around = split[words]
        if around is None:
            return words % {"time": Markup(tag)}
        return Markup(f"{around[0]}{tag}{around[1]}")

    return element


#: helpers a page calls once per row, also as filters (``{{ ticket.number | ms_ticket_url }}``):
#: Jinja calls a filter directly, a function through the context's checks (about 2 µs more on
#: every call, several per row of a list). Each filter calls the page's helper of that name
#: (bound to the page's language and zone), as the shared macros' globals do
#: (:func:`_page_helper`), without looking it up in the template's context first.
_ROW_FILTERS = ("ms_ticket_url", "ms_time_tag")


def list_cells(locale: str, customer: bool) -> tuple[dict[Status, Markup], dict[Priority, Markup]]:
    """``ms_list_badges`` in templates: the status and priority cells of a ticket list in
    ``locale``, by status and by priority (``_badges.html``'s ``status_cell`` and
    ``priority_cell``). Made once per app, language and party, not with twelve macro calls on
    every list page; made again at every page where Jinja reloads changed templates."""
    environment = current_app.jinja_env
    if environment.auto_reload:
        return _list_cells(environment, locale, customer)
    return _kept_list_cells(environment, locale, customer)


def _list_cells(
    environment: Environment, locale: str, customer: bool
) -> tuple[dict[Status, Markup], dict[Priority, Markup]]:
    cells: Any = environment.get_template("marketplace_support/_badges.html").module
    return (
        {status: Markup(cells.status_cell(status, customer)) for status in Status},
        {priority: Markup(cells.priority_cell(priority)) for priority in Priority},
    )


_kept_list_cells = lru_cache(maxsize=64)(_list_cells)


#: the helpers that the shared macro templates (``_macros.html``, ``_timeline.html``,
#: ``customer/_request_fields.html``) call, by the name of the Jinja global they reach them
#: through: the page's helper of that name, or of the name after ``ms_`` for the labels (a
#: page calls them ``status_label``, ...; a global of the host's own by such a name is left
#: alone, and our macros never call it).
#: Pages import those templates without their context, so Jinja makes each once per process,
#: not once per page; and a module made with a page's context holds it in a reference cycle,
#: which left about 400 objects a page for the garbage collector. Each global calls the
#: helper of the page being made (:data:`_PAGE_HELPERS`).
_SHARED_HELPERS = {
    **{
        name: name
        for name in (
            "_ms",
            "_ms_n",
            "ms_answers",
            "ms_category",
            "ms_csrf_token",
            "ms_token_renewal",
            "ms_in_language",
            "ms_max_length",
            "ms_new_key",
            "ms_now",
            "ms_size",
            "ms_time_tag",
            "ms_unfolded",
            "ms_upload_rules",
        )
    },
    **{
        f"ms_{name}": name
        for name in ("priority_label", "reason_label", "status_customer_label", "status_label")
    },
}

#: the helpers of the page being made (set by :func:`_template_helpers`, forgotten at the end
#: of the request); per thread or task, as contextvars are
_PAGE_HELPERS: ContextVar[dict[str, Any] | None] = ContextVar(
    "marketplace_support_page_helpers", default=None
)


def _page_helper(name: str, helper: str) -> Callable[..., Any]:
    """The global (or row filter) ``name``: calls the page's helper ``helper``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        helpers = _PAGE_HELPERS.get()
        if helpers is None:
            raise RuntimeError(f"{name}() is called outside a page of the support module")
        return helpers[helper](*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def _forget_page_helpers(error: BaseException | None) -> None:
    _PAGE_HELPERS.set(None)


def _template_helpers() -> dict[str, Any]:
    helpers = _page_helpers()
    _PAGE_HELPERS.set(helpers)
    return helpers


def _page_helpers() -> dict[str, Any]:
    # once per page: the state, the language and the zone are bound here, not looked up
    # again by every string and time of the page
    state: SupportState = current_state()
    local = localiser()
    actor = state.actor()
    tenant_id = state.tenant_id()
    timezone = zone(actor.timezone if actor else None)
    ticket_url = _ticket_urls()
    return {
        "_ms": local.markup,
        "_ms_n": local.markup_n,
        "_ms_p": local.markup_p,
        "ms_locale": lambda: str(local.locale),
        "ms_new_key": fragments.HOLES["ms_new_key"],
        "ms_now": now,
        "ms_link": lambda url, text: Markup('<a href="{}">{}</a>').format(url, text),
        "ms_actor_id": lambda: actor.user_id if actor else None,
        "ms_areas": support_menu_links,
        "ms_asset": assets.url,
        "operator_name": _Later(lambda: state.text(tenant_id, "operator_name")),
        "status_label": lambda value: Status(value).label,
        "status_customer_label": lambda value: Status(value).customer_label,
        "priority_label": lambda value: Priority(value).label,
        "action_done": lambda value: Action(value).done,
        "reason_label": lambda value: Reason(value).label,
        "ms_time": lambda value: local.format_datetime(value, timezone, "medium", "short"),
        "ms_time_tag": _time_element(local, timezone),
        "ms_ticket_url": ticket_url,
        "ms_action_url": _action_urls(ticket_url),
        "ms_list_url": list_url,
        # new on every page: a kept part holds a mark in their place (``fragments.HOLES``)
        "ms_csrf_token": fragments.HOLES["ms_csrf_token"],
        "ms_token_renewal": fragments.HOLES["ms_token_renewal"],
        "ms_text": lambda key: state.text(tenant_id, key),
        "ms_category": category_label,
        "ms_answers": lambda ticket: request_types.shown(ticket.answers, str(local.locale)),
        "ms_in_language": lambda texts: request_types.in_language(texts, str(local.locale)),
        "ms_max_length": request_types.max_length,
        "ms_upload_rules": upload_rules,
        "ms_unfolded": unfolded,
        "ms_size": human_size,
        "ms_duration": business_duration,
        "ms_percent": lambda share: format_percent(share, locale=local.locale),
        "ms_list_badges": lambda customer=False: list_cells(str(local.locale), customer),
    }
