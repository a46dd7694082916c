"""Answers by e-mail: one message in, onto its ticket or into quarantine.

:func:`receive` is the one entry of every way in (``flask support receive`` for an MTA's pipe,
``flask support receive-smtp`` for LMTP). It finds one of our reply addresses among the
recipients (``replies``), checks that ``From`` is the person the address was made for,
that the ticket still names them (its requester, a watcher, the provider's or the
operator's notification address) and that the host still knows a person as someone of that
area (``HostAdapter.actor``, asked now, as for an API token), and hands the text and files
to the same use-case as the pages (``actions.act``), with the person as the host says they
are now: the access layer, the workflow table, the files' checks and the rate limits decide
there, nothing here. Whatever is not taken is kept in quarantine with the reason, for the
operator, and never reaches a ticket; what the use-case said is kept as its catalog words,
so that the operator reads it in their own language. Automatic replies are dropped; a
bounce marks the notification it reports on as failed.

A message to none of our reply addresses but to a tenant's support address
(``HostAdapter.support_address_tenant``: ``SUPPORT_INBOUND_ADDRESSES`` by default) opens a
ticket for the operator, not about a service, where the tenant takes tickets by e-mail
(``Flags.tickets_by_email`` and ``ticket_without_order``) and the host knows the sender as one
of its customers (``HostAdapter.customer_by_email``): the page's use-case
(``tickets.open_ticket``) with the subject, the text and the files, so the same checks, rate
limits and confirmation e-mail apply.

The same message delivered twice (an MTA's retry: same Message-ID and body) is stored once:
its key is the message's (or the new ticket's) ``submission_key``, or the quarantine row's
unique key.

Raises whatever the database raises when it cannot be reached (callers answer "try again
later": exit 75, LMTP 451); everything else ends in an :class:`Outcome`.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import access, actions, i18n, mailtext, outbox, replies, tickets
from .access import TicketNotFound
from .host import Actor
from .models import InboundMail, Message, OutboxMessage, Quarantined, Ticket, Watcher
from .notifications import Via
from .rate_limits import LimitReached
from .replies import Kind
from .schemas import NO_ORDER, SUBJECT_MAX, InvalidInput
from .state import support
from .workflow import Action, NotAllowed, Role

#: the most of a quarantined message kept for the operator to read
RAW_KEPT = 1_000_000
#: the most of what was wrong kept with it (``InboundMail.detail``)
DETAIL_KEPT = 2000

#: the headers our addresses are looked for in (with the envelope's recipients first)
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


class Result(enum.StrEnum):
    ACCEPTED = "accepted"
    #: delivered before: nothing was added
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    #: an auto-reply: nothing was stored
    AUTOMATIC = "automatic"
    #: a delivery report; ``outbox_id`` names the notification marked failed, if it is ours
    BOUNCE = "bounce"


@dataclass(frozen=True)
class Outcome:
    result: Result
    reason: Quarantined | None = None
    ticket_number: int | None = None
    quarantine_id: int | None = None
    outbox_id: int | None = None


class _Refused(Exception):
    """Not taken: goes to quarantine with ``reason``; ``row`` is the notification the
    address came with, where it is known (its tenant and ticket)."""

    def __init__(
        self, reason: Quarantined, detail: str | None = None, row: OutboxMessage | None = None
    ) -> None:
        super().__init__(reason.value)
        self.reason, self.detail, self.row = reason, detail, row
        #: our address it was sent to, once found
        self.address: str | None = None
        #: the tenant of the support address it was sent to (the row's, for an answer)
        self.tenant_id: str | None = None


def receive(raw: bytes, recipients: Sequence[str] = ()) -> Outcome:
    """Take one RFC 5322 message in; ``recipients``: the envelope's, where known."""
    key = delivery_key(raw)
    try:
        return _take(raw, recipients, key)
    except _Refused as refused:
        support.session.rollback()
        return _quarantine(raw, key, refused)


