"""The alert and routing rule language: parse, validate, evaluate and write back rules.

A rule is ``{"name": ..., "when": <condition>, "then": <actions>, "promoter": false}``. It is stored as JSON;
``parse`` turns such a dict into frozen dataclasses (or raises ``RuleError`` listing every problem, each at its
JSON path such as ``when.all[2].op``), ``to_json`` writes the canonical dict back, and ``evaluate`` /
``matching`` / ``explain`` decide a condition against the ``ResponseFacts`` of one response.

Conditions are groups ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}`` (at most ``MAX_DEPTH``
levels, ``MAX_LEAVES`` leaves) and leaves ``{"field": <field>, "op": <op>, "value": ...}``. Each field has a
kind that decides which ops apply (see ``docs/rules.md`` for the full table):

* ``number``: ``score.<question>`` (``score.<question>.<item>``), ``score_type.<type>``,
  ``account.renewal_days``
* ``value`` (text, a number, or a list of chosen options): ``answer.<question>``, ``embedded.<name>``,
  ``contact.<attr>``, ``account.<attr>``
* ``label``: ``touchpoint``, ``channel``, ``language``, ``survey`` (id or slug), ``sentiment``
* ``set``: ``segment`` (the contact's segments, each by id and name: ``in [12]`` or ``in ["Enterprise"]``),
  ``theme``
* ``text``: ``comment``

Missing values: a leaf on a missing value (absent, None, blank text, an empty list) is false for every op
except ``not_exists`` -- including the negative ops ``!=``, ``not_in`` and ``not_contains``. Wrap a leaf in
``not`` to get "missing or different". Text compares without regard to case; numbers compare as numbers,
also when the value is text such as ``"120"`` (embedded fields arrive as text).

Pure Python: no Django.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar

from cxloop.core.survey_model import KEY_PATTERN, OPTION_KEY_PATTERN, Problem
from cxloop.core.survey_values import show

__all__ = [
    "CLOCKS",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "OPS",
    "PRIORITIES",
    "SCORE_TYPES",
    "Actions",
    "AllOf",
    "AnyOf",
    "AssignUser",
    "Condition",
    "Leaf",
    "LeafCheck",
    "Not",
    "Notify",
    "OpenCase",
    "Problem",
    "ResponseFacts",
    "Rule",
    "RuleError",
    "Sla",
    "ThankYou",
    "capped",
    "default_team",
    "evaluate",
    "explain",
    "field_kind",
    "matching",
    "next_assignee",
    "parse",
    "parse_condition",
    "to_json",
]

SCORE_TYPES: tuple[str, ...] = ("nps", "csat", "ces", "sus", "umux_lite", "rating")
OPS: tuple[str, ...] = (
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "between",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "matches",
    "exists",
    "not_exists",
)
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
CLOCKS: tuple[str, ...] = ("calendar", "business")
ROUND_ROBIN = "round_robin"

MAX_DEPTH = 6  # levels of nesting, the top condition being level 1
MAX_LEAVES = 50  # leaves in one condition
MAX_LIST = 200  # values of in / not_in
MAX_VALUE_LENGTH = 1_000  # one text value
MAX_PATTERN_LENGTH = 200  # one regular expression
MAX_MATCH_TEXT = 10_000  # characters of a comment that contains / matches look at
MAX_NAME_LENGTH = 200  # rule, team, channel and template names
MAX_HOURS = 10_000.0  # an SLA target
MAX_CAP_DAYS = 3_650
MAX_NOTIFY = 20
MAX_NUMBER = 1e15

_ORDERING = ("<", "<=", ">", ">=")
_NO_VALUE = ("exists", "not_exists")
_KIND_OPS: dict[str, tuple[str, ...]] = {
    "number": ("=", "!=", "<", "<=", ">", ">=", "between", "in", "not_in", "exists", "not_exists"),
    "value": OPS,
    "label": ("=", "!=", "in", "not_in", "exists", "not_exists"),
    "set": ("in", "not_in", "exists", "not_exists"),
    "text": ("contains", "not_contains", "matches", "exists", "not_exists"),
}
_PLAIN_FIELDS: dict[str, str] = {
    "touchpoint": "label",
    "channel": "label",
    "language": "label",
    "survey": "label",
    "sentiment": "label",
    "segment": "set",
    "theme": "set",
    "comment": "text",
}
_PREFIXES: tuple[str, ...] = ("score", "score_type", "answer", "embedded", "contact", "account")
_ATTR_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
_EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*")
# A repeated group that itself repeats something, e.g. (a+)+ or (\w*x)*: the classic catastrophic backtracking.
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")

_DID_YOU_MEAN: dict[str, str] = {
    "if": "when",
    "condition": "when",
    "where": "when",
    "do": "then",
    "actions": "then",
    "action": "then",
    "title": "name",
    "promoters": "promoter",
    "key": "field",
    "path": "field",
    "operator": "op",
    "values": "value",
    "and": "all",
    "or": "any",
    "none": "not",
    "case": "open_case",
    "create_case": "open_case",
    "alert": "notify",
    "thanks": "thank_you",
    "thankyou": "thank_you",
    "user": "assign",
    "assignee": "assign",
    "group": "team",
    "department": "team",
    "first_response_hours": "first_contact_hours",
    "resolution_hours": "resolve_hours",
    "clock_type": "clock",
    "cap": "cap_days",
}
_OP_ALIASES: dict[str, str] = {
    "==": "=",
    "eq": "=",
    "equals": "=",
    "neq": "!=",
    "ne": "!=",
    "<>": "!=",
    "lt": "<",
    "lte": "<=",
    "le": "<=",
    "=<": "<=",
    "gt": ">",
    "gte": ">=",
    "ge": ">=",
    "=>": ">=",
    "not in": "not_in",
    "nin": "not_in",
    "regex": "matches",
    "match": "matches",
    "answered": "exists",
    "not_answered": "not_exists",
    "missing": "not_exists",
    "has": "contains",
    "includes": "contains",
}
_FIELD_ALIASES: dict[str, str] = {
    "nps": "score_type.nps",
    "csat": "score_type.csat",
    "ces": "score_type.ces",
    "segments": "segment",
    "themes": "theme",
    "text": "comment",
    "comments": "comment",
    "renewal_days": "account.renewal_days",
    "tier": "account.tier",
    "arr": "account.arr",
    "region": "account.region",
    "lang": "language",
    "scores": "score",
    "answers": "answer",
}

Scalar: TypeAlias = str | int | float | bool
Ref: TypeAlias = int | str  # an id or a name
T = TypeVar("T")
Id = TypeVar("Id")


class RuleError(ValueError):
    """A rule is invalid; ``problems`` lists everything wrong with it, each at its JSON path."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'' if n == 1 else 's'} in the rule:"]
        lines += [f"- {p}" for p in self.problems]
        super().__init__("\n".join(lines))


