"""The tables the module owns. Every one carries the tenant id; names start with ``support_``.

What the host said at submit time (order label, provider name, plan, category label) is copied
onto the ticket, so lists never ask the host once per row and history survives the order.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    orm_insert_sentinel,
    query_expression,
    relationship,
)

from .clock import now
from .filetypes import KINDS
from .host import Actor
from .priorities import Priority
from .routing import Reason
from .workflow import ACTIVE_STATUSES, Emergency, Handler, Role, Status

#: The largest value an ``Integer`` column holds (32 bits, PostgreSQL's ``integer``). Ids and
#: ticket numbers beyond it cannot exist: input naming one is "not found", never sent to the
#: database (which would refuse it).
INTEGER_MAX = 2**31 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PriorityRank(TypeDecorator[Priority]):
    """A priority stored as its rank (0 = low … 3 = urgent), so lists sort by it on an index."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Priority | int | None, dialect: Dialect) -> int | None:
        if value is None or isinstance(value, int):
            return value  # already a rank (a page cursor compares ranks)
        return Priority(value).rank

    def process_result_value(self, value: int | None, dialect: Dialect) -> Priority | None:
        return None if value is None else Priority.from_rank(value)


def _enum(cls: type[Any], length: int) -> Enum:
    # stored as the enum's value in a plain VARCHAR: no native type to migrate when it grows
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class TicketCounter(Base):
    """The last ticket number given out in a tenant (numbers run per tenant from 1)."""

    __tablename__ = "support_ticket_counter"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    __tablename__ = "support_ticket"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "requester_user_id", "submission_key"),
        # My Page → Support: a customer's tickets, most recent activity first
        Index(
            "ix_support_ticket_requester_activity",
            "tenant_id",
            "requester_user_id",
            "updated_at",
            "id",
        ),
        # … and its two tab counts, read from the index alone
        Index("ix_support_ticket_requester_status", "tenant_id", "requester_user_id", "status"),
        # "Shared with me": the tickets an organisation shares but the reader did not open,
        # from the index alone (the customer's own are skipped in it, not looked up)
        Index(
            "ix_support_ticket_organisation_shared",
            "tenant_id",
            "organisation_id",
            "shared_with_organisation",
            "requester_user_id",
        ),
        # the provider inbox, by activity and by priority (its counts: below)
        Index(
            "ix_support_ticket_provider_activity", "tenant_id", "provider_id", "updated_at", "id"
        ),
        Index(
            "ix_support_ticket_provider_priority",
            "tenant_id",
            "provider_id",
            "priority",
            "updated_at",
            "id",
        ),
        # "assigned to me"
        Index(
            "ix_support_ticket_assignee_activity",
            "tenant_id",
            "assignee_user_id",
            "updated_at",
            "id",
        ),
        # the operator console, by activity and by priority (its counts: below)
        Index("ix_support_ticket_tenant_activity", "tenant_id", "updated_at", "id"),
        Index("ix_support_ticket_tenant_priority", "tenant_id", "priority", "updated_at", "id"),
        # "due first", for a provider and for the operator
        Index("ix_support_ticket_provider_due", "tenant_id", "provider_id", "next_due_at", "id"),
        Index("ix_support_ticket_tenant_due", "tenant_id", "next_due_at", "id"),
        # the scorecard: the tickets opened in a period, the operator's and a provider's
        Index("ix_support_ticket_tenant_opened", "tenant_id", "created_at"),
        Index("ix_support_ticket_provider_opened", "tenant_id", "provider_id", "created_at"),
        # the sweep: overdue first responses, long waits, old resolutions
        Index("ix_support_ticket_first_response_due", "first_response_due_at"),
        Index("ix_support_ticket_waiting_since", "waiting_since"),
        Index("ix_support_ticket_resolved_at", "status", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)

    subject: Mapped[str] = mapped_column(String(200))
    issue_about: Mapped[str] = mapped_column(Text)
    expected_outcome: Mapped[str] = mapped_column(Text, default="")
    current_scenario: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[Status] = mapped_column(_enum(Status, 32))
    priority: Mapped[Priority] = mapped_column(PriorityRank)
    category_key: Mapped[str | None] = mapped_column(String(64))
    category_label: Mapped[str | None] = mapped_column(String(200))

    order_id: Mapped[str | None] = mapped_column(String(128))
    order_label: Mapped[str | None] = mapped_column(String(200))
    service_plan: Mapped[str | None] = mapped_column(String(128))

    #: who answers now; ``provider_id`` stays while the operator has taken the ticket over,
    #: so it can be handed back and the provider still sees it
    handler: Mapped[Handler] = mapped_column(_enum(Handler, 16))
    routing_reason: Mapped[Reason] = mapped_column(_enum(Reason, 32))
    provider_id: Mapped[str | None] = mapped_column(String(128))
    provider_name: Mapped[str | None] = mapped_column(String(200))
    assignee_user_id: Mapped[str | None] = mapped_column(String(128))
    assignee_name: Mapped[str | None] = mapped_column(String(200))
    #: the provider asked the marketplace to step in (the reason is for staff only)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    emergency: Mapped[Emergency | None] = mapped_column(_enum(Emergency, 16))
    emergency_explanation: Mapped[str | None] = mapped_column(Text)
    #: what an emergency's downgrade returns to
    priority_before_emergency: Mapped[Priority | None] = mapped_column(PriorityRank)
    duplicate_of_number: Mapped[int | None] = mapped_column(Integer)

    # response targets (see sla.py): minutes of business time
    sla_first_response_target: Mapped[float] = mapped_column(Float, default=0.0)
    sla_resolution_target: Mapped[float] = mapped_column(Float, default=0.0)
    sla_first_response_elapsed: Mapped[float] = mapped_column(Float, default=0.0)
    sla_resolution_elapsed: Mapped[float] = mapped_column(Float, default=0.0)
    #: since when the clocks run; None while paused or stopped
    sla_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the earlier of the two running due times: what "due first" sorts by
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_minutes: Mapped[float | None] = mapped_column(Float)
    first_response_breached: Mapped[bool | None] = mapped_column()
    resolution_minutes: Mapped[float | None] = mapped_column(Float)
    resolution_breached: Mapped[bool | None] = mapped_column()
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # the sweep's marks, so each of its actions happens once
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester_user_id: Mapped[str] = mapped_column(String(128))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    #: the language the requester's e-mails go out in
    requester_locale: Mapped[str | None] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(String(128))
    organisation_id: Mapped[str | None] = mapped_column(String(128))
    #: everyone of the requester's organisation may see and follow it (seed 004)
    shared_with_organisation: Mapped[bool] = mapped_column(default=False)

    #: a random key the form carries, so a second submit of the same form finds this ticket
    submission_key: Mapped[str] = mapped_column(String(64))
    follow_up_of_number: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: last activity: a message or a status change
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: the answers to its request type's questions, in the order asked (``request_types``);
    #: read where a ticket is shown or sent, never by the lists
    answers: Mapped[list[TicketAnswer]] = relationship(
        order_by="TicketAnswer.position", lazy="select"
    )

    #: not a column: when the person reading the ticket's page last looked at it (None:
    #: never), loaded with the ticket there (``tickets.ticket_view``), so noting the look
    #: costs no statement when nothing changed since (a list's rows carry their own
    #: ``reader_seen_at``: ``tickets.ListedTicket``)
    reader_seen_at: Mapped[datetime | None] = query_expression()
    #: not a column: whether the person reading the ticket's page watches it (None: not
    #: loaded), loaded with the ticket there (``tickets.ticket_view``)
    reader_watching: Mapped[bool | None] = query_expression()
    #: not a column: whether the ticket has a file, and whether it is shared with anyone by
    #: name (None: not loaded), loaded with the ticket on its page (``tickets.ticket_view``):
    #: a ticket without either costs its page no statement to list them
    has_files: Mapped[bool | None] = query_expression()
    has_shares: Mapped[bool | None] = query_expression()


