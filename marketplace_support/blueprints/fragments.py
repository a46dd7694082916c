"""Parts of a page that read the same for the same inputs, made once and then kept.

A list's heading, queue tabs and filter form are a sixth of a console page's CPU (40-odd
options, a dozen addresses, every label translated; ``bench/RESULTS.md``), and they change
only when what they show changes: the filters chosen, the counts, the tenant's problem areas,
the staff and providers to filter by. :func:`kept` renders such a part from its inputs alone
and keeps the result per app, language, tenant and area, keyed by the inputs' values; the
next page with the same inputs reuses it. A count that moves, a colleague added, a filter
chosen: different inputs, made again.

A kept part's template is rendered from its inputs and the language's words only (``_ms``,
``_ms_p``, ``_ms_n``, ``url_for``, ``ms_list_url``). This is checked on its first use: a
template that reads anything else (a host's override reading ``request``, say) is rendered
again on every page instead, and the log says why once.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from flask import current_app, request
from flask_babel.speaklater import LazyString
from jinja2 import Environment, meta
from jinja2.defaults import DEFAULT_NAMESPACE
from markupsafe import Markup

from ..i18n import localiser
from ..state import support

logger = logging.getLogger(__name__)

#: parts kept per app: a part is a few KiB
KEPT = 256

#: what a kept part may read besides its inputs (and Jinja's own ``range``, ``dict``, ...): the
#: language's words, and the addresses of the area (the same for the same app, area and
#: address, which are in the key)
LANGUAGE_AND_ADDRESSES = frozenset({"_ms", "_ms_p", "_ms_n", "url_for", "ms_list_url"})


def kept(name: str, **inputs: Any) -> Markup:
    """Template ``name`` rendered with ``inputs``, kept for the same inputs (compared by value:
    dicts, lists and tuples item by item, everything else by its hash) in the same app,
    language, tenant, area and address (script root, the values of the address's own parts).
    Inputs that cannot be compared so (a value without a hash) are rendered every time."""
    environment = current_app.jinja_env
    parts = _parts_of(environment)
    if environment.auto_reload or not parts.reads_only(name, frozenset(inputs)):
        return _made(environment, name, inputs)
    try:
        key = _Inputs(inputs)
    except TypeError:  # a value that cannot be a key (a host's own mapping, say): made anew
        return _made(environment, name, inputs)
    return parts.made(
        name,
        str(localiser().locale),
        support.tenant_id(),
        request.blueprint,
        request.script_root,
        # a host's address with parts of its own (``/<shop>/support``) fills them in
        tuple(sorted((request.view_args or {}).items())),
        key,
    )


class _Parts:
    """The parts kept for the app of a Jinja environment (kept on it: they go with the app),
    and which of its templates may be kept."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.made = lru_cache(maxsize=KEPT)(self._make)
        self._checked: dict[tuple[str, frozenset[str]], bool] = {}

    def _make(
        self,
        name: str,
        locale: str,
        tenant_id: str,
        blueprint: str | None,
        script_root: str,
        view_args: tuple[tuple[str, Any], ...],
        inputs: _Inputs,
    ) -> Markup:
        return _made(self.environment, name, inputs.values)

    def reads_only(self, name: str, inputs: frozenset[str]) -> bool:
        """Whether template ``name`` (and the templates it imports or includes) reads nothing
        but ``inputs`` and :data:`LANGUAGE_AND_ADDRESSES`."""
        key = (name, inputs)
        if key not in self._checked:
            self._checked[key] = _reads_only(self.environment, name, inputs)
        return self._checked[key]


def _parts_of(environment: Environment) -> _Parts:
    parts: _Parts | None = getattr(environment, _PARTS, None)
    if parts is None:
        parts = _Parts(environment)
        setattr(environment, _PARTS, parts)
    return parts


_PARTS = "marketplace_support_kept_parts"


class _Inputs:
    """A part's inputs, equal to another's where their values are (a key for the cache)."""

    __slots__ = ("_hash", "_key", "values")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self._key = _frozen(values)
        self._hash = hash(self._key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Inputs) and self._key == other._key


def _frozen(value: Any) -> Any:
    """``value`` as a hashable key: containers item by item, each value with its type (so
    ``1``, ``True`` and ``Status.OPEN`` and ``"open"`` are told apart), a lazy string as what
    it says now (it would say something else in another language)."""
    if isinstance(value, LazyString):
        return (str, str(value))
    if isinstance(value, dict):
        return (dict, tuple((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return (type(value), tuple(_frozen(item) for item in value))
    return (type(value), value)


def _made(environment: Environment, name: str, inputs: dict[str, Any]) -> Markup:
    # the context processors run, as for a page: they bind the page's helpers (``_ms``)
    context = dict(inputs)
    current_app.update_template_context(context)
    return Markup(environment.get_template(name).render(context))


def _reads_only(environment: Environment, name: str, inputs: frozenset[str]) -> bool:
    allowed = inputs | LANGUAGE_AND_ADDRESSES | DEFAULT_NAMESPACE.keys()
    loader = environment.loader
    if loader is None:  # Flask's environments have one; without it nothing can be checked
        return False
    names = [name]
    while names:
        current = names.pop()
        source = loader.get_source(environment, current)[0]
        read, referenced = _read_by(source, _syntax(environment))
        other = read - allowed
        if other:
            logger.warning(
                "%s reads %s besides its inputs: it is made again on every page, not kept",
                current,
                ", ".join(sorted(other)),
            )
            return False
        if None in referenced:  # a name worked out as it renders: cannot be checked
            logger.warning("%s imports a template by a name it works out: not kept", current)
            return False
        names.extend(n for n in referenced if n is not None)
    return True


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


@lru_cache(maxsize=64)
def _read_by(source: str, syntax: tuple[Any, ...]) -> tuple[frozenset[str], tuple[str | None, ...]]:
    """The names a template's ``source`` reads from its context, and the templates it imports
    or includes (None for a name worked out as it renders). Parsed once per process, in an
    environment without globals: Jinja counts an app's globals (``request``) as known."""
    extensions, settings = syntax
    bare = Environment(extensions=extensions, **dict(settings))
    bare.globals = {}
    parsed = bare.parse(source)
    return (
        frozenset(meta.find_undeclared_variables(parsed)),
        tuple(meta.find_referenced_templates(parsed)),
    )
