"""Answers by e-mail: the mail that did not get onto a ticket, kept for the operator with
the reason (support_inbound_mail).

Revision ID: support_0008
Revises: support_0007
Create Date: 2026-11-30 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0008"
down_revision: str | Sequence[str] | None = "support_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = (
    "unreadable",
    "no_address",
    "forged",
    "expired",
    "wrong_sender",
    "lost_access",
    "refused",
    "too_large",
    "invalid",
    "too_many",
)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "support_inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("sent_to", sa.String(length=320), nullable=True),
        sa.Column("delivery_key", sa.String(length=64), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(*REASONS, name="quarantined", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=250), nullable=True),
        sa.Column("message_id", sa.String(length=250), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_ticket.id"],
            name=op.f("fk_support_inbound_mail_ticket_id_support_ticket"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_inbound_mail")),
        sa.UniqueConstraint("delivery_key", name=op.f("uq_support_inbound_mail_delivery_key")),
    )
    with op.batch_alter_table("support_inbound_mail", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_inbound_mail_tenant_id_id"), ["tenant_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_inbound_mail_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_inbound_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_inbound_mail_received_at"))
        batch_op.drop_index(batch_op.f("ix_support_inbound_mail_tenant_id_id"))
    op.drop_table("support_inbound_mail")
