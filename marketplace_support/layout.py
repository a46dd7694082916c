"""The host's layout: support pages extend it (``SUPPORT_BASE_TEMPLATE``), and it must give
them the blocks they fill. A layout without one still renders, silently without the
module's styles or without the page: say so once, in the log, the first time a page is shown.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import Environment, TemplateNotFound, nodes

#: the blocks a host's layout must define: the page title, the module's stylesheet and
#: script, and the page itself
REQUIRED_BLOCKS = ("title", "head", "content")


def missing_blocks(environment: Environment, name: str) -> list[str]:
    """The required blocks that ``name`` and the layouts it extends do not define.

    Raises: TemplateNotFound.
    """
    assert environment.loader is not None
    found: set[str] = set()
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current not in seen:
        seen.add(current)
        source, _, _ = environment.loader.get_source(environment, current)
        tree = environment.parse(source)
        found |= {block.name for block in tree.find_all(nodes.Block)}
        extends = tree.find(nodes.Extends)
        template = extends.template if extends is not None else None
        current = template.value if isinstance(template, nodes.Const) else None
    return [block for block in REQUIRED_BLOCKS if block not in found]


def check(app: Flask) -> None:
    """Log what is wrong with the host's layout, if anything (once per app)."""
    name = app.config["SUPPORT_BASE_TEMPLATE"]
    try:
        missing = missing_blocks(app.jinja_env, name)
    except TemplateNotFound:
        app.logger.error(
            "marketplace_support: the layout SUPPORT_BASE_TEMPLATE=%r is not found in any "
            "templates folder",
            name,
        )
        return
    if missing:
        app.logger.warning(
            "marketplace_support: the layout %r defines no block %s; support pages fill "
            "title, head (the module's stylesheet and script) and content, and show without "
            "what goes into a missing block",
            name,
            ", ".join(repr(block) for block in missing),
        )
