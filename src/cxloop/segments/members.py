"""A segment definition (``core.segments``) as a query: ``q(condition, ctx)`` is a ``Q`` over ``Contact`` that
holds exactly for the members, and ``members(segment)`` the organisation's contacts it selects.

How it is built (the same SQL on SQLite and PostgreSQL):

* every leaf is ``present AND test``, where both parts are TRUE or FALSE and never NULL: so ``not`` and the
  negative ops mean what they say (a missing value fails every op but ``not_exists``, as in the rules);
* account fields go through ``account_id IN (SELECT id FROM account WHERE …)`` of the organisation's accounts,
  so a contact without an account needs no outer join and simply has every account field missing;
* JSON attributes are read as text (``->>``); numbers compare as numbers (``CAST`` of the text when it reads
  as a number, NULL otherwise, guarded), text without regard to case, a list attribute (``modules``) holds a
  value when its JSON text holds that string;
* behaviour fields are correlated subqueries on the contact's responses, answers and cases (``EXISTS`` for
  "has one / has none", a count otherwise), driven by the foreign-key indexes on ``contact_id``.

``SEGMENT_KEY`` is the reserved contact-attribute name the dashboards use to carry a segment through the
metrics service's ``contact`` filter (``analytics.reads`` / ``explore`` turn it into ``members``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Trim
from django.db.models.lookups import Exact, IContains, IExact, IsNull, Regex, StartsWith
from django.utils import timezone

from cxloop.core import segments as core
from cxloop.customers.models import Account, Contact

SEGMENT_KEY = "_segment"  # contact "attribute" the dashboards use for a segment filter (value: its id)
NUMBER_TEXT = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
_LOOKUPS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
NPS_BUCKETS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


@dataclass
class Context:
    """What a query needs beyond the definition: the organisation, today (local) and, when a leaf asks for
    the latest NPS answer, the organisation's NPS question keys (found once)."""

    org_id: int
    today: date = field(default_factory=lambda: timezone.localdate())
    _nps_keys: tuple[str, ...] | None = None

    def nps_keys(self) -> tuple[str, ...]:
        if self._nps_keys is None:
            self._nps_keys = nps_question_keys(self.org_id)
        return self._nps_keys


def nps_question_keys(org_id: int) -> tuple[str, ...]:
    """Keys of the NPS questions in any published version of the organisation's surveys."""
    from cxloop.surveys.models import SurveyVersion
    from cxloop.surveys.services import spec_of

    keys: set[str] = set()
    for version in SurveyVersion.objects.filter(survey__org_id=org_id):
        try:
            spec = spec_of(version)
        except Exception:  # noqa: S112 - an unreadable old version asks nothing we can use
            continue
        keys.update(q.key for q in spec.questions() if q.type == "nps")
    return tuple(sorted(keys))


# --- plain columns -----------------------------------------------------------------------------------


def _text_leaf(column: str, leaf: core.Leaf, nullable: bool = False) -> Q:
    present = ~Q(**{column: ""}) & (Q(**{f"{column}__isnull": False}) if nullable else Q())
    op, value = leaf.op, leaf.value
    if op == "exists":
        return present
    if op == "not_exists":
        return ~present
    if op in ("=", "!="):
        test = Q(**{f"{column}__iexact": value})
    elif op in ("in", "not_in"):
        test = Q()
        for v in value:
            test |= Q(**{f"{column}__iexact": v})
    else:
        test = Q(**{f"{column}__icontains": value})
    return present & (test if op in ("=", "in", "contains") else ~test)


def _ordered_leaf(column: str, leaf: core.Leaf, present: Q) -> Q:
    """Numbers and dates of a column: =, !=, <, <=, >, >=, between."""
    op, value = leaf.op, leaf.value
    if op == "exists":
        return present
    if op == "not_exists":
        return ~present
    if op == "between":
        test = Q(**{f"{column}__gte": value[0], f"{column}__lte": value[1]})
    elif op == "!=":
        return present & ~Q(**{f"{column}__exact": value})
    else:
        test = Q(**{f"{column}__{_LOOKUPS[op]}": value})
    return present & test


