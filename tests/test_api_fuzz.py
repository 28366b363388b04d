"""Schemathesis against /api/v1/openapi.json, in process through the real WSGI application (``cxloop.wsgi``:
the capture gateway in front of Django), authenticated with the owner API key of a seeded organisation.

Every operation of the schema is fuzzed with positive data (valid per the schema) and negative data (invalid per
the schema), with its path ids half of the time pointing at real rows of the organisation (one object of every kind,
from ``test_tenancy._objects``, plus a published survey with responses), half of the time generated. Checks on every
response: no 5xx, the status code is declared, the content type is declared, the body conforms to the declared
schema, declared headers conform, schema-invalid input is rejected with a 4xx (``negative_data_rejection``) and a
2xx answer turns into 401 without the key (``ignored_auth``). Not used: ``positive_data_acceptance`` (schema-valid
data is refused for business reasons: an unknown id is 404, a survey definition with unknown question types 422 —
not a defect), ``max_response_time`` (timing on a shared machine), and the checks that re-send requests with other
methods or headers (``unsupported_method``, ``missing_required_header``: ninja answers 405 and the API has no
required headers). Cross-tenant access (``object_level_authorization``) is ``test_tenancy.py``'s job. No operation
is excluded.

Then the stateful phase: the schema has no OpenAPI links, so schemathesis infers them from the schema
(``dependency-analysis``: e.g. ``POST /journeys`` → ``GET /journeys/{journey_id}`` with the created id) and runs
its state machine over the inferred links with the same checks.

Deterministic (``derandomize``), bounded (``CXLOOP_FUZZ_EXAMPLES`` examples per operation and mode, default 2).
``CXLOOP_FUZZ_REPORT=<file>`` writes the counts as JSON (``benchmarks/fuzz_api.py`` runs this module with many more
examples, on both backends). In ``make test`` the fuzzing runs in the PostgreSQL pass only (where the one backend-
specific 500 it found lived); the regression tests below run in both.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("CXLOOP_FUZZ_EXAMPLES", "2"))
STATEFUL_STEPS = int(os.environ.get("CXLOOP_FUZZ_STATEFUL", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
POSITIVE_CHECKS = [*CHECKS, ignored_auth]  # a 2xx answer must turn into 401 without the key
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]  # schema-invalid input must get a 4xx
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]
HOST = "localhost"  # schemathesis' WSGI client sends Host: localhost

NPS_DRAFT = {"title": {"en": "Fuzz"}, "default_language": "en", "languages": ["en"],
             "pages": [{"key": "p1", "questions": [
                 {"key": "nps", "type": "nps", "text": {"en": "Recommend?"}},
                 {"key": "why", "type": "open_text", "text": {"en": "Why?"}, "required": False}]}]}


@pytest.fixture
def seeded(tenant_a: Any) -> dict[str, Any]:
    return seed(tenant_a)


@pytest.fixture
def wsgi_app(seeded: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The production WSGI application. Django's handler and the capture gateway close the database connection
    after each request (``close_old_connections``), which would end the test's transaction: disconnected for the
    test, as Django's own test client does (after seeding: the test client connects it again when done)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    from cxloop.api import gateway
    from cxloop.wsgi import application

    monkeypatch.setattr(gateway, "close_old_connections", lambda: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def seed(tenant: Any) -> dict[str, Any]:
    """One object of every kind of id (the tenancy test's map), a published survey with answered responses."""
    from cxloop.surveys import services as surveys
    from cxloop.surveys.models import Survey
    from test_tenancy import _objects

    ids: dict[str, Any] = {**_objects(tenant), "org": tenant.org.slug}
    survey = Survey.objects.get(pk=ids["survey_id"])
    surveys.update_draft(survey=survey, definition=NPS_DRAFT)
    surveys.publish(survey=survey)
    from django.test import Client

    client = Client()
    for i, score in enumerate((10, 9, 6, 3)):
        response = client.post(f"/api/v1/surveys/{survey.pk}/responses", json.dumps(
            {"answers": {"nps": score, "why": f"comment {i}"}, "contact": {"external_id": f"C-{i}"}}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {tenant.keys['owner']}")
        assert response.status_code == 201, response.content
    return ids


class Tally:
    """What the run did: examples per operation, status codes, failures per check (first example kept)."""

    def __init__(self) -> None:
        self.examples: Counter[str] = Counter()
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: dict[tuple[str, str], str] = {}
        self.failure_counts: Counter[str] = Counter()
        self.aborted = ""

    def record(self, label: str, case: Any, response: Any, error: BaseException | None) -> None:
        self.examples[label] += 1
        self.statuses[label][response.status_code] += 1
        if error is None:
            return
        for failure in getattr(error, "exceptions", [error]):
            title = getattr(failure, "title", type(failure).__name__)
            self.failure_counts[title] += 1
            detail = getattr(failure, "message", failure)
            self.failures.setdefault((label, title), f"{case.as_curl_command()}\n-> {response.status_code} "
                                                      f"{response.text[:400]}\n{detail}"[:1500])


def _strategies(operation: Any, ids: dict[str, Any], mode: Any) -> Any:
    names = {p.name for p in operation.path_parameters}
    real = {name: ids[name] for name in names if name in ids}
    generated = operation.as_strategy(generation_mode=mode)
    if not real:
        return generated
    return st.one_of(operation.as_strategy(generation_mode=mode, path_parameters=real), generated)


def fuzz(app: Any, key: str, ids: dict[str, Any], owner_key_pk: int, tally: Tally) -> None:
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {key}"}
    only = os.environ.get("CXLOOP_FUZZ_ONLY", "")  # a substring of "METHOD /path", to chase one failure
    operations = [op for op in (result.ok() for result in schema.get_all_operations()) if only in op.label]
    # Deletions last, so the other operations still find the seeded rows.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    for operation in operations:
        for mode, checks in ((GenerationMode.POSITIVE, POSITIVE_CHECKS), (GenerationMode.NEGATIVE, NEGATIVE_CHECKS)):
            _runner(operation, _strategies(operation, ids, mode), checks, headers, owner_key_pk, tally)()


def fuzz_stateful(app: Any, key: str, org: str, owner_key_pk: int, tally: Tally) -> int:
    """Schemathesis' state machine over the links it infers from the schema; returns how many links it has."""
    from cxloop.orgs.models import ApiKey

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {key}"}
    machine = schema.as_state_machine()
    links = sum(len(response.get("links", {})) for methods in schema.raw_schema["paths"].values()
                for operation in methods.values() if isinstance(operation, dict)
                for response in operation.get("responses", {}).values())

    class Machine(machine):  # type: ignore[misc,valid-type]
        # Each scenario starts from the seeded rows (a savepoint rolled back): the links' preconditions look at
        # earlier answers, and hypothesis replays scenarios expecting the same answers.
        def setup(self) -> None:
            self._atomic = transaction.atomic()
            self._atomic.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        def before_call(self, case: Any) -> None:
            ApiKey.objects.filter(pk=owner_key_pk).update(revoked_at=None)
            if case.path_parameters and "org" in case.path_parameters:
                case.path_parameters["org"] = org  # no link produces it: a generated slug only ever meets 404
            if case.query and "org" in case.query:
                case.query["org"] = org
            _as_http_sends(case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            error: BaseException | None = None
            try:
                case.validate_response(response, checks=STATEFUL_CHECKS, headers=headers, transport_kwargs=kwargs)
            except (AssertionError, BaseExceptionGroup) as exc:
                error = exc
            tally.record(f"stateful {case.operation.label}", case, response, error)

    try:
        Machine.run(settings=settings(max_examples=STATEFUL_STEPS, derandomize=True, deadline=None, database=None,
                                      phases=[Phase.explicit, Phase.generate], stateful_step_count=8,
                                      suppress_health_check=list(HealthCheck)))
    except FlakyStrategyDefinition as exc:  # not an answer of the API: hypothesis could not replay a scenario
        tally.aborted = f"stateful phase stopped early: {str(exc).splitlines()[0]}"
    return links


def _as_http_sends(case: Any) -> bool:
    """A query parameter generated as an object or an array goes as an HTTP client sends it (``requests``, and the
    ``curl`` line schemathesis reports): one parameter per key or item, ``?q=a&q=b``. Over WSGI, werkzeug would send
    an object's Python text as ONE string (``?q={'a': …}``), a valid string the API rightly accepts — which the
    negative-data check then reported as a schema-violating request accepted. Returns True when a mutated
    parameter has at most one key or item: on the wire it is then one plain string, which no server can tell from
    a valid value, so that case is not judged by the negative-data check."""
    unseen = False
    for name, value in list((case.query or {}).items()):
        if isinstance(value, dict):
            case.query[name] = list(value)
        if isinstance(case.query[name], list) and len(case.query[name]) <= 1:
            unseen = True
    return unseen


def _runner(operation: Any, strategy: Any, checks: list[Any], headers: dict[str, str], owner_key_pk: int,
            tally: Tally) -> Any:
    from cxloop.orgs.models import ApiKey

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        # A generated id may hit the key in use (DELETE /api-keys/{id}): keep it valid for the next case.
        ApiKey.objects.filter(pk=owner_key_pk).update(revoked_at=None)
        unseen = _as_http_sends(case)
        response = case.call(headers=headers)
        error: BaseException | None = None
        try:
            case.validate_response(response, headers=headers, checks=[
                c for c in checks if not (unseen and c is negative_data_rejection)])
        except (AssertionError, BaseExceptionGroup) as exc:  # the failed checks (FailureGroup)
            error = exc
        tally.record(operation.label, case, response, error)

    return run


@pytest.mark.postgres_pass
def test_every_operation_survives_fuzzing(tenant_a: Any, seeded: dict[str, Any], wsgi_app: Any) -> None:
    from cxloop.orgs.models import ApiKey

    ids = seeded
    key = tenant_a.keys["owner"]
    owner_key_pk = ApiKey.objects.get(prefix=key.split("_")[1]).pk
    tally = Tally()
    started, cpu = time.monotonic(), time.process_time()
    fuzz(wsgi_app, key, ids, owner_key_pk, tally)
    stateless_seconds = time.monotonic() - started
    links = fuzz_stateful(wsgi_app, key, ids["org"], owner_key_pk, tally)
    seconds = time.monotonic() - started
    report = {
        "operations": sum(1 for label in tally.examples if not label.startswith("stateful ")),
        "examples": sum(n for label, n in tally.examples.items() if not label.startswith("stateful ")),
        "seconds": round(seconds, 1),
        "stateless_seconds": round(stateless_seconds, 1), "cpu_seconds": round(time.process_time() - cpu, 1),
        "server_errors": sum(n for s in tally.statuses.values() for c, n in s.items() if c >= 500),
        "failures_by_check": dict(tally.failure_counts),
        "stateful_links": links, "stateful_aborted": tally.aborted,
        "stateful_calls": sum(n for label, n in tally.examples.items() if label.startswith("stateful ")),
        "operations_with_2xx": sum(1 for label, s in tally.statuses.items()
                                   if not label.startswith("stateful ") and any(200 <= c < 300 for c in s)),
    }
    if path := os.environ.get("CXLOOP_FUZZ_REPORT"):
        with open(path, "w") as f:
            json.dump({**report, "failing": [f"{label} [{title}]" for label, title in sorted(tally.failures)],
                       "failure_details": [f"{label} [{title}]\n{text}" for (label, title), text
                                           in sorted(tally.failures.items())],
                       "statuses": {k: dict(v) for k, v in tally.statuses.items()}}, f, indent=1)
    print(json.dumps(report))
    # Not vacuous: the key works and the seeded ids are found (most operations answered 2xx at least once).
    assert report["operations_with_2xx"] >= 0.4 * report["operations"], report
    problems = "\n\n".join(f"{label} [{title}]\n{text}" for (label, title), text in sorted(tally.failures.items()))
    assert not tally.failures, f"{len(tally.failures)} failing (operation, check) pairs:\n\n{problems}"


def test_schema_component_names_are_unique() -> None:
    """OpenAPI names a schema component after its class: two input classes of the same name (``InvitationIn`` of
    the organisation's invitations and of a survey's personal links) made one route document the other's body."""
    from ninja import Schema

    import cxloop.api.main  # noqa: F401  (imports every router)

    seen: dict[str, Any] = {}
    pending = list(Schema.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not cls.__module__.startswith("cxloop.api."):
            continue
        other = seen.setdefault(cls.__name__, cls)
        assert other is cls or other.model_json_schema() == cls.model_json_schema(), (
            f"{other.__module__}.{cls.__name__} and {cls.__module__}.{cls.__name__} differ: rename one")


def test_a_body_that_is_not_an_object_is_refused(tenant_a: Any, api_client: Any) -> None:
    """Found by the fuzzer: ``PUT /segments/{id}`` with the body ``"text"`` answered 200 and changed nothing (every
    field of the input schema has a default and ninja read the string by attribute)."""
    from cxloop.segments.models import Segment

    segment = Segment.objects.create(org=tenant_a.org, name={"en": "Kept"}, definition={"field": "account.tier",
                                                                                         "op": "exists"})
    key = tenant_a.keys["owner"]
    for body in ('"u%"', "[1, 2]", "3", "null"):
        response = api_client.client.put(f"/api/v1/segments/{segment.pk}", body, content_type="application/json",
                                          HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 400, (body, response.content)
        assert response.json() == {"detail": "The request body must be a JSON object.", "field": "body"}
    response = api_client.client.put(f"/api/v1/segments/{segment.pk}", "{oops", content_type="application/json",
                                      HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400 and response.json()["field"] == "body"
    assert response.json()["detail"].startswith("The request body is not valid JSON: ")
    segment.refresh_from_db()
    assert segment.name == {"en": "Kept"}


def test_a_query_parameter_given_twice_is_refused(tenant_a: Any, api_client: Any) -> None:
    """Found by the fuzzer: ``GET /cases?assignee=a&assignee=b`` was answered as if only the last had been sent."""
    response = api_client.call("GET", f"/api/v1/cases?team={tenant_a.team.pk}&team=2", tenant_a.keys["owner"])
    assert response.status_code == 422
    assert response.json()["field"] == "team" and "more than once" in response.json()["detail"]
    assert api_client.call("GET", f"/api/v1/cases?team={tenant_a.team.pk}", tenant_a.keys["owner"]).status_code == 200


def test_a_zone_offset_postgresql_refuses_is_read_in_utc(seeded: dict[str, Any], tenant_a: Any,
                                                          api_client: Any) -> None:
    """Found by the fuzzer on PostgreSQL: ``?until=5151-01-22T08:42:01-22:33`` (Python reads offsets up to ±23:59,
    PostgreSQL only to ±15:59) aborted the transaction, a 500. Every moment the API takes is moved to UTC first."""
    from cxloop.surveys.models import Response

    key, survey = tenant_a.keys["owner"], seeded["survey_id"]
    stored = Response.objects.filter(survey_id=survey).count()
    for params in ("until=5151-01-22T08:42:01-22:33", "since=2001-01-01T00:00:00%2B23:59"):
        response = api_client.call("GET", f"/api/v1/surveys/{survey}/responses?{params}", key)
        assert response.status_code == 200, (params, response.content)
    listed = api_client.call("GET", f"/api/v1/surveys/{survey}/responses?until=5151-01-22T08:42:01-22:33", key)
    assert len(listed.json()["items"]) == stored
    response = api_client.call("POST", f"/api/v1/surveys/{survey}/responses", key,
                               {"answers": {"nps": 8}, "submitted_at": "2026-01-01T20:00:00-22:30"})
    assert response.status_code == 201, response.content
    kept = Response.objects.get(pk=response.json()["id"])
    assert kept.submitted_at == datetime(2026, 1, 2, 18, 30, tzinfo=UTC)
    for body_time in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:10:00+01:00"):
        response = api_client.call("POST", f"/api/v1/surveys/{survey}/responses", key,
                                   {"answers": {"nps": 8}, "submitted_at": body_time})
        assert 400 <= response.status_code < 500 and response.json()["field"] == "submitted_at", response.content
    for params in ("since=2026-01-01T00:00:00-22:33", "until=9999-12-31T23:30:00-01:00"):
        response = api_client.call("GET", f"/api/v1/events?{params}", key)
        assert response.status_code in (200, 422), (params, response.content)
        if response.status_code == 422:
            assert response.json()["field"] == params.split("=")[0]
    assert Response.objects.filter(survey_id=survey).count() == stored + 1


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/themes?from=0748-01-25", "from"),  # the period before it overflowed Python's dates: a 500
    ("/api/v1/personas/{persona_id}?stats=true&from=0077-03-20&to=2588-05-29", "from"),  # the same, a 500
    ("/api/v1/themes/service?from=2.3577004165527065e-232", "from"),  # read as seconds since 1970: accepted
    ("/api/v1/themes?from=2019-01-01&to=2025-01-01", "from"),  # longer than the pages' five years
    ("/api/v1/comments?survey={survey_id}&q=x&to=3000-01-01", "to"),
    ("/api/v1/metrics?survey={survey_id}&question=nps&from=2026-02-01&to=2026-01-01", "from"),
    ("/api/v1/events?since=1700000000", "since"),
    ("/api/v1/surveys/{survey_id}/responses?until=12.5", "until"),
])
def test_days_and_moments_are_checked(seeded: dict[str, Any], tenant_a: Any, api_client: Any, path: str,
                                      field: str) -> None:
    """Found by the longer fuzz run: days far from now (``from=0748-01-25``) gave 500s, and numbers were read as
    dates. A day is written YYYY-MM-DD in 1900–2999, a read covers at most five years, a moment is ISO 8601."""
    response = api_client.call("GET", path.format(**seeded), tenant_a.keys["owner"])
    assert response.status_code in (400, 422), (path, response.status_code, response.content)
    assert response.json()["field"] == field, response.json()


def test_a_five_year_range_is_still_read(seeded: dict[str, Any], tenant_a: Any, api_client: Any) -> None:
    key = tenant_a.keys["owner"]
    for path in ("/api/v1/themes?from=2021-01-01&to=2025-12-31", f"/api/v1/comments?survey={seeded['survey_id']}"
                 "&q=comment&from=1900-01-01&to=1904-12-30", "/api/v1/events?since=2026-01-01T00:00:00Z"):
        response = api_client.call("GET", path, key)
        assert response.status_code == 200, (path, response.content)


def test_true_or_false_is_not_a_number(tenant_a: Any, api_client: Any) -> None:
    """Found by the longer fuzz run: ``PUT /accounts/health-settings {"threshold": false}`` was stored as 0 (pydantic
    reads true/false as 1/0 in a number field). Every input shape of the API refuses it, naming the field."""
    key = tenant_a.keys["owner"]
    before = api_client.call("GET", "/api/v1/accounts/health-settings", key).json()
    for body in ({"threshold": False}, {"drop_points": True}):
        response = api_client.call("PUT", "/api/v1/accounts/health-settings", key, body)
        assert response.status_code == 422, response.content
        assert response.json()["field"] == next(iter(body)), response.json()
    assert api_client.call("GET", "/api/v1/accounts/health-settings", key).json() == before
    response = api_client.call("PUT", "/api/v1/accounts/health-settings", key, {"threshold": 45})
    assert response.status_code == 200 and response.json()["threshold"] == 45.0


@pytest.mark.parametrize("path", ["/api/v1/themes?channel=a%00b", "/api/v1/accounts?q=%00", "/api/v1/cases?status=%00"])
def test_a_nul_character_in_a_query_parameter_is_refused(tenant_a: Any, api_client: Any, path: str) -> None:
    """Found by the longer fuzz run on PostgreSQL: a NUL in a filter reached the database, which refuses NUL in
    text (a 500); on SQLite it matched nothing."""
    response = api_client.call("GET", path, tenant_a.keys["owner"])
    assert response.status_code == 422, response.content
    assert response.json()["field"] == path.split("?")[1].split("=")[0]
