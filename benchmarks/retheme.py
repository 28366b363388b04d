#!/usr/bin/env python3
"""Benchmark (issue 6, acceptance 3): re-theming 100,000 stored comments after the codeframe changed.

In a fresh database (SQLite file, or PostgreSQL in a throwaway durable cluster): 100,000 complete responses with
a comment each (drawn from the public waimai / amazon / yelp sentences plus the demo's export complaints) and
their stored analyses (themes of the default codeframe); then the codeframe is saved with a theme added
("packaging", which about 3 % of the comments mention) and the re-theming job runs in this process,
as the worker would run it. Reported: the job's wall time, comments per second, and its progress as a viewer
would see it (percent at each chunk).

Usage: benchmarks/retheme.py [--comments 100000] [--backends sqlite,postgresql]
Target: ≤ 60 s for 100,000 comments. Prints one JSON line per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

CHILD = r"""
import csv, json, os, random, sys, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.utils import timezone
from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
from cxloop.orgs.services import get_or_create_org
from cxloop.surveys import services
from cxloop.surveys.models import Answer, Response
from cxloop.texts import services as texts
from cxloop.texts.models import CommentAnalysis, RethemeJob

n = int(sys.argv[1])
data = sys.argv[2]
pool = []
with open(os.path.join(data, "zh_waimai_10k.csv"), encoding="utf-8") as f:
    pool += [row["review"] for row in csv.DictReader(f) if row.get("review")]
for name in ("en_amazon_cells.tsv", "en_yelp.tsv"):
    with open(os.path.join(data, name), encoding="utf-8") as f:
        pool += [line.rsplit("\t", 1)[0] for line in f if "\t" in line]
pool += ["导出报表一直失败，客服也联系不上", "匯出報表一直失敗", "CSV export times out again"] * 200
rng = random.Random(7)
org, _ = get_or_create_org(name="Retheme bench")
definition = {"title": "Bench", "default_language": "zh-hans", "languages": ["zh-hans"],
              "pages": [{"key": "p1", "questions": [{"key": "why", "type": "open_text", "text": "Why?"}]}]}
survey = services.create_survey(org=org, name="Bench", definition=definition)
version = services.publish(survey=survey)
now = timezone.now()
started = time.perf_counter()
for start in range(0, n, 5000):
    size = min(5000, n - start)
    rows = Response.objects.bulk_create([Response(org=org, survey=survey, version=version, submitted_at=now,
                                                  started_at=now) for _ in range(size)], batch_size=5000)
    chosen = [rng.choice(pool) for _ in rows]
    Answer.objects.bulk_create([Answer(response=r, question_key="why", text=t) for r, t in zip(rows, chosen)],
                               batch_size=5000)
    # Stored as the worker would have analysed them with the default codeframe.
    found, _v = texts.default_matcher()
    CommentAnalysis.objects.bulk_create([CommentAnalysis(
        response=r, org=org, survey=survey, submitted_at=now, language="zh-hans", sentiment_score=0.0,
        sentiment_label="neutral", confidence=0.5,
        themes=list(texts.text_themes.with_ancestors([h.key for h in found.match(t)])))
        for r, t in zip(rows, chosen)], batch_size=5000)
load = time.perf_counter() - started
codeframe = {**DEFAULT_CODEFRAME, "themes": [*DEFAULT_CODEFRAME["themes"], {
    "key": "packaging", "label": {"zh-hans": "包装", "zh-hant": "包裝", "en": "Packaging"},
    "keywords": {"zh": ["包装", "洒了", "漏了"], "en": ["packaging", "spilled"]}}]}
texts.save_codeframe(org=org, definition=codeframe)  # queues the job (the task is run below, in this process)
job = RethemeJob.objects.get(org=org)
progress = []
t0 = time.perf_counter()
import threading
stop = threading.Event()
def watch():
    from django.db import connection
    while not stop.is_set():
        j = RethemeJob.objects.filter(pk=job.pk).values_list("done", "total", "status").first()
        progress.append((round(time.perf_counter() - t0, 2), j[0], j[2]))
        stop.wait(1.0)
    connection.close()
w = threading.Thread(target=watch); w.start()
texts.run_retheme(job.pk)
elapsed = time.perf_counter() - t0
stop.set(); w.join()
job.refresh_from_db()
from cxloop.texts.models import ThemeHit
print(json.dumps({"comments": n, "load_s": round(load, 1), "retheme_s": round(elapsed, 1),
                  "comments_per_s": round(n / elapsed), "status": job.status, "done": job.done,
                  "theme_rows": ThemeHit.objects.filter(org=org).count(),
                  "packaging_hits": ThemeHit.objects.filter(org=org, theme="packaging").count(),
                  "progress_seen": [p for p in progress][:12]}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "sentiment"))
    args = parser.parse_args()
    from run_tests import postgres_cluster  # type: ignore[import-not-found]

    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="cxloop-retheme-") as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
            env.update({"DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": tmp,
                        "CXLOOP_LOG_LEVEL": "WARNING", "OPENBLAS_NUM_THREADS": "1"})
            cluster = None
            if backend.strip() == "postgresql":
                cluster = postgres_cluster(durable=True)
                env["CXLOOP_DATABASE_URL"] = cluster.__enter__()
            try:
                result = subprocess.run([sys.executable, "-c", CHILD, str(args.comments), args.data], env=env,
                                        capture_output=True, text=True, check=True)
                row = json.loads(result.stdout.strip().splitlines()[-1])
                print(json.dumps({"benchmark": "retheme", "backend": backend.strip(), **row,
                                  "load_average_1m": round(os.getloadavg()[0], 2)}), flush=True)
            finally:
                if cluster is not None:
                    cluster.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