def _days_leaf(column: str, leaf: core.Leaf, origin: date, forward: bool) -> Q:
    """A whole-day distance from today on a nullable date column (``renewal_days``: column − today)."""
    present = Q(**{f"{column}__isnull": False})
    if leaf.op == "exists":
        return present
    if leaf.op == "not_exists":
        return ~present
    low, high = core.day_bounds(leaf.op, leaf.value)
    test = Q()
    sign = 1 if forward else -1
    if low is not None:
        test &= Q(**{f"{column}__{'gte' if forward else 'lte'}": origin + timedelta(days=sign * low)})
    if high is not None:
        test &= Q(**{f"{column}__{'lte' if forward else 'gte'}": origin + timedelta(days=sign * high)})
    return present & (~test if leaf.op == "!=" else test)


# --- JSON attributes ---------------------------------------------------------------------------------


def _cmp(expression: Any, lookup: str, value: Any) -> Q:
    """``expression <lookup> value`` as a filter (the expression's own lookup class)."""
    found = expression.get_lookup(lookup)
    if found is None:  # pragma: no cover - every expression here has the ordering lookups
        raise ValueError(f"no lookup {lookup!r}")
    return Q(found(expression, value))


def _number_of(text: Any) -> Case:
    """The attribute as a number when its text reads as one (JSON numbers and numeric text), else NULL."""
    return Case(When(Regex(text, NUMBER_TEXT), then=Cast(Trim(text), FloatField())), default=None,
                output_field=FloatField())


def _equals(attribute: str, column: str, value: Any) -> Q:
    """The attribute equals ``value`` (never NULL): true/false as JSON, numbers as numbers, text without
    regard to case, and a list holding just that text."""
    text = KeyTextTransform(attribute, column)
    if isinstance(value, bool):  # JSON true / false (names never hold "__": core.segments refuses it)
        return Q(IsNull(text, False)) & Q(**{f"{column}__{attribute}": value})
    if isinstance(value, int | float):
        number = _number_of(text)
        return Q(IsNull(number, False)) & Q(Exact(number, float(value)))
    return Q(IsNull(text, False)) & (Q(IExact(text, value)) | Q(IExact(text, json.dumps([value])))
                                     | Q(IExact(text, json.dumps([value], ensure_ascii=False))))


def _holds(attribute: str, column: str, value: Any) -> Q:
    """A list attribute holds ``value`` (any member equal), or a single value equals it."""
    text = KeyTextTransform(attribute, column)
    single = _equals(attribute, column, value)
    if isinstance(value, str):
        is_list = Q(IsNull(text, False)) & Q(StartsWith(text, "["))
        member = Q(IContains(text, json.dumps(value))) | Q(IContains(text, json.dumps(value, ensure_ascii=False)))
        return single | (is_list & member)
    return single


def _attribute_leaf(attribute: str, column: str, leaf: core.Leaf) -> Q:
    text = KeyTextTransform(attribute, column)
    present = Q(IsNull(text, False)) & ~Q(Exact(text, "")) & ~Q(Exact(text, "[]"))
    op, value = leaf.op, leaf.value
    if op == "exists":
        return present
    if op == "not_exists":
        return ~present
    if op in ("=", "!="):
        test = _equals(attribute, column, value)
        return present & (test if op == "=" else ~test)
    if op in ("in", "not_in"):
        test = Q()
        for v in value:
            test |= _holds(attribute, column, v)
        return present & (test if op == "in" else ~test)
    if op in ("contains", "not_contains"):
        is_list = Q(StartsWith(text, "["))
        member = Q(IContains(text, json.dumps(value))) | Q(IContains(text, json.dumps(value, ensure_ascii=False)))
        test = (is_list & member) | (~is_list & Q(IContains(text, value)))
        return present & (test if op == "contains" else ~test)
    number = _number_of(text)
    known = Q(IsNull(number, False))
    if op == "between":
        return present & known & _cmp(number, "gte", float(value[0])) \
            & _cmp(number, "lte", float(value[1]))
    return present & known & _cmp(number, _LOOKUPS[op], float(value))


