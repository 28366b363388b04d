"""The monthly governance report (issue 9): HTML with every section, escaped respondent text, in zh-Hans / zh-Hant /
English; the PDF rendered by WeasyPrint in zh-Hans with real CJK glyphs (acceptance 4: the page converted to PNG
with PDFium, the embedded font a CJK one, the text layer in Chinese); e-mailed to the committee through a real
SMTP server with the PDF attached; the API's JSON, HTML and PDF."""

from __future__ import annotations

import contextlib
import io
import re
import zlib
from datetime import date
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.conftest import run_tasks
from tests.test_govern_pages import governed

from cxloop.orgs.models import Role

pytestmark = pytest.mark.django_db(transaction=True)
JULY = date(2026, 7, 1)


def _fonts(pdf: bytes) -> str:
    """The font names in the PDF: its objects, inflated where they sit in compressed streams."""
    found = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            found.append(zlib.decompress(stream.group(1)))
    return " ".join(m.decode("latin-1") for chunk in found for m in re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", chunk))


def test_html_has_every_section_and_escapes_text(tenant_a: Any) -> None:
    from cxloop.govern import report

    governed(tenant_a)
    html = report.render_html(report.build(tenant_a.org, JULY, "en"))
    for heading in ("CX governance report 2026-07", "KPI scoreboard", "Top themes", "Journey low points",
                    "Action plans", "Closed loop", "Success stories"):
        assert heading in html, heading
    assert "<script>alert('plan')" not in html and "&lt;script&gt;" in html
    assert "Significant improvement" in html and "Rolled back within a week." in html
    assert "<style>" in html and "<link" not in html  # self-contained for e-mail and PDF
    zh = report.render_html(report.build(tenant_a.org, JULY, "zh-hans"))
    assert "客户体验治理月报 2026-07" in zh and "KPI 计分板" in zh and "行动计划" in zh
    assert "客戶體驗治理月報 2026-07" in report.render_html(report.build(tenant_a.org, JULY, "zh-hant"))


def test_pdf_in_chinese_renders_cjk_glyphs(tenant_a: Any, screenshot_dir: Path) -> None:
    import pypdfium2 as pdfium

    from cxloop.govern import report

    governed(tenant_a)
    pdf = report.render_pdf(report.render_html(report.build(tenant_a.org, JULY, "zh-hans")))
    assert pdf.startswith(b"%PDF")
    assert "Noto-Sans-CJK-SC" in _fonts(pdf)  # the Chinese text is set in an embedded CJK font, not a fallback
    doc = pdfium.PdfDocument(pdf)
    text = doc[0].get_textpage().get_text_range()
    assert "客户体验治理月报 2026-07" in text and "导出失败率" in text
    image = doc[0].render(scale=2).to_pil().convert("L")
    path = screenshot_dir / "governance-report-zh-hans-page1.png"
    image.save(path)
    width, height = image.size
    title = image.crop((0, 0, width, height // 10))  # the title band: dark strokes of real glyphs
    dark = sum(1 for v in title.tobytes() if v < 128) / (title.size[0] * title.size[1])  # "L": one byte a pixel
    assert 0.005 < dark < 0.4, dark
    assert len(doc) >= 1 and path.stat().st_size > 20_000


def test_report_is_emailed_to_the_committee_with_the_pdf(tenant_a: Any, smtp_server: Any, api_client: Any) -> None:
    governed(tenant_a)
    key = str(tenant_a.keys[Role.OWNER])
    r = api_client.call("POST", "/api/v1/reports/governance/send", key, body={"month": "2026-07"})
    assert r.status_code == 202 and r.json() == {"queued": 4}  # the chair and three other heads
    assert api_client.call("POST", "/api/v1/reports/governance/send", str(tenant_a.keys[Role.VIEWER]),
                           body={"month": "2026-07"}).status_code == 403
    assert run_tasks() == 4
    mails = smtp_server.wait_for(4)
    assert len(mails) == 4
    message = mails[0]
    assert "2026-07" in str(make_header(decode_header(message["Subject"])))
    parts = {p.get_content_type(): p for p in message.walk()}
    assert "text/html" in parts and "application/pdf" in parts
    assert parts["application/pdf"].get_payload(decode=True).startswith(b"%PDF")
    from cxloop.orgs.models import AuditEvent

    assert AuditEvent.objects.filter(org=tenant_a.org, action="report.sent", target="2026-07").exists()


def test_report_api_formats(tenant_a: Any) -> None:
    governed(tenant_a)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tenant_a.keys[Role.VIEWER]}"}
    body = client.get("/api/v1/reports/governance?month=2026-07&language=en", **auth).json()
    assert body["month"] == "2026-07" and body["kpis"][0]["status"] == "met"
    assert [p["number"] for p in body["plans"]] == [2, 1] and body["plans"][1]["effect"]["verdict"] == "improved"
    assert body["success_stories"] == 1 and body["recovered"] == 1
    assert body["loop"]["opened"] == 0 and body["loop"]["closure"]["n"] == 0  # no case was opened in July
    # this month: the one recovered case was opened and resolved — closure 1/1, Wilson 95 %: low = 1 / (1 + z²)
    from cxloop.analytics.metrics_service import local_today

    now = client.get(f"/api/v1/reports/governance?month={local_today():%Y-%m}&language=en", **auth).json()["loop"]
    assert now["opened"] == 1 and now["closure"]["value"] == 100.0
    assert now["closure"]["ci_low"] == pytest.approx(100 / (1 + 1.959964 ** 2), abs=0.01)
    html = client.get("/api/v1/reports/governance?month=2026-07&format=html&language=zh-hant", **auth)
    assert html["Content-Type"].startswith("text/html") and "客戶體驗治理月報" in html.content.decode()
    pdf = client.get("/api/v1/reports/governance?month=2026-07&format=pdf", **auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = client.get("/api/v1/reports/governance?month=July&format=json", **auth)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("month:")
    # the page: HTML with the stylesheet linked (no inline style under the CSP), and the PDF
    web = Client()
    web.force_login(tenant_a.viewer)
    page = web.get(f"/o/{tenant_a.org.slug}/governance/report/?month=2026-07")
    assert page.status_code == 200 and b"report.css" in page.content and b"<style>" not in page.content
    assert web.get(f"/o/{tenant_a.org.slug}/governance/report/?month=2026-07&format=pdf").content[:4] == b"%PDF"
    assert io.BytesIO(pdf.content).getbuffer().nbytes > 10_000


def test_report_goes_out_on_the_committees_day_once_per_month(tenant_a: Any, api_client: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from cxloop.analytics.metrics_service import local_today
    from cxloop.core.governance import add_months
    from cxloop.govern import report, services
    from cxloop.govern.models import Committee
    from cxloop.orgs.models import AuditEvent
    from cxloop.surveys.tasks import tick

    governed(tenant_a)
    owner, viewer = str(tenant_a.keys[Role.OWNER]), str(tenant_a.keys[Role.VIEWER])
    for bad in (0, 29, "x", True, 3.5):
        r = api_client.call("PUT", "/api/v1/committee", owner, body={"report_day": bad})
        assert r.status_code == 422 and "report_day" in r.json()["detail"], bad
    assert api_client.call("PUT", "/api/v1/committee", viewer, body={"report_day": 3}).status_code == 403
    chair = Committee.objects.get(org=tenant_a.org).chair_id
    r = api_client.call("PUT", "/api/v1/committee", owner, body={"report_day": 3})
    assert r.status_code == 200 and r.json()["report_day"] == 3 and r.json()["report_sent_for"] is None
    assert r.json()["chair"] == chair  # what was not given is kept
    updated = AuditEvent.objects.filter(org=tenant_a.org, action="committee.updated").order_by("pk").last()
    assert updated is not None and updated.data["report_day"] == 3

    def queued() -> int:
        return DBTaskResult.objects.filter(task_path="cxloop.govern.tasks.send_report").count()

    assert report.send_due(date(2026, 8, 2)) == [] and queued() == 0  # before the day
    assert report.send_due(date(2026, 8, 3)) == [(tenant_a.org.pk, JULY)]
    assert queued() == 4  # the chair and three heads
    assert report.send_due(date(2026, 8, 3)) == [] and report.send_due(date(2026, 8, 31)) == [] and queued() == 4
    assert report.send_due(date(2026, 9, 28)) == [(tenant_a.org.pk, date(2026, 8, 1))] and queued() == 8
    assert AuditEvent.objects.filter(org=tenant_a.org, action="report.sent", target="2026-08").exists()

    # the worker's clock sends it: last month's report of the real today
    Committee.objects.filter(org=tenant_a.org).update(report_day=1)
    tick.call()
    expected = add_months(services.first_of_month(local_today()), -1)
    assert Committee.objects.get(org=tenant_a.org).report_sent_for == expected and queued() == 12

    # switched off: nothing more, and null is accepted
    r = api_client.call("PUT", "/api/v1/committee", owner, body={"report_day": None})
    assert r.status_code == 200 and r.json()["report_day"] is None
    assert report.send_due(date(2027, 12, 28)) == [] and queued() == 12
