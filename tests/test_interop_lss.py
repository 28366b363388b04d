"""LimeSurvey .lss imports (core.interop.lss): the same store survey exported by LimeSurvey 3 (texts in the table
rows) and LimeSurvey 6 (``*_l10ns`` tables), plus small hand-made exports for the other question types, languages
and malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.core.interop import CHANGED, DROPPED, InteropError, Note
from cxloop.core.interop.lss import parse_lss
from cxloop.core.survey_spec import condition_to_dict

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def v6():
    return parse_lss((DATA / "limesurvey_v6.lss").read_bytes())


@pytest.fixture(scope="module")
def v3():
    return parse_lss((DATA / "limesurvey_v3.lss").read_bytes())


def _cond(spec, key):
    q = spec.question(key)
    return condition_to_dict(q.display_if) if q.display_if is not None else None


COMMON_NOTES = [
    Note("question 'Q4' (qid 104)", "a ranking question: cxloop has no equivalent, not imported", DROPPED),
    Note("question 'Q7' (qid 107)", "soft mandatory (may be skipped after a warning): imported as not required",
         CHANGED),
    Note("question 'Q8' (qid 108)", "its validation expression (\"regexMatch('/^.+@.+$/', Q8.NAOK)\") was not "
         "imported", DROPPED),
    Note("question 'Q8' (qid 108)", "its relevance '((Q7.NAOK == \"Y\" and strlen(Q6.NAOK) > 10))' was not "
         "imported (it is not a simple comparison; cxloop does not evaluate LimeSurvey expressions): the question "
         "is always shown", DROPPED),
    Note("question 'Q9' (qid 109)", "a date/time question: cxloop has no equivalent, not imported", DROPPED),
    Note("question 'Q11' (qid 111)", "a text display question: cxloop has no equivalent, not imported", DROPPED),
]


@pytest.mark.parametrize("version", ["v3", "v6"])
def test_both_versions_give_the_same_questions(version, v3, v6):
    imported = {"v3": v3, "v6": v6}[version]
    spec = imported.spec
    assert imported.source == "lss"
    assert [(q.key, q.type) for q in spec.questions()] == [
        ("q1", "single_choice"), ("q2", "rating"), ("q3", "multi_choice"),
        ("q5", "matrix"), ("q6", "open_text"), ("q7", "yes_no"), ("q8", "open_text"), ("q10", "rating"),
    ]
    assert [p.key for p in spec.pages] == ["g10", "g11"]
    assert spec.pages[1].title["zh-hans"] == "详细评价" and spec.pages[1].title["en"] == "Details"
    q1 = spec.question("q1")
    assert q1.required
    assert [(o.key, o.text["zh-hans"], o.text["en"]) for o in q1.options] == [
        ("a1", "实体门店", "In store"), ("a2", "网上商城", "Online shop"), ("a3", "电话订购", "By phone"),
        ("other", "其他方式（请注明）", "Another way (please specify)"),
    ]
    assert q1.options[3].specify and q1.options[3].fixed
    q2 = spec.question("q2")
    assert (q2.scale_min, q2.scale_max, q2.required) == (1, 5, True)
    assert q2.text == {**q2.text, "zh-hans": "您对本次购物的总体满意度如何？", "en": "How satisfied are you overall?"}
    assert q2.help["en"] == "1 is lowest, 5 is highest"
    q3 = spec.question("q3")
    assert [(o.key, o.text["en"]) for o in q3.options] == [("sq001", "Food"), ("sq002", "Clothing"),
                                                           ("sq003", "Electronics"), ("other", "Other")]
    assert q3.options[3].text["zh-hans"] == "其他" and q3.randomize and q3.max_choices == 2
    q5 = spec.question("q5")
    assert (q5.scale_min, q5.scale_max, q5.required) == (1, 5, True)
    assert [(i.key, i.text["zh-hans"]) for i in q5.items] == [("sq001", "店员服务"), ("sq002", "商品陈列"),
                                                             ("sq003", "结账速度")]
    assert q5.labels[1] == {**q5.labels[1], "zh-hans": "很不满意", "en": "Very dissatisfied"}
    assert q5.labels[5]["en"] == "Very satisfied"
    assert spec.question("q6").max_length == 2000 and spec.question("q6").multiline
    assert not spec.question("q7").required
    assert not spec.question("q8").multiline
    q10 = spec.question("q10")
    assert (q10.scale_min, q10.scale_max) == (0, 10)
    # conditions: one field ORed ("in"), two fields ANDed, the checkbox condition on Q3 option SQ001
    assert _cond(spec, "q3") == {"question": "q1", "op": "in", "value": ["a1", "a2"]}
    assert _cond(spec, "q5") == {"all": [{"question": "q2", "op": "gte", "value": 3},
                                         {"question": "q3", "op": "contains", "value": "sq001"}]}
    # no conditions rows: the simple relevance expression is translated
    assert _cond(spec, "q6") == {"question": "q2", "op": "lte", "value": 2}
    assert _cond(spec, "q8") is None
    assert spec.intro["en"] == "Thank you for taking part.\n\nIt takes about 3 minutes."
    assert spec.thank_you["zh-hans"] == "再次感谢！\n祝您购物愉快。"


def test_v6_languages_and_notes(v6):
    spec = v6.spec
    assert v6.name == "门店满意度调查"
    assert (spec.default_language, spec.languages) == ("zh-hans", ("zh-hans", "en"))
    assert spec.title == {"zh-hans": "门店满意度调查", "en": "Store satisfaction survey"}
    assert list(v6.notes) == [
        Note("language 'de'", "texts in this language were not imported (cxloop has zh-hans, zh-hant and en)",
             DROPPED),
        COMMON_NOTES[0],
        Note("group '详细评价' (gid 11)", "its description was not imported (cxloop pages have a title only)",
             DROPPED),
        *COMMON_NOTES[1:],
    ]


def test_v3_languages_and_notes(v3):
    spec = v3.spec
    assert v3.name == "Store satisfaction survey"
    assert (spec.default_language, spec.languages) == ("en", ("zh-hans", "zh-hant", "en"))
    assert spec.question("q3").options[1].text == {"zh-hans": "服装", "zh-hant": "服裝", "en": "Clothing"}
    assert list(v3.notes) == [
        COMMON_NOTES[0],
        Note("group 'Details' (gid 11)", "its description was not imported (cxloop pages have a title only)",
             DROPPED),
        *COMMON_NOTES[1:],
    ]


def test_columns_and_codes(v6):
    assert v6.columns["482917X10X101"] == "q1" and v6.columns["Q1"] == "q1"
    assert v6.columns["482917X10X101other"] == "q1.specify" and v6.columns["Q1[other]"] == "q1.specify"
    assert v6.columns["482917X10X103SQ002"] == "q3" and v6.columns["Q3[SQ002]"] == "q3"
    assert v6.columns["482917X11X105SQ003"] == "q5.sq003" and v6.columns["Q5[SQ003]"] == "q5.sq003"
    assert "Q4" not in v6.columns and "482917X11X109" not in v6.columns
    assert v6.codes["q1"] == {"A1": "a1", "A2": "a2", "A3": "a3", "-oth-": "other"}
    assert v6.codes["q3"] == {"SQ001": "sq001", "SQ002": "sq002", "SQ003": "sq003", "other": "other"}
    assert v6.codes["q7"] == {"Y": "yes", "N": "no"}


# --- small hand-made exports -------------------------------------------------------------------------------


def _lss(questions: str, *, answers: str = "", subquestions: str = "", conditions: str = "", attributes: str = "",
         base: str = "en", extra: str = "", titles: str = "") -> bytes:
    titles = titles or f"<row><surveyls_language>{base}</surveyls_language><surveyls_title>Mini</surveyls_title></row>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<document><LimeSurveyDocType>Survey</LimeSurveyDocType><DBVersion>359</DBVersion>
<surveys><rows><row><sid>111</sid><language>{base}</language><additional_languages>{extra}</additional_languages>
</row></rows></surveys>
<surveys_languagesettings><rows>{titles}</rows></surveys_languagesettings>
<groups><rows><row><gid>1</gid><group_order>0</group_order><group_name>G</group_name><language>{base}</language>
</row></rows></groups>
<questions><rows>{questions}</rows></questions>
<subquestions><rows>{subquestions}</rows></subquestions>
<answers><rows>{answers}</rows></answers>
<conditions><rows>{conditions}</rows></conditions>
<question_attributes><rows>{attributes}</rows></question_attributes>
</document>""".encode()


