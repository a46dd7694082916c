"""Fail when a function of the package or the example host is too long or too tangled.

    python scripts/complexity.py [PATH ...]

Limits: at most 60 lines per function and a cyclomatic complexity (radon's) of at most 12.
Alembic revisions are left out: they are written once, by a tool, and never read as code.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from radon.complexity import cc_visit

MAX_LINES = 60
MAX_COMPLEXITY = 12
DEFAULT_PATHS = ("marketplace_support", "example_host")


def problems(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    found = []
    for block in cc_visit(source):
        if block.complexity > MAX_COMPLEXITY:
            found.append(
                f"{path}:{block.lineno} {block.fullname}: complexity {block.complexity} "
                f"(at most {MAX_COMPLEXITY})"
            )
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_LINES:
                found.append(f"{path}:{node.lineno} {node.name}: {length} lines (at most 60)")
    return found


def main(paths: list[str]) -> int:
    files = sorted(
        file
        for root in paths or DEFAULT_PATHS
        for file in Path(root).rglob("*.py")
        if "versions" not in file.parts
    )
    found = [problem for file in files for problem in problems(file)]
    print("\n".join(found) or f"{len(files)} files: every function within the limits")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
