"""The marketplace's own pages: home, login with the demo accounts, My Page, the language
switcher, and the operator's page for the marketplace's texts (seed 001: "the Operator
changing the translation")."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale
from sqlalchemy import select
from werkzeug.security import check_password_hash

from marketplace_support import TEXTS, render_text

from . import LANGUAGES
from .accounts import current_account, log_in, log_out, login_required
from .demo import DEMO_PASSWORD
from .models import ServiceOrder, Tenant, TenantText, User, db

#: The most a text of the marketplace may hold.
TEXT_LIMIT = 5000

bp = Blueprint("example_host", __name__)


@bp.app_context_processor
def _marketplace() -> dict[str, object]:
    account = current_account()
    tenant_id = account.tenant_id if account else current_app.config["DEFAULT_TENANT"]
    return {
        "tenant": db.session.get(Tenant, tenant_id),
        "locale": str(get_locale()),
        "languages": LANGUAGES,
    }


@bp.get("/")
def home() -> ResponseReturnValue:
    return render_template("example_host/home.html")


@bp.post("/language")
def language() -> ResponseReturnValue:
    """The language switcher: the person's own setting when logged in (kept for their next
    visit and for the e-mails they get), else this browser's session."""
    chosen = request.form.get("locale", "")
    if chosen not in LANGUAGES:
        abort(400, "Choose one of the languages offered: " + ", ".join(LANGUAGES.values()))
    account = current_account()
    if account is not None:
        account.locale = chosen
        db.session.commit()
    else:
        session["locale"] = chosen
    return redirect(_same_site(request.form.get("next", ""), url_for(".home")), code=303)


#: What browsers drop from an address before reading it (the WHATWG URL standard): tabs and
#: line breaks anywhere, C0 control characters and spaces at either end.
_DROPPED_ANYWHERE = str.maketrans("", "", "\t\n\r")
_DROPPED_AT_THE_ENDS = "".join(map(chr, range(0x21)))


def _same_site(target: str, otherwise: str) -> str:
    """``target`` if it is a path on this site (a full address of this site becomes its path),
    else ``otherwise``: never an open redirect.

    The address is read as a browser will read the Location header: what browsers drop is
    dropped and a backslash counts as a slash, so ``/<tab>/evil.example`` or ``/\\evil.example``
    (which browsers follow to ``//evil.example``, another site) are refused.
    """
    address = target.translate(_DROPPED_ANYWHERE).strip(_DROPPED_AT_THE_ENDS).replace("\\", "/")
    try:
        parts = urlsplit(address)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 host)
        return otherwise
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return otherwise
        address = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return address if address.startswith("/") and not address.startswith("//") else otherwise


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
        if user is not None and check_password_hash(
            user.password_hash, request.form.get("password", "")
        ):
            log_in(user)
            target = request.args.get("next", "")
            return redirect(_same_site(target, _landing_page(user)), code=303)
        error = "That email and password do not match a demo account."
    accounts = db.session.scalars(select(User).order_by(User.tenant_id, User.id)).all()
    return render_template(
        "example_host/login.html", accounts=accounts, error=error, demo_password=DEMO_PASSWORD
    ), (401 if error else 200)


def _landing_page(user: User) -> str:
    """Customers land on My Page; provider and operator staff in their support workspace."""
    if user.provider_id:
        return url_for("marketplace_support.provider.tickets")
    if user.is_operator:
        return url_for("marketplace_support.operator.tickets")
    return url_for("example_host.my_page")


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    log_out()
    flash("You are logged out.")
    return redirect(url_for("example_host.home"), code=303)


@bp.get("/my")
@login_required
def my_page() -> ResponseReturnValue:
    account = current_account()
    orders: Sequence[ServiceOrder] = ()
    if account is not None and account.organisation_id:
        orders = db.session.scalars(
            select(ServiceOrder)
            .where(ServiceOrder.organisation_id == account.organisation_id)
            .order_by(ServiceOrder.active.desc(), ServiceOrder.service_name)
        ).all()
    return render_template("example_host/my_page.html", orders=orders)


@bp.route("/admin/texts", methods=["GET", "POST"])
@login_required
def texts() -> ResponseReturnValue:
    """The operator words the module's texts for this marketplace, per language; an empty
    text gives the module's own wording back."""
    account = current_account()
    if account is None or not account.is_operator:
        abort(403)
    tenant_id = account.tenant_id
    key = request.values.get("key", "troubleshooting")
    locale = request.values.get("locale", account.tenant.default_locale)
    if key not in TEXTS or locale not in LANGUAGES:
        abort(404)
    row = db.session.get(TenantText, (tenant_id, key, locale))
    wording = row.text if row else ""
    error = None
    if request.method == "POST":
        wording = request.form.get("text", "").strip()
        if len(wording) > TEXT_LIMIT:
            error = (
                f"A text may hold at most {TEXT_LIMIT:,} characters; this one has {len(wording):,}."
            )
        else:
            _save_text(row, TenantText(tenant_id=tenant_id, key=key, locale=locale, text=wording))
            whose = "your wording" if wording else "the module's wording"
            flash(f"Saved: {LANGUAGES[locale]} now shows {whose}.")
            return redirect(url_for(".texts", key=key, locale=locale), code=303)
    own = {
        (r.key, r.locale)
        for r in db.session.scalars(select(TenantText).where(TenantText.tenant_id == tenant_id))
    }
    with force_locale(locale):
        ours = str(TEXTS[key].default)
        preview = render_text(key, wording or None)
    return render_template(
        "example_host/texts.html",
        texts=TEXTS,
        own=own,
        key=key,
        text_locale=locale,
        wording=wording,
        ours=ours,
        preview=preview,
        error=error,
        limit=TEXT_LIMIT,
    ), (422 if error else 200)


def _save_text(row: TenantText | None, wanted: TenantText) -> None:
    """Store the operator's wording; an empty one is removed, so the module's comes back."""
    if row is not None and not wanted.text:
        db.session.delete(row)
    elif row is not None:
        row.text = wanted.text
    elif wanted.text:
        db.session.add(wanted)
    db.session.commit()
