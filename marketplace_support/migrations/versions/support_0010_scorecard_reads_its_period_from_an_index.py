"""The scorecard reads the tickets opened in its period from an index, the operator's (the
tenant's) and a provider's, instead of every ticket of the tenant.

Revision ID: support_0010
Revises: support_0009
Create Date: 2026-11-30 09:40:09.944658

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0010"
down_revision: str | Sequence[str] | None = "support_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_ticket_provider_opened",
            ["tenant_id", "provider_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_support_ticket_tenant_opened", ["tenant_id", "created_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_support_ticket_tenant_opened")
        batch_op.drop_index("ix_support_ticket_provider_opened")