# --- contacts and accounts ---------------------------------------------------------------------------


def _contact_leaf(leaf: core.Leaf) -> Q:
    name = leaf.field.removeprefix("contact.")
    if name.startswith("attributes."):
        return _attribute_leaf(name.removeprefix("attributes."), "attributes", leaf)
    if leaf.op in ("=", "!=", "in", "not_in") and leaf.field in core.CHOICES:
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        test = Q(**{f"{name}__in": list(values)})
        return test if leaf.op in ("=", "in") else ~Q(**{name: ""}) & ~test
    return _text_leaf(name, leaf)


def _account_leaf(leaf: core.Leaf, ctx: Context) -> Q:
    """The leaf on the ``Account`` model itself."""
    name = leaf.field.removeprefix("account.")
    if name.startswith("attributes."):
        return _attribute_leaf(name.removeprefix("attributes."), "attributes", leaf)
    if name == "arr":
        return _ordered_leaf("arr", leaf, Q())
    if name in ("renewal_date", "customer_since"):
        return _ordered_leaf(name, leaf, Q(**{f"{name}__isnull": False}))
    if name == "renewal_days":
        return _days_leaf("renewal_date", leaf, ctx.today, forward=True)
    if name == "tier" and leaf.op in ("=", "!=", "in", "not_in"):
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        test = Q(tier__in=list(values))
        return test if leaf.op in ("=", "in") else ~Q(tier="") & ~test
    return _text_leaf(name, leaf)


def _via_account(leaf: core.Leaf, ctx: Context) -> Q:
    accounts = Account.objects.filter(org_id=ctx.org_id).filter(_account_leaf(leaf, ctx)).values("pk")
    test = Q(account__isnull=False) & Q(account__in=accounts)
    if leaf.op == "not_exists":  # no account: every account field is missing
        return Q(account__isnull=True) | test
    return test


# --- behaviour -----------------------------------------------------------------------------------------


def _responses(leaf: core.Leaf, ctx: Context, prefix: str = "") -> dict[str, Any]:
    """Filter kwargs (under ``prefix``, e.g. ``response__``) for the complete responses a behaviour leaf
    looks at, of the contact in ``OuterRef("pk")``."""
    from cxloop.surveys.models import ResponseStatus

    # No organisation filter: the contact's own responses are its organisation's, and a filter on org_id would
    # lead SQLite's planner to the (org, time) index instead of the contact's (every row of the org per contact).
    out: dict[str, Any] = {f"{prefix}contact": OuterRef("pk"), f"{prefix}status": ResponseStatus.COMPLETE}
    if isinstance(leaf.survey, int):
        out[f"{prefix}survey_id"] = leaf.survey
    elif isinstance(leaf.survey, str):
        out[f"{prefix}survey__slug"] = leaf.survey
    if leaf.kind is not None:
        out[f"{prefix}survey__kind"] = leaf.kind
    if leaf.touchpoint is not None:
        out[f"{prefix}touchpoint__iexact"] = leaf.touchpoint
    if leaf.days is not None:
        out[f"{prefix}submitted_at__gte"] = timezone.now() - timedelta(days=leaf.days)
    return out


def _count_leaf(qs: QuerySet[Any], leaf: core.Leaf, group: str) -> Q:
    """A count of ``qs`` rows per contact compared; "none" and "at least one" become (NOT) EXISTS."""
    low, high = core.day_bounds(leaf.op, leaf.value)
    low = max(low or 0, 0)
    if leaf.op != "!=":
        if low == 0 and high == 0:
            return ~Q(Exists(qs))
        if low == 1 and high is None:
            return Q(Exists(qs))
        if high is not None and high < low:
            return Q(pk__in=[])
    elif leaf.value == 0:
        return Q(Exists(qs))
    counted = Coalesce(Subquery(qs.order_by().values(group).annotate(c=Count("pk")).values("c")[:1]), Value(0),
                       output_field=IntegerField())
    test = Q()
    if low:
        test &= _cmp(counted, "gte", low)
    if high is not None:
        test &= _cmp(counted, "lte", high)
    return ~test if leaf.op == "!=" else test


