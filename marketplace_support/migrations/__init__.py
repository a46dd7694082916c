"""The schema's Alembic revisions, shipped in the package under the branch label
``marketplace_support``.

A host adds :data:`VERSIONS_DIRECTORY` to its Alembic ``version_locations`` and runs
``flask db upgrade heads`` (see the README). :func:`is_support_table` keeps the host's own
autogenerate from touching our tables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

VERSIONS_DIRECTORY = str(Path(__file__).parent / "versions")
BRANCH_LABEL = "marketplace_support"


def is_support_table(name: str | None, type_: str) -> bool:
    """Whether Alembic's autogenerate object ``name`` of kind ``type_`` is one of ours."""
    return type_ == "table" and name is not None and name.startswith("support_")


def include_host_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """An ``include_object`` for the host's autogenerate: everything except our tables."""
    if type_ == "table":
        return not is_support_table(name, type_)
    table = getattr(obj, "table", None)
    return not (table is not None and is_support_table(table.name, "table"))


def add_version_location(config: Any) -> Any:
    """Add our revisions to an Alembic config, beside the host's own ``versions`` folder.

    Made for Flask-Migrate: ``migrate.configure(add_version_location)``. Works with any
    ``alembic.config.Config`` whose ``script_location`` is set. Returns the config.
    """
    own = config.get_main_option("version_locations") or str(
        Path(config.get_main_option("script_location")) / "versions"
    )
    locations = [location for location in own.split(os.pathsep) if location]
    if VERSIONS_DIRECTORY not in locations:
        locations.append(VERSIONS_DIRECTORY)
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config