def _q(qid: str, letter: str, code: str, text: str, *, lang: str = "en", order: str = "1", other: str = "N",
       relevance: str = "1", mandatory: str = "N") -> str:
    return (f"<row><qid>{qid}</qid><parent_qid>0</parent_qid><gid>1</gid><type>{letter}</type><title>{code}</title>"
            f"<question><![CDATA[{text}]]></question><other>{other}</other><mandatory>{mandatory}</mandatory>"
            f"<question_order>{order}</question_order><language>{lang}</language>"
            f"<relevance><![CDATA[{relevance}]]></relevance></row>")


def _sub(qid: str, parent: str, code: str, text: str, order: str) -> str:
    return (f"<row><qid>{qid}</qid><parent_qid>{parent}</parent_qid><gid>1</gid><type>T</type><title>{code}</title>"
            f"<question>{text}</question><question_order>{order}</question_order><language>en</language></row>")


def _a(qid: str, code: str, text: str, order: str) -> str:
    return (f"<row><qid>{qid}</qid><code>{code}</code><answer>{text}</answer><sortorder>{order}</sortorder>"
            "<language>en</language><scale_id>0</scale_id></row>")


def test_other_types_and_relevance_forms():
    data = _lss(
        _q("1", "G", "Gender", "Your gender?")
        + _q("2", "!", "Region", "Region", order="2")
        + _q("3", "F", "Arr", "Rate", order="3")
        + _q("4", "B", "Ten", "Ten points", order="4", relevance='Region.NAOK == "N" || Gender == "F"')
        + _q("5", "N", "Age", "Age", order="5")
        + _q("6", "K", "Nums", "Numbers", order="6")
        + _q("7", "T", "Why", "Why", order="7", relevance="Arr_R1.NAOK >= 2 and Ten_X2.NAOK < 9")
        + _q("8", "A", "Five", "Five", order="8", mandatory="Y"),
        answers=_a("2", "N", "North", "1") + _a("2", "S", "South", "2") + _a("3", "good", "Good", "1")
        + _a("3", "ok", "OK", "2") + _a("3", "bad", "Bad", "3"),
        subquestions=_sub("31", "3", "R1", "Row 1", "1") + _sub("32", "3", "R2", "Row 2", "2")
        + _sub("41", "4", "X1", "X one", "1") + _sub("42", "4", "X2", "X two", "2")
        + _sub("81", "8", "Y1", "Y one", "1"),
        attributes="<row><qid>5</qid><attribute>min_num_value_n</attribute><value>18</value></row>",
    )
    imported = parse_lss(data)
    spec = imported.spec
    assert [(q.key, q.type) for q in spec.questions()] == [
        ("gender", "single_choice"), ("region", "dropdown"), ("arr", "matrix"), ("ten", "matrix"),
        ("why", "open_text"), ("five", "matrix"),
    ]
    assert [(o.key, o.text["en"]) for o in spec.question("gender").options] == [("female", "Female"), ("male", "Male")]
    arr = spec.question("arr")
    assert (arr.scale_min, arr.scale_max) == (1, 3) and arr.labels == {1: {"en": "Good"}, 2: {"en": "OK"},
                                                                         3: {"en": "Bad"}}
    assert imported.codes["arr"] == {"good": "1", "ok": "2", "bad": "3"}
    assert (spec.question("ten").scale_min, spec.question("ten").scale_max) == (1, 10)
    assert _cond(spec, "ten") == {"any": [{"question": "region", "op": "eq", "value": "n"},
                                          {"question": "gender", "op": "eq", "value": "female"}]}
    assert _cond(spec, "why") == {"all": [{"question": "arr.r1", "op": "gte", "value": 2},
                                          {"question": "ten.x2", "op": "lt", "value": 9}]}
    assert spec.question("five").required
    assert [(n.where, n.what) for n in imported.notes] == [
        ("question 'Arr' (qid 3)", "its answer codes are not the numbers 1..3: numbered in order ('good' → 1, "
         "'ok' → 2, 'bad' → 3)"),
        ("question 'Age' (qid 5)", "a numerical input (18..no maximum): only a whole-number range 0 or 1 up to at "
         "most 10 can be a cxloop rating, not imported"),
        ("question 'Nums' (qid 6)", "a multiple numerical input question: cxloop has no equivalent, not imported"),
    ]


