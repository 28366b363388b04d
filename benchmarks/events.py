#!/usr/bin/env python3
"""Benchmark: behavioural events (issue 8, acceptance 3) on SQLite and PostgreSQL.

- ingest: ``POST /api/v1/events`` through the real server (``cxloop serve``, granian) with batches of 1,000
  events from concurrent clients (wrk; every request a new batch with its own client event ids, half of the
  items naming a known contact, half anonymous). Afterwards the stored rows are counted. Target ≥ 50,000
  events/s.
- funnel: 10,000,000 events of 500,000 people over 12 months with 15 event names (sign-up, the onboarding
  steps with their drop-off, sessions, page views, feature use, tasks with properties, errors, purchases),
  written straight into the table (PostgreSQL ``COPY``, SQLite multi-row inserts, indexes built afterwards),
  then the onboarding funnel (5 steps, 30-day window, the whole year) and a task funnel with a property filter
  (``task_started`` → ``task_completed`` where task = export_report) through ``behaviour.funnels``. Cold: the
  first run in a new process (PostgreSQL restarted before it; the operating system's file cache is not
  dropped); warm: the median of the next three. Target ≤ 2 s.

Usage: benchmarks/events.py [--part ingest,funnel] [--backends sqlite,postgresql] [--seconds 15] [--clients 8]
                            [--events 10000000] [--people 500000]
Prints JSON lines; add them to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from localnet import free_port, wait_http  # noqa: E402

SETUP = r"""
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from cxloop.customers.models import Contact
from cxloop.orgs.services import create_api_key, get_or_create_org
org, _ = get_or_create_org(name="Bench Org")
Contact.objects.bulk_create([Contact(org=org, external_id=f"C-{i}", name=f"Person {i}") for i in range(1000)],
                            ignore_conflicts=True)
key = create_api_key(org=org, role="member", name="bench").plaintext
print(json.dumps({"org": org.pk, "slug": org.slug, "key": key}))
"""

COUNT = r"""
import django
django.setup()
from cxloop.behaviour.models import Event
print(Event.objects.count())
"""

# Each request a new batch of 1,000 events with unique client ids; half name a known contact.
BATCH_LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
local names = {"page_view", "feature_used", "task_started", "task_completed", "session_started"}
request = function()
  counter = counter + 1
  local items = {}
  for i = 1, 1000 do
    local who
    if i % 2 == 0 then who = '"contact":"C-' .. ((counter * 7 + i) % 1000) .. '"'
    else who = '"anonymous_id":"anon-' .. tid .. '-' .. ((counter * 13 + i) % 50000) .. '"' end
    items[i] = '{"event":"' .. names[(i % 5) + 1] .. '","timestamp":"2026-11-20T08:' ..
               string.format("%02d:%02d", (i / 60) % 60, i % 60) .. 'Z",' .. who ..
               ',"touchpoint":"report_export","properties":{"task":"export_report","area":"reporting","n":' .. i ..
               '},"id":"PREFIX-' .. tid .. '-' .. counter .. '-' .. i .. '"}'
  end
  return wrk.format("POST", nil, nil, '{"events":[' .. table.concat(items, ",") .. ']}')
end
"""


def parse_wrk(text: str) -> dict[str, float]:
    import re

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
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = float(non2xx.group(1)) if non2xx else 0.0
    return out


# --- the 10M events ------------------------------------------------------------------------------------

NAMES_ONBOARDING = [  # (name, share of the previous step's people who go on, mean delay in hours)
    ("onboarding_started", 0.88, 2.0), ("workspace_created", 0.82, 6.0), ("data_source_connected", 0.46, 30.0),
    ("first_survey_published", 0.78, 48.0), ("teammate_invited", 0.70, 48.0), ("onboarding_completed", 0.92, 24.0)]
ACTIVITY = [  # (name, weight) of the events after sign-up
    ("page_view", 0.42), ("session_started", 0.14), ("feature_used", 0.16), ("task_started", 0.09),
    ("task_completed", 0.075), ("task_failed", 0.012), ("error", 0.018), ("purchase", 0.01)]
