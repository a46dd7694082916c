"""What an e-mail says: its new text (without the quoted history and the signature), its
files, and whether a machine sent it (an auto-reply, a bounce).

MIME is read by the standard library (``email`` with ``policy.default``); quotes and
signatures are cut by ``mail-parser-reply`` in the languages we ship, and by the reply
headers of those languages that it does not know ("El … escribió:", "Op … schreef …:"); an
HTML-only message becomes text with nh3, which keeps no markup at all.

Everything read here is valid Unicode, ready to store: a charset can decode to what is not
(UTF-7's ``+2AA-``, ``unicode_escape``'s ``\\ud800``: a lone surrogate, which no database
takes), and that is replaced by U+FFFD, so the readable rest of a message still gets in.
Parse with :data:`POLICY` (``policy.default`` whose headers read so too).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import re
from collections.abc import Iterator
from email.header import decode_header
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import nh3
from mailparser_reply import EmailReplyParser

from .attachments import Upload

#: the languages whose quote headers and signatures are cut
LANGUAGES = ("en", "de", "fr", "es", "nl")

#: lines that begin the quoted history, in the languages we ship, and the usual separators
_QUOTE_STARTS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^On\s.+\swrote:$",
        r"^Am\s.+\sschrieb\s.+:$",
        r"^Le\s.+\sa\s[ée]crit\s?:$",
        r"^El\s.+\sescribi[óo]:$",
        r"^Op\s.+\sschreef\s.+:$",
        r"^-{2,}\s*(Original Message|Urspr[üu]ngliche Nachricht|Message d'origine|"
        r"Mensaje original|Oorspronkelijk bericht)\s*-{2,}$",
        r"^_{10,}$",  # Outlook's line above the quoted message's headers
        r"^-- ?$",  # the signature separator
    )
]

#: HTML where a client begins the quoted history (Gmail, Outlook, Apple Mail, Thunderbird)
_HTML_QUOTE = re.compile(
    r'<blockquote|<div[^>]+class="gmail_quote|<div[^>]+id="(divRplyFwdMsg|appendonsend)"|'
    r'<div[^>]+class="moz-cite-prefix',
    re.IGNORECASE,
)
_HTML_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)

#: subjects of out-of-office replies of clients that do not say Auto-Submitted
_AWAY_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?reply|out of (the )?office|abwesenheitsnotiz|"
    r"automatische antwort|r[ée]ponse automatique|absence|respuesta autom[áa]tica|"
    r"fuera de la oficina|afwezigheidsbericht|automatisch antwoord)",
    re.IGNORECASE,
)


#: an RFC 2047 encoded word, and an RFC 2231 parameter value with its charset
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_CHARSET_VALUE = re.compile(r"(?<=\*=)([^'\s;\"]*)'([^'\s;\"]*)'([^\s;\"]*)")


def readable(text: str) -> str:
    """``text`` as valid Unicode: a lone surrogate (what no database stores) becomes U+FFFD,
    a pair that a charset left split becomes its character."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _text(data: bytes | str, charset: str | None) -> str:
    """``data`` read in ``charset``; what cannot be read is replaced, and a charset Python
    does not know (or that is not one of text) is read as UTF-8."""
    if isinstance(data, str):
        return _unescaped(data)
    try:
        return readable(data.decode(charset or "ascii", "replace"))
    except (LookupError, UnicodeError, TypeError, ValueError):
        return data.decode("utf-8", "replace")


def _utf8_word(found: re.Match[str]) -> str:
    text = "".join(_text(data, charset) for data, charset in decode_header(found.group(0)))
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def _utf8_value(found: re.Match[str]) -> str:
    charset, language, value = found.groups()
    text = _text(unquote_to_bytes(value), charset or "ascii")
    return f"utf-8'{language}'" + quote(text, safe="")


def _in_utf8(value: str) -> str:
    """A raw header value with its encoded words and RFC 2231 values readable and in UTF-8."""
    # a word the standard library cannot split is left as it is
    with contextlib.suppress(Exception):
        value = _ENCODED_WORD.sub(_utf8_word, value)
    return _CHARSET_VALUE.sub(_utf8_value, value)


def _unescaped(raw: str) -> str:
    """A raw header as the parser keeps it (8-bit bytes as surrogates, "surrogateescape"; even
    in addresses, where ``policy.default`` leaves them) with those bytes read as UTF-8."""
    try:
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # not from bytes: a lone surrogate of its own
        return readable(raw)


