"""Privacy pages (issue 10), for admins and owners only: find a contact by external id or e-mail, see what cxloop
holds about them (counts per kind), download it all as JSON or erase it all (the contact's external id typed as
confirmation; a wrong value is a form error and nothing is deleted); and the retention policy of each survey
(list, edit, remove). The verbs are ``privacy.services``; each writes the audit log."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cxloop.customers.models import Contact
from cxloop.orgs.access import MANAGE, Actor, one_or_404
from cxloop.orgs.services import ServiceError
from cxloop.privacy import services
from cxloop.privacy.models import MAX_MONTHS, MIN_MONTHS, RetentionAction, RetentionPolicy
from cxloop.surveys.models import Survey
from cxloop.web.decorators import org_page

KIND_LABELS = {
    "survey_invitations": gettext_lazy("Survey invitations"),
    "responses": gettext_lazy("Responses"),
    "answers": gettext_lazy("Answers"),
    "text_analyses": gettext_lazy("Comment analyses"),
    "theme_hits": gettext_lazy("Theme matches"),
    "cases": gettext_lazy("Cases"),
    "case_events": gettext_lazy("Case timeline entries"),
    "thank_you_messages": gettext_lazy("Thank-you messages"),
    "behaviour_events": gettext_lazy("Behaviour events"),
    "webhook_events": gettext_lazy("Webhook events"),
}


class FindForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("External id or e-mail address"), max_length=254)


class EraseForm(forms.Form):
    confirm = forms.CharField(label=gettext_lazy("Type the contact's external id to confirm"), max_length=100)

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.fields["confirm"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_confirm(self) -> str:
        value = str(self.cleaned_data["confirm"]).strip()
        if value != self.contact.external_id:
            raise forms.ValidationError(_("This is not the contact's external id: nothing was erased."))
        return value


class PolicyForm(forms.Form):
    months = forms.IntegerField(label=gettext_lazy("Keep responses for (months)"), min_value=MIN_MONTHS,
                                max_value=MAX_MONTHS)
    action = forms.ChoiceField(label=gettext_lazy("Then"), choices=RetentionAction.choices,
                               widget=forms.RadioSelect)


def _tabs() -> dict[str, Any]:
    return {"section": "settings", "tab": "privacy"}


def _contacts(actor: Actor) -> Any:
    return Contact.objects.filter(org=actor.org)


@require_safe
@org_page(MANAGE)
def privacy_home(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = FindForm(request.GET or None)
    not_found = False
    if form.is_valid():
        contact = services.find_contact(actor.org, form.cleaned_data["q"])
        if contact is not None:
            return redirect("privacy_contact", org=actor.org.slug, contact_id=contact.pk)
        not_found = True
    with_policy = RetentionPolicy.objects.filter(org=actor.org).count()
    return render(request, "privacy/home.html", {"org": actor.org, "form": form, "not_found": not_found,
                                                 "with_policy": with_policy, **_tabs()})


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(MANAGE)
def privacy_contact(request: HttpRequest, actor: Actor, contact_id: int) -> HttpResponse:
    contact = one_or_404(_contacts(actor).select_related("account"), contact_id, "Contact")
    form = EraseForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        services.subject_erase(org=actor.org, contact=contact, actor=actor)
        messages.success(request, _("Everything about the contact was erased."))
        return redirect("privacy", org=actor.org.slug)
    counts = services.subject_counts(org=actor.org, contact=contact)
    rows = [(KIND_LABELS[k], n) for k, n in counts.items()]
    response = render(request, "privacy/contact.html", {"org": actor.org, "contact": contact, "rows": rows,
                                                        "form": form, **_tabs()},
                      status=422 if request.method == "POST" else 200)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@org_page(MANAGE)
def privacy_export(request: HttpRequest, actor: Actor, contact_id: int) -> HttpResponse:
    contact = one_or_404(_contacts(actor), contact_id, "Contact")
    data = services.subject_export(org=actor.org, contact=contact, actor=actor)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@org_page(MANAGE)
def retention_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "privacy/retention.html", {"org": actor.org, "rows": services.policies(actor.org),
                                                      **_tabs()})


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(MANAGE)
def retention_edit(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = one_or_404(Survey.objects.filter(org=actor.org), survey_id, "Survey")
    policy = RetentionPolicy.objects.filter(org=actor.org, survey=survey).first()
    initial = {"months": policy.months, "action": policy.action} if policy else {"action": RetentionAction.ANONYMISE}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_policy(org=actor.org, survey=survey, months=form.cleaned_data["months"],
                                action=form.cleaned_data["action"], actor=actor)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Retention policy saved."))
            return redirect("privacy_retention", org=actor.org.slug)
    return render(request, "privacy/retention_edit.html",
                  {"org": actor.org, "survey": survey, "policy": policy, "form": form, **_tabs()},
                  status=422 if request.method == "POST" else 200)


@require_POST
@org_page(MANAGE)
def retention_remove(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = one_or_404(Survey.objects.filter(org=actor.org), survey_id, "Survey")
    if services.remove_policy(org=actor.org, survey=survey, actor=actor):
        messages.success(request, _("Retention policy removed: responses to this survey are kept."))
    return redirect("privacy_retention", org=actor.org.slug)
