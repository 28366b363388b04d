"""Govern services: the committee and its rotation, meetings, department KPIs and their scoreboard, action plans
with their measured effect, success stories. Every write is audit-logged; every number is computed from data
(``govern.measures`` → ``core.metrics``) when it is asked for — no actual is stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import get_language, gettext

from cxloop.analytics.metrics_service import local_today
from cxloop.core import governance, metrics, names
from cxloop.govern import measures
from cxloop.govern.models import (
    ActionPlan,
    Committee,
    Direction,
    DirectorMonth,
    Kpi,
    Meeting,
    PlanSource,
    PlanStatus,
    PlanTask,
    Seat,
)
from cxloop.orgs.models import Membership, Organization, Team, User
from cxloop.orgs.services import ServiceError, audit

MAX_TITLE = 200
MAX_TEXT = 10_000
SCOREBOARD_MONTHS = 12


class GovernError(ServiceError):
    def __init__(self, message: str, *, field: str = "", status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


def first_of_month(day: date) -> date:
    return date(day.year, day.month, 1)


def parse_month(raw: Any, field: str) -> date:
    """A month as ``YYYY-MM`` (or a date / ``YYYY-MM-DD``, read as its month)."""
    if isinstance(raw, date):
        return first_of_month(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise GovernError(f"{field}: give a month as YYYY-MM", field=field)
    text = raw.strip()
    try:
        day = date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError as exc:
        raise GovernError(f"{field}: give a month as YYYY-MM", field=field) from exc
    return first_of_month(day)


def _optional_month(raw: Any, field: str) -> date | None:
    return None if raw in (None, "") else parse_month(raw, field)


def _text(raw: Any, field: str, limit: int, *, required: bool = False) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise GovernError(f"{field}: must be text", field=field)
    text = raw.strip()
    if required and not text:
        raise GovernError(f"{field}: is required", field=field)
    if len(text) > limit:
        raise GovernError(f"{field}: at most {limit:,} characters", field=field)
    return text


def _names(raw: Any, field: str = "name") -> dict[str, str]:
    try:
        return names.clean_names(raw, field, max_length=MAX_TITLE)
    except names.BadName as bad:
        raise GovernError(str(bad), field=bad.field) from bad


def _team(org: Organization, raw: Any, field: str) -> Team:
    try:
        return Team.objects.get(org=org, pk=int(raw))
    except (TypeError, ValueError, Team.DoesNotExist) as exc:
        raise GovernError(f"{field}: no such team", field=field, status=404) from exc


def _member(org: Organization, raw: Any, field: str) -> User | None:
    if raw in (None, ""):
        return None
    try:
        return Membership.objects.select_related("user").get(org=org, user_id=int(raw)).user
    except (TypeError, ValueError, Membership.DoesNotExist) as exc:
        raise GovernError(f"{field}: not a member of this organisation", field=field, status=404) from exc


def _direction(raw: Any, field: str, default: str) -> str:
    value = default if raw in (None, "") else raw
    if value not in Direction.values:
        raise GovernError(f"{field}: use higher or lower", field=field)
    return str(value)


# --- committee and rotation ------------------------------------------------------------------------------------


def committee(org: Organization) -> Committee:
    """The organisation's committee (created empty on first use)."""
    found, _ = Committee.objects.get_or_create(org=org, defaults={"name": {"zh-hans": "客户体验委员会",
                                                                            "zh-hant": "客戶體驗委員會",
                                                                            "en": "CX committee"}})
    return found


KEEP: Any = object()  # "not given" where None means something (report_day None: not scheduled)
REPORT_DAYS = range(1, 29)


