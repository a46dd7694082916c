"""schemathesis against the API's own OpenAPI document: requests generated from the document, as
provider staff and as the operator (each with their token, then with their session and its
CSRF token) and as a customer (with their session), on a desk with tickets of both; no answer
is a server error, and every answer matches what the document says of it."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from marketplace_support.workflow import Role

from .api_calls import token
from .conftest import examples, login
from .helpers import open_ticket

pytestmark = pytest.mark.slow

DOCUMENT = "/support/api/v1/openapi.json"


@pytest.fixture
def desk(app, client, marketplace):
    """A ticket for Nimbus and one for Post & Co; ``desk(user_id, role)``: that person's
    Authorization header."""
    login(client, "alice")
    open_ticket(client, order="o-hosting")
    open_ticket(client, order="o-mail")
    return lambda user_id, role: {
        "Authorization": f"Bearer {token(app, marketplace, user_id, role)}"
    }


SETTINGS = settings(
    max_examples=examples(25),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_every_operation(app, headers: dict[str, str]) -> int:
    """Each operation of the served document, with requests schemathesis makes from it;
    returns how many operations there are."""
    schema = schemathesis.openapi.from_wsgi(DOCUMENT, app)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @SETTINGS
        def answers_as_documented(case) -> None:
            response = case.call(headers=headers)
            # every call carries the person's valid token (the refusals of bad ones are
            # tested in tests/test_api_tokens.py): an answer to it is not "ignored auth"; and
            # values the document cannot describe (a page link is opaque, a provider or an
            # assignee must be one of the tenant's) are refused as it documents (400, 422),
            # not accepted
            case.validate_response(
                response, excluded_checks=[ignored_auth, positive_data_acceptance]
            )

        answers_as_documented()
    return len(operations)


@pytest.mark.parametrize(("user_id", "role"), [("pete", Role.PROVIDER), ("olive", Role.OPERATOR)])
def test_every_answer_is_documented_and_none_is_a_server_error(app, desk, user_id, role):
    assert check_every_operation(app, desk(user_id, role)) >= 4


@pytest.mark.parametrize("user_id", ["alice", "pete", "olive"])
def test_every_answer_to_a_session_is_documented_and_none_is_a_server_error(
    app, desk, marketplace, user_id
):
    """A customer (whose routes are ``/my/...``) and staff, each with the host's session: the
    cookie and the session's CSRF token, as a page's script sends them."""
    browser = app.test_client()
    login(browser, user_id)
    me = browser.get("/support/api/v1/me")
    assert me.status_code == 200
    cookie = browser.get_cookie("session")
    assert cookie is not None
    headers = {"Cookie": f"session={cookie.value}", "X-CSRFToken": me.get_json()["csrf_token"]}
    assert check_every_operation(app, headers) >= 14
