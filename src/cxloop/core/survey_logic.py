"""Display logic, skip logic, piped text, languages and option order for a parsed survey.

Conditions are evaluated on normalised answers (see ``survey_values``); the public functions accept raw answers
(form strings, JSON values) and normalise them leniently: an invalid answer counts as not answered.

Semantics:

* An answer only counts when its question was shown: a question hidden by its ``display_if`` or on a page the
  respondent does not reach is treated as not answered by every later condition.
* eq, lt, lte, gt, gte, in and contains are false when the question is not answered (or the embedded field is
  absent); neq and not_in are their negations, so they are true then. answered / not_answered test presence.
* Text answers compare case-insensitively (eq, neq, contains); option keys and embedded values exactly (except
  contains on an embedded value, which is case-insensitive). An embedded value compares with a number
  numerically when it reads as a number.
* Pages: after a page, its skip rules are tried in order and the first that holds decides (a later page or
  "end"); otherwise the next page. A page none of whose questions is visible is passed over (its skip rules
  still apply), so a respondent never sees an empty page.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from cxloop.core.survey_model import (
    END,
    LANGUAGES,
    NO,
    YES,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Item,
    Not,
    Option,
    Question,
    SurveySpec,
)
from cxloop.core.survey_standard import YES_NO_OPTIONS
from cxloop.core.survey_values import Value, format_number, normalise_answers

PIPE_PATTERN = re.compile(r"\{\{\s*(answer|embedded)\s*:\s*([^{}\s]*)\s*\}\}")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


# --- languages and piped text ------------------------------------------------------------------------------


def localise(text: Mapping[str, str] | str, lang: str, fallback: str) -> str:
    """The text in ``lang``, else in ``fallback``, else in any language (in LANGUAGES order); "" when none."""
    if isinstance(text, str):
        return text
    for code in (lang, fallback, *LANGUAGES):
        value = text.get(code)
        if value:
            return value
    return next((v for v in text.values() if v), "")


def _format(value: Any, labels: Mapping[str, str], separator: str) -> str:
    if value is None or isinstance(value, Mapping):
        return ""
    if isinstance(value, bool):
        key = YES if value else NO
        return labels.get(key, key)
    if isinstance(value, int | float):
        return format_number(float(value)) if math.isfinite(value) else ""
    if isinstance(value, str):
        return labels.get(value, value)
    if isinstance(value, list | tuple):
        return separator.join(s for s in (_format(v, labels, separator) for v in value) if s)
    return ""


def pipe(
    text: str,
    *,
    answers: Mapping[str, Any],
    embedded: Mapping[str, str],
    labels: Mapping[str, Mapping[str, str]] | None = None,
    separator: str = ", ",
) -> str:
    """Replace ``{{answer:key}}``, ``{{answer:key.item}}`` and ``{{embedded:key}}``; anything unknown becomes "".

    ``labels`` maps question key -> option key -> label (``answer_labels`` builds it) so a choice answer shows its
    label, not its key; a list of choices is joined with ``separator``. Pure string substitution: nothing is
    evaluated. The result is plain text: the renderer escapes it like any other text.
    """
    labels = labels or {}

    def replace(match: re.Match[str]) -> str:
        namespace, ref = match.group(1), match.group(2)
        if namespace == "embedded":
            value = embedded.get(ref)
            return value if isinstance(value, str) else ""
        base, _, item = ref.partition(".")
        if ref in answers:
            value = answers[ref]
        else:
            value = answers.get(base)
            if item:
                value = value.get(item) if isinstance(value, Mapping) else None
        return _format(value, labels.get(base, {}), separator)

    return PIPE_PATTERN.sub(replace, text)


def answer_labels(spec: SurveySpec, lang: str) -> dict[str, dict[str, str]]:
    """question key -> option key -> label in ``lang`` for every question whose answer is an option key."""
    result: dict[str, dict[str, str]] = {}
    for q in spec.questions():
        options = YES_NO_OPTIONS if q.type == "consent" else q.options
        if options:
            result[q.key] = {o.key: localise(o.text, lang, spec.default_language) for o in options}
    return result


def render(
    spec: SurveySpec,
    text: Mapping[str, str] | str,
    lang: str,
    *,
    answers: Mapping[str, Any] | None = None,
    embedded: Mapping[str, str] | None = None,
) -> str:
    """``localise`` then ``pipe`` with option labels in ``lang`` ("、" joins lists in Chinese, ", " in English)."""
    values = normalise_answers(spec, answers or {}).values
    return pipe(
        localise(text, lang, spec.default_language),
        answers=values,
        embedded=embedded or {},
        labels=answer_labels(spec, lang),
        separator="、" if lang.startswith("zh") else ", ",
    )


# --- conditions --------------------------------------------------------------------------------------------


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if _NUMBER.fullmatch(text):
            return float(text)
    return None


def _order(op: str, left: float, right: float) -> bool:
    if op == "lt":
        return left < right
    if op == "lte":
        return left <= right
    if op == "gt":
        return left > right
    return left >= right  # gte


def _scalar_equals(actual: Value, expected: Any, text_kind: bool) -> bool:
    if isinstance(actual, float):
        number = _as_number(expected)
        return number is not None and actual == number
    if isinstance(actual, str):
        if text_kind:
            return isinstance(expected, str) and actual.strip().casefold() == expected.strip().casefold()
        return actual == (str(expected) if not isinstance(expected, bool) else (YES if expected else NO))
    return False


def _compare_question(cond: Compare, question: Question | None, answers: Mapping[str, Value]) -> bool:
    base, _, item = cond.ref.partition(".")
    actual: Any = answers.get(base)
    if item:
        actual = actual.get(item) if isinstance(actual, dict) else None
    op = cond.op
    if op in ("answered", "not_answered"):
        return (actual is not None) == (op == "answered")
    if op in ("neq", "not_in"):
        positive = Compare(cond.source, cond.ref, "eq" if op == "neq" else "in", cond.value)
        return not _compare_question(positive, question, answers)
    if actual is None or isinstance(actual, dict):
        return False
    text_kind = question is not None and question.type == "open_text"
    if isinstance(actual, tuple):  # multi_choice
        if op == "contains":
            return str(cond.value) in actual
        if op == "in":
            return any(str(v) in actual for v in cond.value)
        return False
    if op == "eq":
        return _scalar_equals(actual, cond.value, text_kind)
    if op == "in":
        return any(_scalar_equals(actual, v, text_kind) for v in cond.value)
    if op == "contains":
        if text_kind and isinstance(actual, str):
            return str(cond.value).casefold() in actual.casefold()
        return _scalar_equals(actual, cond.value, False)
    if isinstance(actual, float):
        right = _as_number(cond.value)
        return right is not None and _order(op, actual, right)
    return False


def _embedded_equals(actual: str, expected: Any) -> bool:
    if isinstance(expected, str):
        return actual == expected
    number, left = _as_number(expected), _as_number(actual)
    return number is not None and left is not None and left == number


def _compare_embedded(cond: Compare, embedded: Mapping[str, str]) -> bool:
    actual = embedded.get(cond.ref)
    if actual is not None and not isinstance(actual, str):
        actual = str(actual)
    if actual == "":
        actual = None
    op = cond.op
    if op in ("answered", "not_answered"):
        return (actual is not None) == (op == "answered")
    if op in ("neq", "not_in"):
        positive = Compare(cond.source, cond.ref, "eq" if op == "neq" else "in", cond.value)
        return not _compare_embedded(positive, embedded)
    if actual is None:
        return False
    if op == "eq":
        return _embedded_equals(actual, cond.value)
    if op == "in":
        return any(_embedded_equals(actual, v) for v in cond.value)
    if op == "contains":
        return str(cond.value).casefold() in actual.casefold()
    left, right = _as_number(actual), _as_number(cond.value)
    return left is not None and right is not None and _order(op, left, right)


def _evaluate(
    condition: Condition, questions: Mapping[str, Question], answers: Mapping[str, Value], embedded: Mapping[str, str]
) -> bool:
    if isinstance(condition, AllOf):
        return all(_evaluate(c, questions, answers, embedded) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(_evaluate(c, questions, answers, embedded) for c in condition.conditions)
    if isinstance(condition, Not):
        return not _evaluate(condition.condition, questions, answers, embedded)
    if condition.source == "embedded":
        return _compare_embedded(condition, embedded)
    return _compare_question(condition, questions.get(condition.ref.partition(".")[0]), answers)


def evaluate(
    spec: SurveySpec,
    condition: Condition,
    *,
    answers: Mapping[str, Any],
    embedded: Mapping[str, str] | None = None,
) -> bool:
    """One condition on these answers as given (no display or skip logic applied to them)."""
    values = normalise_answers(spec, answers).values
    return _evaluate(condition, {q.key: q for q in spec.questions()}, values, embedded or {})


# --- pages -------------------------------------------------------------------------------------------------


class _Walk:
    """Follows a respondent through the survey: which pages they reach and which answers count."""

    def __init__(self, spec: SurveySpec, values: Mapping[str, Value], embedded: Mapping[str, str]) -> None:
        self.spec = spec
        self.values = values
        self.embedded = embedded
        self.questions = {q.key: q for q in spec.questions()}
        self.effective: dict[str, Value] = {}  # answers of questions shown so far
        self.shown: dict[int, list[Question]] = {}  # reached page -> its visible questions

    def page_pass(self, index: int) -> list[Question]:
        visible: list[Question] = []
        for q in self.spec.pages[index].questions:
            if q.display_if is None or _evaluate(q.display_if, self.questions, self.effective, self.embedded):
                visible.append(q)
                if q.key in self.values:
                    self.effective[q.key] = self.values[q.key]
        return visible

    def raw_next(self, index: int) -> int | None:
        for rule in self.spec.pages[index].skip:
            if rule.condition is None or _evaluate(rule.condition, self.questions, self.effective, self.embedded):
                return None if rule.to == END else self.spec.page_index(rule.to)
        return index + 1 if index + 1 < len(self.spec.pages) else None

    def settle(self, index: int | None) -> int | None:
        """From page ``index`` on, the first page with a visible question."""
        while index is not None:
            visible = self.page_pass(index)
            if visible:
                self.shown[index] = visible
                return index
            index = self.raw_next(index)
        return None

    def run(self) -> _Walk:
        index = self.settle(0)
        while index is not None:
            index = self.settle(self.raw_next(index))
        return self

    def before(self, page_index: int) -> _Walk:
        """A walk holding only the counted answers of pages before ``page_index``."""
        earlier = {q.key for page in self.spec.pages[:page_index] for q in page.questions}
        walk = _Walk(self.spec, self.values, self.embedded)
        walk.effective = {k: v for k, v in self.effective.items() if k in earlier}
        return walk


def _start(spec: SurveySpec, answers: Mapping[str, Any] | None, embedded: Mapping[str, str] | None) -> _Walk:
    values = normalise_answers(spec, answers or {}).values
    return _Walk(spec, values, embedded or {}).run()


def _check_index(spec: SurveySpec, page_index: int) -> None:
    if not 0 <= page_index < len(spec.pages):
        raise IndexError(f"page index {page_index} is outside 0..{len(spec.pages) - 1}")


def walk(
    spec: SurveySpec, values: Mapping[str, Value], embedded: Mapping[str, str]
) -> tuple[dict[str, Value], dict[int, list[Question]]]:
    """(answers that count, reached page index -> visible questions) for normalised ``values``."""
    done = _Walk(spec, values, embedded).run()
    return done.effective, done.shown


def first_page(
    spec: SurveySpec, *, answers: Mapping[str, Any] | None = None, embedded: Mapping[str, str] | None = None
) -> int | None:
    """The first page with a visible question (normally 0); None when nothing is to be shown."""
    values = normalise_answers(spec, answers or {}).values
    return _Walk(spec, values, embedded or {}).settle(0)


def visible_questions(
    spec: SurveySpec,
    page_index: int,
    *,
    answers: Mapping[str, Any],
    embedded: Mapping[str, str] | None = None,
) -> list[Question]:
    """The questions of page ``page_index`` whose display logic holds, in page order."""
    _check_index(spec, page_index)
    return _start(spec, answers, embedded).before(page_index).page_pass(page_index)


def next_page(
    spec: SurveySpec,
    page_index: int,
    *,
    answers: Mapping[str, Any],
    embedded: Mapping[str, str] | None = None,
) -> int | None:
    """The page after ``page_index`` given the answers (skip logic); None = the survey ends here."""
    _check_index(spec, page_index)
    current = _start(spec, answers, embedded).before(page_index)
    current.page_pass(page_index)
    return current.settle(current.raw_next(page_index))


def reached_pages(
    spec: SurveySpec, *, answers: Mapping[str, Any], embedded: Mapping[str, str] | None = None
) -> list[int]:
    """The pages a respondent with these answers goes through, in order."""
    return sorted(_start(spec, answers, embedded).shown)


# --- option order ------------------------------------------------------------------------------------------


def _shuffle(keys: Iterable[tuple[str, bool]], scope: str, seed: str) -> list[int]:
    """Positions after a deterministic shuffle of the unfixed entries (fixed ones keep their place)."""
    entries = list(keys)
    movable = [i for i, (_, fixed) in enumerate(entries) if not fixed]
    ranked = sorted(movable, key=lambda i: hashlib.sha256(f"{seed}\x1f{scope}\x1f{entries[i][0]}".encode()).digest())
    order = iter(ranked)
    return [i if fixed else next(order) for i, (_, fixed) in enumerate(entries)]


def choice_order(question: Question, *, seed: str) -> list[Option]:
    """Options in display order: shuffled when ``question.randomize``, the same for the same seed (use the
    response id) on any machine and Python version; options with ``fixed`` keep their position."""
    if not question.randomize:
        return list(question.options)
    positions = _shuffle(((o.key, o.fixed) for o in question.options), question.key, seed)
    return [question.options[i] for i in positions]


def item_order(question: Question, *, seed: str) -> list[Item]:
    """Matrix rows in display order (shuffled per seed when ``randomize``; sus and umux_lite never are)."""
    if not question.randomize or question.type != "matrix":
        return list(question.items)
    positions = _shuffle(((i.key, False) for i in question.items), question.key, seed)
    return [question.items[i] for i in positions]