def receive_vouched(entry: InboundMail) -> Outcome:
    """Take a quarantined message in again, its sender vouched for by the operator: every
    check but the sender's is made again, now. Taken (or found on the ticket already): the
    quarantine row is deleted. Refused: the row stays, with the reason of now."""
    session = support.session
    raw, key = bytes(entry.raw), entry.delivery_key
    try:
        outcome = _take(raw, [entry.address or ""], key, sender_vouched=True)
    except _Refused as refused:
        session.rollback()
        return _quarantine(raw, key, refused)
    session.delete(session.merge(entry))
    session.commit()
    return outcome


def delivery_key(raw: bytes) -> str:
    """The same for the same message delivered again: its Message-ID and its body (the
    headers above differ between deliveries: Received, Delivered-To); the whole message
    when it has no Message-ID."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    message_id = _header(head, b"message-id")
    if not message_id:  # nothing says two deliveries are one message but all of it
        body = raw
    digest = hashlib.sha256(message_id + b"\0" + hashlib.sha256(body).digest()).hexdigest()
    return f"mail-{digest[:59]}"


def _header(head: bytes, name: bytes) -> bytes:
    for line in head.split(b"\n"):
        field, _, value = line.partition(b":")
        if field.strip().lower() == name:
            return value.strip()
    return b""


def _take(
    raw: bytes, recipients: Sequence[str], key: str, *, sender_vouched: bool = False
) -> Outcome:
    too_large = len(raw) > int(current_app.config["SUPPORT_INBOUND_MAX_SIZE"])
    message = _parse(raw, headers_only=too_large)
    if not too_large and mailtext.is_bounce(message):
        return _bounce(message)
    if mailtext.is_automatic(message):
        return Outcome(Result.AUTOMATIC)
    found = _recipients(message, recipients)
    address = next((a for a in found if replies.is_ours(a)), None)
    if address is None:
        return _open(message, found, key, too_large=too_large, size=len(raw))
    try:
        row, kind = _notification(address)
        if _stored_before(row, key):  # delivered again: it is on the ticket already
            return Outcome(Result.DUPLICATE, ticket_number=_number(row))
        if too_large:
            raise _Refused(Quarantined.TOO_LARGE, f"{len(raw)} bytes", row)
        sender = _sender(message)
        if not sender_vouched and _address_key(sender) != _address_key(row.recipient):
            raise _Refused(Quarantined.WRONG_SENDER, sender, row)
        actor, role = _acting(row)
        return _post(row, kind, actor, role, message, key)
    except _Refused as refused:
        refused.address = address
        raise


def _parse(raw: bytes, *, headers_only: bool) -> EmailMessage:
    try:
        message = BytesParser(policy=mailtext.POLICY).parsebytes(raw, headersonly=headers_only)
        message.get_content_type()
        str(message.get("Subject", ""))
    except Exception as broken:  # whatever a broken message makes the parser raise
        raise _Refused(Quarantined.UNREADABLE, f"{type(broken).__name__}: {broken}") from None
    if not message.keys():
        raise _Refused(Quarantined.UNREADABLE, "no headers")
    assert isinstance(message, EmailMessage)
    return message


def _notification(address: str) -> tuple[OutboxMessage, Kind]:
    """The notification answered at our ``address``, and how (reply or note).

    Raises: _Refused (forged; expired; a notification we do not have)."""
    try:
        found = replies.read(address)
    except replies.ExpiredAddress as expired:
        row = support.session.get(OutboxMessage, expired.outbox_id)
        raise _Refused(Quarantined.EXPIRED, address, row) from None
    except replies.BadAddress:
        raise _Refused(Quarantined.FORGED, address) from None
    row = support.session.get(OutboxMessage, found.outbox_id)
    if row is None or row.ticket_id is None or not row.payload.get("reply_as"):
        raise _Refused(Quarantined.FORGED, address, row)
    return row, found.kind


def _recipients(message: EmailMessage, envelope: Sequence[str]) -> list[str]:
    found = [address.strip() for address in envelope]
    for name in _RECIPIENT_HEADERS:
        for value in message.get_all(name) or ():
            found.extend(a.addr_spec for a in _addresses(value))
    return found


def _addresses(value: Any) -> tuple[HeaderAddress, ...]:
    try:
        return tuple(getattr(value, "addresses", ()))
    except Exception:  # a header the parser could not make sense of
        return ()


def _sender(message: EmailMessage) -> str:
    found = _addresses(message.get("From"))
    return found[0].addr_spec if len(found) == 1 else ""


def _address_key(address: str | None) -> str:
    return (address or "").strip().lower()


#: who answers and in which role, or None when the ticket no longer names them
_Acting = tuple[Actor, Role] | None


def _acting(row: OutboxMessage) -> tuple[Actor, Role]:
    """Who answers, as the ticket names them now.

    Raises: _Refused (SUPPORT_OFF) when the tenant has switched support off since, as its
    pages and API have; (LOST_ACCESS) when the ticket, a watcher row, the provider or the
    operator no longer lists the address the notification went to, or the host no longer
    knows the person it went to as someone of that area (``_person_now``).
    """
    if not support.flags(row.tenant_id).support_enabled:
        raise _Refused(Quarantined.SUPPORT_OFF, None, row)
    reply_as = row.payload["reply_as"]
    ticket = support.session.get(Ticket, row.ticket_id)
    acting = None if ticket is None else _ACTING[Via(reply_as["via"])](ticket, row, reply_as)
    if acting is None:
        raise _Refused(Quarantined.LOST_ACCESS, row.recipient, row)
    return acting


def _as_requester(ticket: Ticket, row: OutboxMessage, reply_as: dict[str, Any]) -> _Acting:
    if ticket.requester_user_id != reply_as["user_id"]:
        return None
    if _address_key(ticket.requester_email) != _address_key(row.recipient):
        return None
    kept = Actor(
        user_id=ticket.requester_user_id,
        name=ticket.requester_name,
        email=ticket.requester_email,
        locale=ticket.requester_locale,
        customer_id=ticket.customer_id,
        organisation_id=ticket.organisation_id,
    )
    return _person_now(row, kept, Role.CUSTOMER)


def _as_watcher(ticket: Ticket, row: OutboxMessage, reply_as: dict[str, Any]) -> _Acting:
    query = select(Watcher).where(
        Watcher.ticket_id == ticket.id, Watcher.user_id == reply_as["user_id"]
    )
    watcher = support.session.scalars(query).one_or_none()
    if watcher is None or _address_key(watcher.email) != _address_key(row.recipient):
        return None
    return _person_now(row, watcher.actor, watcher.role)


def _person_now(row: OutboxMessage, kept: Actor, role: Role) -> _Acting:
    """A person the ticket names, as the host knows them now (``HostAdapter.actor``, as for
    an API token), while they still have the area of ``role``: what the ticket or the watcher
    row kept of them is how they were when the notification went out (another organisation
    then, staff of a provider then). Whether they still see the ticket is the access rules'
    decision, in ``actions.act``, as for the page. None when the host no longer knows them. A
    host that does not answer ``actor`` cannot tell: the person is taken as ``kept``."""
    actor = support.person_now(row.tenant_id, kept.user_id, kept)
    if actor is None or not access.may_use(actor, role):
        return None
    return actor, role


def _as_provider(ticket: Ticket, row: OutboxMessage, reply_as: dict[str, Any]) -> _Acting:
    provider_id = reply_as.get("provider_id")
    provider = support.provider(row.tenant_id, provider_id) if provider_id else None
    if provider is None:
        return None
    if _address_key(row.recipient) not in {_address_key(e) for e in provider.notification_emails}:
        return None
    actor = Actor(
        user_id=f"provider:{provider.id}",
        name=provider.name,
        email=row.recipient,
        provider_ids=frozenset({provider.id}),
    )
    return actor, Role.PROVIDER


def _as_operator(ticket: Ticket, row: OutboxMessage, reply_as: dict[str, Any]) -> _Acting:
    contact = support.operator_contact(row.tenant_id)
    if _address_key(row.recipient) not in {_address_key(e) for e in contact.emails}:
        return None
    name = support.plain_text(row.tenant_id, "operator_name")
    actor = Actor(user_id="operator", name=name, email=row.recipient, is_operator=True)
    return actor, Role.OPERATOR


_ACTING = {
    Via.REQUESTER: _as_requester,
    Via.WATCHER: _as_watcher,
    Via.PROVIDER: _as_provider,
    Via.OPERATOR: _as_operator,
}


def _post(
    row: OutboxMessage, kind: Kind, actor: Actor, role: Role, message: EmailMessage, key: str
) -> Outcome:
    """Hand the answer to the pages' use-case; what it refuses goes to quarantine."""
    number = _number(row)
    action = Action.NOTE if kind is Kind.NOTE else Action.REPLY
    form = {"submission_key": key, "body": mailtext.text_of(message)}
    said: dict[str, Any] = {}
    try:
        with i18n.keeping_words() as said:  # what it refuses, for the operator's page
            actions.act(
                row.tenant_id, actor, role, number, action, form, mailtext.files_of(message)
            )
    except TicketNotFound:
        raise _Refused(Quarantined.LOST_ACCESS, row.recipient, row) from None
    except NotAllowed as refused:
        raise _Refused(Quarantined.REFUSED, _said(refused.message, said), row) from None
    except InvalidInput as refused:
        raise _Refused(Quarantined.INVALID, _said(refused.errors, said), row) from None
    except LimitReached as limited:
        raise _Refused(Quarantined.TOO_MANY, str(limited), row) from None
    return Outcome(Result.ACCEPTED, ticket_number=number)


