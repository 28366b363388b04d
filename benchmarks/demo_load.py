#!/usr/bin/env python3
"""Benchmark: how long `cxloop demo --no-serve` takes to migrate and load the demo on SQLite, and
how big it is. Usage: benchmarks/demo_load.py [--size small|large] [--seed N]. Prints JSON."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small", choices=["tiny", "small", "large"])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxloop-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
        env["CXLOOP_DATA_DIR"] = tmp
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "cxloop.cli", "demo", "--db", str(db), "--size", args.size,
             "--seed", str(args.seed), "--no-serve"],
            env=env, capture_output=True, text=True, check=False,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        with sqlite3.connect(db) as conn:
            responses = conn.execute("SELECT count(*) FROM surveys_response").fetchone()[0]
            answers = conn.execute("SELECT count(*) FROM surveys_answer").fetchone()[0]
            accounts = conn.execute("SELECT count(*) FROM customers_account").fetchone()[0]
            contacts = conn.execute("SELECT count(*) FROM customers_contact").fetchone()[0]
        print(json.dumps({
            "benchmark": "demo_load", "size": args.size, "seed": args.seed, "seconds": round(elapsed, 1),
            "responses": responses, "answers": answers, "accounts": accounts, "contacts": contacts,
            "db_megabytes": round(db.stat().st_size / 1e6, 1), "cpu_count": os.cpu_count(),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
