"""Keeping the rollups exact: dirty markers written with the answers, recomputation of the marked
buckets (a task, ``cxloop rollups refresh``), and a full rebuild (``cxloop rollups rebuild``).

The invariant
-------------
For every (survey, local day): the day rows of ``ScoreRollup`` equal a recomputation from the raw
answers of the complete responses submitted that day, **or** a ``RollupDirty`` marker for (survey, day)
exists. For every (survey, month): the month rows equal the sum of its day rows, or a marker exists for
one of its days. Readers (``analytics.reads``) read the markers first and count marked days from the raw
answers, so a read is exact whether or not the worker has caught up.

* Capture (``mark_dirty``, called in the capture transaction by ``surveys.services._insert_jobs``,
  ``record_response`` and the respondent's page): one ``INSERT … ON CONFLICT DO NOTHING`` of the group's
  distinct (survey, day) pairs — one statement per written group, however many answers it has.
* Recompute (``refresh``): claims markers and replaces their day buckets from the raw rows and their
  months from the day rows, in one transaction per chunk, so a reader sees either the marker with the old
  rows or the new rows without it. On PostgreSQL the transaction first takes ``SHARE ROW EXCLUSIVE`` on
  the marker table: that waits for capture transactions in flight (their marker INSERT holds ``ROW
  EXCLUSIVE`` to commit) whose answers a marker already present stands for, so none is missed. SQLite has
  one writer at a time, so there is nothing in flight to wait for.
* Rebuild: replaces a survey's rows month by month from the raw rows. It deletes no marker (a capture
  during the rebuild keeps its marker), so it never has to stop capture.

Refreshes and rebuilds take one lock (a PostgreSQL advisory lock; SQLite's write lock), so they never
interleave. Rows count complete responses only; the day is ``submitted_at`` in ``settings.TIME_ZONE``.
Changing an account's tier marks that account's days (``analytics.signals``). Rows written outside the
services (raw SQL, the admin, a bulk load) need ``cxloop rollups rebuild``; the demo generator runs it.
"""

from __future__ import annotations

import logging
import threading
import time as clock
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from cxloop.analytics.models import DAY, DIMENSIONS, LEVELS, MONTH, RollupDirty, ScoreRollup, grain
from cxloop.customers.models import Account
from cxloop.surveys.models import Answer, Response, ResponseStatus, Survey

logger = logging.getLogger(__name__)

ADVISORY_KEY = 0x63786C72  # "cxlr": one refresh or rebuild at a time (PostgreSQL)
CLAIM_CHUNK = 64  # markers recomputed per transaction
REFRESH_DELAY = timedelta(seconds=10)  # a capture schedules a refresh at most this often per process


# --- days and months ------------------------------------------------------------------------------


