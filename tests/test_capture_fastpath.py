"""The capture fast path (cxloop.api.gateway + cxloop.surveys.capture), driven through the real WSGI
application that `cxloop serve` runs: it must store exactly what the full Django path stores, give the
same answers to retries, and hand every error to the full path so the messages stay the same."""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.core.signals import request_started
from django.db import close_old_connections, connection
from django.utils import timezone
from tests.test_capture import DEFINITION

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Support NPS", definition=DEFINITION, touchpoint="support")
    services.publish(survey=s)
    return s


class Wsgi:
    """Calls cxloop.wsgi.application as a server would, and counts requests that reached Django."""

    def __init__(self) -> None:
        from cxloop.wsgi import application

        self.app = application
        self.django_requests = 0
        request_started.connect(self._started)

    def _started(self, **_: Any) -> None:
        self.django_requests += 1

    def post(self, path: str, body: Any, *, key: str, idem: str | None = None,
             raw: bytes | None = None) -> tuple[int, dict[str, str], Any]:
        data = raw if raw is not None else json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(), "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {key}",
        }
        if idem is not None:
            environ["HTTP_IDEMPOTENCY_KEY"] = idem
        started: list[Any] = []
        out = b"".join(self.app(environ, lambda status, headers, *_: started.append((status, headers))))
        status, headers = started[0]
        return int(status.split()[0]), {k.lower(): v for k, v in headers}, json.loads(out) if out else None

    def close(self) -> None:
        request_started.disconnect(self._started)


@pytest.fixture
def wsgi() -> Any:
    client = Wsgi()
    yield client
    client.close()
    close_old_connections()


def _warm(tenant_a: Any, survey: Any, wsgi: Wsgi) -> str:
    """A key whose last use was just recorded, so the fast path may serve it."""
    key = tenant_a.keys["admin"]
    status, _, _ = wsgi.post(f"/api/v1/surveys/{survey.pk}/responses", {"answers": {"nps": 9}}, key=key)
    assert status == 201
    return str(key)


def test_submission_digest_matches_the_full_path() -> None:
    """A retry may reach either path (e.g. after the key's last-use update), so both must hash alike."""
    from cxloop.api.surveys import ResponseIn
    from cxloop.surveys import capture, services

    payloads: list[dict[str, Any]] = [
        {"answers": {"nps": 3}},
        {"answers": {"nps": 10, "reason": "好用 fast"}, "embedded": {"ticket_id": "T-1", "n": 2.5}},
        {"answers": {"nps": 0}, "contact": {"external_id": "c-1", "attributes": {"tier": "gold"}},
         "touchpoint": "support", "channel": "widget", "language": "zh-hant", "complete": False},
        {"answers": {"nps": 7, "x": [1, "a", None]}, "contact": {"email": "a@b.example", "name": None}},
        {"answers": {}, "contact": None, "embedded": {}},
    ]
    for payload in payloads:
        shaped = capture.submission_of(payload)
        assert shaped is not None, payload
        full = services.request_hash(ResponseIn(**payload).model_dump(mode="json"))
        assert shaped[1] == full, payload
        model = ResponseIn(**payload)
        assert shaped[0].contact == (model.contact.model_dump(exclude_none=True) if model.contact else None)
    # Outside the plain shape the fast path declines and the full path decides.
    for odd in ({"answers": []}, {"answers": {}, "complete": "yes"}, {"answers": {}, "extra": 1},
                {"answers": {}, "submitted_at": "2026-01-01T00:00:00Z"}, {"answers": {}, "contact": {"email": 5}},
                {"answers": {}, "channel": 3}, [1, 2]):
        assert capture.submission_of(odd) is None, odd


