"""Imports from other survey tools on pages (issue 10): upload a Qualtrics .qsf (with its CSV response export), a
LimeSurvey .lss or a SurveyJS JSON file → a preview of what would be imported and of every note of what cannot be
represented → confirm (the files are kept between the two steps by ``interop.staging``, never uploaded twice) →
the import's page. Analysts and up, as building a survey."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from cxloop.core.survey_model import TYPE_LABELS
from cxloop.interop import services, staging
from cxloop.interop.models import SurveyImport
from cxloop.orgs.access import ANALYSE, Actor
from cxloop.web.decorators import org_page

SHOWN_NOTES = 500

KIND_HELP = {
    "qsf": gettext_lazy("A Qualtrics survey file (.qsf); add its CSV response export to bring the responses too."),
    "lss": gettext_lazy("A LimeSurvey survey structure file (.lss); add its CSV response export (question codes)."),
    "surveyjs": gettext_lazy("A SurveyJS survey (JSON); add its results as a JSON array of answer objects."),
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Exported from"),
                             choices=[(k, services.KIND_LABELS[k]) for k in services.KINDS])
    file = forms.FileField(label=gettext_lazy("Survey file"), required=False)
    url = forms.URLField(label=gettext_lazy("… or its web address"), required=False, max_length=2000,
                         assume_scheme="https")
    responses = forms.FileField(label=gettext_lazy("Responses (optional)"), required=False)
    responses_url = forms.URLField(label=gettext_lazy("… or their web address"), required=False, max_length=2000,
                                   assume_scheme="https")
    test_responses = forms.BooleanField(label=gettext_lazy("Also import Qualtrics' test and preview responses"),
                                        required=False)
    into = forms.TypedChoiceField(label=gettext_lazy("Add the responses to"), required=False, coerce=int,
                                  empty_value=None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("url") and "file" not in self.errors:
            self.add_error("file", _("Choose the survey file or give its web address."))
        return data

    def __init__(self, *args: Any, surveys: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        into = self.fields["into"]
        assert isinstance(into, forms.TypedChoiceField)
        into.choices = [("", _("A new survey")), *surveys]


def _imported_surveys(actor: Actor) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    for record in services.imports(actor.org):
        if record.survey_id is not None and record.survey is not None:
            seen.setdefault(record.survey_id, f"{record.survey.name} ({services.KIND_LABELS[record.source]})")
    return list(seen.items())


def _read(upload: Any) -> bytes:
    return upload.read() if upload else b""


@require_http_methods(["GET", "POST"])
@org_page(ANALYSE)
def import_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Step 1 (upload → preview) and step 2 (``token`` + confirm → import)."""
    user_id = int(request.user.pk or 0)
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        staged = staging.take(org_id=actor.org.pk, user_id=user_id, token=token)
        if staged is None:
            messages.error(request, _("The uploaded files have expired; upload them again."))
            return redirect("import_new", org=actor.org.slug)
        try:
            record = services.import_survey(org=actor.org, kind=staged.kind, data=staged.definition,
                                            file_name=staged.file_name, responses=staged.responses,
                                            responses_name=staged.responses_name, into=staged.into,
                                            test_responses=staged.test_responses, actor=actor.user)
        except services.ImportError_ as exc:
            messages.error(request, exc.message)
            return redirect("import_new", org=actor.org.slug)
        messages.success(request, _("Imported. Every note of what could not be represented is listed below."))
        return redirect("import_detail", org=actor.org.slug, import_id=record.pk)

    form = UploadForm(request.POST or None, request.FILES or None, surveys=_imported_surveys(actor))
    found = None
    new_token = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            definition, file_name = ((_read(data["file"]), data["file"].name) if data["file"]
                                     else services.fetch_source(data["url"], "url"))
            answers, answers_name = ((_read(data["responses"]) or None, data["responses"].name) if data["responses"]
                                     else services.fetch_source(data["responses_url"], "responses_url")
                                     if data["responses_url"] else (None, ""))
            staged = staging.Staged(kind=data["kind"], definition=definition, file_name=file_name,
                                    responses=answers, responses_name=answers_name,
                                    test_responses=bool(data["test_responses"]), into=data["into"])
            found = services.preview(kind=staged.kind, data=staged.definition, responses=staged.responses,
                                     test_responses=staged.test_responses, org=actor.org, into=staged.into)
        except services.ImportError_ as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            new_token = staging.stash(org_id=actor.org.pk, user_id=user_id, staged=staged)
    notes = found.notes if found else []
    return render(request, "interop/import_new.html", {
        "org": actor.org, "section": "surveys", "form": form, "found": found, "token": new_token,
        "questions": _questions(found, request) if found else [], "notes": notes[:SHOWN_NOTES],
        "more_notes": max(0, len(notes) - SHOWN_NOTES), "kind_help": KIND_HELP,
    })


def _questions(found: services.Preview, request: HttpRequest) -> list[dict[str, Any]]:
    spec = found.imported.spec
    language = getattr(request, "LANGUAGE_CODE", "en")
    rows = []
    for number, page in enumerate(spec.pages, start=1):
        for q in page.questions:
            text = q.text.get(language) or q.text.get(spec.default_language) or next(iter(q.text.values()), "")
            rows.append({"page": number, "key": q.key, "type": q.type, "type_label": TYPE_LABELS.get(q.type, q.type),
                         "text": text,
                         "options": len(q.options), "items": len(q.items),
                         "logic": q.display_if is not None})
    return rows


@require_safe
@org_page(ANALYSE)
def import_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "interop/import_list.html", {
        "org": actor.org, "section": "surveys", "imports": services.imports(actor.org),
        "labels": services.KIND_LABELS})


@require_safe
@org_page(ANALYSE)
def import_detail(request: HttpRequest, actor: Actor, import_id: int) -> HttpResponse:
    try:
        record: SurveyImport = services.one(actor.org, import_id)
    except services.ImportError_ as exc:
        raise Http404(exc.message) from None
    return render(request, "interop/import_detail.html", {
        "org": actor.org, "section": "surveys", "record": record, "label": services.KIND_LABELS[record.source],
        "dropped": sum(1 for n in record.notes if n.get("kind") == "dropped"),
        "changed": sum(1 for n in record.notes if n.get("kind") == "changed")})
