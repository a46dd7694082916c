""" "Shared with me" skips the reader's own tickets inside the index of an organisation's
shared tickets: an organisation that shares all its tickets no longer hands the count every
ticket the reader opened, each looked up in the table and left out.

Revision ID: support_0013
Revises: support_0012
Create Date: 2026-11-30 11:30:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0013"
down_revision: str | Sequence[str] | None = "support_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_support_ticket_organisation_shared"


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index(_NAME, table_name="support_ticket")
    op.create_index(
        _NAME,
        "support_ticket",
        ["tenant_id", "organisation_id", "shared_with_organisation", "requester_user_id"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(_NAME, table_name="support_ticket")
    op.create_index(
        _NAME,
        "support_ticket",
        ["tenant_id", "organisation_id", "shared_with_organisation", "updated_at", "id"],
        unique=False,
    )