def test_fast_path_stores_what_the_full_path_stores(tenant_a: Any, survey: Any, wsgi: Wsgi) -> None:
    from cxloop.surveys.models import Answer, IdempotencyRecord, Response

    key = _warm(tenant_a, survey, wsgi)
    before = wsgi.django_requests
    path = f"/api/v1/surveys/{survey.pk}/responses"
    body = {"answers": {"nps": 2, "reason": "导出总是失败"}, "embedded": {"ticket_id": "T-9"},
            "touchpoint": "support-chat", "channel": "api", "language": "zh-hant"}
    status, headers, first = wsgi.post(path, body, key=key, idem="fast-1")
    assert status == 201, first
    assert wsgi.django_requests == before, "the fast path should have answered"
    response = Response.objects.get(pk=first["id"])
    assert (response.org_id, response.version.number, response.touchpoint, response.language, response.status,
            response.channel, response.embedded) == (tenant_a.org.pk, 1, "support-chat", "zh-hant", "complete",
                                                      "api", {"ticket_id": "T-9"})
    answers = {a.question_key: (a.number, a.text) for a in Answer.objects.filter(response=response)}
    assert answers == {"nps": (2.0, ""), "reason": (None, "导出总是失败")}
    assert first == {"id": response.pk, "survey_id": survey.pk, "version": 1, "status": "complete",
                     "contact_id": None, "touchpoint": "support-chat", "channel": "api", "language": "zh-hant",
                     "submitted_at": response.submitted_at.isoformat()}
    record = IdempotencyRecord.objects.get(key="fast-1")
    assert record.body == first and record.status_code == 201
    # Same security headers as a page answered by Django.
    for name, value in (("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"),
                        ("referrer-policy", "same-origin"), ("cross-origin-opener-policy", "same-origin")):
        assert headers[name] == value
    assert "default-src 'self'" in headers["content-security-policy"] and headers["permissions-policy"]
    assert headers["content-type"].startswith("application/json")

    # A retry replays the first answer (fast), a different body under the key is the full path's 422.
    again = wsgi.post(path, body, key=key, idem="fast-1")
    assert again[0] == 201 and again[2] == first and wsgi.django_requests == before
    other = wsgi.post(path, {**body, "answers": {"nps": 3}}, key=key, idem="fast-1")
    assert other[0] == 422 and other[2]["field"] == "Idempotency-Key"
    assert Response.objects.filter(survey=survey).count() == 2  # the warm-up and this one


def test_a_retry_answered_by_either_path_is_the_same(tenant_a: Any, survey: Any, wsgi: Wsgi) -> None:
    """The first try goes through Django (the key's last use is due), the retry through the fast path."""
    from cxloop.orgs.models import ApiKey
    from cxloop.surveys.models import Response

    key = tenant_a.keys["admin"]
    ApiKey.objects.filter(org=tenant_a.org).update(last_used_at=timezone.now() - timedelta(hours=1))
    path = f"/api/v1/surveys/{survey.pk}/responses"
    body = {"answers": {"nps": 10}, "contact": {"external_id": "cust-7", "email": "li@example.com"}}
    before = wsgi.django_requests
    first = wsgi.post(path, body, key=key, idem="either")
    assert first[0] == 201 and wsgi.django_requests == before + 1
    second = wsgi.post(path, body, key=key, idem="either")
    assert second[0] == 201 and second[2] == first[2] and wsgi.django_requests == before + 1
    assert Response.objects.filter(survey=survey).count() == 1
    assert Response.objects.get().contact.external_id == "cust-7"


@pytest.mark.parametrize("case", ["unknown key", "nps 11", "wrong type", "missing required", "long text",
                                  "bad json", "closed", "viewer", "other org", "revoked", "bad idem key"])
def test_errors_are_the_full_paths_and_store_nothing(case: str, tenant_a: Any, tenant_b: Any, survey: Any,
                                                     wsgi: Wsgi) -> None:
    from cxloop.orgs.models import ApiKey
    from cxloop.surveys import services
    from cxloop.surveys.models import Response

    key = _warm(tenant_a, survey, wsgi)
    ApiKey.objects.update(last_used_at=timezone.now())
    path = f"/api/v1/surveys/{survey.pk}/responses"
    body: Any = {"answers": {"nps": 5}}
    raw = None
    idem = None
    expected = 422
    if case == "unknown key":
        body = {"answers": {"nps": 5, "nope": 1}}
    elif case == "nps 11":
        body = {"answers": {"nps": 11}}
    elif case == "wrong type":
        body = {"answers": {"nps": "ten"}}
    elif case == "missing required":
        body = {"answers": {"reason": "forgot the score"}}
    elif case == "long text":
        body = {"answers": {"nps": 5, "reason": "x" * 10_001}}
    elif case == "bad json":
        raw, expected = b'{"answers": {"nps": 5}', 400
    elif case == "closed":
        services.close(survey=survey)
        expected = 409
    elif case == "viewer":
        key, expected = tenant_a.keys["viewer"], 403
    elif case == "other org":
        key, expected = tenant_b.keys["admin"], 404
    elif case == "revoked":
        ApiKey.objects.filter(org=tenant_a.org, role="admin").update(revoked_at=timezone.now())
        expected = 401
    elif case == "bad idem key":
        idem, expected = " ", 400
    count = Response.objects.count()
    status, _, answer = wsgi.post(path, body, key=key, raw=raw, idem=idem)
    assert status == expected, (case, answer)
    assert answer["detail"], answer
    assert Response.objects.count() == count


