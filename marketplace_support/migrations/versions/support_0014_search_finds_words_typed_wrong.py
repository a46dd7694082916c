"""Search finds words typed wrong in descriptions and the conversation ("conection" finds
"connection") from trigram indexes of what each ticket is about and of the messages on
PostgreSQL (``search.py``); SQLite has no such matching.

Revision ID: support_0014
Revises: support_0013
Create Date: 2026-11-30 11:20:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0014"
down_revision: str | Sequence[str] | None = "support_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_support_ticket_issue_about_trgm ON support_ticket"
        " USING gin (issue_about gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_support_message_body_trgm ON support_message USING gin (body gin_trgm_ops)"
    )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_support_message_body_trgm")
    op.execute("DROP INDEX ix_support_ticket_issue_about_trgm")
