"""Parts of a page that read the same for the same inputs, made once and then kept.

A list's heading, queue tabs and filter form are a sixth of a console page's CPU (40-odd
options, a dozen addresses, every label translated; ``bench/RESULTS.md``), and they change
only when what they show changes: the filters chosen, the counts, the tenant's problem areas,
the staff and providers to filter by. :func:`kept` renders such a part from its inputs alone
and keeps the result per app, language, time zone, tenant and area, keyed by the inputs'
values; the next page with the same inputs reuses it. A count that moves, a colleague added, a
filter chosen: different inputs, made again. A ticket page keeps its conversation, its reply
box or composer and its side column the same way (a tenth of its CPU each).

A form in a kept part still gets this page's token and a fresh submission key: the part holds
a mark in their place (:data:`HOLES`), filled in where the page shows it (:class:`Filled`).
What a part reads that the host may change at any time (the tenant's upload rules) is asked on
every page and is in the key (:data:`KEYED`).

The rows of a list are kept the same way, one by one (:func:`kept_rows`): a row is made from
the ticket's fields as the list read them (every one of them is in the key, so a ticket that
changed in any way is a different row), what the page adds (new activity, overdue, a search's
snippet) and the page's own inputs, in the viewer's language and time zone. Rendering a row
costs about what the bare view's whole row does; a kept one, a few microseconds.

A kept part's template is rendered from its inputs, the language's words, labels and times
and the area's addresses only (:data:`LANGUAGE_AND_ADDRESSES`), and for a part, its holes and
keyed helpers. This is checked on its first use, following the template into the macros it
calls (``template_reads.py``): a template that reads anything else (a host's override reading
``request``, say) is rendered again on every page instead, and the log says why once.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, cast

from flask import current_app, request
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import generate_csrf
from jinja2 import Environment
from jinja2.defaults import DEFAULT_NAMESPACE
from markupsafe import Markup, escape

from ..attachments import upload_rules
from ..i18n import localiser, zone
from ..pagination import row_type
from ..state import support
from . import form_tokens, template_reads

logger = logging.getLogger(__name__)

#: parts kept per app (a list's head is about 6 KiB, a ticket page's conversation 3 to 60)
KEPT = 1024

#: the characters of all the parts kept per app (about 16 MB at most): the least recently
#: shown go first; a part longer than a sixteenth of it (a conversation of long messages) is
#: made on every page instead
KEPT_CHARACTERS = 4_000_000

#: rows kept per app: a row is about 2.5 KiB with its key (measured: 1,000 rows of the inbox
#: took 2.6 MB), so 10 MiB at most
KEPT_ROWS = 4096

#: what a kept part may read besides its inputs (and Jinja's own ``range``, ``dict``, ...): the
#: language's words, labels, badges and sizes, and the addresses of the area (the same for the
#: same app, language, area and address, which are in the key)
LANGUAGE_AND_ADDRESSES = frozenset(
    {
        "_ms",
        "_ms_p",
        "_ms_n",
        "url_for",
        "ms_list_url",
        "ms_list_badges",
        "ms_size",
        "ms_status_label",
        "ms_status_customer_label",
        "ms_priority_label",
        "ms_reason_label",
        "ms_time_tag",
        "ms_ticket_url",
        "ms_action_url",
    }
)


#: a mark no page's text holds (made once per process, not guessable): a hole of a kept part
_MARK = f"\x00{secrets.token_hex(8)}:"

#: whether a kept part is being made in this thread or task (its holes are marked)
_MAKING: ContextVar[bool] = ContextVar("marketplace_support_making_kept", default=False)


class _Hole:
    """A helper whose answer is new on every page: a form's token, where a fresh one comes
    from, a fresh submission key. A kept part holds a mark in its place, and each page fills
    in its own answer where it shows the part (:class:`Filled`)."""

    __slots__ = ("fill", "mark")

    def __init__(self, name: str, fill: Callable[[], Any]) -> None:
        self.mark = f"{_MARK}{name}\x00"
        self.fill = fill

    def __call__(self) -> Any:
        return Markup(self.mark) if _MAKING.get() else self.fill()


#: what a kept part's forms may read that is new on every page (``_macros.html``'s ``csrf``
#: and ``submission_key``): filled in where the page shows the part
HOLES = {
    "ms_csrf_token": _Hole("token", generate_csrf),
    "ms_token_renewal": _Hole("renewal", form_tokens.renewal),
    "ms_new_key": _Hole("key", form_tokens.new_key),
}

#: what a kept part may read whose answer is in its key: the tenant's upload rules (a file
#: input's limits), asked on every page that shows the part
KEYED: dict[str, Callable[[], Any]] = {"ms_upload_rules": upload_rules}


class Filled:
    """A kept part with :data:`HOLES`, filled in with this page's answers where the page shows
    it (Jinja asks for its ``__html__`` then): each form its token and a fresh key, the first
    token of the page where fresh ones come from. A part the page does not show takes
    nothing (a host's copy of a page that writes its own forms)."""

    __slots__ = ("_made",)

    def __init__(self, made: Markup) -> None:
        self._made = made

    def __html__(self) -> Markup:
        text = str(self._made)
        for hole in HOLES.values():
            if hole.mark in text:
                first, *rest = text.split(hole.mark)
                text = first + "".join(f"{escape(hole.fill())}{after}" for after in rest)
        return Markup(text)

    def __str__(self) -> str:
        return str(self.__html__())


def _filled_later(made: Markup) -> Markup | Filled:
    return Filled(made) if _MARK in made else made


def kept(name: str, **inputs: Any) -> Markup | Filled:
    """Template ``name`` rendered with ``inputs``, kept for the same inputs (compared by value:
    dicts, lists and tuples item by item, everything else by its hash) and the same answers of
    the :data:`KEYED` helpers it reads, in the same app, language, time zone, tenant, area and
    address (script root, the values of the address's own parts). Inputs that cannot be
    compared so (a value without a hash) are rendered every time. A part whose forms hold
    :data:`HOLES` is :class:`Filled` in where the page shows it."""
    environment = current_app.jinja_env
    parts = _parts_of(environment)
    keyed = parts.check(name, frozenset(inputs), forms=True)
    if environment.auto_reload or keyed is None:
        return _filled_later(_made(environment, name, inputs))
    try:
        key = _Inputs(inputs, tuple((helper, KEYED[helper]()) for helper in keyed))
    except TypeError:  # a value that cannot be a key (a host's own mapping, say): made anew
        return _filled_later(_made(environment, name, inputs))
    where = (name, *_where(), key)
    (made,) = parts.kept.found([where])
    if made is None:
        made = _made(environment, name, inputs)
        parts.kept.keep([(where, made)])
    return _filled_later(made)


def made(name: str, **inputs: Any) -> Markup | Filled:
    """Template ``name`` rendered with ``inputs`` as :func:`kept` renders it, not kept: a
    part that shows what one person typed (a refused form)."""
    return _filled_later(_made(current_app.jinja_env, name, inputs))


def form_part(
    name: str,
    forms: Collection[str],
    refused: Mapping[str, Any],
    *,
    kept_files: Sequence[Any] = (),
    **inputs: Any,
) -> Markup | Filled:
    """Template ``name``, a part of a page holding the forms ``forms``: kept (:func:`kept`)
    with nothing typed, or, where one of them was the form ``refused`` (its ``failed``), made
    anew with what it held (its ``values`` and ``errors``, and the files ``kept_files`` kept
    from it)."""
    if refused.get("failed") not in forms:
        return kept(name, **inputs, values={}, errors={}, failed=None, kept=())
    typed = {
        "values": refused.get("values") or {},
        "errors": refused.get("errors") or {},
        "failed": refused.get("failed"),
        "kept": kept_files,
    }
    return made(name, **inputs, **typed)


def values_of(item: Any, fields: tuple[str, ...]) -> tuple[Any, ...]:
    """The values of ``item``'s ``fields`` as a named tuple (a statement's row is one too): a
    kept part's input made of a model object's fields, its key comparing them."""
    return row_type(fields)(getattr(item, name) for name in fields)


def kept_rows(
    name: str, fields: tuple[str, ...], rows: Sequence[tuple[Any, ...]], **page: Any
) -> Markup:
    """Template ``name`` rendered once for each of ``rows`` (its values under the names of
    ``fields``) with ``page``'s inputs, the rows one per line. Each row is kept for the same
    values (compared as tuples: a ticket's row holds every field the list read), the same
    ``page`` (compared as :func:`kept` compares inputs) and the same app, language, time
    zone, tenant, area and address. A row or page that cannot be compared so is made anew."""
    environment = current_app.jinja_env
    parts = _parts_of(environment)
    if environment.auto_reload or parts.check(name, frozenset((*fields, *page))) is None:
        return _joined(_rows_made(environment, name, fields, rows, page))
    try:
        page_key = _Inputs({"": (name, fields, *_where()), **page})
    except TypeError:
        return _joined(_rows_made(environment, name, fields, rows, page))
    # the values' types too: rows of another shape (a list sorted by an answer reads one
    # field more) or a 1 where a True was are other rows
    keys = [(page_key, tuple(map(type, row)), row) for row in rows]
    found = parts.rows.found(keys)
    missing = [i for i, made in enumerate(found) if made is None]
    if missing:
        made = _rows_made(environment, name, fields, [rows[i] for i in missing], page)
        for i, row in zip(missing, made, strict=True):
            found[i] = row
        parts.rows.keep([(keys[i], made) for i, made in zip(missing, made, strict=True)])
    return _joined(cast(list[Markup], found))


def _where() -> tuple[str, str, str, str | None, str, tuple[tuple[str, Any], ...]]:
    """What a kept part or row is made for besides its inputs: the language, the time zone
    (times are written in the viewer's: ``ms_time_tag``), the tenant, the area and the
    address (script root, and the values of the address's own parts: a host's address like
    ``/<shop>/support`` fills them in)."""
    actor = support.actor()
    return (
        str(localiser().locale),
        str(zone(actor.timezone if actor else None)),
        support.tenant_id(),
        request.blueprint,
        request.script_root,
        tuple(sorted((request.view_args or {}).items())),
    )


def _rows_made(
    environment: Environment,
    name: str,
    fields: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    page: dict[str, Any],
) -> list[Markup]:
    if not rows:
        return []
    # the context processors run once, as for a page: they bind the page's helpers (``_ms``)
    context = dict(page)
    current_app.update_template_context(context)
    template = environment.get_template(name)
    return [
        Markup(template.render({**context, **dict(zip(fields, row, strict=True))})) for row in rows
    ]


def _joined(rows: list[Markup]) -> Markup:
    # rows are markup already: ``Markup.join`` would escape each again (2 % of a list page)
    return Markup("\n".join(rows))


class _Kept:
    """Markup kept for an app by key (a list's rows, or the parts of pages), the least
    recently shown dropped first, within ``count`` items and, where given, ``characters``
    characters (an item longer than a sixteenth of them is not kept); a lock around each
    page's look-ups: a server's threads share them. A key without a hash finds nothing and
    is not kept."""

    def __init__(self, count: int, characters: int | None = None) -> None:
        self._count = count
        self._most = characters
        self._kept: OrderedDict[Any, Markup] = OrderedDict()
        self._characters = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def characters(self) -> int:
        return self._characters

    def found(self, keys: Sequence[Any]) -> list[Markup | None]:
        """What is kept for each of ``keys`` (None: nothing)."""
        found: list[Markup | None] = []
        with self._lock:
            for key in keys:
                try:
                    made = self._kept.get(key)
                except TypeError:  # a value without a hash: made every time
                    made = None
                if made is not None:
                    self._kept.move_to_end(key)
                found.append(made)
        return found

    def keep(self, made: Sequence[tuple[Any, Markup]]) -> None:
        """Keep each item of ``made`` under its key from now on."""
        longest = None if self._most is None else self._most // 16
        with self._lock:
            for key, item in made:
                if longest is not None and len(item) > longest:
                    continue
                try:
                    if key in self._kept:
                        continue
                except TypeError:
                    continue
                self._kept[key] = item
                self._characters += len(item)
            while len(self._kept) > self._count or (
                self._most is not None and self._characters > self._most
            ):
                self._characters -= len(self._kept.popitem(last=False)[1])


class _Parts:
    """The parts and rows kept for the app of a Jinja environment (kept on it: they go with
    the app), and which of its templates may be kept."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.kept = _Kept(KEPT, KEPT_CHARACTERS)
        self.rows = _Kept(KEPT_ROWS)
        self._checked: dict[tuple[str, frozenset[str], bool], tuple[str, ...] | None] = {}

    def check(
        self, name: str, inputs: frozenset[str], forms: bool = False
    ) -> tuple[str, ...] | None:
        """The :data:`KEYED` helpers that template ``name`` (and what it uses of the templates
        it imports) reads besides ``inputs`` and :data:`LANGUAGE_AND_ADDRESSES` (with
        ``forms``, also :data:`HOLES`), or None where it reads anything else."""
        key = (name, inputs, forms)
        if key not in self._checked:
            self._checked[key] = _check(self.environment, name, inputs, forms)
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

    def __init__(self, values: dict[str, Any], answers: tuple[tuple[str, Any], ...] = ()) -> None:
        self.values = values
        # the answers of the helpers it reads (:data:`KEYED`) are in the key, not its inputs
        self._key = (_frozen(values), answers)
        self._hash = hash(self._key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Inputs) and self._key == other._key


def _frozen(value: Any) -> Any:
    """``value`` as a hashable key: containers item by item, each value with its type (so
    ``1``, ``True`` and ``Status.OPEN`` and ``"open"`` are told apart), a lazy string as what
    it says now (it would say something else in another language). Anything else compares
    as it does itself: a view made of values (``conversation.Shown``) by its fields."""
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
    making = _MAKING.set(True)  # its holes are marked, to be filled in on every page
    try:
        return Markup(environment.get_template(name).render(context))
    finally:
        _MAKING.reset(making)


def _check(
    environment: Environment, name: str, inputs: frozenset[str], forms: bool
) -> tuple[str, ...] | None:
    read = template_reads.reads(environment, name)
    if isinstance(read, str):
        logger.warning("%s cannot be checked (%s): it is made again on every page", name, read)
        return None
    allowed = inputs | LANGUAGE_AND_ADDRESSES | DEFAULT_NAMESPACE.keys()
    if forms:
        allowed |= HOLES.keys() | KEYED.keys()
    other = read - allowed
    if other:
        logger.warning(
            "%s reads %s besides its inputs: it is made again on every page, not kept",
            name,
            ", ".join(sorted(other)),
        )
        return None
    return tuple(sorted(read & KEYED.keys())) if forms else ()
