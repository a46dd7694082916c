"""Sharing a ticket with the customer's organisation or with named colleagues, and watching
a ticket (seed 004).

Who may see a shared ticket is decided in ``access`` like every other visibility rule; this
module only changes the shares and the watchers. Only the person who opened a ticket may share
it or stop sharing it; anyone who may see a ticket may watch it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from . import access
from .changes import Change, commit
from .clock import now
from .host import Actor, Person
from .i18n import lazy_gettext
from .models import EventKind, Share, Ticket, Watcher
from .schemas import InvalidInput
from .state import support
from .tickets import ticket_in_scope
from .transaction import use_case
from .workflow import NotAllowed, Role

ORGANISATION = "organisation"


@dataclass(frozen=True)
class Sharing:
    """What a ticket page shows of sharing and watching."""

    shared_with_organisation: bool
    people: list[Share]
    #: colleagues it could still be shared with (the owner's page only, and only while the
    #: whole organisation does not see it already)
    colleagues: list[Person]
    watching: bool
    #: whether the viewer opened the ticket (only they change sharing)
    owner: bool


#: the people a ticket is shared with by name, by name (run it with ``access.of_ticket``)
_SHARES = select(Share).where(Share.ticket_id == access.TICKET).order_by(Share.name)


def sharing_of(ticket: Ticket, actor: Actor, role: Role) -> Sharing:
    session = support.session
    people: list[Share] = []
    # staff pages do not show who a customer shared with; a ticket read with ``has_shares``
    # (its page's) is asked for its shares only when it has any
    if role is Role.CUSTOMER and ticket.has_shares is not False:
        people = list(session.scalars(_SHARES, access.of_ticket(ticket)))
    owner = role is Role.CUSTOMER and ticket.requester_user_id == actor.user_id
    colleagues: list[Person] = []
    # naming a colleague adds nothing while the whole organisation sees the ticket
    if owner and ticket.organisation_id and not ticket.shared_with_organisation:
        shared = {share.user_id for share in people}
        colleagues = [
            person
            for person in support.host.organisation_members(
                ticket.tenant_id, ticket.organisation_id
            )
            if person.user_id not in shared and person.user_id != actor.user_id
        ]
    watched = watching(ticket, actor)
    return Sharing(ticket.shared_with_organisation, people, colleagues, watched, owner)


def watching(ticket: Ticket, actor: Actor) -> bool:
    """Whether ``actor`` watches ``ticket`` (one they may see)."""
    if ticket.reader_watching is not None:  # loaded with the ticket for them (its page)
        return ticket.reader_watching
    found = support.session.scalar(
        select(Watcher.id).where(Watcher.ticket_id == ticket.id, Watcher.user_id == actor.user_id)
    )
    return found is not None


def _owned(tenant_id: str, actor: Actor, number: int) -> Ticket:
    ticket = ticket_in_scope(tenant_id, actor, Role.CUSTOMER, number, for_update=True)
    if ticket.requester_user_id != actor.user_id:
        raise NotAllowed(
            lazy_gettext("Only the person who opened the ticket can change who sees it.")
        )
    return ticket


def _record(
    ticket: Ticket, actor: Actor, kind: EventKind, to_value: str, to_name: str | None
) -> None:
    """Write a change of who sees the ticket: its event, and the end of watching for whoever
    no longer sees it."""
    tenant_id = ticket.tenant_id
    change = Change(ticket, actor, Role.CUSTOMER, now(), support.flags(tenant_id))
    change.event(kind, to_value=to_value, to_name=to_name)
    commit(change)


@use_case
def share_with_organisation(tenant_id: str, actor: Actor, number: int, shared: bool) -> None:
    """Let everyone of the requester's organisation see and follow the ticket, or no longer.

    Raises: TicketNotFound, NotAllowed (not the requester; no organisation).
    """
    ticket = _owned(tenant_id, actor, number)
    if ticket.organisation_id is None:
        raise NotAllowed(lazy_gettext("Your account belongs to no organisation."))
    if ticket.shared_with_organisation is shared:
        support.session.rollback()
        return
    ticket.shared_with_organisation = shared
    kind = EventKind.SHARED if shared else EventKind.UNSHARED
    _record(ticket, actor, kind, ORGANISATION, None)


@use_case
def share_with_person(tenant_id: str, actor: Actor, number: int, user_id: str) -> None:
    """Let one colleague of the requester's organisation see and follow the ticket.

    Raises: TicketNotFound, NotAllowed, InvalidInput (not a colleague).
    """
    ticket = _owned(tenant_id, actor, number)
    colleagues = {
        person.user_id: person
        for person in support.host.organisation_members(tenant_id, ticket.organisation_id or "")
    }
    person = colleagues.get(user_id) if ticket.organisation_id else None
    if person is None or person.user_id == actor.user_id:
        raise InvalidInput({"person": [lazy_gettext("Choose one of your colleagues.")]})
    existing = support.session.scalar(
        select(Share.id).where(Share.ticket_id == ticket.id, Share.user_id == user_id)
    )
    if existing is not None:
        support.session.rollback()
        return
    support.session.add(
        Share(
            tenant_id=tenant_id,
            ticket_id=ticket.id,
            user_id=user_id,
            name=person.name,
            created_at=now(),
        )
    )
    _record(ticket, actor, EventKind.SHARED, user_id, person.name)


@use_case
def stop_sharing_with_person(tenant_id: str, actor: Actor, number: int, user_id: str) -> None:
    """Raises: TicketNotFound, NotAllowed."""
    ticket = _owned(tenant_id, actor, number)
    share = support.session.scalars(
        select(Share).where(Share.ticket_id == ticket.id, Share.user_id == user_id)
    ).one_or_none()
    if share is None:
        support.session.rollback()
        return
    support.session.delete(share)
    _record(ticket, actor, EventKind.UNSHARED, user_id, share.name)


@use_case
def watch(tenant_id: str, actor: Actor, role: Role, number: int, watching: bool) -> None:
    """Start or stop hearing of every change of a ticket the actor may see. Customers are told
    only what customers may see.

    Raises: TicketNotFound.
    """
    ticket = ticket_in_scope(tenant_id, actor, role, number)
    session = support.session
    session.execute(
        delete(Watcher).where(Watcher.ticket_id == ticket.id, Watcher.user_id == actor.user_id)
    )
    if watching:
        session.add(
            Watcher(
                tenant_id=tenant_id,
                ticket_id=ticket.id,
                user_id=actor.user_id,
                name=actor.name,
                email=actor.email,
                locale=actor.locale,
                role=role,
                customer_id=actor.customer_id,
                organisation_id=actor.organisation_id,
                provider_ids=" ".join(sorted(actor.provider_ids)) or None,
                created_at=now(),
            )
        )
    session.commit()