def local_day(at: datetime) -> date:
    """The day of ``at`` in the installation's time zone (``settings.TIME_ZONE``), which rollups use."""
    return at.astimezone(timezone.get_default_timezone()).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _qn(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _date_param(day: date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def _dt_param(at: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(at)


# --- capture: dirty markers -----------------------------------------------------------------------


def _bucket(response: Response | Mapping[str, Any]) -> tuple[int, datetime, str]:
    if isinstance(response, Mapping):
        return response["survey_id"], response["submitted_at"], response["status"]
    return response.survey_id, response.submitted_at, response.status


def mark_dirty(responses: Iterable[Response | Mapping[str, Any]]) -> None:
    """Mark the (survey, day) buckets of these responses (model instances, or rows as dicts with
    ``survey_id``, ``submitted_at`` and ``status``) for recomputation, the complete ones only: one
    ``INSERT … ON CONFLICT DO NOTHING`` in the caller's transaction, and a refresh task scheduled after
    the commit (at most once per ``REFRESH_DELAY`` per process)."""
    pairs = sorted({(survey_id, local_day(at)) for survey_id, at, status in map(_bucket, responses)
                    if status == ResponseStatus.COMPLETE})
    if not pairs:
        return
    values = ", ".join(["(%s, %s)"] * len(pairs))
    sql = (f"INSERT INTO {_qn(RollupDirty)} (survey_id, day) VALUES {values} "  # noqa: S608 - placeholders only
           "ON CONFLICT (survey_id, day) DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, [v for survey_id, day in pairs for v in (survey_id, _date_param(day))])
    transaction.on_commit(schedule_refresh, robust=True)


def mark_account_dirty(account_id: int) -> None:
    """Mark every (survey, day) with a complete response of this account (its tier changed)."""
    day_sql, day_params = connection.ops.datetime_cast_date_sql("r.submitted_at", (), _tzname())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_qn(RollupDirty)} (survey_id, day) "  # noqa: S608 - table names from the models
            f"SELECT DISTINCT r.survey_id, {day_sql} FROM {_qn(Response)} r "
            "WHERE r.account_id = %s AND r.status = %s ON CONFLICT (survey_id, day) DO NOTHING",
            [*day_params, account_id, ResponseStatus.COMPLETE])


_SCHEDULE_LOCK = threading.Lock()
_LAST_SCHEDULED = [-1e18]


def schedule_refresh() -> None:
    """Queue ``analytics.tasks.refresh_rollups`` ``REFRESH_DELAY`` from now unless one is waiting."""
    now = clock.monotonic()
    with _SCHEDULE_LOCK:
        if now - _LAST_SCHEDULED[0] < REFRESH_DELAY.total_seconds():
            return
        _LAST_SCHEDULED[0] = now
    from django_tasks_db.models import DBTaskResult

    from cxloop.analytics.tasks import REFRESH_PATH, refresh_rollups

    if DBTaskResult.objects.filter(task_path=REFRESH_PATH, status="READY").exists():
        return
    refresh_rollups.using(run_after=timezone.now() + REFRESH_DELAY).enqueue()


# --- recompute ------------------------------------------------------------------------------------


def _tzname() -> str:
    return str(timezone.get_default_timezone())


@contextmanager
def _exclusive(*, markers: bool) -> Iterator[Any]:
    """One transaction that no other refresh or rebuild interleaves with; with ``markers`` it also waits
    for capture transactions in flight (PostgreSQL) and keeps new markers out until it commits."""
    from cxloop.surveys.services import write_slot  # services calls mark_dirty: import late

    with write_slot(), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_KEY])
            if markers:
                cursor.execute(f"LOCK TABLE {_qn(RollupDirty)} IN SHARE ROW EXCLUSIVE MODE")
        yield cursor


_COLUMNS = "survey_id, question_key, grain, period, touchpoint, channel, language, tier, value, count"


def _grains(base: str) -> list[str]:
    """The grains stored for ``base``: months also come collapsed (days do not: at low volume their
    collapsed rows outnumbered the full ones, and a day is read whole only for day and week charts)."""
    return [base, *(grain(base, level) for level in LEVELS)] if base == MONTH else [base]


def _delete(cursor: Any, survey_id: int, base: str, first: date, end: date) -> None:
    """Delete one survey's rows of every level of grain ``base`` for periods ``first`` ≤ p < ``end``."""
    grains = _grains(base)
    cursor.execute(f"DELETE FROM {_qn(ScoreRollup)} WHERE survey_id = %s "  # noqa: S608
                   f"AND grain IN ({', '.join(['%s'] * len(grains))}) AND period >= %s AND period < %s",
                   [survey_id, *grains, _date_param(first), _date_param(end)])


def _collapse(cursor: Any, survey_id: int, base: str, first: date, end: date) -> None:
    """Add the collapsed levels of one survey's periods ``first`` ≤ p < ``end`` from its rows with
    every dimension: one dimension kept (``m:touchpoint`` …), or none (``m:total``)."""
    rollup = _qn(ScoreRollup)
    for level in LEVELS:
        kept = [d if d == level else "''" for d in DIMENSIONS]
        group = ", ".join(["1", "2", "4", *(str(5 + i) for i, d in enumerate(DIMENSIONS) if d == level), "9"])
        cursor.execute(
            f"INSERT INTO {rollup} ({_COLUMNS}) "  # noqa: S608
            f"SELECT survey_id, question_key, %s, period, {', '.join(kept)}, value, SUM(count) FROM {rollup} "
            f"WHERE survey_id = %s AND grain = %s AND period >= %s AND period < %s GROUP BY {group}",
            [grain(base, level), survey_id, base, _date_param(first), _date_param(end)])