def _open(
    message: EmailMessage, recipients: Sequence[str], key: str, *, too_large: bool, size: int
) -> Outcome:
    """A new ticket for the operator from an e-mail to a tenant's support address.

    Raises: _Refused (no support address among the recipients; the tenant does not take
    tickets by e-mail; a sender who is not its customer; too large; refused by the use-case).
    """
    address, tenant_id = _support_address(recipients)
    try:
        flags = support.flags(tenant_id)
        if not (flags.support_enabled and flags.tickets_by_email and flags.ticket_without_order):
            raise _Refused(Quarantined.TICKETS_OFF)
        actor = _customer(tenant_id, message)
        if too_large:
            raise _Refused(Quarantined.TOO_LARGE, f"{size} bytes")
        return _opened(tenant_id, actor, message, key)
    except _Refused as refused:
        refused.address, refused.tenant_id = address, tenant_id
        raise


def _support_address(recipients: Sequence[str]) -> tuple[str, str]:
    """The first tenant's support address among the recipients, and its tenant.

    Raises: _Refused (NO_ADDRESS)."""
    for address in recipients:
        tenant_id = support.host.support_address_tenant(address)
        if tenant_id is not None:
            return address, tenant_id
    raise _Refused(Quarantined.NO_ADDRESS)


def _customer(tenant_id: str, message: EmailMessage) -> Actor:
    """The tenant's customer the message comes from, as the host knows them.

    Raises: _Refused (UNKNOWN_SENDER)."""
    sender = _sender(message)
    actor = support.host.customer_by_email(tenant_id, sender) if sender else None
    if actor is None or not actor.is_customer:
        raise _Refused(Quarantined.UNKNOWN_SENDER, sender or None)
    return actor