def _report_day(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        day = int(raw) if not isinstance(raw, float) or raw.is_integer() else 0
    except (TypeError, ValueError):
        day = 0
    if isinstance(raw, bool) or day not in REPORT_DAYS:
        raise GovernError("report_day: give a day of the month from 1 to 28, or none", field="report_day")
    return day


@transaction.atomic
def set_committee(*, org: Organization, chair: Any = None, seats: Any = None, name: Any = None,
                  report_day: Any = KEEP, actor: User | None = None, api_key: Any = None) -> Committee:
    """The chair, and the seats as ``[{team, head}]`` in rotation order (head: a member; default the team's
    lead). Seats not listed are removed; the schedule of months already generated is kept. ``report_day``: the
    day of the month the last month's report is e-mailed to the committee (None: only when someone sends it)."""
    c = committee(org)
    if name is not None:
        c.name = _names(name)
    if chair is not None:
        c.chair = _member(org, chair, "chair")
    if report_day is not KEEP:
        c.report_day = _report_day(report_day)
    c.save()
    if seats is not None:
        if not isinstance(seats, list):
            raise GovernError("seats: give a list of {team, head}", field="seats")
        keep: list[int] = []
        for i, raw in enumerate(seats):
            where = f"seats[{i}]"
            if not isinstance(raw, Mapping):
                raise GovernError(f"{where}: give {{team, head}}", field=where)
            team = _team(org, raw.get("team"), f"{where}.team")
            if team.pk in keep:
                raise GovernError(f"{where}.team: listed twice", field=f"{where}.team")
            head = _member(org, raw.get("head"), f"{where}.head") if raw.get("head") else team.lead
            Seat.objects.update_or_create(committee=c, team=team, defaults={"head": head, "position": i})
            keep.append(team.pk)
        Seat.objects.filter(committee=c).exclude(team_id__in=keep).delete()
    audit("committee.updated", org=org, actor=actor, api_key=api_key, target="committee",
          chair=c.chair_id, seats=[s.team_id for s in c.seats.all()], report_day=c.report_day)
    return c


@transaction.atomic
def generate_rotation(*, org: Organization, start: Any, months: Any = 12, actor: User | None = None,
                      api_key: Any = None) -> list[DirectorMonth]:
    """Fill ``months`` months from ``start`` with directors so that every seat's head serves once before anyone
    serves again, continuing the round of the months before ``start``. Months already in the schedule from
    ``start`` on are replaced unless they were edited by hand."""
    c = committee(org)
    first = parse_month(start, "start")
    try:
        count = int(months)
    except (TypeError, ValueError) as exc:
        raise GovernError("months: give a whole number of months (1–36)", field="months") from exc
    if not 1 <= count <= 36:
        raise GovernError("months: give a whole number of months (1–36)", field="months")
    seats = list(c.seats.select_related("team"))
    if not seats:
        raise GovernError("seats: add the departments to the committee first", field="seats")
    order = [s.team_id for s in seats]
    by_team = {s.team_id: s for s in seats}
    served = list(DirectorMonth.objects.filter(committee=c, month__lt=first).order_by("month")
                  .values_list("team_id", flat=True))
    kept = {m.month: m for m in DirectorMonth.objects.filter(committee=c, month__gte=first, edited=True)}
    out: list[DirectorMonth] = []
    history = list(served)
    for month in (governance.add_months(first, i) for i in range(count)):
        if month in kept:  # a hand edit stands; the rotation goes on around it
            history.append(kept[month].team_id)
            out.append(kept[month])
            continue
        team_id = governance.rotation(order, month, 1, history)[0][1]
        row, _ = DirectorMonth.objects.update_or_create(
            committee=c, month=month, defaults={"team_id": team_id, "director": by_team[team_id].head,
                                                "edited": False})
        history.append(team_id)
        out.append(row)
    audit("committee.rotation_generated", org=org, actor=actor, api_key=api_key, target=first.isoformat(),
          months=count)
    return out


@transaction.atomic
def edit_month(*, org: Organization, month: Any, team: Any, director: Any = None, actor: User | None = None,
               api_key: Any = None) -> DirectorMonth:
    """Put another department (and head) on a month, e.g. a swap for a holiday; audit-logged with before and
    after."""
    c = committee(org)
    first = parse_month(month, "month")
    new_team = _team(org, team, "team")
    seat = Seat.objects.filter(committee=c, team=new_team).first()
    if seat is None:
        raise GovernError("team: this department has no seat on the committee", field="team")
    person = _member(org, director, "director") if director not in (None, "") else seat.head
    row = DirectorMonth.objects.filter(committee=c, month=first).first()
    before = {"team": row.team_id, "director": row.director_id} if row else None
    if row is None:
        row = DirectorMonth(committee=c, month=first)
    row.team, row.director, row.edited = new_team, person, True
    row.save()
    audit("committee.director_changed", org=org, actor=actor, api_key=api_key, target=first.isoformat()[:7],
          before=before, after={"team": new_team.pk, "director": person.pk if person else None})
    return row


def schedule(org: Organization, start: date | None = None, months: int = 12) -> list[DirectorMonth]:
    c = committee(org)
    qs = DirectorMonth.objects.filter(committee=c).select_related("team", "director")
    if start is not None:
        qs = qs.filter(month__gte=first_of_month(start), month__lt=governance.add_months(first_of_month(start),
                                                                                          months))
    return list(qs)


def director_month(org: Organization, row_id: Any) -> DirectorMonth:
    try:
        return DirectorMonth.objects.select_related("team", "director").get(committee__org=org, pk=int(row_id))
    except (TypeError, ValueError, DirectorMonth.DoesNotExist) as exc:
        raise GovernError("rotation: no such month in the schedule", field="rotation", status=404) from exc


def director_of(org: Organization, month: date) -> DirectorMonth | None:
    return (DirectorMonth.objects.filter(committee__org=org, month=first_of_month(month))
            .select_related("team", "director").first())


# --- meetings --------------------------------------------------------------------------------------------------


def _decisions(org: Organization, raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise GovernError("decisions: give a list of {text, plan}", field="decisions")
    out = []
    for i, item in enumerate(raw):
        where = f"decisions[{i}]"
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, Mapping):
            raise GovernError(f"{where}: give {{text, plan}}", field=where)
        plan_id = item.get("plan")
        if plan_id not in (None, ""):
            plan_id = plan(org, plan_id).pk
        out.append({"text": _text(item.get("text"), f"{where}.text", 1000, required=True), "plan": plan_id or None})
    return out


@transaction.atomic
def save_meeting(*, org: Organization, held_on: Any, title: Any, agenda: Any = "", decisions: Any = None,
                 notes: Any = "", plans: Any = None, meeting: Meeting | None = None, actor: User | None = None,
                 api_key: Any = None) -> Meeting:
    c = committee(org)
    try:
        day = held_on if isinstance(held_on, date) else date.fromisoformat(str(held_on))
    except ValueError as exc:
        raise GovernError("held_on: give a date as YYYY-MM-DD", field="held_on") from exc
    m = meeting or Meeting(committee=c, created_by=actor)
    if m.committee_id != c.pk:
        raise GovernError("meeting: not found", field="meeting", status=404)
    m.held_on = day
    m.title = _text(title, "title", MAX_TITLE, required=True)
    m.agenda = _text(agenda, "agenda", MAX_TEXT)
    m.notes = _text(notes, "notes", MAX_TEXT)
    m.decisions = _decisions(org, decisions)
    m.save()
    if plans is not None:
        if not isinstance(plans, list):
            raise GovernError("plans: give a list of plan ids", field="plans")
        m.plans.set([plan(org, p).pk for p in plans])
    audit("committee.meeting_saved", org=org, actor=actor, api_key=api_key, target=str(m.pk), title=m.title)
    return m


def meetings(org: Organization) -> list[Meeting]:
    return list(Meeting.objects.filter(committee__org=org).prefetch_related("plans"))


def meeting(org: Organization, meeting_id: Any) -> Meeting:
    try:
        return Meeting.objects.get(committee__org=org, pk=int(meeting_id))
    except (TypeError, ValueError, Meeting.DoesNotExist) as exc:
        raise GovernError("meeting: not found", field="meeting", status=404) from exc


# --- KPIs and the scoreboard -----------------------------------------------------------------------------------


@transaction.atomic
def save_kpi(*, org: Organization, team: Any, name: Any, measure: Any, target: Any, direction: Any = None,
             since: Any = None, until: Any = None, kpi: Kpi | None = None, actor: User | None = None,
             api_key: Any = None) -> Kpi:
    spec = measures.clean_measure(org, measure)
    try:
        goal = float(target)
    except (TypeError, ValueError) as exc:
        raise GovernError("target: give a number", field="target") from exc
    if goal != goal or goal in (float("inf"), float("-inf")):
        raise GovernError("target: give a number", field="target")
    k = kpi or Kpi(org=org, created_by=actor)
    if k.org_id != org.pk:
        raise GovernError("kpi: not found", field="kpi", status=404)
    k.team = _team(org, team, "team")
    k.name = _names(name)
    k.measure = spec
    k.target = goal
    k.direction = _direction(direction, "direction", measures.default_direction(spec))
    k.since = parse_month(since, "since") if since not in (None, "") else (k.since or first_of_month(local_today()))
    k.until = _optional_month(until, "until")
    if k.until is not None and k.until < k.since:
        raise GovernError("until: must not be before since", field="until")
    k.save()
    audit("kpi.saved", org=org, actor=actor, api_key=api_key, target=str(k.pk), team=k.team_id, measure=spec,
          goal=goal)
    return k


def kpis(org: Organization, team_id: int | None = None) -> list[Kpi]:
    qs = Kpi.objects.filter(org=org).select_related("team")
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return list(qs)


def kpi(org: Organization, kpi_id: Any) -> Kpi:
    try:
        return Kpi.objects.select_related("team").get(org=org, pk=int(kpi_id))
    except (TypeError, ValueError, Kpi.DoesNotExist) as exc:
        raise GovernError("kpi: not found", field="kpi", status=404) from exc


def delete_kpi(*, kpi: Kpi, actor: User | None = None, api_key: Any = None) -> None:
    audit("kpi.deleted", org=kpi.org, actor=actor, api_key=api_key, target=str(kpi.pk))
    kpi.delete()


@dataclass(frozen=True)
class Cell:
    month: date
    estimate: metrics.Estimate | None  # None: the KPI does not count this month
    status: str  # governance status, or "" when the month is outside the KPI's months


@dataclass(frozen=True)
class KpiRow:
    kpi: Kpi
    cells: list[Cell]


@dataclass
class TeamBlock:
    team: Team
    rows: list[KpiRow] = field(default_factory=list)

    def met(self, month: date) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.month == month and c.status == governance.MET)


