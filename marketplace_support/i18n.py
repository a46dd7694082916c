"""The module's own gettext domain, and formatting of times in the viewer's locale and zone.

Strings users see are looked up in the ``marketplace_support`` domain: our catalogs first,
then the host's translation folders, so a host's wording wins.

Every lookup goes through the :class:`Localiser` of the current language, kept in ``g`` for
one request (or app context): the catalog is found once, not at every string, and a page's
templates get its methods bound once per render (``blueprints._template_helpers``). A list of
25 tickets translates about 120 strings and formats 50 times.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError, dates
from babel.support import NullTranslations
from flask import Flask, current_app, g
from flask_babel import Domain, get_locale, get_timezone
from flask_babel.speaklater import LazyString
from markupsafe import Markup

from . import timeformat
from .timeformat import PREDEFINED_FORMATS

DOMAIN = "marketplace_support"
TRANSLATIONS_DIRECTORY = str(Path(__file__).parent / "translations")


def build_domain(app: Flask) -> Domain:
    """A domain for this app: ours first, the host's folders after, so the host wins."""
    if "babel" not in app.extensions:
        raise RuntimeError(
            "marketplace_support needs Flask-Babel: create Babel(app, locale_selector=...) "
            "before MarketplaceSupport.init_app(app)."
        )
    host_directories = app.extensions["babel"].translation_directories
    return Domain(
        translation_directories=[TRANSLATIONS_DIRECTORY, *host_directories], domain=DOMAIN
    )


class _LazyString(LazyString):
    """Flask-Babel's lazy string, truthy without being translated: libraries test
    ``error or default`` at import time, outside any app."""

    def __bool__(self) -> bool:
        return True


class Localiser:
    """The module's strings and times in one language, for one request.

    Translations are the domain's (ours, then the host's); markup for templates is kept per
    message, so a string a list repeats on every row is looked up and wrapped once.
    """

    def __init__(self, translations: NullTranslations, locale: Locale) -> None:
        self.locale = locale
        self._translations = translations
        self._markup: dict[str, Markup] = {}
        self._times: dict[tuple[tzinfo, str, str | None], timeformat.DateTimeFormat] = {}
        #: what it said, by its words, with their catalog words and values, while someone
        #: keeps them (:func:`keeping_words`)
        self.said: dict[str, Any] | None = None

    def gettext(self, string: str, **variables: Any) -> str:
        translated = self._translations.ugettext(string)
        said = translated % variables if variables else translated
        if self.said is not None:
            self.said[said] = {"msgid": string, "values": _kept_values(variables)}
        return said

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        said = self._translations.ungettext(singular, plural, num) % variables
        if self.said is not None:
            self.said[said] = {
                "msgid": singular,
                "plural": plural,
                "num": num,
                "values": _kept_values(variables, plural=True),
            }
        return said

    def markup(self, string: str, **variables: Any) -> Markup:
        """``_ms`` in templates: the translation is markup, the variables are escaped."""
        translated = self._markup.get(string)
        if translated is None:
            translated = self._markup[string] = Markup(self._translations.ugettext(string))
        return translated % variables if variables else translated

    def markup_n(self, singular: str, plural: str, num: int, **variables: Any) -> Markup:
        """``_ms_n`` in templates; ``num`` is available as ``%(num)d``."""
        variables.setdefault("num", num)
        return Markup(self._translations.ungettext(singular, plural, num)) % variables

    def markup_p(self, context: str, string: str, **variables: Any) -> Markup:
        """``_ms_p`` in templates: a word that reads differently in another place, such as
        "Open" as a tab of tickets and as a ticket's status, told apart by ``context``."""
        translated = Markup(self._translations.upgettext(context, string))
        return translated % variables if variables else translated

    def format_datetime(
        self, value: datetime, zone: tzinfo, format: str = "medium", time_format: str | None = None
    ) -> str:
        """A UTC time in this language and ``zone``: ``format`` is one of Babel's named
        formats (written by ``timeformat``, once resolved) or a pattern of its own;
        ``time_format``, a named format for the time alone (the date keeps ``format``)."""
        key = (zone, format, time_format)
        write = self._times.get(key)
        if write is None:
            if format not in PREDEFINED_FORMATS:
                return dates.format_datetime(value, format, tzinfo=zone, locale=self.locale)
            write = self._times[key] = timeformat.DateTimeFormat.of(
                self.locale,
                zone,
                format,
                cast("timeformat.Format | None", time_format),
            )
        return write(value)


