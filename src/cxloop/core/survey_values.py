"""Turning a respondent's raw answers (HTML form strings or JSON values) into normalised values.

Normalised values, by question type:

* nps, csat, ces, rating: ``float`` (a whole number on the question's scale)
* single_choice, dropdown: ``str`` (an option key); yes_no, consent: ``"yes"`` or ``"no"``
* multi_choice: ``tuple[str, ...]`` of option keys, in the question's option order
* open_text: ``str`` (NFC, ``\\n`` line ends, control characters removed, trimmed)
* matrix, sus, umux_lite: ``dict[str, float]`` item key -> number, in item order

An empty value (None, "", whitespace, [], {}) means "not answered". Answers may also arrive flat, the way an
HTML form names its fields: ``"sus.q1": "4"`` is item q1 of question sus, and ``"channel.specify": "Weibo"``
is the free text of the option marked ``specify`` of question channel.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from cxloop.core.survey_model import (
    ITEM_TYPES,
    MAX_SPECIFY_LENGTH,
    NO,
    SCALE_TYPES,
    TYPE_LABELS,
    YES,
    Problem,
    Question,
    SurveySpec,
)

Value: TypeAlias = float | str | tuple[str, ...] | dict[str, float]

SPECIFY = "specify"  # flat key suffix for "Other, please specify" text: "<question>.specify"

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_TRUE = frozenset({"yes", "true", "on", "y", "1"})
_FALSE = frozenset({"no", "false", "off", "n", "0"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Normalised:
    values: dict[str, Value] = field(default_factory=dict)
    specify: dict[str, str] = field(default_factory=dict)  # question key -> "please specify" text
    problems: list[Problem] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)  # question keys with a refused value


def show(raw: Any) -> str:
    """A value as a message shows it: 11, 9.5, 'abc', ['9', '10'] (cut at 60 characters)."""
    if isinstance(raw, bool):
        text = repr(raw)
    elif isinstance(raw, int):
        text = str(raw) if abs(raw) < 10**60 else "a very large number"
    elif isinstance(raw, float):
        text = format_number(raw) if math.isfinite(raw) else repr(raw)
    elif isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        text = raw.strip()
    else:
        text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def format_number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple | Mapping):
        return all(is_empty(v) for v in (raw.values() if isinstance(raw, Mapping) else raw))
    return False


def clean_text(raw: str, *, multiline: bool = True) -> str:
    """NFC, ``\\n`` line ends, no control characters (PostgreSQL refuses NUL), trimmed; one line unless multiline."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split("\n"))
    return text.strip()


def to_number(raw: Any, label: str, lo: int, hi: int) -> float:
    """A whole number on lo..hi from an int, a float or a numeric string; _Bad otherwise."""
    if isinstance(raw, bool):
        raise _Bad(f"{label} {raw!r} is not a number")
    if isinstance(raw, list | tuple | set | Mapping):
        raise _Bad(f"{label} must be a single number, not {type(raw).__name__} {show(raw)}")
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:
            raise _Bad(f"{label} {show(raw)} is outside {lo}..{hi}") from None
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
        if not _NUMBER.fullmatch(text):
            raise _Bad(f"{label} {show(raw)} is not a number")
        value = float(text)
    else:
        raise _Bad(f"{label} {show(raw)} is not a number")
    if not math.isfinite(value):
        raise _Bad(f"{label} {show(raw)} is not a number")
    if value != int(value):
        raise _Bad(f"{label} {show(raw)} is not a whole number")
    if not lo <= value <= hi:
        raise _Bad(f"{label} {format_number(value)} is outside {lo}..{hi}")
    return value + 0.0  # -0.0 -> 0.0


def to_yes_no(raw: Any, label: str) -> str:
    if isinstance(raw, bool):
        return YES if raw else NO
    if isinstance(raw, str):
        text = raw.strip().casefold()
        if text in _TRUE:
            return YES
        if text in _FALSE:
            return NO
    raise _Bad(f"{label} {show(raw)} is not yes or no")