def _replace_days(cursor: Any, org_id: int, survey_id: int, first: date, last: date) -> None:
    """Replace the day rows of one survey for ``first``..``last`` from the raw answers."""
    end = last + timedelta(days=1)
    _delete(cursor, survey_id, DAY, first, end)
    if first == last:
        period_sql, period_params, group = "%s", [_date_param(first)], "1, 2, 5, 6, 7, 8, 9"
    else:
        period_sql, period_params = _day_sql(first, end)
        group = "1, 2, 4, 5, 6, 7, 8, 9"
    cursor.execute(
        f"INSERT INTO {_qn(ScoreRollup)} ({_COLUMNS}) "  # noqa: S608
        f"SELECT r.survey_id, a.question_key, '{DAY}', {period_sql}, r.touchpoint, r.channel, r.language, "
        "COALESCE(acc.tier, ''), a.number, COUNT(*) "
        f"FROM {_qn(Response)} r JOIN {_qn(Answer)} a ON a.response_id = r.id "
        f"LEFT JOIN {_qn(Account)} acc ON acc.id = r.account_id "
        "WHERE r.org_id = %s AND r.survey_id = %s AND r.submitted_at >= %s AND r.submitted_at < %s "
        f"AND r.status = %s AND a.number IS NOT NULL GROUP BY {group}",
        [*period_params, org_id, survey_id, _dt_param(day_start(first)), _dt_param(day_start(end)),
         ResponseStatus.COMPLETE])


def _day_sql(first: date, end: date) -> tuple[str, list[Any]]:
    """SQL for the local day of ``r.submitted_at`` for rows submitted from ``first`` to before ``end``.
    On SQLite, Django's expression calls back into Python for every row; when the time zone keeps one
    UTC offset over the whole span (no daylight-saving change: always for Asia/Shanghai), SQLite's own
    ``date(…, '+N seconds')`` gives the same day without leaving C."""
    if connection.vendor == "sqlite":
        zone = timezone.get_default_timezone()
        offsets = {day_start(first + timedelta(days=i)).utcoffset() for i in range((end - first).days + 1)}
        offset = offsets.pop() if len(offsets) == 1 else None
        if offset is not None and all(
                (day_start(first) + timedelta(hours=h)).astimezone(zone).utcoffset() == offset
                for h in range(0, (end - first).days * 24 + 1, 6)):
            return f"date(r.submitted_at, '{int(offset.total_seconds()):+d} seconds')", []
    sql, params = connection.ops.datetime_cast_date_sql("r.submitted_at", (), _tzname())
    return sql, list(params)


def _month_sql(column: str) -> str:
    if connection.vendor == "sqlite":
        return f"strftime('%%Y-%%m-01', {column})"
    return f"CAST(date_trunc('month', {column}) AS date)"


def _replace_months(cursor: Any, survey_id: int, first: date, last: date) -> None:
    """Replace the month rows (every level) of one survey for the months ``first``..``last`` (first
    days) from its day rows."""
    rollup = _qn(ScoreRollup)
    end = next_month(last)
    _delete(cursor, survey_id, MONTH, first, end)
    cursor.execute(
        f"INSERT INTO {rollup} ({_COLUMNS}) "  # noqa: S608
        f"SELECT survey_id, question_key, '{MONTH}', {_month_sql('period')}, touchpoint, channel, language, "
        f"tier, value, SUM(count) FROM {rollup} "
        f"WHERE survey_id = %s AND grain = '{DAY}' AND period >= %s AND period < %s "
        "GROUP BY 1, 2, 4, 5, 6, 7, 8, 9",
        [survey_id, _date_param(first), _date_param(end)])
    _collapse(cursor, survey_id, MONTH, first, end)


