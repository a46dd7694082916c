"""The example marketplace as an attacker meets it: redirects that stay on the site, ids that
name no row, sessions that end when the person logs out."""

from __future__ import annotations

import io
import re

import pytest

from .example_marketplace import csrf_token_of, demo_marketplace, log_in
from .helpers import form_inputs, row_counts
from .test_database_errors import NOTHING_SAVED, connection_lost, failing

#: Addresses that browsers follow to another site (or run), as the server receives them:
#: browsers drop tabs and line breaks, and read a backslash as a slash.
ELSEWHERE = [
    "/\t/evil.example",  # ?next=/%09/evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "\\/evil.example",
    "\\\\/evil.example",
    "//evil.example",  # ?next=%2F%2Fevil.example
    " //evil.example",
    "\x00//evil.example",
    "https:evil.example",
    "http://evil.example",
    "https://evil.example\\@localhost",
    "http://localhost@evil.example",
    "http://[evil.example",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "%2F%2Fevil.example",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with demo_marketplace(tmp_path_factory.mktemp("demo")) as app:
        yield app


@pytest.fixture
def client(demo):
    return demo.test_client()


def log_in_going_to(client, target, *, raw=False):
    """Log Anna in from a login page whose address carries ``?next=target`` (``raw``: as
    typed in the address bar, percent-escapes and all)."""
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    form = {"csrf_token": token, "email": "anna@acme.example", "password": "demo"}
    if raw:
        return client.post(f"/login?next={target}", data=form)
    return client.post("/login", query_string={"next": target}, data=form)


def switch_language_going_to(client, target):
    token = csrf_token_of(client.get("/").get_data(as_text=True))
    return client.post("/language", data={"csrf_token": token, "locale": "en", "next": target})


@pytest.mark.parametrize("target", ELSEWHERE)
def test_logging_in_never_leads_to_another_site(client, target):
    response = log_in_going_to(client, target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/my"  # Anna's usual landing page


@pytest.mark.parametrize("target", ["/%09/evil.example", "%2F%2Fevil.example", "/%5C/evil.example"])
def test_an_escaped_address_in_the_login_link_never_leads_to_another_site(client, target):
    response = log_in_going_to(client, target, raw=True)
    assert response.headers["Location"] == "/my"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_switching_language_never_leads_to_another_site(client, target):
    response = switch_language_going_to(client, target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/my/support/tickets/3?x=1", "/my/support/tickets/3?x=1"),
        ("http://localhost/my/support/tickets/3?x=1", "/my/support/tickets/3?x=1"),
        ("  /my/support/\n", "/my/support/"),
    ],
)
def test_a_page_of_this_site_is_where_login_and_the_switcher_lead(client, target, kept):
    assert log_in_going_to(client, target).headers["Location"] == kept
    assert switch_language_going_to(client, target).headers["Location"] == kept


#: What a tampered form or session may carry where an id belongs: too large for any integer
#: column, or digits to ``str.isdigit`` that ``int`` refuses.
NOT_AN_ID = ["9" * 40, str(2**31), str(2**63), "²", "①", "١٢", "-1", "1.0"]


@pytest.mark.parametrize("order", NOT_AN_ID)
def test_a_ticket_about_an_order_id_that_names_no_order_is_refused_on_the_form(client, order):
    log_in(client, "anna@acme.example")
    form = form_inputs(client.get("/my/support/new").get_data(as_text=True), "/my/support/new")
    response = client.post(
        "/my/support/new",
        data={
            **form,
            "order": order,
            "category": "technical",
            "priority": "low",
            "subject": "Something is off",
            "issue_about": "A page shows an error.",
            "expected_outcome": "The page works.",
            "current_scenario": "Every time.",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<p class="ms-field-error" id="ms-order-error">' in page
    assert "Choose one of your active services." in page


@pytest.mark.parametrize("user_id", NOT_AN_ID)
def test_a_session_naming_no_account_is_a_visitor(client, user_id):
    log_in(client, "anna@acme.example")
    with client.session_transaction() as session:
        _, _, token = session["_user_id"].partition(":")
        session["_user_id"] = f"{user_id}:{token}"
    response = client.get("/my")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/").status_code == 200


def log_out(client):
    token = csrf_token_of(client.get("/my").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303


def is_logged_in(client):
    response = client.get("/my")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def with_cookie(demo, value, **headers):
    """Another browser that sends the session cookie ``value``."""
    browser = demo.test_client()
    browser.set_cookie("session", value)
    if headers:
        browser.environ_base.update(headers)
    return browser


def test_a_session_cookie_copied_before_logging_out_is_worthless_after(demo, client):
    log_in(client, "ben@birch.example")
    copied = client.get_cookie("session").value
    assert is_logged_in(with_cookie(demo, copied))
    log_out(client)
    assert not is_logged_in(client)
    response = with_cookie(demo, copied).get("/my")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    log_in(client, "ben@birch.example")  # and Ben logs in again as before
    assert is_logged_in(client)


def test_logging_out_ends_the_accounts_other_sessions_too(demo):
    laptop, phone = demo.test_client(), demo.test_client()
    log_in(laptop, "aino@acme.example")
    log_in(phone, "aino@acme.example")
    log_out(laptop)
    assert not is_logged_in(phone)


def test_logging_in_starts_a_fresh_session_that_keeps_the_chosen_language(client):
    page = client.get("/login").get_data(as_text=True)
    client.post("/language", data={"csrf_token": csrf_token_of(page), "locale": "es"})
    with client.session_transaction() as session:
        before = session["csrf_token"]
        session["cart"] = "left by whoever used this browser before"
    log_in(client, "lena@bergbau.example")  # no language of her own
    with client.session_transaction() as session:
        assert "cart" not in session
        assert session.get("csrf_token") != before
        assert session["locale"] == "es"
    assert '<html lang="es">' in client.get("/my").get_data(as_text=True)


def test_a_session_cookie_sent_from_another_browser_is_not_logged_in(demo):
    firefox = demo.test_client()
    firefox.environ_base["HTTP_USER_AGENT"] = "Firefox"
    log_in(firefox, "anna@acme.example")
    assert is_logged_in(firefox)
    copied = firefox.get_cookie("session").value
    assert not is_logged_in(with_cookie(demo, copied, HTTP_USER_AGENT="Chrome"))
    assert not is_logged_in(
        with_cookie(demo, copied, HTTP_USER_AGENT="Firefox", REMOTE_ADDR="10.9.8.7")
    )
    assert is_logged_in(with_cookie(demo, copied, HTTP_USER_AGENT="Firefox"))


def _new_ticket_form_of(client):
    """The new-ticket form as the browser sends it, its token and all."""
    page = client.get("/my/support/new").get_data(as_text=True)
    return {
        **form_inputs(page, "/my/support/new"),
        "order": "none",
        "category": "other",
        "priority": "medium",
        "subject": "The invoice shows the old address",
        "issue_about": "The invoice of November shows our old street address.",
    }


def _ticket_count(app):
    return row_counts(app)["support_ticket"]


@pytest.mark.parametrize("token", ["forged", ""])
def test_a_form_the_hosts_csrf_check_refuses_gets_the_modules_page_in_the_persons_language(
    demo, client, token
):
    # the example marketplace has Flask-WTF's CSRFProtect: it refuses the form before the
    # module is asked, and the module answers in the person's language, in the host's layout
    log_in(client, "anna@acme.example")
    client.post(
        "/language",
        data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True)), "locale": "de"},
    )
    before = _ticket_count(demo)
    response = client.post(
        "/my/support/new", data={**_new_ticket_form_of(client), "csrf_token": token}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dieses Formular ist abgelaufen." in page
    assert 'href="/my/support/">Zurück zu meinen Tickets</a>' in page
    assert "Nordic Cloud Market" in page  # the host's layout
    assert "CSRF" not in page
    assert _ticket_count(demo) == before


def test_the_same_form_with_its_token_opens_the_ticket(demo, client):
    log_in(client, "anna@acme.example")
    before = _ticket_count(demo)
    response = client.post("/my/support/new", data=_new_ticket_form_of(client))
    assert response.status_code == 303
    assert _ticket_count(demo) == before + 1


def test_where_support_is_off_a_refused_form_is_not_found_like_every_address_of_the_module(
    client,
):
    log_in(client, "hugo@quay.example")  # Harbor Services has no support
    response = client.post("/my/support/new", data={"csrf_token": "forged"})
    assert response.status_code == 404
    assert "abgelaufen" not in response.get_data(as_text=True)
    assert "expired" not in response.get_data(as_text=True)


def test_the_first_form_of_a_page_says_where_its_tokens_are_renewed_and_how_often(client):
    log_in(client, "anna@acme.example")
    form_page = client.get("/my/support/new").get_data(as_text=True)
    assert form_page.count("data-ms-renew=") == 1
    assert 'data-ms-renew="/my/support/form-token 1800"' in form_page  # half an hour's life
    # a page without a form of ours carries nothing for it
    assert "data-ms-renew" not in client.get("/my/support/").get_data(as_text=True)


def test_a_fresh_token_is_one_the_forms_accept(demo, client):
    log_in(client, "aino@acme.example")  # not Anna: her new tickets here reach her limit
    response = client.get("/my/support/form-token")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    before = _ticket_count(demo)
    form = {**_new_ticket_form_of(client), "csrf_token": response.get_json()["csrf_token"]}
    assert client.post("/my/support/new", data=form).status_code == 303
    assert _ticket_count(demo) == before + 1


def test_where_tokens_never_expire_nothing_is_renewed(demo, client):
    log_in(client, "anna@acme.example")
    demo.config["WTF_CSRF_TIME_LIMIT"] = None
    try:
        page = client.get("/my/support/new").get_data(as_text=True)
    finally:
        demo.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert "data-ms-renew" not in page


# -- a refused form from a page of this site comes back with what was typed ------------------

#: how a browser says where a form it posts comes from (the test client's site is localhost)
FROM_THIS_SITE = [{"Origin": "http://localhost"}, {"Referer": "http://localhost/my/support/new"}]
#: a form another site (or a sandboxed frame) makes the browser post, or one that says nothing
NOT_FROM_THIS_SITE = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost:8080"},
    {"Referer": "https://evil.example/my/support/new"},
    {},
    # not addresses at all
    {"Origin": "http://[localhost"},
    {"Origin": "http://localhost:abc"},
    {"Referer": "http://localhost:99999/my/support/new"},
]


def _first_ticket(client, area=""):
    """The number of the first ticket on the person's list (``area``: "provider/", ...)."""
    page = client.get(f"/my/support/{area}").get_data(as_text=True)
    return int(re.search(rf'href="/my/support/{area}tickets/(\d+)"', page).group(1))


def _only_expired(response, sent):
    """The "expired" page (400), without ``sent``: a refused form that does not come back."""
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has expired. Go back, reload the page and send it again." in page
    assert sent not in page


@pytest.mark.parametrize("headers", FROM_THIS_SITE)
def test_a_new_ticket_refused_for_its_token_comes_back_with_what_was_typed(demo, client, headers):
    log_in(client, "aino@acme.example")  # German
    form = _new_ticket_form_of(client)
    before = row_counts(demo)
    response = client.post(
        "/my/support/new", data={**form, "csrf_token": "expired"}, headers=headers
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dieses Formular war abgelaufen, deshalb wurde nichts gesendet." in page
    assert 'value="The invoice shows the old address"' in page
    assert "The invoice of November shows our old street address.</textarea>" in page
    assert row_counts(demo) == before  # nothing written
    # the page came back with a fresh token and the same form: one click sends it
    again = {**form, **form_inputs(page, "/my/support/new")}
    assert again["submission_key"] == form["submission_key"]
    assert client.post("/my/support/new", data=again).status_code == 303
    assert _ticket_count(demo) == before["support_ticket"] + 1


@pytest.mark.parametrize("headers", NOT_FROM_THIS_SITE)
def test_a_form_refused_for_its_token_from_anywhere_else_is_not_shown_to_the_person(
    demo, client, headers
):
    # another site cannot put words in a form for the person to send: it gets the
    # "expired" page, and what it sent is not on it
    log_in(client, "ben@birch.example")
    before = row_counts(demo)
    response = client.post(
        "/my/support/new",
        data={**_new_ticket_form_of(client), "csrf_token": "forged"},
        headers=headers,
    )
    _only_expired(response, "old street address")
    assert row_counts(demo) == before


def test_a_reply_refused_for_its_token_comes_back_with_the_reply(demo, client):
    log_in(client, "anna@acme.example")
    switch_language_going_to(client, "/")  # English, whatever another test chose for Anna
    number = _first_ticket(client)
    page = client.get(f"/my/support/tickets/{number}").get_data(as_text=True)
    form = {**form_inputs(page, f"/tickets/{number}/reply"), "body": "The router restarted twice."}
    before = row_counts(demo)
    response = client.post(
        f"/my/support/tickets/{number}/reply",
        data={**form, "csrf_token": "expired", "attachments": (io.BytesIO(b"png"), "a.png")},
        headers=FROM_THIS_SITE[0],
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "This form had expired, so nothing was sent. Check what you wrote, attach your files "
        "again and send it." in page
    )
    assert ">The router restarted twice.</textarea>" in page
    assert row_counts(demo) == before


def test_a_staff_reply_refused_for_its_token_comes_back_with_the_reply(demo, client):
    log_in(client, "pia@nimbus.example")
    number = _first_ticket(client, "provider/")
    page = client.get(f"/my/support/provider/tickets/{number}").get_data(as_text=True)
    form = {**form_inputs(page, "/compose"), "body": "We are replacing the disk tonight."}
    before = row_counts(demo)
    response = client.post(
        f"/my/support/provider/tickets/{number}/compose",
        data={**form, "csrf_token": "expired"},
        headers=FROM_THIS_SITE[0],
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form had expired, so nothing was sent. Check what you wrote and send" in page
    assert ">We are replacing the disk tonight.</textarea>" in page
    assert row_counts(demo) == before


def test_a_refused_form_about_a_ticket_the_person_cannot_see_is_only_expired(demo, client):
    log_in(client, "pia@nimbus.example")
    number = _first_ticket(client, "provider/")
    log_in(client, "ben@birch.example")  # another organisation's customer
    response = client.post(
        f"/my/support/tickets/{number}/reply",
        data={"csrf_token": "expired", "body": "Not mine"},
        headers=FROM_THIS_SITE[0],
    )
    _only_expired(response, "Not mine")


def test_a_refused_form_sent_after_logging_out_is_only_expired(client):
    response = client.post(
        "/my/support/new",
        data={"csrf_token": "expired", "subject": "Written before logging out"},
        headers=FROM_THIS_SITE[0],
    )
    _only_expired(response, "Written before logging out")


def test_a_connection_lost_while_a_refused_form_is_shown_again_is_the_database_page(demo, client):
    # shown again from the error handler of the host's CSRFProtect, where an error raised
    # would not reach its own handler: the database's page (503), not a 500
    log_in(client, "pia@nimbus.example")
    number = _first_ticket(client, "provider/")
    data = {"csrf_token": "expired", "body": "Still broken"}
    address = f"/my/support/provider/tickets/{number}/compose"
    with failing(demo, r"SELECT .*support_message", connection_lost):
        response = client.post(address, data=data, headers=FROM_THIS_SITE[0])
    assert response.status_code == 503
    assert NOTHING_SAVED in response.get_data(as_text=True)
    again = client.post(address, data=data, headers=FROM_THIS_SITE[0])
    assert again.status_code == 400
    assert ">Still broken</textarea>" in again.get_data(as_text=True)


def test_a_connection_lost_while_a_refused_form_is_answered_is_the_database_page(demo, client):
    # who is asking (the host's account) is read only when the refusal is answered
    log_in(client, "pia@nimbus.example")
    with failing(demo, r'SELECT "?user"?\.', connection_lost):  # PostgreSQL quotes "user"
        response = client.post("/my/support/new", data={"csrf_token": "expired"})
    assert response.status_code == 503
    assert NOTHING_SAVED in response.get_data(as_text=True)
