"""The Governance pages: committee (rotation, needs-a-decision, edit a month), KPI scoreboard, action plans (list,
create, one plan with its measured effect, status) and success stories — in English and Chinese, roles checked,
respondent-written text escaped. The browser test (test_browser_govern.py) looks at them on a desktop and a phone."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from tests.test_govern import _export_events
from tests.test_ux import store

pytestmark = pytest.mark.django_db


def governed(t: Any) -> dict[str, Any]:
    """A committee of four departments with a year's rotation, an export-failure KPI for Product, a measured plan
    that worked, a proposed one with a hostile title, a meeting and a recovered customer."""
    from cxloop.cases.models import Case
    from cxloop.govern import services
    from cxloop.orgs import services as orgs
    from cxloop.orgs.models import Role, User

    teams = [t.team]
    for i, name in enumerate(["Product 产品部", "Marketing", "Sales"]):
        head = User.objects.create_user(email=f"gh{i}@example.com", password="x" * 12, display_name=f"主管 {i}")
        orgs.add_member(org=t.org, user=head, role=Role.MEMBER)
        teams.append(orgs.save_team(org=t.org, name=name, kind="custom", lead=head))
    services.set_committee(org=t.org, chair=t.owner.pk, seats=[{"team": x.pk} for x in teams])
    today = date.today()
    services.generate_rotation(org=t.org, start=date(today.year, today.month, 1), months=6)
    store(t.org, _export_events({date(2026, 3, 1): (40, 120), date(2026, 4, 1): (35, 110),
                                 date(2026, 6, 1): (4, 130), date(2026, 7, 1): (3, 125)}))
    measure = {"kind": "ux_task_failure", "task": "export_report"}
    services.save_kpi(org=t.org, team=teams[1].pk, name={"en": "Export failure rate", "zh-hans": "导出失败率"},
                      measure=measure, target=10, since="2026-01")
    worked = services.save_plan(org=t.org, data={
        "title": "Fix report export", "problem": "Exports time out", "measure": measure, "owner_team": teams[1].pk,
        "baseline_from": "2026-03", "baseline_to": "2026-04", "after_from": "2026-06", "after_to": "2026-07",
        "status": "done", "tasks": ["Roll back the renderer"], "story": "Rolled back within a week."})
    proposed = services.save_plan(org=t.org, data={"title": "<script>alert('plan')</script> onboarding"})
    services.save_meeting(org=t.org, held_on="2026-07-30", title="July committee", agenda="1. Export fix",
                          decisions=[{"text": "Close AP-1", "plan": worked.pk}])
    from django.utils import timezone

    Case.objects.create(org=t.org, number=5, title="Won back after the export fix", team=teams[1], recovered=True,
                        status="resolved", resolved_at=timezone.now(), resolution_note="Called the customer.")
    return {"teams": teams, "worked": worked, "proposed": proposed}


def _get(client: Client, url: str, lang: str = "en") -> Any:
    client.cookies["django_language"] = lang
    return client.get(url)


def test_pages_show_the_committee_scoreboard_plans_and_stories(tenant_a: Any) -> None:
    data = governed(tenant_a)
    slug = tenant_a.org.slug
    client = Client()
    client.force_login(tenant_a.viewer)
    page = _get(client, f"/o/{slug}/governance/").content.decode()
    assert "Project director rotation" in page and "Product 产品部" in page and "Needs a decision" in page
    assert "&lt;script&gt;alert(&#x27;plan&#x27;)&lt;/script&gt;" in page and "<script>alert('plan')" not in page
    zh = _get(client, f"/o/{slug}/governance/", "zh-hans").content.decode()
    assert "项目总监轮值" in zh and "行动计划" in zh
    board = _get(client, f"/o/{slug}/governance/kpis/?to=2026-07").content.decode()
    assert "Export failure rate" in board and "gv-met" in board and "gv-missed" in board and "★ Product 产品部" in board
    assert "导出失败率" in _get(client, f"/o/{slug}/governance/kpis/?to=2026-07", "zh-hans").content.decode()
    plans = _get(client, f"/o/{slug}/governance/plans/").content.decode()
    assert "AP-1 Fix report export" in plans and "Significant improvement" in plans
    one = _get(client, f"/o/{slug}/governance/plans/{data['worked'].pk}/").content.decode()
    assert "Measured effect" in one and "Roll back the renderer" in one and "p &lt; 0.001" in one
    assert "Rolled back within a week." in one  # the story
    # its links by their labels, and the meetings that discussed it
    from cxloop.govern import services
    from cxloop.govern.models import Meeting

    services.save_plan(org=tenant_a.org, data={"theme": "product/export"}, p=data["worked"])
    m = Meeting.objects.get(committee__org=tenant_a.org)
    services.save_meeting(org=tenant_a.org, held_on=m.held_on, title=m.title, plans=[data["worked"].pk], meeting=m)
    one = _get(client, f"/o/{slug}/governance/plans/{data['worked'].pk}/").content.decode()
    assert f'<a href="/o/{slug}/themes/product/export/">Export</a>' in one
    assert f'<a href="/o/{slug}/governance/meetings/{m.pk}/">2026-07-30 · July committee</a>' in one
    zh = _get(client, f"/o/{slug}/governance/plans/{data['worked'].pk}/", "zh-hans").content.decode()
    assert ">导出</a>" in zh and "讨论过的会议" in zh
    assert _get(client, f"/o/{slug}/governance/plans/999/").status_code == 404
    stories = _get(client, f"/o/{slug}/governance/stories/").content.decode()
    assert "Fix report export" in stories and "Won back after the export fix" in stories
    assert "1 customer won back in the last year" in stories
    assert "<script>alert('plan')" not in stories


def test_roles_and_forms(tenant_a: Any) -> None:
    from cxloop.govern.models import ActionPlan, DirectorMonth
    from cxloop.orgs.models import AuditEvent

    data = governed(tenant_a)
    slug = tenant_a.org.slug
    viewer, member, owner = Client(), Client(), Client()
    viewer.force_login(tenant_a.viewer)
    member.force_login(tenant_a.member)
    owner.force_login(tenant_a.owner)
    assert viewer.post(f"/o/{slug}/governance/", {"action": "rotation", "start": "2026-01", "months": 3}) \
        .status_code == 403
    assert member.post(f"/o/{slug}/governance/", {"action": "rotation", "start": "2026-01", "months": 3}) \
        .status_code == 403  # the rotation needs an admin
    first = DirectorMonth.objects.filter(committee__org=tenant_a.org).first()
    assert first is not None
    r = owner.post(f"/o/{slug}/governance/", {"action": "month", "rotation": first.pk,
                                                "team": data["teams"][3].pk})
    assert r.status_code == 302
    first.refresh_from_db()
    assert first.team_id == data["teams"][3].pk and first.edited
    assert AuditEvent.objects.filter(org=tenant_a.org, action="committee.director_changed",
                                     actor=tenant_a.owner).exists()
    # a member writes a plan from the page; an empty title is a form error in the user's language
    bad = member.post(f"/o/{slug}/governance/plans/", {"title": "", "problem": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 200 and "这个字段是必填项" in bad.content.decode()
    r = member.post(f"/o/{slug}/governance/plans/", {"title": "Shorter onboarding", "problem": "Too many steps",
                                                     "owner_team": data["teams"][2].pk})
    plan = ActionPlan.objects.get(org=tenant_a.org, title="Shorter onboarding")
    assert r.status_code == 302 and r["Location"].endswith(f"/governance/plans/{plan.pk}/")
    assert plan.owner_team_id == data["teams"][2].pk and plan.created_by == tenant_a.member
    r = member.post(f"/o/{slug}/governance/plans/{plan.pk}/", {"status": "approved"})
    plan.refresh_from_db()
    assert r.status_code == 302 and plan.status == "approved"
    assert viewer.post(f"/o/{slug}/governance/plans/{plan.pk}/", {"status": "done"}).status_code == 403
