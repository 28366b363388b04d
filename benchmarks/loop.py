#!/usr/bin/env python3
"""Benchmark (issue 5, acceptance 7): response → webhook delivered, end to end on real processes.

Per backend (SQLite file; PostgreSQL in a throwaway durable cluster): one `cxloop serve` (its default workers)
and one `cxloop worker`; an alert rule (NPS ≤ 6 opens a case) and a signed webhook to a loopback receiver
subscribed to `response.completed` and `case.opened`. Responses are sent open-loop at `--rate` per second
(each at its scheduled time, whatever the earlier ones did) for `--seconds`; the latency of a response is from
the moment its POST starts to the moment the receiver has its `response.completed` event (and, for
detractors, its `case.opened` event: rule evaluation and the case included).

Usage: benchmarks/loop.py [--rate 100] [--seconds 30] [--backends sqlite,postgresql] [--workers N]
                         [--task-workers 1]
Prints one JSON line per backend; add them to docs/benchmarks.md. Target: p95 < 2 s at 100 responses/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from cluster import cluster  # noqa: E402
from receivers import receiver  # noqa: E402

SETUP = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import override_settings
from cxloop.cases import services as cases
from cxloop.notify import services as notify
from cxloop.orgs.models import Membership, User
from cxloop.orgs.services import add_member, create_api_key, get_or_create_org, save_team
from cxloop.surveys import services
org, _ = get_or_create_org(name="Bench Org")
team = save_team(org=org, name="Support", kind="support")
for i in range(3):
    user = User.objects.create_user(email=f"agent{i}@bench.example", password=None)
    add_member(org=org, user=user, role="member", team=team)
definition = {"title": "Checkout", "default_language": "en", "languages": ["en"], "pages": [{"key": "p1",
              "questions": [{"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
                            {"key": "why", "type": "open_text", "text": "Why?"}]}]}
survey = services.create_survey(org=org, name="Checkout", definition=definition, touchpoint="checkout")
services.publish(survey=survey)
with override_settings(ALLOW_PRIVATE_WEBHOOKS=True):
    notify.create_endpoint(org=org, name="hook", url=sys.argv[1], events=["response.completed", "case.opened"])
cases.save_rule(org=org, name="Detractors", definition={
    "when": {"field": "score_type.nps", "op": "<=", "value": 6},
    "then": {"open_case": {"team": "Support", "assign": "round_robin"}}})
print(json.dumps({"survey": survey.pk, "key": create_api_key(org=org, role="admin", name="bench").plaintext}))
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50_s": round(_percentile(values, 0.5), 3), "p95_s": round(_percentile(values, 0.95), 3),
            "p99_s": round(_percentile(values, 0.99), 3), "max_s": round(max(values), 3) if values else float("nan")}


def run_backend(backend: str, rate: float, seconds: int, work: Path, web_workers: int | None,
                task_workers: int = 1) -> dict[str, Any]:
    from run_tests import postgres_cluster  # type: ignore[import-not-found]

    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    data_dir = work / backend
    env.update({"DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": str(data_dir),
                "CXLOOP_LOG_LEVEL": "WARNING", "CXLOOP_ALLOW_PRIVATE_WEBHOOKS": "true"})
    pg = None
    if backend == "postgresql":
        pg = postgres_cluster(durable=True)
        env["CXLOOP_DATABASE_URL"] = pg.__enter__()
    else:
        env["CXLOOP_DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with receiver() as rx:
            setup = subprocess.run([sys.executable, "-c", SETUP, f"{rx.url}/hook"], env=env, capture_output=True,
                                   text=True, check=True)
            info = json.loads(setup.stdout.strip().splitlines()[-1])
            extra = {"CXLOOP_DATA_DIR": str(data_dir)}
            with cluster(env["CXLOOP_DATABASE_URL"], web=1, workers=task_workers,
                         web_workers=web_workers or min(4, os.cpu_count() or 1), extra=extra) as c:
                url = f"{c.web[0]}/api/v1/surveys/{info['survey']}/responses"
                time.sleep(2)  # let the worker start polling
                total = int(rate * seconds)
                sent: dict[int, float] = {}
                scores: dict[int, int] = {}
                errors = [0]
                lock = threading.Lock()
                start = time.monotonic() + 0.5

                def one(i: int) -> None:
                    time.sleep(max(0.0, start + i / rate - time.monotonic()))
                    began = time.monotonic()
                    body = json.dumps({"answers": {"nps": i % 11, "why": f"order {i}"}}).encode()
                    request = urllib.request.Request(url, data=body, method="POST", headers={
                        "Authorization": f"Bearer {info['key']}", "Content-Type": "application/json"})
                    try:
                        with urllib.request.urlopen(request, timeout=30) as r:
                            response_id = json.loads(r.read())["id"]
                    except OSError:
                        with lock:
                            errors[0] += 1
                        return
                    with lock:
                        sent[response_id] = began
                        scores[response_id] = i % 11

                with ThreadPoolExecutor(64) as pool:
                    list(pool.map(one, range(total)))
                send_span = time.monotonic() - start
                detractors = sum(1 for s in scores.values() if s <= 6)
                rx.wait_for(len(sent) + detractors, timeout=90, path="/hook")
            completed: dict[int, float] = {}
            opened: dict[int, float] = {}
            for request in rx.received("/hook"):
                event = json.loads(request.body)
                if event["type"] == "response.completed":
                    completed.setdefault(event["data"]["response"]["id"], request.at)
                elif event["type"] == "case.opened":
                    opened.setdefault(event["data"]["case"]["response"]["id"], request.at)
        webhook = [completed[k] - sent[k] for k in sent if k in completed]
        case = [opened[k] - sent[k] for k in sent if k in opened]
        return {"benchmark": "loop_latency", "backend": backend, "task_workers": task_workers, "rate_per_s": rate,
                "seconds": seconds,
                "sent": total, "accepted": len(sent), "errors": errors[0], "send_span_s": round(send_span, 2),
                "response_completed": {"received": len(webhook), **_stats(webhook)},
                "case_opened": {"expected": detractors, "received": len(case), **_stats(case)},
                "cores": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}
    finally:
        if pg is not None:
            pg.__exit__(None, None, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=None, help="web workers of cxloop serve")
    parser.add_argument("--task-workers", type=int, default=1, help="cxloop worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxloop-loop-") as tmp:
        for backend in args.backends.split(","):
            print(json.dumps(run_backend(backend.strip(), args.rate, args.seconds, Path(tmp), args.workers,
                                         args.task_workers)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
