"""The closed loop of the CloudLaunch demo: root causes, team channels, the alert rules a CX office would
write, and two years of cases those rules opened on the historic responses, in every state.

The rules (saved through ``cases.services.save_rule``, so they are valid) are evaluated with ``core.rules`` on
each low-scoring historic response (``cases.intake.see``: the same facts as live capture). Each match becomes a
case whose life is simulated: first contact after a few business hours (longer for Customer Success, and much
longer in months 18–20 when the export defect floods Product), work, sometimes a wait for the customer, then
resolution with a root cause, a note and whether the customer was recovered; a week later it is closed. The
month-18 story shows: export complaints open Product cases with root cause "release regression", many breach
their SLA and are escalated until the fix ships in month 20, and fewer of those customers are recovered.
Cases of the last days are still open (new, assigned, contacted, in progress, on hold), a few were reopened.

Historic cases are written in bulk (no events or deliveries: those are for what happens from now on). The
channels point at example hosts and are paused (inactive) so a demo install sends nothing outside.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from cxloop.cases import intake
from cxloop.cases import services as cases
from cxloop.cases.models import AlertRule, Case, CaseCounter, CaseEvent, CaseEventKind, CaseStatus, RootCause
from cxloop.core import case_flow, sla, webhook_sign
from cxloop.core import rules as rules_core
from cxloop.demo.timeline import Timeline
from cxloop.notify.models import Endpoint, EndpointFormat
from cxloop.orgs.models import Membership, Organization, Team
from cxloop.surveys.models import Answer, Response, ResponseStatus, Survey

MAX_CASES = 3_000  # historic cases kept (every one in the defect months and the last 60 days; a sample before)
EXPORT_WORDS = ("导出", "匯出", "export")
ROOT_CAUSES = (
    ("product_defect", "产品缺陷 Product defect"), ("release_regression", "版本回归缺陷 Release regression"),
    ("documentation", "文档不足 Documentation gap"), ("process", "流程/政策 Process or policy"),
    ("staff", "服务人员 Staff skill or attitude"), ("billing", "账单错误 Billing error"),
    ("expectation", "预期不符 Expectation mismatch"), ("third_party", "第三方 Third party"),
    ("no_fault", "未发现问题 No fault found"),
)
COMMENTS = (
    "已电话联系客户，确认问题可以复现。", "客户希望本周内给出答复。", "已转给研发排查，附上了日志。",
    "客户同意下周回访。", "Called the customer; they shared a screen recording.", "补丁已发布，等待客户确认。",
)
NOTES = {
    "release_regression": "18 月版本的导出回归缺陷；热修复已发布，已协助客户重新导出报表。",
    "product_defect": "确认为产品缺陷，已修复并通知客户。",
    "documentation": "补充了帮助文档并发给客户操作步骤。",
    "process": "调整了工单分派流程，客户问题已处理。",
    "staff": "与客服人员复盘并培训，已向客户致歉。",
    "billing": "更正账单并开具新发票。",
    "expectation": "与客户对齐了功能范围和路线图。",
    "third_party": "第三方服务故障，已恢复并说明原因。",
    "no_fault": "复查未发现问题，客户确认使用正常。",
}


def _contains_export() -> dict[str, Any]:
    return {"any": [{"field": "comment", "op": "contains", "value": w} for w in EXPORT_WORDS]}


def rule_definitions(teams: dict[str, Team]) -> list[tuple[str, dict[str, Any]]]:
    product, support, success = teams["product"].name, teams["support"].name, teams["customer_success"].name
    return [
        ("导出问题 → 产品部 Export complaints to Product", {
            "when": {"all": [{"any": [{"field": "score_type.nps", "op": "<=", "value": 6},
                                      {"field": "score_type.csat", "op": "<=", "value": 2}]}, _contains_export()]},
            "then": {"open_case": {"team": product, "assign": "round_robin", "priority": "high", "category": "export",
                                   "sla": {"first_contact_hours": 8, "resolve_hours": 40, "clock": "business"}},
                     "notify": [{"channel": "产品部飞书群"}]}}),
        ("支持满意度低 → 客户支持部 Low support CSAT to Support", {
            "when": {"all": [{"field": "score_type.csat", "op": "<=", "value": 2}, {"not": _contains_export()}]},
            "then": {"open_case": {"team": support, "assign": "round_robin", "priority": "normal",
                                   "category": "support",
                                   "sla": {"first_contact_hours": 4, "resolve_hours": 24, "clock": "business"}},
                     "notify": [{"channel": "客户支持部钉钉群"}]}}),
        ("贬损者 → 客户成功部 Detractors to Customer Success", {
            "when": {"all": [{"field": "score_type.nps", "op": "<=", "value": 6}, {"not": _contains_export()}]},
            "then": {"open_case": {"team": success, "assign": "round_robin", "priority": "normal",
                                   "category": "relationship",
                                   "sla": {"first_contact_hours": 16, "resolve_hours": 80, "clock": "business"}},
                     "notify": [{"channel": "客户成功部企业微信群"}]}}),
        ("续约前的企业客户贬损者 Enterprise detractors near renewal", {
            "when": {"all": [{"field": "score_type.nps", "op": "<=", "value": 6},
                             {"field": "account.tier", "op": "=", "value": "enterprise"},
                             {"field": "account.renewal_days", "op": "between", "value": [0, 90]}]},
            "then": {"notify": [{"channel": "客户成功部企业微信群"}, {"channel": "CX 邮件组"}]}}),
        ("推荐者致谢 Thank promoters", {
            "promoter": True,
            "when": {"field": "score_type.nps", "op": ">=", "value": 9},
            "then": {"thank_you": {"template": "review_request", "cap_days": 90}}}),
    ]


def create_channels(org: Organization, teams: dict[str, Team]) -> list[Endpoint]:
    """Team chats and a webhook, paused (the URLs are examples); a live install points them at real bots."""
    specs = [
        ("产品部飞书群", EndpointFormat.FEISHU, "https://open.feishu.cn/open-apis/bot/v2/hook/demo-product", "product"),
        ("客户支持部钉钉群", EndpointFormat.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=demo-support",
         "support"),
        ("客户成功部企业微信群", EndpointFormat.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo-cs",
         "customer_success"),
        ("CX 邮件组", EndpointFormat.EMAIL, "", "cx"),
        ("数据仓库 Webhook", EndpointFormat.CXLOOP, "https://hooks.cloudlaunch.example/cxloop", None),
    ]
    out = []
    for name, fmt, url, team in specs:
        out.append(Endpoint.objects.create(
            org=org, name=name, format=fmt, url=url, email="cx-team@cloudlaunch.example" if not url else "",
            team=teams[team] if team else None, events=["*"] if fmt == EndpointFormat.CXLOOP else [],
            secret=webhook_sign.new_secret(), active=False))
    return out


@dataclass
class _Life:
    """One case's simulated life: the status steps with their times."""

    steps: list[tuple[str, datetime]]
    first_contact: datetime | None
    root_cause: str | None
    recovered: bool | None
    comments: list[datetime]
    escalated: datetime | None


