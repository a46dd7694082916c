"""Files attached to a ticket's description, a reply or an internal note.

Checking happens before anything is stored: count, size and kind (content and name) against the
tenant's flags, with messages that name the limit. Storing happens inside the use-case's
transaction; when the transaction fails, the stored files are deleted again, and
``flask support clean-attachments`` removes any file whose row never came (a process that died
between the two).
"""

from __future__ import annotations

import io
import os
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import IO

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import get_locale
from sqlalchemy import select

from . import filetypes, thumbnails
from .host import Flags
from .i18n import gettext, ngettext
from .models import Attachment, DraftFile
from .state import support
from .storage import StorageUnavailable

NAME_MAX = 150


@dataclass(frozen=True)
class Upload:
    """A file as the request brought it: the name the browser sent, and its bytes."""

    filename: str
    stream: IO[bytes]
    #: counted against the upload limits already: a file kept from a refused try
    #: (``drafts.keep`` counts it when it stores it)
    counted: bool = False


def uncounted(files: Sequence[Checked]) -> int:
    """How many of ``files`` the upload limits have not counted yet."""
    return sum(1 for item in files if not item.upload.counted)


@dataclass(frozen=True)
class Checked:
    """An upload that passed the checks, ready to store."""

    upload: Upload
    name: str
    size: int
    kind: filetypes.FileKind


def human_size(size: int) -> str:
    """A size for people, in the viewer's locale: "820 KB", "2.5 MB"."""
    return _human_size(size, str(get_locale()))


@lru_cache(maxsize=512)
def _human_size(size: int, locale: str) -> str:
    """:func:`human_size` in ``locale`` (the request's), kept: a page with a file input says
    the tenant's limit in every one (Babel formats a number in about 25 µs), and a ticket's
    files repeat their sizes on every view."""
    if size < 1000 * 1000:
        return gettext(
            "%(size)s KB", size=format_decimal(max(1, round(size / 1000)), locale=locale)
        )
    return gettext("%(size)s MB", size=format_decimal(round(size / 1_000_000, 1), locale=locale))


