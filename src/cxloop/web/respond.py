"""The respondent's pages: public link ``/s/<slug>/``, personal link ``/r/<token>/``, thank-you,
brand colour and unsubscribe. Plain HTML forms that work without JavaScript; embeddable in frames
(the widget), so no CSRF cookie is needed: the form carries a signed context instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from cxloop.core import survey_spec
from cxloop.orgs.models import OrganizationLogo
from cxloop.surveys import respondent
from cxloop.surveys.invitations import contact_from_unsubscribe_token, unsubscribe
from cxloop.surveys.models import Survey

CTX_SALT = "cxloop.respond"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
LANGUAGE_NAMES = {"zh-hans": "简体中文", "zh-hant": "繁體中文", "en": "English"}


@dataclass
class Field:
    """A question ready for the template (texts localised and piped, values and errors attached)."""

    q: survey_spec.Question
    text: str
    help: str
    value: Any
    items: list[tuple[str, str, Any]]  # (item key, text, value)
    options: list[tuple[str, str]]  # (option key, text)
    points: list[tuple[int, str]]  # (point, label)
    error: str
    specify_value: str
    live: bool  # shown or hidden in the browser by an answer above it on this page


def _fields(visit: respondent.Visit, page_index: int, answers: dict[str, Any],
            errors: dict[str, str], logic: respondent.PageLogic) -> list[Field]:
    spec, lang = visit.spec, visit.language
    out = []
    for q in logic.questions:
        def txt(t: Any) -> str:
            return survey_spec.render(spec, t, lang, answers=answers, embedded=visit.embedded) if t else ""

        options = [(o.key, txt(o.text)) for o in survey_spec.choice_order(q, seed=visit.seed)]
        if q.type in ("yes_no", "consent") and not options:
            yes_no = {"yes": {"zh-hans": "是", "zh-hant": "是", "en": "Yes"},
                      "no": {"zh-hans": "否", "zh-hant": "否", "en": "No"}}
            options = [(k, survey_spec.localise(v, lang, "en")) for k, v in yes_no.items()]
        raw = answers.get(q.key)
        nested: dict[str, Any] = raw if isinstance(raw, dict) else {}
        items = [(i.key, txt(i.text), _whole(answers.get(f"{q.key}.{i.key}", nested.get(i.key))))
                 for i in survey_spec.item_order(q, seed=visit.seed)] if q.items else []
        points = [(p, txt(q.labels.get(p, {}))) for p in q.points]
        out.append(Field(q=q, text=txt(q.text), help=txt(q.help), value=_whole(answers.get(q.key)), items=items,
            options=options, points=points, error=errors.get(q.key, ""),
            specify_value=str(answers.get(f"{q.key}.specify", "")), live=q.key in logic.live))
    return out


def _whole(value: Any) -> Any:
    """Scores back as the strings a form compares with ("9", not "9.0")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return value


def _brand_url(survey: Survey) -> str:
    return reverse("respond_brand", kwargs={"slug": survey.slug})


def _logo_url(survey: Survey | None) -> str:
    """The organisation's logo by its version (cached for a year), or "" when it has none."""
    if survey is None or not survey.slug:
        return ""
    digest = OrganizationLogo.objects.filter(org_id=survey.org_id).values_list("digest", flat=True).first()
    return reverse("respond_logo", kwargs={"slug": survey.slug, "digest": digest}) if digest else ""


def _lang_links(request: HttpRequest, visit: respondent.Visit) -> list[tuple[str, str, str]]:
    params = {k: v for k, v in request.GET.items() if k not in ("lang", "r")}
    if visit.response is not None and visit.invitation is None and visit.response.resume_token:
        params["r"] = visit.response.resume_token
    return [(code, LANGUAGE_NAMES.get(code, code), "?" + urlencode({**params, "lang": code}))
            for code in visit.spec.languages]


def _unavailable(request: HttpRequest, exc: respondent.Unavailable) -> HttpResponse:
    status = {"not_found": 404, "invalid": 404, "closed": 410, "expired": 410, "answered": 200}[exc.reason]
    return render(request, "respond/unavailable.html",
                  {"reason": exc.reason, "survey": exc.survey, "logo_url": _logo_url(exc.survey)}, status=status)


