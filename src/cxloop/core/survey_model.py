"""The survey definition model: immutable dataclasses, constants and the two error types.

Pure Python. ``survey_spec`` is the public entry point and re-exports everything here; the other
``survey_*`` modules (standard wording, answer values, logic, parsing) build on this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

LANGUAGES: tuple[str, ...] = ("zh-hans", "zh-hant", "en")

QUESTION_TYPES: tuple[str, ...] = (
    "nps",
    "csat",
    "ces",
    "sus",
    "umux_lite",
    "rating",
    "single_choice",
    "multi_choice",
    "dropdown",
    "open_text",
    "matrix",
    "yes_no",
    "consent",
)
SCALE_TYPES = frozenset({"nps", "csat", "ces", "rating"})  # one number
ITEM_TYPES = frozenset({"matrix", "sus", "umux_lite"})  # one number per item, rows "<question>.<item>"
CHOICE_TYPES = frozenset({"single_choice", "multi_choice", "dropdown"})
SINGLE_CHOICE_TYPES = frozenset({"single_choice", "dropdown", "yes_no", "consent"})  # one option key
FIXED_SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "sus": (1, 5),
    "umux_lite": (1, 7),
}
TYPE_LABELS: dict[str, str] = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "sus": "SUS",
    "umux_lite": "UMUX-Lite",
    "rating": "Rating",
    "single_choice": "Single-choice",
    "multi_choice": "Multi-choice",
    "dropdown": "Dropdown",
    "open_text": "Text",
    "matrix": "Matrix",
    "yes_no": "Yes/no",
    "consent": "Consent",
}

EMBEDDED_SOURCES: tuple[str, ...] = ("link", "widget", "api", "any")
OPS: tuple[str, ...] = (
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "answered",
    "not_answered",
)
END = "end"  # skip target that ends the survey
YES, NO = "yes", "no"  # the option keys of yes_no and consent answers

MAX_TEXT_LENGTH = 10_000  # hard cap for an open_text answer and for any text in a definition
MAX_SPECIFY_LENGTH = 1_000  # "Other, please specify" text
MAX_EMBEDDED_LENGTH = 1_000  # one embedded (hidden) value
MAX_PAGES = 100
MAX_QUESTIONS = 500
MAX_OPTIONS = 200
MAX_ITEMS = 50
MAX_EMBEDDED = 50
MAX_CONDITION_DEPTH = 8
MAX_CONDITION_PARTS = 50

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")  # question, page and embedded keys (fullmatch)
OPTION_KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")  # option and item keys may start with a digit

Text: TypeAlias = dict[str, str]  # language code -> text; never empty strings


@dataclass(frozen=True)
class Problem:
    """One thing wrong, pointing at the offending place (``pages[0].questions[2].key``, ``answers.nps``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class _ProblemsError(ValueError):
    subject = "input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'' if n == 1 else 's'} in the {self.subject}:"]
        lines += [f"- {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SpecError(_ProblemsError):
    """A survey definition is invalid; ``problems`` lists everything wrong with it."""

    subject = "survey definition"


class AnswerError(_ProblemsError):
    """A respondent's answers are invalid; ``problems`` lists everything wrong with them."""

    subject = "answers"


@dataclass(frozen=True)
class Option:
    key: str
    text: Text
    fixed: bool = False  # keeps its place when the question is randomised ("Other", "None of these")
    exclusive: bool = False  # multi_choice: cannot be combined with other options ("None of these")
    specify: bool = False  # asks for free text when chosen ("Other, please specify"); at most one per question


@dataclass(frozen=True)
class Item:
    """A row of a matrix, sus or umux_lite question; answers are stored as ``<question>.<item>``."""

    key: str
    text: Text


@dataclass(frozen=True)
class Compare:
    """``{"question": ref, "op": op, "value": value}`` or ``{"embedded": ref, ...}``.

    ``ref`` is a question key, ``"<question>.<item>"`` for one row of an item question, or an embedded key.
    ``value`` is None for answered/not_answered and a tuple for in/not_in.
    """

    source: str  # "question" | "embedded"
    ref: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    condition: Condition


Condition: TypeAlias = Compare | AllOf | AnyOf | Not


@dataclass(frozen=True)
class SkipRule:
    """After its page: when ``condition`` holds (None = always) go to page ``to`` (a later page key or "end")."""

    to: str
    condition: Condition | None = None


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    text: Text
    help: Text = field(default_factory=dict)
    required: bool = False
    display_if: Condition | None = None
    options: tuple[Option, ...] = ()  # single_choice, multi_choice, dropdown, yes_no
    items: tuple[Item, ...] = ()  # matrix, sus (q1..q10), umux_lite (capabilities, ease)
    scale_min: int | None = None  # every numeric type and matrix
    scale_max: int | None = None
    labels: dict[int, Text] = field(default_factory=dict)  # scale point -> label
    style: str = "numbers"  # rating: "numbers" | "stars"
    randomize: bool = False  # choice types (options) and matrix (items)
    min_choices: int | None = None  # multi_choice
    max_choices: int | None = None
    multiline: bool = True  # open_text
    max_length: int = MAX_TEXT_LENGTH  # open_text
    scale_version: str = ""  # ces: "ces2"

    @property
    def stars(self) -> bool:
        return self.style == "stars"

    @property
    def points(self) -> tuple[int, ...]:
        """The scale points (empty for non-numeric questions)."""
        if self.scale_min is None or self.scale_max is None:
            return ()
        return tuple(range(self.scale_min, self.scale_max + 1))

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    def item(self, key: str) -> Item | None:
        return next((i for i in self.items if i.key == key), None)


@dataclass(frozen=True)
class EmbeddedField:
    """A declared hidden value (store, ticket id, agent...) that comes with the response, not from a question."""

    key: str
    label: Text = field(default_factory=dict)
    required: bool = False
    source: str = "any"  # "link" | "widget" | "api" | "any"


@dataclass(frozen=True)
class Page:
    key: str
    title: Text
    questions: tuple[Question, ...]
    skip: tuple[SkipRule, ...] = ()


@dataclass(frozen=True)
class SurveySpec:
    title: Text
    default_language: str
    languages: tuple[str, ...]
    pages: tuple[Page, ...]
    embedded: tuple[EmbeddedField, ...] = ()
    thank_you: Text = field(default_factory=dict)
    intro: Text = field(default_factory=dict)
    name: Text = field(default_factory=dict)  # what the definition is called in the admin (templates set it)
    description: Text = field(default_factory=dict)

    def questions(self) -> list[Question]:
        """Every question, in survey order."""
        return [q for page in self.pages for q in page.questions]

    def question(self, key: str) -> Question:
        """The question with this key; KeyError when there is none."""
        for page in self.pages:
            for q in page.questions:
                if q.key == key:
                    return q
        raise KeyError(key)

    def page_of(self, key: str) -> int:
        """Index of the page holding question ``key``; KeyError when there is none."""
        for index, page in enumerate(self.pages):
            if any(q.key == key for q in page.questions):
                return index
        raise KeyError(key)

    def page_index(self, key: str) -> int:
        """Index of the page with this page key; KeyError when there is none."""
        for index, page in enumerate(self.pages):
            if page.key == key:
                return index
        raise KeyError(key)

    def embedded_field(self, key: str) -> EmbeddedField | None:
        return next((e for e in self.embedded if e.key == key), None)
