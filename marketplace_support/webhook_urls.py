"""Where a webhook may go, and how it is posted there: no server-side request forgery.

A webhook URL is ``https`` (plain ``http`` only under ``SUPPORT_WEBHOOK_ALLOW_HTTP``), names a
host, and every address that host resolves to is a public one: never private, loopback,
link-local (the cloud's metadata service at 169.254.169.254), multicast, reserved or
unspecified, unless the host allows it (``SUPPORT_WEBHOOK_ALLOW_PRIVATE``). It is checked when
the endpoint is registered and again at every send: :func:`post` resolves the name, checks
every address and connects to an address it checked (a name that resolved to a public address
at registration and to 127.0.0.1 now, DNS rebinding, is refused). Redirects are not followed;
at most :data:`READ_AT_MOST` bytes of an answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from flask import current_app

from .deadlines import Deadline
from .i18n import gettext

#: The longest URL an endpoint may have.
URL_MAX = 2000
#: What is read of an endpoint's answer (the log keeps a little of it).
READ_AT_MOST = 4096
_DEFAULT_PORTS = {"https": 443, "http": 80}


class UnsafeUrl(Exception):
    """A URL that webhooks may not go to; ``message`` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (addresses that were all checked) and what to ask."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    status: int
    #: the first bytes of the answer's body
    body: str


def check(url: str) -> Target:
    """``url`` resolved, with every address checked.

    Raises:
        UnsafeUrl: not an http(s) URL the host allows, a name that does not resolve, or one
            that resolves to an address webhooks may not reach.
    """
    parts = _parse(url)
    host = parts.hostname or ""
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as problem:
        raise UnsafeUrl(
            gettext("The host name %(host)s could not be resolved.") % {"host": host}
        ) from problem
    addresses = tuple(dict.fromkeys(str(entry[4][0]) for entry in found))
    if not current_app.config["SUPPORT_WEBHOOK_ALLOW_PRIVATE"]:
        for address in addresses:
            if not is_public(address):
                raise UnsafeUrl(
                    gettext(
                        "%(host)s resolves to %(address)s, a private, loopback, link-local or "
                        "reserved address: webhooks go to public addresses only."
                    )
                    % {"host": host, "address": address}
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, addresses)


def _parse(url: str) -> SplitResult:
    allowed = ("https", "http") if current_app.config["SUPPORT_WEBHOOK_ALLOW_HTTP"] else ("https",)
    if not _writable(url):
        raise UnsafeUrl(gettext("This is not a URL."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port that is not one)
    except ValueError as problem:
        raise UnsafeUrl(gettext("This is not a URL.")) from problem
    if parts.scheme not in allowed:
        raise UnsafeUrl(
            gettext("The URL must start with https://.")
            if allowed == ("https",)
            else gettext("The URL must start with https:// or http://.")
        )
    if not parts.hostname:
        raise UnsafeUrl(gettext("The URL must name a host."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(gettext("The URL may not carry a user name or password."))
    if parts.fragment:
        raise UnsafeUrl(gettext("The URL may not have a #fragment."))
    return parts


def _writable(url: str) -> bool:
    """Whether a request line can carry ``url``: ASCII (IDN hosts in their xn-- form), no
    white space or control characters."""
    return url.isascii() and not any(c.isspace() or not c.isprintable() for c in url)


def is_public(address: str) -> bool:
    """Whether ``address`` is a public unicast address (IPv4 inside IPv6 counts as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url`` (checked again now), connecting to a checked address.

    Raises:
        UnsafeUrl: the URL may not be reached (any more).
        OSError: the endpoint could not be reached or did not give its whole answer within
            ``timeout`` (``TimeoutError``): the time is the whole call's, not each read's.
        http.client.HTTPException: it answered something that is not HTTP.
    """
    target = check(url)
    connection = _connection(target, timeout)
    with Deadline(timeout, lambda: connection.sock) as deadline:
        try:
            connection.request(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            text = response.read(READ_AT_MOST).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            if deadline.passed:
                raise deadline.error() from None
            raise
        finally:
            connection.close()
    if deadline.passed:
        raise deadline.error()
    return Answer(response.status, text)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to one of the checked addresses, not to whatever the name resolves to now."""

    addresses: tuple[str, ...] = ()

    def connect(self) -> None:
        self.sock = _open(self.addresses, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    addresses: tuple[str, ...] = ()
    tls: ssl.SSLContext = ssl.create_default_context()

    def connect(self) -> None:
        raw = _open(self.addresses, self.port, self.timeout)
        # the certificate is checked against the URL's name (SNI too)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    connection: _PinnedHTTP | _PinnedHTTPS
    if target.scheme == "https":
        connection = _PinnedHTTPS(target.host, target.port, timeout=timeout)
    else:
        connection = _PinnedHTTP(target.host, target.port, timeout=timeout)
    connection.addresses = target.addresses
    return connection


def _open(addresses: tuple[str, ...], port: int, timeout: float | None) -> socket.socket:
    problem: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as failed:
            problem = failed
    raise problem