def _page(request: HttpRequest, visit: respondent.Visit, *, action: str, ctx: str,
          errors: dict[str, str] | None = None, page_index: int | None = None,
          answers: dict[str, Any] | None = None, status: int = 200, preview: bool = False) -> HttpResponse:
    index = visit.page_index if page_index is None else page_index
    answers = visit.answers if answers is None else answers
    spec = visit.spec
    reached = survey_spec.reached_pages(spec, answers=answers, embedded=visit.embedded)
    position = reached.index(index) + 1 if index in reached else index + 1
    total = max(len(reached), position)  # pages skip logic passes over are not counted
    lang = visit.language
    logic = respondent.page_logic(spec, index, answers=answers, embedded=visit.embedded)
    context = {
        "visit": visit,
        "survey": visit.survey,
        "lang": lang,
        "title": survey_spec.localise(spec.title, lang, spec.default_language),
        "intro": survey_spec.localise(spec.intro, lang, spec.default_language) if index == 0 and spec.intro else "",
        "page_title": survey_spec.localise(spec.pages[index].title, lang, spec.default_language),
        "fields": _fields(visit, index, answers, errors or {}, logic),
        "logic": {"live": logic.live, "inputs": logic.inputs} if logic.live else None,
        "page_index": index,
        "position": position,
        "total": total,
        # Back: to the page shown before this one under the logic (none on the first page).
        "can_go_back": any(p < index for p in reached),
        "is_last": survey_spec.next_page(spec, index, answers=answers, embedded=visit.embedded) is None,
        "errors": errors or {},
        "form_error": (errors or {}).get("form", ""),
        "action": action,
        "ctx": ctx,
        "lang_links": _lang_links(request, visit),
        "brand_url": _brand_url(visit.survey) if visit.survey.slug else "",
        "logo_url": _logo_url(visit.survey),
        "preview": preview,
        "preview_pages": [(i, f"?lang={lang}&page={i}") for i in range(len(spec.pages))] if preview else [],
    }
    response = render(request, "respond/page.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def preview_page(request: HttpRequest, visit: respondent.Visit, page_index: int) -> HttpResponse:
    """The draft as a respondent would see it, one page at a time, in the visit's language; nothing is
    saved (the form has no action)."""
    with translation.override(visit.language):
        response = _page(request, visit, action="", ctx="", page_index=page_index, answers={}, preview=True)
    response.xframe_options_exempt = False
    return response


def _errors(exc: survey_spec.AnswerError) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in exc.problems:
        key = p.path.removeprefix("answers.").partition(".")[0] or "form"
        out.setdefault(key, p.message)
    return out


def _handle(request: HttpRequest, visit: respondent.Visit, *, action: str, ctx: str, channel: str,
            thanks_url: str) -> HttpResponse:
    with translation.override(visit.language):
        if request.method == "POST":
            try:
                page_index = int(request.POST.get("page", "-1"))
            except ValueError:
                page_index = -1
            if not 0 <= page_index < len(visit.spec.pages):
                return _page(request, visit, action=action, ctx=ctx)
            page_answers = respondent.answers_from_form(visit.spec, page_index, request.POST)
            if request.POST.get("nav") == "back":
                previous = respondent.keep_page(visit=visit, page_index=page_index, page_answers=page_answers)
                return _redirect(request, visit, action, page=page_index if previous is None else previous)
            try:
                saved = respondent.save_page(visit=visit, page_index=page_index, page_answers=page_answers,
                                             channel=channel)
            except survey_spec.AnswerError as exc:
                merged = {**{k: v for k, v in visit.answers.items()
                             if k.partition(".")[0] not in {q.key for q in visit.spec.pages[page_index].questions}},
                          **page_answers}
                return _page(request, visit, action=action, ctx=ctx, errors=_errors(exc), page_index=page_index,
                             answers=merged, status=422)
            if saved.next_page is None:
                return HttpResponseRedirect(thanks_url + "?" + urlencode({"lang": visit.language}))
            return _redirect(request, visit, action)
        return _page(request, visit, action=action, ctx=ctx, page_index=visit.shown_page(_requested_page(request)))


def _requested_page(request: HttpRequest) -> int | None:
    page = request.GET.get("page", "")
    return int(page) if page.isdigit() and len(page) < 4 else None


def _redirect(request: HttpRequest, visit: respondent.Visit, action: str, page: int | None = None) -> HttpResponse:
    """After a page is saved: to the next page (or ``page``, after Back), by GET."""
    params: dict[str, Any] = {"lang": visit.language}
    token = visit.response.resume_token if visit.response is not None else ""
    if visit.invitation is None and token:
        # The next page finds its response from the URL, so no cookie is needed (the widget's
        # frame may not keep one); the cookie below lets a respondent resume from the bare link.
        params["r"] = token
    if page is not None:
        params["page"] = page
    response = HttpResponseRedirect(action + ("&" if "?" in action else "?") + urlencode(params))
    if token and visit.invitation is None:
        response.set_cookie(_cookie(visit.survey.slug), token, max_age=60 * 60 * 24 * 30,
                            httponly=True, samesite="Lax", secure=request.is_secure(),
                            path=f"/s/{visit.survey.slug}/")
    return response


def _cookie(slug: str | None) -> str:
    """The resume cookie's name: from the slug in the URL, so reading it needs no query."""
    return f"cxr-{slug}"


@never_cache
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public(request: HttpRequest, slug: str) -> HttpResponse:
    ctx_data: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("ctx"):
        try:
            ctx_data = signing.loads(request.POST["ctx"], salt=CTX_SALT, max_age=60 * 60 * 24 * 30)
        except signing.BadSignature:
            ctx_data = {}
    resume = ctx_data.get("rt") or request.GET.get("r") or request.COOKIES.get(_cookie(slug))
    try:
        visit = respondent.open_public(
            slug=slug, resume_token=resume, query=request.GET, embedded=ctx_data.get("e"),
            lang=request.GET.get("lang") or ctx_data.get("l"), accept_language=_accept(request),
            submitting=request.method == "POST")
    except respondent.Unavailable as exc:
        if exc.reason == "answered":
            return HttpResponseRedirect(reverse("respond_thanks", kwargs={"slug": slug}))
        return _unavailable(request, exc)
    channel = ctx_data.get("c") or ("widget" if request.GET.get("via") == "widget" else "link")
    ctx = signing.dumps({"e": visit.embedded, "l": visit.language, "c": channel,
                         "rt": visit.response.resume_token if visit.response else None}, salt=CTX_SALT)
    return _handle(request, visit, action=request.path, ctx=ctx, channel=channel,
                   thanks_url=reverse("respond_thanks", kwargs={"slug": slug}))


def _accept(request: HttpRequest) -> str | None:
    return translation.get_language_from_request(request)


@never_cache
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def personal(request: HttpRequest, token: str) -> HttpResponse:
    try:
        visit = respondent.open_personal(token=token, lang=request.GET.get("lang"), accept_language=_accept(request))
    except respondent.Unavailable as exc:
        return _unavailable(request, exc)
    return _handle(request, visit, action=request.path, ctx="", channel="personal",
                   thanks_url=reverse("respond_thanks", kwargs={"slug": visit.survey.slug}))


@xframe_options_exempt
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = Survey.objects.select_related("org").filter(slug=slug).first()
    if survey is None or not survey.current_version:
        raise Http404("No such survey.")
    from cxloop.surveys.services import current_version, spec_of

    spec = spec_of(current_version(survey))
    lang = respondent.pick_language(spec, request.GET.get("lang"), _accept(request))
    with translation.override(lang):
        text = survey_spec.localise(spec.thank_you, lang, spec.default_language) if spec.thank_you else ""
        return render(request, "respond/thanks.html", {"survey": survey, "text": text, "lang": lang,
                                                       "brand_url": _brand_url(survey),
                                                       "logo_url": _logo_url(survey)})


def brand(request: HttpRequest, slug: str) -> HttpResponse:
    survey = Survey.objects.select_related("org").filter(slug=slug).first()
    if survey is None:
        raise Http404("No such survey.")
    colour = survey.brand_color or survey.org.brand_color
    if not HEX.match(colour or ""):
        colour = "#0b5cad"
    response = HttpResponse(f":root{{--brand:{colour};}}\n", content_type="text/css")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def logo(request: HttpRequest, slug: str, digest: str) -> HttpResponse:
    """The organisation's logo for its respondents' pages. The URL names the version, so a new logo has
    a new URL and this one may be cached for a year; an old or unknown version is a 404."""
    survey = Survey.objects.filter(slug=slug).only("org_id").first()
    found = OrganizationLogo.objects.filter(org_id=survey.org_id, digest=digest).first() if survey else None
    if found is None:
        raise Http404("No such logo.")
    return logo_response(found, public=True)


def logo_response(found: OrganizationLogo, *, public: bool) -> HttpResponse:
    """The image with the type found from its bytes when it was uploaded (PNG, JPEG or WebP, never SVG)
    and ``nosniff``, so no browser reads it as anything else."""
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(found.content_type, "bin")
    response["Content-Disposition"] = f'inline; filename="logo.{extension}"'
    response["ETag"] = f'"{found.digest}"'
    response["Cache-Control"] = "public, max-age=31536000, immutable" if public else "private, max-age=0"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    contact = contact_from_unsubscribe_token(token)
    if contact is None:
        raise Http404("This unsubscribe link is not valid.")
    with translation.override(contact.language or None):
        if request.method == "POST":  # the form button and RFC 8058 one-click both POST
            unsubscribe(contact)
            return render(request, "respond/unsubscribed.html", {"done": True, "org": contact.org})
        return render(request, "respond/unsubscribed.html", {"done": False, "org": contact.org})
