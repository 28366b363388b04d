"""The monthly governance report: the KPI scoreboard (the month and the eleven before), the month's top themes,
the journeys' low points, the action plans' status and measured effects, the loop KPIs and the success stories —
as one self-contained HTML page (no external resource: it is also the e-mail's body) and as a PDF rendered from
that page by WeasyPrint (Pango: Chinese needs a CJK font installed, Debian ``fonts-noto-cjk``). In zh-Hans,
zh-Hant or English; e-mailed to the committee (the chair and the seats' heads) with the PDF attached."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from cxloop.analytics import dashboard, themes
from cxloop.cases.kpis import loop_kpis
from cxloop.core import governance, metrics
from cxloop.govern import measures, services, stories
from cxloop.govern.models import ActionPlan, PlanStatus
from cxloop.journeys import live
from cxloop.journeys.models import Journey
from cxloop.orgs.models import Organization, User

LANGUAGES = ("zh-hans", "zh-hant", "en")
STATUS_WORDS = {governance.MET: "met", governance.MISSED: "missed", governance.OPEN: "open",
                governance.NO_DATA: "none"}


@dataclass(frozen=True)
class PlanLine:
    plan: ActionPlan
    measure: str
    effect: governance.Effect | None


@dataclass
class Report:
    org: Organization
    month: date
    language: str
    board: services.Scoreboard
    kpi_rows: list[dict[str, Any]] = field(default_factory=list)
    themes: list[themes.ThemeRow] = field(default_factory=list)
    comments: int = 0
    low_points: list[tuple[str, live.StepLive]] = field(default_factory=list)
    plans: list[PlanLine] = field(default_factory=list)
    loop: Any = None  # cases.kpis.MonthKpis of all teams for the month
    stories: stories.Stories | None = None
    director: Any = None


def month_end(month: date) -> date:
    return governance.add_months(month, 1) - timedelta(days=1)


def build(org: Organization, month: date, language: str = "en") -> Report:
    """Everything the report shows for ``month`` (its first day), computed now."""
    month = services.first_of_month(month)
    last = month_end(month)
    with translation.override(language):
        board = services.scoreboard(org, end=month)
        report = Report(org=org, month=month, language=language, board=board,
                        director=services.director_of(org, month))
        for block in board.teams:
            for r in block.rows:
                unit = measures.unit(r.kpi.measure)
                name = r.kpi.name.get(language) or r.kpi.name.get("en") or next(iter(r.kpi.name.values()), "")
                report.kpi_rows.append({"team": block.team.name, "name": name, "unit": unit,
                                        "target": r.kpi.target, "direction": r.kpi.direction,
                                        "cells": r.cells, "now": r.cells[-1] if r.cells else None})
        f = dashboard.Filters(start=month, end=last)
        found = themes.summary(org, f, language, limit=8)
        report.themes, report.comments = found.rows, found.comments
        for journey in Journey.objects.filter(org=org).order_by("pk"):
            shown = live.live(journey, month, last, language, quotes=0)
            low = live.low_point(shown.steps)
            if low is not None:
                report.low_points.append((shown.label, low))
        for p in services.plans(org):
            if p.status == PlanStatus.CANCELLED:
                continue
            report.plans.append(PlanLine(p, measures.describe(p.measure, language, org) if p.measure else "",
                                         services.plan_effect(p)))
        all_teams = loop_kpis(org, today=last, months=1)
        report.loop = all_teams[0].months[-1] if all_teams and all_teams[0].months else None
        report.stories = stories.success_stories(org, today=last)
    return report


def _fmt(e: metrics.Estimate | None, unit: str) -> str:
    if e is None or e.value is None:
        return "—"
    digits = 0 if unit in ("%", "points") else 2
    text = f"{e.value:.{digits}f}{'%' if unit == '%' else ''}"
    if e.low is not None and e.high is not None:
        text += f" [{e.low:.{digits}f}–{e.high:.{digits}f}]"
    return text


CSS_FILE = Path(__file__).parent / "static" / "cxloop" / "report.css"


def render_html(report: Report, *, css_url: str = "") -> str:
    """The page; its CSS inline (e-mail, PDF) unless ``css_url`` is given (the web page: no inline style)."""
    with translation.override(report.language):
        rows = [{**r, "now_text": _fmt(r["now"].estimate if r["now"] else None, r["unit"]),
                 "now_status": r["now"].status if r["now"] else "",
                 "trend": [{"month": c.month, "status": STATUS_WORDS.get(c.status, "off")} for c in r["cells"]]}
                for r in report.kpi_rows]
        plans = [{"p": line.plan, "measure": line.measure, "verdict": line.effect.verdict if line.effect else "",
                  "before": _fmt(line.effect.before, measures.unit(line.plan.measure)) if line.effect else "",
                  "after": _fmt(line.effect.after, measures.unit(line.plan.measure)) if line.effect else "",
                  "p_value": line.effect.comparison.p_value if line.effect and line.effect.comparison else None}
                 for line in report.plans]
        loop = report.loop
        return render_to_string("govern/report.html", {
            "css": "" if css_url else CSS_FILE.read_text(encoding="utf-8"), "css_url": css_url, "r": report,
            "rows": rows, "plans": plans, "language": report.language,
            "winners": [b.team.name for b in report.board.teams
                        if b.team.pk in report.board.winners.get(report.month, [])],
            "themes": [{"label": t.label, "count": t.count, "share": _fmt(t.share, "%"),
                        "spike": t.spike == report.month} for t in report.themes],
            "lows": [{"journey": j, "step": s.label, "sentiment": _fmt(s.sentiment, ""), "n": s.sentiment.n}
                     for j, s in report.low_points],
            "loop": None if loop is None else {
                "opened": loop.opened, "closure": _fmt(_pct(loop.closure), "%"), "sla": _fmt(_pct(loop.sla), "%"),
                "rescue": _fmt(_pct(loop.rescue), "%")},
        })


def _pct(e: metrics.Estimate) -> metrics.Estimate:
    """A 0..1 Wilson estimate in percent (the loop KPIs)."""
    basis = e.basis
    if isinstance(basis, metrics.Proportion):
        return metrics.wilson(basis.successes, basis.n, e.confidence, scale=100.0)
    return e


def render_pdf(html: str) -> bytes:
    """The report as PDF (WeasyPrint; raises ``RuntimeError`` naming what is missing when Pango is not there)."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Pango libraries are missing
        raise RuntimeError("PDF needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0) and fonts-noto-cjk") from exc
    return bytes(HTML(string=html).write_pdf())