# --- the model -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Leaf:
    """``{"field": field, "op": op, "value": value}``.

    ``value`` is None for exists / not_exists, a tuple for in / not_in, ``(lo, hi)`` for between and the
    pattern text for matches (``pattern`` is then its compiled form, made once at parse time).
    """

    field: str
    op: str
    value: Any = None
    pattern: re.Pattern[str] | None = dataclasses.field(default=None, compare=False, repr=False)


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


@dataclasses.dataclass(frozen=True)
class Sla:
    """Targets in hours from the case's opening; ``clock`` is "calendar" or "business" (see ``core.sla``)."""

    first_contact_hours: float
    resolve_hours: float
    clock: str = "calendar"


@dataclasses.dataclass(frozen=True)
class AssignUser:
    """Assign to one user, by id or e-mail address."""

    user: Ref


@dataclasses.dataclass(frozen=True)
class OpenCase:
    """Open a case for ``team``; ``assign`` is ``"round_robin"``, one user, or None (the team's queue)."""

    team: Ref
    assign: str | AssignUser | None = None
    priority: str = "normal"
    sla: Sla | None = None
    category: str | None = None


@dataclasses.dataclass(frozen=True)
class Notify:
    """Post to these notification channels (ids or names), in order."""

    channels: tuple[Ref, ...]


@dataclasses.dataclass(frozen=True)
class ThankYou:
    """Thank a promoter with ``template``, at most once every ``cap_days`` days per contact (see ``capped``)."""

    template: Ref
    cap_days: int


@dataclasses.dataclass(frozen=True)
class Actions:
    open_case: OpenCase | None = None
    notify: Notify | None = None
    thank_you: ThankYou | None = None


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    when: Condition
    then: Actions
    promoter: bool = False  # a promoter rule: the only kind that may thank


@dataclasses.dataclass(frozen=True, kw_only=True)
class ResponseFacts:
    """What a rule may know about one response (built by the caller; every part may be empty).

    ``scores`` holds numeric answers by question key (``"sus.q1"`` for an item); ``scores_by_type`` the score
    of the first scored question of each type in the survey (``{"nps": 6.0}``). ``themes`` is None when the
    comment has not been analysed (then theme leaves are false); ``segments`` is always known.
    """

    today: date
    answers: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    scores: Mapping[str, float] = dataclasses.field(default_factory=dict)
    scores_by_type: Mapping[str, float] = dataclasses.field(default_factory=dict)
    embedded: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    touchpoint: str | None = None
    channel: str | None = None
    language: str | None = None
    survey_id: int | None = None
    survey_slug: str | None = None
    contact: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    account: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    account_renewal: date | None = None
    segments: frozenset[str] = frozenset()
    themes: frozenset[str] | None = None
    sentiment: str | None = None
    comment: str | None = None


