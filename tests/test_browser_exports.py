"""Exports in a real browser (Debian's Chromium through Playwright): the survey page's export controls download
a CSV at once, and a background export's page follows its progress by itself (htmx under the strict CSP) and
offers the download; zh-Hans and English, phone (390×844) and desktop. Screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import BY_LANGUAGE, EN_DESKTOP, opened, sign_in, signed_in
from tests.conftest import run_tasks
from tests.test_exports import DEFINITION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exports(tenant_a: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    from cxloop.exports import services
    from cxloop.exports.models import ExportJob
    from cxloop.surveys import services as survey_services

    settings.CXLOOP_DATA_DIR = tmp_path
    survey = survey_services.create_survey(org=tenant_a.org, name="门店 NPS", definition=DEFINITION)
    survey_services.publish(survey=survey)
    for score, text in ((9, "店员很专业"), (2, "=1+1 等太久"), (7, "还行")):
        survey_services.record_response(survey=survey, submission=survey_services.Submission(
            answers={"nps": score, "reason": text}, embedded={"store": "SH01"}))
    done = services.start_job(survey=survey, fmt="csv", filters=services.check_options(fmt="csv"), bom=True,
                              user=tenant_a.owner)
    run_tasks()  # a transactional test: the task was queued on commit
    running = ExportJob.objects.create(org=tenant_a.org, survey=survey, requested_by=tenant_a.owner, format="xlsx",
                                       status="running", rows_done=1200, rows_total=3000)
    return {"survey": survey, "done": done, "running": running}


def _error(message: Any) -> str | None:
    return message.text if message.type == "error" else None


def test_export_controls_and_progress_page(browser: Any, live_server: Any, tenant_a: Any, exports: dict[str, Any],
                                           screenshot_dir: Path) -> None:
    from cxloop.exports.models import ExportJob

    org = tenant_a.org.slug
    survey, done, running = exports["survey"], exports["done"], exports["running"]
    done.refresh_from_db()
    assert done.status == "done"
    # device_scale_factor=1: this test's phone has always been drawn at scale 1
    for variant, page, errors in signed_in(browser, BY_LANGUAGE, live_server.url, tenant_a.owner.email,
                                           console=_error, device_scale_factor=1, accept_downloads=True):
        name, width = variant.name, variant.viewport["width"]
        page.goto(f"{live_server.url}/o/{org}/surveys/{survey.pk}/")
        assert page.locator("html").get_attribute("lang") == variant.lang
        form = page.locator("form.export-form")
        form.scroll_into_view_if_needed()
        assert form.locator("#export_format").is_visible() and form.locator("#export_bom").is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        form.screenshot(path=str(screenshot_dir / f"export-form-{name}.png"))
        page.screenshot(path=str(screenshot_dir / f"survey-export-{name}.png"), full_page=True)
        if variant.kind == "desktop":
            with page.expect_download() as download:
                form.locator("button[type=submit]").click()
            data = Path(download.value.path()).read_bytes()
            assert data.startswith(b"\xef\xbb\xbf") and data.rstrip().endswith(b"# end of export: 3 rows")
            assert "'=1+1 等太久".encode() in data

        page.goto(f"{live_server.url}/o/{org}/exports/{running.pk}/")
        assert page.locator("progress.export-progress").get_attribute("value") == "40"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(screenshot_dir / f"export-running-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/o/{org}/exports/{done.pk}/")
        assert page.locator("a[href$='/download/']").is_visible()
        page.screenshot(path=str(screenshot_dir / f"export-done-{name}.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e], errors

    # The running export's page updates itself (htmx polling, no inline script) and then offers the file.
    with opened(browser, EN_DESKTOP, console=_error, accept_downloads=True) as (page, errors):
        sign_in(page, live_server.url, tenant_a.owner.email)
        page.goto(f"{live_server.url}/o/{org}/exports/{running.pk}/")
        assert page.locator("a[href$='/download/']").count() == 0
        from playwright.sync_api import expect

        ExportJob.objects.filter(pk=running.pk).update(rows_done=2400)
        expect(page.locator("progress.export-progress")).to_have_attribute("value", "80", timeout=10_000)
        ExportJob.objects.filter(pk=running.pk).update(
            status="done", rows_done=3000, row_count=3000, file_path=done.file_path, file_name="survey-export.csv",
            size_bytes=done.size_bytes, finished_at=done.finished_at, expires_at=done.expires_at)
        page.wait_for_selector("a[href$='/download/']", timeout=10_000)
        assert page.locator("#export-status").get_attribute("hx-trigger") is None  # polling stopped
        with page.expect_download() as download:
            page.click("a[href$='/download/']")
        assert download.value.suggested_filename == "survey-export.csv"
        assert not [e for e in errors if "Content Security Policy" in e], errors