def recipients(org: Organization) -> list[User]:
    """The committee: the chair and each seat's head, once each, those with an e-mail address."""
    c = services.committee(org)
    people = [c.chair] + [s.head for s in c.seats.select_related("head")]
    seen: set[int] = set()
    out = []
    for person in people:
        if person is not None and person.email and person.pk not in seen:
            seen.add(person.pk)
            out.append(person)
    return out


def subject(report: Report) -> str:
    with translation.override(report.language):
        return translation.gettext("CX governance report %(month)s · %(org)s") % {
            "month": report.month.isoformat()[:7], "org": report.org.name}


def send(*, org: Organization, month: date, actor: User | None = None, api_key: Any = None) -> list[str]:
    """Queue the report of ``month`` for every committee member (sent by the worker); returns their addresses."""
    from django.db import transaction

    from cxloop.govern.tasks import send_report
    from cxloop.orgs.services import audit

    month = services.first_of_month(month)
    people = recipients(org)
    if not people:
        raise services.GovernError("committee: no member with an e-mail address to send to", field="committee")
    def queue(user_id: int) -> None:
        send_report.enqueue(org_id=org.pk, month=month.isoformat(), user_id=user_id)

    for person in people:
        transaction.on_commit(partial(queue, person.pk))
    audit("report.sent", org=org, actor=actor, api_key=api_key, target=month.isoformat()[:7],
          to=[p.email for p in people])
    return [p.email for p in people]
