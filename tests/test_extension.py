"""Mounting the module: the errors a host developer gets when the setup is wrong."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy

from marketplace_support import HostAdapter, MarketplaceSupport

from .conftest import host_app, login
from .helpers import change_status, open_ticket
from .host import FakeHost, Marketplace


def bare_app(**config):
    app = Flask("mount_test")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite://", **config)
    SQLAlchemy().init_app(app)
    Babel(app)
    return app


@pytest.fixture
def host():
    return FakeHost(Marketplace())


def test_mounting_twice_on_one_app_is_refused(host):
    app = bare_app()
    support = MarketplaceSupport(app, host=host)
    with pytest.raises(RuntimeError, match="already initialised"):
        support.init_app(app)


def test_one_extension_object_serves_several_apps(host):
    support = MarketplaceSupport(host=host)
    first, second = bare_app(SUPPORT_URL_PREFIX="/help"), bare_app()
    support.init_app(first)
    support.init_app(second)
    assert first.url_map.bind("x").match("/help/") == ("marketplace_support.customer.tickets", {})
    assert second.url_map.bind("x").match("/support/") == (
        "marketplace_support.customer.tickets",
        {},
    )


def test_a_misspelled_config_key_fails_loudly_with_a_suggestion(host):
    app = bare_app(SUPPORT_TICKET_WITHOUT_ORDERS=False)
    with pytest.raises(
        RuntimeError,
        match=r"SUPPORT_TICKET_WITHOUT_ORDERS \(did you mean SUPPORT_TICKET_WITHOUT_ORDER\?\)",
    ):
        MarketplaceSupport(app, host=host)


def test_defaults_are_set_and_the_hosts_values_kept(host):
    app = bare_app(SUPPORT_PAGE_SIZE=7)
    MarketplaceSupport(app, host=host)
    assert app.config["SUPPORT_PAGE_SIZE"] == 7
    assert app.config["SUPPORT_URL_PREFIX"] == "/support"


@pytest.mark.parametrize("size", [0, -1, 101, 10_000, "20", 2.5, True, None])
def test_a_page_size_outside_1_to_100_is_refused_naming_the_range(host, size):
    app = bare_app(SUPPORT_PAGE_SIZE=size)
    with pytest.raises(
        RuntimeError, match=r"SUPPORT_PAGE_SIZE must be a whole number from 1 to 100"
    ):
        MarketplaceSupport(app, host=host)


@pytest.mark.parametrize("size", [1, 100])
def test_page_sizes_at_the_ends_of_the_range_are_taken(host, size):
    app = bare_app(SUPPORT_PAGE_SIZE=size)
    MarketplaceSupport(app, host=host)
    assert app.config["SUPPORT_PAGE_SIZE"] == size


def test_without_a_host_adapter_the_error_says_what_to_pass():
    with pytest.raises(RuntimeError, match="needs a host adapter"):
        MarketplaceSupport(bare_app())


def test_without_flask_babel_the_error_says_what_to_create(host):
    app = Flask("no_babel")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    SQLAlchemy().init_app(app)
    with pytest.raises(RuntimeError, match=r"needs Flask-Babel: create Babel\(app"):
        MarketplaceSupport(app, host=host)


def test_without_flask_sqlalchemy_the_error_says_what_to_do(host):
    app = Flask("no_db")
    Babel(app)
    with pytest.raises(RuntimeError, match="needs Flask-SQLAlchemy"):
        MarketplaceSupport(app, host=host)


def test_a_host_adapter_must_answer_who_acts_and_which_orders_are_active():
    class Incomplete(HostAdapter):
        pass

    with pytest.raises(TypeError, match="current_actor"):
        Incomplete()


def test_support_pages_cannot_be_framed_by_other_sites_and_keep_addresses_to_themselves(client):
    login(client, "alice")
    response = client.get("/support/")
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_host_sets_its_own_framing_rules(database_url, marketplace):
    with host_app(
        database_url,
        marketplace,
        SUPPORT_FRAME_ANCESTORS="'self' https://partner.example",
        SUPPORT_REFERRER_POLICY=None,
    ) as app:
        client = app.test_client()
        login(client, "alice")
        response = client.get("/support/")
    assert (
        response.headers["Content-Security-Policy"]
        == "frame-ancestors 'self' https://partner.example"
    )
    assert "X-Frame-Options" not in response.headers
    assert "Referrer-Policy" not in response.headers


def test_a_layout_without_the_blocks_the_pages_fill_is_named_in_the_log(
    database_url, marketplace, tmp_path, caplog
):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "layout.html").write_text(
        "<html><title>{% block title %}{% endblock %}</title>"
        "<body>{% block content %}{% endblock %}</body></html>"
    )
    with host_app(database_url, marketplace, SUPPORT_BASE_TEMPLATE="layout.html") as app:
        app.jinja_loader.searchpath.append(str(folder))
        client = app.test_client()
        login(client, "alice")
        with caplog.at_level(logging.WARNING):
            assert client.get("/support/").status_code == 200
            client.get("/support/new")
    warnings = [r.message for r in caplog.records if "defines no block" in r.message]
    assert warnings == [
        "marketplace_support: the layout 'layout.html' defines no block 'head'; "
        "support pages fill title, head (the module's stylesheet and script) and "
        "content, and show without what goes into a missing block"
    ]


def test_a_complete_layout_through_its_own_parent_passes_the_check(
    database_url, marketplace, tmp_path, caplog
):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "site.html").write_text(
        "<head>{% block head %}{% endblock %}<title>{% block title %}{% endblock %}</title>"
        "</head><body>{% block content %}{% endblock %}</body>"
    )
    (folder / "layout.html").write_text('{% extends "site.html" %}')
    with host_app(database_url, marketplace, SUPPORT_BASE_TEMPLATE="layout.html") as app:
        app.jinja_loader.searchpath.append(str(folder))
        client = app.test_client()
        login(client, "alice")
        with caplog.at_level(logging.WARNING):
            assert "support.css" in client.get("/support/").get_data(as_text=True)
    assert "marketplace_support" not in caplog.text


def test_a_host_s_own_template_globals_by_the_helpers_names_are_left_alone(
    database_url, marketplace
):
    """Our shared macros reach the page's helpers through globals named ``_ms``/``ms_…``: a
    host's own ``status_label`` (or another label of ours by its page name) keeps working,
    and our pages never call it."""
    names = ("status_label", "status_customer_label", "priority_label", "reason_label")
    with host_app(database_url, marketplace) as app:

        def host_label(value: str) -> str:
            return f"the host's {value}"

        app.jinja_env.globals.update(dict.fromkeys(names, host_label))
        client = app.test_client()
        login(client, "alice")
        number = open_ticket(client)
        assert change_status(client, number, "resolve").status_code == 303
        for who, url in (("alice", "/support/tickets"), ("pete", "/support/provider/tickets")):
            login(client, who)
            page = client.get(f"{url}/{number}").get_data(as_text=True)
            assert "changed the status from “Open” to “Resolved”." in page, who
            assert "the host's" not in page
        assert all(app.jinja_env.globals[name] is host_label for name in names)
