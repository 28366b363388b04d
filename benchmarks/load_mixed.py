#!/usr/bin/env python3
"""Sustained mixed load (issue 10, proof 6): ingest + dashboard reads + the task worker, for 10 minutes on
PostgreSQL (fsync on), checking for errors and for latency that grows over time.

Set-up (not timed): a fresh cluster; ``migrate``; the small demo company (24 months of responses, cases, themes,
journeys) in one organisation; an admin API key; a signed webhook for every completed response and every case
opened, to a receiver on loopback; ``cxloop serve`` (granian, 2 workers) and one ``cxloop worker``.

Load (open loop: requests are sent on a schedule, not when the previous one returns, so a slow server shows as
latency instead of hiding as fewer requests):
* ingest — ``--ingest`` responses per second to the NPS survey (``POST …/responses``, each with a comment and an
  Idempotency-Key; a third are detractors, which open cases through the rules);
* reads — ``--reads`` requests per second, in turn: NPS by month × touchpoint with intervals (``GET /metrics``),
  the comments of a theme query (``GET /comments``), the themes (``GET /themes``), the case inbox (``GET /cases``);
  the first three twice: over the default window, which ends today and so grows with every response the load
  posts, and over a fixed window that ends two days ago (``…_fixed``), whose data does not change during the
  run. A fixed-window read that slows down over the run would mean the server degrades (a leak, a queue, bloat);
  a growing-window read that slows down measures its cost per row.

Per minute: requests, errors, p50 / p95 / p99 per kind, and the CPU seconds used by the server (all its
processes), the worker and PostgreSQL. At the end: the worker's queue drained, every delivery delivered, every
response stored once; "growing latency" = the last minute's p95 against the second minute's (the first is
warm-up), for the fixed-window reads and for the growing ones apart.

Usage: benchmarks/load_mixed.py [--minutes 10] [--ingest 10] [--reads 7] [--size small]
Prints a JSON line per minute and a summary line; add the summary to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from localnet import free_port, wait_http  # noqa: E402
from receivers import receiver  # noqa: E402

SETUP = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from cxloop.demo.generator import generate
from cxloop.notify import services as notify
from cxloop.orgs.services import create_api_key, get_or_create_org
from cxloop.surveys.models import Survey
org, _ = get_or_create_org(name="Load", slug="load")
generate(org=org, size=sys.argv[2], seed=42)
survey = Survey.objects.get(org=org, kind="nps")
notify.create_endpoint(org=org, name="hook", url=sys.argv[1], events=["response.completed", "case.opened"])
key = create_api_key(org=org, role="admin", name="load").plaintext
from cxloop.surveys.services import current_version, spec_of
spec = spec_of(current_version(survey))
print(json.dumps({"survey": survey.pk, "key": key, "questions": [q.key for q in spec.questions()],
                  "required": [q.key for q in spec.questions() if q.required]}))
"""

CHECK = r"""
import json
from collections import Counter
import django
django.setup()
from cxloop.cases.models import ResponseQueue
from cxloop.notify.models import Delivery
from cxloop.surveys.models import Response
tags = Counter(Response.objects.filter(embedded__has_key="load_tag").values_list("embedded__load_tag", flat=True))
print(json.dumps({"queue": ResponseQueue.objects.count(),
                  "deliveries": dict(Counter(Delivery.objects.values_list("status", flat=True))),
                  "stored": len(tags), "twice": sum(1 for n in tags.values() if n > 1)}))
"""

COMMENTS = ("导出报表一直失败，太耽误事了", "客服响应很快，问题当天解决", "The export keeps timing out",
            "Great onboarding, the team was helpful", "价格有点贵，但是功能很全", "Dashboard is slow on Mondays")