def _opened(tenant_id: str, actor: Actor, message: EmailMessage, key: str) -> Outcome:
    """Hand the message to the pages' use-case for a new ticket without a service."""
    text = mailtext.text_of(message)
    form = {
        "submission_key": key,
        "order": NO_ORDER,
        "subject": _subject(message, text),
        "issue_about": text,
    }
    said: dict[str, Any] = {}
    try:
        with i18n.keeping_words() as said:  # what it refuses, for the operator's page
            opened = tickets.open_ticket(
                tenant_id, actor, form, mailtext.files_of(message), by_email=True
            )
    except InvalidInput as refused:
        raise _Refused(Quarantined.INVALID, _said(refused.errors, said)) from None
    except LimitReached as limited:
        raise _Refused(Quarantined.TOO_MANY, str(limited)) from None
    result = Result.ACCEPTED if opened.created else Result.DUPLICATE
    return Outcome(result, ticket_number=opened.ticket.number)


def _subject(message: EmailMessage, text: str) -> str:
    """The message's subject on one line, or else the text's first line; shortened to what
    a ticket's subject holds (mail programs set no limit)."""
    subject = " ".join(str(message.get("Subject", "")).split())
    if not subject:
        subject = next((" ".join(line.split()) for line in text.splitlines() if line.strip()), "")
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


