"""A session token for each account

Part of every session's id; a new one at logout ends the account's sessions, so a copied
session cookie no longer logs anyone in.

Revision ID: host_0002
Revises: host_0001
Create Date: 2026-12-01 10:00:00.000000

"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "host_0002"
down_revision: str | Sequence[str] | None = "host_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    # each existing account gets a random token of its own, as new accounts do: a token anyone
    # could guess would help whoever learns the secret key to forge a session
    user = sa.table("user", sa.column("id", sa.Integer()), sa.column("session_token"))
    connection = op.get_bind()
    ids = connection.scalars(sa.select(user.c.id)).all()
    if ids:
        connection.execute(
            user.update()
            .where(user.c.id == sa.bindparam("account"))
            .values(session_token=sa.bindparam("token")),
            [{"account": account, "token": secrets.token_urlsafe(32)} for account in ids],
        )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_token")
