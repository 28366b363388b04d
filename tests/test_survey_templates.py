"""core.survey_templates: every template parses, round-trips, speaks three languages and behaves as designed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cxloop.core import survey_spec as ss
from cxloop.core import survey_templates as st

NAMES = st.template_names()

# Characters that only one of the two Chinese scripts uses: a zh-hant text with a simplified form (or the
# reverse) is a conversion slip.
SIMPLIFIED_ONLY = set("们这设题务满质项请选择为问进认觉计统户应实验价让还处过时简单")
TRADITIONAL_ONLY = set("們這設題務滿質項請選擇為問進認覺計統戶應實驗價讓還處過時簡單")


def texts(spec: ss.SurveySpec) -> Iterator[tuple[str, dict[str, str]]]:
    """Every multilingual text of a spec with where it is."""
    yield "name", spec.name
    yield "description", spec.description
    yield "title", spec.title
    if spec.intro:
        yield "intro", spec.intro
    yield "thank_you", spec.thank_you
    for field in spec.embedded:
        yield f"embedded.{field.key}.label", field.label
    for page in spec.pages:
        if page.title:
            yield f"{page.key}.title", page.title
        for q in page.questions:
            yield f"{q.key}.text", q.text
            if q.help:
                yield f"{q.key}.help", q.help
            for o in q.options:
                yield f"{q.key}.options.{o.key}", o.text
            for i in q.items:
                yield f"{q.key}.items.{i.key}", i.text
            for point, label in q.labels.items():
                yield f"{q.key}.labels.{point}", label


def test_the_templates() -> None:
    assert NAMES == ["nps", "csat_support", "ces_onboarding", "sus", "umux_lite", "acsi"]


@pytest.mark.parametrize("name", NAMES)
def test_template_parses_and_round_trips(name: str) -> None:
    spec = ss.parse(st.TEMPLATES[name]())
    assert spec.languages == ("zh-hans", "zh-hant", "en") and spec.default_language == "zh-hans"
    canonical = st.template(name)
    assert ss.parse(canonical) == spec
    assert ss.to_dict(spec) == canonical
    assert ss.parse(json.loads(json.dumps(canonical, ensure_ascii=False))) == spec
    assert ss.loads(ss.dumps(spec, "json")) == spec
    yaml_text = ss.dumps(spec)
    assert ss.loads(yaml_text) == spec
    assert spec.title["zh-hans"] in yaml_text and spec.title["zh-hant"] in yaml_text  # readable Chinese


@pytest.mark.parametrize("name", NAMES)
def test_template_texts_exist_in_all_three_languages(name: str) -> None:
    spec = ss.parse(st.TEMPLATES[name]())
    for where, text in texts(spec):
        assert set(text) == {"zh-hans", "zh-hant", "en"}, where
        assert all(value.strip() for value in text.values()), where
        assert not SIMPLIFIED_ONLY & set(text["zh-hant"]), (where, text["zh-hant"])
        assert not TRADITIONAL_ONLY & set(text["zh-hans"]), (where, text["zh-hans"])
        assert text["en"].isascii() or "–" in text["en"], where


@pytest.mark.parametrize("name", NAMES)
def test_templates_are_fresh_copies(name: str) -> None:
    first = st.TEMPLATES[name]()
    first["title"]["en"] = "changed"
    first["pages"][0]["questions"][0]["key"] = "changed"
    assert st.TEMPLATES[name]()["title"]["en"] != "changed"
    canonical = st.template(name)
    canonical["pages"][0]["questions"][0]["text"]["en"] = "changed"
    assert st.template(name)["pages"][0]["questions"][0]["text"]["en"] != "changed"


def test_nps_follow_up_depends_on_the_score() -> None:
    spec = ss.parse(st.TEMPLATES["nps"]())
    follow_up = {
        score: [q.key for q in ss.visible_questions(spec, 1, answers={"nps": score})] for score in range(11)
    }
    for score in range(7):
        assert follow_up[score] == ["reason_detractor", "contact_consent"]
    for score in (7, 8):
        assert follow_up[score] == ["reason_passive", "contact_consent"]
    for score in (9, 10):
        assert follow_up[score] == ["reason_promoter", "contact_consent"]
    assert ss.render(spec, spec.pages[1].title, "zh-hant", answers={"nps": "3"}) == "您的評分：3 分"
    rows = ss.validate_answers(spec, {"nps": "3", "reason_detractor": "太贵了", "contact_consent": "on"})
    assert rows == [
        ss.AnswerRow("nps", 3.0),
        ss.AnswerRow("reason_detractor", text="太贵了"),
        ss.AnswerRow("contact_consent", choices=("yes",)),
    ]
    with pytest.raises(ss.AnswerError) as info:
        ss.validate_answers(spec, {"nps": 10, "reason_detractor": "x"})
    assert [p.path for p in info.value.problems] == ["answers.reason_detractor"]
    assert not spec.question("contact_consent").required  # contact is optional
    assert ss.validate_answers(spec, {"nps": 10, "contact_consent": False})[-1].choices == ("no",)


def test_csat_support_embedded_fields_and_comments() -> None:
    spec = ss.parse(st.TEMPLATES["csat_support"]())
    assert [(e.key, e.required) for e in spec.embedded] == [("ticket_id", True), ("agent", False), ("category", False)]
    intro = ss.render(spec, spec.intro, "en", embedded={"ticket_id": "T-42"})
    assert intro == "We'd love to hear how ticket T-42 went for you."
    assert [q.key for q in ss.visible_questions(spec, 1, answers={"csat": 2})] == ["to_improve"]
    assert [q.key for q in ss.visible_questions(spec, 1, answers={"csat": 5})] == ["went_well", "to_improve"]
    rows = ss.validate_answers(spec, {"csat": "5", "resolved": "yes", "went_well": "快速", "to_improve": ""})
    assert rows == [
        ss.AnswerRow("csat", 5.0),
        ss.AnswerRow("resolved", choices=("yes",)),
        ss.AnswerRow("went_well", text="快速"),
    ]
    with pytest.raises(ss.AnswerError):
        ss.validate_embedded(spec, {"agent": "Li"})  # ticket_id is required


def test_ces_onboarding() -> None:
    spec = ss.parse(st.TEMPLATES["ces_onboarding"]())
    ces = spec.question("ces")
    assert ces.scale_version == "ces2" and ces.points == tuple(range(1, 8))
    assert ces.labels[7]["en"] == "Strongly agree" and ces.labels[4]["zh-hant"] == "普通"
    assert [q.key for q in ss.visible_questions(spec, 0, answers={"ces": 3})] == ["ces", "hardest_step"]
    assert [q.key for q in ss.visible_questions(spec, 0, answers={"ces": 6})] == ["ces"]
    help_used = spec.question("help_used")
    for seed in ("a", "b", "c", "d"):
        order = [o.key for o in ss.choice_order(help_used, seed=seed)]
        assert order[-2:] == ["other", "none"]
    answers = {"ces": 2, "hardest_step": "导入数据", "help_used": ["other"], "help_used.specify": "朋友"}
    rows = ss.validate_answers(spec, answers)
    assert rows[-1] == ss.AnswerRow("help_used", choices=("other",), text="朋友")


def test_sus_and_umux_lite_rows() -> None:
    spec = ss.parse(st.TEMPLATES["sus"]())
    sus = spec.question("sus")
    assert sus.points == (1, 2, 3, 4, 5) and sus.required
    assert sus.items[1].text["zh-hans"] == "我觉得这个系统复杂得没有必要。"  # "unnecessarily", not "overly"
    answers = {f"sus.q{n}": str(1 + n % 5) for n in range(1, 11)}
    rows = ss.validate_answers(spec, answers)
    assert [r.key for r in rows] == [f"sus.q{n}" for n in range(1, 11)]
    assert rows[0] == ss.AnswerRow("sus.q1", 2.0)
    spec = ss.parse(st.TEMPLATES["umux_lite"]())
    rows = ss.validate_answers(spec, {"umux_lite": {"capabilities": 6, "ease": "7"}})
    assert rows == [ss.AnswerRow("umux_lite.capabilities", 6.0), ss.AnswerRow("umux_lite.ease", 7.0)]
    with pytest.raises(ss.AnswerError) as info:
        ss.validate_answers(spec, {"umux_lite": {"ease": 7}})
    assert [p.path for p in info.value.problems] == ["answers.umux_lite.capabilities"]


# Brooke's SUS alternates its tone: odd items positive, even items negative (scored 5 - x). A small keyword check
# keeps each Chinese translation on the side of its English item: every negative item names its problem, and no
# positive item carries a negation or one of those problem words.
SUS_NEGATIVE = {
    "zh-hans": {"q2": "没有必要", "q4": "需要技术人员", "q6": "不一致", "q8": "繁琐", "q10": "需要先学习"},
    "zh-hant": {"q2": "沒有必要", "q4": "需要技術人員", "q6": "不一致", "q8": "繁瑣", "q10": "需要先學習"},
}
SUS_POSITIVE = {
    "zh-hans": {"q1": "愿意经常使用", "q3": "容易使用", "q5": "整合得很好", "q7": "很快学会", "q9": "很有信心"},
    "zh-hant": {"q1": "願意經常使用", "q3": "容易使用", "q5": "整合得很好", "q7": "很快學會", "q9": "很有信心"},
}
NEGATIONS = ("不", "没", "沒", "难", "難", "复杂", "複雜", "繁")


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant"])
def test_sus_items_keep_brookes_alternating_tone(language: str) -> None:
    from cxloop.core.survey_standard import SUS_ITEMS

    assert [item.key for item in SUS_ITEMS] == [f"q{n}" for n in range(1, 11)]
    for n, item in enumerate(SUS_ITEMS, start=1):
        text = item.text[language]
        assert text.strip() and text.endswith("。"), (item.key, text)
        assert "系统" in text if language == "zh-hans" else "系統" in text, (item.key, text)
        if n % 2:
            assert SUS_POSITIVE[language][item.key] in text, (item.key, text)
            assert not any(word in text for word in NEGATIONS), (item.key, text)
            assert not any(word in text for word in SUS_NEGATIVE[language].values()), (item.key, text)
        else:
            assert SUS_NEGATIVE[language][item.key] in text, (item.key, text)
    spec = ss.parse(st.TEMPLATES["sus"]())
    assert [i.text[language] for i in spec.question("sus").items] == [i.text[language] for i in SUS_ITEMS]


def test_umux_lite_items_are_both_positive() -> None:
    from cxloop.core.survey_standard import UMUX_LITE_ITEMS

    assert [item.key for item in UMUX_LITE_ITEMS] == ["capabilities", "ease"]
    for item in UMUX_LITE_ITEMS:
        for language in ("zh-hans", "zh-hant"):
            assert not any(word in item.text[language] for word in NEGATIONS), (item.key, item.text[language])
    assert "功能" in UMUX_LITE_ITEMS[0].text["zh-hans"] and "需求" in UMUX_LITE_ITEMS[0].text["zh-hant"]
    assert "容易使用" in UMUX_LITE_ITEMS[1].text["zh-hans"] and "容易使用" in UMUX_LITE_ITEMS[1].text["zh-hant"]


def test_acsi_keys_scales_and_complaint_logic() -> None:
    spec = ss.parse(st.TEMPLATES["acsi"]())
    keys = [q.key for q in spec.questions()]
    for construct, construct_keys in st.ACSI_CONSTRUCTS.items():
        assert set(construct_keys) <= set(keys), construct
    for key in keys:
        q = spec.question(key)
        if q.type == "rating":
            assert q.points == tuple(range(1, 11)) and q.required and set(q.labels) == {1, 10}, key
    assert spec.question("acsi_complaint").type == "yes_no"
    complaint = spec.page_index("complaint")
    assert ss.next_page(spec, complaint, answers={"acsi_complaint": "no"}) == spec.page_index("loyalty")
    assert ss.next_page(spec, complaint, answers={"acsi_complaint": "yes"}) == spec.page_index("complaint_handling")
    answers: dict[str, Any] = {k: 8 for k in keys if spec.question(k).type == "rating"}
    answers["acsi_complaint"] = "no"
    del answers["acsi_complaint_handling"]
    rows = ss.validate_answers(spec, answers)
    assert len(rows) == 14 and {r.key for r in rows} >= {"acsi_satisfaction", "acsi_repurchase", "acsi_complaint"}
    with pytest.raises(ss.AnswerError) as info:
        ss.validate_answers(spec, answers | {"acsi_complaint": "yes"})
    assert [str(p) for p in info.value.problems] == [
        "answers.acsi_complaint_handling: 'acsi_complaint_handling' is required but not answered"
    ]


def test_unknown_template() -> None:
    with pytest.raises(KeyError):
        st.template("nope")