def test_conditions_that_cannot_be_represented():
    data = _lss(
        _q("1", "L", "Q1", "First") + _q("2", "T", "Q2", "Second", order="2") + _q("3", "S", "Q3", "Third", order="3"),
        answers=_a("1", "A1", "One", "1") + _a("1", "A2", "Two", "2"),
        conditions=(
            "<row><cid>1</cid><qid>2</qid><cqid>1</cqid><cfieldname>111X1X1</cfieldname><method>RX</method>"
            "<value>A.*</value><scenario>1</scenario></row>"
            "<row><cid>2</cid><qid>3</qid><cqid>1</cqid><cfieldname>111X1X1</cfieldname><method>==</method>"
            "<value>A9</value><scenario>1</scenario></row>"
            "<row><cid>3</cid><qid>1</qid><cqid>3</cqid><cfieldname>111X1X3</cfieldname><method>==</method>"
            "<value>x</value><scenario>1</scenario></row>"
        ),
    )
    imported = parse_lss(data)
    assert all(q.display_if is None for q in imported.spec.questions())
    assert [(n.where, n.what) for n in imported.notes] == [
        ("conditions of question 'Q1' (qid 1)", "not imported (qid 3 is not an earlier question that was "
         "imported): the question is always shown"),
        ("conditions of question 'Q2' (qid 2)", "not imported (the comparison 'RX' is not supported): the "
         "question is always shown"),
        ("conditions of question 'Q3' (qid 3)", "not imported ('A9' is not an answer code of 'Q1'): the question "
         "is always shown"),
    ]


