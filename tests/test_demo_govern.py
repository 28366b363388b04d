"""The demo's governance (issue 9, acceptance 1 and 2) on a generated demo of the default size: the export-defect
story end to end — the export theme spikes in month 18, a plan created from that spike is owned by Product with the
defect months as its baseline, the after window (after the fix) shows a significant recovery as the plan's measured
effect, and the plan is a success story — and the KPI scoreboard of the last 12 months, computed from the data (no
actual is stored), equal to the same numbers asked through the metrics APIs.

They read the shared small demo (`small_demo` in conftest: generated once per session, these tests run last)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from tests.conftest import SmallDemo

from cxloop.analytics import dashboard, themes
from cxloop.core import governance
from cxloop.demo.timeline import DEFECT_MONTH, FIX_MONTH, build_timeline
from cxloop.govern import measures, report, services, stories
from cxloop.govern.models import Kpi
from cxloop.orgs.models import Organization
from cxloop.orgs.services import create_api_key

TODAY = date(2025, 6, 15)


@pytest.fixture(scope="module")
def demo(small_demo: SmallDemo) -> Organization:
    assert small_demo.today == TODAY
    return small_demo.org


@pytest.mark.django_db
def test_the_export_defect_story_runs_end_to_end(demo: Organization) -> None:
    timeline = build_timeline(TODAY)
    defect = timeline.months[DEFECT_MONTH - 1].start
    # 1. the theme spikes in the defect month (the theme page's own test, 99 %)
    f = dashboard.Filters(start=timeline.start, end=timeline.last_day)
    months = {m.month: m for m in themes.detail(demo, "product/export", f, "en").months}
    assert months[defect].spike is not None and months[defect].spike.direction == "up"
    # 2. the plan made from that spike: Product owns it, the defect months are its baseline
    (plan,) = [p for p in services.plans(demo) if p.source == "theme_spike"]
    assert plan.theme == "product/export" and plan.owner_team is not None and plan.owner_team.kind == "product"
    assert (plan.baseline_from, plan.baseline_to) == (defect, timeline.months[DEFECT_MONTH].start)
    assert plan.after_from == timeline.months[FIX_MONTH].start and plan.status == "done"
    assert plan.cases.count() >= 10 and plan.tasks.filter(done=True).count() == 4
    # 3. after the fix: a significant recovery, reported as the plan's measured effect
    effect = services.plan_effect(plan)
    assert effect is not None and effect.verdict == "improved"
    c = effect.comparison
    assert c is not None and c.significant and c.p_value is not None and c.p_value < 0.001
    assert effect.before.value is not None and effect.after.value is not None
    assert effect.before.value > 2 * effect.after.value  # the export share of comments fell by more than half
    assert c.difference == pytest.approx(effect.after.value - effect.before.value)
    # 4. … and it is a success story (with recovered customers beside it)
    found = stories.success_stories(demo, today=TODAY)
    assert plan.pk in [s.plan.pk for s in found.plans]
    assert found.recovered_total > 0
    # 5. … and in the monthly report of the after window's last month: among the plans, with its effect, and
    # among the success stories
    assert plan.after_to is not None
    built = report.build(demo, plan.after_to, "en")
    (line,) = [x for x in built.plans if x.plan.pk == plan.pk]
    assert line.effect is not None and line.effect.verdict == "improved"
    assert built.stories is not None and plan.pk in [s.plan.pk for s in built.stories.plans]
    html = report.render_html(built)
    assert html.count("Fix the report export defect") == 2 and "Significant improvement" in html
    # the other plans: one waiting for the committee's decision, one in progress
    statuses = sorted(p.status for p in services.plans(demo))
    assert statuses == ["done", "in_progress", "proposed"]
    # the rotation: every head once before anyone twice, this month's director known
    schedule = services.schedule(demo)
    heads = [s.team_id for s in services.committee(demo).seats.all()]
    assert len(heads) == 7 and governance.fair([m.team_id for m in schedule], heads)
    assert services.director_of(demo, TODAY) is not None


def _api(key: str, path: str, **params: Any) -> Any:
    r = Client().get(f"{path}?{urlencode(params)}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200, r.content
    return r.json()


@pytest.mark.django_db
def test_the_scoreboard_is_computed_and_matches_the_metrics_apis(demo: Organization) -> None:
    assert not {"actual", "value", "result"} & {f.name for f in Kpi._meta.get_fields()}  # nothing stored
    key = create_api_key(org=demo, role="viewer", name="scoreboard check").plaintext
    board = _api(key, "/api/v1/kpis/scoreboard", to=TODAY.isoformat()[:7], months=12)
    assert len(board["months"]) == 12 and board["months"][-1] == "2025-06"
    rows = [k for t in board["teams"] for k in t["kpis"]]
    assert len(rows) == 8
    first, last = board["months"][0] + "-01", TODAY.isoformat()
    checked = 0
    statuses: set[str] = set()
    for row in rows:
        cells = {c["month"]: c for c in row["cells"]}
        statuses |= {c["status"] for c in row["cells"]}
        spec = row["measure"]
        if spec["kind"] == "survey":
            body = _api(key, "/api/v1/metrics", survey=spec["survey"], question=spec["question"],
                        metric=spec["metric"], interval="month", to=last, **{"from": first})
            for item in body["items"]:
                cell = cells[item["period"][:7]]["actual"]
                assert cell["n"] == item["n"]
                for a, b in (("value", "value"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
                    assert cell[a] == (None if item[b] is None else pytest.approx(item[b], abs=1e-5)), row["name"]
                checked += 1
        elif spec["kind"] == "ux_task_failure":
            body = _api(key, "/api/v1/metrics/ux", task=spec["task"], to=last, **{"from": first})
            (task,) = body["tasks"]
            for m in task["failure_rate_by_month"]:
                cell = cells[m["month"][:7]]["actual"]
                e = m["failure_rate"]
                assert cell["n"] == e["n"] and cell["value"] == pytest.approx(e["value"] * 100, abs=1e-3)
                assert cell["ci_low"] == pytest.approx(e["ci_low"] * 100, abs=1e-3)
                checked += 1
        else:  # renewal, theme share, loop: the measure read again month by month
            spec_months = [date.fromisoformat(m + "-01") for m in board["months"]]
            again = measures.monthly(demo, spec, spec_months)
            for m, e in again.items():
                assert cells[m.isoformat()[:7]]["actual"]["n"] == e.n
            checked += 1
        for cell in row["cells"]:
            est = cell["actual"]
            if est is None or est["value"] is None:
                continue
            want = governance.status(_estimate(est), row["target"], row["direction"])
            assert cell["status"] == want
    assert checked >= 40
    assert {"met", "missed"} <= statuses  # the demo's targets are neither all reached nor all missed
    assert any(board["winners"][m] for m in board["months"])


def _estimate(e: dict[str, Any]) -> Any:
    from cxloop.core import metrics

    return metrics.Estimate(e["value"], e["ci_low"], e["ci_high"], e["n"])


@pytest.mark.django_db
def test_the_demo_committee_sends_its_report_on_the_third(demo: Organization) -> None:
    from cxloop.govern import report
    from cxloop.govern.models import Committee

    c = Committee.objects.get(org=demo)
    assert c.report_day == 3 and c.report_sent_for == date(2025, 5, 1)  # May's went out on 3 June
    assert report.send_due(TODAY) == []  # not again
    assert report.send_due(date(2025, 7, 3)) == [(demo.pk, date(2025, 6, 1))]
