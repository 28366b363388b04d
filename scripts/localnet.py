"""Loopback helpers shared by the test runner, the tests and the benchmarks: a free port and a wait
for a server to answer. Only loopback addresses are ever used."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60) -> None:
    """Poll ``url`` until it answers 200; AssertionError after ``timeout`` seconds."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only loopback http URLs: {url}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback http only, checked)
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")
