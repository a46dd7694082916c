"""Counts that stay cheap as a marketplace grows: the provider inbox's and the operator
console's counts read partial indexes of the active tickets (open, in progress, waiting for
the customer) instead of indexes of every ticket's status; the console's holds every column
its queues look at, so its counts read no table row.

Revision ID: support_0004
Revises: support_0003
Create Date: 2026-12-01 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0004"
down_revision: str | Sequence[str] | None = "support_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: as models.is_active() writes it (the statuses sorted)
ACTIVE = sa.text("status IN ('in_progress', 'open', 'waiting_for_customer')")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_support_ticket_provider_status")
        batch_op.drop_index("ix_support_ticket_tenant_status")
        batch_op.create_index(
            "ix_support_ticket_provider_active",
            ["tenant_id", "provider_id", "status"],
            unique=False,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        )
        batch_op.create_index(
            "ix_support_ticket_tenant_active",
            [
                "tenant_id",
                "status",
                "handler",
                "emergency",
                "escalated_at",
                "next_due_at",
                "order_id",
            ],
            unique=False,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_support_ticket_tenant_active")
        batch_op.drop_index("ix_support_ticket_provider_active")
        batch_op.create_index(
            "ix_support_ticket_tenant_status", ["tenant_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_support_ticket_provider_status",
            ["tenant_id", "provider_id", "status"],
            unique=False,
        )
