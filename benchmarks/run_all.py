#!/usr/bin/env python3
"""Run every benchmark and print its JSON line; copy the figures into docs/benchmarks.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script, args in [("demo_load.py", ["--size", "small"])]:
    print(f"# {script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)
