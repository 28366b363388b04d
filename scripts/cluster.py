"""Real cxloop processes on loopback for tests and benchmarks: ``cxloop serve`` and ``cxloop worker`` against
one database, started with a clean environment (only the variables given), stopped on exit."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from localnet import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Cluster:
    web: list[str] = field(default_factory=list)  # base URLs of the web processes
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def check_alive(self) -> None:
        for p in self.processes:
            if p.poll() is not None:
                raise AssertionError(f"{p.args!r} exited with {p.returncode}")


def environment(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update({"CXLOOP_DATABASE_URL": database_url, "CXLOOP_ALLOW_PRIVATE_WEBHOOKS": "true",
                "CXLOOP_LOG_LEVEL": "WARNING", **(extra or {})})
    return env


@contextmanager
def cluster(database_url: str, *, web: int = 1, workers: int = 1, web_workers: int = 1,
            extra: Mapping[str, str] | None = None) -> Iterator[Cluster]:
    """``web`` serve processes (each ``web_workers`` granian workers) and ``workers`` task workers."""
    env = environment(database_url, extra)
    found = Cluster()
    try:
        for _ in range(web):
            port = free_port()
            found.processes.append(subprocess.Popen(
                [sys.executable, "-m", "cxloop.cli", "serve", "--port", str(port), "--workers", str(web_workers)],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            found.web.append(f"http://127.0.0.1:{port}")
        for _ in range(workers):
            found.processes.append(subprocess.Popen(
                [sys.executable, "-m", "cxloop.cli", "worker", "--interval", "0.1"], env=env, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for base in found.web:
            wait_http(f"{base}/healthz")
        yield found
    finally:
        for p in found.processes:
            p.terminate()
        for p in found.processes:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
