"""The shipped Alembic revisions build exactly the tables the models describe, beside a host's
own migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from example_host import create_app
from example_host.models import db as host_db
from marketplace_support import SupportBase
from marketplace_support.search import POSTGRESQL_ONLY_INDEXES

from .conftest import empty_database

# Alembic up and down on fresh databases
pytestmark = pytest.mark.slow


@pytest.fixture
def host_app(tmp_path):
    with empty_database(tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        yield app
        with app.app_context():
            host_db.engine.dispose()


def differences(engine, metadata):
    """What autogenerate would change to make the database match ``metadata``'s tables."""
    tables = set(metadata.tables)

    def only_these_tables(name, type_, parent_names):
        return type_ != "table" or name in tables

    def built_here(obj, name, type_, reflected, compare_to):
        # the search's PostgreSQL indexes are not built on SQLite (it has FTS5 tables)
        postgresql_only = type_ == "index" and name in POSTGRESQL_ONLY_INDEXES
        return engine.dialect.name == "postgresql" or not postgresql_only

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": only_these_tables,
                "include_object": built_here,
            },
        )
        return compare_metadata(context, metadata)


# the search indexes are expressions only PostgreSQL builds (search.py); alembic says it cannot
# compare expression indexes on SQLite
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_upgrading_heads_builds_the_modules_and_the_hosts_tables_as_modelled(host_app):
    with host_app.app_context():
        upgrade(revision="heads")
        assert differences(host_db.engine, SupportBase.metadata) == []
        assert differences(host_db.engine, host_db.metadata) == []


def test_the_modules_branch_downgrades_alone(host_app):
    with host_app.app_context():
        upgrade(revision="heads")
        downgrade(revision="marketplace_support@base")
        tables = set(sa.inspect(host_db.engine).get_table_names())
        assert not {t for t in tables if t.startswith("support_")}
        assert {"tenant", "user", "service_order"} <= tables
        upgrade(revision="heads")
        assert "support_ticket" in sa.inspect(host_db.engine).get_table_names()
