"""The demo's governance (issue 9), through the govern services and without random draws: the CX committee (the
head of CX in the chair, seven department heads taking turns as project director from a year before the story's
end), each department's CX improvement KPIs (defined as measures of the platform, actuals computed on every read),
and the export-defect story told as an action plan: created in one step from the export theme's spike in month 18,
owned by Product, with the defect months as its baseline and two months after the fix as its after window — whose
measured effect is the significant recovery — plus a proposed plan from the onboarding journey's opportunity, a
plan for the group of export cases, and the committee's monthly meetings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta

from cxloop.cases.models import Case
from cxloop.core import governance
from cxloop.demo.timeline import DEFECT_MONTH, FIX_MONTH, Timeline
from cxloop.govern import services
from cxloop.govern.models import ActionPlan, Committee, Meeting
from cxloop.journeys.models import Step
from cxloop.orgs.models import Organization, Team
from cxloop.surveys.models import Survey

# The rotation order: the departments whose heads take turns.
ROTATION = ("product", "support", "customer_success", "marketing", "sales", "finance", "hr")


def _survey(org: Organization, kind: str) -> int:
    return Survey.objects.filter(org=org, kind=kind).order_by("pk").values_list("pk", flat=True)[0]


def create_governance(org: Organization, teams: Mapping[str, Team], timeline: Timeline, *,
                      at: datetime) -> dict[str, ActionPlan]:
    """The committee, KPIs, plans and meetings; returns the plans by handle."""
    cx = teams["cx"]
    actor = cx.lead
    services.set_committee(org=org, chair=actor.pk if actor else None,
                           seats=[{"team": teams[k].pk} for k in ROTATION], report_day=3, actor=actor)
    # the report goes out on the 3rd; last month's went out already (the demo's worker does not send it again)
    Committee.objects.filter(org=org).update(
        report_sent_for=governance.add_months(services.first_of_month(timeline.last_day), -1))
    year_ago = timeline.months[-12].start
    services.generate_rotation(org=org, start=year_ago, months=18, actor=actor)
    first = timeline.months[-12].start  # the KPIs count from a year before the story's end
    kpis = [
        ("support", {"zh-hans": "工单满意度 CSAT", "zh-hant": "工單滿意度 CSAT", "en": "Support CSAT"},
         {"kind": "survey", "survey": _survey(org, "csat"), "question": "csat", "metric": "csat"}, 80.0),
        ("support", {"zh-hans": "SLA 达成率", "zh-hant": "SLA 達成率", "en": "SLA attainment"},
         {"kind": "loop", "measure": "sla", "team": teams["support"].pk}, 80.0),
        ("product", {"zh-hans": "报表导出失败率", "zh-hant": "報表匯出失敗率", "en": "Report export failure rate"},
         {"kind": "ux_task_failure", "task": "export_report"}, 8.0),
        ("product", {"zh-hans": "导出问题评论占比", "zh-hant": "匯出問題評論佔比", "en": "Export complaints share"},
         {"kind": "theme_share", "theme": "product/export"}, 5.0),
        ("marketing", {"zh-hans": "价格与计费抱怨占比", "zh-hant": "價格與計費抱怨佔比",
                       "en": "Price and billing complaints share"},
         {"kind": "theme_share", "theme": "price"}, 8.0),
        # (renewal decide too few accounts a month for a monthly KPI: ~20, below the 30 a rate needs)
        ("customer_success", {"zh-hans": "贬损者挽回率", "zh-hant": "貶損者挽回率", "en": "Detractor rescue rate"},
         {"kind": "loop", "measure": "rescue", "team": teams["customer_success"].pk}, 60.0),
        ("customer_success", {"zh-hans": "入门引导 CES 认同占比", "zh-hant": "入門引導 CES 認同佔比",
                              "en": "Onboarding CES agree share"},
         {"kind": "survey", "survey": _survey(org, "ces"), "question": "ces", "metric": "agree"}, 60.0),
        ("sales", {"zh-hans": "关系型 NPS", "zh-hant": "關係型 NPS", "en": "Relationship NPS"},
         {"kind": "survey", "survey": _survey(org, "nps"), "question": "nps", "metric": "nps"}, 20.0),
    ]
    for team_key, name, measure, target in kpis:
        services.save_kpi(org=org, team=teams[team_key].pk, name=name, measure=measure, target=target,
                          since=first, actor=actor)

    product = teams["product"]
    defect = timeline.months[DEFECT_MONTH - 1].start
    after_from = timeline.months[FIX_MONTH].start  # the two months after the fix month
    after_to = timeline.months[FIX_MONTH + 1].start
    export = services.plan_from_theme_spike(org=org, theme="product/export", month=defect, owner_team=product.pk,
                                            actor=actor)
    export_cases = list(Case.objects.filter(org=org, category="export", opened_at__date__gte=defect,
                                            opened_at__date__lt=timeline.months[FIX_MONTH - 1].start)
                        .order_by("number").values_list("number", flat=True)[:40])
    services.save_plan(org=org, p=export, actor=actor, data={
        "title": "导出功能故障修复 Fix the report export defect",
        "problem": "月 18 发布的报表导出改版导致大文件导出超时、中文乱码；导出相关的抱怨与支持工单激增。\n"
                   "The month-18 release of report export times out on large files and garbles Chinese text; "
                   "complaints about export and support contacts spiked.",
        "touchpoint": "report_export", "cases": export_cases, "owner": product.lead.pk if product.lead else None,
        "after_from": after_from, "after_to": after_to, "status": "done",
        "due": timeline.fix_date.isoformat(),
        "tasks": [{"title": "回滚导出渲染器 Roll back the export renderer", "done": True},
                  {"title": "大文件分片导出 Chunked export of large files", "done": True},
                  {"title": "导出失败告警 Alarm on export failures", "done": True},
                  {"title": "回访受影响客户 Call back the affected accounts", "done": True}],
        "story": "产品部在两周内回滚并重写了导出模块；修复后导出相关抱怨回落到缺陷前水平，"
                 "客户成功团队回访了受影响的客户。\n"
                 "Product rolled back and rewrote the export module within two weeks; after the fix, export "
                 "complaints fell back to their level before the defect, and Customer Success called back the "
                 "affected accounts.",
    })
    plans = {"export": export}

    onboarding = (Step.objects.filter(stage__journey__org=org, touchpoint__key="data_import")
                  .order_by("pk").first())
    if onboarding is not None:
        plans["onboarding"] = services.plan_from_step(org=org, step=onboarding.pk,
                                                      owner_team=teams["customer_success"].pk, actor=actor)
        services.save_plan(org=org, p=plans["onboarding"], actor=actor, data={
            "measure": {"kind": "survey", "survey": _survey(org, "ces"), "question": "ces", "metric": "agree"},
            "baseline_from": timeline.months[-4].start, "baseline_to": timeline.months[-2].start,
            "due": (timeline.today + timedelta(days=60)).isoformat()})

    support_cases = list(Case.objects.filter(org=org, team=teams["support"], root_cause__isnull=False)
                         .exclude(category="export").order_by("-number").values_list("number", flat=True)[:12])
    if support_cases:
        plans["support"] = services.plan_from_cases(org=org, cases=support_cases, owner_team=teams["support"].pk,
                                                    actor=actor)
        services.save_plan(org=org, p=plans["support"], actor=actor, data={
            "status": "in_progress", "measure": {"kind": "loop", "measure": "sla", "team": teams["support"].pk},
            "due": (timeline.today + timedelta(days=30)).isoformat()})
    # the plans' dates: when the platform found what they are about
    ActionPlan.objects.filter(pk=export.pk).update(created_at=datetime.combine(defect + timedelta(days=12),
                                                                              time(10, 0), tzinfo=at.tzinfo))

    for back in (3, 2, 1):
        month = timeline.months[-back - 1].start
        meeting = services.save_meeting(
            org=org, held_on=month + timedelta(days=27), actor=actor,
            title=f"{month:%Y-%m} 客户体验委员会月会 CX committee",
            agenda="1. KPI 计分板 Scoreboard\n2. 行动计划进展 Action plans\n3. 成功案例 Success stories",
            decisions=[{"text": "继续跟踪导出修复效果 Keep following the export fix", "plan": export.pk}],
            plans=[export.pk])
        Meeting.objects.filter(pk=meeting.pk).update(created_at=at)
    return plans