def clean_name(filename: str) -> str:
    """A name safe to keep and show: the last path part, without control, format (zero-width)
    or separator characters, at most ``NAME_MAX`` characters with the extension kept."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(c) in ("Zs", "Zl", "Zp") else c
        for c in name
        if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    name = " ".join(name.split()).strip(". ")
    if len(name) > NAME_MAX:
        stem, extension = os.path.splitext(name)
        extension = extension[:16]
        name = stem[: NAME_MAX - len(extension)].rstrip() + extension
    return name or "file"


def check(uploads: Sequence[Upload], flags: Flags) -> tuple[list[Checked], list[str]]:
    """The uploads that may be stored, and what is wrong with the others (one message each)."""
    uploads = [u for u in uploads if u.filename]  # an empty file input sends an empty part
    if not uploads:
        return [], []
    if not flags.attachments_enabled:
        return [], [gettext("This marketplace does not take attachments.")]
    if len(uploads) > flags.max_attachments:
        return [], [
            ngettext(
                "Attach at most %(num)d file to one message.",
                "Attach at most %(num)d files to one message.",
                flags.max_attachments,
            )
        ]
    checked, errors = [], []
    allowed = frozenset(flags.attachment_types)
    for upload in uploads:
        name = clean_name(upload.filename)
        upload.stream.seek(0, os.SEEK_END)
        size = upload.stream.tell()
        upload.stream.seek(0)
        head = upload.stream.read(filetypes.HEAD_SIZE)
        upload.stream.seek(0)
        kind = filetypes.recognise(name, head, allowed)
        if size > flags.max_attachment_size:
            errors.append(
                gettext(
                    "“%(name)s” is %(size)s; files can be at most %(limit)s.",
                    name=name,
                    size=human_size(size),
                    limit=human_size(flags.max_attachment_size),
                )
            )
        elif size == 0:
            errors.append(gettext("“%(name)s” is empty.", name=name))
        elif kind is None:
            errors.append(_not_taken(name, allowed, flags))
        else:
            checked.append(Checked(upload, name, size, kind))
    return checked, errors


def _not_taken(name: str, allowed: frozenset[str], flags: Flags) -> str:
    """Why a file of no kind the tenant takes is refused: a name of a kind taken whose content
    is not of that kind (a renamed file) is told apart from a kind not taken at all."""
    named = filetypes.named_as(name, allowed)
    if named is not None:
        return gettext(
            "The content of “%(name)s” does not match its name (%(kind)s). Attach the original "
            "file.",
            name=name,
            kind=named.label,
        )
    return gettext(
        "“%(name)s” is not a file type this marketplace takes (%(types)s).",
        name=name,
        types=allowed_extensions(flags),
    )


def allowed_extensions(flags: Flags) -> str:
    """The extensions a tenant takes, for hints and messages: ".png, .jpg, .pdf"."""
    return ", ".join(
        extension
        for key in flags.attachment_types
        if key in filetypes.KINDS
        for extension in filetypes.KINDS[key].extensions
    )


@dataclass(frozen=True)
class UploadRules:
    """What a file input tells the user (and the browser) before they choose."""

    enabled: bool
    accept: str
    extensions: str
    max_files: int
    max_size: int
    max_size_text: str


def upload_rules() -> UploadRules:
    """The upload rules of the tenant of this request, in its language."""
    flags = support.flags(support.tenant_id())
    extensions = allowed_extensions(flags)
    return UploadRules(
        enabled=flags.attachments_enabled,
        accept=extensions.replace(" ", ""),
        extensions=extensions,
        max_files=flags.max_attachments,
        max_size=flags.max_attachment_size,
        max_size_text=human_size(flags.max_attachment_size),
    )


class Stored:
    """Files stored for one change, and their rows for its transaction."""

    def __init__(self) -> None:
        self.rows: list[Attachment] = []

    def discard(self) -> None:
        """Delete the files again: their transaction failed, or found the change was stored
        already (a second submit of the same form); see :func:`delete_undone`."""
        delete_undone(
            key for row in self.rows for key in (row.storage_key, row.thumbnail_key) if key
        )
        self.rows = []


def delete_undone(keys: Iterable[str]) -> None:
    """Delete the files of a change that was undone, each on its own. One the storage cannot
    delete now is logged and left to ``flask support clean-attachments`` (no row refers to
    it): the failure that undid the change is what the person is answered, and the other
    files are still deleted."""
    for key in keys:
        try:
            support.storage.delete(key)
        except StorageUnavailable:
            current_app.logger.warning(
                "marketplace_support: could not delete the file %s of a change that was "
                "undone; clean-attachments removes it",
                key,
                exc_info=True,
            )


@contextmanager
def storing(checked: Sequence[Checked], tenant_id: str, uploaded_by: str) -> Iterator[Stored]:
    """Store the files; the caller adds ``stored.rows`` to its transaction (setting the ticket
    and message they belong to). When the block raises, the files are deleted again."""
    stored = Stored()
    try:
        for item in checked:
            key = secrets.token_hex(16)
            small = thumbnails.make(item.upload.stream, item.kind.key, item.size)
            support.storage.save(key, item.upload.stream)
            row = Attachment(
                tenant_id=tenant_id,
                storage_key=key,
                filename=item.name,
                size=item.size,
                kind=item.kind.key,
                content_type=item.kind.mimetype,
                uploaded_by_user_id=uploaded_by,
            )
            stored.rows.append(row)
            if small is not None:
                row.thumbnail_key = secrets.token_hex(16)
                support.storage.save(row.thumbnail_key, io.BytesIO(small))
        yield stored
    except BaseException:
        stored.discard()
        raise


def remove_orphans(older_than: timedelta, now: datetime) -> int:
    """Delete stored files that no row refers to and that are older than ``older_than``
    (younger ones may belong to a transaction still running). Returns how many."""
    storage, session = support.storage, support.session
    known = set(session.scalars(select(Attachment.storage_key)))
    known |= set(
        session.scalars(
            select(Attachment.thumbnail_key).where(Attachment.thumbnail_key.is_not(None))
        )
    )
    known |= set(session.scalars(select(DraftFile.storage_key)))
    removed = 0
    for key, stored_at in list(storage.stored()):
        if key not in known and now - stored_at > older_than:
            storage.delete(key)
            removed += 1
    return removed
