"""Acceptance 5 of issue 5: two `cxloop serve` and two `cxloop worker` processes on one PostgreSQL database;
1,000 responses posted across both web processes → every case and every delivery exists exactly once and the
receiver gets each event exactly once (the queue is shared with SKIP LOCKED, each attempt is claimed)."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from scripts.cluster import cluster
from scripts.receivers import receiver

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
RESPONSES = 1000
DEFINITION: dict[str, Any] = {
    "title": "Checkout", "default_language": "en", "languages": ["en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
        {"key": "why", "type": "open_text", "text": "Why?"},
    ]}],
}


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _post(url: str, key: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return int(r.status)


def test_two_servers_two_workers_everything_exactly_once(tenant_a: Any, tmp_path: Path) -> None:
    from cxloop.cases import services as cases
    from cxloop.cases.models import Case, ResponseQueue
    from cxloop.notify import services as notify
    from cxloop.notify.models import Delivery, DeliveryStatus, Event
    from cxloop.orgs.models import Membership
    from cxloop.surveys import services
    from cxloop.surveys.models import Response

    Membership.objects.filter(org=tenant_a.org).update(team=tenant_a.team)
    survey = services.create_survey(org=tenant_a.org, name="Checkout", definition=DEFINITION, touchpoint="checkout")
    services.publish(survey=survey)
    with receiver() as rx:
        from django.test import override_settings

        with override_settings(ALLOW_PRIVATE_WEBHOOKS=True):
            hook, _secret = notify.create_endpoint(org=tenant_a.org, name="hook", url=f"{rx.url}/hook",
                                                   events=["response.completed", "case.opened", "alert.fired"])
        cases.save_rule(org=tenant_a.org, name="Detractors", definition={
            "when": {"field": "score_type.nps", "op": "<=", "value": 6},
            "then": {"open_case": {"team": tenant_a.team.name, "assign": "round_robin"}}})
        key = tenant_a.keys["admin"]
        with cluster(database_url(), web=2, workers=2, extra={"CXLOOP_DATA_DIR": str(tmp_path)}) as c:
            urls = [f"{base}/api/v1/surveys/{survey.pk}/responses" for base in c.web]
            bodies = [{"answers": {"nps": i % 11, "why": f"response {i}"}} for i in range(RESPONSES)]
            with ThreadPoolExecutor(16) as pool:
                statuses = list(pool.map(lambda i: _post(urls[i % 2], key, bodies[i]), range(RESPONSES)))
            assert statuses == [201] * RESPONSES
            detractors = sum(1 for i in range(RESPONSES) if i % 11 <= 6)
            expected_events = RESPONSES + 2 * detractors  # completed; alert.fired and case.opened per detractor
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                c.check_alive()
                done = Delivery.objects.filter(endpoint=hook, status=DeliveryStatus.DELIVERED).count()
                if done >= expected_events and not ResponseQueue.objects.exists():
                    break
                time.sleep(0.5)
            time.sleep(1.0)  # anything late would show as a duplicate now
        assert Response.objects.filter(survey=survey).count() == RESPONSES
        assert not ResponseQueue.objects.exists()
        assert Case.objects.filter(org=tenant_a.org).count() == detractors
        assert Case.objects.filter(org=tenant_a.org).values("response_id").distinct().count() == detractors
        events = Event.objects.filter(org=tenant_a.org)
        assert events.filter(type="response.completed").count() == RESPONSES
        assert events.filter(type="case.opened").count() == detractors
        deliveries = Delivery.objects.filter(endpoint=hook)
        assert deliveries.count() == expected_events
        assert deliveries.filter(status=DeliveryStatus.DELIVERED).count() == expected_events
        assert all(d.attempts == 1 for d in deliveries)  # nobody sent an attempt twice
        ids = [json.loads(r.body)["id"] for r in rx.received("/hook")]
        assert len(ids) == len(set(ids)) == expected_events  # each event exactly once, no duplicate
        # Both web processes and both workers took part.
        assert len(c.web) == 2