def _option_key(raw: Any, question: Question, label: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _Bad(f"{label} {show(raw)} is not an option key")
    key = str(raw).strip()
    if question.option(key) is None:
        keys = ", ".join(o.key for o in question.options)
        raise _Bad(f"{label} {show(raw)} is not an option of '{question.key}' (options: {keys})")
    return key


def normalise_value(question: Question, raw: Any) -> Value:
    """The normalised answer to one (non-item) question; _Bad when it is invalid. ``raw`` is not empty."""
    qtype = question.type
    label = f"{TYPE_LABELS[qtype]} answer"
    if qtype in SCALE_TYPES:
        assert question.scale_min is not None and question.scale_max is not None
        return to_number(raw, label, question.scale_min, question.scale_max)
    if qtype in ("single_choice", "dropdown"):
        if isinstance(raw, list | tuple):
            raise _Bad(f"{label} must be one option key, not a list {show(raw)}")
        return _option_key(raw, question, label)
    if qtype in ("yes_no", "consent"):
        return to_yes_no(raw, label)
    if qtype == "multi_choice":
        return _multi(question, raw, label)
    if qtype == "open_text":
        if not isinstance(raw, str):
            raise _Bad(f"{label} must be text, not {type(raw).__name__} {show(raw)}")
        text = clean_text(raw, multiline=question.multiline)
        if len(text) > question.max_length:
            raise _Bad(f"text is {len(text):,} characters, over the limit of {question.max_length:,}")
        return text
    raise _Bad(f"{label} cannot be given directly")  # item types are handled by normalise_answers


def _multi(question: Question, raw: Any, label: str) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str | int) and not isinstance(raw, bool) else raw
    if not isinstance(values, list | tuple):
        raise _Bad(f"{label} must be a list of option keys, not {show(raw)}")
    chosen: set[str] = set()
    for value in values:
        if not is_empty(value):
            chosen.add(_option_key(value, question, label))
    ordered = tuple(o.key for o in question.options if o.key in chosen)
    exclusive = [o.key for o in question.options if o.exclusive and o.key in chosen]
    if exclusive and len(ordered) > 1:
        raise _Bad(f"option '{exclusive[0]}' of '{question.key}' cannot be combined with other options")
    if not exclusive:
        if question.min_choices is not None and len(ordered) < question.min_choices:
            raise _Bad(f"choose at least {question.min_choices} options (got {len(ordered)})")
        if question.max_choices is not None and len(ordered) > question.max_choices:
            raise _Bad(f"choose at most {question.max_choices} options (got {len(ordered)})")
    return ordered


def _items(question: Question, main: Any, parts: dict[str, Any], out: Normalised) -> dict[str, float] | None:
    merged: dict[str, Any] = {}
    if main is not None and not is_empty(main):
        if not isinstance(main, Mapping):
            out.problems.append(
                Problem(f"answers.{question.key}", f"must map each item to a number, not {show(main)}")
            )
        else:
            merged.update({str(k): v for k, v in main.items()})
    merged.update(parts)
    assert question.scale_min is not None and question.scale_max is not None
    result: dict[str, float] = {}
    label = f"{TYPE_LABELS[question.type]} answer"
    for item_key, raw in merged.items():
        path = f"answers.{question.key}.{item_key[:100]}"
        if question.item(item_key) is None:
            keys = ", ".join(i.key for i in question.items)
            out.problems.append(Problem(path, f"unknown item '{item_key[:100]}' of '{question.key}' (items: {keys})"))
            continue
        if is_empty(raw):
            continue
        try:
            result[item_key] = to_number(raw, label, question.scale_min, question.scale_max)
        except _Bad as bad:
            out.problems.append(Problem(path, bad.message))
            out.invalid.add(question.key)
    ordered = {i.key: result[i.key] for i in question.items if i.key in result}
    return ordered or None


def normalise_answers(spec: SurveySpec, answers: Mapping[str, Any]) -> Normalised:
    """Every answer normalised; problems for unknown keys and invalid values (those answers are left out)."""
    out = Normalised()
    if not isinstance(answers, Mapping):
        out.problems.append(Problem("answers", f"answers must be a mapping, not {type(answers).__name__}"))
        return out
    by_key = {q.key: q for q in spec.questions()}
    main: dict[str, Any] = {}
    parts: dict[str, dict[str, Any]] = {}
    for raw_key, raw in answers.items():
        key = str(raw_key)
        base, dot, sub = key.partition(".")
        if base not in by_key:
            out.problems.append(Problem(f"answers.{key[:100]}", "unknown question"))
        elif dot:
            parts.setdefault(base, {})[sub] = raw
        else:
            main[base] = raw
    for question in spec.questions():
        key = question.key
        if key not in main and key not in parts:
            continue
        if question.type in ITEM_TYPES:
            items = _items(question, main.get(key), parts.get(key, {}), out)
            if items is not None:
                out.values[key] = items
            continue
        specify_option = next((o for o in question.options if o.specify), None)
        for sub, raw in parts.get(key, {}).items():
            if sub != SPECIFY or specify_option is None:
                out.problems.append(Problem(f"answers.{key}.{sub[:100]}", f"unknown item '{sub[:100]}' of '{key}'"))
                continue
            if is_empty(raw):
                continue
            if not isinstance(raw, str):
                out.problems.append(Problem(f"answers.{key}.{SPECIFY}", f"must be text, not {show(raw)}"))
                continue
            text = clean_text(raw, multiline=False)
            if len(text) > MAX_SPECIFY_LENGTH:
                out.problems.append(
                    Problem(
                        f"answers.{key}.{SPECIFY}",
                        f"text is {len(text):,} characters, over the limit of {MAX_SPECIFY_LENGTH:,}",
                    )
                )
                continue
            out.specify[key] = text
        raw = main.get(key)
        if raw is None or is_empty(raw):
            out.specify.pop(key, None)
            continue
        try:
            out.values[key] = normalise_value(question, raw)
        except _Bad as bad:
            out.problems.append(Problem(f"answers.{key}", bad.message))
            out.invalid.add(key)
            out.specify.pop(key, None)
            continue
        value = out.values[key]
        if value == "":  # only control characters or blanks
            del out.values[key]
            out.specify.pop(key, None)
            continue
        chosen = (value,) if isinstance(value, str) else value
        if specify_option is None or not isinstance(chosen, tuple) or specify_option.key not in chosen:
            out.specify.pop(key, None)  # text typed for an option that ended up not chosen: dropped
    return out