@dataclasses.dataclass(frozen=True)
class LeafCheck:
    """One leaf of ``explain``: where it is, what it tested, the value it saw (None = missing), the result."""

    path: str
    leaf: Leaf
    actual: Any
    result: bool


# --- parsing -------------------------------------------------------------------------------------------


def parse(raw: Any) -> Rule:
    """A rule from its JSON-like dict; raises ``RuleError`` with every problem found."""
    parser = _Parser()
    rule = parser.rule(raw)
    if parser.problems or rule is None:
        raise RuleError(parser.problems)
    return rule


def parse_condition(raw: Any, path: str = "when") -> Condition:
    """A condition alone (e.g. for a "test this condition" form); problems are located under ``path``."""
    parser = _Parser()
    condition = parser.condition_root(path, raw)
    if parser.problems or condition is None:
        raise RuleError(parser.problems)
    return condition


def field_kind(name: str) -> str | None:
    """The kind of a field name ("number", "value", "label", "set", "text"), None when it is not valid."""
    if name in _PLAIN_FIELDS:
        return _PLAIN_FIELDS[name]
    prefix, dot, rest = name.partition(".")
    if not dot or prefix not in _PREFIXES:
        return None
    if prefix == "score_type":
        return "number" if rest in SCORE_TYPES else None
    if prefix in ("score", "answer"):
        base, item_dot, item = rest.partition(".")
        ok = KEY_PATTERN.fullmatch(base) and (not item_dot or OPTION_KEY_PATTERN.fullmatch(item))
        if not ok:
            return None
        return "number" if prefix == "score" else "value"
    if not _ATTR_PATTERN.fullmatch(rest):
        return None
    if prefix == "account" and rest == "renewal_days":
        return "number"
    return "value"


def _guess(name: Any, allowed: Collection[str], aliases: Mapping[str, str]) -> str | None:
    if not isinstance(name, str):
        return None
    alias = aliases.get(name) or aliases.get(name.strip().lower())
    if alias is not None and alias in allowed:
        return alias
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    return close[0] if close else None


def _type_name(raw: Any) -> str:
    return "nothing" if raw is None else type(raw).__name__


