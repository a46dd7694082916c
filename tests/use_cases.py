"""The module's use-cases called directly, as its pages and API call them: an action on a
ticket, watching one, registering a webhook endpoint, delivering the outbox; and the clock
of the response-target tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from marketplace_support import actions, clock, outbox, sharing, webhooks
from marketplace_support.models import OutboxMessage
from marketplace_support.workflow import Action, Role

from .helpers import stored_rows

#: every kind of event a webhook endpoint can listen to
ALL_EVENTS = [event.value for event in webhooks.EventType]
MONDAY_10 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # a Monday


def at(moment: datetime):
    """The module's clock stopped at ``moment``."""
    return clock.frozen_at(moment)


def act(app, marketplace, user, role, number, action, **form):
    """``action`` on ticket ``number`` as ``user``; a reply or note gets a form key of its
    own unless ``form`` names one (the same key twice stores one message)."""
    tenant, actor = marketplace.actors[user]
    if action in (Action.REPLY, Action.NOTE):
        form.setdefault("submission_key", f"k-{user}-{action}-{number}-{secrets.token_hex(8)}")
    with app.test_request_context():
        actions.act(tenant, actor, role, number, action, form)


def watch(app, marketplace, user, role, number, watching=True):
    tenant, actor = marketplace.actors[user]
    with app.test_request_context():
        sharing.watch(tenant, actor, role, number, watching)


def register(app, marketplace, user_id: str, role: Role, url: str, events=ALL_EVENTS) -> str:
    """Register an endpoint as ``user_id`` (as the webhooks page does); its secret."""
    tenant_id, actor = marketplace.actors[user_id]
    with app.test_request_context():
        return webhooks.register(tenant_id, actor, role, {"url": url, "events": events}).secret


def deliver(app) -> outbox.Report:
    with app.app_context():
        return outbox.deliver()


def outbox_rows(app) -> list[OutboxMessage]:
    return stored_rows(app, OutboxMessage)
