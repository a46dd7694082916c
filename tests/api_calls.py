"""Calling the API in tests: its address, a staff member's token, a session's CSRF header,
problem+json answers, counts of rows, and Hypothesis's hostile values for its inputs."""

from __future__ import annotations

from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace_support import SupportBase, api_tokens
from marketplace_support.workflow import Role

from .conftest import login

API = "/support/api/v1"


def token(app, marketplace, user_id: str, role: Role, scopes=("tickets:read", "tickets:write")):
    """A token of ``user_id`` made in the area of ``role`` (as the token page makes it)."""
    tenant_id, actor = marketplace.actors[user_id]
    form = {"name": "Bridge", "days": "30", "scopes": list(scopes)}
    with app.test_request_context():
        return api_tokens.make(tenant_id, actor, role, form).secret


def auth(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


def counted(app, model, *conditions) -> int:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        count = session.scalar(select(func.count()).select_from(model).where(*conditions))
        session.remove()
        return int(count or 0)


def assert_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"] == f"urn:marketplace-support:problem:{kind}"
    assert body["title"] and body["detail"]
    return body


def csrf(client) -> dict[str, str]:
    """The header a session's script sends with a change: the token ``/me`` gives."""
    me = client.get(f"{API}/me")
    assert me.status_code == 200, me.get_data(as_text=True)
    return {"X-CSRFToken": me.get_json()["csrf_token"]}


def signed_in(client, user_id: str) -> dict[str, str]:
    login(client, user_id)
    return csrf(client)


# -- hostile input --------------------------------------------------------------------------------

ANY_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "\x00", "٣", "²", "99999999999999999999", "-1", "#1", "t1.i2"]),
)
#: text only a JSON body carries (its "\ud800" escape): a lone surrogate, which no database
#: stores; a query string or a form cannot hold one
ANY_BODY_TEXT = st.one_of(ANY_TEXT, st.sampled_from(["\ud800", "a\udfffb"]))
ANY_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ANY_BODY_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(ANY_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)


def support_rows(app) -> dict[str, list[tuple[object, ...]]]:
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        try:
            return {
                table.name: [tuple(row) for row in session.execute(select(table))]
                for table in SupportBase.metadata.sorted_tables
                if table.name != "support_api_token"  # its "last used"
            }
        finally:
            session.remove()
