#!/usr/bin/env python3
"""Durability under crashes (issue 10, proof 1): ``kill -9`` the web server and the task worker again and again
while clients post responses, on SQLite and on PostgreSQL (fsync on), then check:

* every response that got a 2xx is stored, and no response is stored twice — each client sends each response
  with its own ``Idempotency-Key`` and retries after a refused connection, a reset or a 5xx, as a real client
  would; the response carries a unique marker (embedded ``marker``), counted in the database afterwards;
* every notification enqueued is delivered after the restarts — a signed webhook per completed response and per
  case opened for a detractor, to a real receiver on loopback; a delivery cut by a kill may arrive twice (at least
  once: the receiver deduplicates by ``X-Cxloop-Delivery``), none may be missing.

Usage: benchmarks/durability.py [--seconds 60] [--backends sqlite,postgresql] [--clients 8] [--every 3]
Prints one JSON line per backend (add them to docs/benchmarks.md); exits 1 when a check fails.
``run(backend, seconds=…)`` is what tests/test_durability.py calls with a short run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
from cxloop.cases import services as cases
from cxloop.notify import services as notify
from cxloop.orgs.models import Membership
from cxloop.orgs.services import create_api_key, create_admin, save_team
from cxloop.surveys import services
user, org = create_admin(email="owner@durability.test", org_name="Durability", password="not-used-9x!")
team = save_team(org=org, name="Support", kind="support")
Membership.objects.filter(org=org).update(team=team)
definition = {"title": "Checkout", "default_language": "en", "languages": ["en"],
              "embedded": [{"key": "marker"}],
              "pages": [{"key": "p1", "questions": [
                  {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
                  {"key": "why", "type": "open_text", "text": "Why?"}]}]}
survey = services.create_survey(org=org, name="Checkout", definition=definition)
services.publish(survey=survey)
hook, _ = notify.create_endpoint(org=org, name="hook", url=sys.argv[1], events=["response.completed", "case.opened"])
cases.save_rule(org=org, name="Detractors", definition={
    "when": {"field": "score_type.nps", "op": "<=", "value": 6},
    "then": {"open_case": {"team": "Support", "assign": "round_robin"}}})
key = create_api_key(org=org, role="admin", name="durability").plaintext
print(json.dumps({"survey": survey.pk, "key": key, "hook": hook.pk}))
"""

CHECK = r"""
import json
from collections import Counter
import django
django.setup()
from cxloop.cases.models import Case, ResponseQueue
from cxloop.notify.models import Delivery, Event
from cxloop.surveys.models import Response
markers = Counter(m for m in Response.objects.values_list("embedded__marker", flat=True))
print(json.dumps({
    "markers": markers,
    "responses": Response.objects.count(),
    "cases": Case.objects.count(),
    "queue": ResponseQueue.objects.count(),
    "events": Event.objects.count(),
    "deliveries": dict(Counter(Delivery.objects.values_list("status", flat=True))),
    "delivery_ids": list(Delivery.objects.values_list("pk", flat=True)),
}))
"""


@dataclass
class Proc:
    """One restartable process group (``cxloop serve`` or ``cxloop worker``)."""

    cmd: list[str]
    env: dict[str, str]
    health: str = ""  # a URL that answers 200 once the process serves
    kills: int = 0
    starts: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (again); a server is waited for, and started once more if it exits before answering (the
        killed one's port may not be free yet)."""
        for _ in range(20):
            self.process = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True)
            self.starts += 1
            if not self.health:
                return
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    with urllib.request.urlopen(self.health, timeout=2) as r:
                        if r.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(0.1)
            self.stop()
            time.sleep(0.5)
        raise RuntimeError(f"{self.cmd} does not come up")

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: set[str] = field(default_factory=set)  # markers that got a 2xx
    attempts: int = 0
    retries: int = 0
    given_up: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


