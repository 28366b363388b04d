"""The demo's distributions and invitations: funnels that narrow, invitations linked to responses."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_demo_has_distributions_with_narrowing_funnels() -> None:
    from cxloop.demo.generator import generate
    from cxloop.orgs.services import get_or_create_org
    from cxloop.surveys.distributions import funnel
    from cxloop.surveys.models import Distribution, Response, Survey

    org, _ = get_or_create_org(name="Demo funnels", slug="demo-funnels")
    generate(org=org, size="tiny", seed=3)
    quarterly = Distribution.objects.get(org=org, every_days=90)
    assert quarterly.audience == {"tier": ["enterprise", "mid_market"]} and quarterly.next_run_at
    nps = Survey.objects.get(org=org, kind="nps")
    [row] = funnel(nps)
    assert row["sent"] >= row["opened"] >= row["started"] >= row["completed"] > 0
    assert 0.2 < row["completed"] / row["sent"] < 0.5  # a plausible B2B response rate
    linked = Response.objects.filter(org=org, invitation__isnull=False)
    assert linked.exists()
    assert all(r.invitation.contact_id == r.contact_id for r in linked.select_related("invitation")[:200])
    assert Distribution.objects.filter(org=org, channel="api").exists()
    # A few addresses bounce (550): shown as not delivered, never sent, not retried.
    assert 0 < row["failed"] < row["sent"] / 10 and row["retrying"] == 0
    assert nps.invitations.filter(failed_at__isnull=False, sent_at__isnull=True,
                                  last_error__startswith="550").count() == row["failed"]


def test_demo_organisation_has_its_logo() -> None:
    from cxloop.core.images import sniff
    from cxloop.demo.setup import load
    from cxloop.orgs.models import OrganizationLogo

    result = load(size="tiny", seed=1)
    logo = OrganizationLogo.objects.get(org=result.org)
    info = sniff(bytes(logo.data))
    assert info is not None and info.content_type == "image/png" and (info.width, info.height) == (96, 96)
    assert logo.content_type == "image/png" and len(logo.digest) == 16
