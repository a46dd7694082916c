"""Alembic environment for writing the module's own revisions (developers only).

Used by ``scripts/revision.py``; hosts never run it: they add our versions folder to their
own Alembic setup.
"""

from alembic import context
from sqlalchemy import TypeDecorator, engine_from_config, pool

from marketplace_support import SupportBase
from marketplace_support.search import POSTGRESQL_ONLY_INDEXES


def render_item(type_, obj, autogen_context):
    # revisions must not import our models, which change: a column type of ours is written
    # as the plain type it stores (UTCDateTime: DateTime(timezone=True); PriorityRank: Integer)
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


config = context.config
engine = engine_from_config(
    config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool
)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SupportBase.metadata,
        # ours, except SQLite's FTS5 tables of the search (made by search.py's DDL, not models)
        include_name=lambda name, type_, parent: (
            type_ != "table" or (name.startswith("support_") and "_fts" not in name)
        ),
        # the scratch database is SQLite: the search's PostgreSQL indexes are not missing there
        include_object=lambda obj, name, type_, reflected, compare_to: (
            not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)
        ),
        render_as_batch=True,
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
