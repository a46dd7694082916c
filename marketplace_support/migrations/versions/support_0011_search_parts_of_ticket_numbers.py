"""Search finds a ticket by a part of its number ("4021" of #40213) from a trigram index on
PostgreSQL (``search.py``); SQLite reads its tickets for it.

Revision ID: support_0011
Revises: support_0010
Create Date: 2026-11-30 10:05:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0011"
down_revision: str | Sequence[str] | None = "support_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_support_ticket_number_trgm ON support_ticket"
        " USING gin (CAST(number AS TEXT) gin_trgm_ops)"
    )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_support_ticket_number_trgm")
