"""Request and response shapes of the JSON API."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from ninja import Field
from ninja import Schema as NinjaSchema
from pydantic import AfterValidator, BeforeValidator, ValidationInfo, field_validator

from cxloop.core.moments import as_utc, check_day


def _numeric(annotation: Any) -> bool:
    """Whether a field's type is a number (int, float or Decimal, optional or annotated) and not also a bool."""
    if annotation in (int, float, Decimal):
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _numeric(get_args(annotation)[0])
    if origin in (Union, UnionType):
        members = get_args(annotation)
        return bool not in members and any(_numeric(m) for m in members)
    return False


_NUMERIC: dict[type, frozenset[str]] = {}


class Schema(NinjaSchema):
    """ninja's Schema for every shape of this API, except that ``true``/``false`` is not a number: pydantic reads
    ``true`` as 1 in a number field, so ``{"threshold": false}`` was accepted as 0 (found by the fuzzer)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool):
            numeric = _NUMERIC.get(cls)
            if numeric is None:
                numeric = _NUMERIC[cls] = frozenset(n for n, f in cls.model_fields.items() if _numeric(f.annotation))
            if info.field_name in numeric:
                raise ValueError("must be a number, not true or false")
        return value


MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An object's id given as a filter: larger numbers are no row's id and overflow the database's integers."""


def _written(kind: type, pattern: str, message: str) -> BeforeValidator:
    """A check before pydantic parses: a ``kind`` passes, a string must match ``pattern``; anything else is
    refused with ``message`` (not read as a number of seconds since 1970, as pydantic would)."""
    shape = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, kind) or (isinstance(value, str) and shape.fullmatch(value)):
            return value
        raise ValueError(message)

    return BeforeValidator(check)


Day = Annotated[date, _written(date, r"\d{4}-\d{2}-\d{2}", "must be a date written YYYY-MM-DD"),
                AfterValidator(check_day)]
"""A day given to the API (a range's ``from``/``to``): written YYYY-MM-DD, in 1900–2999."""

Moment = Annotated[datetime, _written(datetime, r"\d{4}-\d{2}-\d{2}([T ].+)?",
                                      "must be an ISO 8601 date and time (2026-03-01T14:30:00+08:00)"),
                   AfterValidator(as_utc)]
"""A date and time given to the API, written ISO 8601: one with a zone offset is moved to UTC (PostgreSQL refuses
offsets beyond ±15:59 that Python reads); naive ones keep the server's zone, as before."""


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class OrgOut(Schema):
    id: int
    name: str
    slug: str
    default_language: str
    role: str


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    lead_email: str | None
    description: str
    member_count: int


class TeamIn(Schema):
    name: str
    kind: str = "custom"
    lead_email: str | None = None
    description: str = ""


class TeamPatch(Schema):
    name: str | None = None
    kind: str | None = None
    lead_email: str | None = None
    description: str | None = None


class MemberOut(Schema):
    id: int
    email: str
    name: str
    role: str
    team_id: int | None
    joined_at: datetime


class MemberPatch(Schema):
    role: str


class InvitationIn(Schema):
    email: str
    role: str = "member"
    team_id: Id | None = None


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIn(Schema):
    name: str = ""
    role: str = "viewer"


class ApiKeyOut(Schema):
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str


class AccountOut(Schema):
    id: int
    external_id: str
    name: str
    industry: str
    tier: str
    region: str
    arr: Decimal
    renewal_date: date | None
    contact_count: int


class ContactOut(Schema):
    id: int
    external_id: str
    name: str
    email: str
    language: str
    title: str
    stakeholder_role: str
    account_id: int | None


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    touchpoint: str
    response_count: int


class AuditOut(Schema):
    id: int
    action: str
    actor_email: str | None
    target: str
    ip_address: str | None
    created_at: datetime