@dataclass(frozen=True)
class Scoreboard:
    months: list[date]
    teams: list[TeamBlock]
    winners: dict[date, list[int]]  # month → team ids with the most KPIs met


def scoreboard(org: Organization, *, end: date | None = None, months: int = SCOREBOARD_MONTHS,
               team_id: int | None = None) -> Scoreboard:
    """Every KPI's actual per month for ``months`` months up to ``end`` (default: this month), its status against
    the target, and each month's winning departments."""
    last = first_of_month(end or local_today())
    span = [governance.add_months(last, -i) for i in range(months - 1, -1, -1)]
    blocks: dict[int, TeamBlock] = {}
    for k in kpis(org, team_id):
        active = [m for m in span if m >= k.since and (k.until is None or m <= k.until)]
        values = measures.monthly(org, k.measure, active) if active else {}
        cells = []
        for m in span:
            if m not in values:
                cells.append(Cell(m, None, ""))
                continue
            est = values[m]
            cells.append(Cell(m, est, governance.status(est, k.target, k.direction)))
        blocks.setdefault(k.team_id, TeamBlock(k.team)).rows.append(KpiRow(k, cells))
    teams = sorted(blocks.values(), key=lambda b: b.team.name)
    winners = {m: governance.winners({b.team.pk: [c.status for r in b.rows for c in r.cells if c.month == m]
                                      for b in teams}) for m in span}
    return Scoreboard(span, teams, winners)


