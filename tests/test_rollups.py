"""Rollups: they equal a recomputation from the raw answers after random captures (property test, through
the real capture services), reads are exact before the worker has caught up, capture pays one marker
statement per written group, refresh and rebuild agree, and the raw-row queries use their indexes (query
plans on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.analytics import reads, rollups
from cxloop.analytics.models import DAY, MONTH, RollupDirty, ScoreRollup
from cxloop.customers.models import Account, Contact
from cxloop.surveys import respondent, services
from cxloop.surveys.models import Answer

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "Rollups", "default_language": "en", "languages": ["en", "zh-hans"],
    "pages": [
        {"key": "p1", "questions": [
            {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
            {"key": "why", "type": "open_text", "text": "Why?"},
        ]},
        {"key": "p2", "questions": [
            {"key": "csat", "type": "csat", "text": "Satisfied?", "required": True},
            {"key": "grid", "type": "matrix", "text": "Rate",
             "items": [{"key": "speed", "text": "Speed"}, {"key": "price", "text": "Price"}]},
            {"key": "resolved", "type": "yes_no", "text": "Resolved?"},
        ]},
    ],
}
TIERS = ("enterprise", "mid_market", "smb")
QUESTIONS = ("nps", "csat", "grid.speed", "grid.price")


class World:
    def __init__(self, tenant: Any) -> None:
        self.org = tenant.org
        self.surveys = []
        for index, touchpoint in enumerate(("support", "onboarding")):
            survey = services.create_survey(org=self.org, name=f"Rollups {index}", definition=DEFINITION,
                                            touchpoint=touchpoint)
            services.publish(survey=survey)
            survey.refresh_from_db()
            self.surveys.append(survey)
        self.accounts = [Account.objects.create(org=self.org, external_id=f"A{i}", name=f"Account {i}", tier=tier)
                         for i, tier in enumerate(TIERS)]
        self.contacts = []
        for i in range(8):  # two contacts per account, two without one
            account = self.accounts[i // 2] if i < 6 else None
            self.contacts.append(Contact.objects.create(org=self.org, external_id=f"C{i}", name=f"Contact {i}",
                                                        account=account, attributes={"plan": "pro" if i % 2 else
                                                                                     "basic"}))

    @property
    def survey_ids(self) -> list[int]:
        return [s.pk for s in self.surveys]


@pytest.fixture
def world(tenant_a: Any) -> World:
    return World(tenant_a)


def _at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    now = timezone.now()
    at = (now - timedelta(days=days_ago)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at <= now else at - timedelta(days=1)


def _submission(world: World, spec: dict[str, Any]) -> services.Submission:
    answers: dict[str, Any] = {"nps": spec["nps"]}
    if spec["complete"] or spec["csat"] % 2:
        answers["csat"] = spec["csat"]
    if spec["speed"] is not None:
        answers["grid"] = {"speed": spec["speed"], "price": 6 - spec["speed"]}
    if spec["nps"] % 3 == 0:
        answers["why"] = f"comment {spec['nps']}"
    contact = None if spec["contact"] < 0 else {"external_id": world.contacts[spec["contact"]].external_id}
    return services.Submission(answers=answers, contact=contact, touchpoint=spec["touchpoint"],
                               channel=spec["channel"], language=spec["language"],
                               submitted_at=_at(spec["days_ago"], spec["hour"]), complete=spec["complete"])


# --- the truth: a recomputation from the raw answers, in Python -----------------------------------


def _local_day(at: datetime) -> date:
    return timezone.localtime(at, timezone.get_default_timezone()).date()


def raw_truth(survey_ids: list[int]) -> Counter[tuple[Any, ...]]:
    """(survey, question, local day, touchpoint, channel, language, tier, value) → count, complete only."""
    truth: Counter[tuple[Any, ...]] = Counter()
    answers = Answer.objects.filter(response__survey_id__in=survey_ids, response__status="complete",
                                    number__isnull=False).select_related("response__account")
    for a in answers:
        r = a.response
        truth[(r.survey_id, a.question_key, _local_day(r.submitted_at), r.touchpoint, r.channel, r.language,
               r.account.tier if r.account else "", a.number)] += 1
    return truth


def stored(grain: str, survey_ids: list[int]) -> Counter[tuple[Any, ...]]:
    rows: Counter[tuple[Any, ...]] = Counter()
    for row in ScoreRollup.objects.filter(grain=grain, survey_id__in=survey_ids).values_list(
            "survey_id", "question_key", "period", "touchpoint", "channel", "language", "tier", "value", "count"):
        rows[row[:-1]] += row[-1]
    return rows


def by_month(day_rows: Counter[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    months: Counter[tuple[Any, ...]] = Counter()
    for (survey, key, day, *rest), n in day_rows.items():
        months[(survey, key, day.replace(day=1), *rest)] += n
    return months


def assert_exact(world: World) -> None:
    truth = raw_truth(world.survey_ids)
    assert +stored(DAY, world.survey_ids) == +truth
    assert +stored(MONTH, world.survey_ids) == +by_month(truth)


def read_counts(world: World, question: str, first: date, last: date, *, months: bool) -> Counter[tuple[Any, ...]]:
    query = reads.CountQuery(org_id=world.org.pk, survey_ids=tuple(world.survey_ids), question_key=question,
                             group_by="tier")
    got: Counter[tuple[Any, ...]] = Counter()
    for row in reads.counts(query, [(first, last)], months=months):
        got[(row.group, row.value)] += row.n
    return got


def truth_counts(world: World, question: str, first: date, last: date) -> Counter[tuple[Any, ...]]:
    got: Counter[tuple[Any, ...]] = Counter()
    for (_survey, key, day, _tp, _ch, _lang, tier, value), n in raw_truth(world.survey_ids).items():
        if key == question and first <= day <= last:
            got[(tier, int(value))] += n
    return got


# --- the property test ----------------------------------------------------------------------------

SUBMISSION = st.fixed_dictionaries({
    "survey": st.integers(0, 1),
    "days_ago": st.integers(0, 75),
    "hour": st.integers(0, 23),
    "nps": st.integers(0, 10),
    "csat": st.integers(1, 5),
    "speed": st.none() | st.integers(1, 5),
    "complete": st.booleans(),
    "contact": st.integers(-1, 7),
    "touchpoint": st.sampled_from(["", "support", "billing"]),
    "channel": st.sampled_from(["api", "email", "sms"]),
    "language": st.sampled_from(["", "en", "zh-hans"]),
})
OPERATION = st.one_of(
    st.tuples(st.just("record"), SUBMISSION),
    st.tuples(st.just("batch"), st.integers(0, 1), st.lists(SUBMISSION, min_size=1, max_size=8)),
    st.tuples(st.just("page"), st.integers(0, 1), st.integers(0, 10), st.integers(1, 5), st.booleans()),
    st.tuples(st.just("tier"), st.integers(0, 2), st.sampled_from(TIERS)),
    st.tuples(st.just("refresh")),
)


def _apply(world: World, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "record":
        spec = op[1]
        services.record_response(survey=world.surveys[spec["survey"]], submission=_submission(world, spec))
    elif kind == "batch":
        items = [services.BatchItem(_submission(world, spec)) for spec in op[2]]
        results = services.record_batch(survey=world.surveys[op[1]], items=items)
        assert all(isinstance(r, services.Recorded) for r in results), results
    elif kind == "page":  # the respondent's page: partial after page 1, complete after page 2
        survey = world.surveys[op[1]]
        visit = respondent.open_public(slug=survey.slug or "", resume_token=None, query={}, lang="en",
                                       accept_language=None)
        saved = respondent.save_page(visit=visit, page_index=0, page_answers={"nps": str(op[2])}, channel="link")
        if op[4]:
            again = respondent.open_public(slug=survey.slug or "", resume_token=saved.response.resume_token,
                                           query={}, lang="en", accept_language=None, submitting=True)
            respondent.keep_page(visit=again, page_index=1, page_answers={"csat": str(op[3])})
            respondent.save_page(visit=again, page_index=1, page_answers={"csat": str(op[3])}, channel="link")
    elif kind == "tier":
        account = world.accounts[op[1]]
        account.refresh_from_db()
        account.tier = op[2]
        account.save()
    else:
        rollups.refresh()


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(OPERATION, min_size=1, max_size=10))
def test_rollups_equal_a_recomputation_after_random_captures(world: World, operations: list[Any]) -> None:
    for op in operations:
        _apply(world, op)
    today = _local_day(timezone.now())
    first, last = today - timedelta(days=80), today
    # Before the worker runs: reads count the marked days from the raw answers, so they are exact already.
    for question in QUESTIONS:
        expected = truth_counts(world, question, first, last)
        assert read_counts(world, question, first, last, months=True) == expected, question
        assert read_counts(world, question, first, last, months=False) == expected, question
    # The incremental path (refresh of the marked buckets) equals the recomputation...
    rollups.refresh()
    assert not RollupDirty.objects.exists()
    assert_exact(world)
    incremental = stored(DAY, world.survey_ids), stored(MONTH, world.survey_ids)
    # ...and so does a full rebuild, row for row.
    rollups.rebuild(survey_ids=world.survey_ids)
    assert (stored(DAY, world.survey_ids), stored(MONTH, world.survey_ids)) == incremental


# --- capture cost and the read path ---------------------------------------------------------------


def _marker_statements(ctx: CaptureQueriesContext) -> list[str]:
    table = RollupDirty._meta.db_table
    return [q["sql"] for q in ctx.captured_queries if table in q["sql"]]


def test_a_written_group_costs_one_marker_statement(world: World) -> None:
    survey = world.surveys[0]
    items = [services.BatchItem(services.Submission(
        answers={"nps": i % 11, "csat": 1 + i % 5, "grid": {"speed": 1 + i % 5, "price": 3}},
        submitted_at=_at(1 + i % 3, 10), channel="api")) for i in range(60)]
    with CaptureQueriesContext(connection) as ctx:
        results = services.record_batch(survey=survey, items=items)
    assert all(isinstance(r, services.Recorded) for r in results)
    assert Answer.objects.filter(response__survey=survey).count() == 240
    assert len(_marker_statements(ctx)) == 1  # 60 responses, 240 answers, 3 days: one statement
    assert RollupDirty.objects.filter(survey=survey).count() == 3
    # One response through record_response: one statement; a partial response: none.
    with CaptureQueriesContext(connection) as ctx:
        services.record_response(survey=survey, submission=services.Submission(answers={"nps": 3, "csat": 2}))
        services.record_response(survey=survey, submission=services.Submission(answers={"nps": 3}, complete=False))
    assert len(_marker_statements(ctx)) == 1


def test_the_respondents_page_marks_only_when_complete(world: World) -> None:
    survey = world.surveys[0]
    visit = respondent.open_public(slug=survey.slug or "", resume_token=None, query={}, lang="en",
                                   accept_language=None)
    with CaptureQueriesContext(connection) as ctx:
        saved = respondent.save_page(visit=visit, page_index=0, page_answers={"nps": "4"}, channel="link")
        respondent.keep_page(visit=visit, page_index=1, page_answers={"csat": "5"})
    assert _marker_statements(ctx) == [] and not RollupDirty.objects.exists()
    with CaptureQueriesContext(connection) as ctx:
        respondent.save_page(visit=visit, page_index=1, page_answers={"csat": "5"}, channel="link")
    assert len(_marker_statements(ctx)) == 1
    assert list(RollupDirty.objects.values_list("survey_id", "day")) == [
        (survey.pk, _local_day(saved.response.submitted_at))]


def test_reads_are_exact_before_the_refresh_and_after(world: World) -> None:
    from cxloop.analytics import metrics_service

    survey = world.surveys[0]
    for score in (10, 9, 3):
        services.record_response(survey=survey, submission=services.Submission(
            answers={"nps": score, "csat": 4}, submitted_at=_at(40, 3)))
    rollups.refresh()
    today = _local_day(timezone.now())

    def current() -> tuple[int, float | None]:
        result = metrics_service.compute(org=world.org, surveys=[survey], question="nps",
                                         start=today - timedelta(days=60), end=today)
        return result.items[0].estimate.n, result.items[0].estimate.value

    assert current() == (3, pytest.approx(100 / 3))
    services.record_response(survey=survey, submission=services.Submission(answers={"nps": 0, "csat": 1}))
    assert RollupDirty.objects.filter(survey=survey).exists()
    assert current() == (4, 0.0)  # counted from the raw answers of the marked day
    rollups.refresh()
    assert not RollupDirty.objects.exists()
    assert current() == (4, 0.0)  # and from the recomputed rollups
    assert_exact(world)


def test_many_marked_days_are_recomputed_before_reading(world: World) -> None:
    survey = world.surveys[0]
    now = timezone.now()
    items = [services.BatchItem(services.Submission(answers={"nps": 8, "csat": 5},
                                                    submitted_at=now - timedelta(days=d, minutes=1)))
             for d in range(reads.SYNC_REFRESH_OVER + 5)]
    services.record_batch(survey=survey, items=items)
    assert RollupDirty.objects.count() == reads.SYNC_REFRESH_OVER + 5
    today = _local_day(timezone.now())
    got = read_counts(world, "nps", today - timedelta(days=60), today, months=True)
    assert got == Counter({("", 8): reads.SYNC_REFRESH_OVER + 5})
    assert not RollupDirty.objects.exists()
    assert_exact(world)


def test_a_tier_change_marks_the_accounts_days(world: World) -> None:
    survey = world.surveys[1]
    contact = world.contacts[0]  # of account 0, enterprise
    services.record_response(survey=survey, submission=services.Submission(
        answers={"nps": 9, "csat": 5}, contact={"external_id": contact.external_id}, submitted_at=_at(20, 9)))
    rollups.refresh()
    assert ScoreRollup.objects.filter(survey=survey, question_key="nps", tier="enterprise").exists()
    account = world.accounts[0]
    account.name = "Renamed"
    account.save()  # the tier did not change: nothing to redo
    assert not RollupDirty.objects.exists()
    account.tier = "smb"
    account.save()
    assert RollupDirty.objects.filter(survey=survey).count() == 1
    rollups.refresh()
    assert not ScoreRollup.objects.filter(survey=survey, tier="enterprise").exists()
    assert_exact(world)


def test_refresh_task_is_scheduled_after_capture_and_runs(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django_tasks_db.models import DBTaskResult
    from tests.conftest import run_tasks_due_within

    from cxloop.analytics.tasks import REFRESH_PATH

    rollups._LAST_SCHEDULED[0] = -1e18
    with django_capture_on_commit_callbacks(execute=True):
        services.record_response(survey=world.surveys[0], submission=services.Submission(
            answers={"nps": 7, "csat": 3}))
    with django_capture_on_commit_callbacks(execute=True):  # within REFRESH_DELAY: no second task
        services.record_response(survey=world.surveys[1], submission=services.Submission(
            answers={"nps": 7, "csat": 3}))
    waiting = DBTaskResult.objects.filter(task_path=REFRESH_PATH, status="READY")
    assert waiting.count() == 1 and waiting.get().run_after > timezone.now()
    assert RollupDirty.objects.count() == 2
    assert run_tasks_due_within(rollups.REFRESH_DELAY * 2) >= 1
    assert not RollupDirty.objects.exists()
    assert_exact(world)


def test_rollups_command(world: World) -> None:
    survey = world.surveys[0]
    services.record_batch(survey=survey, items=[services.BatchItem(services.Submission(
        answers={"nps": n, "csat": 3}, submitted_at=_at(n * 5, 8))) for n in range(11)])
    ScoreRollup.objects.all().delete()
    RollupDirty.objects.all().delete()
    out = io.StringIO()
    call_command("rollups", "rebuild", "--survey", str(survey.pk), stdout=out)
    assert "Rebuilt the rollups of 1 surveys" in out.getvalue()
    assert_exact(world)
    call_command("rollups", "status", stdout=out)
    assert "0 (survey, day) buckets marked dirty" in out.getvalue()
    services.record_response(survey=survey, submission=services.Submission(answers={"nps": 1, "csat": 1}))
    call_command("rollups", "refresh", stdout=out)
    assert "Recomputed 1 (survey, day) buckets" in out.getvalue()
    assert_exact(world)
    with pytest.raises(CommandError, match="No survey with id 999999"):
        call_command("rollups", "rebuild", "--survey", "999999")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("rollups", "rebuild", "--org", "nope")


# --- query plans: the raw-row queries use their indexes -------------------------------------------


def _query(world: World, **extra: Any) -> reads.CountQuery:
    return reads.CountQuery(org_id=world.org.pk, survey_ids=(world.surveys[0].pk,), question_key="nps",
                            group_by="tier", **extra)


def _plans(world: World) -> dict[str, str]:
    today = _local_day(timezone.now())
    first = today - timedelta(days=30)
    contact_filter = reads.answers_in(_query(world, contact={"plan": "pro"}), first, today)
    return {
        # Month rows with the stale day rows of their dirty days, in one statement (a UNION ALL).
        "rollup months": reads.month_queryset(_query(world), [first.replace(day=1)], [today]).explain(),
        "rollup days": reads.rollup_queryset(_query(world, filters={"channel": "email"}), DAY)
        .filter(period__gte=first, period__lte=today).values("period", "value").order_by().explain(),
        "contact attributes": contact_filter.values("number").order_by().explain(),
        "comment search": reads.comments_queryset(world.org.pk, [world.surveys[0].pk], "slow", first, today)
        .values("text")[:50].explain(),
    }


def _check_sqlite(plans: dict[str, str]) -> None:
    for name in ("rollup months", "rollup days"):
        assert "USING COVERING INDEX rollup_read" in plans[name], plans[name]
    for name in ("contact attributes", "comment search"):
        plan = plans[name]
        assert re.search(r"SEARCH surveys_response USING (COVERING )?INDEX response_org_survey_time", plan), plan
        # An index led by response_id (answer_unique_key: SQLite names a table's UNIQUE one sqlite_autoindex_…)
        assert re.search(r"SEARCH surveys_answer USING (COVERING )?INDEX \S+ \(response_id=\?", plan), plan
    for plan in plans.values():
        assert "SCAN " not in plan.replace("SCAN CONSTANT ROW", ""), plan  # no full scan of any table


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's EXPLAIN QUERY PLAN")
def test_query_plans_use_the_indexes_on_sqlite(world: World) -> None:
    _check_sqlite(_plans(world))
    # The check is not vacuous: without the index (dropped inside the test's transaction) it fails.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX response_org_survey_time")
    with pytest.raises(AssertionError):
        _check_sqlite(_plans(world))


@pytest.mark.postgres_only
def test_query_plans_use_the_indexes_on_postgresql(world: World) -> None:
    # Rollup rows of many questions and days with their statistics, so that the planner weighs the two
    # rollup indexes as on real data; the tiny test tables still make a sequential scan cheapest, so it
    # is forbidden to see which index each query uses.
    today = _local_day(timezone.now())
    ScoreRollup.objects.bulk_create(
        ScoreRollup(survey=world.surveys[0], question_key=key, grain=grain, period=today - timedelta(days=d),
                    touchpoint="support", channel="email", language="en", tier="smb", value=v, count=1)
        for key in ["nps", *(f"q{q}" for q in range(11))]
        for base, days in ((DAY, 60), (MONTH, 24)) for grain in (base, f"{base}:tier")
        for d in range(days) for v in range(5))
    # Likewise responses over a year (two surveys) with their answers.
    from cxloop.surveys.models import Response

    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(org=world.org, survey=world.surveys[i % 2], version_id=world.surveys[i % 2].versions.get().pk,
                 status="complete", submitted_at=now - timedelta(hours=4 * i), channel="email", language="en",
                 touchpoint="support", contact=world.contacts[i % 8]) for i in range(6000))
    Answer.objects.bulk_create(Answer(response=r, question_key=key, number=5 if key != "why" else None,
                                      text="slow" if key == "why" else "")
                               for r in responses for key in ("nps", "csat", "why"))
    with connection.cursor() as cursor:
        for model in (ScoreRollup, Response, Answer, Contact):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plans = _plans(world)
    for name in ("rollup months", "rollup days"):
        # rollup_read (covering) on real data; with few rows of a grain, rollup_bucket is as good
        assert re.search(r"(Index (Only )?Scan using|Bitmap Index Scan on) rollup_(read|bucket)", plans[name]), \
            plans[name]
    plan = plans["contact attributes"]
    assert "response_org_survey_time" in plan, plan
    assert re.search(r"Index (Only )?Scan using \w+ on surveys_answer", plan), plan
    assert "Index Cond: (response_id = surveys_response.id)" in plan, plan
    # the comment search: the trigram index of its text (migration surveys 0007), or the window's responses first
    plan = plans["comment search"]
    assert "answer_comment_trgm" in plan or (
        "response_org_survey_time" in plan and "Index Cond: (response_id = surveys_response.id)" in plan), plan
    for plan in plans.values():
        assert "Seq Scan" not in plan, plan