def _stored_before(row: OutboxMessage, key: str) -> bool:
    query = select(Message.id).where(
        Message.ticket_id == row.ticket_id, Message.submission_key == key
    )
    return support.session.scalars(query).first() is not None


def _number(row: OutboxMessage) -> int:
    ticket = support.session.get(Ticket, row.ticket_id)
    assert ticket is not None
    return ticket.number


def _said(messages: Any, said: dict[str, Any]) -> str:
    """What a use-case refused, kept for the operator's page to say in the operator's
    language (``quarantine.detail_of``): the messages without the form's field names, each
    as its catalog words and values (``i18n.kept``; ``said``: what the use-case said, from
    ``i18n.keeping_words``), as JSON, as many as fit the column's bound. The message
    arrives outside any request: said now, it would be in no one's language."""
    kept = [i18n.kept(message, said) for message in _messages(messages)]
    while kept:
        text = json.dumps({"said": kept}, ensure_ascii=False)
        if len(text) <= DETAIL_KEPT:
            return text
        kept.pop()
    return " ".join(str(message) for message in _messages(messages))


def _messages(messages: Any) -> list[Any]:
    """The messages of a use-case's errors (per field, nested or not), in order."""
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _messages(value)]
    if isinstance(messages, (list, tuple)):
        return [m for value in messages for m in _messages(value)]
    return [messages]


def _bounce(message: EmailMessage) -> Outcome:
    """Mark the notification a delivery report is about as failed, if it is one of ours."""
    original, reason = mailtext.bounced(message)
    marked = outbox.mark_bounced(original, reason) if original else None
    return Outcome(Result.BOUNCE, outbox_id=marked)


def _quarantine(raw: bytes, key: str, refused: _Refused) -> Outcome:
    """Keep the message for the operator, once however often it is delivered."""
    session = support.session
    sender, subject, message_id = _summary(raw)
    entry = InboundMail(
        **(_answered(refused.row) or {"tenant_id": refused.tenant_id}),
        address=_bounded(refused.address, 320),
        delivery_key=key,
        reason=refused.reason,
        detail=_bounded(refused.detail, DETAIL_KEPT),
        sender=_bounded(sender, 320),
        subject=_bounded(subject, 250),
        message_id=_bounded(message_id, 250),
        size=len(raw),
        raw=raw[:RAW_KEPT],
    )
    session.add(entry)
    try:
        session.commit()
    except IntegrityError:  # kept before: it keeps the reason of now
        session.rollback()
        query = select(InboundMail).where(InboundMail.delivery_key == key)
        entry = session.scalars(query).one()
        entry.reason, entry.detail = refused.reason, _bounded(refused.detail, DETAIL_KEPT)
        session.commit()
    return Outcome(Result.QUARANTINED, reason=entry.reason, quarantine_id=entry.id)


def _answered(row: OutboxMessage | None) -> dict[str, Any]:
    """What the notification answered says of a quarantined message: its tenant, ticket and
    recipient (nothing when the address was not ours, or forged)."""
    if row is None:
        return {}
    return {
        "tenant_id": row.tenant_id,
        "ticket_id": row.ticket_id,
        "outbox_id": row.id,
        "sent_to": row.recipient,
    }


def _bounded(text: str | None, length: int) -> str | None:
    return (text or "")[:length] or None


def _summary(raw: bytes) -> tuple[str, str, str]:
    """From, Subject and Message-ID as the message says them (one line each), or blanks."""
    try:
        head = BytesParser(policy=mailtext.POLICY).parsebytes(raw[:RAW_KEPT], headersonly=True)
        values = (str(head.get(name, "")) for name in ("From", "Subject", "Message-ID"))
        sender, subject, message_id = (" ".join(value.split()) for value in values)
    except Exception:  # a header the parser could not read: the raw message says it
        return "", "", ""
    return sender, subject, message_id