def test_german_base_language_is_imported_as_english():
    titles = ("<row><surveyls_language>de</surveyls_language><surveyls_title>Umfrage</surveyls_title></row>"
              "<row><surveyls_language>zh-Hans</surveyls_language><surveyls_title>调查</surveyls_title></row>")
    data = _lss(_q("1", "T", "Q1", "Warum?", lang="de") + _q("1", "T", "Q1", "为什么？", lang="zh-Hans"),
                base="de", extra="zh-Hans", titles=titles)
    imported = parse_lss(data)
    spec = imported.spec
    assert imported.name == "Umfrage"
    assert (spec.default_language, spec.languages) == ("en", ("zh-hans", "en"))
    assert spec.question("q1").text == {"zh-hans": "为什么？", "en": "Warum?"}
    assert imported.notes[0] == Note("language 'de'", "the base language 'de' is not a cxloop language: its texts "
                                     "were imported as the en texts", CHANGED)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<document><LimeSurveyDocType>Survey</LimeSurveyDocType><x>&lol3;</x></document>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"pages": []}', r"not XML: not well-formed \(invalid token\): line 1, column 0"),
        (b"<document><a></document>", "not XML: mismatched tag"),
        (BILLION_LAUGHS, "declares a document type"),
        (b"<html><body/></html>", "not a LimeSurvey export"),
        (b"<document><LimeSurveyDocType>Question</LimeSurveyDocType></document>",
         "a LimeSurvey Question export, not a survey"),
        (b"<document><LimeSurveyDocType>Survey</LimeSurveyDocType><surveys><rows><row><sid>1</sid></row></rows>"
         b"</surveys></document>", "the surveys_languagesettings table is missing"),
        (_lss(""), "the questions table is missing or empty"),
        (_lss(_q("1", "R", "Q1", "Rank")), "no question of this LimeSurvey survey can be imported"),
        (b"   ", "is empty"),
    ],
)
def test_malformed_input(data, message):
    with pytest.raises(InteropError, match=message):
        parse_lss(data)


def test_too_large():
    with pytest.raises(InteropError, match="over the limit of 50 MB"):
        parse_lss(b"<" + b" " * (50 * 1024 * 1024))


def test_codes_made_into_keys():
    imported = parse_lss(_lss(_q("1", "T", "Q1", "a") + _q("2", "T", "Q1", "b", order="2")
                              + _q("3", "T", "1st", "c", order="3")))
    assert [q.key for q in imported.spec.questions()] == ["q1", "q1_2", "q_1st"]
    assert list(imported.notes) == [
        Note("question 'Q1' (qid 2)", "its code is used twice: imported as 'q1_2'", CHANGED),
        Note("question '1st' (qid 3)", "its code is not a valid cxloop key: imported as 'q_1st'", CHANGED),
    ]
