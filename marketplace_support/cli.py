"""``flask support ...``: the module's commands for cron and operators."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from . import attachments
from .clock import now

support_cli = AppGroup("support", help="The marketplace support desk.")


@support_cli.command("clean-attachments")
@click.option(
    "--older-than",
    default=60,
    show_default=True,
    help="Minutes a stored file must be old before it may be removed.",
)
def clean_attachments(older_than: int) -> None:
    """Remove stored files that no attachment refers to (left by a request that died between
    storing a file and committing its ticket). Safe to run from cron at any time."""
    removed = attachments.remove_orphans(timedelta(minutes=older_than), now())
    click.echo(f"Removed {removed} stored file(s) that no attachment refers to.")
