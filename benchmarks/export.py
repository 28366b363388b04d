#!/usr/bin/env python3
"""Benchmark: `cxloop export responses` of one survey with 1,000,000 responses on SQLite.

1. A new SQLite database under /tmp: migrations, an organisation with 300 accounts and 20,000 contacts, and a
   published survey (NPS, a comment, a multi-choice with "Other, please specify", SUS), through the ORM.
2. The responses and their answers written with the sqlite3 module directly (executemany, one transaction per
   100,000 responses): every response has an NPS score and embedded store / order id; 60 % a comment in
   Chinese (a tenth of them starting with "=" or "-", so neutralisation is exercised), 50 % channels, 10 % the
   ten SUS items, 3 % are partial; 70 % name a contact (≈ 3.1 answers per response, like the large demo).
3. `cxloop export responses --format csv --out FILE` in a subprocess under GNU time (`/usr/bin/time -v`):
   wall time and peak memory (maximum resident set size). Then the file is read back: data rows (CSV parsed
   with the csv module, XLSX by its sheet XML, JSON Lines by line) must equal the rows stored for the survey,
   and the trailer (last line / "export" sheet) must state the same number.

Usage: benchmarks/export.py [--responses 1000000] [--formats csv,xlsx,jsonl] [--keep DIR]
Targets (issue 4): CSV of 1M responses in ≤ 60 s with peak memory ≤ 200 MB. Prints JSON lines.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFINITION = {
    "title": {"zh-hans": "门店体验调研", "en": "Store experience"},
    "default_language": "zh-hans", "languages": ["zh-hans", "zh-hant", "en"],
    "embedded": [{"key": "store"}, {"key": "order_id"}],
    "pages": [
        {"key": "score", "questions": [
            {"key": "nps", "type": "nps", "required": True, "text": {"zh-hans": "您有多大可能推荐我们？"}},
            {"key": "reason", "type": "open_text", "text": {"zh-hans": "主要原因是什么？"}},
        ]},
        {"key": "more", "questions": [
            {"key": "channels", "type": "multi_choice", "text": {"zh-hans": "您通过哪些渠道联系过我们？"},
             "options": [{"key": "phone", "text": {"zh-hans": "电话"}},
                         {"key": "chat", "text": {"zh-hans": "在线客服"}},
                         {"key": "email", "text": {"zh-hans": "邮件"}},
                         {"key": "other", "text": {"zh-hans": "其他"}, "specify": True}]},
            {"key": "sus", "type": "sus"},
        ]},
    ],
}

SETUP = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from cxloop.customers.models import Account, Contact
from cxloop.orgs.services import get_or_create_org
from cxloop.surveys import services
org, _ = get_or_create_org(name="Export Bench")
accounts = Account.objects.bulk_create(Account(org=org, external_id=f"A-{i:04d}", name=f"客户公司 {i}")
                                       for i in range(300))
Contact.objects.bulk_create(Contact(org=org, account=accounts[i % 300], external_id=f"C-{i:05d}",
                                    name=f"联系人 {i}", email=f"c{i}@example.com") for i in range(20000))
survey = services.create_survey(org=org, name="Export bench", definition=json.loads(sys.argv[1]))
version = services.publish(survey=survey)
contacts = list(Contact.objects.filter(org=org).values_list("id", "account_id"))
print(json.dumps({"org": org.pk, "survey": survey.pk, "version": version.pk, "contacts": contacts}))
"""

COMMENTS = ["价格有点贵，但是服务很好", "客服响应很快，问题当天就解决了", "导出报表经常失败，希望尽快修复",
            "界面清晰，上手容易", "配送太慢了，等了三天", "店员很专业，推荐给同事了", "系统偶尔卡顿",
            "Great support, quick answers", "希望增加更多支付方式", "售后服务态度需要改进"]
RISKY = ["=1+1 公式", "-不太满意", "+86 138 0000 0000", "@客服 请回电"]


