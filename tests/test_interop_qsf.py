"""The Qualtrics importer (pure): the four real .qsf files and their CSV exports from ../shared/data/qualtrics, a
current-layout export written for Sample_Survey (tests/data/qualtrics_current_layout.csv), a definition with the
question types the real files lack (tests/data/qualtrics_types.qsf) and malformed input.

Every expected value was read off the files by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxloop.core.interop import CHANGED, DROPPED, ImportedSurvey, InteropError, Note
from cxloop.core.interop.qsf import parse_qsf, parse_responses
from cxloop.core.survey_answers import validate_answers
from cxloop.core.survey_model import AnyOf, Compare, SkipRule

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "qualtrics"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data/qualtrics")
DATA = Path(__file__).resolve().parent / "data"


def _survey(name: str) -> ImportedSurvey:
    return parse_qsf((SHARED / f"{name}.qsf").read_bytes())


def _notes(notes: tuple[Note, ...], where: str) -> list[Note]:
    return [n for n in notes if n.where == where]


def _one(notes: tuple[Note, ...], where: str, *words: str, kind: str = DROPPED) -> Note:
    found = [n for n in _notes(notes, where) if all(w in n.what for w in words) and n.kind == kind]
    assert len(found) == 1, f"{where} {words}: {[n for n in notes if n.where == where]}"
    return found[0]


def _valid(survey: ImportedSurvey, answers: dict) -> None:
    validate_answers(survey.spec, answers)  # as the Django side stores them (complete)


# --- Sample_Survey ("Better Sample Survey") ------------------------------------------------------------------


def test_sample_survey_definition() -> None:
    s = _survey("Sample_Survey")
    assert s.source == "qsf"
    assert s.name == "Better Sample Survey"
    assert s.spec.title == {"en": "Better Sample Survey"}
    assert s.spec.default_language == "en" and s.spec.languages == ("en",)
    # one block "First Question Block", split after QID1 (q2_favorite) because of its skip logic
    assert [p.key for p in s.spec.pages] == ["first_question_block", "first_question_block_2"]
    assert [(q.key, q.type) for q in s.spec.questions()] == [
        ("q2_favorite", "single_choice"),
        ("q3_volunteer", "multi_choice"),
        ("q4_rank", "matrix"),
        ("q6_reservations_1", "matrix"),
        ("q6_reservations_2", "matrix"),
        ("q5_position", "open_text"),
        ("q10_1", "matrix"),
    ]
    fav = s.spec.question("q2_favorite")
    assert [(o.key, o.text["en"]) for o in fav.options] == [("1", "Canteloupe"), ("2", "Kiwi"), ("3", "Pomagranite")]
    assert fav.text == {"en": "Please select your favorite fruit from the following options"}
    # skip logic 1 of QID1: Canteloupe selected -> end of block (the last block: the end)
    assert s.spec.pages[0].skip == (SkipRule("end", Compare("question", "q2_favorite", "eq", "1")),)
    volunteer = s.spec.question("q3_volunteer")
    assert [(o.key, o.exclusive) for o in volunteer.options][-1] == ("4", True)
    assert volunteer.options[3].text == {"en": "None of the above"}
    rank = s.spec.question("q4_rank")
    assert [(i.key, i.text["en"]) for i in rank.items] == [("1", "Cantaloupe"), ("2", "Kiwi"), ("3", "Pomegranate")]
    assert (rank.scale_min, rank.scale_max) == (1, 4)
    assert rank.labels[4] == {"en": "Never Tried It"}
    assert s.codes["q4_rank"] == {"1": "1", "2": "2", "3": "3", "-1": "4"}
    reservations = s.spec.question("q6_reservations_1")
    assert reservations.text["en"].endswith("why. — Do you have reservations in eating this fruit?")
    assert reservations.labels == {1: {"en": "Yes"}, 2: {"en": "No"}, 3: {"en": "Unsure"}}
    assert s.spec.question("q6_reservations_2").labels[4] == {"en": "Other"}
    assert s.spec.question("q5_position").multiline is False
    # columns: legacy tag names and ImportIds (QID5-1 in the file is QID5_1 here)
    assert s.columns["q2_favorite"] == s.columns["QID1"] == "q2_favorite"
    assert s.columns["q3_volunteer_4"] == s.columns["QID5_4"] == "q3_volunteer.4"
    assert s.columns["q6_reservations#2_3"] == s.columns["QID6#2_3"] == "q6_reservations_2.3"
    assert s.columns["QID3_TEXT"] == "q5_position"


def test_sample_survey_notes() -> None:
    notes = _survey("Sample_Survey").notes
    _one(notes, "QID4", "multiple-answer matrix", "'q1_recent'")
    _one(notes, "QID8", "scale of 1 answer")
    _one(notes, "QID9", "multiple-answer matrix", "'Q9'")
    _one(notes, "QID7", "trash")
    _one(notes, "QID2", "answer codes 1, 2, 3, -1", "1..4", kind=CHANGED)
    _one(notes, "QID6", "2 matrices: q6_reservations_1, q6_reservations_2", kind=CHANGED)
    _one(notes, "QID6#2", "drop-down matrix", kind=CHANGED)
    _one(notes, "QID10#2", "column 2", "MultipleAnswer")
    _one(notes, "QID10", "1 matrix: q10_1", kind=CHANGED)
    for qid in ("QID11#1", "QID11#2", "QID11#3", "QID12#1", "QID12#2"):
        _one(notes, qid, "has no cxloop equivalent")
    assert len(notes) == 14


def test_sample_survey_responses_current_layout_with_three_header_rows() -> None:
    s = _survey("Sample_Survey")
    r = parse_responses((SHARED / "Sample_Survey.csv").read_bytes(), s, keep_test_responses=True)
    assert r.layout == "current"  # the row of {'ImportId': …}
    assert len(r.responses) == 5
    first = r.responses[0]
    assert first.source_id == "R_9RWrgh1F9m7488l"
    assert first.answers == {"q2_favorite": "1"}  # Canteloupe: the survey ends
    assert first.submitted_at == "2016-07-20T12:49:25+00:00"
    third = r.responses[2]
    assert third.source_id == "R_7U6eBR7waV8xr0N"
    assert third.answers == {
        "q2_favorite": "2", "q3_volunteer": ["4"],
        "q4_rank.1": 2, "q4_rank.2": 2, "q4_rank.3": 1,
        "q6_reservations_1.1": 1, "q6_reservations_1.2": 3, "q6_reservations_1.3": 2,
        "q6_reservations_2.1": 1, "q6_reservations_2.2": 3, "q6_reservations_2.3": 3,
        "q5_position": "Augue ab et? Luctus dolorem, aliquam rhoncus elementum odio mattis. Tincidunt, sollicitudin "
                       "bibendum.",
        "q10_1.1": 2, "q10_1.2": 1, "q10_1.3": 1,
    }
    assert r.responses[3].answers["q4_rank.3"] == 4  # the code -1 ("Never Tried It") is point 4
    unknown = _one(r.notes, "columns", "42 columns")
    assert "q1_recent_q1_recent_1_1" in unknown.what and "Q12#2_3_-1" in unknown.what
    assert "IPAddress" in _one(r.notes, "columns", "metadata").what
    _one(r.notes, "EndDate", "read as UTC", kind=CHANGED)
    for response in r.responses:
        _valid(s, response.answers)


def test_survey_test_responses_are_skipped_by_default() -> None:
    s = _survey("Sample_Survey")
    r = parse_responses((SHARED / "Sample_Survey.csv").read_bytes(), s)
    assert r.responses == ()
    _one(r.notes, "Status", "5 survey test responses", "skipped")


def test_current_layout_fixture() -> None:
    s = _survey("Sample_Survey")
    r = parse_responses((DATA / "qualtrics_current_layout.csv").read_bytes(), s)
    assert r.layout == "current"
    assert [x.source_id for x in r.responses] == ["R_2aHcGq1xV7pLmN3", "R_3kLpQ9wXyZ8aBcD", "R_5mNoPqRsTuVwXyZ"]
    first = r.responses[0]
    assert first.answers == {
        "q2_favorite": "2", "q3_volunteer": ["1", "3"],  # current exports put the choice's code in the cell
        "q4_rank.1": 1, "q4_rank.2": 2, "q4_rank.3": 4,
        "q6_reservations_1.1": 1, "q6_reservations_1.2": 3, "q6_reservations_1.3": 2,
        "q6_reservations_2.1": 2, "q6_reservations_2.2": 4, "q6_reservations_2.3": 1,
        "q5_position": 'I like fruit, "mostly" kiwi.\nReally.',
        "q10_1.1": 1, "q10_1.2": 2, "q10_1.3": 1,
    }
    assert first.submitted_at == "2024-03-05T09:14:22-07:00"  # America/Denver, MST
    assert first.language == "en" and first.finished is True
    second = r.responses[1]  # Canteloupe ends the survey: its text answer is left out
    assert second.answers == {"q2_favorite": "1"}
    assert second.submitted_at == "2024-07-01T18:31:40-06:00"  # MDT
    third = r.responses[2]
    assert third.finished is False and third.language == ""  # ZH-S is not a language of this survey
    assert third.answers == {"q2_favorite": "3", "q4_rank.2": 3}
    _one(r.notes, "Status", "1 survey preview response skipped")
    _one(r.notes, "column q4_rank_1", "'9'", "not a scale code of 'q4_rank'", "(1 response)")
    _one(r.notes, "question 'q5_position'", "hides it", "1 response")
    _one(r.notes, "answer 'q3_volunteer'", "cannot be combined", "1 response")
    unknown = _one(r.notes, "columns", "10 columns")
    assert "q1_recent_1_1" in unknown.what and "Q10#2_1_1" in unknown.what
    assert not [n for n in r.notes if "UTC" in n.what]
    for response in r.responses:
        _valid(s, response.answers)


# --- Survey_Logic_EVERYWHERE ---------------------------------------------------------------------------------


def test_survey_logic_everywhere_definition() -> None:
    s = _survey("Survey_Logic_EVERYWHERE")
    assert s.name == "Survey Logic EVERYWHERE"
    # the block is split at every skip source and destination: QID1 | QID2 | QID3 | QID4 | QID5
    assert [p.key for p in s.spec.pages] == ["default_question_block"] + [
        f"default_question_block_{n}" for n in range(2, 6)
    ]
    assert [(q.key, q.type) for q in s.spec.questions()] == [
        ("q1", "single_choice"), ("q2", "single_choice"), ("q3", "single_choice"), ("q4", "single_choice"),
        ("q5", "matrix"),
    ]
    assert s.spec.question("q1").text == {"en": "Yo have a question"}
    chosen = Compare("question", "q1", "eq", "1")
    assert s.spec.pages[0].skip == (  # skip logic 2, 4, 5 of QID1 (the first that holds wins, as in Qualtrics)
        SkipRule("end", chosen),
        SkipRule("default_question_block_4", chosen),
        SkipRule("default_question_block_5", chosen),
    )
    assert s.spec.pages[1].skip == (SkipRule("default_question_block_4", Compare("question", "q2", "eq", "1")),)
    assert s.spec.pages[2].skip == (SkipRule("end", Compare("question", "q3", "eq", "2")),)
    assert all(q.display_if is None for q in s.spec.questions())
    notes = s.notes
    display = _one(notes, "display logic of QID2", "Displayed", "always shown")
    assert "Yo have a question Click to write Choice 1 Is Displayed" in display.what
    _one(notes, "display logic of QID2 choice 3", "always shown")
    for n in (1, 2, 3):
        _one(notes, f"display logic of QID4 choice {n}", "always shown")
    _one(notes, "display logic of QID5 row 2", "always shown")
    for n in (1, 2, 3):
        _one(notes, f"display logic of QID5 answer {n}", "always shown")
    assert "device type" in _one(notes, "flow FL_3", "branch dropped", "shown to everyone").what
    _one(notes, "flow FL_9", "shown again")
    _one(notes, "flow FL_5", "shown again")
    _one(notes, "flow FL_6", "block randomizer", kind=CHANGED)
    _one(notes, "flow FL_7", "web service")
    assert "Texas" in _one(notes, "flow FL_8", "branch dropped", "location").what
    assert len(notes) == 15


def test_survey_logic_everywhere_responses() -> None:
    s = _survey("Survey_Logic_EVERYWHERE")
    r = parse_responses((SHARED / "Survey_Logic_EVERYWHERE.csv").read_bytes(), s, keep_test_responses=True)
    assert r.layout == "legacy"
    assert len(r.responses) == 10
    # R_6Yeyq8yNFUHQwK1: Q1=3, Q2=2, Q3=2 (-> end of survey), Q4=1 left out
    assert r.responses[0].source_id == "R_6Yeyq8yNFUHQwK1"
    assert r.responses[0].answers == {"q1": "3", "q2": "2", "q3": "2"}
    assert r.responses[1].answers == {"q1": "1"}  # choice 1 ends the block (and the survey)
    # R_3t6cn60CTyOhVD7: Q2=1 skips to Q4, so Q3 is left out; Q5 rows 1 and 3
    assert r.responses[7].answers == {"q1": "2", "q2": "1", "q4": "2", "q5.1": 3, "q5.3": 3}
    _one(r.notes, "question 'q2'", "4 responses", "hides it")
    _one(r.notes, "question 'q3'", "6 responses", "hides it")
    _one(r.notes, "question 'q4'", "4 responses", "hides it")
    for response in r.responses:
        _valid(s, response.answers)


# --- Multiple_Answer_MC_Questions and Single_Answer_Matrix_Questions ----------------------------------------


def test_multiple_answer_mc_questions() -> None:
    s = _survey("Multiple_Answer_MC_Questions")
    assert s.name == "Multiple Answer MC Questions"
    assert [p.key for p in s.spec.pages] == ["default_question_block"]
    assert [(q.key, q.type) for q in s.spec.questions()] == [
        ("q2", "multi_choice"), ("q4", "multi_choice"), ("q3", "multi_choice"), ("q5", "multi_choice"),
        ("mc_question_five", "multi_choice"),
    ]
    q5 = s.spec.question("q5")  # QID6: ChoiceOrder 1, 4, 5, 6, 2, 3, 7; recodes 10..16
    assert [o.key for o in q5.options] == ["1", "4", "5", "6", "2", "3", "7"]
    assert q5.text == {"en": "Click to write the question text\n\nThis question has both choice groups and recoded "
                             "values for the choices."}
    assert s.codes["q5"]["16"] == "7"
    five = s.spec.question("mc_question_five")
    assert [(o.key, o.specify) for o in five.options] == [("1", False), ("2", True), ("3", False)]
    assert s.columns["mc_question_five_2_TEXT"] == s.columns["QID4_2_TEXT"] == "mc_question_five.specify"
    notes = s.notes
    _one(notes, "QID3", "choice groups", kind=CHANGED)
    _one(notes, "QID6", "choice groups", kind=CHANGED)
    _one(notes, "display logic of QID4 choice 1", "always shown")
    assert len(notes) == 3
    r = parse_responses((SHARED / "Multiple_Answer_MC_Questions.csv").read_bytes(), s, keep_test_responses=True)
    assert r.layout == "legacy" and len(r.responses) == 5
    assert r.responses[0].source_id == "R_bIVJQDOvulWU4BL"
    assert r.responses[0].answers == {
        "q2": ["2", "3"], "q4": ["1", "3"], "q3": ["2", "3", "4"], "q5": ["1", "6"], "mc_question_five": ["2", "3"],
        "mc_question_five.specify": "Gravida pellentesque consectetuer eleifend risus fusce sit urna diam magnis "
                                    "laoreet.",
    }
    assert r.responses[0].submitted_at == "2016-05-27T11:51:26+00:00"
    for response in r.responses:
        _valid(s, response.answers)


def test_single_answer_matrix_questions() -> None:
    s = _survey("Single_Answer_Matrix_Questions")
    assert s.name == "Single Answer Matrix Questions"
    assert [(q.key, q.type, len(q.items), q.scale_max) for q in s.spec.questions()] == [
        ("q2", "matrix", 3, 4), ("q4", "matrix", 3, 4), ("q3", "matrix", 3, 4), ("q5", "matrix", 3, 4),
        ("matrix_question_five", "matrix", 3, 4),
    ]
    assert s.spec.question("q2").labels[1] == {"en": "Click to write Scale point 1"}
    # three questions export the same row names (question_one …): the n-th column of that name
    assert s.columns["question_one"] == "q3.1"
    assert s.columns["question_one~2"] == "q5.1"
    assert s.columns["question_three~3"] == "matrix_question_five.3"
    assert s.codes["q4"] == {"10": "1", "11": "2", "12": "3", "13": "4"}
    notes = s.notes
    for qid in ("QID5", "QID6", "QID4"):
        _one(notes, qid, "answer codes 10, 11, 12, 13", kind=CHANGED)
    _one(notes, "QID4 row 2", "text entry on a matrix row")
    _one(notes, "display logic of QID4 row 1", "always shown")
    assert len(notes) == 5
    r = parse_responses((SHARED / "Single_Answer_Matrix_Questions.csv").read_bytes(), s, keep_test_responses=True)
    assert len(r.responses) == 5
    # R_9H2nlL82R9Yq21v: Q2 3,4,4; Q4 12,10,11; question_one.. 1,1,4 / 10,11,12 / 13,10,12
    assert r.responses[0].answers == {
        "q2.1": 3, "q2.2": 4, "q2.3": 4,
        "q4.1": 3, "q4.2": 1, "q4.3": 2,
        "q3.1": 1, "q3.2": 1, "q3.3": 4,
        "q5.1": 1, "q5.2": 2, "q5.3": 3,
        "matrix_question_five.1": 4, "matrix_question_five.2": 1, "matrix_question_five.3": 3,
    }
    _one(r.notes, "columns", "1 column", "matrix_question_fivequestion_two_TEXT")
    for response in r.responses:
        _valid(s, response.answers)


# --- the types the real files lack ---------------------------------------------------------------------------


def test_types_definition() -> None:
    s = parse_qsf((DATA / "qualtrics_types.qsf").read_bytes())
    assert s.name == "FruitCo store visit"
    assert s.spec.languages == ("zh-hans", "en")
    assert [(e.key, e.label) for e in s.spec.embedded] == [("storeid", {"en": "StoreID"}), ("wave", {"en": "Wave"})]
    assert [p.key for p in s.spec.pages] == ["welcome", "welcome_2", "detractor_follow_up", "profile"]
    assert s.spec.pages[0].title == {"en": "Thanks for visiting FruitCo!"}  # QID10, descriptive text
    nps = s.spec.question("nps")
    assert nps.type == "nps" and nps.required
    assert nps.text["zh-hans"] == "您向朋友推荐 FruitCo 的可能性有多大？"
    assert nps.labels[10]["en"] == "Extremely likely"
    store = s.spec.question("store_visited")
    assert [(o.key, o.specify) for o in store.options] == [("1", False), ("2", False), ("4", True)]
    assert store.display_if == AnyOf((Compare("question", "nps", "eq", 9), Compare("question", "nps", "eq", 10)))
    assert s.codes["store_visited"] == {"10": "1", "20": "2", "99": "4"}
    in_branch = Compare("question", "store_visited", "eq", "2")  # branch FL_4
    assert [(q.key, q.type, q.display_if) for q in s.spec.pages[2].questions] == [
        ("q7", "open_text", in_branch), ("q8", "rating", in_branch), ("q7_2", "open_text", in_branch),
    ]
    assert s.spec.question("q7").text == {"en": "What could we improve?"}  # HTML and the script dropped
    assert s.spec.question("q7_2").multiline is False
    assert s.spec.question("q7_2").text == {"en": "Your postcode? …"}
    assert (s.spec.question("q8").scale_min, s.spec.question("q8").scale_max) == (0, 10)
    assert s.spec.pages[2].skip == (SkipRule("end", Compare("embedded", "storeid", "eq", "SH01")),)  # FL_6
    assert [(q.key, q.type) for q in s.spec.pages[3].questions] == [
        ("age", "dropdown"), ("buys", "multi_choice"), ("return", "nps")]
    assert s.spec.question("buys").options[2].exclusive and s.spec.question("buys").randomize
    assert s.codes["return"]["11"] == "10"
    assert s.columns["StoreID"] == "embedded:storeid"
    assert s.columns["Q8_1"] == s.columns["QID23_1"] == "q8"
    assert s.columns["Store Visited_4_TEXT"] == "store_visited.specify"
    notes = s.notes
    _one(notes, "language FR", "dropped")
    _one(notes, "flow FL_2", "'Wave'", "'2024-Q3'", kind=CHANGED)
    _one(notes, "QID10", "page's title", kind=CHANGED)
    _one(notes, "QID21", "'Store Visited'", "'store_visited'", kind=CHANGED)
    _one(notes, "QID24", "rank order", "'Q9'")
    _one(notes, "QID25", "'q7_2'", kind=CHANGED)
    _one(notes, "QID25", "piped text", kind=CHANGED)
    _one(notes, "QID28", "0–10", "NPS", kind=CHANGED)
    _one(notes, "block BL_unused", "not in the survey flow", "QID29")
    _one(notes, "QID23", "0..10 rating", kind=CHANGED)


def test_types_responses_with_embedded_data() -> None:
    s = parse_qsf((DATA / "qualtrics_types.qsf").read_bytes())
    header = ["ResponseId", "Status", "Finished", "RecordedDate", "UserLanguage", "StoreID", "NPS",
              "Store Visited", "Store Visited_4_TEXT", "Q7", "Q8_1", "q7", "age", "buys_1", "buys_2", "buys_3",
              "return", "NPS_NPS_GROUP"]
    ids = ["_recordId", "status", "finished", "recordedDate", "userLanguage", "StoreID", "QID20", "QID21",
           "QID21_4_TEXT", "QID22_TEXT", "QID23_1", "QID25_TEXT", "QID26", "QID27_1", "QID27_2", "QID27_3", "QID28",
           "QID20_NPS_GROUP"]
    third = [json.dumps({"ImportId": i, **({"timeZone": "Asia/Shanghai"} if i == "recordedDate" else {})})
             for i in ids]
    rows = [
        ["R_a", "IP Address", "1", "2024-05-01 12:00:00", "ZH-S", "BJ02", "10", "99", "Mall", "", "", "",
         "2", "1", "2", "", "11", "3"],
        ["R_b", "IP Address", "1", "2024-05-02 12:00:00", "EN", "SH01", "3", "", "", "", "", "", "1", "", "",
         "3", "1", "1"],
    ]
    text = "\n".join(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in row)
                     for row in [header, header, third, *rows])
    r = parse_responses(text.encode(), s)
    assert r.layout == "current"
    a, b = r.responses
    assert a.answers == {"nps": 10, "store_visited": "4", "store_visited.specify": "Mall", "age": "2",
                         "buys": ["1", "2"], "return": 10}
    assert a.embedded == {"storeid": "BJ02"} and a.language == "zh-hans"
    assert a.submitted_at == "2024-05-01T12:00:00+08:00"
    # store SH01 ends the survey after the detractor block: the profile answers are left out
    assert b.answers == {"nps": 3}
    _one(r.notes, "question 'age'", "hides it", "1 response")
    for response in r.responses:
        validate_answers(s.spec, response.answers, embedded=response.embedded)


# --- malformed input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<xml>not json</xml>", "not valid JSON (line 1, column 1)"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"SurveyEntry": {"SurveyName": "x"}}', "'SurveyElements' is missing"),
        (b"[1, 2]", "'SurveyElements' is missing"),
        (b'{"SurveyElements": []}', "no blocks"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ],
)
def test_malformed_qsf(data: bytes, message: str) -> None:
    with pytest.raises(InteropError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_qsf(data)


def test_qsf_without_importable_questions() -> None:
    raw = json.loads((SHARED / "Sample_Survey.qsf").read_text(encoding="utf-8"))
    only_dropped = [e for e in raw["SurveyElements"] if e["Element"] != "SQ" or
                    e["PrimaryAttribute"] in ("QID4", "QID8", "QID9")]  # matrices cxloop cannot represent
    with pytest.raises(InteropError, match="no question cxloop can import"):
        parse_qsf(json.dumps({**raw, "SurveyElements": only_dropped}).encode())
    none = [e for e in raw["SurveyElements"] if e["Element"] != "SQ"]
    with pytest.raises(InteropError, match="the survey has no questions"):
        parse_qsf(json.dumps({**raw, "SurveyElements": none}).encode())


def test_too_large_files() -> None:
    big = b" " * (60 * 1024 * 1024)
    with pytest.raises(InteropError, match="62,914,560 bytes, over the limit of 50 MB"):
        parse_qsf(big)
    s = _survey("Survey_Logic_EVERYWHERE")
    with pytest.raises(InteropError, match="over the limit of 50 MB"):
        parse_responses(big, s)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\n\n", "empty"),
        (b",,,\nx,y,z\n", "no header row"),
        (b"ResponseID,Q1\n", "two header rows"),
        (b"a,b,c\nd,e,f\n1,2,3\n", "no ResponseID"),
        (b"ResponseId,Z9\nResponse ID,Other\nR_1,2\n", "no column of this export belongs to the imported survey"),
        (b"\xff\xfe\xff\xd8", "not UTF-8"),
    ],
)
def test_malformed_csv(data: bytes, message: str) -> None:
    s = _survey("Survey_Logic_EVERYWHERE")
    with pytest.raises(InteropError, match=message):
        parse_responses(data, s)
