"""SSRF (issue 10, proof point 5): webhooks (``notify.http.post``) and import-from-URL (``notify.http.fetch``)
never reach an address inside the network unless the install allows it.

Real HTTP servers listen on 127.0.0.1 (and 127.0.0.2) only. "The internet" is simulated by a ``connect`` that
sends connections for the public test address 93.184.215.14 to the "public" local server and lets every other
address through unchanged, so a request that went to loopback would really arrive at the "internal" server,
and each test asserts that it did not. Names are answered by a scripted resolver (no DNS is asked)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cxloop.notify import http

PUBLIC = "93.184.215.14"


@dataclass
class Server:
    """A local HTTP server; ``routes`` maps a path to (status, headers, body) or a callable; records requests."""

    host: str
    routes: dict[str, Any] = field(default_factory=dict)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, Host header)
    port: int = 0
    httpd: Any = None

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"


def _start(host: str, port: int = 0) -> Server:
    server = Server(host)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            server.seen.append((self.command, self.path, self.headers.get("Host", "")))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            route = server.routes.get(self.path.split("?")[0], (200, {}, b"ok"))
            if callable(route):
                route = route(self)
                if route is None:
                    return
            status, headers, body = route
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server.httpd = ThreadingHTTPServer((host, port), Handler)
    server.httpd.daemon_threads = True
    server.port = server.httpd.server_address[1]
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def public() -> Iterator[Server]:
    server = _start("127.0.0.1")
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def internal() -> Iterator[Server]:
    server = _start("127.0.0.1")
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def internet(public: Server) -> Any:
    """A ``connect`` in which PUBLIC is the public server; it records every address it is asked for."""
    asked: list[tuple[str, int]] = []

    def connect(address: tuple[str, int], timeout: float | None = None, **kwargs: Any) -> socket.socket:
        asked.append(address)
        if address[0] == PUBLIC:
            return socket.create_connection(("127.0.0.1", public.port), timeout=timeout)
        return socket.create_connection(address, timeout=timeout)

    connect.asked = asked  # type: ignore[attr-defined]
    return connect


def resolver(*answers: Sequence[str]) -> Any:
    """A getaddrinfo whose n-th call answers ``answers[n]`` (the last one repeats): DNS rebinding on demand."""
    calls: list[str] = []

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        addresses = answers[min(len(calls), len(answers)) - 1]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in addresses]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def never_connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
    raise AssertionError(f"must not connect to {address}")


# --- (a) the connection goes to the address that was checked: DNS rebinding ------------------------------


def test_rebinding_webhook_reaches_the_checked_public_address_not_loopback(public: Server, internal: Server) -> None:
    resolve = resolver([PUBLIC], ["127.0.0.1"])  # public when checked, loopback if anybody asked again
    connect = internet(public)
    result = http.post(f"http://hooks.example.com:{internal.port}/hook", b"{}", {}, allow_private=False,
                       resolve=resolve, connect=connect)
    assert result.status == 200 and result.error == ""
    assert resolve.calls == ["hooks.example.com"]  # one lookup only
    assert connect.asked == [(PUBLIC, internal.port)]
    assert [(m, p) for m, p, _ in public.seen] == [("POST", "/hook")]
    assert public.seen[0][2] == f"hooks.example.com:{internal.port}"  # the Host header names the host
    assert internal.seen == []


def test_rebinding_fetch_reaches_the_checked_public_address_not_loopback(public: Server, internal: Server) -> None:
    public.routes["/data.csv"] = (200, {"Content-Type": "text/csv"}, b"a,b\n1,2\n")
    resolve = resolver([PUBLIC], ["127.0.0.1"])
    got = http.fetch(f"http://files.example.com:{internal.port}/data.csv", max_bytes=1000, allow_private=False,
                     resolve=resolve, connect=internet(public))
    assert (got.status, got.content_type, got.body) == (200, "text/csv", b"a,b\n1,2\n")
    assert resolve.calls == ["files.example.com"] and internal.seen == []


def test_with_allow_private_the_checked_loopback_address_is_used_not_a_second_answer() -> None:
    """Two real servers on the same port of 127.0.0.1 and 127.0.0.2: the first answer of the resolver wins."""
    first = _start("127.0.0.1")
    try:
        try:
            second = _start("127.0.0.2", first.port)
        except OSError:
            pytest.skip("127.0.0.2 cannot be bound here")
        resolve = resolver(["127.0.0.1"], ["127.0.0.2"])
        assert http.post(f"http://intranet.corp:{first.port}/h", b"{}", {}, allow_private=True,
                         resolve=resolve).status == 200
        resolve = resolver(["127.0.0.1"], ["127.0.0.2"])
        assert http.fetch(f"http://intranet.corp:{first.port}/f", max_bytes=10, allow_private=True,
                          resolve=resolve).body == b"ok"
        assert [p for _, p, _ in first.seen] == ["/h", "/f"] and second.seen == []
        second.httpd.shutdown()
        second.httpd.server_close()
    finally:
        first.httpd.shutdown()
        first.httpd.server_close()


def test_one_internal_address_among_public_ones_refuses_the_whole_name(public: Server) -> None:
    resolve = resolver([PUBLIC, "10.0.0.7"])
    result = http.post("https://hooks.example.com/x", b"{}", {}, allow_private=False, resolve=resolve,
                       connect=never_connect)
    assert result.status is None and result.error.startswith("refused:") and "10.0.0.7" in result.error


# --- (b) redirects ---------------------------------------------------------------------------------------


def test_webhook_redirect_to_loopback_is_not_followed(public: Server, internal: Server) -> None:
    public.routes["/hook"] = (302, {"Location": internal.url("/admin")}, b"")
    result = http.post(f"http://hooks.example.com:{public.port}/hook", b"{}", {}, allow_private=False,
                       resolve=resolver([PUBLIC]), connect=internet(public))
    assert result.status == 302  # the receiver's answer, final: backoff does not retry a 3xx
    assert internal.seen == []


def test_fetch_redirect_to_loopback_is_refused_at_that_hop(public: Server, internal: Server) -> None:
    for target in (internal.url("/secret"), f"http://localhost:{internal.port}/secret",
                   "http://169.254.169.254/latest/meta-data/", f"http://[::ffff:127.0.0.1]:{internal.port}/"):
        public.routes["/export.csv"] = (302, {"Location": target}, b"")
        connect = internet(public)
        with pytest.raises(http.FetchError, match="refused") as caught:
            http.fetch("http://files.example.com/export.csv", max_bytes=1000, allow_private=False,
                       resolve=resolver([PUBLIC]), connect=connect)
        assert caught.value.refused
        assert connect.asked == [(PUBLIC, 80)]  # the redirect's target was never connected to
    # a name that resolves to loopback on the second hop (rebinding through a redirect)
    public.routes["/export.csv"] = (302, {"Location": "http://cdn.example.com/real.csv"}, b"")
    with pytest.raises(http.FetchError, match=r"cdn\.example\.com is 127\.0\.0\.1, refused: loopback"):
        http.fetch("http://files.example.com/export.csv", max_bytes=1000, allow_private=False,
                   resolve=resolver([PUBLIC], ["127.0.0.1"]), connect=internet(public))
    assert internal.seen == []


def test_fetch_follows_public_redirects_up_to_the_limit(public: Server) -> None:
    public.routes["/a"] = (301, {"Location": "/b"}, b"")
    public.routes["/b"] = (302, {"Location": "http://mirror.example.com/c"}, b"")
    public.routes["/c"] = (200, {"Content-Type": "application/json"}, b'{"ok": true}')
    got = http.fetch("http://files.example.com/a", max_bytes=100, allow_private=False,
                     resolve=resolver([PUBLIC]), connect=internet(public))
    assert (got.url, got.body) == ("http://mirror.example.com/c", b'{"ok": true}')
    assert [p for _, p, _ in public.seen] == ["/a", "/b", "/c"]
    public.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(http.FetchError, match="more than 3 redirects"):
        http.fetch("http://files.example.com/loop", max_bytes=100, allow_private=False,
                   resolve=resolver([PUBLIC]), connect=internet(public))


# --- (c) internal addresses are refused before any connection --------------------------------------------


INTERNAL = ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
            "0.0.0.0", "::1", "fd00:ec2::254", "fc00::1", "fe80::1", "::ffff:127.0.0.1",  # noqa: S104
            "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_literals_and_names_are_refused_by_post_and_fetch(address: str) -> None:
    literal = f"http://[{address}]/x" if ":" in address else f"http://{address}/x"
    for url, resolve in ((literal, resolver()), ("http://internal.example.com/x", resolver([address]))):
        result = http.post(url, b"{}", {}, allow_private=False, resolve=resolve, connect=never_connect)
        assert result.status is None and result.error.startswith("refused:"), (url, result)
        with pytest.raises(http.FetchError) as caught:
            http.fetch(url, max_bytes=10, allow_private=False, resolve=resolve, connect=never_connect)
        assert caught.value.refused, (url, caught.value.reason)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x",
                                 "http://user:pw@example.com/", "http://localhost/", "http://2130706433/",
                                 "http://0x7f.1/", "http://example.com\\@127.0.0.1/"])
def test_other_ways_to_say_local_are_refused(url: str) -> None:
    with pytest.raises(http.FetchError, match="refused"):
        http.fetch(url, max_bytes=10, allow_private=False, resolve=resolver([PUBLIC]), connect=never_connect)


def test_allow_private_reaches_an_intranet_server(internal: Server) -> None:
    internal.routes["/survey.qsf"] = (200, {"Content-Type": "application/json"}, b"{}")
    assert http.fetch(internal.url("/survey.qsf"), max_bytes=10, allow_private=True).body == b"{}"
    assert http.post(internal.url("/hook"), b"{}", {}, allow_private=True).status == 200
    with pytest.raises(http.FetchError, match=r"refused: 127\.0\.0\.1 is refused: loopback"):
        http.fetch(internal.url("/survey.qsf"), max_bytes=10, allow_private=False)


# --- fetch: size cap, timeout, status ----------------------------------------------------------------------


def test_fetch_size_cap(internal: Server) -> None:
    internal.routes["/big"] = (200, {}, b"x" * 5000)
    internal.routes["/exact"] = (200, {}, b"x" * 1000)

    def chunked(handler: BaseHTTPRequestHandler) -> None:  # no Content-Length: the body is counted as read
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for _ in range(5):
            handler.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    internal.routes["/chunked"] = chunked
    assert len(http.fetch(internal.url("/exact"), max_bytes=1000, allow_private=True).body) == 1000
    with pytest.raises(http.FetchError, match=r"larger than 1000 bytes \(5000\)"):
        http.fetch(internal.url("/big"), max_bytes=1000, allow_private=True)
    with pytest.raises(http.FetchError, match="larger than 1000 bytes"):
        http.fetch(internal.url("/chunked"), max_bytes=1000, allow_private=True)
    assert len(http.fetch(internal.url("/chunked"), max_bytes=5000, allow_private=True).body) == 5000


def test_fetch_timeout_and_status(internal: Server) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        return None

    internal.routes["/slow"] = slow
    internal.routes["/gone"] = (404, {}, b"no")
    started = time.monotonic()
    with pytest.raises(http.FetchError, match=r"no answer within 0\.3 s"):
        http.fetch(internal.url("/slow"), max_bytes=10, allow_private=True, timeout=0.3)
    assert time.monotonic() - started < 1.2
    with pytest.raises(http.FetchError, match="HTTP 404"):
        http.fetch(internal.url("/gone"), max_bytes=10, allow_private=True)
    with pytest.raises(http.FetchError, match="ConnectionRefusedError"):
        http.fetch("http://127.0.0.1:1/", max_bytes=10, allow_private=True)
