"""Signals the module sends, after the change they announce is committed (never for a change
that was rolled back).

Connect with ``ticket_opened.connect(receiver, app)``; the sender is the app. Every signal
passes ``ticket`` (a :class:`TicketInfo`) and ``actor`` (the :class:`~.host.Actor` who did it,
or None for the module itself); event signals pass ``event`` (an :class:`EventInfo`), and
``message_posted`` passes ``message`` (a :class:`MessageInfo`). Receivers should accept
``**extra`` so new arguments do not break them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from blinker import NamedSignal, Namespace

from .host import Actor
from .models import Event, Message, Ticket

_signals = Namespace()
_log = logging.getLogger(__name__)

#: A customer opened a ticket. (ticket, actor)
ticket_opened = _signals.signal("marketplace-support-ticket-opened")
#: A new ticket was routed to a provider or the operator. (ticket, actor, event: to_value is
#: "provider" or "operator", to_name the provider, detail the reason)
ticket_routed = _signals.signal("marketplace-support-ticket-routed")
#: The operator re-routed a ticket. (ticket, actor, event: detail is the operator's reason)
ticket_rerouted = _signals.signal("marketplace-support-ticket-rerouted")
#: A provider escalated a ticket to the operator. (ticket, actor, event)
ticket_escalated = _signals.signal("marketplace-support-ticket-escalated")
#: The operator took a ticket over, or handed it back. (ticket, actor, event)
ticket_taken_over = _signals.signal("marketplace-support-ticket-taken-over")
ticket_handed_back = _signals.signal("marketplace-support-ticket-handed-back")
#: A ticket was assigned to someone, or unassigned. (ticket, actor, event: to_value user id)
ticket_assigned = _signals.signal("marketplace-support-ticket-assigned")
#: A reply or an internal note was added. (ticket, actor, message: ``internal`` says which)
message_posted = _signals.signal("marketplace-support-message-posted")
#: A ticket's status changed. (ticket, actor, event: from_value → to_value)
status_changed = _signals.signal("marketplace-support-status-changed")
#: A ticket's priority changed. (ticket, actor, event: from_value → to_value)
priority_changed = _signals.signal("marketplace-support-priority-changed")
#: The operator closed a ticket as a duplicate. (ticket, actor, event: to_value the number)
ticket_marked_duplicate = _signals.signal("marketplace-support-ticket-marked-duplicate")
#: A customer reported an emergency ("service is down"): page someone. (ticket, actor,
#: event: detail is the customer's explanation)
emergency_raised = _signals.signal("marketplace-support-emergency-raised")
#: The operator confirmed or downgraded an emergency. (ticket, actor, event)
emergency_confirmed = _signals.signal("marketplace-support-emergency-confirmed")
emergency_downgraded = _signals.signal("marketplace-support-emergency-downgraded")
#: A ticket was shared with the organisation or a colleague, or no longer. (ticket, actor,
#: event: to_value "organisation" or a user id)
ticket_shared = _signals.signal("marketplace-support-ticket-shared")
ticket_unshared = _signals.signal("marketplace-support-ticket-unshared")
#: The customer was reminded that the ticket waits for their answer. (ticket, actor: None,
#: event)
ticket_reminded = _signals.signal("marketplace-support-ticket-reminded")
#: A customer chose the service a ticket opened without one is about. (ticket, actor, event:
#: to_value the order id, to_name its label); when this hands the ticket to the order's
#: provider, ``ticket_rerouted`` follows in the same change (event detail "order_provider",
#: not an operator's reason)
service_chosen = _signals.signal("marketplace-support-service-chosen")
#: A notification could not be delivered and will not be tried again. (tenant_id,
#: recipient, notification, error)
notification_failed = _signals.signal("marketplace-support-notification-failed")


@dataclass(frozen=True)
class TicketInfo:
    tenant_id: str
    number: int
    subject: str
    status: str
    priority: str
    handler: str
    provider_id: str | None
    requester_user_id: str
    customer_id: str | None
    #: who else may see it: the requester's organisation, when the ticket is shared with it
    organisation_id: str | None
    shared_with_organisation: bool


@dataclass(frozen=True)
class EventInfo:
    kind: str
    from_value: str | None
    to_value: str | None
    to_name: str | None
    detail: str | None
    internal: bool


@dataclass(frozen=True)
class MessageInfo:
    id: int
    author_name: str
    author_role: str
    body: str
    internal: bool


def ticket_info(ticket: Ticket) -> TicketInfo:
    return TicketInfo(
        tenant_id=ticket.tenant_id,
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status.value,
        priority=ticket.priority.value,
        handler=ticket.handler.value,
        provider_id=ticket.provider_id,
        requester_user_id=ticket.requester_user_id,
        customer_id=ticket.customer_id,
        organisation_id=ticket.organisation_id,
        shared_with_organisation=ticket.shared_with_organisation,
    )


@dataclass(frozen=True)
class Announcement:
    """A signal to send once its change is committed, with its arguments."""

    signal: NamedSignal
    arguments: dict[str, Any]

    def send(self, app: Any) -> None:
        announce(self.signal, app, **self.arguments)


def announce(signal: NamedSignal, app: Any, **arguments: Any) -> None:
    """Send ``signal`` to each of its receivers for ``app``. What it announces is already
    committed: a receiver that fails (an SMS gateway that is down) is logged with its
    traceback, and the other receivers, the e-mails and the person's page go on as if it had
    not; it must not tell the person that nothing was saved."""
    for receiver in signal.receivers_for(app):
        try:
            receiver(app, **arguments)
        except Exception:
            _log.exception(
                "A receiver of the signal %s failed (%r); the change stays committed",
                signal.name,
                receiver,
            )


def arguments(ticket: Ticket, row: Message | Event, actor: Actor | None) -> dict[str, Any]:
    """A signal's arguments for one committed row. Built before the commit, so the values are
    those the change wrote."""
    found: dict[str, Any] = {"ticket": ticket_info(ticket), "actor": actor}
    if isinstance(row, Message):
        found["message"] = MessageInfo(
            row.id, row.author_name, row.author_role.value, row.body, row.internal
        )
    else:
        found["event"] = EventInfo(
            row.kind.value, row.from_value, row.to_value, row.to_name, row.detail, row.internal
        )
    return found
