"""Issue 8 in a real browser (Debian's Chromium through Playwright): the Behaviour section's pages — the UX scorecard
(HEART per area, usage), tasks (the export task's failure-rate rise marked), retention (the cohort heat map) and
loyalty (the NPS-vs-renewal verdict) — on data shaped like the demo's story, in zh-Hans and English, on a desktop
and a phone (390 px), without console errors and without sideways scrolling. Screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import VARIANTS, assert_fits, shot, signed_in
from tests.test_ux import CSAT, at, ev, record, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NPS = {"title": {"en": "NPS"}, "default_language": "en", "languages": ["en"],
       "pages": [{"key": "p1", "questions": [{"key": "nps", "type": "nps", "text": {"en": "Recommend?"}}]}]}
TASKS = {"export_report": ("reporting", "report_export"), "build_dashboard": ("dashboards", "dashboard_builder"),
         "create_survey": ("surveys", "survey_builder")}


def _month(today: date, back: int) -> date:
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def story(org: Any, today: date) -> dict[str, date]:
    """Eight months of sign-ups, activity and task attempts (the export task fails far more in one month), CSAT
    at the areas' touchpoints, and 70 accounts' renewal decisions after their NPS answers."""
    from cxloop.customers.models import Account, Contact

    months = [_month(today, back) for back in range(7, -1, -1)]
    rise = months[4]
    items: list[dict[str, Any]] = []
    for m_index, m in enumerate(months):
        day = m + timedelta(days=9)
        for i in range(30):
            who = f"s{m_index}-{i}"
            items.append(ev("signed_up", at(day, 9, i % 60), who, plan="trial"))
            for k in range(1, len(months) - m_index):
                if (i % 10) < 7 - k:  # fewer come back every month
                    later = months[m_index + k] + timedelta(days=3 + i % 5)
                    if later < today:
                        items.append(ev("session_started", at(later, 10, i % 60), who))
        for task, (area, tp) in TASKS.items():
            failures = 18 if (task == "export_report" and m == rise) else 3
            for i in range(40):
                who = f"u{i}"
                when = at(day, 11, i % 60)
                items.append(ev("task_started", when, who, touchpoint=tp, task=task, area=area))
                items.append(ev("task_failed" if i < failures else "task_completed", at(day, 12, i % 60), who,
                                touchpoint=tp, task=task, area=area, duration_ms=20000 + 1500 * (i % 9)))
                if i % 3 == 0:
                    items.append(ev("feature_used", at(day, 13, i % 60), who, touchpoint=tp, feature=f"{area}_main",
                                    area=area))
            items.append(ev("page_view", at(day, 14), "u1", path=f"/{area}"))
        for i in range(0, 40, 2):  # purchases: every other person buys once, every fourth twice
            for n in range(1 + (i % 4 == 0)):
                items.append(ev("purchase", at(day, 15, n), f"u{i}", amount=990, currency="CNY",
                                order_id=f"o{m_index}-{i}-{n}"))
    # today's and the last days' activity for DAU / WAU / MAU
    for back in range(10):
        d = today - timedelta(days=back + 1)
        items += [ev("session_started", at(d, 9, i), f"u{i}") for i in range(0, 30, back + 1)]
    store(org, items)
    when = at(months[-2] + timedelta(days=5))
    rows = [({"csat": 5 if i % 5 else 2}, tp, when, "") for _t, (_a, tp) in TASKS.items() for i in range(25)]
    record(org, CSAT, rows, "CSAT")
    # accounts: promoters mostly renew, detractors often churn
    decisions, answers = [], []
    for i in range(70):
        group, renews = (("p", i % 10 != 0) if i < 30 else ("d", i % 2 == 0) if i < 60 else ("n", i % 5 != 0))
        account = Account.objects.create(org=org, external_id=f"ACC{i}", name=f"客户 {i}", arr=10000 + 1000 * (i % 7))
        Contact.objects.create(org=org, external_id=f"C{i}", name=f"联系人 {i}", account=account)
        decided = months[1 + i % 6] + timedelta(days=14)
        answers.append(({"nps": {"p": 10, "d": 3, "n": 8}[group]}, "", at(decided - timedelta(days=60)), f"C{i}"))
        decisions.append(ev("renewed" if renews else "churned", at(decided), contact=f"C{i}", account=f"ACC{i}",
                            arr=10000 + 1000 * (i % 7), term_months=12))
    record(org, NPS, answers, "NPS")
    store(org, decisions)
    return {"from": months[0], "to": today - timedelta(days=1), "rise": rise}


def test_behaviour_pages_in_two_languages_on_desktop_and_phone(browser: Any, live_server: Any, tenant_a: Any,
                                                                screenshot_dir: Path) -> None:
    from cxloop.analytics.metrics_service import local_today

    dates = story(tenant_a.org, local_today())
    query = f"?from={dates['from'].isoformat()}&to={dates['to'].isoformat()}"
    base, slug = live_server.url, tenant_a.org.slug
    for variant, page, problems in signed_in(browser, VARIANTS, base, tenant_a.viewer.email):
        lang = variant.lang
        for name, path in (("scorecard", ""), ("tasks", "tasks/"), ("retention", "retention/"),
                           ("loyalty", "loyalty/")):
            page.goto(f"{base}/o/{slug}/behaviour/{path}{query}")
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("nav.tabs a[aria-current=page]").count() == 1
            for img in page.locator("main img").all():
                assert img.evaluate("i => i.complete && i.naturalWidth > 0"), name
            assert_fits(page, variant, name)
            if name == "scorecard":
                assert page.locator(".bx-cards article").count() == 3  # reporting, dashboards, surveys
                assert page.locator("img.bx-strip").count() >= 12
            if name == "tasks":
                first = page.locator("table.dash-table tbody tr").first
                assert "export_report" in first.inner_text()  # the task with a rise comes first
                assert dates["rise"].strftime("%Y-%m") in first.inner_text()
                assert page.locator("tr.bx-rise").count() >= 2  # in the summary and in the month table
            if name == "retention":
                assert page.locator("table.heat-table td[class*=heat-]").count() > 20
            if name == "loyalty":
                headline = page.locator(".bx-verdict .bx-headline").inner_text()
                assert "%" in headline and (lang != "en" or "Promoter accounts renew" in headline)
                assert page.locator(".bx-verdict-yes").count() == 1  # significant
            shot(page, screenshot_dir, f"behaviour-{name}-{variant.name}")
        assert problems == [], problems
