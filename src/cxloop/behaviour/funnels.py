"""Funnels over behavioural events: definitions, the SQL that counts them, and saved funnels.

A funnel is ordered steps. A step is an event name with an optional property equality filter
(``{"event": "task_completed", "where": {"task": "export_report"}}``) or, for a journey, a stage: the person
reaches it at an event whose ``touchpoint`` is one of the stage's touchpoint keys (any event name). The
definition is ``core.ux.funnel_reach``'s, which the SQL reproduces exactly (tests compare the two on random
data on SQLite and PostgreSQL):

* a person enters at their **first** step-0 event in the period ``[start, end)`` (t₀); later step-0 events
  do not restart it;
* they reach step i at their first step-i event at or after reaching step i − 1 and at most ``window``
  seconds after t₀ (inclusive); a person who misses step i reaches no later step. Later steps may happen after
  the period's end (within the window).

In SQL that is a chain of CTEs, one per step: ``s0`` = MIN(at) of the step-0 events per person in the period;
``sᵢ`` = MIN(at) of the person's step-i events with ``at >= tᵢ₋₁ AND at <= t₀ + window``, joined to
``sᵢ₋₁`` on the person (``GROUP BY person``). Every step also carries constant time bounds
(``start ≤ at ≤ end + window``) so the (org, name, at, person) index narrows the scan. One statement returns
the people per step (per group when a grouping is asked) and, for the medians, the order statistics that
``core.metrics.median_interval_from_sorted`` reads (see :func:`run`). Durations are exact: PostgreSQL
``date_part('epoch', t − t')``, SQLite whole seconds from ``strftime('%s')`` plus the stored fraction; the window
bound on SQLite is the stored text with whole seconds added (``datetime(…, '+N seconds') || fraction``), so
comparisons stay textual and exact.

Figures (``FunnelResult``): per step the people reached, conversion from the previous step and from the start
(adjusted-Wald), drop-off and the median time from the previous step with its interval; per group (a segment's
members vs the rest, the account tier, or a contact attribute) the same counts with the N − 1 two-proportion
test of each step's conversion against everyone else. Every number comes from ``core.metrics``.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from cxloop.analytics import rollups
from cxloop.behaviour.models import Event, Funnel
from cxloop.core import metrics, names
from cxloop.core.metrics import Comparison, Estimate, Proportion
from cxloop.core.ux import FunnelStep
from cxloop.customers.models import Contact
from cxloop.journeys.models import Journey, Stage, Step
from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import ServiceError, audit

MIN_STEPS = 2
MAX_STEPS = 10
MAX_WHERE = 5
MAX_VALUE = 200
MAX_NAME = 120
DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 365
MAX_GROUPS = 8  # a grouping with more values keeps the largest and adds up the rest as "other"
LANGUAGES = ("zh-hans", "zh-hant", "en")
OTHER = "\x00other"  # the group label of the values beyond MAX_GROUPS
NONE = "\x00none"  # people without a value (anonymous, no account, attribute missing)
MEMBERS, REST = "members", "rest"
_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FunnelError(ServiceError):
    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


# --- definitions ---------------------------------------------------------------------------------------


def same_value(a: Any, b: Any) -> bool:
    """JSON equality of two scalars: text equals text, a number equals a number (5 == 5.0), true equals true;
    never across types (the number 1 is not true, "5" is not 5)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return False


@dataclass(frozen=True)
class StepDef:
    """One step: ``event`` with ``where`` ((property, value) pairs, all must be equal), or — a journey stage —
    ``touchpoints`` (any event at one of them). ``label`` is what pages show."""

    event: str = ""
    where: tuple[tuple[str, Any], ...] = ()
    touchpoints: tuple[str, ...] = ()
    label: str = ""

    def matches(self, name: str, touchpoint: str, properties: Mapping[str, Any]) -> bool:
        """Whether one event counts for this step (the meaning the SQL implements)."""
        if self.touchpoints:
            return touchpoint in self.touchpoints
        if name != self.event:
            return False
        return all(key in properties and same_value(properties[key], value) for key, value in self.where)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.event}
        if self.where:
            out["where"] = dict(self.where)
        return out

    def describe(self) -> str:
        if self.touchpoints:
            return self.label or ", ".join(self.touchpoints)
        if not self.where:
            return self.event
        return self.event + " (" + ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in self.where) + ")"


