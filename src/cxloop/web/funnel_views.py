"""Funnel pages: the list, the editor (new / edit / delete: a plain form, steps as rows, event names offered from
the organisation's events) and one funnel's page (the chart — horizontal bars per step with the interval,
conversion, drop-off and median time between steps, drawn here as SVG — the period and segment selectors, the
table of the same numbers and the drop-off by segment). Everyone in the organisation reads; analysts and above
edit. Each view calls one service or query."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cxloop.behaviour import funnels
from cxloop.behaviour.models import Funnel
from cxloop.core import metrics
from cxloop.customers.models import Tier
from cxloop.journeys import queries as journey_queries
from cxloop.journeys.live import label_of
from cxloop.orgs.access import ANALYSE, READ, Actor
from cxloop.segments import queries as segment_queries
from cxloop.web import funnel_forms as forms
from cxloop.web.decorators import org_page

FONTS = '"Noto Sans CJK SC","Noto Sans CJK TC","PingFang SC","Microsoft YaHei",system-ui,sans-serif'
BAR, TRACK, DROP, INK, MUTED = "#2f6fae", "#e6edf5", "#b4562b", "#1f2933", "#5f6b7a"


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def _context(actor: Actor, **more: Any) -> dict[str, Any]:
    return {"org": actor.org, "section": "behaviour", "can_edit": actor.can(ANALYSE), **more}


# --- words for numbers ------------------------------------------------------------------------------------


def duration_text(seconds: float | None) -> str:
    """Seconds in the unit that reads best: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return _("%(n)s s") % {"n": number_format(round(seconds))}
    if seconds < 90 * 60:
        return _("%(n)s min") % {"n": number_format(round(seconds / 60))}
    if seconds < 48 * 3600:
        return _("%(n)s h") % {"n": number_format(round(seconds / 3600, 1))}
    return _("%(n)s d") % {"n": number_format(round(seconds / 86400, 1))}


def pct(value: float | None, decimals: int = 0) -> str:
    return "—" if value is None else f"{number_format(round(100 * value, decimals), decimals)}%"


def count(n: int) -> str:
    return number_format(n, force_grouping=True)


def step_label(step: funnels.StepDef) -> str:
    return step.describe()


# --- the chart --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartRow:
    label: str
    reached: int
    share: float  # of the people who entered, 0..1
    low: float | None  # its interval (from the start)
    high: float | None
    note: str  # what happened since the previous step ("" for the first)
    worst: bool = False


def _text(x: float, y: float, text: str, *, size: int = 13, fill: str = INK, anchor: str = "start",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{escape(text)}</text>')


def _width(text: str) -> float:
    """Rough width in ems: CJK characters one em, others a little over half."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.56 for ch in text)


def _cut(text: str, ems: float) -> str:
    """``text`` shortened to about ``ems`` ems (CJK one em, others a little over half)."""
    width = 0.0
    for i, ch in enumerate(text):
        width += 1.0 if ord(ch) > 0x2E80 else 0.56
        if width > ems:
            return text[: max(1, i - 1)] + "…"
    return text


def funnel_svg(rows: Sequence[ChartRow], *, width: int, title: str) -> tuple[str, int]:
    """Horizontal bars, one per step, as long as the share of the people who entered that reached the step,
    with its 95 % interval as a whisker; between bars what happened since the previous step. On a narrow
    canvas the step's name goes above its bar. Returns (svg text, height)."""
    narrow = width < 560
    label_w = 0 if narrow else 250
    left = 12 + label_w
    bar_w = width - left - (12 if narrow else 150)
    top = 14
    parts: list[str] = []
    y = top
    for i, row in enumerate(rows):
        if row.note:
            lines = [row.note]
            if narrow and _width(row.note) * 12 > width - 24:  # on a phone: the share on one line, the rest below
                first, _sep, rest = row.note.partition(" · ")
                lines = [first, rest]
            for k, line in enumerate(lines):
                parts.append(_text(left + (0 if k == 0 else 12), y + 12, ("↓ " if k == 0 else "") + line, size=12,
                                   fill=DROP if row.worst else MUTED, weight="bold" if row.worst else "normal"))
                y += 17
            y += 3
        if narrow:
            parts.append(_text(12, y + 12, _cut(f"{i + 1}. {row.label}", (width - 24) / 13), size=13, weight="bold"))
            y += 18
        else:
            parts.append(_text(12, y + 20, _cut(f"{i + 1}. {row.label}", label_w / 13.5), size=13, weight="bold"))
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{bar_w}" height="24" rx="3" fill="{TRACK}"/>')
        w = max(0.0, min(1.0, row.share)) * bar_w
        if w > 0:
            parts.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="24" rx="3" '
                         f'fill="{DROP if row.worst else BAR}"/>')
        if row.low is not None and row.high is not None and i:
            x1, x2 = left + row.low * bar_w, left + row.high * bar_w
            parts.append(f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y + 16}" y2="{y + 16}" stroke="{INK}" '
                         f'stroke-width="2"/>')
            for x in (x1, x2):
                parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 10}" y2="{y + 22}" stroke="{INK}" '
                             f'stroke-width="2"/>')
        figure = f"{count(row.reached)} · {pct(row.share, 1)}"
        if narrow:  # inside the bar from its start when it is long, else after the bar and its whisker
            inside = w > bar_w * 0.6
            after = max(w, (row.high or 0.0) * bar_w if i else w)
            parts.append(_text(left + 6 if inside else left + after + 6, y + 21, figure, size=12,
                               fill="#ffffff" if inside else INK))
        else:
            parts.append(_text(left + bar_w + 8, y + 21, figure, size=13))
        y += 38
    height = int(y + 8)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family=\'{FONTS}\' role="img"><title>{escape(title)}</title>'
           f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(parts)}</svg>')
    return svg, height