def _last_leaf(qs: QuerySet[Any], column: str, leaf: core.Leaf, ctx: Context) -> Q:
    """Whole days since the latest row of ``qs`` (by ``column``) compared; missing when there is none."""
    from cxloop.analytics.rollups import day_start

    present = Q(Exists(qs))
    if leaf.op == "exists":
        return present
    if leaf.op == "not_exists":
        return ~present
    last = Subquery(qs.order_by(f"-{column}").values(column)[:1])
    low, high = core.day_bounds(leaf.op, leaf.value)
    test = Q()
    if low is not None:  # at least ``low`` days ago: before the start of (today − low + 1)
        test &= _cmp(last, "lt", day_start(ctx.today - timedelta(days=low - 1)))
    if high is not None:  # at most ``high`` days ago
        test &= _cmp(last, "gte", day_start(ctx.today - timedelta(days=high)))
    return present & (~test if leaf.op == "!=" else test)


def _nps_leaf(leaf: core.Leaf, ctx: Context) -> Q:
    from cxloop.surveys.models import Answer

    keys = ctx.nps_keys()
    answers = Answer.objects.filter(question_key__in=keys, number__isnull=False,
                                    **_responses(leaf, ctx, "response__"))
    present = Q(Exists(answers))
    if leaf.op == "exists":
        return present
    if leaf.op == "not_exists":
        return ~present
    latest = Subquery(answers.order_by("-response__submitted_at", "-response_id").values("number")[:1],
                      output_field=FloatField())
    if leaf.field == "behaviour.nps_category":
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        test = Q(pk__in=[])
        for bucket in values:
            lo, hi = NPS_BUCKETS[bucket]
            test |= _cmp(latest, "gte", lo) & _cmp(latest, "lte", hi)
        return present & (test if leaf.op in ("=", "in") else ~test)
    if leaf.op == "between":
        test = _cmp(latest, "gte", leaf.value[0]) & _cmp(latest, "lte", leaf.value[1])
    elif leaf.op == "!=":
        return present & ~_cmp(latest, "exact", leaf.value)
    else:
        test = _cmp(latest, _LOOKUPS[leaf.op], leaf.value)
    return present & test


def _events(leaf: core.Leaf, ctx: Context) -> QuerySet[Any]:
    """The contact's behavioural events a leaf looks at: ``person`` is the contact's id for every event sent
    with a known contact, so the (org, person, at) index answers it."""
    from cxloop.behaviour.models import Event

    qs = Event.objects.filter(org_id=ctx.org_id, person=OuterRef("pk"))
    if leaf.event is not None:
        qs = qs.filter(name=leaf.event)
    if leaf.touchpoint is not None:
        qs = qs.filter(touchpoint=leaf.touchpoint)
    if leaf.days is not None:
        qs = qs.filter(at__gte=timezone.now() - timedelta(days=leaf.days))
    return qs


def _behaviour_leaf(leaf: core.Leaf, ctx: Context) -> Q:
    from cxloop.cases.models import Case as CaseRow
    from cxloop.core.case_flow import OPEN_STATUSES
    from cxloop.surveys.models import Response

    name = leaf.field.removeprefix("behaviour.")
    if name == "responses":
        return _count_leaf(Response.objects.filter(**_responses(leaf, ctx)), leaf, "contact")
    if name == "open_cases":
        cases = CaseRow.objects.filter(contact=OuterRef("pk"), status__in=list(OPEN_STATUSES))
        return _count_leaf(cases, leaf, "contact")
    if name == "last_response_days":
        return _last_leaf(Response.objects.filter(**_responses(leaf, ctx)), "submitted_at", leaf, ctx)
    if name == "events":
        return _count_leaf(_events(leaf, ctx), leaf, "person")
    if name == "last_event_days":
        return _last_leaf(_events(leaf, ctx), "at", leaf, ctx)
    return _nps_leaf(leaf, ctx)


