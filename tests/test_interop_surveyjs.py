"""SurveyJS JSON both ways (core.interop.surveyjs): a hand-written SurveyJS survey read into cxloop's model with
every loss noted, and every cxloop template written out and read back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxloop.core.interop import CHANGED, DROPPED, InteropError, Note
from cxloop.core.interop.surveyjs import dump_surveyjs, expression, parse_surveyjs
from cxloop.core.survey_spec import condition_to_dict, parse
from cxloop.core.survey_templates import TEMPLATES, template

DATA = Path(__file__).parent / "data" / "surveyjs_feedback.json"


@pytest.fixture(scope="module")
def imported():
    return parse_surveyjs(DATA.read_bytes())


def _load(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def test_survey_name_languages_and_texts(imported):
    spec = imported.spec
    assert imported.source == "surveyjs"
    assert imported.name == "门店到访反馈"  # the survey's locale zh-cn is the default language
    assert spec.default_language == "zh-hans"
    assert spec.languages == ("zh-hans", "en")
    assert spec.title == {"zh-hans": "门店到访反馈", "en": "Store visit feedback"}
    assert spec.intro == {"zh-hans": "感谢您光临 {{embedded:store}} 门店。",
                          "en": "Thank you for visiting store {{embedded:store}}."}
    assert spec.thank_you == {"zh-hans": "谢谢！\n我们会认真阅读每一条反馈。",
                              "en": "Thank you!\nWe read every answer."}
    assert [e.key for e in spec.embedded] == ["store", "member"]
    assert [p.key for p in spec.pages] == ["page1", "page2"]
    assert spec.pages[1].title["en"] == "Score {{answer:likely_recommend}}: tell us more"


def test_questions_types_and_options(imported):
    spec = imported.spec
    got = [(q.key, q.type) for q in spec.questions()]
    assert got == [
        ("likely_recommend", "nps"),
        ("visit_purpose", "single_choice"),
        ("departments", "multi_choice"),
        ("low_reason", "open_text"),
        ("staff", "matrix"),
        ("found_all", "yes_no"),
        ("missing_item", "open_text"),
        ("email", "open_text"),
        ("age_group", "dropdown"),
        ("smile", "rating"),
    ]
    nps = spec.question("likely_recommend")
    assert nps.required and nps.labels[0] == {"zh-hans": "完全不可能", "en": "Not at all likely"}
    purpose = spec.question("visit_purpose")
    assert [o.key for o in purpose.options] == ["buy", "return_exchange", "browse", "other"]
    assert purpose.options[1].text == {"zh-hans": "退换货", "en": "Return or exchange"}
    other = purpose.options[3]
    assert other.specify and other.fixed and other.text == {"zh-hans": "其他", "en": "Something else"}
    departments = spec.question("departments")
    assert [o.key for o in departments.options] == ["food", "home", "beauty", "none"]
    assert departments.options[3].exclusive and departments.options[3].text["zh-hans"] == "都没有"
    assert departments.randomize and departments.max_choices == 2
    low = spec.question("low_reason")
    assert low.multiline and low.max_length == 2000
    staff = spec.question("staff")
    assert (staff.scale_min, staff.scale_max) == (1, 3) and staff.required
    assert [(i.key, i.text["en"]) for i in staff.items] == [("friendly", "Staff were friendly"),
                                                           ("knowledgeable", "Staff knew the products")]
    assert staff.labels[2] == {"zh-hans": "一般", "en": "Neutral"}
    found = spec.question("found_all")
    assert [(o.key, o.text["zh-hans"]) for o in found.options] == [("yes", "找到了"), ("no", "没找到")]
    assert not spec.question("missing_item").multiline
    assert [o.key for o in spec.question("age_group").options] == ["18_29", "30_44", "45"]
    smile = spec.question("smile")
    assert (smile.scale_min, smile.scale_max, smile.style) == (1, 5, "stars")


def test_conditions(imported):
    spec = imported.spec

    def cond(key):
        q = spec.question(key)
        return condition_to_dict(q.display_if) if q.display_if is not None else None

    assert cond("departments") == {"question": "visit_purpose", "op": "in", "value": ["buy", "browse"]}
    assert cond("low_reason") == {"all": [{"question": "likely_recommend", "op": "lte", "value": 6},
                                          {"question": "departments", "op": "answered"}]}
    # the panel's visibleIf became its questions' condition
    assert cond("staff") == {"question": "visit_purpose", "op": "neq", "value": "browse"}
    assert cond("found_all") == {"question": "visit_purpose", "op": "neq", "value": "browse"}
    assert cond("missing_item") == {"question": "found_all", "op": "eq", "value": "no"}
    assert cond("email") == {"any": [{"embedded": "member", "op": "eq", "value": "yes"},
                                     {"question": "staff.friendly", "op": "gte", "value": 2}]}
    assert cond("age_group") is None  # age() is a function: noted below


def test_columns_and_codes(imported):
    assert imported.columns["visit_purpose-Comment"] == "visit_purpose.specify"
    assert imported.columns["staff.Knowledgeable"] == "staff.knowledgeable"
    assert imported.columns["missing item"] == "missing_item"
    assert imported.codes["visit_purpose"] == {"buy": "buy", "Return / exchange": "return_exchange",
                                               "browse": "browse", "other": "other"}
    assert imported.codes["found_all"] == {"true": "yes", "false": "no"}


def test_notes_name_every_loss(imported):
    assert list(imported.notes) == [
        Note("trigger 1", "a 'complete' trigger (when {visit_purpose} = 'browse') was not imported: cxloop has no "
             "triggers", DROPPED),
        Note("variable 'store'", "{store} is no question of this survey: read as the embedded (hidden) value "
             "'store', which the link, widget or API must pass", CHANGED),
        Note("question 'likely_recommend'", "a 0–10 rating named or worded as the recommendation question: "
             "imported as NPS", CHANGED),
        Note("question 'visit_purpose'", "choice values renamed to fit cxloop's option keys: 'Return / exchange' "
             "→ return_exchange", CHANGED),
        Note("question 'divider'", "an HTML block (static content): cxloop has no equivalent, not imported",
             DROPPED),
        Note("panel 'staff_panel'", "the panel was flattened: its 2 element(s) are placed on the page directly "
             "(its title and description are not kept)", CHANGED),
        Note("question 'staff'", "required in SurveyJS (any row); cxloop requires every row of a required matrix",
             CHANGED),
        Note("question 'missing item'", "its name is not a valid cxloop key: imported as 'missing_item'", CHANGED),
        Note("question 'email'", "a text input of type 'email': imported as single-line text (the email format "
             "check is lost)", CHANGED),
        Note("variable 'member'", "{member} is no question of this survey: read as the embedded (hidden) value "
             "'member', which the link, widget or API must pass", CHANGED),
        Note("question 'age_group'", "choice values renamed to fit cxloop's option keys: '18-29' → 18_29, "
             "'30-44' → 30_44, '45+' → 45", CHANGED),
        Note("question 'age_group'", "its visibleIf 'age({birthdate}) > 18' was not imported (the function age() "
             "is not supported): the question is always shown", DROPPED),
        Note("question 'receipt'", "a file upload: cxloop has no equivalent, not imported", DROPPED),
        Note("question 'priorities'", "a ranking question: cxloop has no equivalent, not imported", DROPPED),
        Note("completedHtml", "the thank-you page is HTML: imported as plain text (formatting, links and images "
             "dropped)", CHANGED),
        Note("locale 'de'", "texts in this language were not imported (cxloop has zh-hans, zh-hant and en)",
             DROPPED),
    ]


def test_plain_strings_in_chinese_without_locale():
    doc = {
        "title": "满意度调查",
        "elements": [
            {"type": "rating", "name": "sat", "title": "整体满意度", "rateValues": [
                {"value": 1, "text": "很差"}, 2, 3, 4, {"value": 5, "text": "很好"}]},
            {"type": "text", "name": "why", "title": "原因", "visibleIf": "{sat} anyof [1, 2]"},
            {"type": "comment", "name": "more", "title": "还有吗", "visibleIf": "{sat} + 1 > 3"},
        ],
    }
    imported = parse_surveyjs(_load(doc))
    spec = imported.spec
    assert spec.default_language == "zh-hans" and spec.languages == ("zh-hans",)
    sat = spec.question("sat")
    assert sat.type == "rating" and sat.labels == {1: {"zh-hans": "很差"}, 5: {"zh-hans": "很好"}}
    assert condition_to_dict(spec.question("why").display_if) == {"question": "sat", "op": "in", "value": [1, 2]}
    assert spec.question("more").display_if is None
    assert [n.what for n in imported.notes] == [
        "texts without a language are Chinese: read as zh-hans (simplified Chinese)",
        "its visibleIf '{sat} + 1 > 3' was not imported (arithmetic is not supported): the question is always "
        "shown",
    ]


def test_conditions_on_later_or_dropped_questions_are_noted():
    doc = {"pages": [{"name": "p", "elements": [
        {"type": "radiogroup", "name": "a", "choices": ["x", "y"], "visibleIf": "{b} = 'x'"},
        {"type": "radiogroup", "name": "b", "choices": ["x", "y"], "visibleIf": "{a} = 'z' or {a} contains 'x'"},
        {"type": "checkbox", "name": "c", "choices": ["x", "y"], "visibleIf": "{a} = 'x' and !({a} = 'y')"},
        {"type": "comment", "name": "d", "visibleIf": "{c} allof ['x', 'y'] or {c} notcontains 'y'"},
    ]}], "title": "T"}
    imported = parse_surveyjs(_load(doc))
    spec = imported.spec
    assert spec.question("a").display_if is None and spec.question("b").display_if is None
    assert condition_to_dict(spec.question("c").display_if) == {
        "all": [{"question": "a", "op": "eq", "value": "x"}, {"not": {"question": "a", "op": "eq", "value": "y"}}]}
    assert condition_to_dict(spec.question("d").display_if) == {"any": [
        {"all": [{"question": "c", "op": "contains", "value": "x"}, {"question": "c", "op": "contains", "value": "y"}]},
        {"not": {"question": "c", "op": "contains", "value": "y"}}]}
    assert [(n.where, n.what) for n in imported.notes] == [
        ("question 'a'", "its visibleIf \"{b} = 'x'\" was not imported ('b' is not an earlier question that was "
         "imported): the question is always shown"),
        ("question 'b'", "its visibleIf \"{a} = 'z' or {a} contains 'x'\" was not imported ('z' is not a choice of "
         "'a'): the question is always shown"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<survey/>", "not JSON: line 1, column 1"),
        (b"[1, 2]", "a SurveyJS survey is a JSON object"),
        (b'{"title": "x"}', "not a SurveyJS survey: it has no pages"),
        (b'{"pages": [{"elements": [{"type": "html", "name": "h"}]}]}', "no question of this SurveyJS survey"),
        (b"", "is empty"),
        (b"\xff\xfe{", "not UTF-8"),
        (b'{"pages": NaN}', "not JSON: NaN is not allowed"),
    ],
)
def test_malformed_input(data, message):
    with pytest.raises(InteropError, match=message.replace("(", r"\(")):
        parse_surveyjs(data)


def test_too_large():
    with pytest.raises(InteropError, match="over the limit of 50 MB"):
        parse_surveyjs(b" " * (50 * 1024 * 1024 + 1))


def test_deep_nesting_is_refused_cleanly():
    with pytest.raises(InteropError, match="not JSON"):
        parse_surveyjs(b"[" * 100_000 + b"]" * 100_000)


# --- writing ---------------------------------------------------------------------------------------------------


def test_dump_nps_template():
    spec = parse(template("nps"))
    doc, notes = dump_surveyjs(spec)
    assert doc["locale"] == "zh-cn"
    assert doc["title"] == {"default": "We value your feedback", "zh-cn": "您的意见对我们很重要",
                            "zh-tw": "您的意見對我們很重要"}
    nps = doc["pages"][0]["elements"][0]
    assert nps["type"] == "rating" and nps["cxloopType"] == "nps" and (nps["rateMin"], nps["rateMax"]) == (0, 10)
    assert nps["isRequired"] is True
    reason = doc["pages"][1]
    assert reason["title"]["default"] == "Your score: {nps}"
    assert reason["elements"][1]["visibleIf"] == "{nps} >= 7 and {nps} <= 8"
    assert reason["elements"][1]["type"] == "comment" and reason["elements"][1]["maxLength"] == 5000
    consent = reason["elements"][3]
    assert (consent["type"], consent["valueTrue"], consent["valueFalse"]) == ("boolean", "yes", "no")
    assert notes == [Note("survey", "its name and description (shown in cxloop's admin only) are not part of the "
                          "SurveyJS survey", CHANGED)]


def test_dump_skip_rules_and_expressions():
    spec = parse({
        "title": "T", "default_language": "en",
        "embedded": ["store"],
        "pages": [
            {"key": "a", "questions": [
                {"key": "ch", "type": "multi_choice", "text": "Pick", "options": [
                    {"key": "x", "text": "X"}, {"key": "y", "text": "Y"}]},
                {"key": "t", "type": "open_text", "text": "Why", "multiline": False,
                 "display_if": {"any": [{"not": {"question": "ch", "op": "contains", "value": "x"}},
                                        {"all": [{"embedded": "store", "op": "in", "value": ["SH01", "O'Neil"]},
                                                 {"question": "ch", "op": "not_answered"}]}]}}],
             "skip": [{"if": {"question": "ch", "op": "contains", "value": "y"}, "to": "end"}]},
            {"key": "b", "questions": [{"key": "r", "type": "rating", "text": "R", "scale_min": 0, "scale_max": 4,
                                        "labels": {2: "Mid"}}]},
        ],
    })
    doc, notes = dump_surveyjs(spec)
    assert "locale" not in doc and doc["title"] == "T"
    text_q = doc["pages"][0]["elements"][1]
    assert text_q["type"] == "text"
    assert text_q["visibleIf"] == "(!({ch} contains 'x')) or ({store} anyof ['SH01', 'O\\'Neil'] and {ch} empty)"
    assert doc["pages"][1]["elements"][0]["rateValues"] == [0, 1, {"value": 2, "text": "Mid"}, 3, 4]
    assert notes == [
        Note("embedded field 'store'", "SurveyJS has no declared hidden values: conditions and texts refer to it as "
             "the variable {store}; set it with survey.setVariable('store', …)", CHANGED),
        Note("page 'a'", "its skip rule to the end (when {ch} contains 'y') was not written: SurveyJS has no page "
             "skip", DROPPED),
    ]
    back = parse_surveyjs(_load(doc))
    assert condition_to_dict(back.spec.question("t").display_if) == condition_to_dict(spec.question("t").display_if)
    assert back.spec.question("r").labels == {2: {"en": "Mid"}}


def test_expression_of_every_op():
    spec = parse({"title": "T", "default_language": "en", "pages": [{"questions": [
        {"key": "n", "type": "nps", "text": "N"},
        {"key": "m", "type": "open_text", "text": "M", "display_if": {"all": [
            {"question": "n", "op": "neq", "value": 5}, {"question": "n", "op": "lt", "value": 3},
            {"question": "n", "op": "gt", "value": 1}, {"question": "n", "op": "not_in", "value": [2]},
            {"question": "n", "op": "answered"}]}},
    ]}]})
    q = spec.question("m")
    assert q.display_if is not None
    text = expression(q.display_if)
    assert text == "{n} != 5 and {n} < 3 and {n} > 1 and {n} noneof [2] and {n} notempty"
    doc, _ = dump_surveyjs(spec)
    assert parse_surveyjs(_load(doc)).spec.question("m") == q


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_round_trips(name):
    spec = parse(template(name))
    doc, dump_notes = dump_surveyjs(spec)
    back = parse_surveyjs(json.dumps(doc, ensure_ascii=False).encode())
    assert back.name == spec.title["zh-hans"]
    assert back.spec.default_language == spec.default_language and back.spec.languages == spec.languages
    assert back.spec.title == spec.title and back.spec.intro == spec.intro
    assert back.spec.thank_you == spec.thank_you
    assert [p.key for p in back.spec.pages] == [p.key for p in spec.pages]
    assert [p.title for p in back.spec.pages] == [p.title for p in spec.pages]
    expected = spec.questions()
    if name == "ces_onboarding":  # SurveyJS puts its None item before its Other item (noted when written)
        q = spec.question("help_used")
        options = [o for o in q.options if o.key not in ("other", "none")]
        reordered = (*options, q.option("none"), q.option("other"))
        expected = [x if x.key != "help_used" else type(x)(**{**x.__dict__, "options": reordered}) for x in expected]
    assert back.spec.questions() == expected
    admin = Note("survey", "its name and description (shown in cxloop's admin only) are not part of the SurveyJS "
                 "survey", CHANGED)
    embedded = [
        Note(f"embedded field '{e.key}'", f"SurveyJS has no declared hidden values: conditions and texts refer to "
             f"it as the variable {{{e.key}}}; set it with survey.setVariable('{e.key}', …)", CHANGED)
        for e in spec.embedded
    ]
    order = [Note("question 'help_used'", "SurveyJS shows its None and Other items after the other choices: the "
                  "options are in the order docs, in_app_guide, training, support, community, none, other",
                  CHANGED)] if name == "ces_onboarding" else []
    assert dump_notes == [admin, *embedded, *order]
    # the intro of csat_support pipes the ticket id: read back as a declared embedded value
    if name == "csat_support":
        assert [e.key for e in back.spec.embedded] == ["ticket_id"]
        assert [n.where for n in back.notes] == ["variable 'ticket_id'"]
    else:
        assert back.notes == ()
