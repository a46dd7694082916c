"""Write a new Alembic revision of the module's schema from the models (developers only).

    python scripts/revision.py "add internal notes"

It upgrades a scratch SQLite database to our newest revision, compares it with the models
and writes the difference into ``marketplace_support/migrations/versions``. Read the file
it writes before committing it.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from marketplace_support.migrations import BRANCH_LABEL, VERSIONS_DIRECTORY


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "support_alembic"))
        config.set_main_option("version_locations", VERSIONS_DIRECTORY)
        config.set_main_option("path_separator", "os")
        config.set_main_option("sqlalchemy.url", f"sqlite:///{scratch}/scratch.db")
        config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
        heads = ScriptDirectory.from_config(config).get_heads()
        number = 1 + max((int(re.sub(r"\D", "", h)) for h in heads), default=0)
        command.upgrade(config, "heads")
        command.revision(
            config,
            message=message,
            autogenerate=True,
            rev_id=f"support_{number:04d}",
            head=f"{BRANCH_LABEL}@head" if heads else "base",
            branch_label=None if heads else BRANCH_LABEL,
            version_path=VERSIONS_DIRECTORY,
        )


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
