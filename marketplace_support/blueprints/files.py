"""Attachments going in (from a request's file inputs) and out (downloads and thumbnails).

Every file goes out as a download (``Content-Disposition: attachment`` with its UTF-8 name),
with ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy that sandboxes it, so
nothing a user uploaded runs in the site's origin. Only raster images whose bytes are checked
again on the way out are shown inline, as thumbnails.
"""

from __future__ import annotations

import unicodedata
from typing import IO
from urllib.parse import quote

from flask import abort, current_app, redirect, request, send_file
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import Headers

from .. import attachments, filetypes, tickets
from ..models import Attachment
from ..state import support
from ..workflow import Role
from .area import acting

#: Room for the form's text fields on top of the files.
_FORM_ALLOWANCE = 1_000_000


def limit_request_body() -> None:
    """Before any form is read: the largest body this tenant's limits can need, so a request
    never makes the server buffer more (werkzeug answers 413 beyond it)."""
    flags = support.flags(support.tenant_id())
    files = flags.max_attachments * flags.max_attachment_size if flags.attachments_enabled else 0
    request.max_content_length = files + _FORM_ALLOWANCE


def uploads() -> list[attachments.Upload]:
    """The files of the request's ``attachments`` inputs."""
    return [
        attachments.Upload(file.filename or "", file.stream)
        for file in request.files.getlist("attachments")
    ]


def send(role: Role, number: int, file_id: int) -> ResponseReturnValue:
    """One attachment of a ticket the actor may see, if they may see its message."""
    tenant_id, actor = acting()
    file = tickets.attachment_in_scope(tenant_id, actor, role, number, file_id)
    thumbnail = request.args.get("thumb") == "1"
    shown = thumbnail or request.args.get("inline") == "1"
    elsewhere = None if shown else _download_url(file)
    if elsewhere is not None:
        response = redirect(elsewhere, 302)
        response.headers["Cache-Control"] = "no-store"  # the address is the person's, for now
        return response
    key = file.thumbnail_key if thumbnail and file.thumbnail_key else file.storage_key
    try:
        stream = support.storage.open(key)
    except FileNotFoundError:
        abort(404)
    inline = shown and _still_an_image(file, stream)
    response = send_file(
        stream,
        mimetype=file.content_type,
        as_attachment=not inline,
        download_name=file.filename,
        conditional=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _download_url(file: Attachment) -> str | None:
    """Where the storage lets the browser fetch the file itself
    (``SUPPORT_ATTACHMENT_PRESIGNED_SECONDS``), with the download's own headers."""
    seconds = current_app.config["SUPPORT_ATTACHMENT_PRESIGNED_SECONDS"]
    if not seconds:
        return None
    headers = Headers()
    headers.set("Content-Disposition", "attachment", **_download_names(file.filename))
    return support.storage.download_url(
        file.storage_key, headers["Content-Disposition"], file.content_type, int(seconds)
    )


def _download_names(name: str) -> dict[str, str]:
    # as werkzeug's send_file names a download: ASCII, and UTF-8 where the name needs it
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        return {"filename": simple, "filename*": f"UTF-8''{quote(name, safe='!#$&+^`|~')}"}
    return {"filename": name}


def _still_an_image(file: Attachment, stream: IO[bytes]) -> bool:
    kind = filetypes.KINDS.get(file.kind)
    if kind is None or not kind.image:
        return False
    head = stream.read(filetypes.HEAD_SIZE)
    stream.seek(0)
    return kind.matches(head)
