"""Demo distributions and personal invitations, so the survey pages show real funnels.

* Relationship NPS: a recurring e-mail distribution to enterprise and mid-market contacts (every 90
  days, 60 % sample). The e-mailed NPS responses of the last twelve months become its invitations
  (sent → opened → started → completed), beside invitations that were never opened or never finished.
* Post-support CSAT: an API-triggered distribution ("ticket closed" in the help desk); the CSAT
  responses of the last three months arrived through it.

Deterministic: its own random stream (``part_rng(seed, "invitations")``), so nothing else changes.
"""

from __future__ import annotations

import random
import secrets
from datetime import time, timedelta

from django.db.models import Q

from cxloop.customers.models import Contact, Tier
from cxloop.demo.base import PublishedSurvey, aware
from cxloop.demo.timeline import Timeline
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Channel, Distribution, Response, SurveyInvitation

NPS_NAME = "季度关系型 NPS（企业与中型客户）Quarterly relationship NPS"
CSAT_NAME = "工单关闭后自动邀请 Ticket closed (API)"


def _token(rng: random.Random) -> str:
    """Tokens are bearer credentials: random even in the demo (they are not part of its determinism)."""
    return secrets.token_urlsafe(24)


def create_invitations(org: Organization, rng: random.Random, surveys: dict[str, PublishedSurvey],
                       timeline: Timeline) -> int:
    """Create the demo distributions and invitations; returns the number of invitations."""
    today = aware(timeline.today, time(9, 0))
    nps, csat = surveys["nps"].survey, surveys["csat"].survey
    quarterly = Distribution.objects.create(
        org=org, survey=nps, name=NPS_NAME, channel=Channel.EMAIL, touchpoint=nps.touchpoint,
        audience={"tier": [Tier.ENTERPRISE, Tier.MID_MARKET]}, every_days=90, sample_percent=60,
        next_run_at=today + timedelta(days=rng.randint(10, 60)), created_at=today - timedelta(days=400),
    )
    api = Distribution.objects.create(
        org=org, survey=csat, name=CSAT_NAME, channel=Channel.API, touchpoint=csat.touchpoint,
        created_at=today - timedelta(days=200),
    )
    invitations: list[SurveyInvitation] = []
    linked: list[tuple[Response, int]] = []

    def invite_response(response: Response, distribution: Distribution, delay_hours: tuple[int, int]) -> None:
        survey = nps if distribution is quarterly else csat
        assert response.contact_id is not None  # the queries below only pick responses with a contact
        sent = response.started_at - timedelta(hours=rng.randint(*delay_hours), minutes=rng.randint(0, 59))
        opened = sent + (response.started_at - sent) * rng.uniform(0.2, 0.95)
        invitations.append(SurveyInvitation(
            org=org, survey=survey, distribution=distribution, contact_id=response.contact_id,
            token=_token(rng), language=response.language, touchpoint=response.touchpoint,
            embedded=dict(response.embedded), created_at=sent, sent_at=sent, opened_at=opened,
            started_at=response.started_at, completed_at=response.submitted_at if response.status == "complete"
            else None, expires_at=sent + timedelta(days=30),
        ))
        linked.append((response, len(invitations) - 1))

    year_ago = today - timedelta(days=365)
    nps_responses = (Response.objects.filter(survey=nps, channel="email", submitted_at__gte=year_ago,
                                             contact__isnull=False)
                     .filter(Q(account__tier=Tier.ENTERPRISE) | Q(account__tier=Tier.MID_MARKET)).order_by("pk"))
    for response in nps_responses:
        invite_response(response, quarterly, (2, 96))
    # Those who did not answer: about two unanswered invitations for each answered one (a B2B relationship
    # survey gets roughly a third back), spread over the four quarterly waves.
    pool = list(Contact.objects.filter(org=org, account__tier__in=[Tier.ENTERPRISE, Tier.MID_MARKET])
                .exclude(email="").values_list("pk", "language").order_by("pk"))
    for contact_id, language in (rng.choice(pool) for _ in range(2 * len(invitations) if pool else 0)):
        sent = year_ago + timedelta(days=rng.choice([5, 95, 185, 275]) + rng.random() * 3)
        opened = sent + timedelta(hours=rng.uniform(1, 72)) if rng.random() < 0.45 else None
        started = opened + timedelta(minutes=rng.uniform(1, 30)) if opened and rng.random() < 0.12 else None
        if rng.random() < 0.02:  # an address that no longer exists: refused, not retried, shown as failed
            invitations.append(SurveyInvitation(
                org=org, survey=nps, distribution=quarterly, contact_id=contact_id, token=_token(rng),
                language=language, touchpoint=nps.touchpoint, created_at=sent, send_attempts=1,
                failed_at=sent + timedelta(minutes=1), last_error_at=sent + timedelta(minutes=1),
                last_error="550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table",
                expires_at=sent + timedelta(days=30),
            ))
            continue
        invitations.append(SurveyInvitation(
            org=org, survey=nps, distribution=quarterly, contact_id=contact_id, token=_token(rng),
            language=language, touchpoint=nps.touchpoint, created_at=sent, sent_at=sent, opened_at=opened,
            started_at=started, reminded_at=sent + timedelta(days=3) if not started else None,
            expires_at=sent + timedelta(days=30),
        ))
    quarter_ago = today - timedelta(days=90)
    for response in Response.objects.filter(survey=csat, submitted_at__gte=quarter_ago,
                                            contact__isnull=False).order_by("pk"):
        invite_response(response, api, (0, 6))
    created = SurveyInvitation.objects.bulk_create(invitations, batch_size=2000)
    updated = []
    for response, index in linked:
        response.invitation_id = created[index].pk
        response.distribution_id = created[index].distribution_id
        updated.append(response)
    Response.objects.bulk_update(updated, ["invitation", "distribution"], batch_size=2000)
    waves = [i.sent_at for i in created if i.distribution_id == quarterly.pk and i.sent_at]
    last = max(waves, default=None)
    wave = [at for at in waves if last and at >= last - timedelta(days=10)]
    quarterly.last_run = {"at": last.isoformat() if last else None, "audience": len(pool),
                          "sampled": len(wave), "invited": len(wave), "suppressed": 0}
    quarterly.save(update_fields=["last_run"])
    return len(created)