class _ReadablePolicy(EmailPolicy):
    """``policy.default`` whose headers are valid Unicode: raw 8-bit bytes read as UTF-8
    (RFC 6532), and a header whose words decode to what is not Unicode (an encoded word in
    UTF-7) read with U+FFFD in its place, where the standard library raises."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            value = _unescaped(value)
        try:
            return super().header_fetch_parse(name, value)
        except Exception:  # the words decode to what the header registry cannot take
            pass
        try:
            return super().header_fetch_parse(name, _in_utf8(value))
        except Exception:  # still not: the header reads as empty
            return super().header_fetch_parse(name, "")


#: how inbound mail is parsed: ``policy.default``, every header valid Unicode
POLICY = _ReadablePolicy()


def header(message: Message, name: str) -> str:
    """A header's text on one line, valid Unicode ("" when absent); never raises, whichever
    policy parsed the message (one the header registry cannot read is read raw)."""
    try:
        value = str(message.get(name, ""))
    except Exception:  # the registry of policy.default raises on a word it decodes badly
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
        value = _unescaped(str(raw))
    return readable(" ".join(value.split()))


def is_automatic(message: EmailMessage) -> bool:
    """Whether a machine sent it: ``Auto-Submitted`` other than ``no``, a bulk or list
    ``Precedence``, ``X-Autoreply``/``X-Autorespond``, or an out-of-office subject."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if header(message, "Precedence").lower() in ("bulk", "junk", "list"):
        return True
    if header(message, "X-Autoreply") or header(message, "X-Autorespond"):
        return True
    return _AWAY_SUBJECT.match(header(message, "Subject")) is not None


def is_bounce(message: EmailMessage) -> bool:
    """Whether it is a delivery status report (RFC 3464)."""
    if message.get_content_type() != "multipart/report":
        return False
    kind = message.get_param("report-type", "")
    return isinstance(kind, str) and kind.lower() == "delivery-status"


def bounced(message: EmailMessage) -> tuple[str | None, str]:
    """The Message-ID of the mail a bounce reports on (from its returned message or headers)
    and why it bounced (the Diagnostic-Code or Status), for the operator."""
    original_id, reason = None, "bounced"
    for part in message.iter_parts():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            reason = _diagnostic(part) or reason
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            original_id = original_id or _message_id_in(part)
    return original_id, reason[:1000]


def _diagnostic(part: Message) -> str | None:
    for block in part.get_payload() if part.is_multipart() else []:
        assert isinstance(block, Message)
        for field in ("Diagnostic-Code", "Status"):
            if said := header(block, field):
                return said
    return None


def _message_id_in(part: Message) -> str | None:
    if part.is_multipart():
        inner = part.get_payload(0)
        assert isinstance(inner, Message)
        value = header(inner, "Message-ID")
    else:
        found = re.search(r"^Message-ID:\s*(<[^>]+>)", _decoded(part), re.I | re.M)
        value = found.group(1) if found else ""
    return value.strip() or None


def text_of(message: EmailMessage) -> str:
    """The new text of a message: its plain body (or its HTML body made text), without the
    quoted history and the signature."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = _decoded(body)
    if body.get_content_type() == "text/html":
        content = html_to_text(content)
    return strip_quotes(content)


def html_to_text(markup: str) -> str:
    """The text of an HTML body without its quoted part: no tag, no script or style survives
    (nh3 keeps none), and entities are read."""
    quoted = _HTML_QUOTE.search(markup)
    if quoted:
        markup = markup[: quoted.start()]
    markup = _HTML_BREAK.sub("\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set(), strip_comments=True))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_quotes(text: str) -> str:
    """``text`` without quoted history and signature."""
    text = text.replace("\r\n", "\n")
    parsed = EmailReplyParser(languages=list(LANGUAGES)).parse_reply(text=text) or ""
    kept: list[str] = []
    for line in parsed.splitlines():
        stripped = line.strip()
        if any(pattern.match(stripped) for pattern in _QUOTE_STARTS):
            break
        kept.append(line)
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    return "\n".join(kept).strip()


def files_of(message: EmailMessage) -> list[Upload]:
    """The message's attached files (parts with a file name, not the body; images a client
    shows inline by Content-ID, such as a signature's logo, are left out)."""
    uploads = []
    for part in _attachments(message):
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            uploads.append(Upload(_filename(part) or "file", io.BytesIO(data)))
    return uploads


def _attachments(message: EmailMessage) -> Iterator[EmailMessage]:
    for part in message.walk():
        assert isinstance(part, EmailMessage)
        if part.is_multipart() or not _filename(part):
            continue
        if header(part, "Content-ID") and _disposition(part) != "attachment":
            continue
        yield part


def _filename(part: Message) -> str | None:
    """A part's file name, valid Unicode; never raises (a name the header registry of
    ``policy.default`` cannot read, such as an encoded word in UTF-7, is read as the
    headers say it, without the registry)."""
    try:
        name = part.get_filename()
    except Exception:
        legacy = Message()  # compat32: parameters as written, RFC 2231 read with "replace"
        for key, value in part.raw_items():
            if key.lower() in ("content-disposition", "content-type"):
                legacy[key] = value
        try:
            name = legacy.get_filename()
            name = "".join(_text(*word) for word in decode_header(name)) if name else name
        except Exception:  # unreadable even so: a file all the same
            name = "file"
    return readable(name) if name else None


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # a header the registry cannot read
        return None


def _decoded(part: Message) -> str:
    """A text part's content, valid Unicode; a charset Python does not know (or that is not
    one of text) is read as UTF-8, with what cannot be read replaced."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, TypeError, ValueError):
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    return readable(content) if isinstance(content, str) else ""
