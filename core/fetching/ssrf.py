"""The SSRF guard: which URLs and addresses the fetcher may connect to.

A host is resolved once and every address it resolves to must be public (one private address among
public ones is enough to refuse). The fetcher then connects to the address checked here, so a second
lookup cannot swap in another one (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urlsplit

from core.errors import FetchFailed, FetchRefused, SourceUnavailable
from core.models import check_image_url

Resolver = Callable[[str, int], list[str]]
# A name that resolves wherever DNS works at all. When a host does not resolve and neither does this, the
# fault is the machine's DNS (offline, or a resolver that refuses every name), not the URL.
KNOWN_NAME = "amazonaws.com"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: is_private misses it
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Checked in this order, so an address gets its most telling name (0.0.0.0 is also "private").
_SPECIAL = (
    ("is_unspecified", "the unspecified address (it reaches this machine)"),
    ("is_link_local", "a link-local address (cloud metadata lives at 169.254.169.254)"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private network address"),
    ("is_site_local", "a site-local address"),
)
_PUBLIC_ONLY = "only public internet addresses can be fetched"


@dataclass(frozen=True)
class Target:
    """Where one request goes: the checked address, and the name TLS and the server expect."""

    scheme: str
    host: str  # the name: for TLS SNI, the certificate check and the Host header
    port: int
    address: str  # the checked IP the connection goes to
    path: str  # path and query, as sent on the request line

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, IPv4 and IPv6, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_address(address: IPAddress, allow_loopback: bool) -> None:
    """Refuse an address that is not on the public internet; loopback only when allowed (tests)."""
    problem = address_problem(address, allow_loopback)
    if problem:
        raise FetchRefused(f"{address} is {problem}; {_PUBLIC_ONLY}")


def address_problem(address: IPAddress, allow_loopback: bool) -> str | None:
    """Why `address` may not be fetched from, or None when it may."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        problem = address_problem(embedded, allow_loopback)
        return problem and f"{problem}, {embedded} inside an IPv6 address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address (this machine)"
    for attribute, kind in _SPECIAL:
        if getattr(address, attribute, False):
            return kind
    if address in _SHARED:
        return "a shared carrier-grade NAT address"
    return None if address.is_global else "not a public internet address"


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64): the one actually reached."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def checked_target(url: str, allow_loopback: bool, resolve: Resolver = resolve_host) -> Target:
    """Parse `url`, resolve its host once and check every address; refuse anything not public."""
    parts, host = _parse(url)
    port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
    literal = _ip_literal(host)
    if literal is None:
        _refuse_numeric_forms(url, host)
        addresses = _resolve(url, host, port, resolve)
    else:
        addresses = [literal]  # no lookup: the URL names the address itself
    for address in addresses:
        problem = address_problem(address, allow_loopback)
        if problem:
            where = "" if literal is not None else f"{host} resolves to "
            raise FetchRefused(f"{shorten(url)} is not allowed: {where}{address}, {problem}; {_PUBLIC_ONLY}")
    return Target(parts.scheme.lower(), host, port, str(addresses[0]), _request_path(parts))


def _parse(url: str) -> tuple[SplitResult, str]:
    """The URL's parts and its ASCII host name; refuses other schemes, credentials, bad ports."""
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in DEFAULT_PORTS:
            shown = f"'{parts.scheme}:'" if parts.scheme else "no scheme"
            raise ValueError(f"must start with http:// or https:// (got {shown})")
        check_image_url(url)
        return parts, _ascii_host(parts.hostname or "")
    except ValueError as exc:
        raise FetchRefused(f"{shorten(url)} is not allowed: it {exc}") from None


def _ascii_host(host: str) -> str:
    """The name as it goes on the wire: IDNA for international names (UnicodeError is a ValueError)."""
    return host if host.isascii() else host.encode("idna").decode("ascii")


def _ip_literal(host: str) -> IPAddress | None:
    """The address when the URL names one directly (no lookup needed), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _refuse_numeric_forms(url: str, host: str) -> None:
    """Refuse 2130706433, 0177.0.0.1, 0x7f000001, 127.1: the C resolver reads them as addresses."""
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):  # ValueError: a NUL in the host
        return
    raise FetchRefused(
        f"{shorten(url)} is not allowed: '{host}' is an IP address in an unusual numeric form; "
        "write addresses as four decimal numbers (a.b.c.d)"
    )


def _resolve(url: str, host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    """Resolve once; a name that does not resolve is the source's fault, so FetchFailed, unless the
    resolver got no answer at all (SourceUnavailable: DNS may answer later)."""
    try:
        addresses = [ipaddress.ip_address(a) for a in resolve(host, port)]
    except socket.gaierror as exc:
        # EAI_AGAIN is the resolver's "temporary failure" (a DNS server timed out or answered SERVFAIL).
        # Any other code is an answer: EAI_NONAME (NXDOMAIN), EAI_NODATA… say the name has no address, which
        # a typo in the URL explains far more often than a name yet to be registered, so they stay permanent.
        if exc.errno == socket.EAI_AGAIN:
            raise SourceUnavailable(f"{shorten(url)}: could not resolve host {host} for now ({exc}); "
                                    "DNS may answer later") from None
        if not _dns_answers(resolve):  # on a machine without DNS every name "does not exist"
            raise SourceUnavailable(f"{shorten(url)}: could not resolve host {host}, nor any other name "
                                    f"({KNOWN_NAME} neither): this machine's DNS is not answering, so the "
                                    "URL may be fine; it can be retried once the network is back") from None
        raise FetchFailed(f"{shorten(url)}: could not resolve host {host} ({exc}); check the URL") from None
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchFailed(f"{shorten(url)}: could not resolve host {host} ({exc}); check the URL") from None
    if not addresses:
        raise FetchFailed(f"{shorten(url)}: could not resolve host {host}; check the URL")
    return addresses


def _dns_answers(resolve: Resolver) -> bool:
    """Whether the resolver finds a name that exists: asked only after a host did not resolve."""
    try:
        return bool(resolve(KNOWN_NAME, 443))
    except (OSError, UnicodeError, ValueError):
        return False


def _request_path(parts: SplitResult) -> str:
    """Path and query for the request line, percent-encoded; existing escapes are kept."""
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return quote(path, safe="/%?=&;:@!$'()*+,~[]")


def shorten(url: str, limit: int = 160) -> str:
    """A URL short enough for a message a person reads."""
    return url if len(url) <= limit else f"{url[: limit - 1]}…"