def _request(method: str, url: str, key: str, body: bytes | None = None, idem: str = "") -> int:
    headers = {"Authorization": f"Bearer {key}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if idem:
        headers["Idempotency-Key"] = idem
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
        return 0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def _cpu_seconds(roots: list[int], comm_prefix: str = "") -> float:
    """User + system CPU seconds of these processes and all their descendants (and of every process whose name
    starts with ``comm_prefix``), those of their children that have ended included, from /proc (Linux)."""
    stats: dict[int, tuple[int, str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # utime + stime, and cutime + cstime: the CPU of children already reaped (PostgreSQL starts a backend per
        # connection, and the server's connections end with each request)
        stats[int(entry)] = (int(fields[1]), comm, sum(int(v) for v in fields[11:15]) / tick)
    chosen = {pid for pid, (_p, comm, _c) in stats.items() if comm_prefix and comm.startswith(comm_prefix)}
    frontier = [pid for pid in roots if pid in stats]
    while frontier:
        chosen.update(frontier)
        frontier = [pid for pid, (ppid, _c, _t) in stats.items() if ppid in frontier and pid not in chosen]
    return sum(stats[pid][2] for pid in chosen)


def run(*, minutes: float, ingest: float, reads: float, size: str) -> dict[str, Any]:
    from run_tests import postgres_cluster  # type: ignore[import-not-found]

    work = tempfile.TemporaryDirectory(prefix="cxloop-load-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": work.name,
                "CXLOOP_LOG_LEVEL": "ERROR", "CXLOOP_ALLOW_PRIVATE_WEBHOOKS": "true"})
    procs: list[subprocess.Popen[bytes]] = []
    cluster = postgres_cluster(durable=True)
    env["CXLOOP_DATABASE_URL"] = cluster.__enter__()
    samples: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    errors: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cpu: dict[int, dict[str, float]] = {}
    lock = threading.Lock()
    try:
        with receiver() as rx:
            started_setup = time.monotonic()
            out = subprocess.run([sys.executable, "-c", SETUP, f"{rx.url}/hook", size], env=env, cwd=ROOT,
                                 capture_output=True, text=True, check=True)
            info = json.loads(out.stdout.strip().splitlines()[-1])
            setup_seconds = time.monotonic() - started_setup
            port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-m", "cxloop.cli", "serve", "--port", str(port),
                                           "--workers", "2"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            procs.append(subprocess.Popen([sys.executable, "-m", "cxloop.cli", "worker", "--interval", "0.2"],
                                          env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/healthz", timeout=180)
            survey, key = info["survey"], info["key"]
            post_url = f"{base}/api/v1/surveys/{survey}/responses"
            fixed_end = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
            fixed_start = (datetime.now(UTC).date() - timedelta(days=365)).isoformat()
            fixed = f"from={fixed_start}&to={fixed_end}"
            metrics = f"{base}/api/v1/metrics?survey={survey}&question=nps&interval=month&group_by=touchpoint"
            read_urls = [
                ("metrics", metrics), ("metrics_fixed", f"{metrics}&{fixed}"),
                ("comments", f"{base}/api/v1/comments?survey={survey}&q=export&limit=50"),
                ("comments_fixed", f"{base}/api/v1/comments?survey={survey}&q=export&limit=50&{fixed}"),
                ("themes", f"{base}/api/v1/themes?survey={survey}"),
                ("themes_fixed", f"{base}/api/v1/themes?survey={survey}&{fixed}"),
                ("cases", f"{base}/api/v1/cases?limit=50"),
            ]
            t0 = time.monotonic()
            end = t0 + minutes * 60
            sent = {"ingest": 0, "reads": 0}
            server_pid, worker_pid = procs[0].pid, procs[1].pid

            def sample_cpu() -> None:
                last = {"server": _cpu_seconds([server_pid]), "worker": _cpu_seconds([worker_pid]),
                        "postgres": _cpu_seconds([], "postgres")}
                for minute in range(int(minutes + 0.999)):
                    time.sleep(max(0.0, t0 + 60 * (minute + 1) - time.monotonic()))
                    now_cpu = {"server": _cpu_seconds([server_pid]), "worker": _cpu_seconds([worker_pid]),
                               "postgres": _cpu_seconds([], "postgres")}
                    with lock:
                        cpu[minute] = {k: round(now_cpu[k] - last[k], 1) for k in now_cpu}
                    last = now_cpu

            sampler = threading.Thread(target=sample_cpu, daemon=True)
            sampler.start()

            def timed(kind: str, call: Any) -> None:
                began = time.monotonic()
                status = call()
                took = time.monotonic() - began
                minute = int((began - t0) // 60)
                with lock:
                    samples[minute][kind].append(took)
                    if not 200 <= status < 300:
                        errors[minute][f"{kind}:{status}"] += 1

            def one_response(i: int) -> None:
                score = (0, 3, 5, 7, 8, 9, 9, 10, 10)[i % 9]
                answers: dict[str, Any] = {"nps": score}
                reason = "reason_detractor" if score <= 6 else "reason_passive" if score <= 8 else "reason_promoter"
                if reason in info["questions"]:
                    answers[reason] = COMMENTS[i % len(COMMENTS)]
                body = json.dumps({"answers": answers, "embedded": {"load_tag": f"t{i}"},
                                   "touchpoint": "checkout", "channel": "api"}).encode()
                timed("ingest", lambda: _request("POST", post_url, key, body, f"load-{i}"))

            with ThreadPoolExecutor(64) as pool:
                next_ingest = next_read = t0
                while time.monotonic() < end:
                    now = time.monotonic()
                    if now >= next_ingest:
                        pool.submit(one_response, sent["ingest"])
                        sent["ingest"] += 1
                        next_ingest += 1 / ingest
                    if now >= next_read:
                        name, url = read_urls[sent["reads"] % len(read_urls)]
                        pool.submit(timed, f"read:{name}", lambda u=url: _request("GET", u, key))
                        sent["reads"] += 1
                        next_read += 1 / reads
                    time.sleep(max(0.0, min(next_ingest, next_read) - time.monotonic()))
            sampler.join(timeout=70)
            drain_started = time.monotonic()
            state: dict[str, Any] = {}
            while time.monotonic() - drain_started < 600:
                state = json.loads(subprocess.run([sys.executable, "-c", CHECK], env=env, cwd=ROOT,
                                                  capture_output=True, text=True, check=True).stdout.splitlines()[-1])
                if state["queue"] == 0 and set(state["deliveries"]) <= {"delivered"}:
                    break
                time.sleep(2)
            drain = time.monotonic() - drain_started
            received = len({r.headers.get("X-Cxloop-Delivery") for r in rx.received("/hook")})
            alive = all(p.poll() is None for p in procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        cluster.__exit__(None, None, None)
        work.cleanup()
    per_minute = []
    for minute in sorted(samples):
        row: dict[str, Any] = {"minute": minute + 1}
        for kind, values in sorted(samples[minute].items()):
            row[kind] = {"n": len(values), "p50_ms": _pct(values, 0.5), "p95_ms": _pct(values, 0.95),
                         "p99_ms": _pct(values, 0.99)}
        row["errors"] = dict(errors.get(minute, {}))
        row["cpu_seconds"] = cpu.get(minute, {})
        per_minute.append(row)
    all_ingest = [v for m in samples.values() for v in m.get("ingest", [])]
    all_reads = [v for m in samples.values() for k, vs in m.items() if k.startswith("read") for v in vs]
    full = [m for m in sorted(samples) if m < int(minutes)]
    second = full[1] if len(full) > 1 else full[0]
    last = full[-1]

    def fixed_reads(minute: int) -> list[float]:
        return [v for k, vs in samples[minute].items() if k.endswith("_fixed") for v in vs]

    def growing_reads(minute: int) -> list[float]:
        return [v for k, vs in samples[minute].items() if k.startswith("read:") and not k.endswith("_fixed")
                for v in vs]

    def p95(minute: int, prefix: str) -> float:
        return _pct([v for k, vs in samples[minute].items() if k.startswith(prefix) for v in vs], 0.95)

    summary = {
        "benchmark": "mixed_load", "backend": "postgresql", "minutes": minutes, "size": size,
        "setup_seconds": round(setup_seconds, 1), "ingest_per_s": ingest, "reads_per_s": reads,
        "ingest_sent": sent["ingest"], "reads_sent": sent["reads"],
        "errors": sum(sum(e.values()) for e in errors.values()),
        "ingest_p50_ms": _pct(all_ingest, 0.5), "ingest_p95_ms": _pct(all_ingest, 0.95),
        "ingest_p99_ms": _pct(all_ingest, 0.99), "reads_p50_ms": _pct(all_reads, 0.5),
        "reads_p95_ms": _pct(all_reads, 0.95), "reads_p99_ms": _pct(all_reads, 0.99),
        "ingest_p95_minute2_ms": p95(second, "ingest"), "ingest_p95_last_minute_ms": p95(last, "ingest"),
        "reads_p95_minute2_ms": p95(second, "read"), "reads_p95_last_minute_ms": p95(last, "read"),
        "fixed_window_reads_p95_minute2_ms": _pct(fixed_reads(second), 0.95),
        "fixed_window_reads_p95_last_minute_ms": _pct(fixed_reads(last), 0.95),
        "growing_window_reads_p95_minute2_ms": _pct(growing_reads(second), 0.95),
        "growing_window_reads_p95_last_minute_ms": _pct(growing_reads(last), 0.95),
        "ingest_mean_ms": round(statistics.fmean(all_ingest) * 1000, 1) if all_ingest else None,
        "stored": state.get("stored"), "stored_twice": state.get("twice"), "queue_after": state.get("queue"),
        "deliveries": state.get("deliveries"), "deliveries_received": received,
        "drain_seconds": round(drain, 1), "processes_alive": alive,
    }
    return {"per_minute": per_minute, "summary": summary}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--ingest", type=float, default=10, help="responses per second")
    parser.add_argument("--reads", type=float, default=7, help="dashboard reads per second (7 kinds in turn)")
    parser.add_argument("--size", default="small", help="demo size loaded first (tiny, small, large)")
    args = parser.parse_args()
    result = run(minutes=args.minutes, ingest=args.ingest, reads=args.reads, size=args.size)
    for row in result["per_minute"]:
        print(json.dumps(row), flush=True)
    print(json.dumps(result["summary"]), flush=True)
    s = result["summary"]
    ok = s["errors"] == 0 and s["stored"] == s["ingest_sent"] and s["stored_twice"] == 0 and s["queue_after"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
