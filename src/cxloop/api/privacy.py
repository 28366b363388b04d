"""Privacy API (issue 10): a data subject's export and erasure (``GET /orgs/{org}/contacts/{contact_id}/export``,
``POST /orgs/{org}/contacts/{contact_id}/erase``) and the retention policy of a survey (``GET``/``PUT``/``DELETE
/orgs/{org}/surveys/{survey_id}/retention``). All need the admin role; another organisation's contact or survey is
a 404. Each change and each export is written to the audit log. Semantics: docs/privacy.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from cxloop.api.auth import actor
from cxloop.api.schemas import Schema
from cxloop.api.surveys import ERRORS
from cxloop.customers.models import Contact
from cxloop.orgs.access import MANAGE, Actor, one_or_404
from cxloop.privacy import services
from cxloop.privacy.models import RetentionPolicy
from cxloop.surveys.models import Survey

router = Router(tags=["privacy"])


class PolicyIn(Schema):
    months: Any = None
    action: Any = None


def _admin(request: HttpRequest, org: str) -> Actor:
    a = actor(request, org)
    a.require(MANAGE)
    return a


def _policy_out(survey: Survey, p: RetentionPolicy | None) -> dict[str, Any]:
    if p is None:
        return {"survey_id": survey.pk, "policy": None}
    return {"survey_id": survey.pk, "policy": {
        "months": p.months, "action": p.action, "updated_at": p.updated_at.isoformat(),
        "updated_by": p.updated_by.email if p.updated_by else None,
        "last_applied_at": p.last_applied_at.isoformat() if p.last_applied_at else None}}


@router.get("/{org}/contacts/{contact_id}/export", response={200: dict[str, Any], **ERRORS},
            summary="Everything held about one contact (data-subject export)")
def export_contact(request: HttpRequest, org: str, contact_id: int) -> Any:
    a = _admin(request, org)
    contact = one_or_404(Contact.objects.filter(org=a.org), contact_id, "Contact")
    return services.subject_export(org=a.org, contact=contact, actor=a)


@router.post("/{org}/contacts/{contact_id}/erase", response={200: dict[str, Any], **ERRORS},
             summary="Erase everything about one contact (data-subject erasure)")
def erase_contact(request: HttpRequest, org: str, contact_id: int) -> Any:
    a = _admin(request, org)
    contact = one_or_404(Contact.objects.filter(org=a.org), contact_id, "Contact")
    erased = services.subject_erase(org=a.org, contact=contact, actor=a)
    return {"contact_id": erased.contact_id, "erased": erased.counts}


def _survey(a: Actor, survey_id: int) -> Survey:
    return one_or_404(Survey.objects.filter(org=a.org), survey_id, "Survey")


@router.get("/{org}/surveys/{survey_id}/retention", response={200: dict[str, Any], **ERRORS},
            summary="A survey's retention policy")
def get_retention(request: HttpRequest, org: str, survey_id: int) -> Any:
    a = _admin(request, org)
    survey = _survey(a, survey_id)
    return _policy_out(survey, RetentionPolicy.objects.filter(org=a.org, survey=survey).first())


@router.put("/{org}/surveys/{survey_id}/retention", response={200: dict[str, Any], **ERRORS},
            summary="Set a survey's retention policy (months 1..120, action delete or anonymise)")
def put_retention(request: HttpRequest, org: str, survey_id: int, payload: PolicyIn) -> Any:
    a = _admin(request, org)
    survey = _survey(a, survey_id)
    policy = services.set_policy(org=a.org, survey=survey, months=payload.months, action=payload.action, actor=a)
    return _policy_out(survey, RetentionPolicy.objects.select_related("updated_by").get(pk=policy.pk))


@router.delete("/{org}/surveys/{survey_id}/retention", response={200: dict[str, Any], **ERRORS},
               summary="Remove a survey's retention policy (responses are kept)")
def delete_retention(request: HttpRequest, org: str, survey_id: int) -> Any:
    a = _admin(request, org)
    survey = _survey(a, survey_id)
    return {"survey_id": survey.pk, "removed": services.remove_policy(org=a.org, survey=survey, actor=a)}