def _orgs_of(survey_ids: Iterable[int]) -> dict[int, int]:
    return dict(Survey.objects.filter(pk__in=set(survey_ids)).values_list("pk", "org_id"))


def _recompute(cursor: Any, buckets: list[tuple[int, date]]) -> None:
    orgs = _orgs_of(s for s, _ in buckets)
    months: set[tuple[int, date]] = set()
    for survey_id, day in sorted(set(buckets)):
        org_id = orgs.get(survey_id)
        if org_id is None:  # the survey is gone (its rows went with it)
            continue
        _replace_days(cursor, org_id, survey_id, day, day)
        months.add((survey_id, month_start(day)))
    for survey_id, month in sorted(months):
        _replace_months(cursor, survey_id, month, month)


def refresh(*, survey_ids: Collection[int] | None = None) -> int:
    """Recompute every marked bucket (of these surveys, or all), chunk by chunk; returns how many."""
    done = 0
    while True:
        with _exclusive(markers=True) as cursor:
            qs = RollupDirty.objects.order_by("pk")
            if survey_ids is not None:
                qs = qs.filter(survey_id__in=list(survey_ids))
            claimed = list(qs.values_list("pk", "survey_id", "day")[:CLAIM_CHUNK])
            if claimed:
                RollupDirty.objects.filter(pk__in=[pk for pk, _s, _d in claimed]).delete()
                _recompute(cursor, [(s, d) for _pk, s, d in claimed])
        if not claimed:
            return done
        done += len(claimed)


def dirty_days(survey_ids: Collection[int], first: date, last: date) -> set[date]:
    """The days in ``first``..``last`` marked for any of these surveys."""
    return set(RollupDirty.objects.filter(survey_id__in=list(survey_ids), day__gte=first, day__lte=last)
               .values_list("day", flat=True))


# --- rebuild --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rebuilt:
    surveys: int
    months: int
    rows: int
    seconds: float


def rebuild(*, survey_ids: Collection[int] | None = None) -> Rebuilt:
    """Recompute the rollups of these surveys (or all) from the raw answers, one month per transaction
    (readers see each month either before or after), then recompute any markers left."""
    started = clock.monotonic()
    surveys = Survey.objects.order_by("pk")
    if survey_ids is not None:
        surveys = surveys.filter(pk__in=list(survey_ids))
    pairs = list(surveys.values_list("pk", "org_id"))
    months_done = 0
    for survey_id, org_id in pairs:
        span = Response.objects.filter(org_id=org_id, survey_id=survey_id, status=ResponseStatus.COMPLETE) \
            .aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
        with _exclusive(markers=False) as cursor:
            if span["first"] is None:
                ScoreRollup.objects.filter(survey_id=survey_id).delete()
                continue
            first, last = month_start(local_day(span["first"])), month_start(local_day(span["last"]))
            outside = ScoreRollup.objects.filter(survey_id=survey_id).exclude(period__gte=first,
                                                                               period__lt=next_month(last))
            outside.delete()
            # Rows of a grain no longer kept (e.g. written by an earlier version) go too.
            ScoreRollup.objects.filter(survey_id=survey_id).exclude(grain__in=[*_grains(DAY), *_grains(MONTH)]) \
                .delete()
        month = first
        while month <= last:
            with _exclusive(markers=False) as cursor:
                _replace_days(cursor, org_id, survey_id, month, next_month(month) - timedelta(days=1))
                _replace_months(cursor, survey_id, month, month)
            month = next_month(month)
            months_done += 1
    refresh(survey_ids=[s for s, _o in pairs])
    rows = ScoreRollup.objects.filter(survey_id__in=[s for s, _o in pairs]).count()
    return Rebuilt(len(pairs), months_done, rows, clock.monotonic() - started)
