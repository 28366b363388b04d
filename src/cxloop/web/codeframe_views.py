"""Settings → Themes: the organisation's codeframe as a tree (labels in three scripts, keywords and exclusions,
how many comments each theme tags now), a theme added, edited or deleted (with its children), the codeframe
edited as JSON or restored to the default; every save goes through ``texts.services.save_codeframe`` (checked,
audited, re-theming queued) and the page follows the re-theming job (htmx polls its progress, then refreshes
the counts). "Suggest themes" runs discovery (``texts.discovery``) and adds a suggestion as a theme in one
click. Everyone in the organisation may look; admins and owners change."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cxloop.core.text import themes as text_themes
from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
from cxloop.orgs.access import MANAGE, READ, Actor
from cxloop.orgs.models import Organization
from cxloop.orgs.services import ServiceError
from cxloop.texts import discovery, services
from cxloop.web import codeframe_forms as forms
from cxloop.web.decorators import org_page

ACTIVE = ("queued", "running")
_DISMISSED = "cxloop.discover.dismissed.{org}"


def _language() -> str:
    language = (get_language() or "en").lower()
    return language if language in text_themes.LABEL_LANGUAGES else "en"


def _codeframe(org: Organization) -> tuple[dict[str, Any], int, text_themes.Codeframe]:
    definition, version = services.codeframe_definition(org)
    return definition, version, text_themes.parse_codeframe(definition)


def _editor_context(actor: Actor, **more: Any) -> dict[str, Any]:
    _definition, version, codeframe = _codeframe(actor.org)
    job = discovery.latest_job(actor.org)
    return {"org": actor.org, "section": "settings", "tab": "themes", "can_manage": actor.can(MANAGE),
            "nodes": forms.tree(codeframe, discovery.theme_counts(actor.org), _language()),
            "version": version, "themes_total": len(codeframe.themes), "job": job,
            "job_active": job is not None and job.status in ACTIVE, "analysed": discovery.analysed(actor.org),
            **more}


def _editor_url(actor: Actor, key: str | None = None) -> str:
    """The editor, scrolled to the theme ``key`` (its row is highlighted) when given."""
    url = reverse("settings_themes", kwargs={"org": actor.org.slug})
    return f"{url}#{forms.anchor(key)}" if key else url


def _save(request: HttpRequest, actor: Actor, definition: dict[str, Any], done: str,
          key: str | None = None) -> HttpResponse | None:
    """Save (re-theming queued) and go back to the editor; None when the service refused (the caller shows it)."""
    try:
        services.save_codeframe(org=actor.org, definition=definition, actor=actor.user)
    except ServiceError:
        return None
    messages.success(request, done)
    return redirect(_editor_url(actor, key))


@org_page(READ, post_role=MANAGE)
def editor(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "web/settings/codeframe.html", _editor_context(actor))


@require_safe
@org_page(READ)
def progress(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The newest re-theming job's progress; htmx asks every second while it runs. When it has finished, the
    tree (with its counts) comes along as an out-of-band swap."""
    context = _editor_context(actor)
    context["refresh_tree"] = bool(getattr(request, "htmx", False)) and not context["job_active"]
    return render(request, "web/settings/_codeframe_progress.html", context)


def _theme_page(request: HttpRequest, actor: Actor, editing: text_themes.Theme | None) -> HttpResponse:
    definition, _version, codeframe = _codeframe(actor.org)
    language = _language()
    initial = {"parent": request.GET.get("parent", "")} if editing is None else None
    form = forms.ThemeForm(request.POST or None, codeframe=codeframe, language=language, editing=editing,
                           **({"initial": initial} if initial else {}))
    status = 200
    if request.method == "POST":
        built = form.build(definition)
        problems = forms.problems_of(built) if built is not None else []
        if built is not None and not problems:
            label = form.cleaned_data[f"label_{language.replace('-', '_')}"] or form.cleaned_data["slug"]
            done = (_("Theme “%(label)s” saved. The comments are being re-themed.") if editing else
                    _("Theme “%(label)s” added. The comments are being re-themed.")) % {"label": label}
            key = built["themes"][form.index]["key"] if form.index is not None else None
            saved = _save(request, actor, built, done, key)
            if saved is not None:
                return saved
        form.show_problems(problems)
        status = 422
    return render(request, "web/settings/codeframe_theme.html", {
        "org": actor.org, "section": "settings", "tab": "themes", "form": form, "editing": editing,
        "can_manage": True}, status=status)


