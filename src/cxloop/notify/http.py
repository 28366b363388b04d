"""One HTTP POST to a vetted address: the host is resolved and checked (``core.netguard``) on every send and
the connection goes to exactly the addresses that passed, so DNS rebinding cannot redirect it; TLS still
verifies the certificate for the host name. No redirects are followed; the answer is read up to 2 KB."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cxloop.core import netguard

ANSWER_LIMIT = 2048
TIMEOUT = 10.0


@dataclass(frozen=True)
class Result:
    status: int | None  # None: no answer came
    answer: str  # the first 2 KB of the body
    error: str  # what went wrong before an answer ("" when one came)
    retry_after: str | None
    duration_ms: int


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float = TIMEOUT) -> Result:
    started = time.monotonic()

    def done(status: int | None, answer: str = "", error: str = "", retry_after: str | None = None) -> Result:
        return Result(status, answer, error[:500], retry_after, int((time.monotonic() - started) * 1000))

    try:
        scheme, host, port = netguard.parse_target(url)
        addresses = netguard.check_target(url, allow_private=allow_private)
    except netguard.TargetRefused as refused:
        return done(None, error=f"refused: {refused.reason}")  # notify.services.REFUSED: never retried
    except (OSError, ValueError) as exc:
        return done(None, error=f"{type(exc).__name__}: {exc}")
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    last_error = "no address"
    for address in addresses[:4]:
        try:
            sock = socket.create_connection((str(address), port), timeout=timeout)
        except OSError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            continue
        try:
            connection: http.client.HTTPConnection
            if scheme == "https":
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=host)
                connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
            else:
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
            connection.sock = sock
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read(ANSWER_LIMIT).decode("utf-8", "replace")
            status, retry_after = response.status, response.getheader("Retry-After")
            connection.close()
            return done(status, answer, retry_after=retry_after)
        except (OSError, http.client.HTTPException) as exc:
            sock.close()
            return done(None, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return done(None, error=last_error)
