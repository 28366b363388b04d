#!/usr/bin/env python3
"""Benchmark: fuzzing the JSON API with schemathesis (issue 10, proof campaign point 2), a longer run.

Runs ``tests/test_api_fuzz.py`` (in process through ``cxloop.wsgi``, owner API key of a seeded organisation, every
operation of ``/api/v1/openapi.json`` with positive and negative data, then schemathesis' state machine over the
links it infers) with many more examples per operation than the test suite's default, on SQLite and, optionally,
on a throwaway PostgreSQL cluster. Prints, per backend, one JSON line: operations, examples, stateful calls and
inferred links, 5xx answers, failures by check, duration; and the status codes seen per operation with
``--verbose``. Exit status 1 when any check failed.

Usage: benchmarks/fuzz_api.py [--backends sqlite,postgresql] [--examples 25] [--stateful 100] [--verbose]
Environment: CXLOOP_TEST_DATABASE_URL (use this PostgreSQL server instead of a throwaway cluster).
Add the figures to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def run(backend: str, examples: int, stateful: int, database_url: str = "") -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cxloop-fuzz-") as work:
        report = Path(work) / "report.json"
        env = {**os.environ, "CXLOOP_DATA_DIR": work, "CXLOOP_FUZZ_EXAMPLES": str(examples),
               "CXLOOP_FUZZ_STATEFUL": str(stateful), "CXLOOP_FUZZ_REPORT": str(report),
               "CXLOOP_TEST_BACKEND": backend, "CXLOOP_TEST_ALL_PASSES": "1"}
        env.pop("CXLOOP_DATABASE_URL", None)
        if database_url:
            env["CXLOOP_DATABASE_URL"] = database_url
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_api_fuzz.py"]
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        if not report.exists():
            start = max(proc.stdout.find("= FAILURES ="), 0)
            sys.stderr.write(proc.stdout[start:start + 8000] + proc.stderr[-3000:])
            raise SystemExit(f"{backend}: the fuzz test wrote no report (exit {proc.returncode})")
        result = json.loads(report.read_text())
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-20000:])
    return {"backend": backend, "examples_per_operation_and_mode": examples, "stateful_scenarios": stateful,
            "pytest_exit": proc.returncode, "wall_seconds": round(wall, 1), **result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--stateful", type=int, default=100)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    failed = False
    print(json.dumps({"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                      "python": platform.python_version()}))
    for backend in args.backends.split(","):
        if backend == "postgresql":
            url = os.environ.get("CXLOOP_TEST_DATABASE_URL", "")
            if url:
                result = run(backend, args.examples, args.stateful, url)
            else:
                from run_tests import postgres_cluster  # type: ignore[import-not-found]

                with postgres_cluster() as url:
                    result = run(backend, args.examples, args.stateful, url)
        else:
            result = run(backend, args.examples, args.stateful)
        statuses = result.pop("statuses", {})
        details = result.pop("failure_details", [])
        print(json.dumps(result), flush=True)
        for text in details:  # type: ignore[attr-defined]
            print(f"FAILED {text}\n")
        if args.verbose:
            for label, counts in sorted(statuses.items()):  # type: ignore[attr-defined]
                print(f"  {label}: {counts}")
        failed = failed or result["pytest_exit"] != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
