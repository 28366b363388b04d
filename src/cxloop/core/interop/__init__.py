"""Interop with other survey tools (issue 10): pure parsers from Qualtrics (``qsf``: .qsf definitions and their CSV
response exports), LimeSurvey (``lss``) and SurveyJS (``surveyjs``, both ways) to cxloop's survey model
(``core.survey_model``), and what could not be represented, reported as notes — never dropped silently.

The Django side (``cxloop.interop``) stores what these return: a survey with the source's name, and responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxloop.core.survey_model import SurveySpec

DROPPED = "dropped"  # not imported at all (a question type cxloop has no equivalent for, a logic branch …)
CHANGED = "changed"  # imported in a nearby form (e.g. a side-by-side question split into two matrices)


@dataclass(frozen=True)
class Note:
    """One thing of the source that cxloop could not represent as it was."""

    where: str  # the source's own reference: "QID12", "question 'Q3' (qid 57)", "page 2", "logic of QID7"
    what: str  # in plain English: what it was and what happened to it
    kind: str = DROPPED


@dataclass(frozen=True)
class ImportedSurvey:
    """A survey definition read from another tool."""

    source: str  # "qsf" | "lss" | "surveyjs"
    name: str  # the source's name for the survey (kept as the cxloop survey's name)
    spec: SurveySpec
    notes: tuple[Note, ...] = ()
    # the source's question/column ids → cxloop answer keys, for reading that tool's responses:
    # {"QID1": "q1", "QID5_1": "q5.r1", "QID3_TEXT": "q3.specify"} (whatever the source's response columns are)
    columns: dict[str, str] = field(default_factory=dict)
    # how a source's coded answer value maps to cxloop's option key, per cxloop question key: {"q2": {"1": "o1"}}
    codes: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedResponse:
    """One response read from another tool's export, answers keyed by cxloop's question (or item) keys, values as
    ``survey_answers`` takes them (numbers, option keys, lists of option keys, text)."""

    source_id: str  # the source's response id (Qualtrics ResponseId …), kept so a second import skips it
    answers: dict[str, Any]
    submitted_at: str = ""  # ISO 8601 with offset, or "" when the source has none
    language: str = ""
    embedded: dict[str, str] = field(default_factory=dict)
    finished: bool = True


@dataclass(frozen=True)
class ImportedResponses:
    responses: tuple[ImportedResponse, ...]
    notes: tuple[Note, ...] = ()  # columns not understood, values out of range (the response kept without them) …
    layout: str = ""  # qsf CSV: "legacy" (two header rows) | "current" (three header rows with ImportId)


class InteropError(ValueError):
    """The file is not what it claims to be (not JSON / XML, not a Qualtrics export …): nothing can be imported."""
