"""Exports in a real browser (Debian's Chromium through Playwright): the survey page's export controls download
a CSV at once, and a background export's page follows its progress by itself (htmx under the strict CSP) and
offers the download; zh-Hans and English, phone (390×844) and desktop. Screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import PASSWORD, run_tasks
from tests.test_exports import DEFINITION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWS = [("zh-CN", "zh-hans", {"width": 1280, "height": 900}, "desktop"),
         ("zh-CN", "zh-hans", {"width": 390, "height": 844}, "phone"),
         ("en-US", "en", {"width": 1280, "height": 900}, "desktop"),
         ("en-US", "en", {"width": 390, "height": 844}, "phone")]


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


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector("nav.mainnav")


def test_export_controls_and_progress_page(browser: Any, live_server: Any, tenant_a: Any, exports: dict[str, Any],
                                           screenshot_dir: Path) -> None:
    from cxloop.exports.models import ExportJob

    org = tenant_a.org.slug
    survey, done, running = exports["survey"], exports["done"], exports["running"]
    done.refresh_from_db()
    assert done.status == "done"
    for locale, lang, viewport, kind in VIEWS:
        context = browser.new_context(locale=locale, viewport=viewport, is_mobile=kind == "phone",
                                      has_touch=kind == "phone", accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        _sign_in(page, live_server.url, tenant_a.owner.email)
        page.goto(f"{live_server.url}/o/{org}/surveys/{survey.pk}/")
        assert page.locator("html").get_attribute("lang") == lang
        form = page.locator("form.export-form")
        form.scroll_into_view_if_needed()
        assert form.locator("#export_format").is_visible() and form.locator("#export_bom").is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        form.screenshot(path=str(screenshot_dir / f"export-form-{lang}-{kind}.png"))
        page.screenshot(path=str(screenshot_dir / f"survey-export-{lang}-{kind}.png"), full_page=True)
        if kind == "desktop":
            with page.expect_download() as download:
                form.locator("button[type=submit]").click()
            data = Path(download.value.path()).read_bytes()
            assert data.startswith(b"\xef\xbb\xbf") and data.rstrip().endswith(b"# end of export: 3 rows")
            assert "'=1+1 等太久".encode() in data

        page.goto(f"{live_server.url}/o/{org}/exports/{running.pk}/")
        assert page.locator("progress.export-progress").get_attribute("value") == "40"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=str(screenshot_dir / f"export-running-{lang}-{kind}.png"), full_page=True)
        page.goto(f"{live_server.url}/o/{org}/exports/{done.pk}/")
        assert page.locator("a[href$='/download/']").is_visible()
        page.screenshot(path=str(screenshot_dir / f"export-done-{lang}-{kind}.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e], errors
        context.close()

    # The running export's page updates itself (htmx polling, no inline script) and then offers the file.
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server.url, tenant_a.owner.email)
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
    context.close()
