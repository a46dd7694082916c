"""Search finds what people wrote: on PostgreSQL, GIN indexes of the tickets' subject and
description and of the messages, stemmed in every language the module ships (``search.py``
writes the same expression); on SQLite, FTS5 tables of them kept by triggers. Existing tickets
and messages are indexed by the upgrade.

Revision ID: support_0006
Revises: support_0005
Create Date: 2026-11-30 09:40:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "support_0006"
down_revision: str | Sequence[str] | None = "support_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: as search.py's indexes write them (frozen here: a later change gets a revision of its own)
POSTGRESQL = {
    "ix_support_message_search": "CREATE INDEX ix_support_message_search ON support_message USING "
    "gin ((((((to_tsvector('simple'::regconfig, coalesce(body, '')) "
    "|| to_tsvector('english'::regconfig, coalesce(body, ''))) || "
    "to_tsvector('german'::regconfig, coalesce(body, ''))) || "
    "to_tsvector('french'::regconfig, coalesce(body, ''))) || "
    "to_tsvector('spanish'::regconfig, coalesce(body, ''))) || "
    "to_tsvector('dutch'::regconfig, coalesce(body, ''))))",
    "ix_support_ticket_search": "CREATE INDEX ix_support_ticket_search ON support_ticket USING "
    "gin ((((((to_tsvector('simple'::regconfig, "
    "(((((coalesce(subject, '') || ' ') || coalesce(issue_about, '')) "
    "|| ' ') || coalesce(expected_outcome, '')) || ' ') || "
    "coalesce(current_scenario, '')) || "
    "to_tsvector('english'::regconfig, (((((coalesce(subject, '') || "
    "' ') || coalesce(issue_about, '')) || ' ') || "
    "coalesce(expected_outcome, '')) || ' ') || "
    "coalesce(current_scenario, ''))) || "
    "to_tsvector('german'::regconfig, (((((coalesce(subject, '') || ' "
    "') || coalesce(issue_about, '')) || ' ') || "
    "coalesce(expected_outcome, '')) || ' ') || "
    "coalesce(current_scenario, ''))) || "
    "to_tsvector('french'::regconfig, (((((coalesce(subject, '') || ' "
    "') || coalesce(issue_about, '')) || ' ') || "
    "coalesce(expected_outcome, '')) || ' ') || "
    "coalesce(current_scenario, ''))) || "
    "to_tsvector('spanish'::regconfig, (((((coalesce(subject, '') || "
    "' ') || coalesce(issue_about, '')) || ' ') || "
    "coalesce(expected_outcome, '')) || ' ') || "
    "coalesce(current_scenario, ''))) || "
    "to_tsvector('dutch'::regconfig, (((((coalesce(subject, '') || ' "
    "') || coalesce(issue_about, '')) || ' ') || "
    "coalesce(expected_outcome, '')) || ' ') || "
    "coalesce(current_scenario, ''))))",
}

#: the FTS5 tables and their triggers, as search.fts_statements() writes them
SQLITE = {
    "support_message": [
        "CREATE VIRTUAL TABLE support_message_fts USING fts5(body, "
        "content='support_message', content_rowid='id', tokenize='porter "
        "unicode61 remove_diacritics 2')",
        "CREATE TRIGGER support_message_fts_ai AFTER INSERT ON support_message "
        "BEGIN INSERT INTO support_message_fts(rowid, body) VALUES (new.id, "
        "new.body); END",
        "CREATE TRIGGER support_message_fts_ad AFTER DELETE ON support_message "
        "BEGIN INSERT INTO support_message_fts(support_message_fts, rowid, body) "
        "VALUES ('delete', old.id, old.body); END",
        "CREATE TRIGGER support_message_fts_au AFTER UPDATE OF body ON "
        "support_message BEGIN INSERT INTO "
        "support_message_fts(support_message_fts, rowid, body) VALUES ('delete', "
        "old.id, old.body); INSERT INTO support_message_fts(rowid, body) VALUES "
        "(new.id, new.body); END",
    ],
    "support_ticket": [
        "CREATE VIRTUAL TABLE support_ticket_fts USING fts5(subject, issue_about, "
        "expected_outcome, current_scenario, content='support_ticket', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER support_ticket_fts_ai AFTER INSERT ON support_ticket BEGIN "
        "INSERT INTO support_ticket_fts(rowid, subject, issue_about, "
        "expected_outcome, current_scenario) VALUES (new.id, new.subject, "
        "new.issue_about, new.expected_outcome, new.current_scenario); END",
        "CREATE TRIGGER support_ticket_fts_ad AFTER DELETE ON support_ticket BEGIN "
        "INSERT INTO support_ticket_fts(support_ticket_fts, rowid, subject, "
        "issue_about, expected_outcome, current_scenario) VALUES ('delete', "
        "old.id, old.subject, old.issue_about, old.expected_outcome, "
        "old.current_scenario); END",
        "CREATE TRIGGER support_ticket_fts_au AFTER UPDATE OF subject, "
        "issue_about, expected_outcome, current_scenario ON support_ticket BEGIN "
        "INSERT INTO support_ticket_fts(support_ticket_fts, rowid, subject, "
        "issue_about, expected_outcome, current_scenario) VALUES ('delete', "
        "old.id, old.subject, old.issue_about, old.expected_outcome, "
        "old.current_scenario); INSERT INTO support_ticket_fts(rowid, subject, "
        "issue_about, expected_outcome, current_scenario) VALUES (new.id, "
        "new.subject, new.issue_about, new.expected_outcome, "
        "new.current_scenario); END",
    ],
}


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL.values():
            op.execute(statement)
        return
    for table, statements in SQLITE.items():
        for statement in statements:
            op.execute(statement)
        op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRESQL:
            op.execute(f"DROP INDEX {name}")
        return
    for table in SQLITE:
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")
