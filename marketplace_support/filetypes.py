"""The kinds of files a marketplace may allow, recognised by their content and their name.

A file is accepted only when its first bytes match a kind on the tenant's allow-list and its
name ends with one of that kind's extensions. Recognising content is an allow-list check, not an
XSS defence (a GIF or PDF can carry HTML): that defence is how files are served (see
``blueprints/attachments.py``). Nothing scriptable (SVG, HTML, XML) is a kind at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .i18n import lazy_gettext


@dataclass(frozen=True)
class FileKind:
    key: str
    mimetype: str
    extensions: tuple[str, ...]
    matches: Callable[[bytes], bool]
    #: what people call it ("PNG image")
    label: str
    #: a raster image, shown inline as a thumbnail once its content matched
    image: bool = False


def _text(head: bytes) -> bool:
    # plain text and logs: UTF-8 (or ASCII) without NUL bytes; the head may end mid-character
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3
    return True


KINDS: dict[str, FileKind] = {
    kind.key: kind
    for kind in (
        FileKind(
            "png",
            "image/png",
            (".png",),
            lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
            lazy_gettext("PNG image"),
            image=True,
        ),
        FileKind(
            "jpeg",
            "image/jpeg",
            (".jpg", ".jpeg"),
            lambda h: h.startswith(b"\xff\xd8\xff"),
            lazy_gettext("JPEG image"),
            image=True,
        ),
        FileKind(
            "gif",
            "image/gif",
            (".gif",),
            lambda h: h[:6] in (b"GIF87a", b"GIF89a"),
            lazy_gettext("GIF image"),
            image=True,
        ),
        FileKind(
            "webp",
            "image/webp",
            (".webp",),
            lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP",
            lazy_gettext("WebP image"),
            image=True,
        ),
        FileKind(
            "pdf",
            "application/pdf",
            (".pdf",),
            lambda h: h.startswith(b"%PDF-"),
            lazy_gettext("PDF document"),
        ),
        FileKind("text", "text/plain", (".txt", ".log"), _text, lazy_gettext("Text file")),
        FileKind("csv", "text/csv", (".csv",), _text, lazy_gettext("CSV table")),
        FileKind(
            "zip",
            "application/zip",
            (".zip",),
            lambda h: h.startswith(b"PK\x03\x04"),
            lazy_gettext("ZIP archive"),
        ),
    )
}

#: What a tenant allows when it says nothing: screenshots, PDFs and logs.
DEFAULT_KINDS = ("png", "jpeg", "gif", "webp", "pdf", "text")

#: Bytes read to recognise a file.
HEAD_SIZE = 512


def recognise(name: str, head: bytes, allowed: frozenset[str]) -> FileKind | None:
    """The allowed kind whose content *and* extension the file has, or None."""
    named = named_as(name, allowed)
    return named if named is not None and named.matches(head) else None


def named_as(name: str, allowed: frozenset[str]) -> FileKind | None:
    """The allowed kind whose extension ``name`` has, whatever the file holds, or None."""
    lowered = name.lower()
    for key in sorted(allowed):
        kind = KINDS.get(key)
        if kind and lowered.endswith(kind.extensions):
            return kind
    return None
