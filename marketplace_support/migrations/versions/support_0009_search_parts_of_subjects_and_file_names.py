"""Search finds any part of a subject or of a file's name from an index on PostgreSQL: trigram
indexes (the pg_trgm extension, which a database owner may create since PostgreSQL 13). SQLite
reads its tickets for these as before.

Revision ID: support_0009
Revises: support_0008
Create Date: 2026-11-30 09:50:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0009"
down_revision: str | Sequence[str] | None = "support_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: as search.py's indexes write them
POSTGRESQL = {
    "ix_support_ticket_subject_trgm": (
        "CREATE INDEX ix_support_ticket_subject_trgm ON support_ticket"
        " USING gin (subject gin_trgm_ops)"
    ),
    "ix_support_attachment_filename_trgm": (
        "CREATE INDEX ix_support_attachment_filename_trgm ON support_attachment"
        " USING gin (filename gin_trgm_ops)"
    ),
}


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for statement in POSTGRESQL.values():
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema (the extension stays: other tables may use it)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in POSTGRESQL:
        op.execute(f"DROP INDEX {name}")