def _uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def chart_rows(result: funnels.FunnelResult) -> list[ChartRow]:
    worst = result.biggest_drop
    rows = []
    for step, fig in zip(result.steps, result.figures, strict=True):
        note = ""
        if fig.index and fig.from_previous is not None:
            p = fig.from_previous
            parts = [_("%(p)s went on") % {"p": pct(p.value)}]
            if p.low is not None and p.high is not None:
                parts[0] += f" [{pct(p.low)}–{pct(p.high)}]"
            parts.append(_("%(n)s dropped") % {"n": count(fig.dropped)})
            if fig.time_from_previous is not None and fig.time_from_previous.value is not None:
                parts.append(_("median %(t)s") % {"t": duration_text(fig.time_from_previous.value)})
            note = " · ".join(parts)
        start = fig.from_start
        entered = result.entered
        rows.append(ChartRow(label=step_label(step), reached=fig.reached,
                             share=(fig.reached / entered) if entered else 0.0,
                             low=start.low if start else None, high=start.high if start else None, note=note,
                             worst=worst is not None and worst.index == fig.index and fig.dropped > 0))
    return rows


# --- the list ----------------------------------------------------------------------------------------------


@require_safe
@org_page(READ)
def funnel_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    language = _language(request)
    items = []
    for f in funnels.funnels(actor.org):
        if f.journey_id is not None and f.journey is not None:
            shape = _("Stages of the journey %(name)s") % {"name": label_of(f.journey.name, language)}
        else:
            shape = " → ".join(s.get("event", "") for s in f.steps)
        items.append((f, label_of(f.name, language), shape))
    journeys = [(j, label_of(j.name, language)) for j in journey_queries.journeys(actor.org)]
    return render(request, "web/funnels/list.html", _context(actor, items=items, journeys=journeys))


# --- the editor --------------------------------------------------------------------------------------------


def _editor(request: HttpRequest, actor: Actor, funnel: Funnel | None) -> HttpResponse:
    language = _language(request)
    journeys = [(j.pk, label_of(j.name, language)) for j in journey_queries.journeys(actor.org)]
    data = request.POST if request.method == "POST" else None
    filled = len(funnel.steps) if funnel is not None else 0
    rows = int(request.POST.get("rows", 0) or 0) if data is not None else filled + forms.ROWS_SHOWN
    rows = max(rows, filled, funnels.MIN_STEPS + 1)
    if data is not None and "more" in data:
        rows += 2
    initial = forms.FunnelForm.initial_for(funnel) if funnel is not None else {}
    form = forms.FunnelForm(data, org=actor.org, journeys=journeys, rows=rows, initial=initial)
    status = 200
    if data is not None and "more" not in data:
        if form.is_valid():
            journey = None
            if form.cleaned_data["kind"] == "journey":
                journey = journey_queries.journey(actor.org, form.cleaned_data["journey"])
            try:
                saved = funnels.save_funnel(org=actor.org, funnel=funnel, name=form.names(), steps=form.steps(),
                                            window_days=form.cleaned_data["window_days"], journey=journey,
                                            actor=actor.user)
            except funnels.FunnelError as exc:
                form.add_funnel_error(exc)
            else:
                messages.success(request, _("Funnel saved."))
                return redirect("funnel_detail", org=actor.org.slug, funnel_id=saved.pk)
        status = 422
    names = funnels.event_names(actor.org)
    return render(request, "web/funnels/edit.html",
                  _context(actor, form=form, funnel=funnel, event_names=names,
                           label=label_of(funnel.name, language) if funnel else ""), status=status)


@org_page(ANALYSE)
def funnel_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _editor(request, actor, None)