#: The statuses of work still to do, in one fixed order (see :func:`is_active`).
_ACTIVE_IN_ORDER = tuple(sorted(ACTIVE_STATUSES))


@cache
def is_active() -> ColumnElement[bool]:
    """A ticket with work still to do, the condition of the count indexes below (made once:
    a statement's parts never change, and every list asks for it two or three times).

    The statuses are written into the statement, in the index's order: a planner uses a
    partial index only where the query's condition implies the index's, which SQLite decides
    by comparing the two and PostgreSQL cannot decide for a generic plan of parameters.
    """
    return Ticket.status.in_(
        bindparam("active_statuses", list(_ACTIVE_IN_ORDER), expanding=True, literal_execute=True)
    )


# The staff lists' counts read the active tickets' entries alone (partial indexes), so they cost
# the same after years of resolved and closed tickets: the inbox's per status, the console's per
# status and per queue (every column a queue looks at is in the index: no table row is read).
Index(
    "ix_support_ticket_provider_active",
    Ticket.tenant_id,
    Ticket.provider_id,
    Ticket.status,
    postgresql_where=Ticket.status.in_(_ACTIVE_IN_ORDER),
    sqlite_where=Ticket.status.in_(_ACTIVE_IN_ORDER),
)
Index(
    "ix_support_ticket_tenant_active",
    Ticket.tenant_id,
    Ticket.status,
    Ticket.handler,
    Ticket.emergency,
    Ticket.escalated_at,
    Ticket.next_due_at,
    Ticket.order_id,
    postgresql_where=Ticket.status.in_(_ACTIVE_IN_ORDER),
    sqlite_where=Ticket.status.in_(_ACTIVE_IN_ORDER),
)


