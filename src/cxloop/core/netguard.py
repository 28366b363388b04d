"""The SSRF guard for outgoing webhooks: may cxloop send a request to this URL? Pure Python (no Django).

:func:`check_target` parses the URL (``http`` or ``https``, a host, no ``user:password@``, a port from 1 to
65535, nothing a different URL parser could read another way: no whitespace, control characters or
backslashes), resolves the host and vets **every** address it resolves to. One address inside the
organisation's network is enough to refuse the URL, because the HTTP client may pick any of them. It returns
the vetted addresses so the caller connects to exactly those, and a second DNS answer (rebinding) never counts.

Refused (unless ``allow_private``, the setting ``CXLOOP_ALLOW_PRIVATE_WEBHOOKS=true`` for installs that post to
their own intranet):

* the names ``localhost``, ``*.localhost``, ``localhost.localdomain``, ``ip6-localhost``, ``ip6-loopback``;
* IPv4: ``0.0.0.0/8`` (unspecified), ``10/8``, ``172.16/12``, ``192.168/16`` (RFC 1918), ``100.64/10``
  (carrier-grade NAT), ``127/8`` (loopback), ``169.254/16`` (link-local, the cloud metadata address
  ``169.254.169.254`` among them), ``192.0.0/24``, ``192.0.2/24``, ``198.51.100/24``, ``203.0.113/24``
  (protocol assignments, documentation), ``192.88.99/24`` (6to4 relays), ``198.18/15`` (benchmarking),
  ``224/4`` (multicast), ``240/4`` (reserved) and ``255.255.255.255``;
* IPv6: ``::`` and ``::1``, ``fc00::/7`` (unique local, AWS's metadata address ``fd00:ec2::254`` among them),
  ``fe80::/10`` and ``fec0::/10`` (link- and site-local), ``ff00::/8`` (multicast), ``100::/64`` (discard),
  ``2001:db8::/32`` and ``3fff::/20`` (documentation), ``2001::/32`` (Teredo), ``64:ff9b:1::/48`` (local
  NAT64), the rest of ``::/8`` (IPv4-compatible and reserved), and anything else Python's :mod:`ipaddress` does
  not call global;
* an IPv6 address that carries an IPv4 one — IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d``, 6to4
  ``2002:AABB:CCDD::`` — is judged by that IPv4 address (``::ffff:10.0.0.1`` is refused, ``::ffff:8.8.8.8`` is
  not).

IPv4 literals in the forms the C library also reads (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``) are
read as the C library reads them (:func:`socket.inet_aton`), so they are judged as the address the HTTP client
would connect to. With ``allow_private`` only multicast and broadcast addresses are still refused: nothing can
open a TCP connection to them.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
_BLOCKED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified address (0.0.0.0/8)"),
    (_V4("10.0.0.0/8"), "private address (10.0.0.0/8)"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT address (100.64.0.0/10)"),
    (_V4("127.0.0.0/8"), "loopback address (127.0.0.0/8)"),
    (_V4("169.254.0.0/16"), "link-local address (169.254.0.0/16, cloud metadata)"),
    (_V4("172.16.0.0/12"), "private address (172.16.0.0/12)"),
    (_V4("192.0.0.0/24"), "reserved address (192.0.0.0/24, IETF protocol assignments)"),
    (_V4("192.0.2.0/24"), "documentation address (192.0.2.0/24)"),
    (_V4("192.88.99.0/24"), "reserved address (192.88.99.0/24, 6to4 relay)"),
    (_V4("192.168.0.0/16"), "private address (192.168.0.0/16)"),
    (_V4("198.18.0.0/15"), "reserved address (198.18.0.0/15, benchmarking)"),
    (_V4("198.51.100.0/24"), "documentation address (198.51.100.0/24)"),
    (_V4("203.0.113.0/24"), "documentation address (203.0.113.0/24)"),
    (_V4("224.0.0.0/4"), "multicast address (224.0.0.0/4)"),
    (_V4("255.255.255.255/32"), "broadcast address (255.255.255.255)"),
    (_V4("240.0.0.0/4"), "reserved address (240.0.0.0/4)"),
    (_V6("::/128"), "unspecified address (::)"),
    (_V6("::1/128"), "loopback address (::1)"),
    (_V6("64:ff9b:1::/48"), "local NAT64 address (64:ff9b:1::/48)"),
    (_V6("100::/64"), "discard-only address (100::/64)"),
    (_V6("2001:db8::/32"), "documentation address (2001:db8::/32)"),
    (_V6("2001::/32"), "Teredo address (2001::/32)"),
    (_V6("3fff::/20"), "documentation address (3fff::/20)"),
    (_V6("fc00::/7"), "private address (fc00::/7, unique local)"),
    (_V6("fe80::/10"), "link-local address (fe80::/10)"),
    (_V6("fec0::/10"), "site-local address (fec0::/10)"),
    (_V6("ff00::/8"), "multicast address (ff00::/8)"),
    (_V6("::/8"), "reserved address (::/8, IPv4-compatible)"),
)
_NAT64 = _V6("64:ff9b::/96")
_NEVER = (_V4("224.0.0.0/4"), _V4("255.255.255.255/32"), _V6("ff00::/8"))
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
_NUMERIC_V4 = re.compile(r"[0-9a-fx.]+\Z")


class TargetRefused(ValueError):
    """The URL may not receive webhooks; the message (and :attr:`reason`) says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_target(url: str, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo) -> list[IPAddress]:
    """The addresses ``url``'s host resolves to, each vetted; :class:`TargetRefused` naming the reason when the
    URL is malformed, the host does not resolve, or any address is not a public one (unless ``allow_private``).
    ``resolve`` is called as :func:`socket.getaddrinfo` is (``host, port, type=SOCK_STREAM``) for names only;
    IP literals are read here."""
    _scheme, host, port = parse_target(url)
    if not allow_private and (host in LOCAL_NAMES or host.endswith(".localhost")):
        raise TargetRefused(f"{host!r} is a local name")
    literal = literal_address(host)
    addresses = [literal] if literal is not None else _resolve(host, port, resolve)
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            if literal is not None and _spelled_plainly(host):
                raise TargetRefused(f"{address} is refused: {reason}")
            raise TargetRefused(f"{host} is {address}, refused: {reason}")
    return addresses


