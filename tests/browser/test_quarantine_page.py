"""The operator's "Mail that did not get in" with kept mail on it: axe on a desktop and on a
phone, and its buttons work from the keyboard's form (accept, drop)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from marketplace_support.models import InboundMail, Quarantined

from .accessibility import describe, violations
from .pages import DESKTOP, OSCAR, PHONE, log_in

pytestmark = pytest.mark.browser

PAGE = "/my/support/operator/mail"


@pytest.fixture
def kept_mail(demo_app: Flask) -> Any:
    """Two messages kept for the demo's first marketplace: one whose sender the operator may
    vouch for, one they may only drop."""
    raw = b"From: anna@home.example\r\nSubject: Re: ticket 1\r\n\r\nIt works again.\r\n"
    session = demo_app.extensions["sqlalchemy"].session
    with demo_app.app_context():
        rows = [
            InboundMail(
                tenant_id="nordic",
                delivery_key=f"mail-browser-{reason.value}",
                reason=reason,
                detail="anna@home.example" if reason is Quarantined.WRONG_SENDER else None,
                sender="Anna <anna@home.example>",
                subject="Re: Your reply is needed on ticket #1",
                sent_to="anna@nordic.example",
                size=len(raw),
                raw=raw,
            )
            for reason in (Quarantined.WRONG_SENDER, Quarantined.EXPIRED)
        ]
        session.add_all(rows)
        session.commit()
        ids = [row.id for row in rows]
    yield ids
    with demo_app.app_context():
        session.query(InboundMail).filter(InboundMail.id.in_(ids)).delete()
        session.commit()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_quarantine_page_passes_axe(
    new_context: Any, axe_source: str, kept_mail: Any, size: Any
) -> None:
    page = new_context(viewport=size).new_page()
    log_in(page, OSCAR)
    page.goto(PAGE)
    assert page.get_by_role("button", name="Accept: it is from anna@nordic.example").count() == 1
    found = violations(page, axe_source)
    assert not found, describe(found)


def test_the_operator_drops_kept_mail(new_context: Any, kept_mail: Any) -> None:
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, OSCAR)
    page.goto(PAGE)
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Drop the chosen ones").click()
    page.wait_for_load_state()
    assert "1 message was dropped." in page.content()
