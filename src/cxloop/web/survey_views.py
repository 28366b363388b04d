"""Survey pages of the app: list, create from a template or from YAML/JSON, the survey page (link,
QR code, versions, recent responses), publish/close, edit the definition as code, export."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cxloop.core import survey_spec, survey_templates
from cxloop.orgs.access import ANALYSE, READ, Actor
from cxloop.surveys import qr, queries, services
from cxloop.surveys.models import Survey, SurveyKind
from cxloop.web.decorators import org_page

EMBEDDED_PARAM = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
BLANK = {
    "title": {"zh-hans": "新调研", "zh-hant": "新調研", "en": "New survey"},
    "default_language": "zh-hans",
    "languages": ["zh-hans", "zh-hant", "en"],
    "pages": [{"key": "page_1", "questions": [{
        "key": "feedback", "type": "open_text", "multiline": True,
        "text": {"zh-hans": "请告诉我们您的想法。", "zh-hant": "請告訴我們您的想法。", "en": "Tell us what you think."},
    }]}],
}


class NewSurveyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    template = forms.ChoiceField(label=gettext_lazy("Start from"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SurveyKind.choices, initial=SurveyKind.CUSTOM)
    touchpoint = forms.CharField(label=gettext_lazy("Touchpoint"), max_length=120, required=False)
    definition = forms.CharField(label=gettext_lazy("…or paste a definition (YAML or JSON)"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))

    def __init__(self, *args: object, language: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", "—"), ("blank", str(gettext_lazy("Blank survey (one open question)")))]
        for name in survey_templates.template_names():
            spec = survey_spec.parse(survey_templates.template(name))
            choices.append((name, survey_spec.localise(spec.name or spec.title, language, spec.default_language)))
        self.fields["template"].choices = choices  # type: ignore[attr-defined]


class DefinitionForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Definition (YAML or JSON)"),
                           widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "code"}))


def _funnel(survey: Survey) -> list[dict[str, object]]:
    """Invitation funnel per distribution, with the completion rate and its Wilson interval."""
    from cxloop.core import metrics
    from cxloop.surveys import distributions

    rows = []
    for row in distributions.funnel(survey):
        rate = metrics.wilson(row["completed"], row["created"]) if row["created"] else None
        rows.append({**row, "rate": rate})
    return rows


def _embedded_params(request: HttpRequest) -> dict[str, str]:
    """Embedded fields for a share link or QR code, from the page's query (e.g. ?store=SH01)."""
    return {k: str(v)[:200] for k, v in request.GET.items() if EMBEDDED_PARAM.match(k) and k != "download"}


@require_safe
@org_page(READ)
def survey_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "web/surveys.html", {"org": actor.org, "surveys": queries.surveys(actor.org),
                                                "section": "surveys", "can_edit": actor.can(ANALYSE)})


@org_page(ANALYSE)
def survey_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    language = request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "en"
    form = NewSurveyForm(request.POST or None, language=language)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["definition"].strip():
                survey = services.import_definition(org=actor.org, text=data["definition"], name=data["name"],
                                                    actor=actor.user)
                survey.kind, survey.touchpoint = data["kind"], data["touchpoint"]
                survey.save(update_fields=["kind", "touchpoint"])
            elif data["template"]:
                definition = BLANK if data["template"] == "blank" else survey_templates.template(data["template"])
                survey = services.create_survey(org=actor.org, name=data["name"], kind=data["kind"],
                                                touchpoint=data["touchpoint"], actor=actor.user,
                                                definition=definition)
            else:
                form.add_error("template", _("Choose a template or paste a definition."))
                raise services.SurveyError("", field="template")
            messages.success(request, _("Survey created as a draft."))
            return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)
        except services.SurveyError as exc:
            if exc.message:
                form.add_error("definition", exc.message)
    return render(request, "web/survey_new.html", {"org": actor.org, "form": form, "section": "surveys"})


