#!/usr/bin/env python3
"""Run the whole test suite twice: on SQLite (every test, browser tests included) and on a real
PostgreSQL server (every test but the browser ones).

PostgreSQL comes from CXLOOP_TEST_DATABASE_URL when set; otherwise this script starts a throwaway
cluster with initdb/pg_ctl on a free loopback port (as the ``postgres`` user when run as root, since
initdb refuses root) and removes it afterwards. With CI=true a missing PostgreSQL is a failure, not
a skip. Extra arguments go to pytest (e.g. ``-k tenant``).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localnet import free_port

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_bindir() -> Path | None:
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb") or "").parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


@contextmanager
def postgres_cluster(*, durable: bool = False) -> Iterator[str]:
    """Yield a postgresql:// URL of a fresh cluster; stop and delete it afterwards. Tests run it with
    fsync off (speed); ``durable=True`` keeps PostgreSQL's defaults (benchmarks)."""
    bindir = _pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="cxloop-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if as_root:
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    log = base / "server.log"

    def run(*cmd: str) -> None:
        subprocess.run([*prefix, *cmd], check=True, stdout=subprocess.DEVNULL)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
        "--locale=C.UTF-8" if _has_c_utf8() else "--no-locale")
    # The test database is created by Django; the benchmarks connect to "cxloop" directly.
    post_start = [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "cxloop"]
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} -c max_connections=100"
    if not durable:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if as_root:
        log.touch()
        shutil.chown(log, "postgres")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start")
    run(*post_start)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/cxloop"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)


def _has_c_utf8() -> bool:
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout.lower()
    return "c.utf8" in out or "c.utf-8" in out


def _stream(proc: subprocess.Popen[str], prefix: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        print(f"{prefix}{line}", end="", flush=True)


def pytest(label: str, env: dict[str, str], args: list[str], prefix: str = "") -> int:
    """Run pytest and return its exit code; with ``prefix`` every output line is prefixed (passes in parallel)."""
    print(f"\n===== cxloop tests on {label} =====", flush=True)
    started = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", *args]
    if prefix:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                bufsize=1)
        _stream(proc, prefix)
        rc = proc.wait()
    else:
        rc = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    print(f"===== {label}: exit {rc} after {time.monotonic() - started:.0f} s =====", flush=True)
    return rc


def _postgres_pass(env: dict[str, str], args: list[str], prefix: str) -> int:
    pg_url = os.environ.get("CXLOOP_TEST_DATABASE_URL", "")
    if pg_url:
        return pytest("PostgreSQL (CXLOOP_TEST_DATABASE_URL)", {**env, "CXLOOP_DATABASE_URL": pg_url}, args, prefix)
    try:
        with postgres_cluster() as url:
            return pytest(f"PostgreSQL (throwaway cluster {url})", {**env, "CXLOOP_DATABASE_URL": url}, args, prefix)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"\nPostgreSQL unavailable: {exc}", flush=True)
        if CI:
            print("CI=true: a missing PostgreSQL is a failure.", flush=True)
            return 1
        print("Skipping the PostgreSQL pass (set CI=true to make this fail).", flush=True)
        return -1


def main(argv: list[str]) -> int:
    """Both passes run at the same time (one pytest process each; the machine has two cores) unless
    CXLOOP_TEST_SERIAL=1 or only one core is available; their output lines are prefixed [sqlite] / [pg]."""
    extra = argv[1:]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    base_env["CXLOOP_TEST_DATABASE_URL"] = os.environ.get("CXLOOP_TEST_DATABASE_URL", "")
    work = Path(tempfile.mkdtemp(prefix="cxloop-test-"))
    results: dict[str, int] = {}
    parallel = os.environ.get("CXLOOP_TEST_SERIAL", "") not in {"1", "true", "yes"} and (os.cpu_count() or 1) > 1
    try:
        sqlite_env = {**base_env, "CXLOOP_DATA_DIR": str(work / "sqlite"), "CXLOOP_TEST_BACKEND": "sqlite"}
        pg_env = {**base_env, "CXLOOP_DATA_DIR": str(work / "pg"), "CXLOOP_TEST_BACKEND": "postgresql"}
        pg_args = ["-m", "not browser", *extra]
        if parallel:
            box: dict[str, int] = {}
            pg = threading.Thread(target=lambda: box.update(pg=_postgres_pass(pg_env, pg_args, "[pg] ")))
            pg.start()
            results["SQLite"] = pytest("SQLite (all tests, browser included)", sqlite_env, extra, "[sqlite] ")
            pg.join()
            results["PostgreSQL"] = box.get("pg", 1)
        else:
            results["SQLite"] = pytest("SQLite (all tests, browser included)", sqlite_env, extra)
            results["PostgreSQL"] = _postgres_pass(pg_env, pg_args, "")
        if results["PostgreSQL"] == -1:
            del results["PostgreSQL"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n===== summary =====")
    for label, rc in results.items():
        print(f"{label:<12} {'passed' if rc == 0 else f'FAILED (exit {rc})'}")
    return 0 if results and all(rc == 0 for rc in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