# --- action plans ----------------------------------------------------------------------------------------------


def plans(org: Organization, status: str | None = None) -> list[ActionPlan]:
    qs = ActionPlan.objects.filter(org=org).select_related("owner_team", "owner", "touchpoint")
    if status:
        qs = qs.filter(status=status)
    return list(qs)


def plan(org: Organization, plan_id: Any) -> ActionPlan:
    try:
        return ActionPlan.objects.select_related("owner_team", "owner", "touchpoint", "step").get(
            org=org, pk=int(plan_id))
    except (TypeError, ValueError, ActionPlan.DoesNotExist) as exc:
        raise GovernError("plan: not found", field="plan", status=404) from exc


_PLAN_FIELDS = ("title", "problem", "touchpoint", "step", "theme", "cases", "measure", "direction", "baseline_from",
                "baseline_to", "after_from", "after_to", "owner_team", "owner", "due", "status", "story", "tasks")


def _window(data: Mapping[str, Any], p: ActionPlan, a: str, b: str) -> tuple[date | None, date | None]:
    lo = _optional_month(data[a], a) if a in data else getattr(p, a)
    hi = _optional_month(data[b], b) if b in data else getattr(p, b)
    if (lo is None) != (hi is None):
        raise GovernError(f"{b}: give both ends of the window (months)", field=b if hi is None else a)
    if lo is not None and hi is not None and hi < lo:
        raise GovernError(f"{b}: must not be before {a}", field=b)
    return lo, hi


