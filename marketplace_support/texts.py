"""Texts a tenant may word itself, per language, through ``HostAdapter.text``.

Each key has our default (from the module's catalog, so it is translated) and a kind: ``rich``
texts may hold simple formatting (paragraphs, lists, emphasis, links), sanitised with nh3
before they are shown; ``plain`` texts are escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from markupsafe import Markup, escape

from .i18n import lazy_gettext


@dataclass(frozen=True)
class Text:
    #: our wording, in the viewer's language
    default: str
    #: whether it may hold simple HTML (sanitised) rather than plain text (escaped)
    rich: bool
    #: where the text is shown, for the host's editing page
    purpose: str


TEXTS: dict[str, Text] = {
    # seed 001: the troubleshooting hint above the form, worded by the operator
    "troubleshooting": Text(
        lazy_gettext(
            "Before you send a ticket: check whether the service shows a notice about planned "
            "maintenance, try again in a private browser window, and note the exact error "
            "message and the time it happened. A screenshot helps us most."
        ),
        rich=True,
        purpose=lazy_gettext("The hint above the new-ticket form: what to check before writing."),
    ),
    "operator_name": Text(
        lazy_gettext("Marketplace support"),
        rich=False,
        purpose=lazy_gettext(
            "How the marketplace's own support team is named on tickets and in e-mails."
        ),
    ),
    "email_footer": Text(
        lazy_gettext("You receive this message from the marketplace's support desk."),
        rich=False,
        purpose=lazy_gettext(
            "The last line of every e-mail: who sends it, an address, a legal line."
        ),
    ),
}

_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "code"}
_ATTRIBUTES = {"a": {"href", "title"}}


def sanitise(html: str) -> Markup:
    """Keep only simple formatting; links only to https and mailto, opened safely."""
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        # drop relative and scheme-relative links: a tenant's text should not point into our app
        attribute_filter=_absolute_links_only,
    )
    return Markup(cleaned)


def _absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href" and not value.startswith(("https://", "mailto:")):
        return None
    return value


def value(key: str, host_text: str | None) -> str:
    """The text as written: the host's wording if it gave one, else our translated default."""
    return host_text if host_text is not None else str(TEXTS[key].default)


def render(key: str, host_text: str | None) -> Markup:
    """The text as HTML: plain texts escaped, rich ones sanitised."""
    text = value(key, host_text)
    if not TEXTS[key].rich:
        return escape(text)
    if "<" not in text:
        # plain text: blank lines separate paragraphs
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        return Markup("").join(Markup("<p>{}</p>").format(p) for p in paragraphs)
    return sanitise(text)
