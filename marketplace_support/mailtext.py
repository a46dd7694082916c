"""What an e-mail says: its new text (without the quoted history and the signature), its
files, and whether a machine sent it (an auto-reply, a bounce).

MIME is read by the standard library (``email`` with ``policy.default``); quotes and
signatures are cut by ``mail-parser-reply`` in the languages we ship, and by the reply
headers of those languages that it does not know ("El … escribió:", "Op … schreef …:"); an
HTML-only message becomes text with nh3, which keeps no markup at all.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from email.message import EmailMessage, Message

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


def is_automatic(message: EmailMessage) -> bool:
    """Whether a machine sent it: ``Auto-Submitted`` other than ``no``, a bulk or list
    ``Precedence``, ``X-Autoreply``/``X-Autorespond``, or an out-of-office subject."""
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    return _AWAY_SUBJECT.match(str(message.get("Subject", "")).strip()) is not None


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
            if block.get(field):
                return " ".join(str(block[field]).split())
    return None


def _message_id_in(part: Message) -> str | None:
    if part.is_multipart():
        inner = part.get_payload(0)
        assert isinstance(inner, Message)
        value = inner.get("Message-ID")
    else:
        found = re.search(r"^Message-ID:\s*(<[^>]+>)", _decoded(part), re.I | re.M)
        value = found.group(1) if found else None
    return str(value).strip() if value else None


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
            uploads.append(Upload(part.get_filename() or "file", io.BytesIO(data)))
    return uploads


def _attachments(message: EmailMessage) -> Iterator[EmailMessage]:
    for part in message.walk():
        assert isinstance(part, EmailMessage)
        if part.is_multipart() or not part.get_filename():
            continue
        if part.get("Content-ID") and part.get_content_disposition() != "attachment":
            continue
        yield part


def _decoded(part: Message) -> str:
    """A text part's content; a charset Python does not know is read as UTF-8, with what
    cannot be read replaced."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError):
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    return content if isinstance(content, str) else ""
