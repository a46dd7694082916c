"""Every ``SUPPORT_*`` configuration key, its default, and the check for misspelled keys.

The README's configuration table documents exactly these keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask
from limits import parse_many

from .business_hours import WEEKDAYS_9_TO_17
from .filetypes import KINDS
from .host import DEFAULT_SLA_TARGETS, Flags

DEFAULTS: dict[str, Any] = {
    # where the pages are mounted and which layout they extend
    "SUPPORT_URL_PREFIX": "/support",
    "SUPPORT_BASE_TEMPLATE": "marketplace_support/standalone.html",
    # the tenant, for hosts that keep the default adapter method
    "SUPPORT_TENANT_ID": "default",
    # the defaults of the tenant flags (host.Flags: each field names its key)
    **Flags.config_defaults(),
    # where the default storage keeps files; None: the app's instance folder
    "SUPPORT_ATTACHMENT_ROOT": None,
    # or an S3-compatible object store (s3_storage.S3Storage), when a bucket is named
    "SUPPORT_ATTACHMENT_S3_BUCKET": None,
    "SUPPORT_ATTACHMENT_S3_PREFIX": "",
    "SUPPORT_ATTACHMENT_S3_ENDPOINT_URL": None,
    "SUPPORT_ATTACHMENT_S3_REGION": None,
    # downloads fetched from the storage itself for this many seconds (S3: presigned URLs)
    "SUPPORT_ATTACHMENT_PRESIGNED_SECONDS": None,
    # how long the files of a refused form are kept for its next submit
    "SUPPORT_DRAFT_HOURS": 24,
    "SUPPORT_CATEGORIES": None,
    # response targets (hours of business time) and the hours that count
    "SUPPORT_SLA_TARGETS": DEFAULT_SLA_TARGETS,
    "SUPPORT_SLA_PLANS": {},
    "SUPPORT_TIMEZONE": "UTC",
    "SUPPORT_BUSINESS_HOURS": WEEKDAYS_9_TO_17,
    # lists: tickets per page (at most PAGE_SIZE_MAX)
    "SUPPORT_PAGE_SIZE": 20,
    # who may frame the pages (CSP frame-ancestors), and what links tell other sites
    "SUPPORT_FRAME_ANCESTORS": "'self'",
    "SUPPORT_REFERRER_POLICY": "same-origin",
    # notifications: where they link to, who hears of the operator's tickets, and delivery
    "SUPPORT_SITE_URL": None,
    "SUPPORT_OPERATOR_EMAILS": (),
    "SUPPORT_MAIL_SENDER": None,
    "SUPPORT_DELIVER_AFTER_REQUEST": True,
    "SUPPORT_DELIVER_AFTER_REQUEST_SECONDS": 3,
    "SUPPORT_SMTP_TIMEOUT": 10,
    "SUPPORT_DELIVERY_ATTEMPTS": 30,
    "SUPPORT_DELIVERY_CLAIM_SECONDS": 120,
    # webhooks (``webhooks``): seconds an endpoint has to answer; plain http and private,
    # loopback or link-local addresses only where the host allows them (development)
    "SUPPORT_WEBHOOK_TIMEOUT": 5,
    "SUPPORT_WEBHOOK_ALLOW_HTTP": False,
    "SUPPORT_WEBHOOK_ALLOW_PRIVATE": False,
    # days every try of a webhook is kept in its endpoint's log (``flask support sweep``)
    "SUPPORT_WEBHOOK_LOG_DAYS": 30,
    # replies by e-mail (``replies``, ``inbound``): the domain answers are received on (None:
    # off), how long a reply address stays good, and the largest message taken in
    "SUPPORT_REPLY_DOMAIN": None,
    "SUPPORT_REPLY_MAX_AGE_DAYS": 90,
    "SUPPORT_INBOUND_MAX_SIZE": 25_000_000,
    # each tenant's support address, whose mail opens tickets (``HostAdapter``'s
    # ``support_address_tenant``): {"help@shop.example": "tenant-id"}
    "SUPPORT_INBOUND_ADDRESSES": {},
    # days mail that did not get in is kept (``flask support clean-mail``)
    "SUPPORT_QUARANTINE_DAYS": 30,
    # where rate limit counts are kept (a limits storage URI; Redis for several processes)
    # and options for it (Redis: socket timeouts of 1 s unless given here)
    "SUPPORT_RATELIMIT_STORAGE_URI": "memory://",
    "SUPPORT_RATELIMIT_STORAGE_OPTIONS": {},
}

#: The largest page a list may have: every row is read, rendered and sent on each visit, so a
#: page is bounded like every other size a request can reach.
PAGE_SIZE_MAX = 100

#: Keys read from the environment by the test suite, not by the module.
_NOT_CONFIG = frozenset({"SUPPORT_TEST_DATABASE_URL"})


def apply_defaults(app: Flask) -> None:
    """Set every default the host did not set; refuse unknown ``SUPPORT_*`` keys and values
    that cannot work.

    Raises:
        RuntimeError: a ``SUPPORT_*`` key that the module does not know (likely a typo), or a
            value it cannot use.
    """
    _refuse_unknown_keys(app)
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    _check_page_size(app.config["SUPPORT_PAGE_SIZE"])
    _check_presigned(app.config["SUPPORT_ATTACHMENT_PRESIGNED_SECONDS"])
    _check_replies(app.config)
    _check_days("SUPPORT_WEBHOOK_LOG_DAYS", app.config["SUPPORT_WEBHOOK_LOG_DAYS"])
    _warn_of_claim(app)
    for key in Flags.rate_limit_keys():
        _check_limits(key, app.config[key])
    unknown_kinds = set(app.config["SUPPORT_ATTACHMENT_TYPES"]) - set(KINDS)
    if unknown_kinds:
        raise RuntimeError(
            f"SUPPORT_ATTACHMENT_TYPES names unknown kinds {sorted(unknown_kinds)}; "
            f"known: {sorted(KINDS)}"
        )


def _refuse_unknown_keys(app: Flask) -> None:
    unknown = [
        key
        for key in app.config
        if key.startswith("SUPPORT_") and key not in DEFAULTS and key not in _NOT_CONFIG
    ]
    if unknown:
        hints = []
        for key in sorted(unknown):
            close = difflib.get_close_matches(key, DEFAULTS, n=1)
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
        raise RuntimeError("Unknown marketplace_support config keys: " + ", ".join(hints))


def _check_page_size(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= PAGE_SIZE_MAX:
        raise RuntimeError(
            f"SUPPORT_PAGE_SIZE must be a whole number from 1 to {PAGE_SIZE_MAX}; got {value!r}"
        )


#: the longest an S3 presigned URL may live (seven days)
PRESIGNED_SECONDS_MAX = 7 * 24 * 3600


def _check_presigned(value: object) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= PRESIGNED_SECONDS_MAX
    ):
        raise RuntimeError(
            "SUPPORT_ATTACHMENT_PRESIGNED_SECONDS must be None or a whole number of seconds "
            f"from 1 to {PRESIGNED_SECONDS_MAX}; got {value!r}"
        )


#: a domain name: labels of letters, digits and hyphens, with at least one dot
_DOMAIN = re.compile(
    r"(?=.{4,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def _check_replies(config: Mapping[str, Any]) -> None:
    domain = config["SUPPORT_REPLY_DOMAIN"]
    if domain is not None and not (isinstance(domain, str) and _DOMAIN.fullmatch(domain)):
        raise RuntimeError(
            f'SUPPORT_REPLY_DOMAIN must be a domain name such as "support.example", or None; '
            f"got {domain!r}"
        )
    _check_addresses(config["SUPPORT_INBOUND_ADDRESSES"])
    for key in ("SUPPORT_REPLY_MAX_AGE_DAYS", "SUPPORT_QUARANTINE_DAYS"):
        _check_days(key, config[key])
    if domain is not None and not config.get("SECRET_KEY"):
        raise RuntimeError("SUPPORT_REPLY_DOMAIN needs SECRET_KEY: reply addresses are signed")


def _warn_of_claim(app: Flask) -> None:
    """A worker keeps the rows it claimed for ``SUPPORT_DELIVERY_CLAIM_SECONDS``, then
    another may take them: a send that may last longer than half of it (its timeout is the
    whole send's) can be made twice by two workers; the log says so at start."""
    claim = float(app.config["SUPPORT_DELIVERY_CLAIM_SECONDS"])
    for key in ("SUPPORT_SMTP_TIMEOUT", "SUPPORT_WEBHOOK_TIMEOUT"):
        if float(app.config[key]) > claim / 2:
            app.logger.warning(
                "marketplace_support: %s (%s s) is more than half of "
                "SUPPORT_DELIVERY_CLAIM_SECONDS (%g s): a send that outlasts the claim can be "
                "made again by another worker",
                key,
                app.config[key],
                claim,
            )


def _check_addresses(addresses: object) -> None:
    if not isinstance(addresses, Mapping) or not all(
        isinstance(address, str) and "@" in address and isinstance(tenant, str) and tenant
        for address, tenant in addresses.items()
    ):
        raise RuntimeError(
            "SUPPORT_INBOUND_ADDRESSES must map addresses to tenant ids, such as "
            f'{{"help@shop.example": "shop"}}; got {addresses!r}'
        )


def _check_days(key: str, days: object) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise RuntimeError(f"{key} must be a whole number of days; got {days!r}")


def _check_limits(key: str, value: object) -> None:
    try:
        if isinstance(value, str) and value.strip():
            parse_many(value)
        elif not isinstance(value, str):
            raise ValueError(value)
    except ValueError:
        raise RuntimeError(
            f'{key} must be limits such as "5 per minute;20 per hour", or "" for none; '
            f"got {value!r}"
        ) from None