def parse_steps(raw: Any) -> list[StepDef]:
    """Ordered steps from JSON (``[{"event": "…", "where": {"property": value}}, …]``); ``FunnelError``
    naming the step and field otherwise (``steps[2].event: is required``)."""
    if not isinstance(raw, list):
        raise FunnelError("steps: give a list of steps, e.g. [{\"event\": \"signed_up\"}, …]", field="steps")
    if len(raw) < MIN_STEPS:
        raise FunnelError(f"steps: a funnel needs at least {MIN_STEPS} steps", field="steps")
    if len(raw) > MAX_STEPS:
        raise FunnelError(f"steps: at most {MAX_STEPS} steps", field="steps")
    out = []
    for i, item in enumerate(raw):
        where = f"steps[{i}]"
        if isinstance(item, str):
            item = {"event": item}
        if not isinstance(item, Mapping):
            raise FunnelError(f"{where}: must be an object with an event", field=where)
        unknown = sorted(set(item) - {"event", "where"})
        if unknown:
            at = f"{where}.{unknown[0]}"
            raise FunnelError(f"{at}: unknown field (use event and where)", field=at)
        name = item.get("event")
        if name is None or (isinstance(name, str) and not name.strip()):
            raise FunnelError(f"{where}.event: is required", field=f"{where}.event")
        if not isinstance(name, str):
            raise FunnelError(f"{where}.event: must be text", field=f"{where}.event")
        name = name.strip()
        if len(name) > 100:
            raise FunnelError(f"{where}.event: is longer than 100 characters", field=f"{where}.event")
        if _CONTROL.search(name):
            raise FunnelError(f"{where}.event: contains control characters", field=f"{where}.event")
        conditions = item.get("where")
        if conditions is None:
            conditions = {}
        if not isinstance(conditions, Mapping):
            raise FunnelError(f"{where}.where: must be an object of property: value", field=f"{where}.where")
        if len(conditions) > MAX_WHERE:
            raise FunnelError(f"{where}.where: at most {MAX_WHERE} properties", field=f"{where}.where")
        pairs = []
        for key, value in conditions.items():
            at = f"{where}.where.{key}"
            if not isinstance(key, str) or not _KEY.match(key):
                raise FunnelError(f"{where}.where: {str(key)[:70]!r} is not a property name (1–64 letters, digits, "
                                  "_ or -)", field=f"{where}.where")
            if isinstance(value, str):
                if len(value) > MAX_VALUE:
                    raise FunnelError(f"{at}: at most {MAX_VALUE} characters", field=at)
            elif isinstance(value, bool):
                pass
            elif isinstance(value, (int, float)):
                if not math.isfinite(value):
                    raise FunnelError(f"{at}: must be a finite number", field=at)
            else:
                raise FunnelError(f"{at}: must be text, a number, true or false", field=at)
            pairs.append((key, value))
        out.append(StepDef(event=name, where=tuple(pairs)))
    return out


def clean_window(raw: Any, field: str = "window_days") -> int:
    if raw is None or raw == "":
        return DEFAULT_WINDOW_DAYS
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise FunnelError(f"{field}: a whole number of days (1–{MAX_WINDOW_DAYS})", field=field)
    try:
        days = int(raw)
    except ValueError:
        raise FunnelError(f"{field}: a whole number of days (1–{MAX_WINDOW_DAYS})", field=field) from None
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise FunnelError(f"{field}: a whole number of days (1–{MAX_WINDOW_DAYS})", field=field)
    return days


def label_of(names: Mapping[str, str], language: str) -> str:
    """A ``{language: text}`` name in ``language``; for a Chinese reader the other script next; else English;
    else any."""
    language = (language or "en").lower()
    other = {"zh-hans": "zh-hant", "zh-hant": "zh-hans"}.get(language, "zh-hans")
    for lang in (language, other, "en", *names):
        if names.get(lang):
            return str(names[lang])
    return ""


