"""``flask --app example_host demo reset``: a fresh database with the demo data."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from marketplace_support import SupportBase, attachments
from marketplace_support.clock import now

from .demo import create_demo_data
from .models import db


def register(app: Flask) -> None:
    @app.cli.group()
    def demo() -> None:
        """The demo marketplaces."""

    @demo.command("reset")
    def reset() -> None:
        """Drop everything, upgrade to the newest schema (ours and the module's), add demo data."""
        engine = db.engine
        SupportBase.metadata.drop_all(engine)
        db.drop_all()
        if inspect(engine).has_table("alembic_version"):
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE alembic_version"))
        upgrade(revision="heads")
        create_demo_data()
        # the files of the tickets that were just dropped
        attachments.remove_orphans(timedelta(0), now())
        click.echo("Demo data created. Every demo account's password is 'demo'.")
