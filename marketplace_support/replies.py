"""Reply addresses: the signed addresses our notifications are answered at, and the ticket's
mail thread.

Each notification (an outbox row) can carry two addresses on ``SUPPORT_REPLY_DOMAIN``:
``reply+<token>@…`` (its ``Reply-To``: an answer joins the conversation) and, for staff,
``note+<token>@…`` (an internal note: a separate address, so a note never reaches the customer
by a slip of a keyword). The token is the outbox row's id signed with the app's
``SECRET_KEY`` (verified with ``SECRET_KEY_FALLBACKS`` too, so keys can be rotated), a salt
per kind and the time it was made; it is good for ``SUPPORT_REPLY_MAX_AGE_DAYS``. The row
says who it was written to and as whom (``payload["reply_as"]``), so the address names the
ticket and the recipient without carrying either.

Without ``SUPPORT_REPLY_DOMAIN`` no e-mail carries an address and nothing is received.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from .workflow import Role


class Kind(enum.StrEnum):
    """What an answer to the address becomes."""

    REPLY = "reply"
    NOTE = "note"


class BadAddress(Exception):
    """An address of ours whose signature is wrong (forged, or made with a key we no longer
    know). ``tenant_id`` is unknown."""


class ExpiredAddress(Exception):
    """A genuine address older than ``SUPPORT_REPLY_MAX_AGE_DAYS``; ``outbox_id`` says which
    notification it came with."""

    def __init__(self, outbox_id: int) -> None:
        super().__init__(f"reply address of notification {outbox_id} expired")
        self.outbox_id = outbox_id


@dataclass(frozen=True)
class Address:
    """One of our addresses found among a message's recipients, verified."""

    kind: Kind
    outbox_id: int


#: ``reply+<token>@`` or ``note+<token>@``; the token is itsdangerous' ``id.time.signature``
_LOCAL = re.compile(r"(?P<kind>reply|note)\+(?P<token>[0-9]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")


def domain() -> str | None:
    """The domain answers are received on, or None when replies by e-mail are off."""
    configured = current_app.config["SUPPORT_REPLY_DOMAIN"]
    return str(configured).strip().lower() or None if configured else None


def _signer(kind: Kind) -> TimestampSigner:
    config = current_app.config
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]]
    return TimestampSigner(keys, salt=f"marketplace_support.{kind.value}-address")


def make(kind: Kind, outbox_id: int) -> str | None:
    """The address of ``kind`` for the notification ``outbox_id``, or None when off."""
    at = domain()
    if at is None:
        return None
    token = _signer(kind).sign(str(outbox_id)).decode("ascii")
    return f"{kind.value}+{token}@{at}"


def is_ours(address: str) -> bool:
    """Whether ``address`` is on our reply domain and shaped like one of our addresses."""
    at = domain()
    local, _, host = address.strip().rpartition("@")
    return at is not None and host.lower() == at and _LOCAL.fullmatch(local) is not None


def read(address: str) -> Address:
    """The notification an address of ours was made for.

    Raises: BadAddress (not ours, or the signature is wrong), ExpiredAddress.
    """
    if not is_ours(address):
        raise BadAddress(address)
    match = _LOCAL.fullmatch(address.strip().rpartition("@")[0])
    assert match is not None
    kind = Kind(match["kind"])
    max_age = int(current_app.config["SUPPORT_REPLY_MAX_AGE_DAYS"]) * 86400
    try:
        value = _signer(kind).unsign(match["token"], max_age=max_age)
    except SignatureExpired as expired:
        raise ExpiredAddress(int(expired.payload or b"0")) from None
    except BadSignature:
        raise BadAddress(address) from None
    return Address(kind, int(value))


def thread_id(tenant_id: str, ticket_id: int, sender_domain: str) -> str:
    """The Message-ID every notification of a ticket answers (``In-Reply-To``,
    ``References``), so mail programs keep a ticket's e-mails in one thread."""
    return f"<support-{tenant_id}-ticket-{ticket_id}@{sender_domain}>"


def offers_notes(role: Role) -> bool:
    """Whether a reader of this role is offered the internal-note address (staff only)."""
    return role in (Role.PROVIDER, Role.OPERATOR)