def journey_steps(journey: Journey, language: str = "en") -> list[StepDef]:
    """The journey's stages in order as steps (a stage's touchpoint keys; stages without touchpoints left
    out: nobody could reach them)."""
    keys: dict[int, list[str]] = {}
    for stage_id, key in (Step.objects.filter(stage__journey=journey)
                          .order_by("stage__position", "position", "pk").values_list("stage_id", "touchpoint__key")):
        found = keys.setdefault(stage_id, [])
        if key not in found:
            found.append(key)
    out = []
    for stage in Stage.objects.filter(journey=journey).order_by("position", "pk"):
        if keys.get(stage.pk):
            out.append(StepDef(touchpoints=tuple(keys[stage.pk]), label=label_of(stage.name, language)))
    return out


# --- the query -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """How to split the people for drop-off by segment: ``segment`` (members vs the rest), ``tier`` (of the
    contact's account) or ``attribute`` (a contact attribute named ``key``)."""

    kind: str
    segment: Any = None  # segments.models.Segment
    key: str = ""


def _vendor() -> str:
    return connections[DEFAULT_DB_ALIAS].vendor


def _step_sql(step: StepDef, vendor: str) -> tuple[str, list[Any]]:
    if step.touchpoints:
        return "e.touchpoint IN (" + ", ".join(["%s"] * len(step.touchpoints)) + ")", list(step.touchpoints)
    parts: list[str] = ["e.name = %s"]
    params: list[Any] = [step.event]
    for key, value in step.where:
        if vendor == "postgresql":
            parts.append("e.properties -> %s = %s::jsonb")
            params += [key, json.dumps(value)]
            continue
        path = f'$."{key}"'
        if isinstance(value, bool):
            parts.append("json_type(e.properties, %s) = %s")
            params += [path, "true" if value else "false"]
        elif isinstance(value, (int, float)):
            parts.append("json_type(e.properties, %s) IN ('integer', 'real') AND json_extract(e.properties, %s) = %s")
            params += [path, path, value]
        else:
            parts.append("json_type(e.properties, %s) = 'text' AND json_extract(e.properties, %s) = %s")
            params += [path, path, value]
    return " AND ".join(parts), params


def _bound_sql(vendor: str, column: str, seconds: int) -> tuple[str, list[Any]]:
    """``column`` + ``seconds`` (an exact timestamp on both backends)."""
    if vendor == "postgresql":
        return f"{column} + %s * INTERVAL '1 second'", [seconds]
    return f"(datetime(substr({column}, 1, 19), %s) || substr({column}, 20))", [f"+{seconds} seconds"]


def _duration_sql(vendor: str, later: str, earlier: str) -> str:
    if vendor == "postgresql":
        return f"date_part('epoch', {later} - {earlier})"  # float8 (EXTRACT gives numeric: twice as slow)
    return (f"((CAST(strftime('%%s', {later}) AS INTEGER) - CAST(strftime('%%s', {earlier}) AS INTEGER))"
            f" + (CAST('0' || substr({later}, 20) AS REAL) - CAST('0' || substr({earlier}, 20) AS REAL)))")


def _group_source(org: Organization, grouping: Grouping | None) -> tuple[str, list[Any]] | None:
    """SQL of (id, glabel) rows: the contacts that have a group label."""
    if grouping is None:
        return None
    qs: QuerySet[Contact] = Contact.objects.filter(org=org)
    if grouping.kind == "segment":
        from cxloop.segments import members

        qs = members.members(grouping.segment).annotate(glabel=Value(MEMBERS))
    elif grouping.kind == "tier":
        qs = qs.filter(account__isnull=False).annotate(glabel=F("account__tier"))
    elif grouping.kind == "attribute":
        qs = qs.annotate(glabel=KeyTextTransform(grouping.key, "attributes")).filter(glabel__isnull=False)
    else:
        raise FunnelError("group: use segment, tier or attribute", field="group")
    sql, params = qs.values_list("pk", "glabel").order_by().query.sql_with_params()
    return sql, list(params)


