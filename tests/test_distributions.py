"""Recurring relationship surveys: an audience of contacts, a reproducible random sample, the
frequency cap, e-mail through the worker's clock task, and the funnel on the survey page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.conftest import run_tasks
from tests.test_respond import TWO_PAGES

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(tenant_a: Any) -> Any:
    from cxloop.customers.models import Account, Contact
    from cxloop.surveys import services

    survey = services.create_survey(org=tenant_a.org, name="Quarterly NPS", definition=TWO_PAGES,
                                    touchpoint="relationship")
    services.publish(survey=survey)
    big = Account.objects.create(org=tenant_a.org, external_id="A1", name="Big Co", tier="enterprise", region="华东")
    small = Account.objects.create(org=tenant_a.org, external_id="A2", name="Small Co", tier="smb", region="华南")
    for i in range(40):
        Contact.objects.create(org=tenant_a.org, external_id=f"E{i}", name=f"E{i}", email=f"e{i}@big.example",
                               account=big, stakeholder_role="decision_maker" if i % 2 else "user")
    for i in range(10):
        Contact.objects.create(org=tenant_a.org, external_id=f"S{i}", name=f"S{i}", email=f"s{i}@small.example",
                               account=small)
    return survey


def test_recurring_wave_samples_the_audience_and_respects_the_cap(setup: Any, tenant_a: Any, smtp_server: Any,
                                                                  django_capture_on_commit_callbacks: Any) -> None:
    from cxloop.surveys import distributions

    survey = setup
    d = distributions.create_recurring(survey=survey, name="Enterprise decision makers, quarterly",
                                       audience={"tier": ["enterprise"], "stakeholder_role": ["decision_maker"]},
                                       every_days=90, sample_percent=50)
    with django_capture_on_commit_callbacks(execute=True):
        result = distributions.run_distribution(d)
    assert (result.audience, result.sampled, result.invited, result.suppressed) == (20, 10, 10, 0)
    run_tasks()
    mails = smtp_server.wait_for(10)
    assert len(mails) == 10 and all(m["To"].endswith("@big.example") for m in mails)
    d.refresh_from_db()
    assert d.next_run_at is not None and d.next_run_at > timezone.now() + timedelta(days=89)
    # A second wave the next day: everyone sampled again is held back by the 30-day cap.
    with django_capture_on_commit_callbacks(execute=True):
        again = distributions.run_distribution(d, now=timezone.now() + timedelta(days=1))
    assert again.invited + again.suppressed == again.sampled == 10 and again.suppressed >= 1
    page = Client()
    page.force_login(tenant_a.viewer)
    html = page.get(f"/o/{tenant_a.org.slug}/surveys/{survey.pk}/").content.decode()
    assert "Enterprise decision makers, quarterly" in html and "held back by the frequency cap" in html


def test_due_distributions_run_from_the_clock_task(setup: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from cxloop.surveys import distributions, tasks
    from cxloop.surveys.models import SurveyInvitation

    d = distributions.create_recurring(survey=setup, name="All SMB", audience={"tier": "smb"}, every_days=30)
    assert tasks.ensure_tick() is True and tasks.ensure_tick() is False
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks_once = tasks.tick.call()
    assert run_tasks_once == 1
    assert SurveyInvitation.objects.filter(distribution=d).count() == 10
    assert DBTaskResult.objects.filter(task_path=tasks.TICK_PATH, status="READY").count() >= 1


def test_bad_audience_and_schedule_are_refused(setup: Any, tenant_a: Any) -> None:
    from cxloop.surveys import distributions
    from cxloop.surveys.services import SurveyError

    with pytest.raises(SurveyError, match=r"audience\.tier"):
        distributions.create_recurring(survey=setup, name="x", audience={"tier": ["gold"]}, every_days=30)
    with pytest.raises(SurveyError, match=r"audience\.colour"):
        distributions.create_recurring(survey=setup, name="x", audience={"colour": ["red"]}, every_days=30)
    with pytest.raises(SurveyError, match="every_days"):
        distributions.create_recurring(survey=setup, name="x", audience={}, every_days=0)
    owner = Client()
    owner.force_login(tenant_a.owner)
    r = owner.post(f"/o/{tenant_a.org.slug}/surveys/{setup.pk}/recurring/",
                   {"name": "Q NPS", "every_days": "90", "sample_percent": "30", "tier": ["enterprise"]})
    assert r.status_code == 302
    assert setup.distributions.get(name="Q NPS").audience == {"tier": ["enterprise"]}
