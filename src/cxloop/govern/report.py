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
    loop: dict[str, metrics.Estimate] = field(default_factory=dict)  # {sla, closure, rescue}: all teams, in %
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
        # the loop KPIs of all teams (cases counted in the month opened): closure's n is the cases opened
        report.loop = {m: measures.monthly(org, {"kind": "loop", "measure": m, "team": None}, [month])[month]
                       for m in measures.LOOP_MEASURES}
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
            "loop": None if not loop["closure"].n else {
                "opened": loop["closure"].n, **{m: _fmt(e, "%") for m, e in loop.items()}},
        })


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


def send_due(today: date | None = None) -> list[tuple[int, date]]:
    """Send last month's report for every committee whose report day has come this month and that has not had it
    yet (called by the worker's clock, ``surveys.tasks.tick``); returns ``[(org id, month)]``. The month is claimed
    with one conditional UPDATE, so two clocks cannot send it twice; a committee without a member to send to is
    logged and not retried for that month."""
    import logging

    from django.db import transaction
    from django.db.models import Q

    from cxloop.analytics.metrics_service import local_today
    from cxloop.govern.models import Committee

    today = today or local_today()
    month = governance.add_months(services.first_of_month(today), -1)
    due = Committee.objects.filter(report_day__isnull=False, report_day__lte=today.day).filter(
        Q(report_sent_for__isnull=True) | Q(report_sent_for__lt=month)).select_related("org")
    sent: list[tuple[int, date]] = []
    for c in due:
        with transaction.atomic():
            claimed = Committee.objects.filter(pk=c.pk).filter(
                Q(report_sent_for__isnull=True) | Q(report_sent_for__lt=month)).update(report_sent_for=month)
            if not claimed:
                continue
            try:
                send(org=c.org, month=month)
            except services.GovernError as exc:
                logging.getLogger(__name__).warning("governance report %s for org %s not sent: %s", month, c.org_id,
                                                    exc.message)
                continue
        sent.append((c.org_id, month))
    return sent