@dataclass
class RawFunnel:
    """What the statement returns: people per step per group label (None: no grouping or no label) and, per
    step i ≥ 1, the seconds from step i − 1 of the people who reached step i in ascending order
    (``durations[i - 1]``): all of them, or only the order statistics a median and its interval read
    (``ranks[i - 1]``: {1-based rank: seconds}; see :func:`run`)."""

    steps: int
    by_group: dict[Any, list[int]] = field(default_factory=dict)
    durations: list[list[float]] = field(default_factory=list)
    ranks: list[dict[int, float]] = field(default_factory=list)

    @property
    def reached(self) -> list[int]:
        total = [0] * self.steps
        for counts in self.by_group.values():
            for i, n in enumerate(counts):
                total[i] += n
        return total

    def sorted_durations(self, i: int) -> list[float]:
        """Step i + 1's durations in ascending order: the full list, or one of the same length that holds the
        fetched order statistics at their ranks (each gap filled with the value below it, so it is sorted)."""
        if not self.ranks:
            return self.durations[i]
        n = self.reached[i + 1]
        got = self.ranks[i]
        out: list[float] = []
        for rank in sorted(got):
            out.extend([got[rank]] * (rank - len(out)))
        if got:
            out.extend([got[max(got)]] * (n - len(out)))
        return out


FULL = 1000  # at most this many people at a step: fetch every duration (and always check the ranks)
BAND = 3  # order statistics fetched either side of the approximate ranks (the approximation is within ±0.6)


