"""core.survey_spec: parsing and validation, display and skip logic, piped text, option order, answers.

Plain functions, no Django: the survey engine is pure Python.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.core import survey_spec as ss
from cxloop.core.survey_spec import AnswerError, AnswerRow, Problem, SpecError


def _t(en: str, zh: str = "") -> dict[str, str]:
    return {"en": en, "zh-hans": zh or f"中文：{en}"}


def definition() -> dict[str, Any]:
    """Three pages: scores and a matrix; follow-ups with display logic; a last page skipped for promoters."""
    return {
        "title": _t("Feedback", "反馈"),
        "default_language": "en",
        "languages": ["en", "zh-hans"],
        "intro": _t("Hello from {{embedded:store}}"),
        "thank_you": _t("Thanks for your {{answer:nps}}"),
        "embedded": [{"key": "store", "source": "link"}, {"key": "tier", "required": True}],
        "pages": [
            {
                "key": "scores",
                "questions": [
                    {"key": "nps", "type": "nps", "text": _t("Recommend us?"), "required": True},
                    {"key": "csat", "type": "csat", "text": _t("Satisfied?")},
                    {"key": "sus", "type": "sus"},
                    {
                        "key": "grid",
                        "type": "matrix",
                        "text": _t("Rate"),
                        "items": [{"key": "speed", "text": _t("Speed")}, {"key": "price", "text": _t("Price")}],
                        "required": True,
                    },
                ],
                "skip": [{"if": {"question": "nps", "op": "gte", "value": 9}, "to": "end"}],
            },
            {
                "key": "why",
                "title": _t("You gave {{answer:nps}}"),
                "questions": [
                    {
                        "key": "reason",
                        "type": "open_text",
                        "text": _t("Why {{answer:nps}}?"),
                        "required": True,
                        "display_if": {"question": "nps", "op": "lte", "value": 6},
                    },
                    {
                        "key": "channels",
                        "type": "multi_choice",
                        "text": _t("Which channels?"),
                        "randomize": True,
                        "min_choices": 1,
                        "max_choices": 2,
                        "options": [
                            {"key": "wechat", "text": _t("WeChat", "微信")},
                            {"key": "phone", "text": _t("Phone", "电话")},
                            {"key": "email", "text": _t("Email", "邮件")},
                            {"key": "web", "text": _t("Web", "网页")},
                            {"key": "other", "text": _t("Other"), "fixed": True, "specify": True},
                            {"key": "none", "text": _t("None"), "fixed": True, "exclusive": True},
                        ],
                    },
                    {
                        "key": "plan",
                        "type": "single_choice",
                        "text": _t("Plan?"),
                        "options": [{"key": "basic", "text": _t("Basic")}, {"key": "pro", "text": _t("Pro")}],
                    },
                    {"key": "ok", "type": "yes_no", "text": _t("OK?")},
                ],
            },
            {
                "key": "last",
                "questions": [
                    {
                        "key": "ease",
                        "type": "rating",
                        "text": _t("Ease"),
                        "scale_min": 1,
                        "scale_max": 5,
                        "style": "stars",
                    },
                    {"key": "contact", "type": "consent", "text": _t("Contact me"), "required": True},
                ],
            },
        ],
    }


@pytest.fixture()
def spec() -> ss.SurveySpec:
    return ss.parse(definition())


def problems_of(raw: dict[str, Any]) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        ss.parse(raw)
    return info.value.problems


def answer_problems(spec: ss.SurveySpec, answers: dict[str, Any], **kwargs: Any) -> list[Problem]:
    with pytest.raises(AnswerError) as info:
        ss.validate_answers(spec, answers, **kwargs)
    return info.value.problems


def paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


# --- parsing -------------------------------------------------------------------------------------------------


def test_parse_builds_the_spec(spec: ss.SurveySpec) -> None:
    assert [q.key for q in spec.questions()] == [
        "nps", "csat", "sus", "grid", "reason", "channels", "plan", "ok", "ease", "contact"
    ]
    assert spec.question("nps").points == tuple(range(11))
    assert spec.question("nps").labels[0]["zh-hant"] == "完全不可能"
    assert spec.question("csat").labels[3]["en"] == "Neither satisfied nor dissatisfied"
    assert [i.key for i in spec.question("sus").items] == [f"q{n}" for n in range(1, 11)]
    assert spec.question("sus").items[0].text["en"] == "I think that I would like to use this system frequently."
    assert spec.question("grid").labels[5]["en"] == "Strongly agree"  # Likert default on 1..5
    assert spec.question("ok").options[0].key == "yes"
    assert spec.question("ease").stars and spec.question("ease").points == (1, 2, 3, 4, 5)
    assert spec.page_of("reason") == 1 and spec.page_index("last") == 2
    assert spec.embedded_field("store") == ss.EmbeddedField("store", {}, False, "link")
    with pytest.raises(KeyError):
        spec.question("missing")


def test_defaults_for_a_minimal_definition() -> None:
    spec = ss.parse({"title": "反馈", "pages": [{"questions": [{"key": "q", "type": "ces"}]}]})
    assert spec.default_language == "zh-hans" and spec.languages == ("zh-hans",)
    assert spec.title == {"zh-hans": "反馈"}
    assert spec.pages[0].key == "page1"
    ces = spec.question("q")
    assert ces.text["en"] == "The company made it easy for me to handle my issue."
    assert ces.scale_version == "ces2" and ces.points == tuple(range(1, 8)) and len(ces.labels) == 7
    assert not ces.required


def test_umux_lite_items_and_scale() -> None:
    spec = ss.parse({"title": "x", "pages": [{"questions": [{"key": "u", "type": "umux_lite"}]}]})
    q = spec.question("u")
    assert [i.key for i in q.items] == ["capabilities", "ease"] and q.points == tuple(range(1, 8))
    assert q.items[0].text["en"] == "This system's capabilities meet my requirements."
    assert q.items[1].text["en"] == "This system is easy to use."


def test_round_trip_through_dict_json_and_yaml(spec: ss.SurveySpec) -> None:
    assert ss.parse(ss.to_dict(spec)) == spec
    assert ss.parse(json.loads(json.dumps(ss.to_dict(spec)))) == spec  # label keys become strings in JSON
    assert ss.loads(ss.dumps(spec, "json"), "json") == spec
    assert ss.loads(ss.dumps(spec, "json")) == spec
    text = ss.dumps(spec)
    assert ss.loads(text, "yaml") == spec and ss.loads(text) == spec
    assert "非常同意" in text and "\\u" not in text  # readable Chinese
    assert text.index("title:") < text.index("pages:")  # canonical order, not sorted
    assert ss.dumps(ss.loads(text)) == text


def test_all_problems_are_collected_with_paths() -> None:
    raw = definition()
    raw["languages"] = ["en", "zh-hans", "fr"]
    questions = raw["pages"][0]["questions"]
    questions[1]["type"] = "likert"  # unknown type
    questions.append({"key": "nps", "type": "nps", "text": _t("again")})  # duplicate key
    questions.append({"key": "Bad-Key", "type": "open_text", "text": _t("x")})
    questions.append({"key": "no_en", "type": "open_text", "text": {"zh-hans": "只有中文"}})
    questions.append({"key": "stars", "type": "rating", "text": _t("x"), "scale_max": 20})
    questions.append({"key": "langs", "type": "open_text", "text": {"en": "x", "de": "y"}})
    questions.append({"key": "hid", "type": "hidden", "text": _t("x")})
    questions.append(
        {
            "key": "opts",
            "type": "single_choice",
            "text": _t("x"),
            "options": [{"text": _t("a")}, {"key": "b", "text": _t("b")}, {"key": "b", "text": _t("c")}],
        }
    )
    problems = problems_of(raw)
    found = {str(p) for p in problems}
    assert "languages[2]: unknown language 'fr' (languages: zh-hans, zh-hant, en)" in found
    assert any(p.startswith("pages[0].questions[1].type: unknown question type 'likert'") for p in found)
    assert "pages[0].questions[4].key: duplicate question key 'nps' (first used at pages[0].questions[0])" in found
    assert any(p.startswith("pages[0].questions[5].key: question key 'Bad-Key' is not valid") for p in found)
    assert "pages[0].questions[6].text: missing text in the default language 'en'" in found
    assert "pages[0].questions[7].scale_max: a scale 1..20 has 20 points: use 2 to 11" in found
    assert any(p.startswith("pages[0].questions[8].text.de: unknown language 'de'") for p in found)
    assert any(p.startswith("pages[0].questions[9].type: 'hidden' is not a question type") for p in found)
    assert "pages[0].questions[10].options[0].key: missing option key" in found
    assert "pages[0].questions[10].options[2].key: duplicate option key 'b'" in found
    assert len(problems) == 10
    with pytest.raises(SpecError) as info:
        ss.parse(raw)
    message = str(info.value)
    assert message.startswith("10 problems in the survey definition:")
    assert all(f"- {p}" in message for p in problems)


def on_reason(condition: dict[str, Any]) -> Any:
    """A change that gives the first question of page 2 ('reason') this display condition."""
    return lambda d: d["pages"][1]["questions"][0].update(display_if=condition)


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            on_reason({"question": "plan", "op": "answered"}),
            "pages[1].questions[0].display_if.question",
            "refers to 'plan', which does not come earlier",
        ),
        (
            on_reason({"question": "foo", "op": "answered"}),
            "pages[1].questions[0].display_if.question",
            "refers to 'foo', which is not a question in this survey",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(display_if={"question": "nps", "op": "answered"}),
            "pages[0].questions[0].display_if.question",
            "refers to 'nps', which does not come earlier",
        ),
        (
            on_reason({"embedded": "shop", "op": "eq", "value": "a"}),
            "pages[1].questions[0].display_if.embedded",
            "refers to embedded field 'shop', which is not declared under 'embedded'",
        ),
        (
            on_reason({"question": "nps", "op": "lte", "value": 11}),
            "pages[1].questions[0].display_if.value",
            "value 11 is outside the scale of 'nps' (0..10)",
        ),
        (
            on_reason({"question": "nps", "op": "like", "value": 1}),
            "pages[1].questions[0].display_if.op",
            "unknown op 'like' (ops: eq, neq, lt, lte, gt, gte, in, not_in, contains, answered, not_answered)",
        ),
        (
            on_reason({"question": "nps", "op": "contains", "value": 1}),
            "pages[1].questions[0].display_if.op",
            "op 'contains' does not apply to 'nps' (use eq, neq, lt, lte, gt, gte, in, not_in, answered, not_answered)",
        ),
        (
            on_reason({"question": "nps", "op": "answered", "value": 1}),
            "pages[1].questions[0].display_if.value",
            "op 'answered' takes no value",
        ),
        (
            on_reason({"question": "grid", "op": "gt", "value": 3}),
            "pages[1].questions[0].display_if.op",
            "op 'gt' does not apply to 'grid' (use answered, not_answered)",
        ),
        (
            on_reason({"question": "grid.size", "op": "gt", "value": 3}),
            "pages[1].questions[0].display_if.question",
            "'grid' has no item 'size' (items: speed, price)",
        ),
        (
            lambda d: d["pages"][1]["questions"][3].update(display_if={"question": "plan", "op": "eq", "value": "max"}),
            "pages[1].questions[3].display_if.value",
            "'max' is not an option of 'plan' (options: basic, pro)",
        ),
        (
            on_reason({"all": []}),
            "pages[1].questions[0].display_if.all",
            "the list of conditions is empty",
        ),
        (
            lambda d: d["pages"][1]["questions"][0].update(
                display_if={"question": "nps", "op": "lte", "value": 6, "all": []}
            ),
            "pages[1].questions[0].display_if",
            "a condition needs exactly one of question, embedded, all, any, not (found question, all)",
        ),
        (
            on_reason({"any": [{"not": {"question": "nps"}}]}),
            "pages[1].questions[0].display_if.any[0].not.op",
            "missing op",
        ),
        (
            lambda d: d["pages"][1].update(skip=[{"to": "scores"}]),
            "pages[1].skip[0].to",
            "skip target 'scores' is not a later page: skips only go forward",
        ),
        (
            lambda d: d["pages"][1].update(skip=[{"to": "why"}]),
            "pages[1].skip[0].to",
            "skip target 'why' is not a later page: skips only go forward",
        ),
        (
            lambda d: d["pages"][1].update(skip=[{"to": "nowhere"}]),
            "pages[1].skip[0].to",
            "unknown page 'nowhere' (later pages: last; or 'end')",
        ),
        (
            lambda d: d["pages"][0].update(skip=[{"if": {"question": "reason", "op": "answered"}, "to": "end"}]),
            "pages[0].skip[0].if.question",
            "refers to 'reason', which does not come earlier",
        ),
        (
            lambda d: d["pages"][2].update(key="end"),
            "pages[2].key",
            "'end' is reserved for skipping to the end",
        ),
        (
            lambda d: d["pages"][2].update(key="why"),
            "pages[2].key",
            "duplicate page key 'why'",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(text=_t("You said {{answer:csat}}")),
            "pages[0].questions[0].text.en",
            "pipes '{{answer:csat}}', but 'csat' is not a question on an earlier page",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(text=_t("At {{embedded:shop}}")),
            "pages[0].questions[0].text.en",
            "pipes '{{embedded:shop}}', but no embedded field 'shop' is declared",
        ),
        (
            lambda d: d.update(title=_t("Hi {{answer:nps}}")),
            "title.en",
            "pipes '{{answer:nps}}', but answers cannot be piped into the survey's name, title or intro",
        ),
        (
            lambda d: d["pages"][1]["questions"][1].update(rows=[]),
            "pages[1].questions[1].rows",
            "unknown field 'rows' for a multi_choice question (allowed: key, type, text, help, required, "
            "display_if, options, randomize, min_choices, max_choices)",
        ),
        (
            lambda d: d["pages"][0]["questions"][3].update(rows=[]),
            "pages[0].questions[3].rows",
            "unknown field 'rows' (did you mean 'items'?)",
        ),
        (
            lambda d: d["pages"][1]["questions"][1].update(min_choices=3),
            "pages[1].questions[1].min_choices",
            "min_choices 3 is more than max_choices 2",
        ),
        (
            lambda d: d["pages"][1]["questions"][1].update(max_choices=7),
            "pages[1].questions[1].max_choices",
            "max_choices 7 is outside 1..6 (the number of options)",
        ),
        (
            lambda d: d["pages"][1]["questions"][2]["options"][0].update(exclusive=True),
            "pages[1].questions[2].options[0].exclusive",
            "only multi_choice options can be exclusive",
        ),
        (
            lambda d: d["pages"][1]["questions"][2].update(options=[{"key": "a", "text": _t("A")}]),
            "pages[1].questions[2].options",
            "needs at least 2 of options",
        ),
        (
            lambda d: d["pages"][1]["questions"][0].update(max_length=10_001),
            "pages[1].questions[0].max_length",
            "max_length 10001 is outside 1..10,000",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(scale_max=5),
            "pages[0].questions[0].scale_max",
            "the nps scale is fixed at 0..10, not 5",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(labels={11: "x"}),
            "pages[0].questions[0].labels.11",
            "label for 11 is outside the scale 0..10",
        ),
        (
            lambda d: d["pages"][0]["questions"][1].update(required="yes"),
            "pages[0].questions[1].required",
            "must be true or false, not 'yes'",
        ),
        (
            lambda d: d["pages"][0]["questions"][2].update(items=[{"key": "a", "text": "A"}]),
            "pages[0].questions[2].items",
            "sus items are fixed: q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, in this order (you may reword their text)",
        ),
        (
            lambda d: d["pages"][1]["questions"][3].update(
                options=[{"key": "no", "text": "No"}, {"key": "yes", "text": "Yes"}]
            ),
            "pages[1].questions[3].options",
            "yes_no options are fixed: 'yes' then 'no' (you may reword their text)",
        ),
        (
            lambda d: d["pages"][2]["questions"][0].update(style="emoji"),
            "pages[2].questions[0].style",
            "unknown style 'emoji' (styles: numbers, stars)",
        ),
        (
            lambda d: d["pages"][2]["questions"][0].update(scale_min=0),
            "pages[2].questions[0].scale_min",
            "a star rating starts at 1",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(key=False),
            "pages[0].questions[0].key",
            "question key False is a YAML boolean: write it in quotes ('yes', 'no', 'on', 'off')",
        ),
        (
            lambda d: d["embedded"].append({"key": "store"}),
            "embedded[2].key",
            "duplicate embedded field key 'store'",
        ),
        (
            lambda d: d["embedded"][0].update(source="email"),
            "embedded[0].source",
            "unknown source 'email' (sources: link, widget, api, any)",
        ),
        (
            lambda d: d.update(default_language="zh-hant"),
            "languages",
            "the default language 'zh-hant' is not one of the survey's languages",
        ),
        (lambda d: d.update(pages=[]), "pages", "the list of pages is empty"),
        (lambda d: d.pop("pages"), "pages", "missing: needs a list of pages"),
        (lambda d: d["pages"][2].update(questions=[]), "pages[2].questions", "the list of questions is empty"),
        (lambda d: d.update(colour="red"), "colour", "unknown field 'colour' (allowed: name, description, title, "
         "default_language, languages, intro, thank_you, embedded, pages)"),
    ],
)
def test_each_problem_points_at_its_place(change: Any, path: str, message: str) -> None:
    raw = definition()
    change(raw)
    problems = problems_of(raw)
    assert Problem(path, message) in problems, [str(p) for p in problems]


def test_conditions_may_refer_to_earlier_questions_on_the_same_page_and_embedded_fields() -> None:
    raw = definition()
    raw["pages"][1]["questions"][3]["display_if"] = {
        "all": [
            {"question": "channels", "op": "contains", "value": "phone"},
            {
                "any": [
                    {"embedded": "store", "op": "in", "value": ["SH01", 2]},
                    {"not": {"question": "sus.q1", "op": "lt", "value": 3}},
                ]
            },
            {"question": "plan", "op": "neq", "value": "basic"},
        ]
    }
    raw["pages"][2]["questions"][0]["display_if"] = {"question": "ok", "op": "eq", "value": False}
    spec = ss.parse(raw)
    assert spec.question("ease").display_if == ss.Compare("question", "ok", "eq", "no")  # booleans become yes/no
    cond = spec.question("ok").display_if
    assert isinstance(cond, ss.AllOf)
    assert cond.conditions[1] == ss.AnyOf(
        (ss.Compare("embedded", "store", "in", ("SH01", 2)), ss.Not(ss.Compare("question", "sus.q1", "lt", 3)))
    )
    assert ss.parse(ss.to_dict(spec)) == spec


def test_not_a_mapping() -> None:
    with pytest.raises(SpecError) as info:
        ss.parse([1, 2])  # type: ignore[arg-type]
    assert info.value.problems == [Problem("", "a survey definition must be a mapping, not list")]


# --- JSON and YAML text --------------------------------------------------------------------------------------


def test_syntax_errors_carry_line_and_column() -> None:
    with pytest.raises(SpecError) as info:
        ss.loads('{"title": "x",\n  "pages": [}', "json")
    (problem,) = info.value.problems
    assert problem.path == "" and problem.message.startswith("JSON syntax error at line 2, column 13")
    with pytest.raises(SpecError) as info:
        ss.loads("title: x\npages:\n  - key: [a\n")
    (problem,) = info.value.problems
    assert problem.path == "" and problem.message.startswith("YAML syntax error at line 4")


def test_yaml_aliases_and_duplicate_keys_are_refused() -> None:
    with pytest.raises(SpecError) as info:
        ss.loads("title: &t x\nintro: *t\npages: []\n")
    assert "anchors and aliases" in info.value.problems[0].message
    with pytest.raises(SpecError) as info:
        ss.loads("title: x\ntitle: y\npages: []\n")
    assert info.value.problems[0].message.startswith("YAML syntax error at line 2, column 1: duplicate key 'title'")


def test_yaml_validation_problems_and_empty_text() -> None:
    text = (
        "title: 反馈\npages:\n  - questions:\n      - {key: q, type: yes_no, text: 好吗}\n"
        "      - {key: no, type: yes_no, text: x}\n"
    )
    with pytest.raises(SpecError) as info:
        ss.loads(text)
    assert [str(p) for p in info.value.problems] == [
        "pages[0].questions[1].key: question key False is a YAML boolean: write it in quotes ('yes', 'no', 'on', 'off')"
    ]
    with pytest.raises(SpecError) as info:
        ss.loads("   \n")
    assert info.value.problems == [Problem("", "the definition is empty")]
    with pytest.raises(ValueError, match="unknown format"):
        ss.loads("{}", "toml")


# --- languages and piped text --------------------------------------------------------------------------------


def test_localise_falls_back() -> None:
    text = {"zh-hans": "你好", "en": "Hello"}
    assert ss.localise(text, "en", "zh-hans") == "Hello"
    assert ss.localise(text, "zh-hant", "en") == "Hello"
    assert ss.localise(text, "zh-hant", "zh-hans") == "你好"
    assert ss.localise({"zh-hant": "您好"}, "en", "zh-hans") == "您好"
    assert ss.localise("plain", "en", "zh-hans") == "plain"
    assert ss.localise({}, "en", "zh-hans") == ""


def test_pipe_replaces_answers_and_embedded_values() -> None:
    answers = {"nps": 9.0, "channels": ["wechat", "phone"], "plan": "pro", "sus": {"q1": 4.0}, "note": "hi"}
    labels = {"channels": {"wechat": "微信", "phone": "电话"}, "plan": {"pro": "专业版"}}
    text = "{{answer:nps}}|{{ answer : channels }}|{{answer:plan}}|{{answer:sus.q1}}|{{embedded:store}}|{{answer:note}}"
    assert ss.pipe(text, answers=answers, embedded={"store": "SH01"}, labels=labels, separator="、") == (
        "9|微信、电话|专业版|4|SH01|hi"
    )
    assert ss.pipe(text, answers=answers, embedded={}) == "9|wechat, phone|pro|4||hi"
    assert ss.pipe("{{answer:missing}}{{embedded:missing}}", answers={}, embedded={}) == ""
    # Nothing is evaluated; text that is not a pipe stays as it is.
    hostile = "{{answer:__import__('os').system('x')}} {{config}} {answer:nps} {{ 7*7 }}"
    assert ss.pipe(hostile, answers={"nps": 1}, embedded={}) == " {{config}} {answer:nps} {{ 7*7 }}"
    assert ss.pipe("{{answer:nps.__class__}}", answers={"nps": 1}, embedded={}) == ""


def test_render_localises_and_pipes_with_option_labels(spec: ss.SurveySpec) -> None:
    answers = {"nps": "3", "channels": ["phone", "wechat"]}
    assert ss.render(spec, spec.pages[1].title, "en", answers=answers) == "You gave 3"
    assert ss.render(spec, {"zh-hans": "{{answer:channels}}"}, "zh-hans", answers=answers) == "微信、电话"
    assert ss.render(spec, spec.intro, "zh-hant", embedded={"store": "SH01"}) == "Hello from SH01"  # default: en
    assert ss.answer_labels(spec, "en")["contact"] == {"yes": "Yes", "no": "No"}


# --- display and skip logic ----------------------------------------------------------------------------------


def test_display_logic(spec: ss.SurveySpec) -> None:
    keys = lambda answers: [q.key for q in ss.visible_questions(spec, 1, answers=answers)]  # noqa: E731
    assert keys({"nps": 3}) == ["reason", "channels", "plan", "ok"]
    assert keys({"nps": "6"}) == ["reason", "channels", "plan", "ok"]
    assert keys({"nps": 7}) == ["channels", "plan", "ok"]
    assert keys({}) == ["channels", "plan", "ok"]
    assert keys({"nps": "bad"}) == ["channels", "plan", "ok"]  # an invalid answer counts as none


def test_skip_logic_and_end(spec: ss.SurveySpec) -> None:
    assert ss.next_page(spec, 0, answers={"nps": 10}) is None  # promoters end after page 1
    assert ss.next_page(spec, 0, answers={"nps": 3}) == 1
    assert ss.next_page(spec, 0, answers={}) == 1
    assert ss.next_page(spec, 1, answers={"nps": 3}) == 2
    assert ss.next_page(spec, 2, answers={"nps": 3}) is None  # the last page
    assert ss.first_page(spec) == 0
    assert ss.reached_pages(spec, answers={"nps": 9}) == [0]
    assert ss.reached_pages(spec, answers={"nps": 5}) == [0, 1, 2]
    with pytest.raises(IndexError):
        ss.next_page(spec, 3, answers={})


def test_first_matching_skip_rule_wins_and_skipped_pages_do_not_count() -> None:
    raw = definition()
    raw["pages"][0]["skip"] = [
        {"if": {"embedded": "tier", "op": "eq", "value": "gold"}, "to": "last"},
        {"if": {"embedded": "tier", "op": "neq", "value": "none"}, "to": "end"},
    ]
    raw["pages"][2]["questions"][0]["display_if"] = {"question": "plan", "op": "not_answered"}
    spec = ss.parse(raw)
    assert ss.next_page(spec, 0, answers={}, embedded={"tier": "gold"}) == 2
    assert ss.next_page(spec, 0, answers={}, embedded={"tier": "silver"}) is None
    assert ss.next_page(spec, 0, answers={}, embedded={"tier": "none"}) == 1
    # The page with 'plan' is skipped, so its answer does not count for later conditions.
    assert [q.key for q in ss.visible_questions(spec, 2, answers={"plan": "pro"}, embedded={"tier": "gold"})] == [
        "ease",
        "contact",
    ]
    assert [q.key for q in ss.visible_questions(spec, 2, answers={"plan": "pro"}, embedded={"tier": "none"})] == [
        "contact"
    ]


def test_a_page_with_no_visible_question_is_passed_over() -> None:
    raw = definition()
    raw["pages"][0]["skip"] = []
    for q in raw["pages"][1]["questions"]:
        q["display_if"] = {"question": "nps", "op": "lte", "value": 6}
    spec = ss.parse(raw)
    assert ss.next_page(spec, 0, answers={"nps": 8}) == 2
    assert ss.next_page(spec, 0, answers={"nps": 2}) == 1
    assert ss.reached_pages(spec, answers={"nps": 8}) == [0, 2]


def test_condition_semantics(spec: ss.SurveySpec) -> None:
    def holds(cond: dict[str, Any], answers: dict[str, Any], embedded: dict[str, str] | None = None) -> bool:
        raw = definition()
        raw["pages"][2]["questions"][0]["display_if"] = cond
        parsed = ss.parse(raw)
        condition = parsed.question("ease").display_if
        assert condition is not None
        return ss.evaluate(parsed, condition, answers=answers, embedded=embedded)

    assert holds({"question": "nps", "op": "in", "value": [1, 2, 3]}, {"nps": "2"})
    assert not holds({"question": "nps", "op": "in", "value": [1, 2, 3]}, {"nps": 4})
    assert holds({"question": "nps", "op": "neq", "value": 5}, {})  # neq = not eq: true when unanswered
    assert not holds({"question": "nps", "op": "lt", "value": 5}, {})  # comparisons need an answer
    assert holds({"question": "nps", "op": "not_answered"}, {"nps": ""})
    assert holds({"question": "channels", "op": "contains", "value": "phone"}, {"channels": ["phone", "web"]})
    assert holds({"question": "channels", "op": "in", "value": ["email", "web"]}, {"channels": ["phone", "web"]})
    assert holds({"question": "channels", "op": "not_in", "value": ["email"]}, {"channels": ["phone"]})
    assert holds({"question": "reason", "op": "contains", "value": "SLOW"}, {"reason": "Too slow!"})
    assert holds({"question": "reason", "op": "eq", "value": "slow"}, {"reason": " Slow "})
    assert holds({"question": "ok", "op": "eq", "value": "yes"}, {"ok": True})
    assert holds({"question": "sus.q1", "op": "gte", "value": 4}, {"sus.q1": "5"})
    assert holds({"question": "sus.q1", "op": "gte", "value": 4}, {"sus": {"q1": 4}})
    assert holds({"question": "grid", "op": "answered"}, {"grid": {"speed": 3}})
    assert holds({"embedded": "tier", "op": "gt", "value": 100}, {}, {"tier": "250"})
    assert not holds({"embedded": "tier", "op": "gt", "value": 100}, {}, {"tier": "gold"})
    assert holds({"embedded": "tier", "op": "eq", "value": 1}, {}, {"tier": "1.0"})
    assert holds({"embedded": "tier", "op": "contains", "value": "OL"}, {}, {"tier": "gold"})
    assert holds({"embedded": "store", "op": "not_answered"}, {}, {"store": ""})
    assert holds(
        {"any": [{"question": "nps", "op": "gte", "value": 9}, {"not": {"question": "csat", "op": "answered"}}]},
        {"nps": 3},
    )


# --- option order --------------------------------------------------------------------------------------------


def test_choice_order_is_deterministic_per_seed_and_fixed_options_stay(spec: ss.SurveySpec) -> None:
    q = spec.question("channels")
    orders = {tuple(o.key for o in ss.choice_order(q, seed=f"response-{n}")) for n in range(40)}
    assert len(orders) > 5  # really shuffled
    for order in orders:
        assert order[4:] == ("other", "none")  # fixed options keep their positions
        assert sorted(order[:4]) == ["email", "phone", "web", "wechat"]
    first = [o.key for o in ss.choice_order(q, seed="r-1")]
    assert [o.key for o in ss.choice_order(q, seed="r-1")] == first
    plan = spec.question("plan")
    assert ss.choice_order(plan, seed="r-1") == list(plan.options)  # not randomised


def test_fixed_option_in_the_middle_keeps_its_index() -> None:
    options = [{"key": k, "text": k} for k in "abcdef"]
    options[2]["fixed"] = True  # type: ignore[assignment]
    spec = ss.parse(
        {
            "title": "t",
            "pages": [
                {"questions": [{"key": "q", "type": "dropdown", "text": "q", "randomize": True, "options": options}]}
            ],
        }
    )
    for n in range(20):
        assert ss.choice_order(spec.question("q"), seed=str(n))[2].key == "c"


def test_matrix_rows_can_be_randomised_but_sus_never_is() -> None:
    raw = definition()
    raw["pages"][0]["questions"][3]["randomize"] = True
    raw["pages"][0]["questions"][3]["items"] = [{"key": f"r{n}", "text": f"row {n}"} for n in range(8)]
    spec = ss.parse(raw)
    orders = {tuple(i.key for i in ss.item_order(spec.question("grid"), seed=str(n))) for n in range(10)}
    assert len(orders) > 1
    assert [i.key for i in ss.item_order(spec.question("sus"), seed="x")] == [f"q{n}" for n in range(1, 11)]


# --- answers -------------------------------------------------------------------------------------------------


def full_answers() -> dict[str, Any]:
    return {
        "nps": "3",
        "csat": 4,
        "sus": {f"q{n}": (n % 5) + 1 for n in range(1, 11)},
        "grid.speed": "2",
        "grid.price": 5,
        "reason": "  Too slow\r\nand pricey  ",
        "channels": ["other", "wechat"],
        "channels.specify": " Weibo ",
        "plan": "pro",
        "ok": "no",
        "ease": "5",
        "contact": "on",
    }


def test_validate_answers_normalises_into_rows(spec: ss.SurveySpec) -> None:
    rows = ss.validate_answers(spec, full_answers(), embedded={"tier": "gold"})
    by_key = {r.key: r for r in rows}
    assert [r.key for r in rows] == [
        "nps", "csat", *[f"sus.q{n}" for n in range(1, 11)], "grid.speed", "grid.price",
        "reason", "channels", "plan", "ok", "ease", "contact",
    ]  # fmt: skip
    assert by_key["nps"] == AnswerRow("nps", 3.0, (), "")
    assert by_key["sus.q1"] == AnswerRow("sus.q1", 2.0)
    assert by_key["grid.speed"].number == 2.0
    assert by_key["reason"] == AnswerRow("reason", None, (), "Too slow\nand pricey")
    assert by_key["channels"] == AnswerRow("channels", None, ("wechat", "other"), "Weibo")  # option order
    assert by_key["plan"].choices == ("pro",)
    assert by_key["ok"].choices == ("no",)
    assert by_key["contact"].choices == ("yes",)
    assert by_key["ease"].number == 5.0


def test_string_nine_becomes_number_nine(spec: ss.SurveySpec) -> None:
    rows = ss.validate_answers(spec, {"nps": "9"}, complete=False)
    assert rows == [AnswerRow("nps", 9.0)]
    assert isinstance(rows[0].number, float)
    assert ss.validate_answers(spec, {"nps": "９"}, complete=False)[0].number == 9.0  # full-width digit
    assert ss.validate_answers(spec, {"nps": 9.0}, complete=False)[0].number == 9.0


@pytest.mark.parametrize(
    ("answers", "path", "message"),
    [
        ({"nps": 11}, "answers.nps", "NPS answer 11 is outside 0..10"),
        ({"nps": "11"}, "answers.nps", "NPS answer 11 is outside 0..10"),
        ({"nps": -1}, "answers.nps", "NPS answer -1 is outside 0..10"),
        ({"nps": 9.5}, "answers.nps", "NPS answer 9.5 is not a whole number"),
        ({"nps": "nine"}, "answers.nps", "NPS answer 'nine' is not a number"),
        ({"nps": True}, "answers.nps", "NPS answer True is not a number"),
        ({"nps": ["9"]}, "answers.nps", "NPS answer must be a single number, not list ['9']"),
        ({"nps": float("nan")}, "answers.nps", "NPS answer nan is not a number"),
        ({"nps": 10**400}, "answers.nps", "NPS answer a very large number is outside 0..10"),
        ({"csat": 0}, "answers.csat", "CSAT answer 0 is outside 1..5"),
        ({"foo": 1}, "answers.foo", "unknown question"),
        ({"sus.q11": 3}, "answers.sus.q11",
         "unknown item 'q11' of 'sus' (items: q1, q2, q3, q4, q5, q6, q7, q8, q9, q10)"),
        ({"sus": {"q1": 6}}, "answers.sus.q1", "SUS answer 6 is outside 1..5"),
        ({"sus": [1, 2]}, "answers.sus", "must map each item to a number, not [1, 2]"),
        ({"plan": "max"}, "answers.plan",
         "Single-choice answer 'max' is not an option of 'plan' (options: basic, pro)"),
        ({"plan": ["pro"]}, "answers.plan", "Single-choice answer must be one option key, not a list ['pro']"),
        ({"plan.specify": "x"}, "answers.plan.specify", "unknown item 'specify' of 'plan'"),
        ({"ok": "maybe"}, "answers.ok", "Yes/no answer 'maybe' is not yes or no"),
        ({"ease": 6}, "answers.ease", "Rating answer 6 is outside 1..5"),
        ({"reason": 5}, "answers.reason", "Text answer must be text, not int 5"),
        ({"reason": "x" * 10_001}, "answers.reason", "text is 10,001 characters, over the limit of 10,000"),
        ({"channels": ["phone", "fax"]}, "answers.channels",
         "Multi-choice answer 'fax' is not an option of 'channels' (options: wechat, phone, email, web, other, none)"),
        ({"channels": ["phone", "web", "email"]}, "answers.channels", "choose at most 2 options (got 3)"),
        ({"channels": ["phone", "none"]}, "answers.channels",
         "option 'none' of 'channels' cannot be combined with other options"),
        ({"channels": ["other"], "channels.specify": "x" * 1001}, "answers.channels.specify",
         "text is 1,001 characters, over the limit of 1,000"),
    ],
)
def test_invalid_answers(spec: ss.SurveySpec, answers: dict[str, Any], path: str, message: str) -> None:
    answers = {"nps": 3, **answers}
    problems = answer_problems(spec, answers, complete=False)
    assert Problem(path, message) in problems, [str(p) for p in problems]


def test_all_answer_problems_are_collected(spec: ss.SurveySpec) -> None:
    with pytest.raises(AnswerError) as info:
        ss.validate_answers(spec, {"nps": 11, "foo": 1, "csat": "x"})
    # nps is invalid, so counts as unanswered: the detractor follow-up stays hidden, the last page is reached.
    assert paths(info.value.problems) == [
        "answers.foo", "answers.nps", "answers.csat", "answers.grid", "answers.contact"
    ]  # fmt: skip
    assert str(info.value).startswith("5 problems in the answers:\n- answers.foo: unknown question")


def test_required_questions_when_complete(spec: ss.SurveySpec) -> None:
    problems = answer_problems(spec, {"nps": 3})
    assert [str(p) for p in problems] == [
        "answers.grid: 'grid' is required but not answered",
        "answers.reason: 'reason' is required but not answered",
        "answers.contact: 'contact' is required but not answered",
    ]
    # Partial saves do not check required questions...
    assert ss.validate_answers(spec, {"nps": 3}, complete=False) == [AnswerRow("nps", 3.0)]
    # ...and `pages` limits the check to the page being saved.
    problems = answer_problems(spec, {"nps": 3}, pages=[0])
    assert paths(problems) == ["answers.grid"]
    assert ss.validate_answers(spec, {"nps": 3, "grid": {"speed": 1, "price": 2}}, pages=[0])
    # A required matrix needs every row.
    problems = answer_problems(spec, {"nps": 3, "grid": {"speed": 1}}, pages=[0])
    assert [str(p) for p in problems] == ["answers.grid.price: item 'price' of 'grid' is not answered"]
    # A partly answered SUS is incomplete even though it is optional.
    problems = answer_problems(spec, {"nps": 3, "grid.speed": 1, "grid.price": 1, "sus.q1": 3}, pages=[0])
    assert paths(problems) == [f"answers.sus.q{n}" for n in range(2, 11)]


def test_required_but_hidden_question_is_not_required(spec: ss.SurveySpec) -> None:
    answers = {k: v for k, v in full_answers().items() if k not in ("reason", "sus")}
    answers["nps"] = 8  # 'reason' (required) is shown to detractors only
    rows = ss.validate_answers(spec, answers)
    assert "reason" not in {r.key for r in rows}
    # Promoters skip to the end: the required consent on the last page is not asked.
    assert ss.validate_answers(spec, {"nps": 10, "grid": {"speed": 1, "price": 1}}) == [
        AnswerRow("nps", 10.0),
        AnswerRow("grid.speed", 1.0),
        AnswerRow("grid.price", 1.0),
    ]


def test_answers_to_hidden_questions_are_refused(spec: ss.SurveySpec) -> None:
    answers = full_answers() | {"nps": 8}
    assert [str(p) for p in answer_problems(spec, answers)] == [
        "answers.reason: question 'reason' was not shown to this respondent"
    ]
    answers = {"nps": 10, "grid": {"speed": 1, "price": 1}, "plan": "pro"}  # page 2 skipped
    assert paths(answer_problems(spec, answers)) == ["answers.plan"]
    # prune_answers drops what no longer counts (a respondent went back and changed the score).
    assert ss.prune_answers(spec, answers) == {"nps": 10, "grid": {"speed": 1, "price": 1}}
    assert ss.prune_answers(spec, {"nps": 3, "plan": "pro", "foo": 1}) == {"nps": 3, "plan": "pro"}


def test_empty_values_count_as_not_answered(spec: ss.SurveySpec) -> None:
    rows = ss.validate_answers(
        spec,
        {"nps": 3, "csat": "", "reason": "   ", "channels": ["", ""], "plan": None, "sus": {}, "grid.speed": ""},
        complete=False,
    )
    assert rows == [AnswerRow("nps", 3.0)]
    assert ss.is_empty("  ") and ss.is_empty([]) and not ss.is_empty(0) and not ss.is_empty(False)


def test_text_is_cleaned(spec: ss.SurveySpec) -> None:
    rows = ss.validate_answers(spec, {"nps": 1, "reason": "e\u0301\x00 ok\r\n"}, complete=False)
    assert rows[1].text == "\u00e9 ok"  # NFC, no NUL (PostgreSQL refuses it), trimmed
    exactly = "字" * 10_000
    rows = ss.validate_answers(spec, {"nps": 1, "reason": exactly}, complete=False)
    assert rows[1].text == exactly


def test_multi_choice_min_max_and_exclusive(spec: ss.SurveySpec) -> None:
    base = {"nps": 3}
    assert ss.validate_answers(spec, base | {"channels": "phone"}, complete=False)[1].choices == ("phone",)
    assert ss.validate_answers(spec, base | {"channels": ["none"]}, complete=False)[1].choices == ("none",)
    assert ss.validate_answers(spec, base | {"channels": ["web", "web"]}, complete=False)[1].choices == ("web",)
    raw = definition()
    raw["pages"][1]["questions"][1]["min_choices"] = 2
    spec2 = ss.parse(raw)
    assert [str(p) for p in answer_problems(spec2, base | {"channels": ["web"]}, complete=False)] == [
        "answers.channels: choose at least 2 options (got 1)"
    ]
    assert ss.validate_answers(spec2, base | {"channels": ["none"]}, complete=False)  # exclusive alone is enough
    # Specify text for an option that was not chosen is dropped.
    rows = ss.validate_answers(spec, base | {"channels": ["web"], "channels.specify": "x"}, complete=False)
    assert rows[1] == AnswerRow("channels", None, ("web",), "")


def test_consent(spec: ss.SurveySpec) -> None:
    answers = full_answers()
    for value in (True, "yes", "on", "true", "1"):
        assert ss.validate_answers(spec, answers | {"contact": value})[-1].choices == ("yes",)
    for value in (False, "no"):
        problems = answer_problems(spec, answers | {"contact": value})
        assert [str(p) for p in problems] == ["answers.contact: consent is required: 'no' is not accepted"]
    raw = definition()
    raw["pages"][2]["questions"][1]["required"] = False
    optional = ss.parse(raw)
    assert ss.validate_answers(optional, answers | {"contact": False})[-1].choices == ("no",)


def test_answers_must_be_a_mapping(spec: ss.SurveySpec) -> None:
    problems = answer_problems(spec, ["nps"], complete=False)  # type: ignore[arg-type]
    assert problems == [Problem("answers", "answers must be a mapping, not list")]


def test_validate_embedded(spec: ss.SurveySpec) -> None:
    assert ss.validate_embedded(spec, {"store": " SH01 ", "tier": 3, "utm_source": "mail"}) == {
        "store": "SH01",
        "tier": "3",
    }
    with pytest.raises(AnswerError) as info:
        ss.validate_embedded(spec, {"store": "x" * 1001, "tier": ""}, source="link")
    assert [str(p) for p in info.value.problems] == [
        "embedded.store: value is 1,001 characters, over the limit of 1,000",
        "embedded.tier: embedded field 'tier' is required but missing",
    ]
    with pytest.raises(AnswerError) as info:
        ss.validate_embedded(spec, {"store": "SH01", "tier": "gold"}, source="api")
    assert [str(p) for p in info.value.problems] == ["embedded.store: may only come from the link, not from the api"]
    assert ss.validate_embedded(spec, {}, complete=False) == {}


def test_spec_is_not_changed_by_validation(spec: ss.SurveySpec) -> None:
    before = copy.deepcopy(ss.to_dict(spec))
    answers = full_answers()
    frozen = copy.deepcopy(answers)
    ss.validate_answers(spec, answers)
    assert answers == frozen and ss.to_dict(spec) == before


# --- robustness: arbitrary JSON never crashes the parser or the answer validator ------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def _slots(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a definition where a value can be swapped."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _slots(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _slots(value, (*path, index))
    return found


SLOTS = _slots(definition())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slot=st.sampled_from(SLOTS), value=json_values, extra=st.sampled_from(SLOTS), extra_value=json_values)
def test_any_corruption_is_a_spec_error_or_a_valid_spec(slot: Any, value: Any, extra: Any, extra_value: Any) -> None:
    raw = definition()
    for path, new in ((slot, value), (extra, extra_value)):
        node: Any = raw
        try:
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = new
        except (KeyError, IndexError, TypeError):
            continue  # an earlier swap removed this place
    try:
        spec = ss.parse(raw)
    except SpecError as error:
        assert error.problems and all(isinstance(p, Problem) for p in error.problems)
        return
    assert ss.parse(ss.to_dict(spec)) == spec
    assert ss.loads(ss.dumps(spec)) == spec


@settings(max_examples=300, deadline=None)
@given(answers=st.dictionaries(st.sampled_from(["nps", "sus", "sus.q1", "grid", "grid.speed", "reason", "channels",
                                                "channels.specify", "plan", "ok", "ease", "contact", "x.y"]),
                               json_values, max_size=6),
       complete=st.booleans())
def test_any_answers_give_rows_or_an_answer_error(answers: dict[str, Any], complete: bool) -> None:
    spec = ss.parse(definition())
    try:
        rows = ss.validate_answers(spec, answers, complete=complete)
    except AnswerError as error:
        assert error.problems and all(p.path.startswith("answers") for p in error.problems)
        return
    for row in rows:
        assert isinstance(row, AnswerRow) and (row.number is None or isinstance(row.number, float))
    ss.visible_questions(spec, 1, answers=answers)
    ss.next_page(spec, 0, answers=answers)


def test_yaml_keeps_a_text_ending_in_a_next_line_character() -> None:
    """Found by the property test above: PyYAML wrote '0\\x85' unescaped and read back '0 '."""
    raw = definition()
    raw["title"] = {"en": "0\x85", "zh-hans": "满意度\u2028调查"}
    spec = ss.parse(raw)
    assert ss.loads(ss.dumps(spec)) == spec
