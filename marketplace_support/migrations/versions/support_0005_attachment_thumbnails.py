"""A large image's thumbnail is stored beside it (``thumbnails.py``): the attachment names its
key. Attachments stored before have none: their pages show the image itself, as before.

Revision ID: support_0005
Revises: support_0004
Create Date: 2026-11-30 09:02:43.014755

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0005"
down_revision: str | Sequence[str] | None = "support_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("support_attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thumbnail_key", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_support_attachment_thumbnail_key"), ["thumbnail_key"]
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("support_attachment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_support_attachment_thumbnail_key"), type_="unique")
        batch_op.drop_column("thumbnail_key")