def _needed_ranks(n: int, confidence: float) -> set[int]:
    """The 1-based ranks ``metrics.median_interval_from_sorted`` reads for n values."""
    if n == 0:
        return set()
    wanted = {(n + 1) // 2, n // 2 + 1}
    ranks = metrics.median_ci_ranks(n, confidence)
    if ranks is not None:
        wanted |= set(ranks)
    return {r for r in wanted if r >= 1}


def _ranks_postgresql(i: int, duration: str, half: float) -> str:
    """PostgreSQL: the same order statistics as the window query, by ``percentile_disc`` at fractions
    (rank − ½)/k (one sort inside the aggregate, a third of the window query's time on 440,000 people)."""
    f8 = "DOUBLE PRECISION"
    ranks = (f"SELECT DISTINCT g FROM (SELECT generate_series(1, c.k) AS g WHERE c.k <= {FULL} UNION ALL "  # noqa: S608
             f"SELECT generate_series(GREATEST(1, ctr - {BAND}), LEAST(c.k, ctr + {BAND})) FROM (VALUES "
             f"(CAST(round(c.k * 0.5 - {half!r} * sqrt(c.k)) AS BIGINT)), "
             f"(CAST(round(c.k * 0.5 + 1 + {half!r} * sqrt(c.k)) AS BIGINT)), "
             f"(CAST(round((c.k + 1) * 0.5) AS BIGINT))) v(ctr) WHERE c.k > {FULL}) z ORDER BY g")
    return (f"SELECT 1 AS kind, {i} AS step, CAST(NULL AS TEXT) AS label, r.rank AS n, r.d AS d, c.k AS k "  # noqa: S608
            f"FROM (SELECT COUNT(*) AS k FROM s{i}) c CROSS JOIN LATERAL (SELECT ARRAY({ranks}) AS ranks) rk "
            f"CROSS JOIN LATERAL (SELECT percentile_disc(ARRAY(SELECT CAST((g - 0.5) / c.k AS {f8}) "
            f"FROM unnest(rk.ranks) g)) WITHIN GROUP (ORDER BY {duration}) AS vals FROM s{i}) p "
            f"CROSS JOIN LATERAL unnest(rk.ranks, p.vals) AS r(rank, d) WHERE c.k > 0")


def run(org: Organization, steps: Sequence[StepDef], start: datetime, end: datetime, window_seconds: int,
        grouping: Grouping | None = None, *, durations: str = "ranks", confidence: float = 0.95) -> RawFunnel:
    """Count the funnel in the database (one statement; see the module docstring). ``durations``: "all"
    (every duration, sorted), "ranks" (the order statistics near the median and its interval's ranks: for more
    than ``FULL`` people the rows within ``BAND`` of n/2 and of n/2 ± z·√n/2 — the normal approximation of the
    exact ranks ``metrics.median_ci_ranks`` gives; if an exact rank is ever missing the statement runs again
    with "all"), or "none"."""
    if len(steps) < 1:
        raise ValueError("a funnel needs steps")
    conn = connections[DEFAULT_DB_ALIAS]
    vendor = conn.vendor
    qn = conn.ops.quote_name
    table = qn(Event._meta.db_table)
    adapt = conn.ops.adapt_datetimefield_value
    lo, hi = adapt(start), adapt(end)
    last = adapt(end + timedelta(seconds=window_seconds))
    # SQLite: the step's events (a range of the covering (org, name, at, person) index) drive the join and
    # find the previous step's person through an automatic index; a plain JOIN lets it walk (org, person, at)
    # and read every event of every person instead (7× slower on 2M events).
    join = "CROSS JOIN"  # PostgreSQL still reorders it (join_collapse_limit)
    ctes: list[str] = []
    params: list[Any] = []
    first_sql, first_params = _step_sql(steps[0], vendor)
    ctes.append(f"s0 AS MATERIALIZED (SELECT e.person AS person, MIN(e.at) AS t0, MIN(e.at) AS t FROM {table} e "  # noqa: S608
                f"WHERE e.org_id = %s AND {first_sql} AND e.at >= %s AND e.at < %s GROUP BY e.person)")
    params += [org.pk, *first_params, lo, hi]
    for i in range(1, len(steps)):
        step_sql, step_params = _step_sql(steps[i], vendor)
        bound, bound_params = _bound_sql(vendor, "p.t0", window_seconds)
        if vendor == "sqlite" and not steps[i].touchpoints:
            # SQLite has no merge join: each person of the previous step looks up their first event of this step
            # at or after their previous step in the (org, name, person, at) index — one seek, the first entry
            # (checked against the property filters in time order) — 5× faster at 10M events than reading the
            # step's events and finding each one's person in an automatic index
            # (materialised before "t IS NOT NULL": a flattened subquery would run the seek twice)
            ctes.append(f"a{i} AS MATERIALIZED (SELECT p.person AS person, p.t0 AS t0, p.t AS tp, "  # noqa: S608
                        f"(SELECT MIN(e.at) FROM {table} e WHERE e.org_id = %s AND {step_sql} AND "
                        f"e.person = p.person AND e.at >= p.t AND e.at >= %s AND e.at <= %s AND e.at <= {bound}) "
                        f"AS t FROM s{i - 1} p)")
            ctes.append(f"s{i} AS MATERIALIZED (SELECT person, t0, tp, t FROM a{i} WHERE t IS NOT NULL)")  # noqa: S608
            params += [org.pk, *step_params, lo, last, *bound_params]
            continue
        ctes.append(f"s{i} AS MATERIALIZED (SELECT p.person AS person, MIN(p.t0) AS t0, MIN(p.t) AS tp, "  # noqa: S608
                    f"MIN(e.at) AS t FROM {table} e {join} s{i - 1} p "
                    f"WHERE e.person = p.person AND e.org_id = %s AND {step_sql} AND e.at >= %s AND e.at <= %s "
                    f"AND e.at >= p.t AND e.at <= {bound} GROUP BY p.person)")
        params += [org.pk, *step_params, lo, last, *bound_params]
    source = _group_source(org, grouping)
    if source is not None:
        ctes.append(f"grp(gid, glabel) AS MATERIALIZED ({source[0]})")
        params += source[1]
    selects: list[str] = []
    f8 = "DOUBLE PRECISION"
    # Without a grouping each later step's count comes with its durations (k), so s1… are read once.
    counted_with_durations = source is None and durations == "ranks"
    for i in range(len(steps)):
        if i and counted_with_durations:
            continue
        if source is None:
            selects.append(f"SELECT 0 AS kind, {i} AS step, CAST(NULL AS TEXT) AS label, COUNT(*) AS n, "  # noqa: S608
                           f"CAST(NULL AS {f8}) AS d, CAST(NULL AS BIGINT) AS k FROM s{i}")
        else:
            selects.append(f"SELECT 0 AS kind, {i} AS step, CAST(g.glabel AS TEXT) AS label, COUNT(*) AS n, "  # noqa: S608
                           f"CAST(NULL AS {f8}) AS d, CAST(NULL AS BIGINT) AS k "
                           f"FROM s{i} LEFT JOIN grp g ON g.gid = s{i}.person GROUP BY g.glabel")
    half = metrics.z_for(confidence) / 2
    for i in range(1, len(steps)) if durations != "none" else ():
        duration = _duration_sql(vendor, "t", "tp")
        if durations == "all":
            selects.append(f"SELECT 1 AS kind, {i} AS step, CAST(NULL AS TEXT) AS label, "  # noqa: S608
                           f"CAST(NULL AS BIGINT) AS n, {duration} AS d, CAST(NULL AS BIGINT) AS k FROM s{i}")
            continue
        if vendor == "postgresql":
            selects.append(_ranks_postgresql(i, duration, half))
            continue
        centre = f"(CAST(rn AS {f8}) - CAST(k AS {f8}) * 0.5)"
        spread = f"({half!r} * SQRT(CAST(k AS {f8})))"
        band = (f"(k <= {FULL} OR ABS({centre} + {spread}) <= {BAND} OR ABS({centre} - 1 - {spread}) <= {BAND} "
                f"OR ABS({centre} - 0.5) <= 1)")
        selects.append(f"SELECT 1 AS kind, {i} AS step, CAST(NULL AS TEXT) AS label, rn AS n, d, k FROM ("  # noqa: S608
                       f"SELECT d, ROW_NUMBER() OVER (ORDER BY d) AS rn, COUNT(*) OVER () AS k FROM "
                       f"(SELECT {duration} AS d FROM s{i}) x) y WHERE {band}")
    sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(selects) + " ORDER BY 1, 2, 5"
    raw = RawFunnel(steps=len(steps), durations=[[] for _ in range(len(steps) - 1)])
    if durations == "ranks":
        raw.ranks = [{} for _ in range(len(steps) - 1)]
    if counted_with_durations:
        raw.by_group[None] = [0] * len(steps)
    # PostgreSQL: in a transaction for SET LOCAL; SQLite: not (its transactions start IMMEDIATE, taking the
    # write lock: a long read must not hold up the writers)
    with transaction.atomic() if vendor == "postgresql" else contextlib.nullcontext(), conn.cursor() as cursor:
        if vendor == "postgresql":
            # sorts of a few hundred thousand people stay in memory (the default 4 MB spills), and every step
            # is a merge join of the previous step's people (sorted) with the (org, name, person, at) index —
            # no hashing, and a streaming MIN per person. The planner cannot estimate how many people a GROUP BY
            # person leaves (it guesses 200): left alone it walks (org, person, at) once per person (nested
            # loop) or hashes the step's events (1.7× slower at 10M events)
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute("SET LOCAL enable_nestloop = off")
            if all(not s.where and not s.touchpoints for s in steps):
                # (a step filtered by properties reads the table anyway: there hashing the few matching
                # events is cheaper — 2.0 s against 2.8 s for the task funnel at 10M events)
                cursor.execute("SET LOCAL enable_hashjoin = off")
            # and no JIT: that setting makes the (unavoidable) nested loops of the medians cost 10¹⁰, which
            # triggers JIT compilation with inlining — about 1.5 s before the first row
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        for kind, step, label, n, d, k in cursor.fetchall():
            if kind == 0:
                key = None if source is None else label
                raw.by_group.setdefault(key, [0] * len(steps))[step] += int(n)
            elif durations == "ranks":
                raw.ranks[step - 1][int(n)] = max(0.0, float(d))
                if counted_with_durations:
                    raw.by_group[None][step] = int(k)
            else:
                raw.durations[step - 1].append(max(0.0, float(d)))
    if durations == "ranks":
        reached = raw.reached
        for i, got in enumerate(raw.ranks):
            if not _needed_ranks(reached[i + 1], confidence) <= set(got):
                return run(org, steps, start, end, window_seconds, grouping, durations="all", confidence=confidence)
    return raw


# --- figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    """One group's people per step, conversion from the previous step per step (adjusted-Wald; None for step
    0), overall conversion (last step / entered) and each step's test against everyone else."""

    key: Any
    reached: tuple[int, ...]
    from_previous: tuple[Estimate | None, ...]
    overall: Estimate
    vs_rest: tuple[Comparison | None, ...]  # conversion from the previous step: this group − the rest
    overall_vs_rest: Comparison