class Message(Base):
    """One entry of the conversation after the description."""

    __tablename__ = "support_message"
    __table_args__ = (UniqueConstraint("ticket_id", "submission_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), index=True)
    author_user_id: Mapped[str] = mapped_column(String(128))
    author_name: Mapped[str] = mapped_column(String(200))
    author_role: Mapped[Role] = mapped_column(_enum(Role, 16))
    body: Mapped[str] = mapped_column(Text)
    #: an internal note: provider and operator staff only, never the customer
    internal: Mapped[bool] = mapped_column(default=False)
    #: the form's random key: a second submit of the same form adds nothing
    submission_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class EventKind(enum.StrEnum):
    OPENED = "opened"
    ROUTED = "routed"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    REROUTED = "rerouted"
    TAKEN_OVER = "taken_over"
    HANDED_BACK = "handed_back"
    PRIORITY_CHANGED = "priority_changed"
    MARKED_DUPLICATE = "marked_duplicate"
    EMERGENCY_RAISED = "emergency_raised"
    EMERGENCY_CONFIRMED = "emergency_confirmed"
    EMERGENCY_DOWNGRADED = "emergency_downgraded"
    SHARED = "shared"
    UNSHARED = "unshared"
    REMINDED = "reminded"
    SERVICE_CHOSEN = "service_chosen"


class Event(Base):
    """A change to a ticket: who, what, from → to, when. The ticket page shows them as history."""

    __tablename__ = "support_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, 32))
    actor_user_id: Mapped[str | None] = mapped_column(String(128))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_role: Mapped[Role] = mapped_column(_enum(Role, 16))
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str | None] = mapped_column(String(64))
    #: the name of the party the change is about (the provider a ticket was sent to), as it was
    to_name: Mapped[str | None] = mapped_column(String(200))
    #: the provider a re-routed ticket came from, as it was (None: the marketplace itself)
    from_provider_id: Mapped[str | None] = mapped_column(String(128))
    from_name: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    #: staff only (an assignment, an escalation's reason); customers never see it
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: written by SQLAlchemy alone, so that one statement writes the events of one change on
    #: every database (SQLite numbers rows in an order a multi-row INSERT does not promise;
    #: this column tells which returned id is which event's)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()


class Attachment(Base):
    """A file attached to a ticket's description (no message) or to a message. The bytes live
    in the storage backend under ``storage_key``; ``filename`` is the cleaned name the user gave
    it, kept as data only."""

    __tablename__ = "support_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("support_message.id"))
    storage_key: Mapped[str] = mapped_column(String(32), unique=True)
    #: a large image's small copy, in the same storage (``thumbnails``); None: the image is
    #: its own thumbnail, or it is not an image
    thumbnail_key: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_user_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def is_image(self) -> bool:
        kind = KINDS.get(self.kind)
        return kind is not None and kind.image

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.kind)
        return kind.label if kind else self.content_type


