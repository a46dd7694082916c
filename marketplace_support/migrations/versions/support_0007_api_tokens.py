"""API tokens for provider and operator staff (only a SHA-256 of each is kept), and the
Idempotency-Key of each API call that changed a ticket, with what it answered.

Revision ID: support_0007
Revises: support_0006
Create Date: 2026-11-30 08:35:38.273756

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0007"
down_revision: str | Sequence[str] | None = "support_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "support_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "customer",
                "provider",
                "operator",
                "system",
                name="role",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_support_api_token_token_hash")),
    )
    with op.batch_alter_table("support_api_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_api_token_tenant_id_user_id_role"),
            ["tenant_id", "user_id", "role"],
            unique=False,
        )

    op.create_table(
        "support_idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_idempotency_key")),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "key",
            name=op.f("uq_support_idempotency_key_tenant_id_user_id_key"),
        ),
    )
    with op.batch_alter_table("support_idempotency_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_idempotency_key_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_idempotency_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_idempotency_key_created_at"))

    op.drop_table("support_idempotency_key")
    with op.batch_alter_table("support_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_api_token_tenant_id_user_id_role"))

    op.drop_table("support_api_token")
