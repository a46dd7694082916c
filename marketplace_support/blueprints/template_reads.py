"""What a template reads from its context, for the kept parts' check (``fragments.py``).

A template is followed into the templates it imports, but only into the macros it calls:
a kept reply form that calls ``m.message_form`` reads what that macro (and the macros it
calls) reads, not what every macro of ``_macros.html`` does (one of them reads the clock).
A template imported under a name used in any other way than ``name.macro(...)``, included or
extended is read whole. Each template is parsed once per process, without the app's globals,
filters and tests: Jinja counts an app's globals (``request``) as known, and refuses a filter
it does not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jinja2 import Environment, meta, nodes

#: the macros of a template that are used (None: all of them, and everything else it holds)
Used = frozenset[str] | None

#: a template a template reads from: its name (None: one worked out as it renders) and the
#: macros of it that are used
Reference = tuple[str | None, Used]


def reads(environment: Environment, name: str) -> frozenset[str] | str:
    """The names that template ``name`` (and what it uses of the templates it imports,
    includes or extends) reads from its context, or why it cannot be told (a template named
    as it renders)."""
    loader = environment.loader
    if loader is None:  # Flask's environments have one; without it nothing can be read
        return "no template loader"
    syntax = _syntax(environment)
    seen: set[tuple[str, Used]] = set()
    read_all: set[str] = set()
    waiting: list[tuple[str, Used]] = [(name, None)]
    while waiting:
        current = waiting.pop()
        if current in seen:
            continue
        seen.add(current)
        source = loader.get_source(environment, current[0])[0]
        read, referenced = _read_by(source, syntax, current[1])
        read_all |= read
        for template, used in referenced:
            if template is None:
                return f"{current[0]} imports a template by a name it works out"
            waiting.append((template, used))
    return frozenset(read_all)


class _AnyName(dict[str, Any]):
    """Filters or tests by any name, for reading a template's names only: Jinja asks whether
    one exists, and for it."""

    def __contains__(self, name: object) -> bool:
        return True

    def get(self, name: str, default: Any = None) -> Any:
        return _any


def _any(*args: Any, **kwargs: Any) -> None:
    return None


#: the settings, besides a template's source, that decide how Jinja parses it
_SYNTAX = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
)


def _syntax(environment: Environment) -> tuple[Any, ...]:
    return (
        tuple(sorted(environment.extensions)),
        tuple((setting, getattr(environment, setting)) for setting in _SYNTAX),
    )


@lru_cache(maxsize=128)
def _read_by(
    source: str, syntax: tuple[Any, ...], used: Used
) -> tuple[frozenset[str], tuple[Reference, ...]]:
    """The names a template's ``source`` reads from its context where the macros ``used``
    are called (None: where it is rendered or imported whole), and the templates it reads
    from with the macros of each it calls."""
    extensions, settings = syntax
    bare = Environment(extensions=extensions, **dict(settings))
    bare.globals = {}
    # the app's own filters and tests (``ms_time_tag``) are not names a template reads
    bare.filters = bare.tests = _AnyName()
    parsed = bare.parse(source)
    macros = {node.name: node for node in parsed.body if isinstance(node, nodes.Macro)}
    rest = [node for node in parsed.body if not isinstance(node, nodes.Macro)]
    # the template's own lines run where it is imported too: only its macros are left out
    reached = set(macros) if used is None else {m for m in used if m in macros}
    while True:
        body = [*rest, *(macros[m] for m in sorted(reached))]
        part = nodes.Template(body, lineno=1)
        part.set_environment(bare)
        read = meta.find_undeclared_variables(part)
        calls = (read & macros.keys()) - reached  # a macro calling another of its template
        if not calls:
            return frozenset(read - macros.keys()), tuple(_references(body))
        reached |= calls


def _references(body: list[nodes.Node]) -> Iterator[Reference]:
    """The templates the nodes of ``body`` import, include or extend, with the macros of each
    they call (None: all of it)."""
    kinds = (nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends)
    for node in body:
        # ``find_all`` looks below a node: a top-level ``{% import %}`` is a node of the body
        for found in (
            [node, *node.find_all(kinds)] if isinstance(node, kinds) else node.find_all(kinds)
        ):
            named: Any = getattr(found, "template", None)
            template = named.value if isinstance(named, nodes.Const) else None
            if isinstance(found, nodes.Import):
                yield template, _called(body, found.target)
            elif isinstance(found, nodes.FromImport):
                yield template, frozenset(n if isinstance(n, str) else n[0] for n in found.names)
            else:
                yield template, None


def _called(body: list[nodes.Node], alias: str) -> Used:
    """The macros called through ``alias`` (``{% import ... as alias %}``): those named as
    ``alias.name``; None where the alias is used in any other way."""
    named: set[str] = set()
    attributes = 0
    for node in body:
        for found in node.find_all(nodes.Getattr):
            if isinstance(found.node, nodes.Name) and found.node.name == alias:
                named.add(found.attr)
                attributes += 1
    uses = sum(1 for node in body for found in node.find_all(nodes.Name) if found.name == alias)
    return frozenset(named) if uses == attributes else None
