"""A session token for each account

Part of every session's id; a new one at logout ends the account's sessions, so a copied
session cookie no longer logs anyone in.

Revision ID: host_0002
Revises: host_0001
Create Date: 2026-11-30 04:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "host_0002"
down_revision: str | Sequence[str] | None = "host_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: A random session token (64 characters), made by the database: one UPDATE, which an
#: offline (``--sql``) script can hold too.
RANDOM_TOKEN = {
    "sqlite": "lower(hex(randomblob(32)))",
    "postgresql": "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')",
}


def upgrade() -> None:
    """Upgrade schema."""
    dialect = op.get_context().dialect.name
    if dialect not in RANDOM_TOKEN:
        raise NotImplementedError(f"host_0002 knows no random function of {dialect}: add one")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    # each existing account gets a random token of its own, as new accounts do: a token anyone
    # could guess would help whoever learns the secret key to forge a session
    user = sa.table("user", sa.column("session_token", sa.String(length=64)))
    op.execute(user.update().values(session_token=sa.literal_column(RANDOM_TOKEN[dialect])))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_token")
