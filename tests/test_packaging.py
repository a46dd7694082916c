"""The wheel a host installs carries everything the module needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# builds the wheel with pip in a subprocess (and build/ in the work tree)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "marketplace_support" / "translations"


def test_the_wheel_carries_templates_static_files_catalogs_and_migrations(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("marketplace_support-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "marketplace_support/py.typed",
        "marketplace_support/templates/marketplace_support/base.html",
        "marketplace_support/templates/marketplace_support/customer/new_ticket.html",
        "marketplace_support/static/marketplace_support/support.css",
        "marketplace_support/static/marketplace_support/support.js",
    }
    assert expected <= names
    # every template (the e-mails' text parts too), static file and catalog in the repository
    for folder in ("templates", "static", "translations"):
        for path in (ROOT / "marketplace_support" / folder).rglob("*"):
            if path.is_file():
                shipped = path.relative_to(ROOT).as_posix()
                assert shipped in names, f"{shipped} is not in the wheel"
    # every language we ship, compiled
    languages = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/*.po")}
    assert {"de", "fr", "es", "nl"} <= languages
    for language in languages:
        assert (
            f"marketplace_support/translations/{language}/LC_MESSAGES/marketplace_support.mo"
            in names
        )
    shipped_revisions = {
        n for n in names if n.startswith("marketplace_support/migrations/versions/")
    }
    in_repo = {
        f"marketplace_support/migrations/versions/{p.name}"
        for p in (ROOT / "marketplace_support/migrations/versions").glob("*.py")
    }
    assert in_repo and in_repo <= shipped_revisions
    assert not any(n.startswith(("example_host/", "tests/")) for n in names)
