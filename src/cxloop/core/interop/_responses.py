"""What the three response readers share (Qualtrics CSV, LimeSurvey CSV, SurveyJS results): turning one source
value into a cxloop answer through the importer's ``columns`` / ``codes`` maps, keeping only what the imported
survey accepts, and reporting the rest as notes — counted per column and value, never one note per response."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cxloop.core.interop import ImportedSurvey, Note
from cxloop.core.survey_answers import prune_answers, validate_answers
from cxloop.core.survey_model import AnswerError, Question

NOT_CHOSEN = frozenset({"0", "N"})  # a multi-choice column's "not chosen" (Qualtrics 0, LimeSurvey N)
NUMBER_TYPES = frozenset({"nps", "rating", "csat", "ces"})


class AnswerReader:
    def __init__(self, survey: ImportedSurvey) -> None:
        self.survey = survey
        self.notes: list[Note] = []
        self.by_key: dict[str, Question] = {q.key: q for q in survey.spec.questions()}
        self.bad_values: Counter[tuple[str, str, str]] = Counter()  # (column, value, why) -> responses
        self.hidden: Counter[str] = Counter()
        self.refused: Counter[tuple[str, str]] = Counter()

    def note(self, where: str, what: str, kind: str = "dropped") -> None:
        self.notes.append(Note(where=where, what=what, kind=kind))

    def put(self, answers: dict[str, Any], target: str, label: str, value: str) -> None:
        """One source cell: ``target`` is the answer key ``columns`` maps the cell's column to (``q1``, ``q5.r1``,
        ``q3.specify``; a multi-choice column ``q4.<option>``), ``value`` the cell as text (not empty)."""
        key, _, part = target.partition(".")
        question = self.by_key.get(key)
        if question is None:
            return
        codes = self.survey.codes.get(key, {})
        code = value.strip()
        if part == "specify" or question.type == "open_text":
            answers[target] = value
        elif question.type == "multi_choice":
            if code not in NOT_CHOSEN or codes.get(code) == part:
                answers.setdefault(key, []).append(part)
        elif question.type == "matrix":
            point = codes.get(code) if codes else code
            try:
                answers[target] = int(point)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                self.bad_values[(label, code[:40], f"not a scale code of '{key}'")] += 1
        elif question.type in NUMBER_TYPES:
            number = codes.get(code, code)
            try:
                answers[key] = int(float(number)) if float(number) == int(float(number)) else float(number)
            except (ValueError, OverflowError):
                self.bad_values[(label, code[:40], f"not a number of '{key}'")] += 1
        else:
            option = codes.get(code)
            if option is None:
                self.bad_values[(label, code[:40], f"not a choice code of '{key}'")] += 1
            else:
                answers[key] = option

    def clean(self, source_id: str, answers: dict[str, Any], embedded: dict[str, str]) -> dict[str, Any]:
        """The answers that cxloop's survey accepts: those hidden by its logic and invalid ones are left out."""
        spec = self.survey.spec
        kept = prune_answers(spec, answers, embedded=embedded)
        for key in answers:
            if key not in kept:
                self.hidden[key.partition(".")[0]] += 1
        for _ in range(len(kept) + 1):
            try:
                validate_answers(spec, kept, embedded=embedded, complete=False)
                return kept
            except AnswerError as exc:
                removed = False
                for problem in exc.problems:
                    path = problem.path.removeprefix("answers.")
                    for key in [k for k in kept if k == path or path.startswith(f"{k}.") or k.startswith(path)]:
                        self.refused[(key, problem.message)] += 1
                        del kept[key]
                        removed = True
                if not removed:
                    break
            kept = prune_answers(spec, kept, embedded=embedded)
        self.note(f"response {source_id}", "its answers could not be made valid: imported without answers")
        return {}

    def value_notes(self) -> None:
        for (column, value, why), n in sorted(self.bad_values.items()):
            self.note(f"column {column}", f"value {value!r} is {why}: left out ({n} response{'s' if n != 1 else ''})")
        for key, n in sorted(self.hidden.items()):
            self.note(f"question '{key}'", f"answered in {n} response{'s' if n != 1 else ''} although the survey's "
                      "display or skip logic (as imported) hides it there: those answers are left out")
        for (key, message), n in sorted(self.refused.items()):
            self.note(f"answer '{key}'", f"refused ({message}): left out of {n} response{'s' if n != 1 else ''}")
