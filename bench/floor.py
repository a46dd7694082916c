"""The performance floor: a bare Flask + Flask-SQLAlchemy app over the same tables as the
module, which answers each benchmarked page with that page's one indexed query and a minimal
Jinja template (a table of the same columns, a link per row; no layout machinery, no Babel).

It is what a plain page over this schema costs on the same machine and database, so
``bench.pages`` can report each of our pages as a ratio to it. It reads who is logged in from
Flask's signed session cookie (set once by ``/login/<email>``), as a real app would, and never
asks the database who the user is again.

The ticket page is two statements (the ticket by number, then its messages); opening a ticket
is one transaction: the order is checked, the tenant's counter gives the number, the ticket
and its first message are inserted.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, undefer

ACTIVE = ("open", "in_progress", "waiting_for_customer")
STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "waiting_for_customer": "Waiting for customer",
    "resolved": "Resolved",
    "closed": "Closed",
}
CUSTOMER_STATUS_LABELS = {**STATUS_LABELS, "waiting_for_customer": "Waiting for your reply"}
PRIORITY_LABELS = ("Low", "Medium", "High", "Urgent")  # by rank, as stored


class FloorBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=FloorBase)


class Ticket(db.Model):
    """The module's ticket table: the columns the pages show are loaded; the rest are only
    written when a ticket is opened (deferred, so the lists never read them)."""

    __tablename__ = "support_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer)
    handler: Mapped[str] = mapped_column(String(16))
    order_label: Mapped[str | None] = mapped_column(String(200))
    provider_id: Mapped[str | None] = mapped_column(String(128))
    provider_name: Mapped[str | None] = mapped_column(String(200))
    assignee_name: Mapped[str | None] = mapped_column(String(200))
    requester_user_id: Mapped[str] = mapped_column(String(128))
    requester_name: Mapped[str] = mapped_column(String(200))
    next_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    issue_about: Mapped[str] = mapped_column(Text, deferred=True)
    expected_outcome: Mapped[str] = mapped_column(Text, deferred=True, default="")
    current_scenario: Mapped[str] = mapped_column(Text, deferred=True, default="")
    routing_reason: Mapped[str] = mapped_column(String(32), deferred=True)
    order_id: Mapped[str | None] = mapped_column(String(128), deferred=True)
    requester_email: Mapped[str | None] = mapped_column(String(320), deferred=True)
    customer_id: Mapped[str | None] = mapped_column(String(128), deferred=True)
    organisation_id: Mapped[str | None] = mapped_column(String(128), deferred=True)
    shared_with_organisation: Mapped[bool] = mapped_column(Boolean, deferred=True, default=False)
    submission_key: Mapped[str] = mapped_column(String(64), deferred=True)
    reopen_count: Mapped[int] = mapped_column(Integer, deferred=True, default=0)
    sla_first_response_target: Mapped[float] = mapped_column(Float, deferred=True, default=0.0)
    sla_resolution_target: Mapped[float] = mapped_column(Float, deferred=True, default=0.0)
    sla_first_response_elapsed: Mapped[float] = mapped_column(Float, deferred=True, default=0.0)
    sla_resolution_elapsed: Mapped[float] = mapped_column(Float, deferred=True, default=0.0)


class Message(db.Model):
    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id"))
    author_user_id: Mapped[str] = mapped_column(String(128))
    author_name: Mapped[str] = mapped_column(String(200))
    author_role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    submission_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_floor_app(database_url: str, operator_name: str = "Nordic Cloud Market") -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "floor_templates"))
    app.config.update(
        SECRET_KEY="floor-only-not-secret",
        SQLALCHEMY_DATABASE_URI=database_url,
        OPERATOR_NAME=operator_name,
    )
    db.init_app(app)
    app.jinja_env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M")
    app.jinja_env.globals.update(
        status_label=STATUS_LABELS.__getitem__,
        customer_status_label=CUSTOMER_STATUS_LABELS.__getitem__,
        priority_label=PRIORITY_LABELS.__getitem__,
    )
    app.add_url_rule("/login/<email>", "login", _login)
    app.add_url_rule("/customer/", "customer_tickets", _customer_tickets)
    app.add_url_rule("/customer/tickets/<int:number>", "customer_ticket", _customer_ticket)
    app.add_url_rule("/customer/new", "new_ticket", _new_ticket, methods=["POST"])
    app.add_url_rule("/provider/", "provider_tickets", _provider_tickets)
    app.add_url_rule("/provider/tickets/<int:number>", "provider_ticket", _provider_ticket)
    app.add_url_rule("/operator/", "operator_tickets", _operator_tickets)
    app.add_url_rule("/operator/tickets/<int:number>", "operator_ticket", _provider_ticket)
    return app


def _login(email: str) -> str:
    row = db.session.execute(
        text(
            'SELECT id, tenant_id, name, organisation_id, provider_id, is_operator FROM "user" '
            "WHERE email = :email"
        ),
        {"email": email},
    ).one_or_none()
    if row is None:
        abort(404)
    session.update(
        user=str(row.id),
        tenant=row.tenant_id,
        name=row.name,
        organisation=row.organisation_id,
        provider=str(row.provider_id) if row.provider_id else None,
    )
    return "ok"


def _me() -> dict[str, Any]:
    if "user" not in session:
        abort(401)
    return session


def _page(query: Select[Any], endpoint: str) -> dict[str, Any]:
    """One page, newest activity first, after the ``after`` cursor; ``size`` rows (20)."""
    size = request.args.get("size", 20, type=int)
    after = request.args.get("after")
    if after:
        at, _, ticket_id = after.partition("_")
        query = query.where(
            tuple_(Ticket.updated_at, Ticket.id)
            < tuple_(datetime.fromisoformat(at), int(ticket_id))
        )
    rows = list(
        db.session.scalars(
            query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(size + 1)
        )
    )
    more = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        more = url_for(endpoint, size=size, after=f"{last.updated_at.isoformat()}_{last.id}")
    return {"tickets": rows, "more": more}


def _customer_tickets() -> ResponseReturnValue:
    me = _me()
    query = select(Ticket).where(
        Ticket.tenant_id == me["tenant"],
        Ticket.requester_user_id == me["user"],
        Ticket.status.in_(ACTIVE),
    )
    return render_template("floor/customer_tickets.html", **_page(query, "customer_tickets"), me=me)


def _provider_tickets() -> ResponseReturnValue:
    me = _me()
    query = select(Ticket).where(
        Ticket.tenant_id == me["tenant"],
        Ticket.provider_id == me["provider"],
        Ticket.status.in_(ACTIVE),
    )
    return render_template(
        "floor/staff_tickets.html",
        **_page(query, "provider_tickets"),
        me=me,
        title="Support inbox",
        ticket_endpoint="provider_ticket",
        operator=False,
    )


def _operator_tickets() -> ResponseReturnValue:
    me = _me()
    query = select(Ticket).where(Ticket.tenant_id == me["tenant"], Ticket.status.in_(ACTIVE))
    return render_template(
        "floor/staff_tickets.html",
        **_page(query, "operator_tickets"),
        me=me,
        title="Support console",
        ticket_endpoint="operator_ticket",
        operator=True,
    )


def _ticket_page(number: int, scope: Any, customer: bool) -> ResponseReturnValue:
    me = _me()
    ticket = db.session.scalars(
        select(Ticket)
        .options(undefer(Ticket.issue_about))
        .where(Ticket.tenant_id == me["tenant"], Ticket.number == number, scope)
    ).one_or_none()
    if ticket is None:
        abort(404)
    messages = select(Message).where(Message.ticket_id == ticket.id)
    if customer:
        messages = messages.where(Message.internal.is_(False))
    return render_template(
        "floor/ticket.html",
        ticket=ticket,
        messages=db.session.scalars(messages.order_by(Message.id)).all(),
        customer=customer,
        me=me,
    )


def _customer_ticket(number: int) -> ResponseReturnValue:
    return _ticket_page(number, Ticket.requester_user_id == _me()["user"], customer=True)


def _provider_ticket(number: int) -> ResponseReturnValue:
    me = _me()
    scope = Ticket.provider_id == me["provider"] if me["provider"] else Ticket.id.is_not(None)
    return _ticket_page(number, scope, customer=False)


def _new_ticket() -> ResponseReturnValue:
    """A ticket and its first message in one transaction (the order must be the customer's)."""
    me = _me()
    form = request.form
    subject, body = form.get("subject", "").strip(), form.get("issue_about", "").strip()
    if not subject or len(subject) > 200 or not body or not form.get("order", "").isdigit():
        abort(422)
    order = db.session.execute(
        text(
            "SELECT o.id, o.service_name, o.provider_id, p.name AS provider_name "
            "FROM service_order o JOIN provider p ON p.id = o.provider_id "
            "WHERE o.id = :id AND o.tenant_id = :tenant AND o.organisation_id = :organisation "
            "AND o.active"
        ),
        {"id": int(form["order"]), "tenant": me["tenant"], "organisation": me["organisation"]},
    ).one_or_none()
    if order is None:
        abort(422)
    number = db.session.execute(
        text(
            "UPDATE support_ticket_counter SET last_number = last_number + 1 "
            "WHERE tenant_id = :tenant RETURNING last_number"
        ),
        {"tenant": me["tenant"]},
    ).scalar_one()
    moment = datetime.now(UTC)
    ticket = Ticket(
        tenant_id=me["tenant"],
        number=number,
        subject=subject,
        issue_about=body,
        status="open",
        priority=PRIORITY_LABELS.index(form.get("priority", "medium").title()),
        handler="provider",
        routing_reason="order_provider",
        order_id=str(order.id),
        order_label=order.service_name,
        provider_id=str(order.provider_id),
        provider_name=order.provider_name,
        requester_user_id=me["user"],
        requester_name=me["name"],
        organisation_id=str(me["organisation"]),
        submission_key=form.get("submission_key") or secrets.token_urlsafe(24),
        created_at=moment,
        updated_at=moment,
    )
    db.session.add(ticket)
    db.session.flush()
    db.session.add(
        Message(
            tenant_id=me["tenant"],
            ticket_id=ticket.id,
            author_user_id=me["user"],
            author_name=me["name"],
            author_role="customer",
            body=body,
            created_at=moment,
        )
    )
    db.session.commit()
    return redirect(url_for("customer_ticket", number=number), code=303)