def _is_number(raw: Any) -> bool:
    return isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw) and abs(raw) < MAX_NUMBER


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
            where = f"{path}.{name}" if path else str(name)
            guess = _guess(name, allowed, _DID_YOU_MEAN)
            extra = f" (did you mean '{guess}'?)" if guess else f" (allowed: {', '.join(allowed)})"
            self.add(where, f"unknown key {show(name)}{extra}")

    def mapping(self, path: str, raw: Any, what: str) -> Mapping[Any, Any] | None:
        if isinstance(raw, Mapping):
            return raw
        self.add(path, f"{what} must be a mapping, not {_type_name(raw)}")
        return None

    def name(self, path: str, raw: Any, what: str, limit: int = MAX_NAME_LENGTH) -> str | None:
        if raw is None:
            self.add(path, f"missing {what}")
            return None
        if not isinstance(raw, str) or not raw.strip():
            self.add(path, f"{what} must be non-empty text, not {show(raw)}")
            return None
        if len(raw) > limit:
            self.add(path, f"{what} is {len(raw):,} characters, over the limit of {limit:,}")
            return None
        return raw.strip()

    def ref(self, path: str, raw: Any, what: str) -> Ref | None:
        """A positive whole-number id or a non-empty name."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw <= 0:
                self.add(path, f"{what} id must be a positive whole number, not {raw}")
                return None
            return raw
        if raw is None or isinstance(raw, str):
            return self.name(path, raw, what)
        self.add(path, f"{what} must be an id or a name, not {show(raw)}")
        return None

    # --- the rule ---

    def rule(self, raw: Any) -> Rule | None:
        rule = self.mapping("", raw, "a rule")
        if rule is None:
            return None
        self.unknown_keys("", rule, ("name", "when", "then", "promoter"))
        name = self.name("name", rule.get("name"), "rule name")
        promoter = rule.get("promoter", False)
        if not isinstance(promoter, bool):
            self.add("promoter", f"must be true or false, not {show(promoter)}")
            promoter = False
        if "when" not in rule:
            self.add("when", "missing condition")
            when = None
        else:
            when = self.condition_root("when", rule["when"])
        then = self.actions("then", rule.get("then"), promoter)
        if name is None or when is None or then is None:
            return None
        return Rule(name, when, then, promoter)

    # --- conditions ---

    def condition_root(self, path: str, raw: Any) -> Condition | None:
        self.leaves = 0
        condition = self.condition(path, raw, 1)
        if self.leaves > MAX_LEAVES:
            self.add(path, f"has {self.leaves} leaves, more than the limit of {MAX_LEAVES}")
            return None
        return condition

    def condition(self, path: str, raw: Any, depth: int) -> Condition | None:
        if depth > MAX_DEPTH:
            self.add(path, f"conditions nest more than {MAX_DEPTH} levels deep")
            return None
        cond = self.mapping(path, raw, "a condition")
        if cond is None:
            return None
        forms = [f for f in ("all", "any", "not", "field") if f in cond]
        if len(forms) != 1:
            found = f" (found {', '.join(forms)})" if forms else ""
            guesses = [g for g in (_guess(k, ("all", "any", "not", "field"), _DID_YOU_MEAN) for k in cond) if g]
            hint = f" (did you mean '{guesses[0]}'?)" if not forms and guesses else ""
            self.add(path, f"a condition needs exactly one of all, any, not, field{found}{hint}")
            return None
        form = forms[0]
        if form in ("all", "any"):
            self.unknown_keys(path, cond, (form,))
            parts_raw = cond[form]
            where = f"{path}.{form}"
            if not isinstance(parts_raw, list | tuple):
                self.add(where, f"must be a list of conditions, not {_type_name(parts_raw)}")
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
            self.unknown_keys(path, cond, ("not",))
            inner = self.condition(f"{path}.not", cond["not"], depth + 1)
            return None if inner is None else Not(inner)
        self.unknown_keys(path, cond, ("field", "op", "value"))
        self.leaves += 1
        return self.leaf(path, cond)

    def leaf(self, path: str, cond: Mapping[Any, Any]) -> Leaf | None:
        name = cond["field"]
        kind = field_kind(name) if isinstance(name, str) else None
        if kind is None:
            self.add(f"{path}.field", self.field_message(name))
        op = cond.get("op")
        if op not in OPS:
            if op is None:
                self.add(f"{path}.op", "missing op")
            else:
                guess = _guess(op, OPS, _OP_ALIASES)
                hint = f"did you mean '{guess}'?" if guess else f"ops: {', '.join(OPS)}"
                self.add(f"{path}.op", f"unknown op {show(op)} ({hint})")
            return None
        if kind is None:
            return None
        if op not in _KIND_OPS[kind]:
            self.add(f"{path}.op", f"op '{op}' does not apply to '{name}' (use {', '.join(_KIND_OPS[kind])})")
            return None
        raw = cond.get("value")
        where = f"{path}.value"
        if op in _NO_VALUE:
            if raw is not None:
                self.add(where, f"op '{op}' takes no value")
                return None
            return Leaf(name, op)
        if raw is None:
            self.add(where, f"op '{op}' needs a value")
            return None
        if op == "between":
            return self.between(where, name, raw)
        if op in ("in", "not_in"):
            if not isinstance(raw, list | tuple):
                self.add(where, f"op '{op}' needs a list of values, not {show(raw)}")
                return None
            if not raw:
                self.add(where, "the list of values is empty")
                return None
            if len(raw) > MAX_LIST:
                self.add(where, f"has {len(raw)} values, more than the limit of {MAX_LIST}")
                return None
            values = [self.scalar(f"{where}[{i}]", v, op, kind, name) for i, v in enumerate(raw)]
            if any(v is None for v in values):
                return None
            return Leaf(name, op, tuple(values))
        if op == "matches":
            return self.matches(where, name, raw)
        value = self.scalar(where, raw, op, kind, name)
        return None if value is None else Leaf(name, op, value)

    def field_message(self, name: Any) -> str:
        if not isinstance(name, str) or not name:
            return f"field must be a field name such as 'score_type.nps', not {show(name)}"
        prefix, dot, rest = name.partition(".")
        if prefix == "score_type" and dot:
            guess = _guess(rest, SCORE_TYPES, {})
            hint = f"did you mean 'score_type.{guess}'?" if guess else f"types: {', '.join(SCORE_TYPES)}"
            return f"unknown score type {show(rest)} ({hint})"
        if prefix in _PREFIXES and dot:
            what = "question key" if prefix in ("score", "answer") else "name"
            return f"{show(rest)} is not a valid {what} after '{prefix}.'"
        alias = _FIELD_ALIASES.get(name) or (_FIELD_ALIASES.get(prefix) if dot else None)
        if alias is not None:
            guess = alias if not dot or "." in alias else f"{alias}.{rest}"
            return f"unknown field {show(name)} (did you mean '{guess}'?)"
        if prefix in _PREFIXES:
            return f"field '{prefix}' needs a name after it: '{prefix}.<name>'"
        guess = _guess(name, tuple(_PLAIN_FIELDS), {})
        if guess is None and dot:
            close = _guess(prefix, _PREFIXES, {})
            guess = f"{close}.{rest}" if close else None
        hint = (
            f"did you mean '{guess}'?"
            if guess
            else "fields: score.<question>, score_type.<type>, answer.<question>, embedded.<name>, "
            "contact.<attr>, account.<attr>, " + ", ".join(_PLAIN_FIELDS)
        )
        return f"unknown field {show(name)} ({hint})"

    def scalar(self, path: str, raw: Any, op: str, kind: str, name: str) -> Scalar | None:
        if isinstance(raw, list | tuple | Mapping):
            self.add(path, f"op '{op}' needs a single value, not {show(raw)}")
            return None
        if raw is None:
            self.add(path, "a value cannot be null")
            return None
        if kind == "number" or op in _ORDERING:
            if not _is_number(raw):
                self.add(path, f"{show(raw)} is not a number ('{name}' {op} needs one)")
                return None
            return raw
        if name in ("survey", "segment") and isinstance(raw, int) and not isinstance(raw, bool):
            if raw <= 0:  # a survey or segment named by its id
                self.add(path, f"a {name} id must be a positive whole number, not {raw}")
                return None
            return raw
        if kind in ("label", "set", "text") or op in ("contains", "not_contains"):
            if not isinstance(raw, str) or not raw.strip():
                self.add(path, f"must be non-empty text, not {show(raw)}")
                return None
        elif isinstance(raw, str):
            if not raw.strip():
                self.add(path, "must be non-empty text (use 'not_exists' for an empty value)")
                return None
        elif not (_is_number(raw) or isinstance(raw, bool)):
            self.add(path, f"must be text, a number or true/false, not {show(raw)}")
            return None
        if isinstance(raw, str) and len(raw) > MAX_VALUE_LENGTH:
            self.add(path, f"text is {len(raw):,} characters, over the limit of {MAX_VALUE_LENGTH:,}")
            return None
        return raw

    def between(self, path: str, name: str, raw: Any) -> Leaf | None:
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            self.add(path, f"op 'between' needs a list [low, high] of two numbers, not {show(raw)}")
            return None
        lo, hi = raw
        bad = [i for i, v in enumerate(raw) if not _is_number(v)]
        for i in bad:
            self.add(f"{path}[{i}]", f"{show(raw[i])} is not a number")
        if bad:
            return None
        if lo > hi:
            self.add(path, f"the low end {show(lo)} is above the high end {show(hi)}")
            return None
        return Leaf(name, "between", (lo, hi))

    def matches(self, path: str, name: str, raw: Any) -> Leaf | None:
        if not isinstance(raw, str) or not raw:
            self.add(path, f"op 'matches' needs a regular expression as text, not {show(raw)}")
            return None
        if len(raw) > MAX_PATTERN_LENGTH:
            self.add(path, f"the pattern is {len(raw):,} characters, over the limit of {MAX_PATTERN_LENGTH}")
            return None
        if _NESTED_REPEAT.search(raw):
            self.add(path, "the pattern repeats a group that itself repeats (like (a+)+): it could be very slow")
            return None
        try:
            compiled = re.compile(raw, re.IGNORECASE)
        except re.error as exc:
            self.add(path, f"not a valid regular expression: {exc}")
            return None
        return Leaf(name, "matches", raw, compiled)

    # --- actions ---

    def actions(self, path: str, raw: Any, promoter: bool) -> Actions | None:
        allowed = ("open_case", "notify", "thank_you")
        if raw is None:
            self.add(path, "missing actions: give at least one of open_case, notify, thank_you")
            return None
        merged: dict[Any, Any] = {}
        where_of: dict[Any, str] = {}
        if isinstance(raw, list | tuple):  # [{"open_case": ...}, {"notify": [...]}] is accepted too
            for i, item in enumerate(raw):
                one = self.mapping(f"{path}[{i}]", item, "an action")
                if one is None:
                    continue
                if len(one) != 1:
                    self.add(f"{path}[{i}]", f"an action in a list has exactly one key ({', '.join(allowed)})")
                    continue
                ((key, value),) = one.items()
                if key in merged:
                    self.add(f"{path}[{i}].{key}", f"'{key}' is given twice")
                    continue
                merged[key] = value
                where_of[key] = f"{path}[{i}]"
        else:
            mapping = self.mapping(path, raw, "actions")
            if mapping is None:
                return None
            merged = dict(mapping)
            where_of = dict.fromkeys(merged, path)
        for key in merged:
            if key not in allowed:
                self.unknown_keys(where_of[key], {key: None}, allowed)
        if not any(k in merged for k in allowed):
            if not raw:
                self.add(path, "no actions: give at least one of open_case, notify, thank_you")
            return None
        ok = True
        open_case = notify = thank_you = None
        if "open_case" in merged:
            open_case = self.open_case(f"{where_of['open_case']}.open_case", merged["open_case"])
            ok = ok and open_case is not None
        if "notify" in merged:
            notify = self.notify(f"{where_of['notify']}.notify", merged["notify"])
            ok = ok and notify is not None
        if "thank_you" in merged:
            where = f"{where_of['thank_you']}.thank_you"
            thank_you = self.thank_you(where, merged["thank_you"])
            ok = ok and thank_you is not None
            if not promoter:
                self.add(where, 'thank_you is for promoter rules: set "promoter": true on the rule')
                ok = False
        return Actions(open_case, notify, thank_you) if ok else None

    def open_case(self, path: str, raw: Any) -> OpenCase | None:
        case = self.mapping(path, raw, "open_case")
        if case is None:
            return None
        self.unknown_keys(path, case, ("team", "assign", "priority", "sla", "category"))
        n = len(self.problems)
        team = self.ref(f"{path}.team", case.get("team"), "team")
        assign = self.assign(f"{path}.assign", case.get("assign"))
        priority = case.get("priority", "normal")
        if priority not in PRIORITIES:
            guess = _guess(priority, PRIORITIES, {"medium": "normal", "critical": "urgent", "p1": "urgent"})
            hint = f"did you mean '{guess}'?" if guess else f"priorities: {', '.join(PRIORITIES)}"
            self.add(f"{path}.priority", f"unknown priority {show(priority)} ({hint})")
        sla = None if case.get("sla") is None else self.sla(f"{path}.sla", case["sla"])
        category = case.get("category")
        if category is not None:
            category = self.name(f"{path}.category", category, "category", 100)
        if len(self.problems) > n or team is None:
            return None
        return OpenCase(team, assign, priority, sla, category)

    def assign(self, path: str, raw: Any) -> str | AssignUser | None:
        if raw is None or raw == ROUND_ROBIN:
            return raw
        if isinstance(raw, Mapping):
            self.unknown_keys(path, raw, ("user",))
            user = raw.get("user")
            if isinstance(user, str) and not _EMAIL_PATTERN.fullmatch(user.strip()):
                self.add(f"{path}.user", f"{show(user)} is not a user id or an e-mail address")
                return None
            ref = self.ref(f"{path}.user", user, "user")
            return None if ref is None else AssignUser(ref)
        self.add(path, f'must be "round_robin", {{"user": <id or e-mail>}} or null, not {show(raw)}')
        return None

    def hours(self, path: str, raw: Any) -> float | None:
        if raw is None:
            self.add(path, "missing: needs a number of hours")
            return None
        if not _is_number(raw) or raw <= 0:
            self.add(path, f"must be a positive number of hours, not {show(raw)}")
            return None
        if raw > MAX_HOURS:
            self.add(path, f"{show(raw)} hours is over the limit of {MAX_HOURS:,.0f}")
            return None
        return raw

    def sla(self, path: str, raw: Any) -> Sla | None:
        sla = self.mapping(path, raw, "sla")
        if sla is None:
            return None
        self.unknown_keys(path, sla, ("first_contact_hours", "resolve_hours", "clock"))
        first = self.hours(f"{path}.first_contact_hours", sla.get("first_contact_hours"))
        resolve = self.hours(f"{path}.resolve_hours", sla.get("resolve_hours"))
        clock = sla.get("clock", "calendar")
        if clock not in CLOCKS:
            self.add(f"{path}.clock", f"unknown clock {show(clock)} (clocks: {', '.join(CLOCKS)})")
            return None
        if first is None or resolve is None:
            return None
        if resolve < first:
            self.add(
                f"{path}.resolve_hours",
                f"resolve_hours ({show(resolve)}) is less than first_contact_hours ({show(first)})",
            )
            return None
        return Sla(first, resolve, clock)

    def notify(self, path: str, raw: Any) -> Notify | None:
        if not isinstance(raw, list | tuple) or not raw:
            self.add(path, f'must be a non-empty list of {{"channel": <id or name>}}, not {show(raw)}')
            return None
        if len(raw) > MAX_NOTIFY:
            self.add(path, f"has {len(raw)} channels, more than the limit of {MAX_NOTIFY}")
            return None
        channels: list[Ref] = []
        n = len(self.problems)
        for i, item in enumerate(raw):
            entry = self.mapping(f"{path}[{i}]", item, "a notification")
            if entry is None:
                continue
            self.unknown_keys(f"{path}[{i}]", entry, ("channel",))
            ref = self.ref(f"{path}[{i}].channel", entry.get("channel"), "channel")
            if ref is None:
                continue
            if ref in channels:
                self.add(f"{path}[{i}].channel", f"channel {show(ref)} is listed twice")
                continue
            channels.append(ref)
        return Notify(tuple(channels)) if len(self.problems) == n else None

    def thank_you(self, path: str, raw: Any) -> ThankYou | None:
        thanks = self.mapping(path, raw, "thank_you")
        if thanks is None:
            return None
        self.unknown_keys(path, thanks, ("template", "cap_days"))
        template = self.ref(f"{path}.template", thanks.get("template"), "template")
        cap = thanks.get("cap_days")
        if cap is None:
            self.add(f"{path}.cap_days", "missing: needs a number of days between two thank-yous to one contact")
            return None
        if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= MAX_CAP_DAYS:
            self.add(f"{path}.cap_days", f"must be a whole number of days from 1 to {MAX_CAP_DAYS}, not {show(cap)}")
            return None
        return None if template is None else ThankYou(template, cap)


# --- writing back --------------------------------------------------------------------------------------


def _condition_json(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, AllOf):
        return {"all": [_condition_json(c) for c in condition.conditions]}
    if isinstance(condition, AnyOf):
        return {"any": [_condition_json(c) for c in condition.conditions]}
    if isinstance(condition, Not):
        return {"not": _condition_json(condition.condition)}
    out: dict[str, Any] = {"field": condition.field, "op": condition.op}
    if condition.op not in _NO_VALUE:
        value = condition.value
        out["value"] = list(value) if isinstance(value, tuple) else value
    return out


def to_json(rule: Rule | Condition) -> dict[str, Any]:
    """The canonical dict of a rule (or of a condition): every key present, lists for tuples, nulls kept."""
    if not isinstance(rule, Rule):
        return _condition_json(rule)
    then: dict[str, Any] = {}
    case = rule.then.open_case
    if case is not None:
        assign: Any = {"user": case.assign.user} if isinstance(case.assign, AssignUser) else case.assign
        sla = None
        if case.sla is not None:
            s = case.sla
            sla = {"first_contact_hours": s.first_contact_hours, "resolve_hours": s.resolve_hours, "clock": s.clock}
        then["open_case"] = {
            "team": case.team,
            "assign": assign,
            "priority": case.priority,
            "sla": sla,
            "category": case.category,
        }
    if rule.then.notify is not None:
        then["notify"] = [{"channel": c} for c in rule.then.notify.channels]
    if rule.then.thank_you is not None:
        then["thank_you"] = {"template": rule.then.thank_you.template, "cap_days": rule.then.thank_you.cap_days}
    return {"name": rule.name, "when": _condition_json(rule.when), "then": then, "promoter": rule.promoter}


# --- evaluation ----------------------------------------------------------------------------------------


def _lookup_item(values: Mapping[str, Any], ref: str) -> Any:
    if ref in values:
        return values[ref]
    base, dot, item = ref.partition(".")
    if dot:
        whole = values.get(base)
        if isinstance(whole, Mapping):
            return whole.get(item)
    return None


def _lookup(name: str, facts: ResponseFacts) -> Any:
    """The value a field refers to; None when it is missing."""
    if name in _PLAIN_FIELDS:
        if name == "survey":
            found = tuple(v for v in (facts.survey_id, facts.survey_slug) if v is not None)
            return found or None
        if name == "segment":
            return facts.segments
        if name == "theme":
            return facts.themes
        value: Any = getattr(facts, name)
        return value
    prefix, _, rest = name.partition(".")
    if prefix == "score":
        return _lookup_item(facts.scores, rest)
    if prefix == "score_type":
        return facts.scores_by_type.get(rest)
    if prefix == "answer":
        return _lookup_item(facts.answers, rest)
    if prefix == "embedded":
        return facts.embedded.get(rest)
    if prefix == "contact":
        return facts.contact.get(rest)
    if rest == "renewal_days":
        return None if facts.account_renewal is None else (facts.account_renewal - facts.today).days
    return facts.account.get(rest)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset):
        return not value
    return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        return float(value)
    return None


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(expected, int | float):
        number = _number(actual)
        return number is not None and number == float(expected)
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.strip().casefold() == expected.strip().casefold()
    return False


def _items(actual: Any) -> list[Any] | None:
    """A list-like value (chosen options, a set) as a list; None for a single value."""
    if isinstance(actual, list | tuple | set | frozenset):
        return sorted(actual, key=str) if isinstance(actual, set | frozenset) else list(actual)
    return None


def _leaf(leaf: Leaf, actual: Any) -> bool:
    op = leaf.op
    if op == "not_exists":
        return _missing(actual)
    if op == "exists":
        return not _missing(actual)
    kind = field_kind(leaf.field)
    if actual is None or (kind != "set" and _missing(actual)):
        return False  # a missing value: every other op is false
    if leaf.field == "survey":  # (id, slug): either may be named
        hit = any(_equal(a, v) for a in actual for v in (leaf.value if op in ("in", "not_in") else [leaf.value]))
        return hit if op in ("=", "in") else not hit
    items = _items(actual)
    if op in ("=", "!="):
        # a list (chosen options) equals a value only when it holds that value alone
        same = len(items) == 1 and _equal(items[0], leaf.value) if items is not None else _equal(actual, leaf.value)
        return same if op == "=" else not same
    if op in ("in", "not_in"):
        candidates = items if items is not None else [actual]
        hit = any(_equal(a, v) for a in candidates for v in leaf.value)
        return hit if op == "in" else not hit
    if op in ("contains", "not_contains"):
        if items is not None:
            hit = any(_equal(a, leaf.value) for a in items)
        elif isinstance(actual, str):
            hit = leaf.value.casefold() in actual[:MAX_MATCH_TEXT].casefold()
        else:
            return False
        return hit if op == "contains" else not hit
    if op == "matches":
        texts = [a for a in (items if items is not None else [actual]) if isinstance(a, str)]
        pattern = leaf.pattern or re.compile(leaf.value, re.IGNORECASE)
        return any(pattern.search(t[:MAX_MATCH_TEXT]) is not None for t in texts)
    number = _number(actual)
    if number is None:
        return False
    if op == "between":
        lo, hi = leaf.value
        return bool(lo <= number <= hi)
    if op == "<":
        return number < leaf.value
    if op == "<=":
        return number <= leaf.value
    if op == ">":
        return number > leaf.value
    return number >= leaf.value


def evaluate(condition: Condition, facts: ResponseFacts) -> bool:
    """Whether ``condition`` holds for ``facts`` (groups short-circuit; see the module doc for missing values)."""
    if isinstance(condition, AllOf):
        return all(evaluate(c, facts) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, facts) for c in condition.conditions)
    if isinstance(condition, Not):
        return not evaluate(condition.condition, facts)
    return _leaf(condition, _lookup(condition.field, facts))


def matching(rules: Iterable[Rule], facts: ResponseFacts) -> list[Rule]:
    """The rules whose condition holds, in the given order."""
    return [rule for rule in rules if evaluate(rule.when, facts)]


def explain(condition: Condition, facts: ResponseFacts, path: str = "when") -> list[LeafCheck]:
    """Every leaf (none skipped by short-circuit) with the value it saw and its own result, in order."""
    if isinstance(condition, AllOf | AnyOf):
        form = "all" if isinstance(condition, AllOf) else "any"
        out: list[LeafCheck] = []
        for i, part in enumerate(condition.conditions):
            out += explain(part, facts, f"{path}.{form}[{i}]")
        return out
    if isinstance(condition, Not):
        return explain(condition.condition, facts, f"{path}.not")
    actual = _lookup(condition.field, facts)
    shown = None if _missing(actual) and field_kind(condition.field) != "set" else actual
    return [LeafCheck(path, condition, shown, _leaf(condition, actual))]


# --- helpers for the actions ---------------------------------------------------------------------------


def capped(last_sent_at: datetime | None, now: datetime, cap_days: int) -> bool:
    """True when a thank-you went to this contact less than ``cap_days`` days before ``now`` (so send none)."""
    if last_sent_at is None:
        return False
    return now - last_sent_at < timedelta(days=cap_days)


def default_team(touchpoint: str | None, owners: Mapping[str, T]) -> T | None:
    """The team that owns a touchpoint (``owners`` maps touchpoint -> team), None when nobody does."""
    if touchpoint is None:
        return None
    return owners.get(touchpoint)


def next_assignee(members: Sequence[Id], last_assigned: Id | None) -> Id | None:
    """Round robin: the member after ``last_assigned`` (wrapping), the first when it is None or gone."""
    if not members:
        return None
    if last_assigned is None or last_assigned not in members:
        return members[0]
    return members[(list(members).index(last_assigned) + 1) % len(members)]
