"""The SSRF guard (``core.netguard``). IP literals are real addresses read without any resolver (the resolver
here fails the test if it is called); names go to a fake resolver. Nothing leaves the machine."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import pytest

from cxloop.core.netguard import TargetRefused, check_target, literal_address, parse_target, refusal


def no_resolver(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
    raise AssertionError(f"the resolver must not be asked about a literal: {args!r}")


def fake(table: dict[str, Sequence[str]]) -> Any:
    """A getaddrinfo that knows only ``table`` (name → addresses) and records what it was asked."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append((host, port))
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out: list[tuple[Any, ...]] = []
        for address in table[host]:
            if ":" in address:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return out

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def refused(url: str, match: str = "", resolve: Any = no_resolver) -> None:
    with pytest.raises(TargetRefused, match=match):
        check_target(url, allow_private=False, resolve=resolve)


# --- the URL itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "match"), [
    ("ftp://example.com/", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://example.com/", "scheme"),
    ("//example.com/", "scheme"),
    ("example.com/hook", "scheme"),
    ("http://user:pass@example.com/", "credentials"),
    ("http://user@example.com/", "credentials"),
    ("https:///nohost", "no host"),
    ("http://example.com:0/", "port"),
    ("http://example.com:70000/", "malformed"),
    ("http://example.com:abc/", "malformed"),
    ("http://exa mple.com/", "whitespace"),
    ("http://example.com/\nHost: evil", "whitespace"),
    ("http://evil.com\\@8.8.8.8/", "backslash"),
    ("http://[::1/", "malformed"),
    ("http://ex%41mple.com/", "not a valid host"),
    ("http://-bad-.com/", "not a valid host"),
    ("", "no URL"),
])
def test_malformed_urls(url: str, match: str) -> None:
    refused(url, match, resolve=fake({"example.com": ["93.184.215.14"]}))


def test_parse_target_normalises() -> None:
    assert parse_target("HTTPS://Example.COM./hook") == ("https", "example.com", 443)
    assert parse_target("http://example.com:8080") == ("http", "example.com", 8080)
    assert parse_target("http://[2606:4700::1111]/") == ("http", "2606:4700::1111", 80)
    assert parse_target("https://bücher.example/") == ("https", "xn--bcher-kva.example", 443)


# --- literal addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "match"), [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.8.9.10:8000/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://172.31.255.255/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://0.1.2.3/", "unspecified"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://100.127.255.254/", "carrier-grade NAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://239.255.255.250/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://192.0.2.10/", "documentation"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[fc00::1]/", "unique local"),
    ("http://[fd00:ec2::254]/", "unique local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    ("http://[::ffff:10.0.0.1]/", "private"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://[::ffff:7f00:1]/", "loopback"),
    ("http://[64:ff9b::10.1.2.3]/", "private"),
    ("http://[64:ff9b::a9fe:a9fe]/", "link-local"),
    ("http://[64:ff9b:1::1]/", "local NAT64"),
    ("http://[2002:7f00:1::1]/", "loopback"),  # 6to4 of 127.0.0.1
    ("http://[2002:c0a8:101::1]/", "private"),  # 6to4 of 192.168.1.1
    ("http://[::127.0.0.1]/", "reserved"),  # IPv4-compatible
])
def test_literal_addresses_refused(url: str, match: str) -> None:
    refused(url, match)


@pytest.mark.parametrize(("url", "address"), [
    ("http://2130706433/", "127.0.0.1"),
    ("http://0x7f000001/", "127.0.0.1"),
    ("http://0x7f.1/", "127.0.0.1"),
    ("http://0177.0.0.1/", "127.0.0.1"),
    ("http://127.1/", "127.0.0.1"),
    ("http://017700000001/", "127.0.0.1"),
    ("http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"),
    ("http://10.1/", "10.0.0.1"),
])
def test_odd_ipv4_forms_are_read_as_the_c_library_reads_them(url: str, address: str) -> None:
    host = parse_target(url)[1]
    assert literal_address(host) == ipaddress.IPv4Address(address)
    with pytest.raises(TargetRefused, match=f"is {address}, refused"):
        check_target(url, allow_private=False, resolve=no_resolver)


