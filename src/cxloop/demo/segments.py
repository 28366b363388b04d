"""Demo segments and personas for 云启科技 CloudLaunch: six segments over the generated accounts, contacts and
responses (East China enterprise accounts over ¥1M ARR, accounts using the reporting module, new customers who
have not answered the onboarding survey, promoters, small businesses, decision makers with an open case) and four
personas of the shared library, every text in Simplified Chinese and English (Traditional Chinese readers see the
Simplified text), each linked to a segment, with a few comments from the staff.

``create_segments_and_personas(org, rng)`` runs after the responses, the text analysis and the loop (its
behaviour segments read responses and cases, and saves are validated and audited like the pages' saves). The
generator draws nothing else from ``rng``: who comments and when is its own part."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from cxloop.orgs.models import Membership, Organization, User
from cxloop.segments import services
from cxloop.segments.models import Persona, PersonaComment, Segment

SEGMENTS: tuple[tuple[str, dict[str, str], dict[str, Any]], ...] = (
    ("east_enterprise", {"zh-hans": "华东企业客户（ARR 超百万）", "en": "East China enterprise, ARR over ¥1M"},
     {"all": [
        {"field": "account.tier", "op": "=", "value": "enterprise"},
        {"field": "account.region", "op": "=", "value": "华东"},
        {"field": "account.arr", "op": ">", "value": 1000000},
     ]}),
    ("reporting", {"zh-hans": "使用报表模块的客户", "en": "Customers using the reporting module"},
     {"field": "account.attributes.modules", "op": "contains", "value": "reporting"}),
    ("new_not_onboarded", {"zh-hans": "新客户：未完成入门调研", "en": "New customers who never answered onboarding"},
     {"all": [
         {"field": "account.customer_since", "op": ">=", "value": "{recent}"},
         {"field": "behaviour.responses", "op": "=", "value": 0, "kind": "ces"},
     ]}),
    ("promoters", {"zh-hans": "推荐者（近一年）", "en": "Promoters (last 12 months)"},
     {"field": "behaviour.nps_category", "op": "=", "value": "promoter", "days": 365}),
    ("smb", {"zh-hans": "中小企业", "en": "Small businesses"},
     {"field": "account.tier", "op": "=", "value": "smb"}),
    ("dm_open_case", {"zh-hans": "有未结工单的决策者", "en": "Decision makers with an open case"}, {"all": [
        {"field": "contact.stakeholder_role", "op": "in", "value": ["decision_maker", "economic_buyer"]},
        {"field": "behaviour.open_cases", "op": ">=", "value": 1},
    ]}),
)

PERSONAS: tuple[dict[str, Any], ...] = (
    {
        "segment": "east_enterprise", "colour": services.PALETTE[0],
        "name": {"zh-hans": "企业IT负责人", "en": "Enterprise IT lead"},
        "role": {"zh-hans": "集团信息化部门负责人", "en": "Head of group IT"},
        "description": {
            "zh-hans": "在华东一家年收入数十亿的制造集团负责信息化。决定续约与扩容，关心系统稳定、数据安全与合规，"
                       "每季度要向管理层汇报各业务线的客户体验指标。",
            "en": "Runs IT at a multi-billion manufacturing group in East China. Decides on renewal and expansion, "
                  "cares about stability, data security and compliance, and reports the business lines' CX "
                  "numbers to management every quarter."},
        "goals": {"zh-hans": ["全年无重大故障，关键报表按时产出", "数据留在境内，通过等保三级审查",
                              "一个平台覆盖全集团，减少系统数量"],
                  "en": ["No major outage all year; key reports on time", "Data stays onshore and passes the "
                         "MLPS level-3 audit", "One platform for the whole group, fewer systems"]},
        "pains": {"zh-hans": ["月底导出报表失败或超时，财务催得紧", "权限和组织架构同步要手工维护",
                              "供应商响应慢，问题要层层升级"],
                  "en": ["Month-end report exports fail or time out while finance waits",
                         "Permissions and the org chart are synced by hand",
                         "Slow vendor support; issues need escalating"]},
        "jobs_to_be_done": {"zh-hans": ["每月把各事业部的客户反馈汇总成一页给管理层", "在续约前评估平台的投入产出"],
                            "en": ["Summarise every division's customer feedback on one page for management each "
                                   "month", "Judge the platform's return before renewal"]},
        "quotes": {"zh-hans": ["“导出一失败，我就得通宵加班。”", "“稳定比新功能重要。”"],
                   "en": ["“When the export fails, I work all night.”", "“Stability matters more than new "
                          "features.”"]},
    },
    {
        "segment": "reporting", "colour": services.PALETTE[1],
        "name": {"zh-hans": "运营分析师", "en": "Operations analyst"},
        "role": {"zh-hans": "运营部数据分析师", "en": "Data analyst in operations"},
        "description": {
            "zh-hans": "每天使用云启报表搭建看板、导出明细给业务部门，是报表模块最重度的用户，也最先发现数据问题。",
            "en": "Builds dashboards in CloudLaunch Reports every day and exports detail for the business teams: "
                  "the heaviest user of the reporting module and the first to notice data problems."},
        "goals": {"zh-hans": ["十分钟内拿到准确的数据", "报表模板可以复用，少做重复劳动"],
                  "en": ["Accurate numbers within ten minutes", "Reusable report templates, less repetitive work"]},
        "pains": {"zh-hans": ["大数据量导出经常超时、中文乱码", "看板加载慢，开会时卡住"],
                  "en": ["Large exports time out or garble Chinese text", "Dashboards load slowly, stalling "
                         "meetings"]},
        "jobs_to_be_done": {"zh-hans": ["每周一早上把周报发给运营总监", "回答业务同事的临时取数需求"],
                            "en": ["Send the weekly report to the head of operations every Monday morning",
                                   "Answer colleagues' ad-hoc data requests"]},
        "quotes": {"zh-hans": ["“导出的 Excel 打开全是乱码，只能重新导。”"],
                   "en": ["“The exported Excel file was all garbled, so I had to export it again.”"]},
    },
    {
        "segment": "smb", "colour": services.PALETTE[3],
        "name": {"zh-hans": "中小企业老板", "en": "Small business owner"},
        "role": {"zh-hans": "创始人兼总经理", "en": "Founder and managing director"},
        "description": {
            "zh-hans": "经营一家几十人的贸易公司，自己拍板采购，也自己上手配置。预算有限，希望开箱即用、按月付费。",
            "en": "Runs a trading company of a few dozen people, signs the purchase and sets things up personally. "
                  "Tight budget; wants it to work out of the box and to pay monthly."},
        "goals": {"zh-hans": ["一天内上手", "成本可控，不为用不上的功能付费"],
                  "en": ["Up and running in a day", "Predictable cost, no paying for unused features"]},
        "pains": {"zh-hans": ["价格方案看不懂", "出了问题找不到人"],
                  "en": ["Pricing plans are hard to understand", "Nobody to call when something breaks"]},
        "jobs_to_be_done": {"zh-hans": ["用手机审批报销和合同"], "en": ["Approve expenses and contracts on the "
                                                                     "phone"]},
        "quotes": {"zh-hans": ["“能不能便宜点，我们就十几个人用。”"],
                   "en": ["“Could it be cheaper? Only a dozen of us use it.”"]},
    },
    {
        "segment": "new_not_onboarded", "colour": services.PALETTE[4],
        "name": {"zh-hans": "实施项目负责人", "en": "Onboarding project lead"},
        "role": {"zh-hans": "新客户的上线负责人", "en": "Runs the roll-out at a new customer"},
        "description": {
            "zh-hans": "刚签约客户的项目经理，要在三个月内让全员用起来。入门阶段的体验决定了他是否会成为推荐者。",
            "en": "Project manager at a newly signed customer who must get everyone using the product within three "
                  "months. The onboarding experience decides whether they become a promoter."},
        "goals": {"zh-hans": ["按计划上线，三个月内活跃率过八成", "培训材料现成可用"],
                  "en": ["Go live on schedule with over 80 % active users within three months",
                         "Training material ready to use"]},
        "pains": {"zh-hans": ["数据迁移步骤多、容易出错", "实施顾问排期紧"],
                  "en": ["Data migration has many error-prone steps", "Implementation consultants are booked up"]},
        "jobs_to_be_done": {"zh-hans": ["把旧系统的数据迁过来", "给各部门做培训"],
                            "en": ["Move the data over from the old system", "Train every department"]},
        "quotes": {"zh-hans": ["“上线那周我几乎每天都在打客服电话。”"],
                   "en": ["“In the go-live week I called support nearly every day.”"]},
    },
)

COMMENTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("east_enterprise", {"zh-hans": "Q3 访谈了 5 位集团 IT 负责人，痛点里“报表导出”排第一，已同步给产品。",
                         "en": "Interviewed 5 group IT leads in Q3; report export is their top pain, shared with "
                               "product."}),
    ("east_enterprise", {"zh-hans": "续约前的 QBR 可以直接用这个画像的实时 NPS。",
                         "en": "We can use this persona's live NPS in the QBRs before renewal."}),
    ("reporting", {"zh-hans": "导出修复上线后，这组客户的 CSAT 已经回升，建议更新痛点。",
                   "en": "Since the export fix their CSAT is back up; let's update the pains."}),
    ("smb", {"zh-hans": "定价页改版时请参考这个画像。",
             "en": "Please use this persona for the pricing page redesign."}),
    ("new_not_onboarded", {"zh-hans": "建议给这个分群的客户补发入门调研邀请。",
                           "en": "Let's re-invite this segment to the onboarding survey."}),
)


def _definition(raw: Any, recent: str) -> Any:
    if isinstance(raw, dict):
        return {k: _definition(v, recent) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_definition(v, recent) for v in raw]
    return recent if raw == "{recent}" else raw


def create_segments_and_personas(org: Organization, rng: random.Random, *, actor: User | None = None,
                                 authors: Sequence[User] | None = None,
                                 at: datetime | None = None) -> tuple[int, int]:
    """Create the demo segments, personas and comments in ``org``; returns (segments, personas)."""
    now = at or timezone.now()
    recent = (timezone.localdate(now) - timedelta(days=180)).isoformat()
    who = services.Who(user=actor)
    made: dict[str, Segment] = {}
    for key, name, definition in SEGMENTS:
        made[key] = services.save_segment(org=org, name=name, definition=_definition(definition, recent), who=who)
    personas: dict[str, Persona] = {}
    for spec in PERSONAS:
        data = {k: v for k, v in spec.items() if k != "segment"}
        personas[spec["segment"]] = services.save_persona(org=org, data={**data, "segment": made[spec["segment"]].pk},
                                                          who=who)
    people = list(authors or User.objects.filter(
        pk__in=Membership.objects.filter(org=org).values("user_id")).order_by("pk"))
    Segment.objects.filter(pk__in=[s.pk for s in made.values()]).update(created_at=now, updated_at=now)
    Persona.objects.filter(pk__in=[p.pk for p in personas.values()]).update(created_at=now, updated_at=now)
    for i, (key, body) in enumerate(COMMENTS):
        author = rng.choice(people) if people else None
        language = (author.language if author is not None else "") or "zh-hans"
        text = body["en"] if language == "en" else body["zh-hans"]
        comment = services.add_comment(persona=personas[key], body=text, who=services.Who(user=author))
        when = now - timedelta(days=len(COMMENTS) - i, hours=rng.randint(0, 8))
        PersonaComment.objects.filter(pk=comment.pk).update(created_at=when)
    return len(made), len(personas)