# --- the whole condition -------------------------------------------------------------------------------


def q(condition: core.Condition, ctx: Context) -> Q:
    """The condition as a ``Q`` over ``Contact`` (to use on contacts of ``ctx.org_id``)."""
    if isinstance(condition, core.AllOf):
        out = Q()
        for c in condition.conditions:
            out &= q(c, ctx)
        return out
    if isinstance(condition, core.AnyOf):
        out = Q(pk__in=[])
        for c in condition.conditions:
            out |= q(c, ctx)
        return out
    if isinstance(condition, core.Not):
        return ~q(condition.condition, ctx)
    if condition.field.startswith("contact."):
        return _contact_leaf(condition)
    if condition.field.startswith("account."):
        return _via_account(condition, ctx)
    return _behaviour_leaf(condition, ctx)


def contacts(org_id: int, definition: Any, *, today: date | None = None) -> QuerySet[Contact]:
    """The organisation's contacts a definition (JSON) selects; ``core.segments.SegmentError`` when invalid."""
    condition = core.parse(definition)
    ctx = Context(org_id) if today is None else Context(org_id, today)
    return Contact.objects.filter(org_id=org_id).filter(q(condition, ctx))


def members(segment: Any, *, today: date | None = None) -> QuerySet[Contact]:
    """The segment's members now (its organisation's contacts its definition selects)."""
    return contacts(segment.org_id, segment.definition, today=today)


def member_ids(org_id: int, segment_id: Any) -> QuerySet[Contact, Any]:
    """The ids of one segment's members, as a subquery; no rows for an id that is not the organisation's
    segment (or a stored definition that no longer parses)."""
    from cxloop.segments.models import Segment

    try:
        pk = int(str(segment_id))
    except ValueError:
        return Contact.objects.none().values("pk")
    segment = Segment.objects.filter(org_id=org_id, pk=pk).first()
    if segment is None:
        return Contact.objects.none().values("pk")
    try:
        return members(segment).values("pk")
    except core.SegmentError:
        return Contact.objects.none().values("pk")


def response_filter(org_id: int, segment_id: Any, prefix: str = "") -> Q:
    """Responses (``prefix`` ``""``) or answers (``"response__"``) of the segment's members."""
    return Q(**{f"{prefix}contact__in": member_ids(org_id, segment_id)})


def labels_of(org_id: int, contact_id: int | None) -> frozenset[str]:
    """The segments one contact belongs to now, each as its id (text) and its names in every language:
    what the alert rules' ``segment`` field tests. One query for all of the organisation's segments, made only
    when one of its rules mentions segments (otherwise nothing could read the answer)."""
    from cxloop.cases.models import AlertRule
    from cxloop.segments.models import Segment

    if contact_id is None:
        return frozenset()
    # Only organisations whose rules name segments pay for the membership query (a cheap indexed test first).
    if not AlertRule.objects.filter(org_id=org_id, definition__icontains='"segment"').exists():
        return frozenset()
    segments = list(Segment.objects.filter(org_id=org_id).only("pk", "name", "definition"))
    if not segments:
        return frozenset()
    ctx = Context(org_id)
    columns: dict[str, ExpressionWrapper] = {}
    named: dict[str, Any] = {}
    for segment in segments:
        try:
            condition = core.parse(segment.definition)
        except core.SegmentError:
            continue
        columns[f"cx_s{segment.pk}"] = ExpressionWrapper(q(condition, ctx), output_field=BooleanField())
        named[f"cx_s{segment.pk}"] = segment
    if not columns:
        return frozenset()
    row = Contact.objects.filter(pk=contact_id, org_id=org_id).values(**columns).first()
    if row is None:
        return frozenset()
    out: set[str] = set()
    for column, segment in named.items():
        if row.get(column):
            out.add(str(segment.pk))
            out.update(str(n) for n in (segment.name or {}).values() if n)
    return frozenset(out)

