#!/usr/bin/env python3
"""Benchmark (issue 6, acceptance 3): re-theming 100,000 stored comments after the codeframe changed.

In a fresh database (SQLite file, or PostgreSQL in a throwaway durable cluster): 100,000 complete responses with
a comment each (drawn from the public waimai / amazon / yelp sentences plus the demo's export complaints) and
their stored analyses (themes of the default codeframe); then, one scenario after the other on the same data,
the codeframe is saved and the re-theming job runs in this process, as the worker would run it:

* ``add``: a theme added ("packaging", which about 3 % of the comments mention) — few comments change;
* ``worst``: the codeframe replaced — every key renamed (``cx_`` prefix) and a broad theme ``cx_general``
  whose keywords are common words (的, 了, 不, the, a, is, …) — about 98 % of the comments change, and
  their theme rows (≈ 1.6 per comment) are all rewritten.

Reported per scenario: the job's wall time, comments per second, how many comments' themes changed, a check
that every analysis has the new codeframe version and one theme row per theme, and the job's progress as a
viewer would see it (seconds, done, status, about once a second).

Usage: benchmarks/retheme.py [--comments 100000] [--backends sqlite,postgresql] [--scenarios add,worst]
Target: ≤ 60 s for 100,000 comments. Prints one JSON line per backend and scenario.
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
from cxloop.texts.models import CommentAnalysis, RethemeJob, ThemeHit

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
    keys = [texts.text_themes.with_ancestors([h.key for h in found.match(t)]) for t in chosen]
    CommentAnalysis.objects.bulk_create([CommentAnalysis(
        response=r, org=org, survey=survey, submitted_at=now, language="zh-hans", sentiment_score=0.0,
        sentiment_label="neutral", confidence=0.5, themes=list(k)) for r, k in zip(rows, keys)], batch_size=5000)
    ThemeHit.objects.bulk_create([ThemeHit(response=r, org=org, survey=survey, theme=key, submitted_at=now,
                                           sentiment_label="neutral") for r, k in zip(rows, keys) for key in k],
                                 batch_size=5000)
load = time.perf_counter() - started
print(json.dumps({"scenario": "load", "comments": n, "load_s": round(load, 1)}), flush=True)

import threading
from django.db import connection


def renamed(themes):
    return [{**t, "key": "cx_" + t["key"]} for t in themes]


BROAD = {"key": "cx_general", "label": {"zh-hans": "综合", "zh-hant": "綜合", "en": "General"},
         "keywords": {"zh": ["的", "了", "是", "不", "很", "好", "吃", "送", "我", "也", "都", "有", "没", "太", "就",
                             "还", "味", "慢", "快", "餐"],
                      "en": ["the", "a", "i", "it", "is", "and", "this", "to", "was", "not", "my", "of", "for",
                             "very", "good", "great", "food", "place", "phone"]}}
PACKAGING = {"key": "packaging", "label": {"zh-hans": "包装", "zh-hant": "包裝", "en": "Packaging"},
             "keywords": {"zh": ["包装", "洒了", "漏了"], "en": ["packaging", "spilled"]}}
CODEFRAMES = {
    "add": {**DEFAULT_CODEFRAME, "themes": [*DEFAULT_CODEFRAME["themes"], PACKAGING]},
    "worst": {**DEFAULT_CODEFRAME, "themes": [*renamed(DEFAULT_CODEFRAME["themes"]), BROAD]},
}


def snapshot():
    return dict(CommentAnalysis.objects.filter(org=org).values_list("response_id", "themes").iterator(5000))


for scenario in sys.argv[3].split(","):
    before = snapshot()
    stored = texts.save_codeframe(org=org, definition=CODEFRAMES[scenario])  # queues the job (run below)
    job = RethemeJob.objects.filter(org=org).order_by("-pk").first()
    progress = []
    stop = threading.Event()
    t0 = time.perf_counter()

    def watch():
        while not stop.is_set():
            j = RethemeJob.objects.filter(pk=job.pk).values_list("done", "total", "status").first()
            progress.append((round(time.perf_counter() - t0, 2), j[0], j[2]))
            stop.wait(1.0)
        connection.close()

    w = threading.Thread(target=watch)
    w.start()
    texts.run_retheme(job.pk)
    elapsed = time.perf_counter() - t0
    stop.set()
    w.join()
    job.refresh_from_db()
    after = snapshot()
    changed = sum(1 for pk, themes in after.items() if before.get(pk) != themes)
    rows = ThemeHit.objects.filter(org=org).count()
    stale = CommentAnalysis.objects.filter(org=org).exclude(codeframe_version=stored.version).count()
    print(json.dumps({"scenario": scenario, "comments": n, "retheme_s": round(elapsed, 1),
                      "comments_per_s": round(n / elapsed), "changed": changed, "status": job.status,
                      "done": job.done, "theme_rows": rows,
                      "theme_rows_ok": rows == sum(len(t) for t in after.values()),
                      "stale_versions": stale, "progress_seen": progress[:12]}), flush=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default="add,worst", help="add (a theme added), worst (most comments change)")
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
                child = subprocess.Popen([sys.executable, "-c", CHILD, str(args.comments), args.data, args.scenarios],
                                         env=env, stdout=subprocess.PIPE, text=True)
                assert child.stdout is not None
                for line in child.stdout:  # one line per scenario, as it finishes
                    row = json.loads(line)
                    print(json.dumps({"benchmark": "retheme", "backend": backend.strip(), **row,
                                      "load_average_1m": round(os.getloadavg()[0], 2)}), flush=True)
                if child.wait() != 0:
                    raise SystemExit(f"{backend}: the benchmark process failed (exit {child.returncode})")
            finally:
                if cluster is not None:
                    cluster.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
