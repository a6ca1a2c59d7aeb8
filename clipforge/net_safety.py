"""SSRF guard for URL imports.

A user-supplied link must never make the service fetch from its own network: loopback, private
ranges, link-local, cloud metadata endpoints and the like. `check_url` resolves the host and
vets *every* address it resolves to; the caller then connects to one of the vetted addresses
(pins it) so that a second DNS answer (DNS rebinding) cannot swap in a private address between
the check and the connection. Numeric host forms (`2130706433`, `0x7f.1`, `127.1`, `[::1]`)
are parsed the way the C library parses them, so they are caught like any other address.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: `(host, port) -> addresses`; injectable so tests need no DNS.
Resolver = Callable[[str, int], Iterable[str]]
#: `address -> allowed?`; injectable so tests can call a loopback address "public".
AddressPolicy = Callable[[IPAddress], bool]

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

#: Cloud metadata endpoints: refused even when private addresses are allowed.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, ...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)

#: Ranges Python's `is_global` does not (in every version) treat as non-public.
_EXTRA_BLOCKED_V4 = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("240.0.0.0/4"),  # reserved
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPAT = ipaddress.ip_network("::/96")

MSG_SCHEME = "Only http and https links can be imported."
MSG_NO_HOST = "This link has no host name."
MSG_BAD_HOST = "This link has an invalid host name."
MSG_PRIVATE = (
    "This link points to a private or local network address, which ClipForge does not import from."
)


class UnsafeURLError(ValueError):
    """A URL the service refuses to fetch; `str(exc)` is a message fit for the user."""


@dataclass(frozen=True, slots=True)
class ResolvedURL:
    """A vetted URL and the addresses it may be fetched from (connect only to these)."""

    url: str
    scheme: str
    host: str  # IDNA-encoded host name or canonical IP text, without brackets
    port: int
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        """The Host header value the origin expects (port only when not the default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address getaddrinfo returns for the host (v4 and v6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form carries, which is where packets really go."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL or (ip in _IPV4_COMPAT and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def unsafe_reason(ip: IPAddress) -> str | None:
    """Why an address must not be fetched from, or None when it is public."""
    if ip in METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "scoped IPv6"
        inner = _embedded_v4(ip)
        if inner is not None:
            reason = unsafe_reason(inner)
            if reason is not None:
                return f"embeds {inner} ({reason})"
            if ip.sixtofour is None and ip.teredo is None:
                return None  # mapped/NAT64 form of a public IPv4: packets go there
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        (
            "special-purpose",
            isinstance(ip, ipaddress.IPv4Address) and any(ip in n for n in _EXTRA_BLOCKED_V4),
        ),
        ("not globally routable", not ip.is_global),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return None


def is_public_address(ip: IPAddress) -> bool:
    """The default policy: only globally routable unicast addresses."""
    return unsafe_reason(ip) is None


def _not_metadata(ip: IPAddress) -> bool:
    inner = _embedded_v4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return ip not in METADATA_ADDRESSES and inner not in METADATA_ADDRESSES


def address_policy(allow_private: bool) -> AddressPolicy:
    """Public addresses only, or (tests, trusted setups) anything except metadata endpoints."""
    return _not_metadata if allow_private else is_public_address


def _parse_ip(text: str) -> IPAddress | None:
    """An IP literal in any form the C library accepts (`127.1`, `0x7f.1`, `2130706433`)."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0] if ":" in text else text)
    except ValueError:
        pass
    if ":" in text:
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    resolver: Resolver = system_resolver,
    address_allowed: AddressPolicy | None = None,
) -> ResolvedURL:
    """Vet a URL for fetching; raise UnsafeURLError (with a user-facing message) if refused.

    Every address the host resolves to must pass the policy: a name with one public and one
    private address is refused, since we cannot know which one a later lookup would pick.
    """
    policy = address_allowed or address_policy(allow_private)
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        raw_host = parts.hostname
        port = parts.port
    except ValueError as exc:  # e.g. a port that is not a number, a bad IPv6 literal
        raise UnsafeURLError("This link is not a valid URL.") from exc
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError(MSG_SCHEME)
    if not raw_host:
        raise UnsafeURLError(MSG_NO_HOST)
    port = port or DEFAULT_PORTS[scheme]

    literal = _parse_ip(raw_host)
    if literal is not None:
        host = str(literal)
        candidates: list[str] = [host]
    else:
        try:
            host = raw_host.rstrip(".").encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise UnsafeURLError(MSG_BAD_HOST) from exc
        if not host or len(host) > 253:
            raise UnsafeURLError(MSG_BAD_HOST)
        try:
            candidates = list(resolver(host, port))
        except (OSError, UnicodeError) as exc:
            log.info("DNS lookup failed for %s: %s", host, exc)
            raise UnsafeURLError(f"The host name {host!r} could not be found.") from exc
        if not candidates:
            raise UnsafeURLError(f"The host name {host!r} could not be found.")

    vetted: list[str] = []
    for text in candidates:
        ip = _parse_ip(text)
        if ip is None or not policy(ip):
            log.warning(
                "refused URL %r: %s resolves to %s (%s)",
                url,
                host,
                text,
                unsafe_reason(ip) if ip is not None else "unparseable",
            )
            raise UnsafeURLError(MSG_PRIVATE)
        if str(ip) not in vetted:
            vetted.append(str(ip))
    return ResolvedURL(
        url=url.strip(), scheme=scheme, host=host, port=port, addresses=tuple(vetted)
    )
