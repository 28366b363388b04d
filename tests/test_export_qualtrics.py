"""Issue 10: responses exported in the layout of a Qualtrics CSV export (three header rows, choice texts, the NPS
group, UTC times), hand-checked cell by cell; through the API and as a background job. Both backends."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

DEFINITION = {
    "title": {"en": "Checkout", "zh-hans": "结账"}, "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "embedded": [{"key": "store"}],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐意愿？", "en": "Recommend us?"}, "required": True},
        {"key": "pay", "type": "single_choice", "text": {"zh-hans": "支付方式", "en": "How did you pay?"}, "options": [
            {"key": "card", "text": {"zh-hans": "银行卡", "en": "Card"}},
            {"key": "other", "text": {"zh-hans": "其他", "en": "Other"}, "specify": True}]},
        {"key": "liked", "type": "multi_choice", "text": {"zh-hans": "喜欢", "en": "What did you like?"}, "options": [
            {"key": "speed", "text": {"zh-hans": "速度", "en": "Speed"}},
            {"key": "staff", "text": {"zh-hans": "店员", "en": "Staff"}}]},
        {"key": "grid", "type": "matrix", "text": {"zh-hans": "评价", "en": "Rate"}, "scale_min": 1, "scale_max": 5,
         "items": [{"key": "price", "text": {"zh-hans": "价格", "en": "Price"}},
                   {"key": "queue", "text": {"zh-hans": "排队", "en": "Queue"}}]},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因", "en": "Why?"}},
    ]}],
}


def _survey(org: Any, owner: Any) -> Any:
    from cxloop.surveys import services

    survey = services.create_survey(org=org, name="Checkout", definition=DEFINITION, actor=owner)
    services.publish(survey=survey, actor=owner)
    first = services.record_response(survey=survey, submission=services.Submission(
        answers={"nps": 9, "pay": "other", "pay.specify": "WeChat Pay", "liked": ["speed", "staff"],
                 "grid.price": 4, "grid.queue": 2, "why": "=HYPERLINK(\"x\")"},
        embedded={"store": "SH-01"}, language="en", channel="link",
        contact={"external_id": "C-9", "email": "li@example.com", "name": "Li"},
        submitted_at=datetime(2026, 3, 1, 2, 30, tzinfo=UTC)))
    second = services.record_response(survey=survey, submission=services.Submission(
        answers={"nps": 3}, language="zh-hans", channel="api", complete=False,
        submitted_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC)))
    return survey, first.response_id, second.response_id


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_qualtrics_layout_cell_by_cell(tenant_a: Any) -> None:
    from cxloop.exports import services
    from cxloop.surveys.models import Response

    survey, first, second = _survey(tenant_a.org, tenant_a.owner)
    Response.objects.filter(pk=first).update(started_at=datetime(2026, 3, 1, 2, 25, 10, tzinfo=UTC),
                                             duration_seconds=290)
    plan = services.plan(survey=survey, fmt="qualtrics", filters=services.check_options(fmt="qualtrics"))
    rows = _rows(b"".join(services.stream(plan)))
    names, texts, ids, one, two = rows
    assert names == ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
                     "RecordedDate", "ResponseId", "RecipientEmail", "ExternalReference", "DistributionChannel",
                     "UserLanguage", "nps", "nps_NPS_GROUP", "pay", "pay_2_TEXT", "liked", "grid_1", "grid_2", "why",
                     "store"]
    # the texts in the survey's default language (zh-hans); an item is "question - item"
    assert texts[12:] == ["推荐意愿？", "推荐意愿？ - Group", "支付方式", "支付方式 - 其他 - Text", "喜欢",
                          "评价 - 价格", "评价 - 排队", "原因", "store"]
    assert json.loads(ids[0]) == {"ImportId": "startDate", "timeZone": "UTC"}
    assert [json.loads(c)["ImportId"] for c in ids[12:]] == [
        "nps", "nps_NPS_GROUP", "pay", "pay.specify", "liked", "grid.price", "grid.queue", "why", "store"]
    assert one == ["2026-03-01 02:25:10", "2026-03-01 02:30:00", "IP Address", "100", "290", "True",
                   "2026-03-01 02:30:00", str(first), "li@example.com", "C-9", "link", "EN",
                   "9", "Promoter", "其他", "WeChat Pay", "速度,店员", "4", "2", "'=HYPERLINK(\"x\")", "SH-01"]
    # a partial response: no progress of 100, Finished False, a detractor
    assert two[:12] == ["2026-03-02 08:00:00", "2026-03-02 08:00:00", "IP Address", "", "", "False",
                        "2026-03-02 08:00:00", str(second), "", "", "api", "ZH-S"]
    assert two[12:] == ["3", "Detractor", "", "", "", "", "", "", ""]
    assert plan.file_name().endswith("-qualtrics.csv")


def test_qualtrics_layout_through_the_api_and_a_background_job(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    from cxloop.exports import services
    from cxloop.exports.models import ExportJob

    survey, first, _ = _survey(tenant_a.org, tenant_a.owner)
    response = api_client.call("GET", f"/api/v1/surveys/{survey.pk}/responses/export?format=qualtrics",
                               tenant_a.keys["owner"])
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _rows(b"".join(response.streaming_content))
    assert len(rows) == 5 and rows[3][7] == str(first)
    assert api_client.call("GET", f"/api/v1/surveys/{survey.pk}/responses/export?format=qualtrics",
                           tenant_b.keys["owner"]).status_code == 404
    job = services.start_job(survey=survey, fmt="qualtrics", filters=services.check_options(fmt="qualtrics"),
                             user=tenant_a.owner)
    services.run_job(job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == "done" and job.row_count == 2
    path = services.job_file(job)
    assert path is not None and _rows(path.read_bytes())[3] == rows[3]
