"""One change to one ticket, and the one way every change is written.

A use-case (opening a ticket, an action of the workflow, sharing, the sweep) builds a
:class:`Change`: the ticket as it is to be, the messages and events it adds, the files it
brings, and the key of the form that sent it. :func:`commit` writes all of it in one
transaction with the notifications it causes (outbox rows, see ``notifications``), removes the
watchers who can no longer see the ticket, and after the commit sends the signals and has the
notifications delivered. When the same form was stored before (a double click, a browser that
resends, an API client that retries with the same key), nothing is written and the earlier
result is returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask import current_app
from sqlalchemy.exc import IntegrityError

from . import attachments, notifications, outbox, webhooks
from .host import Actor, Flags
from .idempotency import Receipt
from .models import Attachment, Event, EventKind, Message, Ticket
from .signals import Announcement
from .state import support
from .transaction import kept_loaded
from .workflow import Role, Status


@dataclass
class Change:
    """What one use-case does to one ticket, before it is written."""

    ticket: Ticket
    #: who acts; None when the module acts by itself (the sweep)
    actor: Actor | None
    role: Role
    moment: datetime
    flags: Flags
    #: the form's fields, as the schema loaded them
    data: dict[str, Any] = field(default_factory=dict)
    #: the messages and events it adds, in order
    rows: list[Message | Event] = field(default_factory=list)
    #: files it brings: on its first message, or on the description of a new ticket
    files: Sequence[attachments.Checked] = ()
    #: the key of the form that sent it; the same key again stores nothing
    key: str | None = None
    #: whether the customer can see that something happened (moves "last activity")
    visible: bool = True
    #: a ticket being opened (not in the database yet)
    new: bool = False
    #: an API call's key and answer, kept with the change (``idempotency``)
    receipt: Receipt | None = None
    #: False: no webhook endpoint of the tenant listened when the ticket was locked, so a
    #: change that e-mails no one writes no outbox statement (``webhooks.listening``)
    webhooks_listening: bool = True

    @property
    def person(self) -> Actor:
        """The person acting (effects only people can fire)."""
        assert self.actor is not None, "the module itself does not fire this action"
        return self.actor

    @property
    def by_requester(self) -> bool:
        """Whether the person acting opened the ticket (not a colleague it is shared with)."""
        return self.actor is not None and self.actor.user_id == self.ticket.requester_user_id

    @property
    def messages(self) -> list[Message]:
        return [row for row in self.rows if isinstance(row, Message)]

    @property
    def answers_customer(self) -> bool:
        """Whether staff wrote something the customer can read (a first response)."""
        return any(
            not message.internal and message.author_role in (Role.PROVIDER, Role.OPERATOR)
            for message in self.messages
        )

    def event(self, kind: EventKind, *, by_system: bool = False, **values: Any) -> Event:
        """Add an event by the acting person (``by_system``: by the module, as routing)."""
        actor = None if by_system else self.actor
        event = Event(
            tenant_id=self.ticket.tenant_id,
            ticket_id=self.ticket.id,
            kind=kind,
            actor_user_id=actor.user_id if actor else None,
            actor_name=actor.name if actor else None,
            actor_role=Role.SYSTEM if by_system else self.role,
            created_at=self.moment,
            **values,
        )
        self.rows.append(event)
        return event

    def message(self, body: str, *, internal: bool) -> Message:
        """Add a message by the acting person; the change's files are attached to the first."""
        message = Message(
            tenant_id=self.ticket.tenant_id,
            ticket_id=self.ticket.id,
            author_user_id=self.person.user_id,
            author_name=self.person.name,
            author_role=self.role,
            body=body,
            internal=internal,
            submission_key=self.key,
            created_at=self.moment,
        )
        self.rows.append(message)
        return message

    def set_status(self, target: Status, detail: str) -> None:
        """Move the ticket to ``target`` (nothing when it is there already), with its event."""
        ticket = self.ticket
        if ticket.status is target:
            return
        self.event(
            EventKind.STATUS_CHANGED,
            from_value=ticket.status.value,
            to_value=target.value,
            detail=detail,
        )
        if not ticket.status.is_active and target.is_active:
            ticket.reopen_count += 1
        ticket.status = target
        if target is Status.RESOLVED:
            ticket.resolved_at = self.moment
        elif target is Status.CLOSED:
            ticket.closed_at = self.moment
        elif target.is_active:
            ticket.resolved_at = None
            ticket.closed_at = None


