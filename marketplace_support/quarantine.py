"""Mail that did not get in: what the operator sees of it, and dropping it.

``inbound`` keeps each message it did not take here, with the reason. The operator reads the
list of their tenant (sender, subject, reason, the ticket it answered) and drops what they
have dealt with. Nothing here puts a message on a ticket: to take one in, the person writes
again from the address the notification went to, or on the ticket page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete

from . import access
from .host import Actor
from .i18n import lazy_gettext
from .models import InboundMail, Quarantined
from .state import support

#: each reason as the operator reads it
REASONS = {
    Quarantined.UNREADABLE: lazy_gettext("It could not be read, or has no text."),
    Quarantined.NO_ADDRESS: lazy_gettext("It was not sent to a reply address of a ticket."),
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
}


def kept(tenant_id: str, actor: Actor, limit: int = 100) -> list[InboundMail]:
    """The newest mail of a tenant that did not get in, for its operators (nobody else
    sees any)."""
    return list(support.session.scalars(access.quarantined_mail(tenant_id, actor).limit(limit)))


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