def localiser() -> Localiser:
    """The :class:`Localiser` of the current language (Flask-Babel's ``get_locale()``, which
    ``force_locale`` changes), made once per request."""
    context = g._get_current_object()
    # Flask-Babel keeps the language it chose (or ``force_locale`` set) on its namespace in
    # ``g``; read there directly, a page's 40-odd lazy strings skip three lookups of ``g``
    # each through Flask-Babel's ``get_locale``, which is asked only before it has chosen
    chosen = getattr(getattr(context, "_flask_babel", None), "babel_locale", None)
    locale = chosen or get_locale() or _default_locale()
    # the last one asked for, while the language stays the same object (a page's lazy
    # strings ask again and again)
    last: Localiser | None = getattr(context, "_marketplace_support_localiser", None)
    if last is not None and last.locale is locale:
        return last
    made: dict[str, Localiser] = context.setdefault("_marketplace_support_localisers", {})
    key = str(locale)
    found = made.get(key)
    if found is None:
        domain: Domain = current_app.extensions["marketplace_support"].domain
        found = made[key] = Localiser(domain.get_translations(), locale)
    context._marketplace_support_localiser = found
    return found


def zone(name: str | None = None) -> tzinfo:
    """The zone called ``name``, or the host's Babel time zone (Flask-Babel's).

    A zone the standard library's ``zoneinfo`` knows comes as its ``ZoneInfo``: Babel and
    Flask-Babel hand pytz zones, whose conversion of a time is Python (1.8 µs) where
    ``ZoneInfo``'s is C (0.2 µs), and a list writes two times a row. Both read the same tz
    database rules; a zone only pytz knows stays pytz's."""
    if name:
        return _named_zone(name)
    chosen = get_timezone()
    # a pytz zone (Flask-Babel's default, or a name the host's selector returned) has its
    # name in ``zone``; any other tzinfo the selector returned is used as it is
    pytz_name = getattr(chosen, "zone", None)
    return _named_zone(pytz_name) if isinstance(pytz_name, str) else cast("tzinfo", chosen)


@lru_cache(maxsize=1024)
def _named_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # not in the machine's tz database (or not a zone's key): Babel's pytz, which raises
        # LookupError for an unknown zone, as before
        return dates.get_timezone(name)


