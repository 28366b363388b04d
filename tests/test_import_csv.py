"""CSV import of offline responses: preview with located problems, all rows or none (UI and CLI)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from tests.test_respond import TWO_PAGES

pytestmark = pytest.mark.django_db

GOOD = """submitted_at,contact_external_id,contact_email,language,touchpoint,embedded.store,nps,reason,channels
2026-03-01 10:00,p-1,wang@example.com,zh-hans,store,SH01,9,店员很专业,phone|chat
2026-03-02 11:30,p-2,,zh-hant,store,HK02,3,等太久了,
2026-03-03 09:15,,,en,store,SH01,10,Great,chat
"""

BAD = """nps,reason,channels
11,too high,
,no score,
7,fine,fax
"""


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Store NPS", definition=TWO_PAGES)
    services.publish(survey=s)
    return s


def test_import_all_rows_with_contacts_and_embedded(survey: Any, tenant_a: Any) -> None:
    from cxloop.surveys import importer
    from cxloop.surveys.models import Answer, Response

    assert importer.import_csv(survey=survey, data=GOOD.encode("utf-8")) == 3
    rows = list(Response.objects.filter(survey=survey).order_by("submitted_at"))
    assert [r.embedded.get("store") for r in rows] == ["SH01", "HK02", "SH01"]
    assert rows[0].contact.external_id == "p-1" and rows[0].channel == "import"  # type: ignore[union-attr]
    assert rows[0].submitted_at.date().isoformat() == "2026-03-01" and rows[2].contact is None
    assert Answer.objects.get(response=rows[0], question_key="channels").choices == ["phone", "chat"]


def test_a_bad_row_means_nothing_is_imported(survey: Any) -> None:
    from cxloop.surveys import importer
    from cxloop.surveys.models import Response
    from cxloop.surveys.services import SurveyError

    checked = importer.preview(survey=survey, data=BAD)
    where = {(p.line, p.column) for p in checked.problems}
    assert (2, "nps") in where and (3, "nps") in where and (4, "channels") in where
    with pytest.raises(SurveyError, match="line 2, nps"):
        importer.import_csv(survey=survey, data=BAD)
    assert Response.objects.count() == 0
    unknown = importer.preview(survey=survey, data="nps,colour\n9,red\n")
    assert unknown.problems[0].column == "colour" and "unknown column" in unknown.problems[0].message
    gbk = importer.preview(survey=survey, data="nps,reason\n8,还行\n".encode("gb18030"))
    assert gbk.ok and gbk.rows[0]["reason"] == "还行"


def test_import_page_preview_then_confirm(survey: Any, tenant_a: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cxloop.surveys.models import Response

    client = Client()
    client.force_login(tenant_a.owner)
    url = f"/o/{tenant_a.org.slug}/surveys/{survey.pk}/import/"
    bad = client.post(url, {"file": SimpleUploadedFile("bad.csv", BAD.encode())})
    assert bad.status_code == 200 and "fax" in bad.content.decode() and Response.objects.count() == 0
    good = client.post(url, {"file": SimpleUploadedFile("good.csv", GOOD.encode())})
    html = good.content.decode()
    assert "店员很专业" in html and 'name="confirm"' in html and Response.objects.count() == 0
    done = client.post(url, {"csv_text": GOOD, "confirm": "1"})
    assert done.status_code == 302 and Response.objects.filter(survey=survey).count() == 3
    viewer = Client()
    viewer.force_login(tenant_a.viewer)
    assert viewer.post(url, {"csv_text": GOOD, "confirm": "1"}).status_code == 403


def test_cli_import_responses(survey: Any, tenant_a: Any, tmp_path: Path) -> None:
    from cxloop.surveys.models import Response

    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 2, nps"):
        call_command("cximport", "responses", str(bad), "--org", tenant_a.org.slug, "--survey", str(survey.pk))
    out = StringIO()
    call_command("cximport", "responses", str(good), "--org", tenant_a.org.slug, "--survey", str(survey.pk),
                 "--dry-run", stdout=out)
    assert "3 rows are valid" in out.getvalue() and Response.objects.count() == 0
    out = StringIO()
    call_command("cximport", "responses", str(good), "--org", tenant_a.org.slug, "--survey", str(survey.pk),
                 stdout=out)
    assert "Imported 3 responses" in out.getvalue() and Response.objects.count() == 3
