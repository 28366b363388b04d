"""Outgoing HTTP to URLs someone else chose (webhooks, import-from-URL), guarded against SSRF.

Both verbs resolve the host once and vet every address (``core.netguard.check_target``); the connection then
goes to exactly those addresses (``connect((address, port))``), so a second DNS answer (rebinding) never
counts; TLS still verifies the certificate for the host name.

* :func:`post` sends one webhook. No redirect is followed (a 3xx is the receiver's answer); the answer is read
  up to 2 KB.
* :func:`fetch` GETs a document (the import-from-URL feature): at most ``max_redirects`` redirects, each hop
  vetted again as the first was (a public name that redirects to ``127.0.0.1`` is refused), a size cap
  (``max_bytes``: a larger ``Content-Length`` is refused before the body is read, a longer body is cut off and
  refused), one ``timeout`` for the whole fetch, and only a 200 answer is a success. Every failure is a
  :class:`FetchError` whose ``reason`` can be shown to the user; ``refused`` says the guard refused a URL.

``resolve`` and ``connect`` default to :func:`socket.getaddrinfo` and :func:`socket.create_connection`; tests
(and an install that must reach the outside through a fixed path) pass their own.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from cxloop.core import netguard

ANSWER_LIMIT = 2048
TIMEOUT = 10.0
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "cxloop"

Connector = Callable[..., socket.socket]


@dataclass(frozen=True)
class Result:
    status: int | None  # None: no answer came
    answer: str  # the first 2 KB of the body
    error: str  # what went wrong before an answer ("" when one came)
    retry_after: str | None
    duration_ms: int


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float = TIMEOUT,
         resolve: netguard.Resolver = socket.getaddrinfo, connect: Connector = socket.create_connection) -> Result:
    started = time.monotonic()

    def done(status: int | None, answer: str = "", error: str = "", retry_after: str | None = None) -> Result:
        return Result(status, answer, error[:500], retry_after, int((time.monotonic() - started) * 1000))

    try:
        scheme, host, port = netguard.parse_target(url)
        addresses = netguard.check_target(url, allow_private=allow_private, resolve=resolve)
    except netguard.TargetRefused as refused:
        return done(None, error=f"refused: {refused.reason}")  # notify.services.REFUSED: never retried
    except (OSError, ValueError) as exc:
        return done(None, error=f"{type(exc).__name__}: {exc}")
    try:
        connection = _connect(scheme, host, port, addresses, timeout, connect)
    except OSError as exc:
        return done(None, error=f"{type(exc).__name__}: {exc}")
    try:
        connection.request("POST", _path(url), body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(ANSWER_LIMIT).decode("utf-8", "replace")
        return done(response.status, answer, retry_after=response.getheader("Retry-After"))
    except (OSError, http.client.HTTPException) as exc:
        return done(None, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    finally:
        connection.close()


class FetchError(Exception):
    """The document could not be fetched; ``reason`` says why (for the user), ``refused`` when the SSRF guard
    refused a URL (the first or a redirect's)."""

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after the redirects
    status: int
    content_type: str
    body: bytes


def fetch(url: str, *, max_bytes: int, allow_private: bool, timeout: float = TIMEOUT,
          max_redirects: int = MAX_REDIRECTS, headers: dict[str, str] | None = None,
          resolve: netguard.Resolver = socket.getaddrinfo, connect: Connector = socket.create_connection) -> Fetched:
    """GET ``url`` (see the module's docstring); :class:`FetchError` for anything but a 200 answer of at most
    ``max_bytes`` bytes."""
    if max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    deadline = time.monotonic() + timeout
    sent = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity", **(headers or {})}
    for _hop in range(max_redirects + 1):
        try:
            scheme, host, port = netguard.parse_target(url)
            addresses = netguard.check_target(url, allow_private=allow_private, resolve=resolve)
        except netguard.TargetRefused as refused:
            raise FetchError(f"refused: {refused.reason}", refused=True) from None
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(f"no answer within {timeout:g} s")
        try:
            connection = _connect(scheme, host, port, addresses, left, connect)
        except OSError as exc:
            raise FetchError(_timeout_or(exc, timeout)) from None
        try:
            connection.request("GET", _path(url), headers=sent)
            response = connection.getresponse()
            if response.status in REDIRECTS:
                location = response.getheader("Location") or ""
                if not location:
                    raise FetchError(f"HTTP {response.status} without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} {response.reason}".strip())
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"larger than {max_bytes} bytes ({declared})")
            body = _read(response, max_bytes, deadline, timeout)
            return Fetched(url, response.status, response.getheader("Content-Type") or "", body)
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(_timeout_or(exc, timeout)) from None
        finally:
            connection.close()
    raise FetchError(f"more than {max_redirects} redirects")


def _read(response: http.client.HTTPResponse, max_bytes: int, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"no complete answer within {timeout:g} s")
        chunk = response.read(min(65536, max_bytes + 1 - size) or 1)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"larger than {max_bytes} bytes")
        chunks.append(chunk)


def _timeout_or(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _connect(scheme: str, host: str, port: int, addresses: list[Any], timeout: float,
             connect: Connector) -> http.client.HTTPConnection:
    """An HTTP(S) connection over a socket to the first of ``addresses`` (at most four tried) that answers."""
    last: OSError = OSError("no address")
    for address in addresses[:4]:
        try:
            sock = connect((str(address), port), timeout=timeout)
        except OSError as exc:
            last = exc
            continue
        connection: http.client.HTTPConnection
        if scheme == "https":
            context = ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=host)
            except OSError:
                sock.close()
                raise
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.sock = sock
        return connection
    raise last