def _default_locale() -> Locale:
    return Locale.parse(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")


def gettext(string: str, **variables: Any) -> str:
    return localiser().gettext(string, **variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    return localiser().ngettext(singular, plural, num, **variables)


def template_gettext(string: str, **variables: Any) -> Markup:
    """``_ms`` in templates: the translation is markup, the variables are escaped."""
    return localiser().markup(string, **variables)


def template_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    """``_ms_n`` in templates; ``num`` is available as ``%(num)d``."""
    return localiser().markup_n(singular, plural, num, **variables)


def template_pgettext(context: str, string: str, **variables: Any) -> Markup:
    """``_ms_p`` in templates (see :meth:`Localiser.markup_p`)."""
    return localiser().markup_p(context, string, **variables)


def lazy_gettext(string: str, **variables: Any) -> str:
    """A string translated when it is shown, for module-level tables and schemas."""
    # typed as str: it behaves as one wherever it is used
    return cast(str, _LazyString(gettext, string, **variables))


def lazy_ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """A plural-aware string translated when it is shown; ``num`` is ``%(num)d``."""
    return cast(str, _LazyString(ngettext, singular, plural, num, **variables))


@contextmanager
def keeping_words() -> Iterator[dict[str, Any]]:
    """While in it, what the module's :func:`gettext` and :func:`ngettext` say is noted with
    its catalog words and values, in the mapping it gives (said words → what :func:`kept`
    keeps): a message said at once (a file's check says its message at once; the use-cases'
    errors are made text) can then be kept as well as a lazy one."""
    current = localiser()
    before, current.said = current.said, {}
    try:
        yield current.said
    finally:
        current.said = before


def kept(message: object, said: Mapping[str, Any] | None = None) -> Any:
    """``message`` as JSON that :func:`said_again` says in the language of a later request:
    a string of :func:`lazy_gettext` or :func:`lazy_ngettext`, or words ``said`` notes
    (:func:`keeping_words`), as its catalog words and values (a value that is a lazy string
    too is kept the same way); any other text as it reads now."""
    if isinstance(message, LazyString):
        function, arguments, values = message._func, message._args, message._kwargs
        if function is gettext and len(arguments) == 1:
            return {"msgid": str(arguments[0]), "values": _kept_values(values)}
        if function is ngettext and len(arguments) == 3:
            singular, plural, num = arguments
            return {
                "msgid": str(singular),
                "plural": str(plural),
                "num": num,
                "values": _kept_values(values, plural=True),
            }
    text = str(message)
    return said[text] if said and text in said else {"text": text}


def _kept_values(values: Mapping[str, Any], *, plural: bool = False) -> dict[str, Any]:
    """A message's values as JSON; a plural's number is kept beside its words."""
    return {
        name: _kept_value(value) for name, value in values.items() if not (plural and name == "num")
    }


def _kept_value(value: object) -> Any:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    return kept(value)


def said_again(value: Any) -> str:
    """What :func:`kept` kept, in the current language. Words a catalog cannot fill in (a
    translation with other placeholders) are said untranslated, never an error."""
    if not isinstance(value, dict):
        return str(value)
    if "msgid" not in value:
        return str(value.get("text", ""))
    msgid, values = str(value["msgid"]), value.get("values")
    if not isinstance(values, dict):
        values = {}
    values = {name: said_again(v) if isinstance(v, dict) else v for name, v in values.items()}
    try:
        if "plural" in value:
            values.pop("num", None)
            return ngettext(msgid, str(value["plural"]), int(value["num"]), **values)
        return gettext(msgid, **values)
    except (KeyError, ValueError, TypeError):
        try:
            return msgid % values if values else msgid
        except (KeyError, ValueError, TypeError):
            return msgid


def format_duration(minutes: int) -> str:
    """Whole minutes for people in their language: "3 h 20 min", "3 h", "45 min".

    Our own catalog's words, not CLDR's units through Babel: its data gives "1 horas" in
    Spanish and no narrow units in German.
    """
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    if hours:
        return gettext("%(hours)d h", hours=hours)
    return gettext("%(minutes)d min", minutes=rest)


def format_date(value: datetime, timezone: str | None = None) -> str:
    """The day of a UTC time in the viewer's locale, in ``timezone`` or the host's zone."""
    return dates.format_date(value.astimezone(zone(timezone)), format="long", locale=get_locale())


def format_datetime(
    value: datetime,
    timezone: str | None = None,
    format: str = "medium",
    time_format: str | None = None,
) -> str:
    """A UTC time in the viewer's locale, in ``timezone`` or the host's Babel time zone."""
    return localiser().format_datetime(value, zone(timezone), format, time_format)


def normalise_locale(value: str | None) -> str:
    """A language a message can be rendered in: "fr-FR" becomes "fr_FR" (whose catalog falls
    back to French); something that names no language becomes the app's default."""
    fallback = str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")
    if not value or not value.strip():
        return fallback
    return _parsed_locale(value.strip().replace("-", "_")) or fallback


@lru_cache(maxsize=256)
def _parsed_locale(value: str) -> str | None:
    """Babel's name of the language ``value`` names, or None (parsing is 10 µs; a change
    asks for each recipient's)."""
    try:
        return str(Locale.parse(value))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