@org_page(ANALYSE)
def funnel_edit(request: HttpRequest, actor: Actor, funnel_id: int) -> HttpResponse:
    return _editor(request, actor, funnels.funnel(actor.org, funnel_id))


@require_POST
@org_page(ANALYSE)
def funnel_delete(request: HttpRequest, actor: Actor, funnel_id: int) -> HttpResponse:
    funnels.delete_funnel(funnel=funnels.funnel(actor.org, funnel_id), actor=actor.user)
    messages.success(request, _("Funnel deleted."))
    return redirect("funnels", org=actor.org.slug)


# --- one funnel --------------------------------------------------------------------------------------------


def group_label(key: Any, grouping: funnels.Grouping, language: str) -> str:
    if key == funnels.MEMBERS:
        return _("Members of %(segment)s") % {"segment": grouping.segment.label(language)}
    if key == funnels.REST:
        return _("Everyone else")
    if key == funnels.NONE:
        return _("Unknown (anonymous, no account or no value)")
    if key == funnels.OTHER:
        return _("Other values")
    if grouping.kind == "tier":
        return str(dict(Tier.choices).get(key, key))
    return str(key)


def _grouping(actor: Actor, form: forms.ResultForm) -> funnels.Grouping | None:
    data = form.cleaned_data
    if data.get("segment"):
        return funnels.Grouping("segment", segment_queries.segment(actor.org, data["segment"]))
    if data.get("group") == "tier":
        return funnels.Grouping("tier")
    if data.get("group") == "attribute":
        return funnels.Grouping("attribute", key=data["attribute"].strip())
    return None


@require_safe
@org_page(READ)
def funnel_detail(request: HttpRequest, actor: Actor, funnel_id: int) -> HttpResponse:
    funnel = funnels.funnel(actor.org, funnel_id)
    language = _language(request)
    form = forms.ResultForm(request.GET, segments=segment_queries.segment_choices(actor.org, language))
    label = label_of(funnel.name, language)
    context = _context(actor, funnel=funnel, label=label, form=form)
    if not form.is_valid():
        return render(request, "web/funnels/detail.html", context, status=400)
    steps = funnels.steps_of(funnel, language)
    if len(steps) < funnels.MIN_STEPS:
        context["no_steps"] = True
        return render(request, "web/funnels/detail.html", context)
    start, end = form.period()
    result = funnels.compute(actor.org, steps, start, end, window_days=funnel.window_days,
                             grouping=_grouping(actor, form))
    rows = chart_rows(result)
    title = _("%(name)s: people who reached each step, %(start)s – %(end)s") % {
        "name": label, "start": start.isoformat(), "end": end.isoformat()}
    wide, wide_h = funnel_svg(rows, width=880, title=title)
    narrow, narrow_h = funnel_svg(rows, width=360, title=title)
    table = []
    for step, fig in zip(result.steps, result.figures, strict=True):
        t = fig.time_from_previous
        table.append({"index": fig.index + 1, "label": step_label(step), "reached": count(fig.reached),
                      "dropped": count(fig.dropped) if fig.index else "",
                      "from_previous": estimate_text(fig.from_previous) if fig.index else "",
                      "from_start": estimate_text(fig.from_start) if fig.index else "",
                      "time": duration_text(t.value) if t is not None and t.value is not None else "",
                      "time_ci": (f"{duration_text(t.low)}–{duration_text(t.high)}"
                                  if t is not None and t.low is not None and t.high is not None else ""),
                      "worst": result.biggest_drop is not None and result.biggest_drop.index == fig.index
                      and fig.dropped > 0})
    groups = []
    if result.grouping is not None:
        for row in result.groups:
            cells = [_cell(row.from_previous[i], row.vs_rest[i]) for i in range(1, len(result.steps))]
            groups.append({"label": group_label(row.key, result.grouping, language), "entered": count(row.reached[0]),
                           "cells": cells, "overall": _cell(row.overall, row.overall_vs_rest)})
    context.update(result=result, table=table, groups=groups, chart={
        "wide": {"uri": _uri(wide), "width": 880, "height": wide_h},
        "narrow": {"uri": _uri(narrow), "width": 360, "height": narrow_h}, "alt": title},
        step_labels=[step_label(s) for s in result.steps[1:]], entered=count(result.entered),
        overall_value=pct(result.overall.value, 1) if result.entered else "—",
        overall_ci=(f"{pct(result.overall.low, 1)}–{pct(result.overall.high, 1)}"
                    if result.entered and result.overall.low is not None and result.overall.high is not None else ""))
    worst = result.biggest_drop
    if worst is not None and worst.dropped and worst.from_previous is not None:
        context["worst"] = {"went_on": pct(worst.from_previous.value, 1), "dropped": count(worst.dropped),
                            "label": f"{worst.index + 1}. {step_label(result.steps[worst.index])}"}
    return render(request, "web/funnels/detail.html", context)


