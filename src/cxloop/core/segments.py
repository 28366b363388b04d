"""Segment definitions: a saved filter over contacts, their accounts and what they did (pure Python, no Django).

A definition is one condition in the style of the alert rules (``core.rules``): groups ``{"all": [...]}``,
``{"any": [...]}``, ``{"not": {...}}`` (at most ``MAX_DEPTH`` levels, ``MAX_LEAVES`` leaves) and leaves
``{"field": <field>, "op": <op>, "value": ...}``. ``parse`` turns the JSON into frozen dataclasses or raises
``SegmentError`` listing every problem at its JSON path (``all[2].value``); ``to_json`` writes the canonical
form back; ``describe`` says in words (zh-Hans, zh-Hant, en) what the segment selects. ``segments.members``
(the Django side) turns a parsed definition into a query.

Fields (``docs/segments.md`` has the full table):

* ``contact.<field>``: name, email, phone, title, external_id (text); language, stakeholder_role (choice);
  ``contact.attributes.<name>``: the contact's own attribute (a JSON value)
* ``account.<field>``: name, external_id, industry, region, currency (text); tier (choice); arr (number);
  renewal_date, customer_since (date, ``YYYY-MM-DD``); renewal_days (number: days from today, negative once
  passed); ``account.attributes.<name>`` (a JSON value)
* behaviour, from the data cxloop holds: ``behaviour.responses`` (complete responses; optional ``survey``
  (id or slug), ``kind``, ``touchpoint`` and ``days`` = within the last N days), ``behaviour.last_response_days``
  (whole days since the latest complete response; missing when never), ``behaviour.nps`` and
  ``behaviour.nps_category`` (the latest NPS answer and its bucket: promoter 9–10, passive 7–8, detractor 0–6),
  ``behaviour.open_cases`` (cases not yet resolved); from behavioural events (``POST /api/v1/events``):
  ``behaviour.events`` (how many events the contact did; ``event`` names one event, e.g. ``signed_up``, and
  ``touchpoint`` / ``days`` narrow them) and ``behaviour.last_event_days`` (whole days since the latest such event;
  missing when never) — e.g. trial users who never finished onboarding:
  ``{"all": [{"field": "behaviour.events", "event": "signed_up", "op": ">=", "value": 1},
  {"field": "behaviour.events", "event": "onboarding_completed", "op": "=", "value": 0}]}``

Missing values work as in the rules: every op except ``not_exists`` is false on a missing value (absent, null,
blank text), the negative ops ``!=``, ``not_in`` and ``not_contains`` included; wrap a positive leaf in ``not``
for "missing or different". Text compares without regard to case; numbers compare as numbers, also when an
attribute holds a number as text (``"120"``).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeAlias

from cxloop.core.survey_model import Problem
from cxloop.core.survey_values import show

__all__ = [
    "BEHAVIOUR_EXTRAS",
    "CHOICES",
    "EXAMPLE",
    "FIELDS",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "AllOf",
    "AnyOf",
    "Condition",
    "Leaf",
    "Not",
    "Problem",
    "SegmentError",
    "day_bounds",
    "describe",
    "field_kind",
    "fields_used",
    "parse",
    "to_json",
]

MAX_DEPTH = 6
MAX_LEAVES = 50
MAX_LIST = 200
MAX_TEXT = 500
MAX_DAYS = 3650
MAX_NUMBER = 1e15
LANGUAGES = ("zh-hans", "zh-hant", "en")

CONTACT_FIELDS: dict[str, str] = {
    "name": "text", "email": "text", "phone": "text", "title": "text", "external_id": "text",
    "language": "choice", "stakeholder_role": "choice",
}
ACCOUNT_FIELDS: dict[str, str] = {
    "name": "text", "external_id": "text", "industry": "text", "region": "text", "currency": "text",
    "tier": "choice", "arr": "number", "renewal_date": "date", "customer_since": "date", "renewal_days": "number",
}
BEHAVIOUR_FIELDS: dict[str, str] = {
    "responses": "count", "last_response_days": "days", "nps": "number", "nps_category": "choice",
    "open_cases": "count", "events": "count", "last_event_days": "days",
}
# Extra keys a behaviour leaf may carry: which responses it looks at.
BEHAVIOUR_EXTRAS: dict[str, tuple[str, ...]] = {
    "responses": ("survey", "kind", "touchpoint", "days"),
    "last_response_days": ("survey", "kind", "touchpoint"),
    "nps": ("survey", "kind", "touchpoint", "days"),
    "nps_category": ("survey", "kind", "touchpoint", "days"),
    "open_cases": (),
    "events": ("event", "touchpoint", "days"),
    "last_event_days": ("event", "touchpoint"),
}
FIELDS: dict[str, str] = {
    **{f"contact.{k}": v for k, v in CONTACT_FIELDS.items()},
    **{f"account.{k}": v for k, v in ACCOUNT_FIELDS.items()},
    **{f"behaviour.{k}": v for k, v in BEHAVIOUR_FIELDS.items()},
}
CHOICES: dict[str, tuple[str, ...]] = {
    "contact.language": LANGUAGES,
    "contact.stakeholder_role": ("decision_maker", "economic_buyer", "champion", "influencer", "user"),
    "account.tier": ("enterprise", "mid_market", "smb"),
    "behaviour.nps_category": ("promoter", "passive", "detractor"),
}
SURVEY_KINDS = ("nps", "csat", "ces", "sus", "umux_lite", "acsi", "custom")

_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=", "between")
_NO_VALUE = ("exists", "not_exists")
KIND_OPS: dict[str, tuple[str, ...]] = {
    "text": ("=", "!=", "in", "not_in", "contains", "not_contains", "exists", "not_exists"),
    "choice": ("=", "!=", "in", "not_in", "exists", "not_exists"),
    "number": (*_NUMBER_OPS, "exists", "not_exists"),
    "count": _NUMBER_OPS,
    "days": (*_NUMBER_OPS, "exists", "not_exists"),
    "date": (*_NUMBER_OPS, "exists", "not_exists"),
    "value": (*_NUMBER_OPS, "in", "not_in", "contains", "not_contains", "exists", "not_exists"),
}
OPS: tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=", "between", "in", "not_in", "contains", "not_contains",
                        "exists", "not_exists")
_ATTR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_ALIASES: dict[str, str] = {
    "tier": "account.tier", "arr": "account.arr", "region": "account.region", "industry": "account.industry",
    "renewal_date": "account.renewal_date", "renewal_days": "account.renewal_days", "language": "contact.language",
    "role": "contact.stakeholder_role", "stakeholder_role": "contact.stakeholder_role",
    "contact.role": "contact.stakeholder_role", "nps": "behaviour.nps", "responses": "behaviour.responses",
    "open_cases": "behaviour.open_cases", "behavior.responses": "behaviour.responses",
    "behavior.nps": "behaviour.nps", "behavior.nps_category": "behaviour.nps_category",
    "behavior.open_cases": "behaviour.open_cases", "behavior.last_response_days": "behaviour.last_response_days",
}
_OP_ALIASES: dict[str, str] = {
    "==": "=", "eq": "=", "equals": "=", "neq": "!=", "ne": "!=", "<>": "!=", "lt": "<", "lte": "<=", "le": "<=",
    "gt": ">", "gte": ">=", "ge": ">=", "not in": "not_in", "nin": "not_in", "has": "contains",
    "includes": "contains", "missing": "not_exists",
}
EXAMPLE: dict[str, Any] = {"all": [
    {"field": "account.tier", "op": "=", "value": "enterprise"},
    {"field": "account.region", "op": "=", "value": "华东"},
    {"field": "account.arr", "op": ">", "value": 1000000},
]}

Scalar: TypeAlias = str | int | float | bool


class SegmentError(ValueError):
    """A definition is invalid; ``problems`` lists everything wrong with it, each at its JSON path."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'' if n == 1 else 's'} in the segment definition:"]
        lines += [f"- {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One test. ``value``: None (exists / not_exists), a tuple (in / not_in), ``(lo, hi)`` (between), a
    ``date`` for date fields, else one scalar. ``survey`` / ``kind`` / ``touchpoint`` / ``days`` narrow a
    behaviour field to some responses."""

    field: str
    op: str
    value: Any = None
    survey: int | str | None = None
    kind: str | None = None
    touchpoint: str | None = None
    days: int | None = None
    event: str | None = None


@dataclasses.dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclasses.dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclasses.dataclass(frozen=True)
class Not:
    condition: Condition


Condition: TypeAlias = Leaf | AllOf | AnyOf | Not


def field_kind(name: str) -> str | None:
    """The kind of a field ("text", "choice", "number", "count", "days", "date", "value"), None if unknown."""
    if name in FIELDS:
        return FIELDS[name]
    for prefix in ("contact.attributes.", "account.attributes."):
        if name.startswith(prefix):
            attribute = name.removeprefix(prefix)
            return "value" if _ATTR.fullmatch(attribute) and "__" not in attribute else None
    return None


def _guess(name: Any, allowed: Iterable[str], aliases: Mapping[str, str]) -> str | None:
    if not isinstance(name, str):
        return None
    allowed = list(allowed)
    alias = aliases.get(name) or aliases.get(name.strip().lower())
    if alias is not None and alias in allowed:
        return alias
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _is_number(raw: Any) -> bool:
    return isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw) and abs(raw) < MAX_NUMBER


# --- parsing -------------------------------------------------------------------------------------------


def parse(raw: Any) -> Condition:
    """A definition from its JSON-like dict; raises ``SegmentError`` with every problem found."""
    parser = _Parser()
    condition = parser.condition("", raw, 1)
    if parser.leaves > MAX_LEAVES:
        parser.add("", f"has {parser.leaves} leaves, more than the limit of {MAX_LEAVES}")
    if parser.problems or condition is None:
        raise SegmentError(parser.problems)
    return condition


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Parser:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.leaves = 0

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def unknown_keys(self, path: str, raw: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        for name in raw:
            if name in allowed:
                continue
            guess = _guess(name, allowed, {"and": "all", "or": "any", "operator": "op", "values": "value"})
            extra = f" (did you mean '{guess}'?)" if guess else f" (allowed: {', '.join(allowed)})"
            self.add(_join(path, str(name)), f"unknown key {show(name)}{extra}")

    def condition(self, path: str, raw: Any, depth: int) -> Condition | None:
        if depth > MAX_DEPTH:
            self.add(path, f"conditions nest more than {MAX_DEPTH} levels deep")
            return None
        if not isinstance(raw, Mapping):
            kind = "nothing" if raw is None else type(raw).__name__
            self.add(path, f"a condition must be a mapping, not {kind}")
            return None
        forms = [f for f in ("all", "any", "not", "field") if f in raw]
        if len(forms) != 1:
            found = f" (found {', '.join(forms)})" if forms else ""
            guesses = [g for k in raw if (g := _guess(k, ("all", "any", "not", "field"), {"and": "all", "or": "any"}))]
            hint = f" (did you mean '{guesses[0]}'?)" if not forms and guesses else ""
            self.add(path, f"a condition needs exactly one of all, any, not, field{found}{hint}")
            return None
        form = forms[0]
        if form in ("all", "any"):
            self.unknown_keys(path, raw, (form,))
            where = _join(path, form)
            parts_raw = raw[form]
            if not isinstance(parts_raw, list | tuple):
                self.add(where, "must be a list of conditions")
                return None
            if not parts_raw:
                self.add(where, "the list of conditions is empty")
                return None
            parts = [self.condition(f"{where}[{i}]", c, depth + 1) for i, c in enumerate(parts_raw)]
            done = tuple(p for p in parts if p is not None)
            if len(done) != len(parts):
                return None
            return AllOf(done) if form == "all" else AnyOf(done)
        if form == "not":
            self.unknown_keys(path, raw, ("not",))
            inner = self.condition(_join(path, "not"), raw["not"], depth + 1)
            return None if inner is None else Not(inner)
        self.leaves += 1
        return self.leaf(path, raw)

    def field_message(self, name: Any) -> str:
        if not isinstance(name, str) or not name.strip():
            return f"a field must be a name such as 'account.tier', not {show(name)}"
        for prefix in ("contact.attributes.", "account.attributes."):
            if name.startswith(prefix):
                return (f"attribute name {show(name.removeprefix(prefix))} must be 1 to 64 letters, digits, "
                        "'_' or '-' (not '__')")
        guess = _guess(name, FIELDS, _ALIASES)
        if guess is None and "." in name and name.split(".")[0] in ("contact", "account"):
            guess = f"{name.split('.')[0]}.attributes.{name.split('.', 1)[1]}"
        hint = f" (did you mean '{guess}'?)" if guess else " (see the list of fields)"
        return f"unknown field {show(name)}{hint}"

    def leaf(self, path: str, raw: Mapping[Any, Any]) -> Leaf | None:
        name = raw["field"]
        kind = field_kind(name) if isinstance(name, str) else None
        extras = BEHAVIOUR_EXTRAS.get(name.removeprefix("behaviour."), ()) if isinstance(name, str) \
            and name.startswith("behaviour.") else ()
        self.unknown_keys(path, raw, ("field", "op", "value", *extras))
        if kind is None:
            self.add(_join(path, "field"), self.field_message(name))
        op = raw.get("op")
        if op not in OPS:
            if op is None:
                self.add(_join(path, "op"), "missing op")
            else:
                guess = _guess(op, OPS, _OP_ALIASES)
                hint = f"did you mean '{guess}'?" if guess else f"ops: {', '.join(OPS)}"
                self.add(_join(path, "op"), f"unknown op {show(op)} ({hint})")
            return None
        if kind is None:
            return None
        if op not in KIND_OPS[kind]:
            self.add(_join(path, "op"), f"op '{op}' does not apply to '{name}' (use {', '.join(KIND_OPS[kind])})")
            return None
        n = len(self.problems)
        extra = self.extras(path, raw, extras)
        value = self.value(_join(path, "value"), name, kind, op, raw)
        if len(self.problems) > n:
            return None
        return Leaf(name, op, value, **extra)

    def extras(self, path: str, raw: Mapping[Any, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "survey" in allowed and raw.get("survey") is not None:
            survey = raw["survey"]
            if isinstance(survey, int) and not isinstance(survey, bool) and survey > 0:
                out["survey"] = survey
            elif isinstance(survey, str) and _SLUG.fullmatch(survey.strip()):
                out["survey"] = survey.strip()
            else:
                self.add(_join(path, "survey"), f"a survey id or slug, not {show(survey)}")
        if "kind" in allowed and raw.get("kind") is not None:
            kind = raw["kind"]
            if kind in SURVEY_KINDS:
                out["kind"] = kind
            else:
                self.add(_join(path, "kind"), f"unknown survey kind {show(kind)} (kinds: {', '.join(SURVEY_KINDS)})")
        if "touchpoint" in allowed and raw.get("touchpoint") is not None:
            touchpoint = raw["touchpoint"]
            if isinstance(touchpoint, str) and touchpoint.strip() and len(touchpoint) <= 120:
                out["touchpoint"] = touchpoint.strip()
            else:
                self.add(_join(path, "touchpoint"), f"a touchpoint name (1 to 120 characters), not {show(touchpoint)}")
        if "event" in allowed and raw.get("event") is not None:
            event = raw["event"]
            if isinstance(event, str) and event.strip() and len(event) <= 100:
                out["event"] = event.strip()
            else:
                self.add(_join(path, "event"), f"an event name (1 to 100 characters), not {show(event)}")
        if "days" in allowed and raw.get("days") is not None:
            days = raw["days"]
            if isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_DAYS:
                out["days"] = days
            else:
                self.add(_join(path, "days"), f"a whole number of days from 1 to {MAX_DAYS}, not {show(days)}")
        return out

    def value(self, path: str, name: str, kind: str, op: str, raw: Mapping[Any, Any]) -> Any:
        if op in _NO_VALUE:
            if raw.get("value") is not None:
                self.add(path, f"op '{op}' takes no value")
            return None
        if "value" not in raw or raw["value"] is None:
            self.add(path, f"op '{op}' needs a value")
            return None
        value = raw["value"]
        if op == "between":
            if not isinstance(value, list | tuple) or len(value) != 2:
                self.add(path, f"between needs [low, high], not {show(value)}")
                return None
            lo = self.one(f"{path}[0]", name, kind, op, value[0])
            hi = self.one(f"{path}[1]", name, kind, op, value[1])
            if lo is not None and hi is not None and lo > hi:
                self.add(path, f"low ({show(value[0])}) is above high ({show(value[1])})")
            return (lo, hi)
        if op in ("in", "not_in"):
            if not isinstance(value, list | tuple) or not value:
                self.add(path, f"'{op}' needs a non-empty list, not {show(value)}")
                return None
            if len(value) > MAX_LIST:
                self.add(path, f"has {len(value)} values, more than the limit of {MAX_LIST}")
                return None
            return tuple(self.one(f"{path}[{i}]", name, kind, op, v) for i, v in enumerate(value))
        return self.one(path, name, kind, op, value)

    def one(self, path: str, name: str, kind: str, op: str, value: Any) -> Any:
        ordering = op in ("<", "<=", ">", ">=", "between")
        if kind == "date":
            try:
                return date.fromisoformat(value) if isinstance(value, str) else self._bad_date(path, value)
            except ValueError:
                return self._bad_date(path, value)
        if kind in ("number", "count", "days") or (kind == "value" and ordering):
            if not _is_number(value):
                self.add(path, f"must be a number, not {show(value)}")
                return None
            if kind in ("count", "days") and (value < 0 or value != int(value)):
                self.add(path, f"must be a whole number, 0 or more, not {show(value)}")
                return None
            return int(value) if kind in ("count", "days") else value
        if kind == "choice":
            allowed = CHOICES[name]
            text = value.strip().lower() if isinstance(value, str) else value
            if text not in allowed:
                guess = _guess(value, allowed, {})
                hint = f"did you mean '{guess}'?" if guess else f"one of {', '.join(allowed)}"
                self.add(path, f"unknown value {show(value)} ({hint})")
                return None
            return text
        if kind == "text" or op in ("contains", "not_contains"):
            if not isinstance(value, str) or not value.strip():
                self.add(path, f"must be non-empty text, not {show(value)}")
                return None
        elif not isinstance(value, str | bool) and not _is_number(value):
            self.add(path, f"must be text, a number or true/false, not {show(value)}")
            return None
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                self.add(path, f"is {len(value):,} characters, over the limit of {MAX_TEXT}")
                return None
            return value.strip()
        return value

    def _bad_date(self, path: str, value: Any) -> None:
        self.add(path, f"must be a date written YYYY-MM-DD, not {show(value)}")


# --- writing back --------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


def to_json(condition: Condition) -> dict[str, Any]:
    """The canonical dict: lists for tuples, dates as ``YYYY-MM-DD``, extras only when set."""
    if isinstance(condition, AllOf):
        return {"all": [to_json(c) for c in condition.conditions]}
    if isinstance(condition, AnyOf):
        return {"any": [to_json(c) for c in condition.conditions]}
    if isinstance(condition, Not):
        return {"not": to_json(condition.condition)}
    out: dict[str, Any] = {"field": condition.field, "op": condition.op}
    if condition.op not in _NO_VALUE:
        out["value"] = _json_value(condition.value)
    for name in ("survey", "kind", "touchpoint", "days"):
        if getattr(condition, name) is not None:
            out[name] = getattr(condition, name)
    return out


def leaves(condition: Condition) -> list[Leaf]:
    if isinstance(condition, AllOf | AnyOf):
        return [leaf for c in condition.conditions for leaf in leaves(c)]
    if isinstance(condition, Not):
        return leaves(condition.condition)
    return [condition]


def fields_used(condition: Condition) -> set[str]:
    return {leaf.field for leaf in leaves(condition)}


def day_bounds(op: str, value: Any) -> tuple[int | None, int | None]:
    """A whole-number comparison as an inclusive range (low, high) of whole numbers; None = open.
    ``!=`` is not a range: callers negate ``=``."""
    if op == "between":
        lo, hi = value
        return math.ceil(lo), math.floor(hi)
    if op in ("=", "!="):
        return (int(value), int(value)) if value == int(value) else (1, 0)
    if op == "<":
        return None, math.ceil(value) - 1
    if op == "<=":
        return None, math.floor(value)
    if op == ">":
        return math.floor(value) + 1, None
    return math.ceil(value), None


# --- in words ------------------------------------------------------------------------------------------

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "all": " and ", "any": " or ", "not": "not ({})", "everyone": "every contact",
        "=": "{f} is {v}", "!=": "{f} is not {v}", "<": "{f} is below {v}", "<=": "{f} is at most {v}",
        ">": "{f} is above {v}", ">=": "{f} is at least {v}", "between": "{f} is between {v}",
        "in": "{f} is one of {v}", "not_in": "{f} is none of {v}", "contains": "{f} contains {v}",
        "not_contains": "{f} does not contain {v}", "exists": "{f} is known", "not_exists": "{f} is unknown",
        "lead": "Contacts where {}", "to": " to ", "list": ", ", "survey": "survey {}", "kind": "{} surveys",
        "touchpoint": "at touchpoint {}", "event": "event “{}”", "days": "in the last {} days", "quote": "“{}”",
        "attribute": "contact attribute {}", "account_attribute": "account attribute {}",
    },
    "zh-hans": {
        "all": "，且", "any": "，或", "not": "并非（{}）", "everyone": "所有联系人",
        "=": "{f}为{v}", "!=": "{f}不是{v}", "<": "{f}小于{v}", "<=": "{f}不超过{v}", ">": "{f}大于{v}",
        ">=": "{f}至少为{v}", "between": "{f}介于{v}", "in": "{f}为{v}之一", "not_in": "{f}不是{v}中的任何一个",
        "contains": "{f}包含{v}", "not_contains": "{f}不包含{v}", "exists": "{f}已知", "not_exists": "{f}未知",
        "lead": "满足以下条件的联系人：{}", "to": "至", "list": "、", "survey": "调研 {}", "kind": "{} 类调研",
        "touchpoint": "触点 {}", "event": "事件“{}”", "days": "最近 {} 天内", "quote": "“{}”",
        "attribute": "联系人属性 {}", "account_attribute": "客户属性 {}",
    },
    "zh-hant": {
        "all": "，且", "any": "，或", "not": "並非（{}）", "everyone": "所有聯絡人",
        "=": "{f}為{v}", "!=": "{f}不是{v}", "<": "{f}小於{v}", "<=": "{f}不超過{v}", ">": "{f}大於{v}",
        ">=": "{f}至少為{v}", "between": "{f}介於{v}", "in": "{f}為{v}之一", "not_in": "{f}不是{v}中的任何一個",
        "contains": "{f}包含{v}", "not_contains": "{f}不包含{v}", "exists": "{f}已知", "not_exists": "{f}未知",
        "lead": "符合以下條件的聯絡人：{}", "to": "至", "list": "、", "survey": "調研 {}", "kind": "{} 類調研",
        "touchpoint": "觸點 {}", "event": "事件「{}」", "days": "最近 {} 天內", "quote": "「{}」",
        "attribute": "聯絡人屬性 {}", "account_attribute": "客戶屬性 {}",
    },
}
_FIELD_WORDS: dict[str, tuple[str, str, str]] = {  # (en, zh-hans, zh-hant)
    "contact.name": ("name", "姓名", "姓名"),
    "contact.email": ("e-mail", "邮箱", "郵箱"),
    "contact.phone": ("phone", "电话", "電話"),
    "contact.title": ("job title", "职位", "職位"),
    "contact.external_id": ("contact id", "联系人编号", "聯絡人編號"),
    "contact.language": ("language", "语言", "語言"),
    "contact.stakeholder_role": ("stakeholder role", "干系人角色", "干係人角色"),
    "account.name": ("account", "客户名称", "客戶名稱"),
    "account.external_id": ("account id", "客户编号", "客戶編號"),
    "account.industry": ("industry", "行业", "行業"),
    "account.region": ("region", "区域", "區域"),
    "account.currency": ("currency", "币种", "幣種"),
    "account.tier": ("account tier", "客户层级", "客戶層級"),
    "account.arr": ("ARR", "年度经常性收入（ARR）", "年度經常性收入（ARR）"),
    "account.renewal_date": ("renewal date", "续约日期", "續約日期"),
    "account.customer_since": ("customer since", "成为客户日期", "成為客戶日期"),
    "account.renewal_days": ("days to renewal", "距续约天数", "距續約天數"),
    "behaviour.responses": ("completed responses", "完成的答卷数", "完成的答卷數"),
    "behaviour.last_response_days": ("days since the last response", "距最近一次答卷的天数",
                                     "距最近一次答卷的天數"),
    "behaviour.nps": ("latest NPS score", "最近一次 NPS 评分", "最近一次 NPS 評分"),
    "behaviour.nps_category": ("latest NPS group", "最近一次 NPS 分组", "最近一次 NPS 分組"),
    "behaviour.open_cases": ("open cases", "未结案件数", "未結案件數"),
    "behaviour.events": ("events", "行为事件数", "行為事件數"),
    "behaviour.last_event_days": ("days since the last event", "距最近一次行为事件的天数", "距最近一次行為事件的天數"),
}
_VALUE_WORDS: dict[str, tuple[str, str, str]] = {
    "enterprise": ("enterprise", "企业", "企業"),
    "mid_market": ("mid-market", "中型企业", "中型企業"),
    "smb": ("small business", "小企业", "小企業"),
    "decision_maker": ("decision maker", "决策者", "決策者"),
    "economic_buyer": ("economic buyer", "经济决策人", "經濟決策人"),
    "champion": ("champion", "内部倡导者", "內部倡導者"),
    "influencer": ("influencer", "影响者", "影響者"),
    "user": ("user", "使用者", "使用者"),
    "promoter": ("promoter", "推荐者", "推薦者"),
    "passive": ("passive", "被动者", "被動者"),
    "detractor": ("detractor", "贬损者", "貶損者"),
    "zh-hans": ("Simplified Chinese", "简体中文", "簡體中文"),
    "zh-hant": ("Traditional Chinese", "繁体中文", "繁體中文"),
    "en": ("English", "英文", "英文"),
}


def _lang_index(language: str) -> tuple[str, int]:
    language = (language or "en").lower()
    if language.startswith("zh-hant") or language in ("zh-tw", "zh-hk"):
        return "zh-hant", 2
    if language.startswith("zh"):
        return "zh-hans", 1
    return "en", 0


def _field_words(name: str, language: str) -> str:
    lang, i = _lang_index(language)
    if name in _FIELD_WORDS:
        return _FIELD_WORDS[name][i]
    words = _WORDS[lang]
    if name.startswith("contact.attributes."):
        return words["attribute"].format(name.removeprefix("contact.attributes."))
    return words["account_attribute"].format(name.removeprefix("account.attributes."))


def _value_words(value: Any, language: str) -> str:
    lang, i = _lang_index(language)
    if isinstance(value, bool):
        return {"en": ("no", "yes"), "zh-hans": ("否", "是"), "zh-hant": ("否", "是")}[lang][int(value)]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    if isinstance(value, str) and value in _VALUE_WORDS:
        return _VALUE_WORDS[value][i]
    return _WORDS[lang]["quote"].format(value)


def _leaf_words(leaf: Leaf, language: str) -> str:
    lang, _i = _lang_index(language)
    words = _WORDS[lang]
    field = _field_words(leaf.field, language)
    scope = []
    if leaf.survey is not None:
        scope.append(words["survey"].format(leaf.survey))
    if leaf.kind is not None:
        scope.append(words["kind"].format(leaf.kind))
    if leaf.event is not None:
        scope.append(words["event"].format(leaf.event))
    if leaf.touchpoint is not None:
        scope.append(words["touchpoint"].format(leaf.touchpoint))
    if leaf.days is not None:
        scope.append(words["days"].format(leaf.days))
    if scope:
        field = f"{field} ({words['list'].join(scope)})" if lang == "en" else f"{field}（{words['list'].join(scope)}）"
    if leaf.op in _NO_VALUE:
        value = ""
    elif leaf.op == "between":
        value = words["to"].join(_value_words(v, language) for v in leaf.value)
    elif leaf.op in ("in", "not_in"):
        value = words["list"].join(_value_words(v, language) for v in leaf.value)
    else:
        value = _value_words(leaf.value, language)
    return words[leaf.op].format(f=field, v=value)


def _words(condition: Condition, language: str, top: bool) -> str:
    lang, _i = _lang_index(language)
    words = _WORDS[lang]
    if isinstance(condition, Leaf):
        return _leaf_words(condition, language)
    if isinstance(condition, Not):
        return words["not"].format(_words(condition.condition, language, True))
    joiner = words["all"] if isinstance(condition, AllOf) else words["any"]
    text = joiner.join(_words(c, language, False) for c in condition.conditions)
    if top or len(condition.conditions) == 1:
        return text
    return f"({text})" if lang == "en" else f"（{text}）"


def describe(condition: Condition | None, language: str = "en") -> str:
    """What the definition selects, in words (``zh-hans``, ``zh-hant`` or ``en``)."""
    lang, _i = _lang_index(language)
    if condition is None:
        return _WORDS[lang]["everyone"]
    return _WORDS[lang]["lead"].format(_words(condition, language, True))
