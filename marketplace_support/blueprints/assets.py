"""The module's stylesheet and script, addressed by their content.

A page links ``support.css?v=<digest of its bytes>``. Asked for with the digest it has now, a
file may be kept by the browser (and any cache between) for a year: a page view then asks the
server for nothing but the page. A release that changes a file changes its address, so no one
keeps an old copy past it. Asked for without the digest, or with another one (a page from
before a release, another machine of a deployment still on the old one), the file is served
as Flask serves static files: checked again on every use.

Only the files named here get long lives: a file name in a request is never opened to be
digested.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app, request, url_for

ENDPOINT = "marketplace_support.static"

#: the folder of the parent blueprint's static files
FOLDER = Path(__file__).resolve().parent.parent / "static" / "marketplace_support"

#: what a page links to
FILES = frozenset({"support.css", "support.js"})

#: how long a browser may keep a file asked for by its digest: a year, the longest HTTP caches
#: are told to keep anything
KEPT_SECONDS = 365 * 24 * 3600


def url(filename: str) -> str:
    """The address of one of ``FILES``, with its digest; built once per app, host, script root
    and digest (``url_for`` took 30 µs, and a page links two files)."""
    return _url(
        cast(Any, current_app)._get_current_object(),  # the app, not the proxy, as a key
        request.host,
        request.script_root,
        filename,
        digest(filename),
    )


@lru_cache(maxsize=64)
def _url(app: Flask, host: str, script_root: str, filename: str, version: str) -> str:
    return url_for(ENDPOINT, filename=filename, v=version)


def max_age(filename: str | None) -> int | None:
    """Seconds a browser may keep ``filename`` as asked for now; None: check again each time."""
    if filename in FILES and request.args.get("v") == digest(filename):
        return KEPT_SECONDS
    return None


def digest(filename: str) -> str:
    """The first 16 hex digits of the SHA-256 of the file, read once per process; where
    templates are reloaded when they change (Flask's debug mode), read again when the file
    changes, so a developer's edit shows at the next page."""
    if not current_app.jinja_env.auto_reload:
        return _digest(FOLDER, filename, None)
    status = (FOLDER / filename).stat()
    return _digest(FOLDER, filename, (status.st_mtime_ns, status.st_size))


@lru_cache(maxsize=16)
def _digest(folder: Path, filename: str, changed: tuple[int, int] | None) -> str:
    return hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:16]
