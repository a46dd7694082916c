"""Who is logged in: Flask-Login, set up for this marketplace's accounts.

A session names the account and the account's session token (``User.get_id``). Logging in
starts a fresh session; logging out gives the account a new token, so a copy of a session
cookie taken before is worth nothing after (Flask keeps the session in a signed cookie, which
stays valid however often the server forgets it).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import flask_login
from flask import session
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import bindparam, select

from .ids import row_id
from .models import User, db

P = ParamSpec("P")
R = TypeVar("R")

#: What a new session keeps of the one before: the language picked before logging in.
KEPT_ACROSS_LOGIN = ("locale",)

login_manager = LoginManager()
login_manager.login_view = "example_host.login"
# a session cookie sent from another address or browser than the one it was made for is
# logged out
login_manager.session_protection = "strong"


def load_user(session_id: str) -> User | None:
    """The account a session names (``"<id>:<session token>"``), if the token is still its."""
    user_id, _, token = session_id.partition(":")
    key = row_id(user_id)
    user = db.session.scalars(_ACCOUNT, {"id": key}).first() if key is not None else None
    if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


#: the account of a session, made once: every request asks for it
_ACCOUNT = select(User).where(User.id == bindparam("id"))


login_manager.user_loader(load_user)


def current_account() -> User | None:
    """The account logged in for this request, or None (a visitor, or no request)."""
    account = current_user._get_current_object()
    return account if isinstance(account, User) else None


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Flask-Login's ``login_required``: visitors are sent to the login page."""
    guarded: Callable[P, R] = flask_login.login_required(view)
    return guarded


def log_in(user: User) -> None:
    """Start a fresh session for ``user``: nothing of the session before survives but
    ``KEPT_ACROSS_LOGIN``."""
    _start_over()
    login_user(user)


def log_out() -> None:
    """End this session and every other session of the account (its session token changes)."""
    account = current_account()
    if account is not None:
        account.end_sessions()
        db.session.commit()
    _start_over()
    logout_user()


def _start_over() -> None:
    kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)
