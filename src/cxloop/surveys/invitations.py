"""Personal invitations: one unguessable link per contact, the organisation's contact-frequency cap,
e-mail with one reminder, and unsubscribe."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from cxloop.customers.models import Contact
from cxloop.orgs.services import audit
from cxloop.surveys.models import Distribution, Survey, SurveyInvitation
from cxloop.surveys.services import LANGUAGES, SurveyError, upsert_contact

UNSUBSCRIBE_SALT = "cxloop.unsubscribe"
REMINDER_AFTER = timedelta(days=3)
INVITATION_VALID = timedelta(days=30)


def personal_link(invitation: SurveyInvitation) -> str:
    return f"{settings.BASE_URL}/r/{invitation.token}/"


def unsubscribe_link(contact: Contact) -> str:
    token = signing.dumps({"c": contact.pk, "o": contact.org_id}, salt=UNSUBSCRIBE_SALT, compress=True)
    return f"{settings.BASE_URL}/u/{token}/"


def contact_from_unsubscribe_token(token: str) -> Contact | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=data.get("c"), org_id=data.get("o")).first()


def unsubscribe(contact: Contact) -> None:
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = timezone.now()
        contact.save(update_fields=["unsubscribed_at"])
        audit("contact.unsubscribed", org=contact.org, target=contact.external_id)


@dataclass(frozen=True)
class InvitationResult:
    invitation: SurveyInvitation | None
    link: str | None
    suppressed: str | None = None  # why no invitation was made

    def as_dict(self) -> dict[str, Any]:
        inv = self.invitation
        return {"invitation_id": inv.pk if inv else None, "link": self.link, "suppressed": self.suppressed,
                "contact_id": inv.contact_id if inv else None}


def invite(
    *,
    survey: Survey,
    contact: Contact | None = None,
    contact_data: Mapping[str, Any] | None = None,
    distribution: Distribution | None = None,
    embedded: Mapping[str, Any] | None = None,
    touchpoint: str = "",
    language: str = "",
    send: str = "none",
    ignore_cap: bool = False,
) -> InvitationResult:
    """Make a personal link for a contact (upserted from ``contact_data``), unless the organisation's
    contact-frequency cap or an unsubscribe suppresses it; with ``send="email"`` e-mail it (and
    schedule one reminder) once the transaction commits."""
    from cxloop.surveys import tasks

    if send not in {"email", "none"}:
        raise SurveyError("send: use 'email' or 'none'", field="send")
    if not survey.is_open:
        raise SurveyError("This survey is not open for responses.", field="survey", status=409)
    language = (language or "").lower()
    if language and language not in LANGUAGES:
        raise SurveyError(f"language: use one of {', '.join(LANGUAGES)}", field="language")
    embedded = {str(k)[:64]: "" if v is None else str(v)[:1000] for k, v in (embedded or {}).items()}
    now = timezone.now()
    with transaction.atomic():
        if contact is None:
            if contact_data is None:
                raise SurveyError("contact: required", field="contact")
            contact = upsert_contact(org=survey.org, data=contact_data)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if send == "email" and not contact.email:
            raise SurveyError("contact.email: needed to send by e-mail", field="contact.email")
        if send == "email" and contact.unsubscribed_at is not None:
            return InvitationResult(None, None, "unsubscribed: the contact asked for no more survey e-mails")
        cap = timedelta(days=survey.org.invite_cap_days)
        if not ignore_cap and cap and contact.last_invited_at and now - contact.last_invited_at < cap:
            next_date = (contact.last_invited_at + cap).date().isoformat()
            return InvitationResult(
                None, None,
                f"frequency cap: this contact was invited on {contact.last_invited_at.date().isoformat()}; "
                f"the organisation allows one invitation per {survey.org.invite_cap_days} days "
                f"(next possible {next_date})",
            )
        invitation = SurveyInvitation.objects.create(
            org=survey.org, survey=survey, distribution=distribution, contact=contact,
            token=secrets.token_urlsafe(24), language=language or contact.language, touchpoint=touchpoint[:120],
            embedded=embedded, expires_at=now + INVITATION_VALID,
        )
        contact.last_invited_at = now
        contact.save(update_fields=["last_invited_at"])
        if send == "email":
            invitation_id = invitation.pk
            transaction.on_commit(lambda: tasks.send_survey_invitation.enqueue(invitation_id=invitation_id))
    return InvitationResult(invitation, personal_link(invitation))


def find_invitation(token: str) -> SurveyInvitation | None:
    if not token or len(token) > 64:
        return None
    return (SurveyInvitation.objects.select_related("survey", "survey__org", "contact", "distribution")
            .filter(token=token).first())


def mark_opened(invitation: SurveyInvitation) -> None:
    if invitation.opened_at is None:
        now = timezone.now()
        SurveyInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now
