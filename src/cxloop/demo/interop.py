"""The demo's import from another survey tool (issue 10): before cxloop, CloudLaunch's retail team ran a store-visit
survey in SurveyJS; its definition and results are imported through ``interop.services.import_survey`` — the same
path as the upload page — so the demo shows an import with its notes (a ranking question and an HTML block
SurveyJS has and cxloop does not, a German translation, results with an unknown field). Own random stream: the rest
of the demo does not change. Loaded by ``cxloop demo`` (``demo.setup.load``), not by ``generate``."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from cxloop.interop.models import SurveyImport
from cxloop.interop.services import import_survey
from cxloop.orgs.models import Organization, Role, User

FILE_NAME = "store-visit-feedback.surveyjs.json"
RESULTS_NAME = "store-visit-results.json"


def _t(zh: str, en: str, de: str = "") -> dict[str, str]:
    texts = {"default": en, "zh-cn": zh}
    if de:
        texts["de"] = de
    return texts


def definition() -> dict[str, Any]:
    return {
        "title": _t("门店到访反馈", "Store visit feedback", "Feedback zum Filialbesuch"),
        "locale": "zh-cn",
        "pages": [{"name": "visit", "elements": [
            {"type": "rating", "name": "recommend", "rateMin": 0, "rateMax": 10, "isRequired": True,
             "title": _t("您向朋友推荐我们门店的可能性有多大？",
                         "How likely are you to recommend our store to a friend?")},
            {"type": "radiogroup", "name": "purpose", "isRequired": True,
             "title": _t("您今天来店的主要目的是？", "What brought you in today?"),
             "choices": [{"value": "buy", "text": _t("购物", "To buy something")},
                         {"value": "pickup", "text": _t("自提订单", "To pick up an order")},
                         {"value": "return", "text": _t("退换货", "A return or exchange")}],
             "showOtherItem": True},
            {"type": "html", "name": "divider", "html": "<hr>"},
            {"type": "matrix", "name": "staff", "title": _t("请评价店员", "Rate our staff"),
             "columns": [1, 2, 3, 4, 5], "rows": [{"value": "friendly", "text": _t("热情", "Friendly")},
                                                  {"value": "expert", "text": _t("专业", "Knowledgeable")}]},
            {"type": "comment", "name": "improve", "visibleIf": "{recommend} <= 6",
             "title": _t("我们最应该改进什么？", "What should we improve first?")},
            {"type": "ranking", "name": "priorities", "title": _t("请排序", "Rank what matters"),
             "choices": ["price", "speed", "staff"]},
        ]}],
    }


_COMMENTS = ("排队结账太慢了", "店员找不到我要的商品", "自提柜经常满", "The queue at the till was too long",
             "Could not find the right size", "退货流程要填三张单子")


def results(rng: random.Random, end: datetime, n: int = 160) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        when = end - timedelta(days=rng.uniform(0, 180), minutes=rng.randint(0, 600))
        score = rng.choices(range(11), weights=(2, 1, 1, 2, 2, 4, 6, 10, 14, 16, 12))[0]
        result: dict[str, Any] = {
            "id": f"sjs-{1000 + i}", "createdAt": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "locale": rng.choice(("zh-cn", "zh-cn", "en")), "recommend": score,
            "purpose": rng.choice(("buy", "buy", "pickup", "return", "other")),
            "staff": {"friendly": rng.randint(2, 5), "expert": rng.randint(1, 5)},
            "priorities": rng.sample(["price", "speed", "staff"], 3),
        }
        if result["purpose"] == "other":
            result["purpose-Comment"] = rng.choice(("看看新品", "Just browsing", "修手机"))
        if score <= 6:
            result["improve"] = rng.choice(_COMMENTS)
        if rng.random() < 0.1:
            result["HappendAt"] = when.isoformat()  # SurveyJS' own field: ignored
        if rng.random() < 0.05:
            result["store_code"] = "SH-0" + str(rng.randint(1, 5))  # a field the survey does not have: a note
        out.append(result)
    return out


def import_example(org: Organization, *, seed: int = 42, now: datetime | None = None) -> SurveyImport | None:
    """Import the store-visit survey and its results once (a second call does nothing)."""
    if SurveyImport.objects.filter(org=org, file_name=FILE_NAME).exists():
        return None
    now = now or datetime.now(UTC)
    actor = User.objects.filter(memberships__org=org, memberships__role=Role.ANALYST).order_by("pk").first()
    data = json.dumps(definition(), ensure_ascii=False).encode()
    answers = json.dumps(results(random.Random(f"{seed}:interop"), now - timedelta(days=200)),
                         ensure_ascii=False).encode()
    return import_survey(org=org, kind="surveyjs", data=data, file_name=FILE_NAME, responses=answers,
                         responses_name=RESULTS_NAME, actor=actor)