def _cell(rate: metrics.Estimate | None, test: metrics.Comparison | None) -> dict[str, Any]:
    """A group's conversion and its difference from everyone else (percentage points, p-value)."""
    out: dict[str, Any] = {"rate": estimate_text(rate), "n": rate.n if rate is not None else 0,
                           "diff": "", "p": "", "significant": False, "up": False}
    if test is not None and test.difference is not None and test.p_value is not None:
        out["diff"] = f"{test.difference:+.1f}"
        out["p"] = "p < 0.001" if test.p_value < 0.001 else f"p = {test.p_value:.3f}"
        out["significant"] = test.significant
        out["up"] = test.difference > 0
    return out


def estimate_text(e: metrics.Estimate | None) -> str:
    if e is None or e.value is None:
        return "—"
    if e.low is None or e.high is None:
        return pct(e.value, 1)
    return f"{pct(e.value, 1)} [{pct(e.low, 1)}–{pct(e.high, 1)}]"


# --- the journey map's band --------------------------------------------------------------------------------


def band_svg(band: Any, *, narrow: bool, title: str) -> tuple[str, int, int]:
    """The stages as boxes (people who reached each) with the share who went on between them: in a row, or
    (narrow) in a column. Returns (svg text, width, height)."""
    stages = band.stages
    parts: list[str] = []
    if narrow:
        width, box_h, gap = 300, 44, 30  # fits a phone's card (390 px screen)
        y = 6
        for s in stages:
            parts.append(f'<rect x="6" y="{y}" width="{width - 12}" height="{box_h}" rx="6" fill="{TRACK}"/>')
            parts.append(_text(16, y + 27, _cut(s.label, 13), size=13, weight="bold"))
            parts.append(_text(width - 16, y + 27, _("%(n)s people") % {"n": count(s.reached)}, size=12,
                               anchor="end", fill=MUTED))
            y += box_h
            if s.went_on is not None:
                parts.append(_text(24, y + 20, "↓ " + _("%(p)s went on") % {"p": pct(s.went_on.value)}
                                   + (f" [{pct(s.went_on.low)}–{pct(s.went_on.high)}]"
                                      if s.went_on.low is not None and s.went_on.high is not None else ""),
                                   size=12, fill=BAR, weight="bold"))
                y += gap
        height = y + 6
    else:
        box_w, arrow_w, box_h = 150, 92, 56
        width = len(stages) * box_w + (len(stages) - 1) * arrow_w + 12
        height = box_h + 12
        x = 6
        for s in stages:
            parts.append(f'<rect x="{x}" y="6" width="{box_w}" height="{box_h}" rx="6" fill="{TRACK}"/>')
            parts.append(_text(x + box_w / 2, 28, _cut(s.label, 10.5), size=13, anchor="middle", weight="bold"))
            parts.append(_text(x + box_w / 2, 48, _("%(n)s people") % {"n": count(s.reached)}, size=12,
                               anchor="middle", fill=MUTED))
            x += box_w
            if s.went_on is not None:
                mid = x + arrow_w / 2
                parts.append(f'<line x1="{x + 6}" x2="{x + arrow_w - 10}" y1="34" y2="34" stroke="{BAR}" '
                             f'stroke-width="2"/><path d="M{x + arrow_w - 10},29 L{x + arrow_w - 4},34 '
                             f'L{x + arrow_w - 10},39 Z" fill="{BAR}"/>')
                parts.append(_text(mid, 26, pct(s.went_on.value), size=14, anchor="middle", fill=BAR, weight="bold"))
                if s.went_on.low is not None and s.went_on.high is not None:
                    parts.append(_text(mid, 52, f"{pct(s.went_on.low)}–{pct(s.went_on.high)}", size=11,
                                       anchor="middle", fill=MUTED))
                x += arrow_w
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family=\'{FONTS}\' role="img"><title>{escape(title)}</title>'
           f'<rect width="100%" height="100%" fill="#ffffff"/>{"".join(parts)}</svg>')
    return svg, width, height


def band_figure(band: Any, title: str) -> dict[str, Any]:
    wide, w_width, w_height = band_svg(band, narrow=False, title=title)
    narrow, n_width, n_height = band_svg(band, narrow=True, title=title)
    return {"wide": {"uri": _uri(wide), "width": w_width, "height": w_height},
            "narrow": {"uri": _uri(narrow), "width": n_width, "height": n_height}, "alt": title,
            "rows": [{"label": s.label, "reached": count(s.reached),
                      "went_on": estimate_text(s.went_on) if s.went_on is not None else ""} for s in band.stages]}
