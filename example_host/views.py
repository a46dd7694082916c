"""The marketplace's own pages: home, login with the demo accounts, My Page."""

from __future__ import annotations

from urllib.parse import urlsplit

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
from flask_babel import get_locale
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from . import LANGUAGES
from .demo import DEMO_PASSWORD
from .models import ServiceOrder, Tenant, User, db

bp = Blueprint("example_host", __name__)


@bp.app_context_processor
def _marketplace() -> dict[str, object]:
    tenant_id = (
        current_user.tenant_id
        if current_user.is_authenticated
        else current_app.config["DEFAULT_TENANT"]
    )
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
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.commit()
    else:
        session["locale"] = chosen
    return redirect(_same_site(request.form.get("next", ""), url_for(".home")), code=303)


def _same_site(target: str, otherwise: str) -> str:
    """Only paths on this site (a full address of this site becomes its path): never an open
    redirect."""
    address = urlsplit(target)
    if address.scheme in ("http", "https") and address.netloc == request.host:
        target = address.path + (f"?{address.query}" if address.query else "")
    return target if target.startswith("/") and not target.startswith("//") else otherwise


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
        if user is not None and check_password_hash(
            user.password_hash, request.form.get("password", "")
        ):
            login_user(user)
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
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("example_host.home"), code=303)


@bp.get("/my")
@login_required
def my_page() -> ResponseReturnValue:
    orders = []
    if current_user.organisation_id:
        orders = db.session.scalars(
            select(ServiceOrder)
            .where(ServiceOrder.organisation_id == current_user.organisation_id)
            .order_by(ServiceOrder.active.desc(), ServiceOrder.service_name)
        ).all()
    return render_template("example_host/my_page.html", orders=orders)