class TicketAnswer(Base):
    """The answer to one question of a ticket's request type (``request_types``), with the
    question as it was asked: its kind, its label in each language, the choices' labels.
    ``choice`` repeats a "one choice" answer's key for the lists' filter (an index)."""

    __tablename__ = "support_ticket_answer"
    __table_args__ = (
        UniqueConstraint("ticket_id", "key"),
        Index("ix_support_ticket_answer_choice", "tenant_id", "key", "choice", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[dict[str, str]] = mapped_column(JSON)
    choices: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
    value: Mapped[Any] = mapped_column(JSON)
    choice: Mapped[str | None] = mapped_column(String(64))
    #: the words a search finds (``search``): the value, a choice's labels in every language
    text: Mapped[str] = mapped_column(Text, default="")


class Seen(Base):
    """When a person last looked at a ticket's page: what changed since is unread for them."""

    __tablename__ = "support_seen"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DraftFile(Base):
    """A file of a refused form, kept for the form's next submit (``drafts.py``): the bytes
    in the storage backend under ``storage_key``, for one person and one form."""

    __tablename__ = "support_draft_file"
    __table_args__ = (Index(None, "tenant_id", "user_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    #: the form's submission key
    form_key: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(32), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.kind)
        return kind.label if kind else self.kind


class Share(Base):
    """A ticket shared with one named colleague of the requester's organisation."""

    __tablename__ = "support_share"
    __table_args__ = (UniqueConstraint("ticket_id", "user_id"), Index(None, "tenant_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"))
    user_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Watcher(Base):
    """Someone who asked to hear of every change of a ticket (customers: what they may see)."""

    __tablename__ = "support_watcher"
    __table_args__ = (UniqueConstraint("ticket_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(16))
    #: customers hear only of what customers see; staff of internal notes too
    role: Mapped[Role] = mapped_column(_enum(Role, 16))
    #: what the access rules need to know of them, as the host said when they began to
    #: watch: each notification goes to them only while these still let them see the ticket
    customer_id: Mapped[str | None] = mapped_column(String(128))
    organisation_id: Mapped[str | None] = mapped_column(String(128))
    #: the providers they work for, space-separated
    provider_ids: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def actor(self) -> Actor:
        """The watcher as the access rules see them."""
        return Actor(
            user_id=self.user_id,
            name=self.name,
            email=self.email,
            locale=self.locale,
            customer_id=self.customer_id,
            organisation_id=self.organisation_id,
            provider_ids=frozenset((self.provider_ids or "").split()),
            is_operator=self.role is Role.OPERATOR,
        )


class Delivery(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """One notification to one recipient, written in the transaction of the change that
    caused it and delivered from here. ``(event_key, recipient)`` is unique: a change notifies
    each address once, however often delivery is tried."""

    __tablename__ = "support_outbox"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient"),
        # the workers' claim: due rows, oldest first
        Index(None, "status", "next_attempt_at", "id"),
        Index(None, "tenant_id", "status", "id"),
        # a webhook waits for the earlier ones of its ticket to its endpoint; the log of one
        Index(None, "endpoint_id", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("support_ticket.id"))
    #: the webhook endpoint it goes to (``webhooks``); None: an e-mail
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_webhook_endpoint.id", ondelete="CASCADE")
    )
    event_key: Mapped[str] = mapped_column(String(64))
    notification: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(16))
    #: what the e-mail says, rendered in the recipient's language when it is delivered
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[Delivery] = mapped_column(_enum(Delivery, 16), default=Delivery.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    #: a webhook's last answer: the HTTP status the endpoint gave (None: none, or an e-mail)
    response_status: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class WebhookEndpoint(Base):
    """A URL where a provider's (or the operator's) own system hears of changes to the
    tickets that party sees (``webhooks``). ``secret`` signs each delivery (Standard
    Webhooks); it is shown once, and kept because every delivery is signed with it."""

    __tablename__ = "support_webhook_endpoint"
    __table_args__ = (Index(None, "tenant_id", "role", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    #: whose it is: a provider's (``provider_id``) or the marketplace operator's
    role: Mapped[Role] = mapped_column(_enum(Role, 16))
    provider_id: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(String(2000))
    #: the events it wants, space-separated (``webhooks.EventType``)
    events: Mapped[str] = mapped_column(String(300))
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: failures in a row; while it fails, nothing goes to it before ``retry_at``
    failures: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookTry(Base):
    """One try to post a webhook (an outbox row) to its endpoint: when, which try of the row,
    the HTTP status or the error, and how long it took. Every try is kept, for the endpoint's
    delivery log, for ``SUPPORT_WEBHOOK_LOG_DAYS`` (``flask support sweep`` removes older
    ones)."""

    __tablename__ = "support_webhook_try"
    __table_args__ = (
        # the tries of the deliveries a log shows; removing those of a deleted endpoint
        Index(None, "outbox_id", "id"),
        Index(None, "endpoint_id"),
        # removing what is older than SUPPORT_WEBHOOK_LOG_DAYS
        Index(None, "tried_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("support_webhook_endpoint.id", ondelete="CASCADE")
    )
    outbox_id: Mapped[int] = mapped_column(ForeignKey("support_outbox.id", ondelete="CASCADE"))
    #: which try of the row it was (1, 2, ...; counted anew after "send again")
    attempt: Mapped[int] = mapped_column(Integer)
    tried_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: the endpoint's answer (None: none came)
    response_status: Mapped[int | None] = mapped_column(Integer)
    #: why it failed (None: a 2xx answer)
    error: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A key a provider's or the operator's staff member made for their own programs, which
    then act as them through the JSON API (``api_tokens.py``). Only the key's SHA-256 is kept;
    ``hint`` is its first characters, so people can tell their keys apart."""

    __tablename__ = "support_api_token"
    __table_args__ = (Index(None, "tenant_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    #: the area it was made in, and so the role it acts as: provider or operator staff
    role: Mapped[Role] = mapped_column(_enum(Role, 16))
    name: Mapped[str] = mapped_column(String(100))
    hint: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: what it may do, space-separated (``api_tokens.Scope``)
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """The ``Idempotency-Key`` of an API call that changed a ticket, with a hash of what it
    asked and what it answered, written in the change's transaction (``idempotency.py``): the
    same call again gets the same answer and changes nothing."""

    __tablename__ = "support_idempotency_key"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the method, the path and the body
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


class Quarantined(enum.StrEnum):
    """Why a message sent to one of our reply addresses, or to a tenant's support address,
    did not get in (``inbound``)."""

    #: it could not be read as an e-mail, or carries no text
    UNREADABLE = "unreadable"
    #: none of its recipients is one of our addresses
    NO_ADDRESS = "no_address"
    #: the address's signature is wrong: made up, altered, or signed with a retired key
    FORGED = "forged"
    #: the address is older than ``SUPPORT_REPLY_MAX_AGE_DAYS``
    EXPIRED = "expired"
    #: ``From`` is not the person the address was made for
    WRONG_SENDER = "wrong_sender"
    #: the person may no longer see the ticket (re-routed, no longer shared, no longer staff)
    LOST_ACCESS = "lost_access"
    #: the workflow does not let them write on the ticket now (closed, taken over)
    REFUSED = "refused"
    #: larger than ``SUPPORT_INBOUND_MAX_SIZE``
    TOO_LARGE = "too_large"
    #: a file of a type, size or number the marketplace does not take, or a text too long
    INVALID = "invalid"
    #: the person sent more messages than the rate limits allow
    TOO_MANY = "too_many"
    #: sent to a support address by someone the host does not know as a customer of its tenant
    UNKNOWN_SENDER = "unknown_sender"
    #: sent to the support address of a tenant that does not open tickets from e-mail
    TICKETS_OFF = "tickets_off"
    #: an answer to a notification of a tenant that has switched support off since
    SUPPORT_OFF = "support_off"


class InboundMail(Base):
    """A message sent to one of our reply addresses that did not get onto a ticket, kept for
    the operator with the reason (never shown on a ticket). ``tenant_id`` is None where the
    address does not say (forged, unreadable): no operator's page lists those."""

    __tablename__ = "support_inbound_mail"
    __table_args__ = (
        # the same message delivered again (an MTA's retry) is kept once
        UniqueConstraint("delivery_key"),
        Index(None, "tenant_id", "id"),
        # removing what is older than SUPPORT_QUARANTINE_DAYS
        Index(None, "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("support_ticket.id"))
    #: the notification whose reply address it was sent to, that address, and the address
    #: the notification went to (the person the reply address was made for)
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(320))
    sent_to: Mapped[str | None] = mapped_column(String(320))
    delivery_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[Quarantined] = mapped_column(_enum(Quarantined, 20))
    #: what was wrong, in words (the workflow's reason, the files refused)
    detail: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(250))
    message_id: Mapped[str | None] = mapped_column(String(250))
    size: Mapped[int] = mapped_column(Integer)
    #: the message as it came, up to ``inbound.RAW_KEPT`` bytes
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