TASKS = [("export_report", "reporting"), ("build_dashboard", "dashboards"), ("create_survey", "surveys"),
         ("share_link", "reporting"), ("assign_case", "cases")]
PATHS = ["/home", "/reports", "/dashboards", "/surveys", "/cases", "/settings", "/journeys", "/accounts"]
FEATURES = [("filters", "dashboards"), ("export", "reporting"), ("logic", "surveys"), ("inbox", "cases"),
            ("themes", "reporting"), ("segments", "surveys")]
START = "2025-12-01T00:00:00"
DAYS = 365


def _chunks(people: int, events: int, seed: int, per_chunk: int = 25_000) -> Any:
    """Yield column lists (name, at text, person, anonymous id, touchpoint, properties) per chunk of people."""
    import numpy as np

    rng = np.random.default_rng(seed)
    onboarding_per_person = 1.0
    share = 1.0
    for _name, p, _h in NAMES_ONBOARDING:
        share *= p
        onboarding_per_person += share
    activity_mean = max(0.0, events / people - onboarding_per_person)
    weights = np.array([w for _n, w in ACTIVITY])
    weights = weights / weights.sum()
    start = np.datetime64(START, "us")
    year_us = DAYS * 86400 * 1_000_000
    for first in range(0, people, per_chunk):
        count = min(per_chunk, people - first)
        persons = np.arange(first + 1, first + count + 1, dtype=np.int64)
        signup = rng.integers(0, year_us, size=count) + rng.integers(1, 1_000_000, size=count)
        names: list[np.ndarray] = [np.full(count, "signed_up", dtype=object)]
        ats: list[np.ndarray] = [signup]
        who: list[np.ndarray] = [persons]
        tps: list[np.ndarray] = [np.full(count, "signup", dtype=object)]
        props: list[np.ndarray] = [rng.choice(np.array(['{"plan":"trial"}', '{"plan":"pro"}'], dtype=object),
                                              size=count, p=[0.8, 0.2])]
        alive = np.ones(count, dtype=bool)
        t = signup.copy()
        for name, p, hours in NAMES_ONBOARDING:
            alive &= rng.random(count) < p
            t = t + (rng.exponential(hours * 3600e6, size=count)).astype(np.int64) + 1
            keep = alive & (t < year_us)
            names.append(np.full(int(keep.sum()), name, dtype=object))
            ats.append(t[keep])
            who.append(persons[keep])
            tps.append(np.full(int(keep.sum()), "onboarding", dtype=object))
            props.append(np.full(int(keep.sum()), '{"area":"onboarding"}', dtype=object))
        n_act = rng.poisson(activity_mean, size=count)
        total = int(n_act.sum())
        owner = np.repeat(np.arange(count), n_act)
        span = np.minimum(year_us - signup, 120 * 86400 * 1_000_000)[owner]
        at_act = signup[owner] + (rng.random(total) * span).astype(np.int64)
        kind = rng.choice(len(ACTIVITY), size=total, p=weights)
        act_names = np.array([n for n, _w in ACTIVITY], dtype=object)[kind]
        act_props = np.empty(total, dtype=object)
        act_tps = np.full(total, "", dtype=object)
        task_i = rng.integers(0, len(TASKS), size=total)
        dur = rng.lognormal(9.5, 0.8, size=total).astype(np.int64)
        for j in range(total):
            name = act_names[j]
            if name == "page_view":
                act_props[j] = '{"path":"' + PATHS[j % len(PATHS)] + '"}'
            elif name == "feature_used":
                f, area = FEATURES[j % len(FEATURES)]
                act_props[j] = '{"feature":"' + f + '","area":"' + area + '"}'
            elif name.startswith("task_") or name == "error":
                task, area = TASKS[task_i[j]]
                extra = "" if name in ("task_started", "error") else ',"duration_ms":' + str(dur[j])
                act_props[j] = '{"task":"' + task + '","area":"' + area + '"' + extra + "}"
                if task == "export_report":
                    act_tps[j] = "report_export"
            elif name == "purchase":
                act_props[j] = '{"amount":' + str(int(dur[j] % 5000) + 99) + ',"currency":"CNY","order_id":"O' + \
                    str(first + j) + '"}'
                act_tps[j] = "checkout"
            else:
                act_props[j] = "{}"
        names.append(act_names)
        ats.append(at_act)
        who.append(persons[owner])
        tps.append(act_tps)
        props.append(act_props)
        at_all = np.concatenate(ats)
        text = np.char.replace(np.datetime_as_string(start + at_all.astype("timedelta64[us]"), unit="us"), "T", " ")
        yield (np.concatenate(names).tolist(), text.tolist(), (-np.concatenate(who)).tolist(),
               np.concatenate(tps).tolist(), np.concatenate(props).tolist())