@pytest.mark.parametrize(("url", "address"), [
    ("https://8.8.8.8/hook", "8.8.8.8"),
    ("https://1.1.1.1:8443/", "1.1.1.1"),
    ("http://100.63.255.255/", "100.63.255.255"),  # just below carrier-grade NAT
    ("http://172.32.0.1/", "172.32.0.1"),  # just above 172.16/12
    ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
    ("http://[::ffff:8.8.8.8]/", "::ffff:8.8.8.8"),
    ("http://[2002:808:808::1]/", "2002:808:808::1"),  # 6to4 of a public address
    ("http://[64:ff9b::808:808]/", "64:ff9b::808:808"),  # NAT64 of a public address
])
def test_public_literals_pass(url: str, address: str) -> None:
    assert check_target(url, allow_private=False, resolve=no_resolver) == [ipaddress.ip_address(address)]


# --- names -------------------------------------------------------------------------------------------


def test_name_resolving_to_public_addresses_returns_them_all() -> None:
    resolve = fake({"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
                                          "93.184.215.14"]})
    assert check_target("https://hooks.example.com/x", allow_private=False, resolve=resolve) == [
        ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")]
    assert resolve.asked == [("hooks.example.com", 443)]


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    resolve = fake({"rebind.example.com": ["93.184.215.14", "10.1.2.3"]})
    refused("https://rebind.example.com/", "rebind.example.com is 10.1.2.3, refused: private", resolve)


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "fd00:ec2::254", "::ffff:192.168.0.1",
                                     "100.100.100.200", "0.0.0.0", "fe80::1%eth0"])  # noqa: S104
def test_names_resolving_to_internal_addresses_are_refused(address: str) -> None:
    refused("http://internal.example.com/", "refused", fake({"internal.example.com": [address]}))


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "localhost.", "api.localhost", "localhost.localdomain",
                                  "ip6-localhost"])
def test_localhost_names_are_refused_without_asking(host: str) -> None:
    refused(f"http://{host}:8000/", "local name")


def test_unresolvable_name() -> None:
    refused("https://nowhere.invalid/", "cannot resolve", fake({}))
    refused("https://empty.example.com/", "no address", fake({"empty.example.com": []}))


# --- allow_private -----------------------------------------------------------------------------------


def test_allow_private_lets_internal_targets_through() -> None:
    assert check_target("http://10.0.0.5:9000/", allow_private=True, resolve=no_resolver) == [
        ipaddress.IPv4Address("10.0.0.5")]
    assert check_target("http://[::1]/", allow_private=True, resolve=no_resolver) == [ipaddress.IPv6Address("::1")]
    resolve = fake({"localhost": ["127.0.0.1"], "intranet.corp": ["192.168.10.20"]})
    assert check_target("http://localhost:8080/", allow_private=True, resolve=resolve) == [
        ipaddress.IPv4Address("127.0.0.1")]
    assert check_target("http://intranet.corp/", allow_private=True, resolve=resolve) == [
        ipaddress.IPv4Address("192.168.10.20")]


def test_allow_private_still_refuses_multicast_and_broadcast_and_bad_urls() -> None:
    for url in ("http://224.0.0.1/", "http://255.255.255.255/", "http://[ff02::1]/"):
        with pytest.raises(TargetRefused, match="multicast or broadcast"):
            check_target(url, allow_private=True, resolve=no_resolver)
    with pytest.raises(TargetRefused, match="credentials"):
        check_target("http://a:b@10.0.0.1/", allow_private=True, resolve=no_resolver)


def test_refusal_phrases() -> None:
    assert refusal(ipaddress.ip_address("8.8.8.8")) is None
    assert refusal(ipaddress.ip_address("169.254.169.254")) == "link-local address (169.254.0.0/16, cloud metadata)"
    assert refusal(ipaddress.ip_address("::ffff:10.0.0.1")) == "private address (10.0.0.0/8) inside an IPv6 address"
