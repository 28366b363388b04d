"""Issue 10: the responses of LimeSurvey (CSV, answer codes) and SurveyJS (results JSON) exports, read against the
survey their definition became — every value hand-checked, every value that cannot be kept named in a note."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.core.interop import CHANGED, DROPPED, InteropError, Note
from cxloop.core.interop.lss import parse_lss
from cxloop.core.interop.lss import parse_responses as lss_responses
from cxloop.core.interop.surveyjs import parse_responses as sjs_responses
from cxloop.core.interop.surveyjs import parse_surveyjs

DATA = Path(__file__).resolve().parent / "data"


def test_limesurvey_csv_with_question_codes() -> None:
    survey = parse_lss((DATA / "limesurvey_v6.lss").read_bytes())
    read = lss_responses((DATA / "limesurvey_responses.csv").read_bytes(), survey)
    one, two, three, four = read.responses
    assert one.source_id == "1" and one.finished and one.language == "zh-hans"
    assert one.submitted_at == "2024-05-01T10:20:30+00:00"
    # Q3[SQ001] Y → chosen, Q3[SQ002] N → not chosen; the matrix shown because q2 ≥ 3 and sq001 chosen
    assert one.answers == {"q1": "a1", "q2": 4, "q3": ["sq001"], "q5.sq001": 5, "q5.sq002": 4, "q5.sq003": 3,
                           "q7": "yes", "q8": "很好，=1+1", "q10": 9}
    # "-oth-" is the "other" option, Q1[other] its text; q6 is shown because q2 ≤ 2
    assert two.answers == {"q1": "other", "q1.specify": "Walk-in", "q2": 2, "q6": "Too slow", "q7": "no", "q10": 3}
    assert two.language == "en"
    # no submitdate: an incomplete response
    assert three.answers == {"q1": "a2"} and not three.finished and three.submitted_at == ""
    # A9 is no answer code and 7 is outside the 1..5 rating: both left out, named in notes; "de" is no language
    assert four.answers == {} and four.language == ""
    assert read.notes == (
        Note("columns", "response metadata not imported: lastpage, seed"),
        Note("columns", "1 column of questions or data that were not imported (see the survey's notes): Q99"),
        Note("submitdate", "LimeSurvey times are in the server's time zone, which the export does not name: read as "
                           "UTC", CHANGED),
        Note("column Q1", "value 'A9' is not a choice code of 'q1': left out (1 response)"),
        Note("answer 'q2'", "refused (Rating answer 7 is outside 1..5): left out of 1 response"),
    )


def test_limesurvey_sgqa_headings_and_multiple_choice_other() -> None:
    survey = parse_lss((DATA / "limesurvey_v3.lss").read_bytes())
    csv = (b"id;submitdate;startlanguage;482917X10X101;482917X10X102;482917X10X103SQ001;482917X10X103SQ003;"
           b"482917X10X103other\n"
           b"7;2024-06-01 12:00:00;en;A2;5;Y;;Gift cards\n")
    (only,) = lss_responses(csv, survey).responses
    # the "other" text of a multiple-choice question says "other" was chosen
    assert only.answers == {"q1": "a2", "q2": 5, "q3": ["sq001", "other"], "q3.specify": "Gift cards"}


def test_surveyjs_results() -> None:
    survey = parse_surveyjs((DATA / "surveyjs_feedback.json").read_bytes())
    read = sjs_responses((DATA / "surveyjs_results.json").read_bytes(), survey)
    one, two, three = read.responses
    assert one.source_id == "r-1" and one.language == "zh-hans" and one.submitted_at == "2025-03-01T09:30:00+00:00"
    assert one.answers == {"likely_recommend": 9, "visit_purpose": "buy", "departments": ["food", "beauty"],
                           "staff.friendly": 3, "staff.knowledgeable": 2, "found_all": "yes", "age_group": "30_44",
                           "smile": 5}
    # "other" with its comment; "toys" is no choice; departments/low_reason are hidden when the purpose is "other"
    assert two.answers == {"likely_recommend": 4, "visit_purpose": "other", "visit_purpose.specify": "<b>Pick-up</b>",
                           "staff.friendly": 1, "staff.knowledgeable": 1, "found_all": "no",
                           "missing_item": "Batteries"}
    assert two.submitted_at == "2025-03-02T18:00:00+08:00"
    # no id: named by position; 11 is outside 0..10; the matrix is hidden when browsing
    assert three.source_id == "#3" and three.answers == {"visit_purpose": "browse", "departments": ["home"]}
    assert [(n.where, n.kind) for n in read.notes] == [
        ("result #4", DROPPED), ("results", CHANGED), ("results", DROPPED), ("column departments", DROPPED),
        ("column staff", DROPPED), ("question 'departments'", DROPPED), ("question 'low_reason'", DROPPED),
        ("question 'staff'", DROPPED), ("answer 'likely_recommend'", DROPPED)]
    assert read.notes[2].what == "1 name not in the imported survey: not imported: nickname"


@pytest.mark.parametrize(("data", "match"), [
    (b"", "empty"),
    (b"\xff\xfe\x00", "UTF-8"),
    (b"{\"pages\": []}", "JSON array"),
    (b"[1, 2", "not JSON"),
    (b"[NaN]", "not allowed"),
    (b"[\"x\"]", "no result"),
])
def test_bad_surveyjs_results(data: bytes, match: str) -> None:
    survey = parse_surveyjs((DATA / "surveyjs_feedback.json").read_bytes())
    with pytest.raises(InteropError, match=match):
        sjs_responses(data, survey)


@pytest.mark.parametrize(("data", "match"), [
    (b"   ", "empty"),
    (b"\xff\xfe\x00", "UTF-8"),
    (b"Q1,Q2\nA1,3\n", "no 'id' column"),
    (b"id,foo\n1,2\n", "another survey"),
])
def test_bad_limesurvey_exports(data: bytes, match: str) -> None:
    survey = parse_lss((DATA / "limesurvey_v6.lss").read_bytes())
    with pytest.raises(InteropError, match=match):
        lss_responses(data, survey)
