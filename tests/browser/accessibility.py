"""axe-core (from the npm registry, ``tests/browser/axe``) run on a page: what counts as a
violation, and how a failure describes it. The ``axe_source`` fixture is in conftest.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

#: What counts: everything but "minor".
IMPACTS = ("critical", "serious", "moderate")


def violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in IMPACTS]


def describe(found: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']}: {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in found
    )