@dataclass(frozen=True)
class Committed:
    """What a change wrote, or what an earlier submission of the same form had written."""

    ticket: Ticket
    #: False: the same form was stored before; nothing was written this time
    created: bool
    outbox_ids: tuple[int, ...] = ()
    announcements: tuple[Announcement, ...] = ()


def commit(change: Change, earlier: Callable[[], Ticket | None] | None = None) -> Committed:
    """Write ``change`` with its files and notifications in one transaction; then send its
    signals and have its notifications delivered.

    ``earlier`` finds what a first submission of the same form stored: when the database
    says this one was stored already (its unique key), nothing is written and that is
    returned. Raises whatever the database raises otherwise; nothing is then written and the
    change's files are removed again.
    """
    session = support.session
    uploader = change.actor.user_id if change.actor else Role.SYSTEM.value
    with attachments.storing(change.files, change.ticket.tenant_id, uploader) as stored:
        try:
            told, outbox_ids = _write(change, stored.rows)
            answers = change.ticket.answers if change.new else []
            _commit_keeping([change.ticket, *change.rows, *stored.rows, *answers])
        except IntegrityError:
            session.rollback()
            found = earlier() if earlier is not None else None
            if found is None:
                raise
            stored.discard()
            return Committed(found, created=False)
    committed = Committed(
        change.ticket,
        created=True,
        outbox_ids=outbox_ids,
        announcements=tuple(told.announcements),
    )
    _announce(committed)
    return committed


def _commit_keeping(written: Sequence[object]) -> None:
    """Commit; the rows the change wrote stay loaded, everything else in the session is
    expired as a commit does. They hold what was just written (their ids were fetched, their
    defaults are set in Python), so the redirect, the signals and the e-mails after the
    commit read them without a query each to load them again."""
    session = support.session
    with kept_loaded() as expiring:
        session.commit()
    if expiring:
        kept = {id(row) for row in written}
        for instance in list(session.identity_map.values()):
            if id(instance) not in kept:
                session.expire(instance)


def _write(
    change: Change, files: Sequence[Attachment]
) -> tuple[notifications.Told, tuple[int, ...]]:
    """Write the change, its files and its notifications; the outbox rows' ids."""
    session = support.session
    ticket = change.ticket
    if change.new:
        session.add(ticket)
        session.flush()  # the rows, files and notifications need the ticket's id
    for row in change.rows:
        row.ticket_id = ticket.id
    session.add_all(change.rows)
    session.flush()  # the files and notifications need the messages' ids
    messages = change.messages
    for file in files:
        file.ticket_id = ticket.id
        file.message_id = messages[0].id if messages else None
    session.add_all(files)
    if change.receipt is not None:
        kept = change.receipt.keep(change, change.moment)
        if kept is not None:
            session.add(kept)
    told = notifications.tell(ticket, change.rows, change.actor, new=change.new)
    for watcher in told.lost_watchers:  # losing sight of a ticket ends watching it
        session.delete(watcher)
    session.flush()
    emails = [{"endpoint_id": None, **row} for row in told.outbox]
    # one statement for all of them, e-mails and webhooks, the endpoints picked by it; with
    # e-mails it asks for endpoints anyway (one registered since the ticket was read hears)
    listening = emails or change.webhooks_listening
    hooks = webhooks.rows_for(ticket, change.rows) if listening else []
    outbox_ids = outbox.write(emails, hooks)
    return told, outbox_ids


def _announce(committed: Committed) -> None:
    app = cast(Any, current_app)._get_current_object()
    for announcement in committed.announcements:
        announcement.send(app)
    outbox.deliver_soon(committed.outbox_ids)
