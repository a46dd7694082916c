"""Mail that did not get in: what the operator sees of it, and dropping it.

``inbound`` keeps each message it did not take here, with the reason. The operator reads the
list of their tenant (sender, subject, reason, the ticket it answered) and drops what they
have dealt with. A message that came from another address than the one the notification went
to can be accepted, when the operator knows it is from that person: it is then taken in as if
it had come from there, every other check made again (``inbound.receive_vouched``). No other
reason can be overruled: a forged or expired address, lost access, the workflow's refusal and
refused files are decisions of the rules, not of the sender.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from . import access, i18n, inbound
from .host import Actor
from .i18n import lazy_gettext
from .models import InboundMail, Quarantined, Ticket
from .state import support

#: each reason as the operator reads it
REASONS = {
    Quarantined.UNREADABLE: lazy_gettext("It could not be read, or has no text."),
    Quarantined.NO_ADDRESS: lazy_gettext(
        "It was sent neither to a reply address of a ticket nor to a support address."
    ),
    Quarantined.FORGED: lazy_gettext("The reply address is not one we made."),
    Quarantined.EXPIRED: lazy_gettext("The reply address has expired."),
    Quarantined.WRONG_SENDER: lazy_gettext(
        "It comes from another address than the one the e-mail was sent to."
    ),
    Quarantined.LOST_ACCESS: lazy_gettext("The sender may no longer see the ticket."),
    Quarantined.REFUSED: lazy_gettext("The ticket does not take this message now."),
    Quarantined.TOO_LARGE: lazy_gettext("It is too large."),
    Quarantined.INVALID: lazy_gettext("Its text or files were refused."),
    Quarantined.TOO_MANY: lazy_gettext("The sender sent too many messages in a short time."),
    Quarantined.UNKNOWN_SENDER: lazy_gettext(
        "The sender's address is not one of a customer of this marketplace."
    ),
    Quarantined.TICKETS_OFF: lazy_gettext("This marketplace does not open tickets from e-mail."),
    Quarantined.SUPPORT_OFF: lazy_gettext("Support is switched off on this marketplace."),
}


#: the reasons the operator may overrule
ACCEPTABLE = frozenset({Quarantined.WRONG_SENDER})


def acceptable(entry: InboundMail) -> bool:
    """Whether the operator may accept ``entry``: its reason may be overruled, and the whole
    message was kept."""
    return entry.reason in ACCEPTABLE and len(entry.raw) == entry.size


def reason_named(value: str) -> str | None:
    """The words of the reason called ``value`` (from an address bar), or None."""
    known = {reason.value: reason for reason in Quarantined}
    return REASONS[known[value]] if value in known else None


def detail_of(entry: InboundMail) -> str | None:
    """What was wrong with ``entry``, in the language of this request: the use-case's
    messages (refused text or files, the workflow's refusal) as ``inbound`` kept them, said
    now; any other detail (an address, a size) as it was written."""
    if entry.detail is None or entry.reason not in _SAID:
        return entry.detail
    try:
        kept = json.loads(entry.detail)
    except ValueError:
        kept = None
    if not isinstance(kept, dict) or not isinstance(kept.get("said"), list):
        return _said_before(entry.detail)
    return " ".join(i18n.said_again(message) for message in kept["said"])


#: the reasons whose detail is the use-case's messages, kept to be said in the reader's
#: language (``inbound._said``)
_SAID = frozenset({Quarantined.INVALID, Quarantined.REFUSED})

#: a field's name before its messages, as mail kept before its messages were kept as words
#: wrote it ("body: Write your message.; attachments: …")
_FIELD = re.compile(r"(?:\A|; )[a-z_]+: ")


def _said_before(detail: str) -> str:
    """A detail kept as text in the language of the receiving process (mail kept before):
    without the form's field names, each message the catalog knows as it is said now."""
    messages = _FIELD.split(detail) if _FIELD.match(detail) else [detail]
    return " ".join(i18n.gettext(message) for message in messages if message)


def kept(tenant_id: str, actor: Actor, limit: int = 100) -> list[InboundMail]:
    """The newest mail of a tenant that did not get in, for its operators (nobody else
    sees any)."""
    return list(support.session.scalars(access.quarantined_mail(tenant_id, actor).limit(limit)))


def ticket_numbers(tenant_id: str, entries: Sequence[InboundMail]) -> dict[int, int]:
    """The numbers of the tickets ``entries`` answered (by ticket id), in one statement, for
    links from the list (the operator sees every ticket of their tenant)."""
    ids = {entry.ticket_id for entry in entries if entry.ticket_id is not None}
    if not ids:
        return {}
    query = select(Ticket.id, Ticket.number).where(
        Ticket.tenant_id == tenant_id, Ticket.id.in_(sorted(ids))
    )
    return {ticket_id: number for ticket_id, number in support.session.execute(query)}


def remove_old(now: datetime) -> int:
    """Delete the mail kept longer than ``SUPPORT_QUARANTINE_DAYS`` (every tenant's, and
    the mail of no tenant); returns how many."""
    days = int(current_app.config["SUPPORT_QUARANTINE_DAYS"])
    result = support.session.execute(
        delete(InboundMail)
        .where(InboundMail.received_at < now - timedelta(days=days))
        .execution_options(synchronize_session=False)
    )
    support.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def drop(tenant_id: str, actor: Actor, ids: Sequence[int]) -> int:
    """Delete kept mail of the operator's tenant; returns how many."""
    if not actor.is_operator or not ids:
        return 0
    result = support.session.execute(
        delete(InboundMail)
        .where(InboundMail.tenant_id == tenant_id, InboundMail.id.in_(list(ids)))
        .execution_options(synchronize_session=False)
    )
    support.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def accept(tenant_id: str, actor: Actor, entry_id: int) -> inbound.Outcome | None:
    """Take kept mail of the operator's tenant in, its sender vouched for; None when there is
    no such mail or it cannot be accepted."""
    query = access.quarantined_mail(tenant_id, actor).where(InboundMail.id == entry_id)
    entry = support.session.scalars(query).one_or_none()
    if entry is None or not acceptable(entry):
        return None
    return inbound.receive_vouched(entry)