@transaction.atomic
def save_plan(*, org: Organization, data: Mapping[str, Any], p: ActionPlan | None = None,
              source: str = PlanSource.MANUAL, actor: User | None = None, api_key: Any = None) -> ActionPlan:
    """Create (``p`` None) or change a plan from a mapping of its fields; only the keys given change."""
    from cxloop.cases.models import Case
    from cxloop.journeys.models import Step, Touchpoint

    unknown = sorted(set(data) - set(_PLAN_FIELDS))
    if unknown:
        raise GovernError(f"{unknown[0]}: unknown field", field=unknown[0])
    creating = p is None
    if p is None:
        p = ActionPlan(org=org, source=source, created_by=actor)
    elif p.org_id != org.pk:
        raise GovernError("plan: not found", field="plan", status=404)
    if creating or "title" in data:
        p.title = _text(data.get("title"), "title", MAX_TITLE, required=True)
    if "problem" in data:
        p.problem = _text(data["problem"], "problem", MAX_TEXT)
    if "story" in data:
        p.story = _text(data["story"], "story", MAX_TEXT)
    if "theme" in data:
        p.theme = _text(data["theme"], "theme", 120)
    if "touchpoint" in data:
        raw = data["touchpoint"]
        p.touchpoint = None
        if raw not in (None, ""):
            p.touchpoint = Touchpoint.objects.filter(org=org, key=str(raw)).first()
            if p.touchpoint is None:
                raise GovernError("touchpoint: no touchpoint has this key", field="touchpoint", status=404)
    if "step" in data:
        raw = data["step"]
        p.step = None
        if raw not in (None, ""):
            try:
                p.step = Step.objects.select_related("touchpoint").get(stage__journey__org=org, pk=int(raw))
            except (TypeError, ValueError, Step.DoesNotExist) as exc:
                raise GovernError("step: not found", field="step", status=404) from exc
    if "measure" in data:
        p.measure = measures.clean_measure(org, data["measure"]) if data["measure"] else {}
    if "direction" in data or creating or "measure" in data:
        default = measures.default_direction(p.measure) if p.measure else Direction.HIGHER
        p.direction = _direction(data.get("direction"), "direction", default)
    p.baseline_from, p.baseline_to = _window(data, p, "baseline_from", "baseline_to")
    p.after_from, p.after_to = _window(data, p, "after_from", "after_to")
    if "owner_team" in data:
        p.owner_team = _team(org, data["owner_team"], "owner_team") if data["owner_team"] not in (None, "") \
            else None
    if "owner" in data:
        p.owner = _member(org, data["owner"], "owner")
    if "due" in data:
        raw = data["due"]
        try:
            p.due = None if raw in (None, "") else (raw if isinstance(raw, date) else date.fromisoformat(str(raw)))
        except ValueError as exc:
            raise GovernError("due: give a date as YYYY-MM-DD", field="due") from exc
    if "status" in data:
        if data["status"] not in PlanStatus.values:
            raise GovernError(f"status: use one of {', '.join(PlanStatus.values)}", field="status")
        p.status = str(data["status"])
    if creating:
        p.number = (ActionPlan.objects.select_for_update().filter(org=org).aggregate(n=Max("number"))["n"] or 0) + 1
    p.updated_at = timezone.now()
    p.save()
    if "cases" in data:
        raw_cases = data["cases"] or []
        if not isinstance(raw_cases, list):
            raise GovernError("cases: give a list of case numbers", field="cases")
        found = list(Case.objects.filter(org=org, number__in=[_int(c, "cases") for c in raw_cases]))
        if len(found) != len(set(raw_cases)):
            raise GovernError("cases: a case number was not found", field="cases", status=404)
        p.cases.set(found)
    if "tasks" in data:
        _set_tasks(org, p, data["tasks"])
    audit("plan.created" if creating else "plan.updated", org=org, actor=actor, api_key=api_key,
          target=f"AP-{p.number}", fields=sorted(data))
    return p