def _post(url: str, key: str, body: bytes, idem: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json", "Idempotency-Key": idem})
    with urllib.request.urlopen(request, timeout=15) as r:
        return int(r.status)


def _client(url: str, key: str, index: int, tally: Tally, stop_at: float) -> None:
    marker = f"m{index}"
    body = json.dumps({"answers": {"nps": index % 11, "why": f"response {index}"},
                       "embedded": {"marker": marker}}).encode()
    for attempt in range(200):
        with tally.lock:
            tally.attempts += 1
            tally.retries += attempt > 0
        try:
            status = _post(url, key, body, f"idem-{marker}")
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
            status = 0
        with tally.lock:
            tally.statuses[str(status)] += 1
        if 200 <= status < 300:
            with tally.lock:
                tally.acknowledged.add(marker)
            return
        if 400 <= status < 500 and status not in (408, 429):
            return  # refused for good (would be a bug: the body is valid)
        if time.monotonic() > stop_at + 60:
            break
        time.sleep(0.1 + random.random() * 0.2)
    with tally.lock:
        tally.given_up += 1


def run(backend: str, *, seconds: float = 60, clients: int = 8, every: float = 3.0,
        work: Path | None = None) -> dict[str, Any]:
    """One backend: load with kills for ``seconds``, then drain and check. Returns the figures and ``ok``."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from run_tests import postgres_cluster  # type: ignore[import-not-found]

    tmp = tempfile.TemporaryDirectory(prefix="cxloop-durability-") if work is None else None
    folder = Path(tmp.name) if tmp is not None else work
    assert folder is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": str(folder / backend),
                "CXLOOP_LOG_LEVEL": "ERROR", "CXLOOP_ALLOW_PRIVATE_WEBHOOKS": "true"})
    cluster = None
    procs: list[Proc] = []
    rng = random.Random(7)
    try:
        if backend == "postgresql":
            cluster = postgres_cluster(durable=True)
            env["CXLOOP_DATABASE_URL"] = cluster.__enter__()
        with receiver() as rx:
            setup = subprocess.run([sys.executable, "-c", SETUP, f"{rx.url}/hook"], env=env, capture_output=True,
                                   text=True, check=True, cwd=ROOT)
            info = json.loads(setup.stdout.strip().splitlines()[-1])
            port = free_port()
            web = Proc([sys.executable, "-m", "cxloop.cli", "serve", "--port", str(port), "--workers", "1"], env,
                       health=f"http://127.0.0.1:{port}/healthz")
            worker = Proc([sys.executable, "-m", "cxloop.cli", "worker", "--interval", "0.1"], env)
            procs = [web, worker]
            for p in procs:
                p.start()
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/healthz")
            url = f"{base}/api/v1/surveys/{info['survey']}/responses"
            tally = Tally()
            started = time.monotonic()
            stop_at = started + seconds
            stopping = threading.Event()

            def killer() -> None:
                round_ = 0
                while not stopping.wait(every * (0.5 + rng.random())):
                    round_ += 1
                    victims = [web] if round_ % 2 else [web, worker]
                    for v in victims:
                        v.kill9()
                    time.sleep(0.2)
                    for v in victims:
                        v.start()

            kill_thread = threading.Thread(target=killer, daemon=True)
            kill_thread.start()
            sent = 0
            with ThreadPoolExecutor(clients) as pool:
                futures = []
                while time.monotonic() < stop_at:
                    if len([f for f in futures if not f.done()]) < clients * 2:
                        futures.append(pool.submit(_client, url, info["key"], sent, tally, stop_at))
                        sent += 1
                    else:
                        time.sleep(0.01)
                stopping.set()
                kill_thread.join()
                for f in futures:
                    f.result()
            load_seconds = time.monotonic() - started
            # Everything is up again: wait for the queue and every delivery to finish.
            for p in procs:
                if p.process is None or p.process.poll() is not None:
                    p.start()
            wait_http(f"{base}/healthz")
            drain_started = time.monotonic()
            state: dict[str, Any] = {}
            settled = 0
            while time.monotonic() - drain_started < 300:
                state = json.loads(subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True,
                                                  text=True, check=True, cwd=ROOT).stdout.strip().splitlines()[-1])
                pending = {k: v for k, v in state["deliveries"].items() if k != "delivered"}
                expected = state["responses"] + state["cases"]  # response.completed each, case.opened each
                settled = settled + 1 if (state["queue"] == 0 and not pending
                                          and sum(state["deliveries"].values()) >= expected) else 0
                if settled >= 2:
                    break
                time.sleep(1.0)
            drain = time.monotonic() - drain_started
            time.sleep(1.0)
            got = Counter(r.headers.get("X-Cxloop-Delivery", "") for r in rx.received("/hook"))
    finally:
        for p in procs:
            p.stop()
        if cluster is not None:
            cluster.__exit__(None, None, None)
        if tmp is not None:
            tmp.cleanup()
    markers: dict[str, int] = state.get("markers", {})
    missing = sorted(m for m in tally.acknowledged if markers.get(m, 0) != 1)
    twice = sorted(m for m, n in markers.items() if n > 1)
    delivery_ids = {str(i) for i in state.get("delivery_ids", [])}
    not_received = sorted(delivery_ids - set(got))
    detractors = sum(1 for m in markers if int(m[1:]) % 11 <= 6)
    result = {
        "benchmark": "durability_kill9", "backend": backend, "seconds": round(load_seconds, 1), "clients": clients,
        "web_kills": procs[0].kills if procs else 0, "worker_kills": procs[1].kills if len(procs) > 1 else 0,
        "web_starts": procs[0].starts if procs else 0,
        "responses_sent": sent, "attempts": tally.attempts, "retries": tally.retries,
        "acknowledged_2xx": len(tally.acknowledged), "stored": len(markers), "given_up": tally.given_up,
        "statuses": dict(tally.statuses), "acknowledged_not_stored": len(missing), "stored_twice": len(twice),
        "cases": state.get("cases"), "cases_expected": detractors,
        "events": state.get("events"), "deliveries": state.get("deliveries"),
        "deliveries_expected": state.get("responses", 0) + state.get("cases", 0),
        "deliveries_not_received": len(not_received),
        "receiver_posts": sum(got.values()), "receiver_duplicates": sum(n - 1 for n in got.values() if n > 1),
        "drain_seconds": round(drain, 1),
    }
    result["ok"] = (not missing and not twice and not not_received and state.get("queue") == 0
                    and result["cases"] == detractors and tally.given_up == 0
                    and set(state.get("deliveries", {})) <= {"delivered"}
                    and sum(state.get("deliveries", {}).values()) == result["deliveries_expected"]
                    and len(tally.acknowledged) > 0 and result["web_kills"] > 0)
    if missing or twice or not_received:
        result["examples"] = {"acknowledged_not_stored": missing[:5], "stored_twice": twice[:5],
                              "not_received": not_received[:5]}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--every", type=float, default=3.0, help="mean seconds between kills")
    args = parser.parse_args()
    ok = True
    for backend in args.backends.split(","):
        row = run(backend.strip(), seconds=args.seconds, clients=args.clients, every=args.every)
        print(json.dumps(row), flush=True)
        ok = ok and bool(row["ok"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