@require_safe
@org_page(READ)
def survey_detail(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    embedded = _embedded_params(request)
    context = {
        "org": actor.org, "survey": survey, "section": "surveys", "can_edit": actor.can(ANALYSE),
        "versions": survey.versions.order_by("-number")[:20],
        "link": qr.survey_link(survey, embedded) if survey.slug else None, "embedded": embedded,
        "qr_query": "&".join(f"{k}={v}" for k, v in embedded.items()),
        "recent": queries.responses(survey)[:25],
        "counts": queries.response_counts(survey),
        "widget_origin": settings.BASE_URL,
        "funnel": _funnel(survey),
        "recurring": survey.distributions.filter(every_days__isnull=False).order_by("pk"),
        "recurring_form": RecurringForm(org=actor.org),
        "close_form": CloseDateForm(initial={"close_at": survey.close_at}),
        "languages": survey_spec.parse(survey.draft).languages if survey.draft else (),
    }
    if actor.can(ANALYSE):
        from cxloop.exports.services import direct_limit
        from cxloop.web.export_views import ExportForm
        from cxloop.web.segment_forms import SegmentInviteForm

        context.update(export_form=ExportForm(), direct_limit=direct_limit(),
                       segment_invite_form=SegmentInviteForm(org=actor.org))
    return render(request, "web/survey_detail.html", context)


@require_safe
@org_page(READ)
def survey_qr(request: HttpRequest, actor: Actor, survey_id: int, kind: str) -> HttpResponse:
    if kind not in ("svg", "png"):
        raise Http404("QR codes come as .svg or .png.")
    survey = queries.survey(actor.org, survey_id)
    if not survey.slug:
        raise Http404("This survey has no link yet.")
    embedded = _embedded_params(request)
    body = qr.qr_code(survey, kind=kind, embedded=embedded)
    response = HttpResponse(body, content_type="image/svg+xml" if kind == "svg" else "image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-qr.{kind}"'
    return response


@require_POST
@org_page(ANALYSE)
def survey_publish(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    try:
        version = services.publish(survey=survey, actor=actor.user)
        messages.success(request, _("Published as version %(n)s.") % {"n": version.number})
    except services.SurveyError as exc:
        messages.error(request, exc.message)
    return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)


@require_POST
@org_page(ANALYSE)
def survey_close(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    services.close(survey=queries.survey(actor.org, survey_id), actor=actor.user)
    messages.success(request, _("Survey closed: it no longer accepts responses."))
    return redirect("survey_detail", org=actor.org.slug, survey_id=survey_id)


@org_page(READ, post_role=ANALYSE)
def survey_definition(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    initial = survey_spec.dumps(survey_spec.parse(survey.draft), "yaml") if survey.draft else ""
    form = DefinitionForm(request.POST or None, initial={"text": initial})
    problems: list[survey_spec.Problem] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.update_draft_text(survey=survey, text=form.cleaned_data["text"], actor=actor.user)
            messages.success(request, _("Draft saved. Publish it to make it live."))
            return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)
        except services.SurveyError as exc:
            problems = exc.problems or [survey_spec.Problem(exc.field, exc.message)]
    return render(request, "web/survey_definition.html", {"org": actor.org, "survey": survey, "form": form,
                                                          "problems": problems, "section": "surveys",
                                                          "can_edit": actor.can(ANALYSE)})


@require_safe
@org_page(ANALYSE)
def survey_export(request: HttpRequest, actor: Actor, survey_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("yaml", "json", "surveyjs"):
        raise Http404("Definitions export as .yaml, .json or .surveyjs.")
    survey = queries.survey(actor.org, survey_id)
    version = request.GET.get("version")
    if fmt == "surveyjs":
        from cxloop.interop.services import export_surveyjs

        found, _notes = export_surveyjs(survey=survey, actor=actor.user,
                                        version=int(version) if version and version.isdigit() else None)
        response = HttpResponse(json.dumps(found, ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}.surveyjs.json"'
        return response
    text = services.export_definition(survey=survey, fmt=fmt, actor=actor.user,
                                      version=int(version) if version and version.isdigit() else None)
    response = HttpResponse(text, content_type="application/json" if fmt == "json" else "application/yaml")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}.{fmt}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"), required=False)
    csv_text = forms.CharField(required=False, widget=forms.HiddenInput)


@org_page(ANALYSE)
def survey_import(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    """Upload a CSV → a preview with every problem (line and column) → import all rows or none."""
    from cxloop.surveys import importer

    survey = queries.survey(actor.org, survey_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    checked = None
    csv_text = ""
    if request.method == "POST" and form.is_valid():
        try:
            upload = form.cleaned_data.get("file")
            csv_text = importer.decode(upload.read()) if upload else form.cleaned_data.get("csv_text", "")
            if not csv_text:
                form.add_error("file", _("Choose a CSV file."))
            elif request.POST.get("confirm") and not upload:
                count = importer.import_csv(survey=survey, data=csv_text, actor=actor.user)
                messages.success(request, _("Imported %(n)s responses.") % {"n": count})
                return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)
            else:
                checked = importer.preview(survey=survey, data=csv_text)
        except services.SurveyError as exc:
            form.add_error(None, exc.message)
    return render(request, "web/survey_import.html", {
        "org": actor.org, "survey": survey, "form": form, "checked": checked, "csv_text": csv_text,
        "section": "surveys", "sample_rows": checked.rows[:20] if checked else [],
    })


class RecurringForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    every_days = forms.IntegerField(label=gettext_lazy("Every (days)"), min_value=1, max_value=3650, initial=90)
    sample_percent = forms.IntegerField(label=gettext_lazy("Sample (%)"), min_value=1, max_value=100, initial=100)
    tier = forms.MultipleChoiceField(label=gettext_lazy("Account tier"), required=False,
                                     widget=forms.CheckboxSelectMultiple)
    stakeholder_role = forms.MultipleChoiceField(label=gettext_lazy("Stakeholder role"), required=False,
                                                 widget=forms.CheckboxSelectMultiple)
    region = forms.CharField(label=gettext_lazy("Regions (comma-separated)"), required=False, max_length=400)
    segment = forms.MultipleChoiceField(label=gettext_lazy("Segments (members of any)"), required=False,
                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, org: Any = None, **kwargs: Any) -> None:
        from cxloop.customers.models import StakeholderRole, Tier
        from cxloop.segments.models import Segment

        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = Tier.choices  # type: ignore[attr-defined]
        self.fields["stakeholder_role"].choices = StakeholderRole.choices  # type: ignore[attr-defined]
        language = get_language() or "en"
        segments = Segment.objects.filter(org=org).order_by("pk") if org is not None else Segment.objects.none()
        self.fields["segment"].choices = [  # type: ignore[attr-defined]
            (str(s.pk), survey_spec.localise(s.name, language, "en") if isinstance(s.name, dict) else str(s.name))
            for s in segments]
        if not self.fields["segment"].choices:  # type: ignore[attr-defined]
            del self.fields["segment"]


@require_POST
@org_page(ANALYSE)
def survey_recurring_new(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    from cxloop.surveys import distributions

    survey = queries.survey(actor.org, survey_id)
    form = RecurringForm(request.POST, org=actor.org)
    if form.is_valid():
        data = form.cleaned_data
        audience = {"tier": data["tier"], "stakeholder_role": data["stakeholder_role"], "region": data["region"],
                    "segment": data.get("segment") or []}
        try:
            distributions.create_recurring(survey=survey, name=data["name"], audience=audience,
                                           every_days=data["every_days"], sample_percent=data["sample_percent"],
                                           actor=actor.user)
            messages.success(request, _("Recurring distribution created; the first wave goes out within minutes."))
        except services.SurveyError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()))
    return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)


@require_safe
@org_page(READ)
def survey_preview(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    """The draft in any of its languages, page by page, before publishing."""
    from cxloop.surveys import respondent
    from cxloop.surveys.models import SurveyVersion
    from cxloop.web.respond import preview_page

    survey = queries.survey(actor.org, survey_id)
    try:
        spec = services.parse_definition(survey.draft)
    except services.SurveyError as exc:
        messages.error(request, exc.message)
        return redirect("survey_definition", org=actor.org.slug, survey_id=survey.pk)
    language = respondent.pick_language(spec, request.GET.get("lang"), request.LANGUAGE_CODE)
    page = request.GET.get("page", "0")
    index = int(page) if page.isdigit() and int(page) < len(spec.pages) else 0
    visit = respondent.Visit(survey=survey, version=SurveyVersion(survey=survey, number=0, definition=survey.draft),
                             spec=spec, language=language, embedded={})
    return preview_page(request, visit, index)


class CloseDateForm(forms.Form):
    close_at = forms.DateTimeField(label=gettext_lazy("Close on"), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


@require_POST
@org_page(ANALYSE)
def survey_schedule_close(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    form = CloseDateForm(request.POST)
    if form.is_valid():
        try:
            services.schedule_close(survey=survey, close_at=form.cleaned_data["close_at"], actor=actor.user)
            messages.success(request, _("Close date saved."))
        except services.SurveyError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Enter a date and time, e.g. 2027-01-31 18:00."))
    return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)