@org_page(MANAGE)
def add_theme(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _theme_page(request, actor, None)


@org_page(MANAGE)
def edit_theme(request: HttpRequest, actor: Actor) -> HttpResponse:
    if "key" not in request.GET and request.method == "GET":
        return redirect("settings_themes", org=actor.org.slug)  # no theme named: back to the tree
    _definition, _version, codeframe = _codeframe(actor.org)
    theme = codeframe.get(request.GET.get("key", ""))
    if theme is None:
        raise Http404("No such theme.")
    return _theme_page(request, actor, theme)


@require_POST
@org_page(MANAGE)
def delete_theme(request: HttpRequest, actor: Actor) -> HttpResponse:
    definition, _version, codeframe = _codeframe(actor.org)
    theme = codeframe.get(request.POST.get("key", ""))
    if theme is None:
        raise Http404("No such theme.")
    changed = forms.without_theme(definition, theme.key)
    problems = forms.problems_of(changed)
    if not problems:
        label = theme.label.get(_language()) or theme.key
        saved = _save(request, actor, changed, _("Theme “%(label)s” deleted. The comments are being re-themed.")
                      % {"label": label})
        if saved is not None:
            return saved
    errors = [forms.problem_text(p) for p in problems]
    return render(request, "web/settings/codeframe.html", _editor_context(actor, errors=errors), status=422)


@org_page(READ, post_role=MANAGE)
def edit_json(request: HttpRequest, actor: Actor) -> HttpResponse:
    definition, _version = services.codeframe_definition(actor.org)
    form = forms.JsonForm(request.POST or None, initial={"definition": forms.definition_text(definition)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            saved = _save(request, actor, form.cleaned_data["definition"],
                          _("Codeframe saved. The comments are being re-themed."))
            if saved is not None:
                return saved
        status = 422
    return render(request, "web/settings/codeframe_json.html", {
        "org": actor.org, "section": "settings", "tab": "themes", "form": form,
        "can_manage": actor.can(MANAGE)}, status=status)


@require_POST
@org_page(MANAGE)
def restore_default(request: HttpRequest, actor: Actor) -> HttpResponse:
    saved = _save(request, actor, DEFAULT_CODEFRAME,
                  _("The default codeframe is restored. The comments are being re-themed."))
    if saved is None:  # the default always parses; a refusal here is a bug, not bad input
        raise RuntimeError("the default codeframe was refused")
    return saved


# --- discovery -------------------------------------------------------------------------------------------------


def _dismissed(request: HttpRequest, org: Organization) -> list[str]:
    return list(request.session.get(_DISMISSED.format(org=org.pk), []))


@require_safe
@org_page(READ)
def discover(request: HttpRequest, actor: Actor) -> HttpResponse:
    """GET with a period and a scope runs discovery in the request (≈ 1 s for 90 days of the demo)."""
    _definition, _version, codeframe = _codeframe(actor.org)
    language = _language()
    ran = "since" in request.GET
    form = forms.DiscoverForm(request.GET if ran else None, initial=forms.DiscoverForm.defaults())
    result = None
    status = 200
    if ran:
        if form.is_valid():
            d = form.cleaned_data
            result = discovery.discover_themes(actor.org, since=d["since"], until=d["until"], scope=d["scope"],
                                               language=language, dismissed=_dismissed(request, actor.org))
        else:
            status = 400
    return render(request, "web/settings/discover.html", {
        "org": actor.org, "section": "settings", "tab": "themes", "form": form, "result": result,
        "can_manage": actor.can(MANAGE), "query": request.GET.urlencode(),
        "parents": forms.parent_choices(codeframe, language)}, status=status)


@require_POST
@org_page(MANAGE)
def accept(request: HttpRequest, actor: Actor) -> HttpResponse:
    _definition, _version, codeframe = _codeframe(actor.org)
    form = forms.AcceptForm(request.POST, codeframe=codeframe, language=_language())
    if not form.is_valid():
        return render(request, "web/settings/discover_refused.html", {
            "org": actor.org, "section": "settings", "tab": "themes", "form": form}, status=400)
    d = form.cleaned_data
    try:
        key = discovery.accept(org=actor.org, label_terms=d["label_terms"], keywords=d["keywords"],
                               parent=d["parent"] or None, actor=actor.user)
    except ServiceError as exc:
        form.add_error(None, forms.service_error_text(exc.message))
        return render(request, "web/settings/discover_refused.html", {
            "org": actor.org, "section": "settings", "tab": "themes", "form": form}, status=exc.status)
    messages.success(request, _("Theme “%(label)s” (%(key)s) added. The comments are being re-themed.")
                     % {"label": "、".join(d["label_terms"]), "key": key})
    return redirect(_editor_url(actor, key))


@require_POST
@org_page(MANAGE)
def dismiss(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.DismissForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Nothing to dismiss."), status=400, content_type="text/plain; charset=utf-8")
    key = _DISMISSED.format(org=actor.org.pk)
    request.session[key] = [*_dismissed(request, actor.org), form.cleaned_data["signature"]][-200:]
    messages.success(request, _("Suggestion dismissed."))
    query = QueryDict(form.cleaned_data["query"])
    url = reverse("settings_themes_discover", kwargs={"org": actor.org.slug})
    clean = {k: query.get(k, "") for k in ("since", "until", "scope") if k in query}
    return redirect(f"{url}?{urlencode(clean)}" if clean else url)
