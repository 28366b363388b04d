#!/usr/bin/env python3
"""Benchmark: response ingestion through the real server (`cxloop serve`: granian by default, or
gunicorn) on SQLite and on PostgreSQL, with 32 concurrent clients driven by wrk (Debian package `wrk`).

- floor:  GET /healthz (one SELECT 1 through Django), what the server and stack can do at all.

- single: POST /api/v1/surveys/{id}/responses, one response per request, each with its own
  Idempotency-Key; the 201 is sent after the commit (SQLite synchronous=FULL; PostgreSQL fsync on).
- batch:  POST /api/v1/surveys/{id}/responses/batch with 1,000 responses per request.

Afterwards the stored rows are counted and compared with the 2xx answers wrk saw.
Usage: benchmarks/ingest.py [--seconds 15] [--backends sqlite,postgresql] [--server granian|gunicorn]
                           [--workers N] [--threads N]   (defaults: those of `cxloop serve`)
Prints JSON lines; add them to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from localnet import free_port, wait_http  # noqa: E402

SETUP = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from cxloop.core import survey_templates
from cxloop.orgs.services import create_api_key, get_or_create_org
from cxloop.surveys import services
org, _ = get_or_create_org(name="Bench Org")
survey = services.create_survey(org=org, name="Bench", definition=survey_templates.template("nps"))
services.publish(survey=survey)
key = create_api_key(org=org, role="admin", name="bench").plaintext
print(json.dumps({"survey": survey.pk, "key": key}))
"""

COUNT = r"""
import django
django.setup()
from cxloop.surveys.models import Response, Answer
print(Response.objects.count(), Answer.objects.count())
"""

SINGLE_LUA = r"""
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(tid * 7919)
end
request = function()
  counter = counter + 1
  local score = counter % 11
  local reason = ', "reason_detractor": "export fails"'
  if score >= 9 then reason = ', "reason_promoter": "fast and reliable"'
  elseif score >= 7 then reason = ', "reason_passive": "ok"' end
  local body = '{"answers": {"nps": ' .. score .. reason .. '}, ' ..
               '"embedded": {"order_id": "O-' .. tid .. '-' .. counter .. '"}, "channel": "api"}'
  wrk.headers["Idempotency-Key"] = "PREFIX-" .. tid .. "-" .. counter
  return wrk.format("POST", nil, nil, body)
end
"""


def parse_wrk(text: str) -> dict[str, float]:
    def unit(value: str) -> float:
        m = re.match(r"([\d.]+)(us|ms|s)", value)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    out: dict[str, float] = {}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["requests_per_s"] = float(rps.group(1)) if rps else float("nan")
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M)
        out[f"p{pct}_ms"] = unit(m.group(1)) if m else float("nan")
    total = re.search(r"(\d+) requests in", text)
    out["requests"] = float(total.group(1)) if total else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = float(non2xx.group(1)) if non2xx else 0.0
    errors = re.search(r"Socket errors: (.*)", text)
    out["socket_errors"] = 0.0 if not errors else float(sum(int(n) for n in re.findall(r"\d+", errors.group(1))))
    return out


def run_backend(backend: str, seconds: int, server_name: str, workers: int | None, threads: int | None,
                work: Path) -> list[dict[str, object]]:
    from run_tests import postgres_cluster  # type: ignore[import-not-found]

    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update({"DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": str(work / backend),
                "CXLOOP_LOG_LEVEL": "WARNING"})
    cluster = None
    if backend == "postgresql":
        cluster = postgres_cluster(durable=True)
        env["CXLOOP_DATABASE_URL"] = cluster.__enter__()
    results: list[dict[str, object]] = []
    server = None
    try:
        setup = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=True)
        info = json.loads(setup.stdout.strip().splitlines()[-1])
        port = free_port()
        cmd = [sys.executable, "-m", "cxloop.cli", "serve", "--port", str(port), "--server", server_name]
        cmd += ["--workers", str(workers)] if workers else []
        cmd += ["--threads", str(threads)] if threads else []
        server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        assert server.stdout is not None
        banner = server.stdout.readline().strip()  # "cxloop serving on … (granian, 2 workers)"
        threading.Thread(target=server.stdout.read, daemon=True).start()  # keep the pipe drained
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        common = {"backend": backend, "clients": 32, "server": banner.partition("(")[2].rstrip(")"),
                  "seconds": seconds}
        floor = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", f"{base}/healthz"],
                               capture_output=True, text=True, check=True).stdout
        results.append({"benchmark": "healthz_floor", **common, **parse_wrk(floor)})
        lua = work / "single.lua"
        lua.write_text(SINGLE_LUA.replace("PREFIX", "warm"))
        headers = ["-H", f"Authorization: Bearer {info['key']}", "-H", "Content-Type: application/json"]
        url = f"{base}/api/v1/surveys/{info['survey']}/responses"
        subprocess.run(["wrk", "-t2", "-c8", "-d2s", "-s", str(lua), *headers, url], capture_output=True, check=True)
        lua.write_text(SINGLE_LUA.replace("PREFIX", f"run{time.time_ns()}"))
        before_single = int(subprocess.run([sys.executable, "-c", COUNT], env=env, capture_output=True, text=True,
                                           check=True).stdout.split()[0])
        single = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "--timeout", "10s",
                                 "-s", str(lua), *headers, url], capture_output=True, text=True, check=True).stdout
        stats = parse_wrk(single)
        stored = subprocess.run([sys.executable, "-c", COUNT], env=env, capture_output=True, text=True,
                                check=True).stdout.split()
        results.append({"benchmark": "ingest_single", **common, **stats,
                        "stored_responses": int(stored[0]) - before_single})

        items = [{"answers": {"nps": i % 11}, "channel": "api", "embedded": {"order_id": f"B-{i}"}}
                 for i in range(1000)]
        body_file = work / "batch.lua"
        body_file.write_text('wrk.method = "POST"\nwrk.body = ' + json.dumps(json.dumps({"items": items})) + "\n")
        before = int(stored[0])
        batch = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "--timeout", "60s",
                                "-s", str(body_file), *headers, url + "/batch"],
                               capture_output=True, text=True, check=True).stdout
        bstats = parse_wrk(batch)
        after = subprocess.run([sys.executable, "-c", COUNT], env=env, capture_output=True, text=True,
                               check=True).stdout.split()
        added = int(after[0]) - before
        results.append({"benchmark": "ingest_batch", **common, "batch_size": 1000, **bstats,
                        "responses_per_s": round(added / seconds, 1), "stored_responses": added})
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        if cluster is not None:
            cluster.__exit__(None, None, None)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cxloop-ingest-") as tmp:
        for backend in args.backends.split(","):
            for row in run_backend(backend.strip(), args.seconds, args.server, args.workers, args.threads,
                                   Path(tmp)):
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
