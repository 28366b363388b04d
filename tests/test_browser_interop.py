"""Issue 10 in a real browser (Debian's Chromium): upload a LimeSurvey survey with its response export, read the
preview (counts and every note), confirm, land on the import's page — in zh-Hans and English, on a desktop and a
phone (390 px), without console errors or sideways scrolling. Screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import VARIANTS, assert_fits, shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DATA = Path(__file__).resolve().parent / "data"


def test_import_with_preview_in_two_languages_on_desktop_and_phone(browser: Any, live_server: Any, tenant_a: Any,
                                                                     screenshot_dir: Path) -> None:
    from cxloop.interop import services
    from cxloop.interop.models import SurveyImport

    expected = services.preview(kind="lss", data=(DATA / "limesurvey_v6.lss").read_bytes(),
                                responses=(DATA / "limesurvey_responses.csv").read_bytes())
    base, slug = live_server.url, tenant_a.org.slug
    for variant, page, problems in signed_in(browser, VARIANTS, base, tenant_a.owner.email):
        lang = variant.lang
        page.goto(f"{base}/o/{slug}/surveys/")
        page.click(f"a[href='/o/{slug}/imports/new/']")
        assert page.locator("html").get_attribute("lang") == lang
        page.select_option("#id_kind", "lss")
        page.set_input_files("#id_file", str(DATA / "limesurvey_v6.lss"))
        page.set_input_files("#id_responses", str(DATA / "limesurvey_responses.csv"))
        shot(page, screenshot_dir, f"import-form-{variant.name}")
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("#preview-title")
        assert page.locator("input[name=token]").count() == 1
        assert page.locator("#notes-title + div table tbody tr").count() == len(expected.notes) == 14
        assert page.get_by_text("Q99").count() >= 1
        assert_fits(page, variant, "the preview")
        shot(page, screenshot_dir, f"import-preview-{variant.name}")
        page.click("input[name=token] + button")
        page.wait_for_selector("#notes-title")
        record = SurveyImport.objects.filter(org=tenant_a.org).order_by("-pk").first()
        assert record is not None and page.url.endswith(f"/imports/{record.pk}/")
        assert record.responses_stored == 3
        assert_fits(page, variant, "the import")
        shot(page, screenshot_dir, f"import-done-{variant.name}")
        assert problems == [], problems
    assert SurveyImport.objects.filter(org=tenant_a.org).count() == 4
