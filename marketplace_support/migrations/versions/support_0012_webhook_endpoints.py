"""Webhook endpoints of providers and the operator (URL, events, secret, delivery health),
webhook deliveries in the outbox (the endpoint each goes to and its last HTTP status), and
every try of each delivery for the endpoint's log.

Revision ID: support_0012
Revises: support_0011
Create Date: 2026-11-30 11:09:21.334836

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0012"
down_revision: str | Sequence[str] | None = "support_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "support_webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
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
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.String(length=300), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_webhook_endpoint")),
    )
    with op.batch_alter_table("support_webhook_endpoint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_webhook_endpoint_tenant_id_role_provider_id"),
            ["tenant_id", "role", "provider_id"],
            unique=False,
        )

    with op.batch_alter_table("support_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("response_status", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_support_outbox_endpoint_id_ticket_id_id"),
            ["endpoint_id", "ticket_id", "id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_support_outbox_endpoint_id_support_webhook_endpoint"),
            "support_webhook_endpoint",
            ["endpoint_id"],
            ["id"],
            ondelete="CASCADE",
        )

    op.create_table(
        "support_webhook_try",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("tried_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["support_webhook_endpoint.id"],
            name=op.f("fk_support_webhook_try_endpoint_id_support_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["support_outbox.id"],
            name=op.f("fk_support_webhook_try_outbox_id_support_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_webhook_try")),
    )
    with op.batch_alter_table("support_webhook_try", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_webhook_try_endpoint_id"), ["endpoint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_webhook_try_outbox_id_id"), ["outbox_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_webhook_try_tried_at"), ["tried_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_webhook_try", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_webhook_try_tried_at"))
        batch_op.drop_index(batch_op.f("ix_support_webhook_try_outbox_id_id"))
        batch_op.drop_index(batch_op.f("ix_support_webhook_try_endpoint_id"))

    op.drop_table("support_webhook_try")

    with op.batch_alter_table("support_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_support_outbox_endpoint_id_support_webhook_endpoint"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_support_outbox_endpoint_id_ticket_id_id"))
        batch_op.drop_column("response_status")
        batch_op.drop_column("endpoint_id")

    with op.batch_alter_table("support_webhook_endpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_webhook_endpoint_tenant_id_role_provider_id"))

    op.drop_table("support_webhook_endpoint")