def parse_target(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a webhook URL, the host lowercased, IDNA-encoded, without a trailing dot or
    brackets; :class:`TargetRefused` for anything that is not a plain ``http(s)://host[:port]/…`` URL."""
    if not isinstance(url, str) or not url:
        raise TargetRefused("no URL")
    if len(url) > 2048:
        raise TargetRefused("URL is longer than 2048 characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url) or "\\" in url:
        raise TargetRefused("URL contains whitespace, control characters or a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"malformed URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused(f"scheme must be http or https, not {scheme or 'none'!r}")
    if "@" in parts.netloc:
        raise TargetRefused("URL must not carry credentials (user:password@)")
    host = parts.hostname or ""
    if not host:
        raise TargetRefused("URL has no host")
    if port is None:
        port = DEFAULT_PORTS[scheme]
    elif not 1 <= port <= 65535:
        raise TargetRefused(f"port {port} is out of range")
    if parts.netloc.startswith("[") or ":" in host:
        return scheme, _ipv6_host(host), port
    return scheme, _name(host), port


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, in any form the C library accepts (dotted quad, ``127.1``, decimal
    ``2130706433``, hex ``0x7f000001``, octal ``0177.0.0.1``; IPv6 with an optional ``%zone``), or None for a
    name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0] if ":" in host else host)
    except ValueError:
        pass
    if _NUMERIC_V4.match(host) and any(ch.isdigit() for ch in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def refusal(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why webhooks may not go to ``address`` (a phrase such as ``"loopback address (127.0.0.0/8)"``), or None."""
    if allow_private:
        for network in _NEVER:
            if address.version == network.version and address in network:
                return "multicast or broadcast address"
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal(embedded)
            return None if inner is None else f"{inner} inside an IPv6 address"
    for network, reason in _BLOCKED:
        if address.version == network.version and address in network:
            return reason
    if not address.is_global:
        return "non-public address"
    return None


def _spelled_plainly(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _resolve(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(f"cannot resolve {host!r}: {error}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        try:
            raw = str(info[4][0]).split("%", 1)[0]
            address = ipaddress.ip_address(raw)
        except (IndexError, TypeError, ValueError):
            raise TargetRefused(f"{host!r} resolved to something that is not an IP address") from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused(f"{host!r} resolves to no address")
    return addresses


def _ipv6_host(host: str) -> str:
    try:
        ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError:
        raise TargetRefused(f"{host!r} is not an IPv6 address") from None
    return host.lower()


def _name(host: str) -> str:
    name = host.lower().rstrip(".") if host != "." else ""
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise TargetRefused(f"{host!r} is not a valid host name") from None
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise TargetRefused(f"{host!r} is not a valid host name")
    return name
