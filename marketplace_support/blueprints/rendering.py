"""Rendering shared by every area: the error page in the module's layout."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue


def error_page(message: str, status: int) -> ResponseReturnValue:
    return render_template("marketplace_support/error.html", message=message), status