def _int(raw: Any, field: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise GovernError(f"{field}: give whole numbers", field=field) from exc


def _set_tasks(org: Organization, p: ActionPlan, raw: Any) -> None:
    if not isinstance(raw, list):
        raise GovernError("tasks: give a list of {title, assignee, due, done}", field="tasks")
    PlanTask.objects.filter(plan=p).delete()
    for i, item in enumerate(raw):
        where = f"tasks[{i}]"
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, Mapping):
            raise GovernError(f"{where}: give {{title, assignee, due, done}}", field=where)
        due = item.get("due")
        try:
            due_day = None if due in (None, "") else date.fromisoformat(str(due))
        except ValueError as exc:
            raise GovernError(f"{where}.due: give a date as YYYY-MM-DD", field=f"{where}.due") from exc
        PlanTask.objects.create(plan=p, title=_text(item.get("title"), f"{where}.title", MAX_TITLE, required=True),
                                assignee=_member(org, item.get("assignee"), f"{where}.assignee"), due=due_day,
                                done=bool(item.get("done")), position=i)


def plan_effect(p: ActionPlan, confidence: float = 0.95) -> governance.Effect | None:
    """The plan's measured effect: its measure over the after window against the baseline window."""
    if not p.measure or None in (p.baseline_from, p.baseline_to, p.after_from, p.after_to):
        return None
    assert p.baseline_from and p.baseline_to and p.after_from and p.after_to
    before = measures.estimate(p.org, p.measure, p.baseline_from, p.baseline_to, confidence)
    after = measures.estimate(p.org, p.measure, p.after_from, p.after_to, confidence)
    return governance.effect(before, after, p.direction, confidence)


# --- one-step creation from what the platform found --------------------------------------------------------------


def plan_from_theme_spike(*, org: Organization, theme: str, month: Any, owner_team: Any = None,
                          actor: User | None = None, api_key: Any = None) -> ActionPlan:
    """A plan about a theme's spike in ``month``: measured by the theme's share of comments, the spike month (and
    the one after) as the baseline; the after window is set when the fix ships. Title and problem are written in
    the active language, naming the theme by its label there."""
    from cxloop.texts import services as texts

    key = _text(theme, "theme", 120, required=True)
    spike = parse_month(month, "month")
    label = texts.matcher(org)[0].codeframe.label(key, (get_language() or "en").lower())
    words = {"theme": label, "month": f"{spike:%Y-%m}"}
    data: dict[str, Any] = {
        "title": (gettext("%(theme)s: spike in %(month)s") % words)[:MAX_TITLE], "theme": key,
        "problem": gettext("Comments about %(theme)s rose significantly in %(month)s.") % words,
        "measure": {"kind": "theme_share", "theme": key},
        "baseline_from": spike, "baseline_to": governance.add_months(spike, 1),
    }
    if owner_team not in (None, ""):
        data["owner_team"] = owner_team
    return save_plan(org=org, data=data, source=PlanSource.THEME_SPIKE, actor=actor, api_key=api_key)