def _life(rng: random.Random, team_kind: str, opened: datetime, now: datetime, due_first: datetime,
          due_resolve: datetime, *, defect: bool, timeline: Timeline) -> _Life:
    hours = {"support": 2.5, "customer_success": 10.0, "product": 6.0}.get(team_kind, 6.0)
    if defect:
        hours *= 3.0  # the flood of month 18
    first = opened + timedelta(hours=rng.expovariate(1 / hours) + 0.2)
    steps: list[tuple[str, datetime]] = [(case_flow.ASSIGNED, opened + timedelta(minutes=rng.randint(0, 20)))]
    work = {"support": 14.0, "customer_success": 40.0, "product": 30.0}.get(team_kind, 30.0)
    resolved = first + timedelta(hours=rng.expovariate(1 / work) + 1)
    if defect:  # export cases wait for the fix
        fix = datetime.combine(timeline.fix_date, datetime.min.time(), tzinfo=opened.tzinfo)
        resolved = max(resolved, fix + timedelta(hours=rng.uniform(4, 96)))
    comments = [opened + (resolved - opened) * rng.random() for _ in range(rng.choice((0, 0, 1, 1, 2)))]
    steps.append((case_flow.CONTACTED, first))
    steps.append((case_flow.IN_PROGRESS, first + timedelta(minutes=rng.randint(5, 240))))
    if rng.random() < 0.18:
        hold = steps[-1][1] + (resolved - steps[-1][1]) * 0.4
        steps += [(case_flow.ON_HOLD, hold), (case_flow.IN_PROGRESS, hold + (resolved - hold) * 0.5)]
    steps.append((case_flow.RESOLVED, resolved))
    closed = resolved + timedelta(days=7)
    steps.append((case_flow.CLOSED, closed))
    reopened = rng.random() < 0.03
    if reopened:
        again = resolved + timedelta(days=rng.uniform(1, 5))
        steps = [s for s in steps if s[0] != case_flow.CLOSED]
        steps += [(case_flow.IN_PROGRESS, again), (case_flow.RESOLVED, again + timedelta(hours=rng.uniform(4, 48))),
                  (case_flow.CLOSED, again + timedelta(days=8))]
    steps = [s for s in steps if s[1] <= now]  # the present cuts the story short
    age_days = (now - opened).total_seconds() / 86400
    if age_days < 21 and rng.random() < 1 - age_days / 24:  # a recent case is often still being worked on
        open_steps = [s for s in steps if s[0] not in (case_flow.RESOLVED, case_flow.CLOSED)]
        steps = open_steps[:rng.randint(0, len(open_steps))] if open_steps else []
        if steps and steps[-1][0] == case_flow.IN_PROGRESS and rng.random() < 0.5:  # waiting for the customer
            steps.append((case_flow.ON_HOLD, steps[-1][1] + (now - steps[-1][1]) * rng.random()))
    causes = {"product": (("product_defect", 5), ("documentation", 2), ("expectation", 2), ("no_fault", 1)),
              "support": (("staff", 3), ("process", 3), ("documentation", 3), ("product_defect", 2),
                          ("no_fault", 1)),
              "customer_success": (("expectation", 4), ("product_defect", 3), ("process", 2), ("billing", 2),
                                   ("third_party", 1))}.get(team_kind, (("no_fault", 1),))
    cause = "release_regression" if defect else rng.choices([c for c, _ in causes], [w for _, w in causes])[0]
    recovered_p = 0.35 if defect else 0.62
    recovered = None if rng.random() < 0.1 else rng.random() < recovered_p
    breached = [t for t in (due_first if first > due_first else None,
                            due_resolve if resolved > due_resolve else None) if t is not None and t <= now]
    return _Life(steps, first if first <= now else None, cause, recovered, [c for c in comments if c <= now],
                 min(breached) if breached else None)