@dataclass(frozen=True)
class FunnelResult:
    steps: tuple[StepDef, ...]
    start: date
    end: date
    window_days: int
    figures: tuple[FunnelStep, ...]
    groups: tuple[GroupRow, ...] = ()
    grouping: Grouping | None = None

    @property
    def entered(self) -> int:
        return self.figures[0].reached if self.figures else 0

    @property
    def overall(self) -> Estimate:
        return metrics.adjusted_wald(self.figures[-1].reached, self.entered)

    @property
    def biggest_drop(self) -> FunnelStep | None:
        """The step with the lowest conversion from the previous step (among steps whose previous step had
        anyone)."""
        candidates = [f for f in self.figures[1:] if f.from_previous is not None and f.from_previous.value is not None]
        if not candidates:
            return None
        return min(candidates, key=lambda f: (f.from_previous.value if f.from_previous else 1.0, f.index))


def figures(reached: Sequence[int], durations: Sequence[Sequence[float]], confidence: float = 0.95
            ) -> tuple[FunnelStep, ...]:
    """``core.ux.funnel_steps``' figures from counts and durations already sorted."""
    out = [FunnelStep(0, reached[0], None, None, 0, None)]
    for i in range(1, len(reached)):
        out.append(FunnelStep(i, reached[i], metrics.adjusted_wald(reached[i], reached[i - 1], confidence),
                              metrics.adjusted_wald(reached[i], reached[0], confidence), reached[i - 1] - reached[i],
                              metrics.median_interval_from_sorted(durations[i - 1], confidence)))
    return tuple(out)


