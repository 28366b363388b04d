"""The theme pages (Understand → Themes): every theme of the organisation's codeframe with its volume,
sentiment, NPS / CSAT of the commenters, change and spikes, and one theme's page with its trend, top phrases
and comments with the theme highlighted. Each reads its GET form and calls one ``analytics.themes``
function; a bad parameter shows the form with its error (400)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cxloop.analytics import themes
from cxloop.orgs.access import READ, Actor
from cxloop.web import dashboard_forms as forms
from cxloop.web import plots
from cxloop.web.decorators import org_page


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def _render(request: HttpRequest, template: str, form: forms.ThemeForm, context: dict[str, Any]) -> HttpResponse:
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, "keep": form.keep("page", "sentiment"),
                                      "pager_keep": form.keep("page"), **context},
                  status=status)


@require_safe
@org_page(READ)
def theme_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.ThemeForm(request.GET, org=actor.org)
    context: dict[str, Any] = {"org": actor.org, "section": "themes"}
    if form.is_valid():
        context["data"] = themes.overview(actor.org, form.filters(), _language(request))
    return _render(request, "web/themes/list.html", form, context)


def _trend_chart(detail: themes.Detail) -> plots.Figure:
    points = [plots.Point(m.month.strftime("%Y-%m"), m.share.value, m.share.low, m.share.high, m.comments,
                          bool(m.spike and m.spike.direction == "up"), m.share.too_few) for m in detail.months]
    language = (get_language() or "en").lower()
    return plots.figure(
        plots.trend, points=points,
        title=_("Share of comments about %(theme)s by month, with 95%% intervals") % {"theme": detail.row.label},
        value_label=_("Share of comments"), band_label=_("95%% interval") % {},
        significant_label=_("Spike (99%%)") % {}, few_label=_("Fewer than 30 comments"), bounds=(0.0, 100.0), step=5.0,
        language=language, formatter=lambda v: f"{v:.0f}%")


@require_safe
@org_page(READ)
def theme_detail(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    form = forms.ThemeForm(request.GET, org=actor.org, with_comments=True)
    context: dict[str, Any] = {"org": actor.org, "section": "themes", "key": key}
    if form.is_valid():
        detail = themes.detail(actor.org, key, form.filters(), _language(request),
                               sentiment=form.cleaned_data.get("sentiment") or "",
                               page=form.cleaned_data.get("page") or 1)
        context.update(data=detail, trend_chart=_trend_chart(detail))
    else:
        themes.ensure_theme(actor.org, key)  # an unknown theme is a 404 even with bad filters
    return _render(request, "web/themes/detail.html", form, context)


@require_safe
@org_page(READ)
def theme_summary(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The dashboard's "themes that moved" card (loaded after the page, so it never slows the dashboard)."""
    form = forms.ThemeForm(request.GET, org=actor.org)
    data = themes.summary(actor.org, form.filters(), _language(request)) if form.is_valid() else None
    return render(request, "web/themes/_summary.html", {"org": actor.org, "data": data,
                                                         "keep": form.keep("page", "sentiment")},
                  status=200 if data is not None else 400)