def create_loop(org: Organization, rng: random.Random, teams: dict[str, Team], timeline: Timeline,
                *, now: datetime) -> tuple[int, int]:
    """Root causes, channels, rules and the historic cases; returns (rules, cases)."""
    RootCause.objects.bulk_create([RootCause(org=org, code=c, label=label) for c, label in ROOT_CAUSES])
    create_channels(org, teams)
    saved = [cases.save_rule(org=org, name=name, definition=definition, actor=teams["cx"].lead)
             for name, definition in rule_definitions(teams)]
    parsed = [(rule, rules_core.parse(rule.definition)) for rule in saved]
    matches = _matches(org, parsed, timeline)
    kept = _sample(rng, matches, timeline)
    created = _write_cases(org, rng, kept, teams, timeline, now)
    for rule in saved:
        mine = [m for m in matches if m[0].pk == rule.pk]
        if mine:
            AlertRule.objects.filter(pk=rule.pk).update(
                fired=len(mine), last_fired_at=max(m[1].response.submitted_at for m in mine))
    return len(saved), created


def _matches(org: Organization, parsed: Sequence[tuple[AlertRule, rules_core.Rule]], timeline: Timeline
             ) -> list[tuple[AlertRule, Any, rules_core.Rule]]:
    """(rule, seen response, parsed rule) for every case-opening rule that matches a low-scoring response."""
    # Ids first, then the rows in chunks: a subquery here got a nested-loop plan on a freshly loaded
    # PostgreSQL (no statistics yet) that ran for minutes.
    survey_ids = list(Survey.objects.filter(org=org).values_list("pk", flat=True))
    low = sorted(set(Answer.objects.filter(response__survey_id__in=survey_ids).filter(
        Q(question_key="nps", number__lte=6) | Q(question_key="csat", number__lte=2))
        .values_list("response_id", flat=True)))
    responses: list[Response] = []
    for start in range(0, len(low), 5000):
        responses += Response.objects.filter(pk__in=low[start:start + 5000], status=ResponseStatus.COMPLETE) \
            .select_related("org", "survey", "survey__owner_team", "version", "contact", "account")
    responses.sort(key=lambda r: (r.submitted_at, r.pk))
    answers: dict[int, list[Answer]] = {}
    ids = [r.pk for r in responses]
    for start in range(0, len(ids), 5000):
        for a in Answer.objects.filter(response_id__in=ids[start:start + 5000]).order_by("pk"):
            answers.setdefault(a.response_id, []).append(a)
    out = []
    for response in responses:
        seen = intake.see(response, answers.get(response.pk, []), response.submitted_at.date())
        for rule, rule_parsed in parsed:
            if rule_parsed.then.open_case is not None and rules_core.evaluate(rule_parsed.when, seen.facts):
                out.append((rule, seen, rule_parsed))
    return out


