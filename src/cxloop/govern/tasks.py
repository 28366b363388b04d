"""Sending the monthly governance report: one e-mail per committee member, in their language, with the HTML
report as the body and the PDF attached."""

from __future__ import annotations

from datetime import date

from django_tasks import task


@task(queue_name="email")
def send_report(*, org_id: int, month: str, user_id: int) -> int:
    """Build, render and send the report of ``month`` (YYYY-MM-DD, first day) to one member; returns 1 if sent."""
    from django.core.mail import EmailMultiAlternatives
    from django.utils.html import strip_tags

    from cxloop.analytics.digest import language_of
    from cxloop.govern import report
    from cxloop.orgs.models import Organization, User
    from cxloop.orgs.tasks import deliver

    org = Organization.objects.get(pk=org_id)
    user = User.objects.get(pk=user_id)
    language = language_of(user, org)
    built = report.build(org, date.fromisoformat(month), language)
    html = report.render_html(built)
    message = EmailMultiAlternatives(report.subject(built), strip_tags(html), None, [user.email])
    message.attach_alternative(html, "text/html")
    message.attach(f"cx-governance-{month[:7]}.pdf", report.render_pdf(html), "application/pdf")
    return deliver(message)
