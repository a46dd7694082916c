"""Watchers keep what the access rules need to know of them (their customer account and
organisation, or the providers they work for), so each notification goes to a watcher only
while they may still see the ticket; a re-routing keeps the provider the ticket came from, so
that provider is told it moved; the files of a refused form are kept for its next submit; when
each person last looked at a ticket, so lists mark what changed since.

Watchers from before are filled in from their ticket as it is now: a customer who watches
belongs to the ticket's organisation (they could only see it as its requester or through a
share), provider staff to the ticket's provider.

Revision ID: support_0003
Revises: support_0002
Create Date: 2026-11-30 05:04:57.241583

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0003"
down_revision: str | Sequence[str] | None = "support_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("support_watcher", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("organisation_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("provider_ids", sa.Text(), nullable=True))
    with op.batch_alter_table("support_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_provider_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("from_name", sa.String(length=200), nullable=True))
    op.create_table(
        "support_draft_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("form_key", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_draft_file")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_support_draft_file_storage_key")),
    )
    with op.batch_alter_table("support_draft_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_draft_file_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_draft_file_tenant_id_user_id_form_key"),
            ["tenant_id", "user_id", "form_key"],
            unique=False,
        )
    op.create_table(
        "support_seen",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_ticket.id"],
            name=op.f("fk_support_seen_ticket_id_support_ticket"),
        ),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", name=op.f("pk_support_seen")),
    )
    watcher = sa.table(
        "support_watcher",
        sa.column("ticket_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("customer_id", sa.String),
        sa.column("organisation_id", sa.String),
        sa.column("provider_ids", sa.Text),
    )
    ticket = sa.table(
        "support_ticket",
        sa.column("id", sa.Integer),
        sa.column("customer_id", sa.String),
        sa.column("organisation_id", sa.String),
        sa.column("provider_id", sa.String),
    )

    def of_ticket(column: str) -> sa.ScalarSelect[str]:
        return (
            sa.select(ticket.c[column]).where(ticket.c.id == watcher.c.ticket_id).scalar_subquery()
        )

    op.execute(
        watcher.update()
        .where(watcher.c.role == "customer")
        .values(customer_id=of_ticket("customer_id"), organisation_id=of_ticket("organisation_id"))
    )
    op.execute(
        watcher.update()
        .where(watcher.c.role == "provider")
        .values(provider_ids=of_ticket("provider_id"))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("support_seen")
    op.drop_table("support_draft_file")
    with op.batch_alter_table("support_event", schema=None) as batch_op:
        batch_op.drop_column("from_name")
        batch_op.drop_column("from_provider_id")
    with op.batch_alter_table("support_watcher", schema=None) as batch_op:
        batch_op.drop_column("provider_ids")
        batch_op.drop_column("organisation_id")
        batch_op.drop_column("customer_id")