def _sample(rng: random.Random, matches: list[Any], timeline: Timeline) -> list[Any]:
    if len(matches) <= MAX_CASES:
        return matches
    recent = timeline.last_day - timedelta(days=60)
    story_start, story_end = timeline.months[16].start, timeline.months[20].end

    def keep_always(m: Any) -> bool:
        day = m[1].response.submitted_at.date()
        return day >= recent or story_start <= day <= story_end

    always = [m for m in matches if keep_always(m)]
    others = [m for m in matches if not keep_always(m)]
    room = max(0, MAX_CASES - len(always))
    picked = sorted(rng.sample(range(len(others)), min(room, len(others))))
    return sorted(always + [others[i] for i in picked], key=lambda m: (m[1].response.submitted_at, m[1].response.pk))


def _members(teams: dict[str, Team]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for m in Membership.objects.filter(team__in=list(teams.values())).order_by("user_id"):
        if m.team_id is not None:
            out.setdefault(m.team_id, []).append(m.user_id)
    return out


def _write_cases(org: Organization, rng: random.Random, kept: list[Any], teams: dict[str, Team],
                 timeline: Timeline, now: datetime) -> int:
    members = _members(teams)
    by_name = {t.name: t for t in teams.values()}
    causes = {c.code: c for c in RootCause.objects.filter(org=org)}
    last: dict[int, int | None] = {}
    drafts: list[tuple[Case, _Life]] = []
    hours = cases.business_hours()
    for number, (rule, seen, parsed) in enumerate(kept, start=1):
        action = parsed.then.open_case
        team = by_name.get(str(action.team)) or seen.response.survey.owner_team
        assignee = None
        if team is not None and members.get(team.pk):
            assignee = rules_core.next_assignee(members[team.pk], last.get(team.pk))
            last[team.pk] = assignee
        r = seen.response
        opened = r.submitted_at + timedelta(seconds=rng.randint(1, 5))
        target = action.sla or cases.DEFAULT_SLA
        clock = sla.clock_for(target.clock, hours)
        due_first = sla.due_at(opened, target.first_contact_hours, clock)
        due_resolve = sla.due_at(opened, target.resolve_hours, clock)
        defect = action.category == "export" and timeline.defect_date <= opened.date() < timeline.fix_date
        life = _life(rng, team.kind if team else "", opened, now, due_first, due_resolve, defect=defect,
                     timeline=timeline)
        status = life.steps[-1][0] if life.steps else CaseStatus.NEW
        if not life.steps:
            assignee = None
        if rng.random() < 0.04 and status == CaseStatus.ASSIGNED and opened > now - timedelta(days=2):
            status, assignee = CaseStatus.NEW, None  # a few not yet picked up
        resolved_at = next((t for s, t in reversed(life.steps) if s == CaseStatus.RESOLVED), None) \
            if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) else None
        priority = action.priority
        if life.escalated is not None:
            priority = case_flow.priority_raised(priority)
        label, score, _sev = intake.headline(seen)
        title = f"{r.survey.name}: {label} {score}"
        if seen.facts.comment:
            title = f"{title} — {seen.facts.comment[:80]}"
        case = Case(org=org, number=number, title=title[:200], response=r, survey=r.survey, contact=r.contact,
                    account=r.account, rule=rule, team=team, assignee_id=assignee, status=status, priority=priority,
                    category=action.category or "", sla_clock=target.clock, first_contact_due=due_first,
                    resolve_due=due_resolve, first_contact_at=life.first_contact, resolved_at=resolved_at,
                    closed_at=life.steps[-1][1] if status == CaseStatus.CLOSED else None,
                    escalated_at=life.escalated,
                    root_cause=causes.get(life.root_cause or "") if resolved_at else None,
                    resolution_note=NOTES.get(life.root_cause or "", "") if resolved_at else "",
                    recovered=life.recovered if resolved_at else None, opened_at=opened,
                    updated_at=life.steps[-1][1] if life.steps else opened)
        drafts.append((case, life))
    Case.objects.bulk_create([c for c, _ in drafts], batch_size=500)
    CaseCounter.objects.update_or_create(org=org, defaults={"last": len(drafts)})
    numbers = dict(Case.objects.filter(org=org).values_list("number", "pk"))
    events: list[CaseEvent] = []
    for case, life in drafts:
        pk = numbers[case.number]
        events.append(CaseEvent(case_id=pk, kind=CaseEventKind.OPENED, to_status=CaseStatus.NEW, at=case.opened_at,
                                data={"rule": case.rule.name if case.rule else None}))
        before: str = CaseStatus.NEW
        for status, at in life.steps:
            if case.status == CaseStatus.NEW:
                break
            kind = CaseEventKind.ASSIGNED if status == CaseStatus.ASSIGNED else CaseEventKind.STATUS
            data: dict[str, Any] = {}
            body = ""
            if status == CaseStatus.RESOLVED:
                data = {"root_cause": life.root_cause, "recovered": life.recovered}
                body = case.resolution_note
            events.append(CaseEvent(case_id=pk, kind=kind, actor_id=case.assignee_id, from_status=before,
                                    to_status=status, at=at, body=body, data=data))
            before = status
        for at in life.comments:
            events.append(CaseEvent(case_id=pk, kind=CaseEventKind.COMMENT, actor_id=case.assignee_id, at=at,
                                    body=rng.choice(COMMENTS)))
        if life.escalated is not None:
            events.append(CaseEvent(case_id=pk, kind=CaseEventKind.ESCALATED, at=life.escalated,
                                    data={"breached": "sla", "priority": [None, case.priority]}))
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    return len(drafts)
