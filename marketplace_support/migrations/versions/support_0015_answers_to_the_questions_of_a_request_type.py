"""Request types: the answers to a problem area's own questions, each with the question as it
was asked (support_ticket_answer), an index for the lists' filter by a choice, and the search
of their words (PostgreSQL: a GIN index as ``search.py`` writes it, and a trigram index for
words typed wrong; SQLite: an FTS5 table kept by triggers).

Revision ID: support_0015
Revises: support_0014
Create Date: 2026-11-30 11:08:21.959785

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0015"
down_revision: str | Sequence[str] | None = "support_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: as search.py's index writes it (frozen here: a later change gets a revision of its own)
POSTGRESQL = (
    "CREATE INDEX ix_support_ticket_answer_search ON support_ticket_answer USING gin "
    "((((((to_tsvector('simple'::regconfig, coalesce(text, '')) || "
    "to_tsvector('english'::regconfig, coalesce(text, ''))) || "
    "to_tsvector('german'::regconfig, coalesce(text, ''))) || "
    "to_tsvector('french'::regconfig, coalesce(text, ''))) || "
    "to_tsvector('spanish'::regconfig, coalesce(text, ''))) || "
    "to_tsvector('dutch'::regconfig, coalesce(text, ''))))"
)

#: the FTS5 table and its triggers, as search.fts_statements() writes them
SQLITE = [
    "CREATE VIRTUAL TABLE support_ticket_answer_fts USING fts5(text, "
    "content='support_ticket_answer', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER support_ticket_answer_fts_ai AFTER INSERT ON support_ticket_answer BEGIN "
    "INSERT INTO support_ticket_answer_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER support_ticket_answer_fts_ad AFTER DELETE ON support_ticket_answer BEGIN "
    "INSERT INTO support_ticket_answer_fts(support_ticket_answer_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER support_ticket_answer_fts_au AFTER UPDATE OF text ON support_ticket_answer "
    "BEGIN INSERT INTO support_ticket_answer_fts(support_ticket_answer_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); INSERT INTO support_ticket_answer_fts(rowid, text) "
    "VALUES (new.id, new.text); END",
]


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "support_ticket_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("choice", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_ticket.id"],
            name=op.f("fk_support_ticket_answer_ticket_id_support_ticket"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_ticket_answer")),
        sa.UniqueConstraint(
            "ticket_id", "key", name=op.f("uq_support_ticket_answer_ticket_id_key")
        ),
    )
    op.create_index(
        "ix_support_ticket_answer_choice",
        "support_ticket_answer",
        ["tenant_id", "key", "choice", "ticket_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL)
        op.execute(
            "CREATE INDEX ix_support_ticket_answer_text_trgm ON support_ticket_answer"
            " USING gin (text gin_trgm_ops)"
        )
        return
    for statement in SQLITE:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_support_ticket_answer_text_trgm")
        op.execute("DROP INDEX ix_support_ticket_answer_search")
    else:
        op.execute("DROP TABLE IF EXISTS support_ticket_answer_fts")
    op.drop_index("ix_support_ticket_answer_choice", table_name="support_ticket_answer")
    op.drop_table("support_ticket_answer")
