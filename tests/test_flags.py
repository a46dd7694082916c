"""The tenant's switches: support on or off, and the host's menu entry."""

from __future__ import annotations

import pytest
from flask import render_template_string

from marketplace_support import Flags, HostAdapter, support_menu_link

from .conftest import host_app, login
from .helpers import open_ticket


@pytest.fixture
def menu_html(app, client):
    """The host's menu snippet, rendered in a request of whoever is logged in."""

    @app.get("/menu")
    def menu():
        return render_template_string(
            "{% set link = support_menu_link() %}"
            "{% if link %}<a href='{{ link.url }}'>{{ link.label }}</a>{% endif %}"
        )

    return lambda: client.get("/menu").get_data(as_text=True)


def test_menu_shows_support_to_customers_where_support_is_on(menu_html, client):
    login(client, "alice")
    assert menu_html() == "<a href='/support/'>Support</a>"


def test_menu_hides_support_where_the_tenant_switched_it_off(menu_html, client, marketplace):
    marketplace.flags["t1"] = Flags(support_enabled=False)
    login(client, "alice")
    assert menu_html() == ""


def test_menu_hides_support_from_people_who_are_not_customers(menu_html, client):
    login(client, "paul")
    assert menu_html() == ""


def test_menu_helper_is_plain_python_too(app):
    with app.test_request_context():
        assert support_menu_link() is None  # nobody logged in


def test_support_pages_answer_404_where_support_is_off(app, client, marketplace):
    login(client, "alice")
    number = open_ticket(client)
    marketplace.flags["t1"] = Flags(support_enabled=False)
    for url in ("/support/", "/support/new", f"/support/tickets/{number}"):
        assert client.get(url).status_code == 404
    assert client.post(f"/support/tickets/{number}/resolve").status_code == 404


def test_switching_support_off_in_one_tenant_leaves_the_other_alone(client, marketplace):
    marketplace.flags["t2"] = Flags(support_enabled=False)
    login(client, "alice")
    assert client.get("/support/").status_code == 200
    login(client, "carol")
    assert client.get("/support/").status_code == 404


def test_every_flag_follows_its_config_key(database_url, marketplace):
    """A host that keeps the default ``flags()`` sets every flag with its SUPPORT_* key."""
    keys = {
        "SUPPORT_ENABLED": False,
        "SUPPORT_TICKET_WITHOUT_ORDER": False,
        "SUPPORT_TICKETS_BY_EMAIL": True,
        "SUPPORT_CUSTOMER_MAY_RESOLVE": False,
        "SUPPORT_REOPEN_DAYS": 2,
        "SUPPORT_EMERGENCIES_ALLOWED": True,
        "SUPPORT_ATTACHMENTS_ENABLED": False,
        "SUPPORT_MAX_ATTACHMENT_SIZE": 1234,
        "SUPPORT_MAX_ATTACHMENTS": 2,
        "SUPPORT_ATTACHMENT_TYPES": ["png", "pdf"],
        "SUPPORT_SHARE_BY_DEFAULT": True,
        "SUPPORT_REMINDER_DAYS": 9,
        "SUPPORT_AUTO_RESOLVE_DAYS": 8,
        "SUPPORT_AUTO_CLOSE_DAYS": 30,
        "SUPPORT_LIMIT_OPEN_TICKETS": "1 per minute",
        "SUPPORT_LIMIT_OPEN_TICKETS_TENANT": "2 per minute",
        "SUPPORT_LIMIT_REPLIES": "3 per minute",
        "SUPPORT_LIMIT_REPLIES_TENANT": "4 per minute",
        "SUPPORT_LIMIT_STAFF_MESSAGES": "5 per minute",
        "SUPPORT_LIMIT_STAFF_MESSAGES_TENANT": "6 per minute",
        "SUPPORT_LIMIT_EMERGENCIES": "7 per day",
        "SUPPORT_LIMIT_EMERGENCIES_TENANT": "",
        "SUPPORT_LIMIT_UPLOADS": "8 per hour",
        "SUPPORT_LIMIT_UPLOADS_TENANT": "9 per hour",
    }
    with host_app(database_url, marketplace, **keys) as app, app.app_context():
        flags = HostAdapter.flags(app.extensions["marketplace_support"].host, "t1")
    assert flags == Flags(
        support_enabled=False,
        ticket_without_order=False,
        tickets_by_email=True,
        customer_may_resolve=False,
        reopen_days=2,
        emergencies_allowed=True,
        attachments_enabled=False,
        max_attachment_size=1234,
        max_attachments=2,
        attachment_types=("png", "pdf"),
        share_with_organisation_by_default=True,
        reminder_days=9,
        auto_resolve_days=8,
        auto_close_days=30,
        limit_open_tickets="1 per minute",
        limit_open_tickets_tenant="2 per minute",
        limit_replies="3 per minute",
        limit_replies_tenant="4 per minute",
        limit_staff_messages="5 per minute",
        limit_staff_messages_tenant="6 per minute",
        limit_emergencies="7 per day",
        limit_emergencies_tenant="",
        limit_uploads="8 per hour",
        limit_uploads_tenant="9 per hour",
    )
    assert set(keys) == set(Flags.config_defaults())
