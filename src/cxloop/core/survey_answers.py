"""Validating a respondent's answers against a survey and normalising them into rows for storage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cxloop.core.survey_logic import walk
from cxloop.core.survey_model import (
    ITEM_TYPES,
    MAX_EMBEDDED_LENGTH,
    NO,
    AnswerError,
    Problem,
    Question,
    SurveySpec,
)
from cxloop.core.survey_values import Value, clean_text, normalise_answers, show


@dataclass(frozen=True)
class AnswerRow:
    """One normalised row per answered question, or per answered item of a matrix, sus or umux_lite question.

    * nps, csat, ces, rating: ``number`` (a whole number as float)
    * matrix, sus, umux_lite: one row per item, ``key`` = ``"<question>.<item>"`` (``sus.q1``), ``number``
    * single_choice, dropdown: ``choices`` = (option key,); ``text`` = the "please specify" text, if any
    * multi_choice: ``choices`` = option keys in the question's option order; ``text`` as above
    * yes_no, consent: ``choices`` = ("yes",) or ("no",)
    * open_text: ``text``
    """

    key: str
    number: float | None = None
    choices: tuple[str, ...] = ()
    text: str = ""


def _rows(question: Question, value: Value, specify: str) -> list[AnswerRow]:
    if isinstance(value, dict):
        return [AnswerRow(f"{question.key}.{item}", number=number) for item, number in value.items()]
    if isinstance(value, float):
        return [AnswerRow(question.key, number=value)]
    if isinstance(value, tuple):
        return [AnswerRow(question.key, choices=value, text=specify)]
    if question.type == "open_text":
        return [AnswerRow(question.key, text=value)]
    return [AnswerRow(question.key, choices=(value,), text=specify)]


def validate_answers(
    spec: SurveySpec,
    answers: Mapping[str, Any],
    *,
    embedded: Mapping[str, str] | None = None,
    complete: bool = True,
    pages: Iterable[int] | None = None,
) -> list[AnswerRow]:
    """The answers as rows (in survey order), or AnswerError listing every problem.

    Refused: unknown question keys, invalid values, answers to questions the respondent was not shown (display
    logic, or a page that skip logic passes over), "no" to a required consent. With ``complete``, every required
    question shown to the respondent must be answered (all items of a required matrix, all items of sus and
    umux_lite once any is answered); ``pages`` limits that check to those page indexes (saving one page).
    """
    normalised = normalise_answers(spec, answers)
    problems = list(normalised.problems)
    effective, shown = walk(spec, normalised.values, embedded or {})
    for key in normalised.values:
        if key not in effective:
            problems.append(Problem(f"answers.{key}", f"question '{key}' was not shown to this respondent"))
    check_pages = set(shown) if pages is None else set(shown) & {int(p) for p in pages}
    for index, visible in sorted(shown.items()):
        for question in visible:
            value = effective.get(question.key)
            if question.type == "consent" and question.required and value == NO:
                problems.append(Problem(f"answers.{question.key}", "consent is required: 'no' is not accepted"))
            if complete and index in check_pages and question.key not in normalised.invalid:
                problems += _missing(question, value)
    if problems:
        raise AnswerError(problems)
    rows: list[AnswerRow] = []
    for question in spec.questions():
        if question.key in effective:
            rows += _rows(question, effective[question.key], normalised.specify.get(question.key, ""))
    return rows


def prune_answers(
    spec: SurveySpec, answers: Mapping[str, Any], *, embedded: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The raw answers that still count: those of questions shown to the respondent given these answers.

    Drops answers to unknown questions and to questions that display or skip logic now hides (a respondent went
    back and changed an earlier answer), so that ``validate_answers`` does not refuse them as "not shown".
    Invalid values are kept, for ``validate_answers`` to report."""
    normalised = normalise_answers(spec, answers)
    _, shown = walk(spec, normalised.values, embedded or {})
    visible = {q.key for questions in shown.values() for q in questions}
    return {k: v for k, v in answers.items() if str(k).partition(".")[0] in visible}


def _missing(question: Question, value: Value | None) -> list[Problem]:
    path = f"answers.{question.key}"
    if question.type not in ITEM_TYPES:
        if value is None and question.required:
            return [Problem(path, f"'{question.key}' is required but not answered")]
        return []
    answered = value if isinstance(value, dict) else {}
    if not answered and not question.required:
        return []
    if not answered:
        return [Problem(path, f"'{question.key}' is required but not answered")]
    if question.required or question.type != "matrix":
        return [
            Problem(f"{path}.{item.key}", f"item '{item.key}' of '{question.key}' is not answered")
            for item in question.items
            if item.key not in answered
        ]
    return []


def validate_embedded(
    spec: SurveySpec, embedded: Mapping[str, Any], *, source: str | None = None, complete: bool = True
) -> dict[str, str]:
    """The declared embedded values, cleaned (text, trimmed, at most 1,000 characters); undeclared keys are
    dropped (a link may carry utm_* and the like). AnswerError when a value is not text, too long, arrives from a
    source its declaration does not allow, or (with ``complete``) a required one is missing."""
    problems: list[Problem] = []
    result: dict[str, str] = {}
    for field in spec.embedded:
        path = f"embedded.{field.key}"
        raw = embedded.get(field.key)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if raw is not None and not isinstance(raw, str):
            problems.append(Problem(path, f"must be text, not {show(raw)}"))
            continue
        value = clean_text(raw or "", multiline=False)
        if not value:
            if complete and field.required:
                problems.append(Problem(path, f"embedded field '{field.key}' is required but missing"))
            continue
        if len(value) > MAX_EMBEDDED_LENGTH:
            problems.append(
                Problem(path, f"value is {len(value):,} characters, over the limit of {MAX_EMBEDDED_LENGTH:,}")
            )
            continue
        if source is not None and field.source not in ("any", source):
            problems.append(Problem(path, f"may only come from the {field.source}, not from the {source}"))
            continue
        result[field.key] = value
    if problems:
        raise AnswerError(problems)
    return result
