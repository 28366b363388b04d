"""What the demo's parts share: sizes, the in-memory views of accounts and contacts that the
response generator draws from (with the latent satisfaction that is never stored), the published
surveys, and helpers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from cxloop.core import survey_spec
from cxloop.demo import comments
from cxloop.surveys.models import Survey, SurveyVersion

BATCH_SIZE = 2_000


@dataclass(frozen=True)
class Scale:
    accounts: int
    contacts: tuple[int, int]  # contacts per account, smallest and largest
    responses: int  # target total over the 24 months (the export surge comes on top)


SIZES: dict[str, Scale] = {
    "tiny": Scale(accounts=300, contacts=(2, 8), responses=3_000),
    "small": Scale(accounts=300, contacts=(2, 8), responses=20_000),
    "large": Scale(accounts=300, contacts=(40, 300), responses=1_000_000),
}


@dataclass(slots=True)
class AccountInfo:
    pk: int
    tier: str
    region: str
    city: str
    domain: str
    language: str  # the usual language of its people
    reporting: bool  # uses 云启报表, so is hit by the export defect
    foreign: bool  # a foreign-invested firm in mainland China
    health: float  # latent satisfaction; never stored
    since: date


@dataclass(slots=True)
class ContactInfo:
    pk: int
    account: AccountInfo
    role: str
    language: str
    offset: float  # latent personal satisfaction; never stored
    since: date


@dataclass(frozen=True)
class PublishedSurvey:
    """A demo survey, the version its responses answer, and that version's parsed definition."""

    survey: Survey
    version: SurveyVersion
    spec: survey_spec.SurveySpec


def part_rng(seed: int, part: str) -> random.Random:
    """The random generator of one part of the demo: parts added later leave the others unchanged."""
    return random.Random(f"cxloop-demo:{seed}:{part}")


def weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return comments.pick(rng, options)


def aware(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_default_timezone())
