"""Response capture over the API: idempotency, batches, validation, closed surveys, concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import close_old_connections

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": {"en": "After your support ticket", "zh-hans": "工单回访", "zh-hant": "工單回訪"},
    "default_language": "zh-hans",
    "languages": ["zh-hans", "zh-hant", "en"],
    "embedded": [{"key": "ticket_id"}, {"key": "agent"}],
    "pages": [
        {"key": "p1", "questions": [
            {"key": "nps", "type": "nps", "required": True,
             "text": {"en": "How likely are you to recommend us?", "zh-hans": "您向朋友推荐我们的可能性有多大？",
                      "zh-hant": "您向朋友推薦我們的可能性有多大？"}},
            {"key": "reason", "type": "open_text", "multiline": True,
             "text": {"en": "Why?", "zh-hans": "原因是？", "zh-hant": "原因是？"}},
        ]},
    ],
}


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Support NPS", definition=DEFINITION, touchpoint="support")
    services.publish(survey=s)
    return s


def _post(api_client: Any, survey: Any, key: str, body: dict[str, Any], idem: str | None = None) -> Any:
    from django.test import Client

    headers: dict[str, str] = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if idem is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idem
    import json

    return Client().post(f"/api/v1/surveys/{survey.pk}/responses", json.dumps(body),
                         content_type="application/json", **headers)


def test_survey_api_round_trip(tenant_a: Any, survey: Any, api_client: Any) -> None:
    key = tenant_a.keys["admin"]
    got = api_client.call("GET", f"/api/v1/surveys/{survey.pk}", key).json()
    assert got["status"] == "published" and got["version"] == 1 and got["link"].endswith(f"/s/{survey.slug}/")
    assert [q["key"] for q in got["questions"]] == ["nps", "reason"]
    copy = api_client.call("POST", "/api/v1/surveys", key, {"name": "Copy", "definition": got["definition"]})
    assert copy.status_code == 201, copy.content
    assert copy.json()["definition"] == got["definition"] and copy.json()["status"] == "draft"
    listed = api_client.call("GET", "/api/v1/surveys", key).json()
    assert listed["count"] == 2 and len(listed["items"]) == 2


def test_response_with_contact_and_listing(tenant_a: Any, survey: Any, api_client: Any) -> None:
    body = {"answers": {"nps": 9, "reason": "响应很快"}, "contact": {"external_id": "u-1", "email": "li@example.com",
            "name": "李雷", "language": "zh-hans", "attributes": {"tier": "gold"}},
            "embedded": {"ticket_id": "T-1"}, "channel": "api"}
    r = _post(api_client, survey, tenant_a.keys["admin"], body)
    assert r.status_code == 201, r.content
    assert r.json()["touchpoint"] == "support" and r.json()["version"] == 1
    listed = api_client.call("GET", f"/api/v1/surveys/{survey.pk}/responses", tenant_a.keys["viewer"]).json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert item["answers"] == {"nps": 9.0, "reason": "响应很快"}
    assert item["contact"]["external_id"] == "u-1" and item["embedded"] == {"ticket_id": "T-1"}
    # The same external id updates the contact, it does not duplicate it.
    _post(api_client, survey, tenant_a.keys["admin"], {**body, "contact": {"external_id": "u-1", "name": "Li Lei"}})
    from cxloop.customers.models import Contact

    contact = Contact.objects.get(org=tenant_a.org, external_id="u-1")
    assert contact.name == "Li Lei" and contact.email == "li@example.com" and contact.attributes == {"tier": "gold"}


def test_idempotency_key_replays_and_refuses_a_different_body(tenant_a: Any, survey: Any, api_client: Any) -> None:
    from cxloop.surveys.models import Response

    key = tenant_a.keys["admin"]
    first = _post(api_client, survey, key, {"answers": {"nps": 3}}, idem="order-1")
    again = _post(api_client, survey, key, {"answers": {"nps": 3}}, idem="order-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    other = _post(api_client, survey, key, {"answers": {"nps": 4}}, idem="order-1")
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert Response.objects.filter(survey=survey).count() == 1


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"answers": {"nps": 11}}, "answers.nps", "11"),
        ({"answers": {"nps": [9]}}, "answers.nps", ""),
        ({"answers": {"nps": 9, "colour": "red"}}, "answers.colour", "unknown"),
        ({"answers": {"reason": "no score"}}, "answers.nps", ""),
        ({"answers": {"nps": 9, "reason": "x" * 10_001}}, "answers.reason", ""),
        ({"answers": {"nps": 9}, "language": "fr"}, "language", "zh-hans"),
        ({"answers": {"nps": 9}, "contact": {"name": "nobody"}}, "contact", "external_id"),
        ({"answers": {"nps": 9}, "embedded": {"ticket_id": {"nested": 1}}}, "embedded.ticket_id", ""),
    ],
)
def test_bad_input_is_a_clear_4xx_and_stores_nothing(
    tenant_a: Any, survey: Any, api_client: Any, body: dict[str, Any], field: str, words: str
) -> None:
    from cxloop.customers.models import Contact
    from cxloop.surveys.models import Answer, Response

    contacts = Contact.objects.count()
    r = _post(api_client, survey, tenant_a.keys["admin"], body)
    assert 400 <= r.status_code < 500, (r.status_code, r.content)
    assert r.json()["field"].startswith(field), r.json()
    assert words in r.json()["detail"]
    assert Response.objects.count() == 0 and Answer.objects.count() == 0 and Contact.objects.count() == contacts


def test_invalid_json_closed_survey_and_viewer(tenant_a: Any, survey: Any, api_client: Any) -> None:
    from django.test import Client

    from cxloop.surveys import services
    from cxloop.surveys.models import Response

    r = Client().post(f"/api/v1/surveys/{survey.pk}/responses", "{not json", content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {tenant_a.keys['admin']}")
    assert r.status_code in (400, 422) and "detail" in r.json()
    r = _post(api_client, survey, tenant_a.keys["viewer"], {"answers": {"nps": 9}})
    assert r.status_code == 403
    services.close(survey=survey)
    r = _post(api_client, survey, tenant_a.keys["admin"], {"answers": {"nps": 9}})
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    assert Response.objects.count() == 0


def test_batch_reports_per_item(tenant_a: Any, survey: Any, api_client: Any) -> None:
    items = [{"answers": {"nps": i % 11}, "idempotency_key": f"b-{i}"} for i in range(20)]
    items[5] = {"answers": {"nps": 42}}
    r = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/responses/batch", tenant_a.keys["admin"],
                        {"items": items})
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["stored"] == 19 and out["failed"] == 1
    assert out["results"][5]["status"] == 422 and out["results"][5]["field"] == "answers.nps"
    again = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/responses/batch", tenant_a.keys["admin"],
                            {"items": items}).json()
    assert again["stored"] == 0 and sum(1 for x in again["results"] if x.get("replayed")) == 19
    too_many = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/responses/batch", tenant_a.keys["admin"],
                               {"items": [{"answers": {"nps": 1}}] * 1001})
    assert too_many.status_code == 422 and too_many.json()["field"] == "items"


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_store_each_response_once(tenant_a: Any, survey: Any) -> None:
    """200 concurrent POSTs: 150 distinct responses, 50 of them retried with the same key."""
    from django.test import Client

    from cxloop.surveys.models import Response

    key = tenant_a.keys["admin"]
    jobs = [(f"k-{i}", i % 11) for i in range(150)] + [(f"k-{i}", i % 11) for i in range(0, 150, 3)]
    results: dict[str, list[Any]] = {}
    lock = threading.Lock()

    def send(job: tuple[str, int]) -> None:
        import json

        idem, score = job
        try:
            r = Client().post(f"/api/v1/surveys/{survey.pk}/responses", json.dumps({"answers": {"nps": score}}),
                              content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
                              HTTP_IDEMPOTENCY_KEY=idem)
            with lock:
                results.setdefault(idem, []).append((r.status_code, r.json()))
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(send, jobs))
    assert Response.objects.filter(survey=survey).count() == 150
    for idem, answers in results.items():
        assert all(code == 201 for code, _ in answers), (idem, answers)
        assert len({body["id"] for _, body in answers}) == 1, f"{idem} got two different responses"
    assert sum(len(v) for v in results.values()) == 200


def test_batch_with_a_key_repeated_inside_it(tenant_a: Any, survey: Any, api_client: Any) -> None:
    from cxloop.surveys.models import Response

    items = [{"answers": {"nps": 7}, "idempotency_key": "same"}, {"answers": {"nps": 7}, "idempotency_key": "same"},
             {"answers": {"nps": 8}, "idempotency_key": "same"}, {"answers": {"nps": 1}}]
    out = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/responses/batch", tenant_a.keys["admin"],
                          {"items": items}).json()
    assert out["stored"] == 2 and [r["status"] for r in out["results"]] == [201, 201, 422, 201]
    assert out["results"][1]["replayed"] and out["results"][1]["id"] == out["results"][0]["id"]
    assert Response.objects.filter(survey=survey).count() == 2


def test_an_organisation_with_responses_can_be_deleted_but_a_used_version_cannot(
    tenant_a: Any, survey: Any, api_client: Any
) -> None:
    from django.db.models import RestrictedError

    from cxloop.surveys.models import Response, SurveyVersion

    assert _post(api_client, survey, tenant_a.keys["admin"], {"answers": {"nps": 9}}).status_code == 201
    with pytest.raises(RestrictedError):
        SurveyVersion.objects.get(survey=survey).delete()
    tenant_a.org.delete()
    assert Response.objects.count() == 0