def _group_rows(raw: RawFunnel, grouping: Grouping) -> tuple[GroupRow, ...]:
    total = raw.reached
    counts = {(NONE if k is None else str(k)): v for k, v in raw.by_group.items()}
    if grouping.kind == "segment":
        counts = {MEMBERS: counts.get(MEMBERS, [0] * raw.steps), REST: counts.get(NONE, [0] * raw.steps)}
    else:
        named = sorted((k for k in counts if k != NONE), key=lambda k: (-counts[k][0], k))
        if len(named) > MAX_GROUPS:
            other = [0] * raw.steps
            for k in named[MAX_GROUPS:]:
                other = [a + b for a, b in zip(other, counts.pop(k), strict=True)]
            counts[OTHER] = other
            named = [*named[:MAX_GROUPS], OTHER]
        if NONE in counts:
            named.append(NONE)
        counts = {k: counts[k] for k in named}
    rows = []
    for key, mine in counts.items():
        rest = [t - m for t, m in zip(total, mine, strict=True)]
        prev = [None] + [metrics.adjusted_wald(mine[i], mine[i - 1]) for i in range(1, raw.steps)]
        tests = [None] + [metrics.compare_proportions(Proportion(rest[i], rest[i - 1], 100.0),
                                                      Proportion(mine[i], mine[i - 1], 100.0))
                          for i in range(1, raw.steps)]
        rows.append(GroupRow(key=key, reached=tuple(mine), from_previous=tuple(prev),
                             overall=metrics.adjusted_wald(mine[-1], mine[0]), vs_rest=tuple(tests),
                             overall_vs_rest=metrics.compare_proportions(Proportion(rest[-1], rest[0], 100.0),
                                                                         Proportion(mine[-1], mine[0], 100.0))))
    return tuple(rows)


def compute(org: Organization, steps: Sequence[StepDef], start: date, end: date, *,
            window_days: int = DEFAULT_WINDOW_DAYS, grouping: Grouping | None = None) -> FunnelResult:
    """The funnel for people entering on days ``start``..``end`` (inclusive, the organisation's local days)."""
    if end < start:
        raise FunnelError("to: must be on or after from", field="to")
    raw = run(org, steps, rollups.day_start(start), rollups.day_start(end + timedelta(days=1)),
              window_days * 86400, grouping)
    groups = _group_rows(raw, grouping) if grouping is not None else ()
    return FunnelResult(steps=tuple(steps), start=start, end=end, window_days=window_days,
                        figures=figures(raw.reached, [raw.sorted_durations(i) for i in range(raw.steps - 1)]),
                        groups=groups, grouping=grouping)