def generate(db: Path, info: dict[str, object], count: int, seed: int = 7) -> float:
    """Write ``count`` responses with their answers; returns the seconds taken."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    columns = {row[1]: row for row in conn.execute("PRAGMA table_info(surveys_response)")}
    known = ["org_id", "survey_id", "version_id", "contact_id", "account_id", "distribution_id", "invitation_id",
             "status", "started_at", "submitted_at", "duration_seconds", "last_page", "channel", "language",
             "touchpoint", "embedded", "resume_token"]
    missing = [name for name, (_cid, _n, _t, notnull, default, pk) in columns.items()
               if name not in known and name != "id" and notnull and default is None and not pk]
    if missing:
        raise SystemExit(f"surveys_response has new required columns: {missing}")
    insert_response = (f"INSERT INTO surveys_response ({', '.join(known)}) "
                       f"VALUES ({', '.join('?' * len(known))})")
    insert_answer = "INSERT INTO surveys_answer (response_id, question_key, number, choices, text) VALUES (?,?,?,?,?)"
    contacts = info["contacts"]
    assert isinstance(contacts, list)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    stores = [f"SH{i:02d}" for i in range(40)] + [f"BJ{i:02d}" for i in range(30)]
    next_id = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM surveys_response").fetchone()[0]) + 1
    started = time.perf_counter()
    batch = 100_000
    for offset in range(0, count, batch):
        responses = []
        answers = []
        for i in range(offset, min(count, offset + batch)):
            rid = next_id + i
            at = (start + timedelta(seconds=i * 60 + rng.randrange(60))).strftime("%Y-%m-%d %H:%M:%S.%f")
            contact = contacts[rng.randrange(len(contacts))] if rng.random() < 0.7 else (None, None)
            partial = rng.random() < 0.03
            embedded = json.dumps({"store": rng.choice(stores), "order_id": f"O-{rid}"})
            responses.append((info["org"], info["survey"], info["version"], contact[0], contact[1], None, None,
                              "partial" if partial else "complete", at, at, rng.randrange(30, 600), 0 if partial else 1,
                              rng.choice(["link", "email", "widget", "qr"]), rng.choice(["zh-hans", "zh-hant", "en"]),
                              "store", embedded, None))
            answers.append((rid, "nps", float(rng.randrange(11)), "[]", ""))
            if rng.random() < 0.6:
                text = rng.choice(RISKY) if rng.random() < 0.1 else rng.choice(COMMENTS)
                answers.append((rid, "reason", None, "[]", text))
            if partial:
                continue
            if rng.random() < 0.5:
                chosen = sorted(rng.sample(["phone", "chat", "email", "other"], rng.randrange(1, 3)))
                answers.append((rid, "channels", None, json.dumps(chosen), "微信群" if "other" in chosen else ""))
            if rng.random() < 0.1:
                answers += [(rid, f"sus.q{q}", float(rng.randrange(1, 6)), "[]", "") for q in range(1, 11)]
        with conn:
            conn.executemany(insert_response, responses)
            conn.executemany(insert_answer, answers)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def count_rows(fmt: str, path: Path) -> tuple[int, int | None]:
    """(data rows in the file, the row count the file states)."""
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list_last = 0
            last: list[str] = []
            reader = csv.reader(fh)
            next(reader)
            for row in reader:
                rows += 1
                last = row
            list_last = 1 if last and last[0].startswith("# end of export: ") else 0
            stated = int(last[0].split(": ")[1].split()[0]) if list_last else None
            return rows - list_last, stated
    if fmt == "jsonl":
        rows = 0
        stated = None
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith('{"_export"'):
                    stated = json.loads(line)["_export"]["rows"]
                else:
                    rows += 1
        return rows, stated
    import openpyxl  # the dev extra; reads the small "export" sheet

    book = openpyxl.load_workbook(path, read_only=True)
    names = book.sheetnames
    facts = {row[0]: row[1] for row in book["export"].iter_rows(values_only=True)}
    book.close()
    rows = 0
    with zipfile.ZipFile(path) as archive:
        # xlsxwriter names the parts sheet1.xml, sheet2.xml… in the order the sheets were added.
        for index, name in enumerate(names, start=1):
            if name == "export":
                continue
            tail = b""
            with archive.open(f"xl/worksheets/sheet{index}.xml") as sheet:
                for chunk in iter(lambda: sheet.read(1 << 20), b""):
                    rows += (tail + chunk).count(b"<row ") - tail.count(b"<row ")
                    tail = chunk[-8:]
            rows -= 1  # the header row
    stated = facts.get("rows")
    return rows, int(stated) if isinstance(stated, int | float) else None


def time_export(env: dict[str, str], survey: int, fmt: str, out: Path) -> dict[str, object]:
    command = [sys.executable, "-m", "cxloop.cli", "export", "responses", "--survey", str(survey), "--format", fmt,
               "--out", str(out)]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if gnu_time:
        command = [gnu_time, "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise SystemExit(f"export {fmt} failed")
    peak_kb = None
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    if match:
        peak_kb = int(match.group(1))
    else:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_kb = after if after > before else None
    return {"seconds": round(elapsed, 1), "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None,
            "file_mb": round(out.stat().st_size / 1e6, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv")
    parser.add_argument("--keep", help="work in this directory and keep it (reused when it has the database)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cxloop-export-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update({"DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": str(work),
                "CXLOOP_LOG_LEVEL": "WARNING"})
    db = work / "cxloop.sqlite3"
    info_file = work / "bench-info.json"
    try:
        if info_file.exists():
            info = json.loads(info_file.read_text())
            generated = None
        else:
            setup = subprocess.run([sys.executable, "-c", SETUP, json.dumps(DEFINITION)], env=env, cwd=ROOT,
                                   capture_output=True, text=True, check=False)
            if setup.returncode != 0:
                print(setup.stderr, file=sys.stderr)
                return 1
            info = json.loads(setup.stdout.strip().splitlines()[-1])
            generated = generate(db, info, args.responses)
            info_file.write_text(json.dumps(info))
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM surveys_response WHERE survey_id = ?",
                                  (info["survey"],)).fetchone()[0]
            answers = conn.execute("SELECT count(*) FROM surveys_answer").fetchone()[0]
        for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
            out = work / f"export.{fmt}"
            figures = time_export(env, info["survey"], fmt, out)
            rows, stated = count_rows(fmt, out)
            print(json.dumps({
                "benchmark": "export_responses", "format": fmt, "backend": "sqlite", "stored_responses": stored,
                "answers": answers, "exported_rows": rows, "stated_rows": stated,
                "rows_match": rows == stored == stated, **figures,
                "generate_seconds": round(generated, 1) if generated else None, "cpu_count": os.cpu_count(),
                "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            }), flush=True)
            out.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
