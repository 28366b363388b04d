"""The survey builder: pages and questions as forms (no JavaScript needed, every control reachable
with the keyboard). Each action edits the draft with ``core.survey_edit`` and is kept only when the
result still parses; otherwise the problems are shown and the draft stays as it was."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxloop.core import survey_edit, survey_spec
from cxloop.core.survey_model import QUESTION_TYPES, TYPE_LABELS
from cxloop.orgs.access import ANALYSE, READ, Actor
from cxloop.surveys import queries, services
from cxloop.surveys.models import Survey
from cxloop.web.decorators import org_page

CHOICE_TYPES = {"single_choice", "multi_choice", "dropdown"}
LANG_LABELS = {"zh-hans": "简体中文", "zh-hant": "繁體中文", "en": "English"}


class QuestionForm(forms.Form):
    page = forms.TypedChoiceField(label=gettext_lazy("Page"), coerce=int)
    type = forms.ChoiceField(label=gettext_lazy("Question type"),
                             choices=[(t, TYPE_LABELS[t]) for t in QUESTION_TYPES])
    key = forms.RegexField(label=gettext_lazy("Question key"), regex=r"^[a-z][a-z0-9_]{0,63}$", max_length=64,
                           help_text=gettext_lazy("Stable name used in exports and the API: a-z, 0-9, _"))
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    text_zh_hans = forms.CharField(label="简体中文", required=False, max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    text_zh_hant = forms.CharField(label="繁體中文", required=False, max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    text_en = forms.CharField(label="English", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    options = forms.CharField(label=gettext_lazy("Options (choice questions)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4, "class": "code"}),
                              help_text=gettext_lazy("One per line: key | 简体 | 繁體 | English"))
    scale_max = forms.IntegerField(label=gettext_lazy("Points (rating)"), required=False, min_value=2,
                                   max_value=11)

    def __init__(self, *args: Any, pages: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["page"].choices = pages  # type: ignore[attr-defined]

    def question(self, languages: tuple[str, ...]) -> dict[str, Any]:
        d = self.cleaned_data
        text = {lang: d[f"text_{lang.replace('-', '_')}"].strip() for lang in ("zh-hans", "zh-hant", "en")}
        q: dict[str, Any] = {"key": d["key"], "type": d["type"], "required": d["required"],
                             "text": {k: v for k, v in text.items() if v}}
        if d["type"] in CHOICE_TYPES:
            q["options"] = survey_edit.parse_options(d["options"], languages)
        if d["type"] == "rating":
            q["scale_min"], q["scale_max"] = 1, d["scale_max"] or 5
        if d["type"] == "open_text":
            q["multiline"] = True
        return q


def _pages(spec: survey_spec.SurveySpec, lang: str) -> list[tuple[int, str]]:
    pages = [(i, f"{i + 1}. " + (survey_spec.localise(p.title, lang, spec.default_language) or p.key))
             for i, p in enumerate(spec.pages)]
    return [*pages, (len(spec.pages), str(gettext_lazy("A new page at the end")))]


def _with_page(definition: dict[str, Any], page: int) -> dict[str, Any]:
    """Add an empty last page when the question goes to "a new page" (empty pages are not kept)."""
    if page < len(definition.get("pages", [])):
        return definition
    taken = {p.get("key") for p in definition.get("pages", [])}
    n = len(taken) + 1
    while f"page_{n}" in taken:
        n += 1
    return survey_edit.add_page(definition, key=f"page_{n}")


def _save(request: HttpRequest, survey: Survey, definition: dict[str, Any], actor: Actor, done: str) -> list[Any]:
    """Keep the edited draft if it parses; return its problems otherwise."""
    try:
        services.update_draft(survey=survey, definition=definition, actor=actor.user)
    except services.SurveyError as exc:
        return exc.problems or [survey_spec.Problem(exc.field, exc.message)]
    messages.success(request, done)
    return []


@org_page(READ, post_role=ANALYSE)
def builder(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    spec = services.parse_definition(survey.draft)
    lang = request.LANGUAGE_CODE if request.LANGUAGE_CODE in spec.languages else spec.default_language
    form = QuestionForm(pages=_pages(spec, lang), initial={"page": len(spec.pages) - 1, "type": "nps"})
    problems: list[Any] = []
    if request.method == "POST":
        op = request.POST.get("op", "")
        key = request.POST.get("key", "")
        try:
            if op == "add_question":
                form = QuestionForm(request.POST, pages=_pages(spec, lang))
                if form.is_valid():
                    page = form.cleaned_data["page"]
                    definition = survey_edit.add_question(_with_page(survey.draft, page), page=page,
                                                          question=form.question(spec.languages))
                    problems = _save(request, survey, definition, actor, _("Question added."))
                    if not problems:
                        return redirect("survey_builder", org=actor.org.slug, survey_id=survey.pk)
            elif op in ("up", "down"):
                definition = survey_edit.move_question(survey.draft, key=key, step=-1 if op == "up" else 1)
                problems = _save(request, survey, definition, actor, _("Question moved."))
            elif op == "delete":
                definition = survey_edit.delete_question(survey.draft, key=key)
                problems = _save(request, survey, definition, actor, _("Question deleted."))
            elif op == "delete_page":
                index = int(request.POST.get("page", "-1"))
                problems = _save(request, survey, survey_edit.delete_page(survey.draft, index=index), actor,
                                 _("Page deleted."))
            else:
                messages.error(request, _("Unknown action."))
        except (survey_edit.EditError, ValueError) as exc:
            messages.error(request, str(exc))
        if not problems and op != "add_question":
            return redirect(f"{request.path}#q-{key}" if key else request.path)
        spec = services.parse_definition(survey.draft)
    rows = [(i, page, [(q, survey_spec.localise(q.text, lang, spec.default_language)) for q in page.questions])
            for i, page in enumerate(spec.pages)]
    return render(request, "web/survey_builder.html", {
        "org": actor.org, "survey": survey, "rows": rows, "form": form, "problems": problems,
        "section": "surveys", "can_edit": actor.can(ANALYSE), "type_labels": TYPE_LABELS,
    })


@org_page(READ, post_role=ANALYSE)
def builder_question(request: HttpRequest, actor: Actor, survey_id: int, qkey: str) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    spec = services.parse_definition(survey.draft)
    try:
        question = spec.question(qkey)
    except KeyError:
        raise Http404(f"Question {qkey} not found.") from None
    lang = request.LANGUAGE_CODE if request.LANGUAGE_CODE in spec.languages else spec.default_language
    raw = next(q for p in survey.draft["pages"] for q in p["questions"] if q["key"] == qkey)
    initial = {"page": spec.page_of(qkey), "type": question.type, "key": qkey, "required": question.required,
               "options": survey_edit.format_options(raw.get("options", []), spec.languages),
               "scale_max": question.scale_max if question.type == "rating" else None,
               **{f"text_{k.replace('-', '_')}": v for k, v in question.text.items()}}
    form = QuestionForm(request.POST or None, pages=_pages(spec, lang), initial=initial)
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        new = form.question(spec.languages)
        changes: dict[str, Any] = {k: v for k, v in new.items() if k != "key"}
        if new["type"] not in CHOICE_TYPES and "options" in raw and new["type"] not in ("yes_no",):
            changes["options"] = None
        definition = survey_edit.update_question(survey.draft, key=qkey, changes=changes)
        if new["key"] != qkey:
            definition = survey_edit.update_question(definition, key=qkey, changes={"key": new["key"]})
        target_page = form.cleaned_data["page"]
        if target_page != spec.page_of(qkey):
            moved = next(q for p in definition["pages"] for q in p["questions"] if q["key"] == new["key"])
            definition = survey_edit.delete_question(definition, key=new["key"])
            definition = survey_edit.add_question(_with_page(definition, target_page), page=target_page,
                                                  question=moved)
        problems = _save(request, survey, definition, actor, _("Question saved."))
        if not problems:
            return redirect("survey_builder", org=actor.org.slug, survey_id=survey.pk)
    return render(request, "web/survey_question.html", {
        "org": actor.org, "survey": survey, "form": form, "problems": problems, "question": question,
        "section": "surveys", "can_edit": actor.can(ANALYSE),
    })

