"""The module's own gettext domain, and formatting of times in the viewer's locale and zone.

Strings users see are looked up in the ``marketplace_support`` domain: our catalogs first,
then the host's translation folders, so a host's wording wins.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, cast

from babel import Locale, UnknownLocaleError, dates
from flask import Flask, current_app
from flask_babel import Domain, get_locale, get_timezone
from flask_babel.speaklater import LazyString
from markupsafe import Markup

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


def _domain() -> Domain:
    return current_app.extensions["marketplace_support"].domain


def gettext(string: str, **variables: Any) -> str:
    return str(_domain().gettext(string, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    return str(_domain().ngettext(singular, plural, num, **variables))


def template_gettext(string: str, **variables: Any) -> Markup:
    """``_ms`` in templates: the translation is markup, the variables are escaped."""
    translated = Markup(_domain().gettext(string))
    return translated % variables if variables else translated


def template_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    """``_ms_n`` in templates; ``num`` is available as ``%(num)d``."""
    variables.setdefault("num", num)
    translated = _domain().get_translations().ungettext(singular, plural, num)
    return Markup(translated) % variables


def template_pgettext(context: str, string: str, **variables: Any) -> Markup:
    """``_ms_p`` in templates: a word that reads differently in another place, such as
    "Open" as a tab of tickets and as a ticket's status, told apart by ``context``."""
    translated = Markup(_domain().pgettext(context, string))
    return translated % variables if variables else translated


def lazy_gettext(string: str, **variables: Any) -> str:
    """A string translated when it is shown, for module-level tables and schemas."""
    # typed as str: it behaves as one wherever it is used
    return cast(str, _LazyString(gettext, string, **variables))


def lazy_ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """A plural-aware string translated when it is shown; ``num`` is ``%(num)d``."""
    return cast(str, _LazyString(ngettext, singular, plural, num, **variables))


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
    tzinfo = dates.get_timezone(timezone) if timezone else get_timezone()
    return dates.format_date(value.astimezone(tzinfo), format="long", locale=get_locale())


def format_datetime(value: datetime, timezone: str | None = None, format: str = "medium") -> str:
    """A UTC time in the viewer's locale, in ``timezone`` or the host's Babel time zone."""
    tzinfo = dates.get_timezone(timezone) if timezone else get_timezone()
    return dates.format_datetime(value, format=format, tzinfo=tzinfo, locale=get_locale())


def normalise_locale(value: str | None) -> str:
    """A language a message can be rendered in: "fr-FR" becomes "fr_FR" (whose catalog falls
    back to French); something that names no language becomes the app's default."""
    fallback = str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")
    if not value or not value.strip():
        return fallback
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        return fallback
