"""What a browser does with our forms, for tests that go through HTTP."""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from flask import g, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from marketplace_support import actions
from marketplace_support.models import (
    Attachment,
    DraftFile,
    Event,
    Message,
    Ticket,
    TicketCounter,
)
from marketplace_support.workflow import Action, Role


def hidden_inputs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def form_inputs(html: str, action_ending: str) -> dict[str, str]:
    """The hidden fields of the page's form whose action ends with ``action_ending``."""
    for match in re.finditer(r'<form [^>]*action="([^"]*)"[^>]*>(.*?)</form>', html, re.S):
        if match.group(1).endswith(action_ending):
            return hidden_inputs(match.group(2))
    raise AssertionError(f"no form posting to …{action_ending}")


class _TicketTable(HTMLParser):
    """The cells of a ticket list's table (``table.ms-tickets``) as text, row by row; the row's
    classes and its first link's address beside them."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self._inside = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "ms-tickets" in (found.get("class") or "").split():
            self._inside = True
        elif not self._inside:
            return
        elif tag == "tr":
            classes = (found.get("class") or "").split()
            self.rows.append({"cells": [], "classes": classes, "href": None})
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a" and self.rows and self.rows[-1]["href"] is None:
            self.rows[-1]["href"] = found.get("href")

    def handle_endtag(self, tag: str) -> None:
        if not self._inside:
            return
        if tag == "table":
            self._inside = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1]["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def listed(html: str) -> list[dict[str, Any]]:
    """The tickets of a list page, in order: each row's text by column heading ("Ticket",
    "Status", ...), with ``classes`` (the row's) and ``href`` (its ticket's address)."""
    table = _TicketTable()
    table.feed(html)
    if not table.rows:
        return []
    headings, *rows = table.rows
    return [
        {
            **dict(zip(headings["cells"], row["cells"], strict=True)),
            "classes": row["classes"],
            "href": row["href"],
        }
        for row in rows
    ]


def listed_numbers(html: str) -> list[int]:
    """The numbers of the tickets a list page shows, in order (each row links to its
    ticket's page, whose address ends with the number)."""
    return [int(row["href"].rsplit("/", 1)[1]) for row in listed(html)]


def listed_subjects(html: str) -> list[str]:
    """The subjects of the tickets a list page shows, in order (the "Ticket" column reads
    "#<number> <subject>")."""
    return [row["Ticket"].split(" ", 1)[1] for row in listed(html)]


def new_ticket_form(client: Any) -> dict[str, str]:
    """The hidden fields of a freshly loaded new-ticket form (CSRF token, submission key)."""
    response = client.get("/support/new")
    assert response.status_code == 200, response.status_code
    return hidden_inputs(response.get_data(as_text=True))


def ticket_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "order": "o-hosting",
        "subject": "Website is down",
        "category": "technical",
        "priority": "high",
        "issue_about": "The site answers 502 since 9:00.",
        "expected_outcome": "The site loads.",
        "current_scenario": "Every page, every visitor.",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def submit_ticket(client: Any, **overrides: str) -> Any:
    """Load the form and send it, as a customer would; returns the response to the POST."""
    data = {**new_ticket_form(client), **ticket_fields(**overrides)}
    return client.post("/support/new", data=data)


def open_ticket(client: Any, **overrides: str) -> int:
    """Open a ticket through the form and return its number."""
    response = submit_ticket(client, **overrides)
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.search(r"/support/tickets/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


def ticket_page_form(client: Any, number: int) -> dict[str, str]:
    """The hidden fields of the ticket page's "add information" form."""
    response = client.get(f"/support/tickets/{number}")
    assert response.status_code == 200
    return form_inputs(response.get_data(as_text=True), "/reply")


def add_information(client: Any, number: int, body: str) -> Any:
    data = {**ticket_page_form(client, number), "body": body}
    return client.post(f"/support/tickets/{number}/reply", data=data)


def change_status(client: Any, number: int, action: str) -> Any:
    """Press a button of the ticket page (resolve, reopen, ...)."""
    data = {"csrf_token": new_ticket_form(client)["csrf_token"]}
    return client.post(f"/support/tickets/{number}/{action}", data=data)


def row_counts(app: Any) -> dict[str, int]:
    """How many rows each of our tables holds: proof that nothing was half-written."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Ticket, Message, Event, TicketCounter, Attachment, DraftFile)
        }
        session.remove()
        return counts


def tickets_in_db(app: Any) -> list[Ticket]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        rows = list(session.scalars(select(Ticket).order_by(Ticket.tenant_id, Ticket.number)))
        session.expunge_all()
        session.remove()
        return rows


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, small PNG image (a screenshot, as far as the desk can tell)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = b"".join(b"\x00" + b"\x20\x60\xd0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def translated(language: str, message: str, context: str | None = None) -> str:
    """``message`` as our shipped catalog of ``language`` words it, as a page shows it."""
    from babel.support import Translations

    from marketplace_support.i18n import DOMAIN, TRANSLATIONS_DIRECTORY

    catalog = Translations.load(TRANSLATIONS_DIRECTORY, [language], DOMAIN)
    if context is None:
        return catalog.gettext(message)
    return catalog.pgettext(context, message)


def csrf_token(app, client) -> str:
    """A valid CSRF token for ``client``'s session, as any page of the module would give it."""
    with app.test_request_context():
        # pytest-flask's client keeps its last request's context, and flask_wtf its token in g
        g.pop("csrf_token", None)
        token = generate_csrf()
        raw = session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    return token


def stored_rows(app: Any, model: Any) -> list[Any]:
    """Every row of one of our tables, oldest first, detached from the session (read after
    the request that wrote them)."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        rows = list(session.scalars(select(model).order_by(model.id)))
        session.expunge_all()
        session.remove()
        return rows


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> bool:
    """Whether ``condition`` came true within ``seconds`` (what another process does)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def provider_replies(app: Any, marketplace: Any, number: int, body: str, key: str) -> None:
    """Pete (Nimbus Hosting's staff) replies to ticket ``number``, as the inbox's form would."""
    tenant, pete = marketplace.actors["pete"]
    with app.test_request_context():
        actions.act(
            tenant, pete, Role.PROVIDER, number, Action.REPLY, {"body": body, "submission_key": key}
        )
