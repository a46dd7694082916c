"""The events of one change are written in one statement on every database: a column that
tells SQLAlchemy which id SQLite gave which row of a multi-row INSERT (PostgreSQL numbers
them in order already). Written by SQLAlchemy alone, never read.

Revision ID: support_0016
Revises: support_0015
Create Date: 2026-11-30 20:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0016"
down_revision: str | Sequence[str] | None = "support_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("support_event") as batch:
        batch.add_column(sa.Column("_sentinel", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_event") as batch:
        batch.drop_column("_sentinel")
