"""Indexes for My Page → Support: a customer's two tab counts are read from an index of
their own tickets, and "Shared with me" from the organisation's shared tickets and the
customer's shares, never from all of the tenant's tickets.

Revision ID: support_0002
Revises: support_0001
Create Date: 2026-11-22 02:57:57.048845

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0002"
down_revision: str | Sequence[str] | None = "support_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_ticket_organisation_shared",
            ["tenant_id", "organisation_id", "shared_with_organisation", "updated_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_support_ticket_requester_status",
            ["tenant_id", "requester_user_id", "status"],
            unique=False,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_support_ticket_requester_status")
        batch_op.drop_index("ix_support_ticket_organisation_shared")