def test_concurrent_captures_are_grouped_and_exact(tenant_a: Any, survey: Any, wsgi: Wsgi) -> None:
    """Acceptance 5 through the WSGI app: 200 concurrent POSTs of 150 distinct responses, 50 of them
    retries with the same Idempotency-Key; exactly 150 stored, every retry got the original answer."""
    from cxloop.surveys.models import Answer, IdempotencyRecord, Response

    key = _warm(tenant_a, survey, wsgi)
    Response.objects.all().delete()
    path = f"/api/v1/surveys/{survey.pk}/responses"
    jobs = [(f"k-{i}", i % 11) for i in range(150)] + [(f"k-{i}", i % 11) for i in range(0, 150, 3)]
    results: dict[str, list[Any]] = {}
    lock = threading.Lock()

    def send(job: tuple[str, int]) -> None:
        idem, score = job
        try:
            status, _, body = wsgi.post(path, {"answers": {"nps": score}}, key=key, idem=idem)
            with lock:
                results.setdefault(idem, []).append((status, body))
        finally:
            connection.close()  # this pool thread's own connection

    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(send, jobs))
    assert Response.objects.filter(survey=survey).count() == 150
    assert Answer.objects.filter(response__survey=survey).count() == 150
    assert IdempotencyRecord.objects.filter(key__startswith="k-").count() == 150
    for idem, answers in results.items():
        assert all(code == 201 for code, _ in answers), (idem, answers)
        assert len({body["id"] for _, body in answers}) == 1, f"{idem} got two different responses"
    assert sum(len(v) for v in results.values()) == 200



def test_batch_through_the_fast_path_answers_as_the_full_path(tenant_a: Any, survey: Any, wsgi: Wsgi) -> None:
    from django.test import Client

    from cxloop.surveys.models import Response

    key = _warm(tenant_a, survey, wsgi)
    path = f"/api/v1/surveys/{survey.pk}/responses/batch"
    items = [{"answers": {"nps": 7}, "idempotency_key": "b-1"},
             {"answers": {"nps": 7}, "idempotency_key": "b-1"},            # repeated: replays the first
             {"answers": {"nps": 12}},                                      # invalid: reported, not stored
             {"answers": {"nps": 3, "reason": "慢"}, "contact": {"external_id": "c-9"}, "touchpoint": "app"}]
    before = wsgi.django_requests
    status, _, fast = wsgi.post(path, {"items": items}, key=key)
    assert status == 200 and wsgi.django_requests == before, fast
    assert fast["stored"] == 2 and fast["failed"] == 1
    assert [r["status"] for r in fast["results"]] == [201, 201, 422, 201]
    assert fast["results"][1]["replayed"] and fast["results"][1]["id"] == fast["results"][0]["id"]
    assert fast["results"][2]["field"] == "answers.nps"
    # The full path (Django test client, no gateway) gives the same answer to the same retry.
    full = Client().post(path, json.dumps({"items": items}), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert full["results"][0] == {**fast["results"][0], "replayed": True}
    assert full["results"][2] == fast["results"][2] and full["stored"] == 1  # only the un-keyed item again
    assert Response.objects.filter(survey=survey, touchpoint="app").count() == 2
    # An unusual body (a string where a bool belongs) goes to the full path, which decides: its API
    # model reads "yes" as true, so the response is stored complete.
    status, _, odd = wsgi.post(path, {"items": [{"answers": {"nps": 1}, "complete": "yes"}]}, key=key)
    assert wsgi.django_requests == before + 2 and status == 200 and odd["stored"] == 1, odd