def reached_counts(org: Organization, steps: Sequence[StepDef], start: date, end: date, *,
                   window_days: int = DEFAULT_WINDOW_DAYS) -> tuple[FunnelStep, ...]:
    """Only the people per step with the conversions (no durations): what the journey map's band needs."""
    raw = run(org, steps, rollups.day_start(start), rollups.day_start(end + timedelta(days=1)), window_days * 86400,
              durations="none")
    reached = raw.reached
    out = [FunnelStep(0, reached[0], None, None, 0, None)]
    for i in range(1, len(reached)):
        out.append(FunnelStep(i, reached[i], metrics.adjusted_wald(reached[i], reached[i - 1]),
                              metrics.adjusted_wald(reached[i], reached[0]), reached[i - 1] - reached[i], None))
    return tuple(out)


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 90 days up to today."""
    today = today or timezone.localdate()
    return today - timedelta(days=89), today


# --- saved funnels -------------------------------------------------------------------------------------


def funnels(org: Organization) -> QuerySet[Funnel]:
    return Funnel.objects.filter(org=org).select_related("journey").order_by("pk")


def funnel(org: Organization, funnel_id: int) -> Funnel:
    found: Funnel = one_or_404(funnels(org).select_related("org"), funnel_id, "Funnel")
    return found


def steps_of(f: Funnel, language: str = "en") -> list[StepDef]:
    """A saved funnel's steps (its journey's stages now, for a journey funnel)."""
    if f.journey_id is not None:
        assert f.journey is not None
        return journey_steps(f.journey, language)
    return parse_steps(f.steps)


def clean_name(raw: Any, field: str = "name") -> dict[str, str]:
    """``{language: text}`` with at least one text; plain text is every language's (``core.names``)."""
    try:
        return names.clean_names(raw, field, max_length=MAX_NAME)
    except names.BadName as bad:
        raise FunnelError(str(bad), field=bad.field) from bad


def save_funnel(*, org: Organization, name: Any, steps: Any = None, window_days: Any = None,
                journey: Journey | None = None, funnel: Funnel | None = None, actor: User | None = None,
                api_key: Any = None) -> Funnel:
    """Create or change a saved funnel: ordered event steps, or a journey's stages (``journey`` given, steps
    ignored). Validated (``FunnelError`` names the field: ``steps[2].event``), atomic, audited."""
    names = clean_name(name)
    days = clean_window(window_days)
    if journey is not None:
        if journey.org_id != org.pk:
            raise FunnelError("journey: not found", field="journey", status=404)
        cleaned: list[dict[str, Any]] = []
    else:
        cleaned = [s.as_json() for s in parse_steps(steps)]
    with transaction.atomic():
        if funnel is None:
            funnel = Funnel(org=org, created_by=actor)
        funnel.name, funnel.steps, funnel.window_days, funnel.journey = names, cleaned, days, journey
        funnel.updated_at = timezone.now()
        funnel.save()
        audit("funnel.saved", org=org, actor=actor, api_key=api_key, target=str(funnel.pk))
    return funnel


def delete_funnel(*, funnel: Funnel, actor: User | None = None, api_key: Any = None) -> None:
    with transaction.atomic():
        audit("funnel.deleted", org=funnel.org, actor=actor, api_key=api_key, target=str(funnel.pk))
        funnel.delete()


def event_names(org: Organization, limit: int = 200) -> list[str]:
    """The event names seen in the organisation's events, by name (for the editor's choices): a loose index
    scan of (org, name, …) — one index seek per name, however many events there are."""
    conn = connections[DEFAULT_DB_ALIAS]
    table = conn.ops.quote_name(Event._meta.db_table)
    sql = (f"WITH RECURSIVE n(name, k) AS (SELECT MIN(name), 1 FROM {table} WHERE org_id = %s "  # noqa: S608
           f"UNION ALL SELECT (SELECT MIN(e.name) FROM {table} e WHERE e.org_id = %s AND e.name > n.name), k + 1 "
           f"FROM n WHERE n.name IS NOT NULL AND k < %s) SELECT name FROM n WHERE name IS NOT NULL")
    with conn.cursor() as cursor:
        cursor.execute(sql, [org.pk, org.pk, limit])
        return [row[0] for row in cursor.fetchall()]