def generate(events: int, people: int, seed: int = 8) -> dict[str, Any]:
    """Write the events straight into the table of the configured database (indexes rebuilt afterwards)."""
    from django.db import connection

    from cxloop.behaviour.models import Event
    from cxloop.orgs.models import Organization

    org = Organization.objects.get(name="Bench Org")
    Event.objects.filter(org=org).delete()
    table = Event._meta.db_table
    started = time.monotonic()
    with connection.schema_editor() as editor:
        for index in Event._meta.indexes:
            editor.remove_index(Event, index)
    written = 0
    received = "2026-12-01 00:00:00"
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            for names, ats, persons, tps, props in _chunks(people, events, seed):
                lines = []
                for name, at, person, tp, prop in zip(names, ats, persons, tps, props, strict=True):
                    lines.append(f"{org.pk}\t{name}\t{at}+00\t{person}\t\\N\ta{-person}\t\\N\t{tp}\t"
                                 f"{prop}\t\tdemo\t{received}+00\n")
                with cursor.copy(f"COPY {table} (org_id, name, at, person, contact_id, anonymous_id, account_id, "
                                 "touchpoint, properties, client_id, source, received_at) FROM STDIN") as copy:
                    copy.write("".join(lines))
                written += len(lines)
        raw.commit()
    else:
        connection.ensure_connection()
        lite = connection.connection  # the raw sqlite3 connection: no per-row conversion by Django
        assert lite is not None
        lite.execute("PRAGMA synchronous=OFF")
        for names, ats, persons, tps, props in _chunks(people, events, seed):
            rows = [(org.pk, name, at, person, f"a{-person}", tp, prop, "", "demo", received)
                    for name, at, person, tp, prop in zip(names, ats, persons, tps, props, strict=True)]
            lite.execute("BEGIN")
            lite.executemany(f"INSERT INTO {table} (org_id, name, at, person, anonymous_id, touchpoint, "
                             "properties, client_id, source, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            lite.execute("COMMIT")
            written += len(rows)
        lite.execute("PRAGMA synchronous=FULL")
    loaded = time.monotonic() - started
    with connection.schema_editor() as editor:
        for index in Event._meta.indexes:
            editor.add_index(Event, index)
    indexed = time.monotonic() - started - loaded
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            connection.connection.autocommit = True
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    return {"events": written, "people": people, "load_s": round(loaded, 1), "index_s": round(indexed, 1),
            "analyze_s": round(time.monotonic() - started - loaded - indexed, 1)}


FUNNELS = {
    "onboarding_5_steps": [{"event": "signed_up"}, {"event": "onboarding_started"}, {"event": "workspace_created"},
                           {"event": "data_source_connected"}, {"event": "onboarding_completed"}],
    "export_task_property": [{"event": "task_started", "where": {"task": "export_report"}},
                             {"event": "task_completed", "where": {"task": "export_report"}}],
}


def time_funnels(runs: int) -> list[dict[str, Any]]:
    from datetime import date

    from cxloop.behaviour import funnels
    from cxloop.orgs.models import Organization

    org = Organization.objects.get(name="Bench Org")
    out = []
    for label, steps in FUNNELS.items():
        parsed = funnels.parse_steps(steps)
        times = []
        result = None
        for _ in range(runs):
            started = time.perf_counter()
            result = funnels.compute(org, parsed, date(2025, 12, 1), date(2026, 11, 30), window_days=30)
            times.append(time.perf_counter() - started)
        assert result is not None
        out.append({"funnel": label, "cold_s": round(times[0], 3),
                    "warm_s": round(statistics.median(times[1:]), 3) if len(times) > 1 else None,
                    "reached": [f.reached for f in result.figures]})
    return out


def _inner(args: argparse.Namespace) -> int:
    import django

    django.setup()
    if args.inner == "generate":
        print(json.dumps(generate(args.events, args.people)), flush=True)
    elif args.inner == "funnel":
        print(json.dumps(time_funnels(args.runs)), flush=True)
    return 0


# --- the parent ----------------------------------------------------------------------------------------


def _child(env: dict[str, str], *args: str) -> Any:
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _restart_postgres(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(env["CXLOOP_DATABASE_URL"]) as conn:
        data = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    bindir = Path(shutil.which("pg_ctl") or "pg_ctl").parent
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", data, "-w", "-m", "fast", "restart"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ingest(env: dict[str, str], info: dict[str, Any], seconds: int, clients: int, work: Path) -> dict[str, Any]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "cxloop.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline().strip()
        threading.Thread(target=server.stdout.read, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        lua = work / "events.lua"
        headers = ["-H", f"Authorization: Bearer {info['key']}", "-H", "Content-Type: application/json"]
        url = f"{base}/api/v1/events"
        lua.write_text(BATCH_LUA.replace("PREFIX", "warm"))
        subprocess.run(["wrk", "-t2", "-c2", "-d2s", "-s", str(lua), *headers, url], capture_output=True, check=True)
        before = _child(env, "--count")
        lua.write_text(BATCH_LUA.replace("PREFIX", f"run{time.time_ns()}"))
        text = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "60s",
                               "-s", str(lua), *headers, url], capture_output=True, text=True, check=True).stdout
        stored = _child(env, "--count") - before
        stats = parse_wrk(text)
        # events/s from the answers wrk counted in its window; the stored count (a little higher: requests in
        # flight when wrk stops still finish) checks that every answered batch was stored
        return {"benchmark": "events_ingest_batch", "server": banner.partition("(")[2].rstrip(")"), "clients": clients,
                "batch_size": 1000, "seconds": seconds, **stats, "stored_events": stored,
                "events_per_s": round(stats["requests_per_s"] * 1000, 1)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def run_backend(backend: str, args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from run_tests import postgres_cluster  # type: ignore[import-not-found]

    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update({"DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": str(work / backend),
                "CXLOOP_LOG_LEVEL": "WARNING"})
    cluster = None
    results: list[dict[str, Any]] = []
    if backend == "postgresql":
        cluster = postgres_cluster(durable=True)
        env["CXLOOP_DATABASE_URL"] = cluster.__enter__()
    try:
        setup = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=True)
        info = json.loads(setup.stdout.strip().splitlines()[-1])
        parts = args.part.split(",")
        if "ingest" in parts:
            results.append({"backend": backend, **ingest(env, info, args.seconds, args.clients, work)})
        if "funnel" in parts:
            gen = _child(env, "--inner", "generate", "--events", str(args.events), "--people", str(args.people))
            results.append({"benchmark": "events_generate", "backend": backend, **gen})
            if backend == "postgresql":
                _restart_postgres(env)
            for row in _child(env, "--inner", "funnel", "--runs", "4"):
                results.append({"benchmark": "funnel_10m", "backend": backend, "events": gen["events"], **row})
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", default="ingest,funnel")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--inner", default="")
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--workdir", default="", help="keep the databases here (default: a temporary directory)")
    args = parser.parse_args()
    if args.count:
        import django

        django.setup()
        from cxloop.behaviour.models import Event

        print(Event.objects.count())
        return 0
    if args.inner:
        return _inner(args)
    if "ingest" in args.part and shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cxloop-events-", dir=args.workdir or None) as tmp:
        for backend in args.backends.split(","):
            for row in run_backend(backend.strip(), args, Path(tmp)):
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
