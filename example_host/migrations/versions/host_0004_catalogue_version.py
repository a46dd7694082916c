"""The tenant's catalogue version: raised with every change to its request types and texts,
so a process keeps them in memory until they change (``example_host/catalogue.py``)

Revision ID: host_0004
Revises: host_0003
Create Date: 2026-11-30 18:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "host_0004"
down_revision: str | Sequence[str] | None = "host_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(
            sa.Column("catalogue_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("catalogue_version")