def plan_from_step(*, org: Organization, step: Any, owner_team: Any = None, actor: User | None = None,
                   api_key: Any = None) -> ActionPlan:
    """A plan from a journey opportunity (a step of a journey map): its touchpoint, its opportunities lane as the
    problem, owned by the touchpoint's team unless said otherwise. The touchpoint is named in the active
    language."""
    from cxloop.journeys.live import label_of
    from cxloop.journeys.models import Step

    try:
        s = Step.objects.select_related("touchpoint", "stage__journey").get(stage__journey__org=org, pk=int(step))
    except (TypeError, ValueError, Step.DoesNotExist) as exc:
        raise GovernError("step: not found", field="step", status=404) from exc
    names_ = s.touchpoint.name if isinstance(s.touchpoint.name, dict) else {}
    label = label_of(names_, (get_language() or "en").lower()) or s.touchpoint.key
    idea = (s.opportunities or "").strip().splitlines()[0][:150] if (s.opportunities or "").strip() else ""
    title = gettext("%(touchpoint)s: %(opportunity)s") % {"touchpoint": label, "opportunity": idea} if idea \
        else gettext("%(touchpoint)s: opportunity") % {"touchpoint": label}
    data: dict[str, Any] = {"title": title[:MAX_TITLE], "problem": s.opportunities or "", "step": s.pk,
                            "touchpoint": s.touchpoint.key}
    team = owner_team if owner_team not in (None, "") else s.touchpoint.owner_team_id
    if team:
        data["owner_team"] = team
    return save_plan(org=org, data=data, source=PlanSource.OPPORTUNITY, actor=actor, api_key=api_key)


def plan_from_cases(*, org: Organization, cases: Sequence[Any], title: Any = None, owner_team: Any = None,
                    actor: User | None = None, api_key: Any = None) -> ActionPlan:
    """A plan for a group of cases (same root cause, same touchpoint …): linked to them, owned by their team. The
    title (unless given) is written in the active language: one case by its number and title, several by their
    count and root causes."""
    from cxloop.cases.models import Case

    if not isinstance(cases, (list, tuple)):
        raise GovernError("cases: give a list of case numbers", field="cases")
    numbers = [_int(c, "cases") for c in cases]
    if not numbers:
        raise GovernError("cases: choose at least one case", field="cases")
    found = list(Case.objects.filter(org=org, number__in=numbers).select_related("team", "root_cause"))
    if len(found) != len(set(numbers)):
        raise GovernError("cases: a case number was not found", field="cases", status=404)
    causes = ", ".join(sorted({c.root_cause.label for c in found if c.root_cause}))
    if len(found) == 1:
        named = gettext("Case #%(number)d: %(title)s") % {"number": found[0].number, "title": found[0].title}
    elif causes:
        named = gettext("%(n)d cases: %(causes)s") % {"n": len(found), "causes": causes}
    else:
        named = gettext("%(n)d cases") % {"n": len(found)}
    found.sort(key=lambda c: c.number)
    data: dict[str, Any] = {"title": title or named[:MAX_TITLE], "cases": numbers,
                            "problem": "\n".join(f"#{c.number} {c.title}" for c in found[:50])}
    teams = {c.team_id for c in found if c.team_id}
    if owner_team not in (None, ""):
        data["owner_team"] = owner_team
    elif len(teams) == 1:
        data["owner_team"] = teams.pop()
    return save_plan(org=org, data=data, source=PlanSource.CASES, actor=actor, api_key=api_key)
