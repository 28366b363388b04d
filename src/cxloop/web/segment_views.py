"""Segment and persona pages: the segment list with live member counts, the editor (JSON definition, problems
at their JSON path, a preview of the count and the first 20 members before saving), one segment's members
(paged); the persona library (cards with an initials avatar), one persona with its live numbers for the last
twelve months and the comment thread; the survey page's "invite a segment". Everyone in the organisation reads,
members comment, analysts and above edit. Each view calls one service or query."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cxloop.core import segments as core
from cxloop.customers.models import Contact
from cxloop.orgs.access import ANALYSE, READ, WORK, Actor
from cxloop.segments import members, queries, services, stats
from cxloop.segments.models import LANGUAGES, Persona, Segment, localised
from cxloop.web.decorators import org_page
from cxloop.web.segment_forms import EXAMPLE, CommentForm, PersonaForm, SegmentForm, SegmentInviteForm

PAGE_SIZE = 25
FIELD_HELP: list[tuple[str, str]] = [
    ("contact.name, email, phone, title, external_id", "text"),
    ("contact.language, contact.stakeholder_role", "choice"),
    ("contact.attributes.<name>", "value"),
    ("account.name, external_id, industry, region, currency", "text"),
    ("account.tier", "choice"),
    ("account.arr, account.renewal_days", "number"),
    ("account.renewal_date, account.customer_since", "date"),
    ("account.attributes.<name>", "value"),
    ("behaviour.responses (survey, kind, touchpoint, days)", "count"),
    ("behaviour.last_response_days (survey, kind, touchpoint)", "days"),
    ("behaviour.nps, behaviour.nps_category (survey, kind, touchpoint, days)", "number / choice"),
    ("behaviour.open_cases", "count"),
    ("behaviour.events (event, touchpoint, days)", "count"),
    ("behaviour.last_event_days (event, touchpoint)", "days"),
]


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def _ui_language(request: HttpRequest) -> str:
    language = _language(request).lower()
    return language if language in LANGUAGES else "zh-hans" if language.startswith("zh") else "en"


def _who(actor: Actor) -> services.Who:
    return services.Who(user=actor.user, api_key=actor.api_key)


def _describe(segment: Segment, language: str) -> str:
    try:
        return core.describe(core.parse(segment.definition), language)
    except core.SegmentError:
        return ""


def _count(segment: Segment) -> int | None:
    try:
        return members.members(segment).count()
    except core.SegmentError:
        return None


# --- segments ------------------------------------------------------------------------------------------


@require_safe
@org_page(READ)
def segment_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    language = _language(request)
    rows = [{"segment": s, "label": s.label(language), "count": _count(s), "words": _describe(s, language),
             "personas": [p.label(language) for p in s.personas.all()]}
            for s in queries.segments(actor.org).prefetch_related("personas")]
    return render(request, "web/segments/list.html", {
        "org": actor.org, "section": "personas", "rows": rows, "can_edit": actor.can(ANALYSE)})


def _editor(request: HttpRequest, actor: Actor, segment: Segment | None) -> HttpResponse:
    language = _language(request)
    preview = None
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if form.is_valid():
            if request.POST.get("action") == "preview":
                preview = services.preview(org=actor.org, definition=form.cleaned_data["definition"])
            else:
                try:
                    saved = services.save_segment(org=actor.org, name=form.cleaned_data["name"],
                                                  definition=form.cleaned_data["definition"], segment=segment,
                                                  language=_ui_language(request), who=_who(actor))
                except services.SegmentServiceError as exc:
                    form.add_error("name" if exc.field == "name" else None, exc.message)
                else:
                    messages.success(request, _("Segment saved."))
                    return redirect("segment_detail", org=actor.org.slug, segment_id=saved.pk)
    elif segment is not None:
        form = SegmentForm(initial={"name": segment.label(language),
                                    "definition": json.dumps(segment.definition, ensure_ascii=False, indent=2)})
    else:
        form = SegmentForm(initial={"definition": EXAMPLE})
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "web/segments/edit.html", {
        "org": actor.org, "section": "personas", "form": form, "segment": segment, "example": EXAMPLE,
        "fields_help": FIELD_HELP, "preview": preview,
        "preview_words": preview.description.get(_ui_language(request)) if preview else "",
    }, status=status)


@org_page(ANALYSE)
def segment_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _editor(request, actor, None)


@org_page(ANALYSE)
def segment_edit(request: HttpRequest, actor: Actor, segment_id: int) -> HttpResponse:
    return _editor(request, actor, queries.segment(actor.org, segment_id))


@require_safe
@org_page(READ)
def segment_detail(request: HttpRequest, actor: Actor, segment_id: int) -> HttpResponse:
    segment = queries.segment(actor.org, segment_id)
    language = _language(request)
    try:
        qs = members.members(segment).select_related("account").order_by("name", "pk")
    except core.SegmentError:
        qs = Contact.objects.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/segments/detail.html", {
        "org": actor.org, "section": "personas", "segment": segment, "label": segment.label(language),
        "words": _describe(segment, language), "page": page, "can_edit": actor.can(ANALYSE),
        "definition": json.dumps(segment.definition, ensure_ascii=False, indent=2),
        "personas": [(p, p.label(language)) for p in segment.personas.all()]})


@require_POST
@org_page(ANALYSE)
def segment_delete(request: HttpRequest, actor: Actor, segment_id: int) -> HttpResponse:
    segment = queries.segment(actor.org, segment_id)
    services.delete_segment(segment=segment, who=_who(actor))
    messages.success(request, _("Segment deleted."))
    return redirect("segments", org=actor.org.slug)


# --- personas ------------------------------------------------------------------------------------------


def _card(persona: Persona, language: str) -> dict[str, Any]:
    colour = persona.colour if persona.colour in services.PALETTE else services.PALETTE[0]
    return {"persona": persona, "label": persona.label(language), "role": localised(persona.role, language) or "",
            "description": localised(persona.description, language) or "",
            "colour_class": f"persona-c{services.PALETTE.index(colour)}",
            "segment": persona.segment.label(language) if persona.segment else ""}


@require_safe
@org_page(READ)
def persona_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    language = _language(request)
    cards = [_card(p, language) for p in queries.personas(actor.org)]
    return render(request, "web/personas/list.html", {
        "org": actor.org, "section": "personas", "cards": cards, "can_edit": actor.can(ANALYSE)})


@require_safe
@org_page(READ)
def persona_detail(request: HttpRequest, actor: Actor, persona_id: int) -> HttpResponse:
    persona = queries.persona(actor.org, persona_id)
    language = _language(request)
    numbers = stats.stats(persona.segment, language=language) if persona.segment is not None else None
    return render(request, "web/personas/detail.html", _persona_context(actor, persona, language, numbers,
                                                                        CommentForm()))


def _persona_context(actor: Actor, persona: Persona, language: str, numbers: stats.Stats | None,
                     form: CommentForm) -> dict[str, Any]:
    def items(value: Any) -> list[str]:
        found = localised(value, language)
        return list(found) if isinstance(found, list) else []

    return {"org": actor.org, "section": "personas", "card": _card(persona, language),
            "goals": items(persona.goals), "pains": items(persona.pains), "jobs": items(persona.jobs_to_be_done),
            "quotes": items(persona.quotes), "stats": numbers, "comments": queries.comments(persona),
            "comment_form": form, "can_edit": actor.can(ANALYSE), "can_comment": actor.can(WORK),
            "words": _describe(persona.segment, language) if persona.segment else ""}


@require_POST
@org_page(WORK)
def persona_comment(request: HttpRequest, actor: Actor, persona_id: int) -> HttpResponse:
    persona = queries.persona(actor.org, persona_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.add_comment(persona=persona, body=form.cleaned_data["body"], who=_who(actor))
        messages.success(request, _("Comment added."))
        return redirect("persona_detail", org=actor.org.slug, persona_id=persona.pk)
    language = _language(request)
    numbers = stats.stats(persona.segment, language=language) if persona.segment is not None else None
    return render(request, "web/personas/detail.html", _persona_context(actor, persona, language, numbers, form),
                  status=400)


def _persona_editor(request: HttpRequest, actor: Actor, persona: Persona | None) -> HttpResponse:
    language = _language(request)
    if request.method == "POST":
        form = PersonaForm(request.POST, org=actor.org)
        if form.is_valid():
            try:
                saved = services.save_persona(org=actor.org, data=form.data_for_service(), persona=persona,
                                              language=_ui_language(request), who=_who(actor))
            except services.SegmentServiceError as exc:
                field = exc.field.split(".")[0].split("[")[0]
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Persona saved."))
                return redirect("persona_detail", org=actor.org.slug, persona_id=saved.pk)
    elif persona is not None:
        form = PersonaForm(initial=PersonaForm.initial_of(persona, language), org=actor.org)
    else:
        form = PersonaForm(org=actor.org)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/personas/edit.html", {
        "org": actor.org, "section": "personas", "form": form, "persona": persona,
        "label": persona.label(language) if persona else ""}, status=status)


@org_page(ANALYSE)
def persona_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _persona_editor(request, actor, None)


@org_page(ANALYSE)
def persona_edit(request: HttpRequest, actor: Actor, persona_id: int) -> HttpResponse:
    return _persona_editor(request, actor, queries.persona(actor.org, persona_id))


@require_POST
@org_page(ANALYSE)
def persona_delete(request: HttpRequest, actor: Actor, persona_id: int) -> HttpResponse:
    persona = queries.persona(actor.org, persona_id)
    services.delete_persona(persona=persona, who=_who(actor))
    messages.success(request, _("Persona deleted."))
    return redirect("personas", org=actor.org.slug)


# --- the survey page: invite a segment -----------------------------------------------------------------


@require_POST
@org_page(ANALYSE)
def survey_invite_segment(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    from cxloop.surveys import queries as survey_queries

    survey = survey_queries.survey(actor.org, survey_id)
    form = SegmentInviteForm(request.POST, org=actor.org)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()))
        return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)
    segment = queries.segment(actor.org, form.cleaned_data["segment"])
    try:
        result = services.invite_members(survey=survey, segment=segment, language=_language(request),
                                         who=_who(actor))
    except services.ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(invited)s members invited, %(held)s held back (frequency cap, "
                                    "unsubscribed or no e-mail address).")
                         % {"invited": result.invited, "held": result.held_back})
    return redirect("survey_detail", org=actor.org.slug, survey_id=survey.pk)
