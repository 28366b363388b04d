"""Cases in the web UI: the team inbox (filters in the URL, live feed by htmx polling, bulk assignment), one
case (header with SLA clocks, the response, the customer and their history, the timeline, the verbs on it) and
the loop KPIs. Thin: each view reads a form, calls one query or service of ``cases``, renders. A refused verb
(``ServiceError``) is shown as a form error on the case page with its status (409, 422, …), nothing changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cxloop.cases import kpis as loop_kpis
from cxloop.cases import queries, services
from cxloop.cases.models import Case, CaseEvent, CaseEventKind, CaseStatus, Priority
from cxloop.core import case_flow
from cxloop.orgs.access import READ, WORK, Actor
from cxloop.orgs.services import ServiceError
from cxloop.web import case_forms as forms
from cxloop.web.dashboard_views import _answer_rows
from cxloop.web.decorators import org_page

PAGE_SIZE = 25
FEED_LIMIT = 20
POLL_SECONDS = 3


# --- presentation helpers ---------------------------------------------------------------------------


def duration_text(delta: timedelta) -> str:
    """A duration as people say it: "2 d 4 h", "3 h 20 min", "45 min" (sign ignored)."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours} if hours else _("%(d)s d") % {"d": days}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins} if mins else _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": mins}


def countdown(clock: queries.Clock) -> str:
    """ "3 h 20 min left" / "overdue 2 h" for a running clock; "" otherwise."""
    if clock.remaining is None:
        return ""
    if clock.remaining >= timedelta(0):
        return _("%(time)s left") % {"time": duration_text(clock.remaining)}
    return _("overdue %(time)s") % {"time": duration_text(clock.remaining)}


def _rows(cases: Any) -> list[dict[str, Any]]:
    now = timezone.now()
    out = []
    for case in cases:
        clock = queries.current_clock(case, now)
        out.append({"case": case, "clock": clock, "countdown": countdown(clock)})
    return out


def _error(form: Any, exc: ServiceError) -> None:
    """A service's refusal on the form field it names (its "field: " prefix dropped there), else on the form."""
    name = exc.field if exc.field in form.fields else None
    message = exc.message
    if name and message.startswith(f"{name}: "):
        message = message[len(name) + 2:]
    form.add_error(name, message)


# --- the inbox ---------------------------------------------------------------------------------------


def _inbox_form(request: HttpRequest, actor: Actor) -> tuple[forms.InboxForm, list[Any]]:
    members = list(queries.assignable(actor.org))
    form = forms.InboxForm(request.GET, teams=list(queries.teams(actor.org)), members=members)
    return form, members


def _inbox_page(request: HttpRequest, actor: Actor, bulk: forms.BulkAssignForm | None = None,
                status: int = 200) -> HttpResponse:
    form, members = _inbox_form(request, actor)
    context: dict[str, Any] = {"org": actor.org, "section": "cases", "form": form, "poll": POLL_SECONDS,
                               "can_work": actor.can(WORK), "members": members, "bulk": bulk}
    if form.is_valid():
        qs = queries.inbox(actor.org, form.filters(actor.user))
        page = Paginator(qs, PAGE_SIZE).get_page(form.cleaned_data.get("page") or 1)
        team_id = form.cleaned_data.get("team")
        context.update(page=page, rows=_rows(page.object_list), latest=queries.latest_number(actor.org),
                       query=form.query(), keep=form.query("page"), tab_query=form.query("view", "page"),
                       view=form.cleaned_data.get("view") or "all")
        if team_id:
            team = queries.team(actor.org, int(team_id))
            context.update(feed_team=team, feed_items=queries.team_responses(actor.org, team))
    else:
        status = 400
    response = render(request, "web/cases/inbox.html", context, status=status)
    return response


@require_safe
@org_page(READ)
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _inbox_page(request, actor)


@require_safe
@org_page(READ)
def inbox_feed(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The live part of the inbox (htmx polls it): cases numbered above ``after`` that match the filters."""
    form, _members = _inbox_form(request, actor)
    after = request.GET.get("after", "") or "0"  # without it: the newest cases (at most FEED_LIMIT)
    if not form.is_valid() or not after.isdigit():
        return HttpResponse(status=400)
    qs = queries.inbox(actor.org, form.filters(actor.user, after=int(after)))
    rows = _rows(qs[:FEED_LIMIT])
    return render(request, "web/cases/_feed.html", {"org": actor.org, "rows": rows, "query": form.query("page")})


@require_safe
@org_page(READ)
def response_feed(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The team's latest responses (surveys it owns), for polling: ``?team=<id>``."""
    team_id = request.GET.get("team", "")
    if team_id and not team_id.isdigit():
        return HttpResponse(status=400)
    team = queries.team(actor.org, int(team_id)) if team_id else queries.own_team(actor.org, actor.user)
    items = queries.team_responses(actor.org, team) if team is not None else []
    return render(request, "web/cases/_responses_feed.html",
                  {"org": actor.org, "feed_team": team, "feed_items": items})


@require_POST
@org_page(WORK)
def bulk_assign(request: HttpRequest, actor: Actor) -> HttpResponse:
    members = list(queries.assignable(actor.org))
    numbers = [int(n) for n in request.POST.getlist("case") if n.isdigit()]
    found = queries.cases_by_number(actor.org, numbers)
    form = forms.BulkAssignForm(request.POST, numbers=[c.number for c in found], members=members)
    back = request.POST.get("query", "")
    if form.is_valid():
        chosen = form.cleaned_data["assignee"]
        assignee = None if chosen == queries.UNASSIGNED else queries.assignable_user(actor.org, int(chosen))
        try:
            done = services.bulk_assign(cases=[c for c in found if c.number in form.cleaned_data["case"]],
                                        assignee=assignee, actor=actor.user)
        except ServiceError as exc:
            _error(form, exc)
            return _inbox_page(request, actor, form, exc.status)
        messages.success(request, _("Cases assigned: %(n)s.") % {"n": done})
        return HttpResponseRedirect(_inbox_url(actor, back))
    return _inbox_page(request, actor, form, 422)


def _inbox_url(actor: Actor, query: str) -> str:
    from django.http import QueryDict

    clean = QueryDict(query)  # re-encoded: only a query string can come back from the form
    return reverse("cases", kwargs={"org": actor.org.slug}) + (f"?{clean.urlencode()}" if clean else "")


# --- one case ------------------------------------------------------------------------------------------


def _segments(body: str, mentions: list[str]) -> list[tuple[str, bool]]:
    """A comment cut into (text, is a mention of a member) parts, for highlighting without marking text safe."""
    known = {m.lower() for m in mentions} | {m.lower().partition("@")[0] for m in mentions}
    out: list[tuple[str, bool]] = []
    last = 0
    for match in services.MENTION.finditer(body):
        token = match.group(1).rstrip(".,;:!?")
        if token.lower() not in known:
            continue
        end = match.start() + 1 + len(token)
        out.append((body[last:match.start()], False))
        out.append((body[match.start():end], True))
        last = end
    out.append((body[last:], False))
    return [(t, m) for t, m in out if t]


def _events(events: list[CaseEvent]) -> list[dict[str, Any]]:
    statuses, priorities = dict(CaseStatus.choices), dict(Priority.choices)
    out = []
    for e in events:
        data = e.data or {}
        item: dict[str, Any] = {"event": e, "from": statuses.get(e.from_status, ""),
                                "to": statuses.get(e.to_status, ""),
                                "segments": _segments(e.body, list(data.get("mentions") or []))
                                if e.kind == CaseEventKind.COMMENT else []}
        owner = data.get("owner")
        if isinstance(owner, list) and len(owner) == 2:
            item["owner"] = owner
        elif data.get("assignee"):
            item["owner"] = [None, data["assignee"]]
        if isinstance(data.get("team"), list) and len(data["team"]) == 2:
            item["team"] = data["team"]
        prio = data.get("priority")
        if isinstance(prio, list) and len(prio) == 2:
            item["priority"] = [priorities.get(prio[0], prio[0]), priorities.get(prio[1], prio[1])]
        if e.kind == CaseEventKind.ESCALATED:
            item["breached"] = data.get("breached")
        if e.kind == CaseEventKind.REPLY:
            item["reply_to"], item["subject"] = data.get("to", ""), data.get("subject", "")
        if e.kind == CaseEventKind.STATUS and e.to_status == CaseStatus.RESOLVED:
            item["root_cause"], item["recovered"] = data.get("root_cause"), data.get("recovered")
        out.append(item)
    return out


def _forward(status: str) -> str:
    """The move offered first: the next status along the main road (not a step back or a reopening)."""
    allowed = case_flow.allowed_targets(status)
    ahead = [s for s in allowed if case_flow.STATUSES.index(s) > case_flow.STATUSES.index(status)]
    return (ahead or list(allowed) or [""])[0]


def _case_page(request: HttpRequest, actor: Actor, case: Case, bound: dict[str, Any] | None = None,
               status: int = 200) -> HttpResponse:
    org = actor.org
    events = list(queries.timeline(case))
    causes = services.root_causes(org)
    allowed = case_flow.allowed_targets(case.status)
    members = list(queries.assignable(org))
    teams = list(queries.teams(org))
    language = getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"
    now = timezone.now()
    statuses = dict(CaseStatus.choices)
    durations = [(statuses[s], duration_text(d)) for s, d in queries.time_in_status(events, now).items()
                 if d > timedelta(0)]
    clocks = queries.clocks(case, now)
    context: dict[str, Any] = {
        "org": org, "section": "cases", "case": case, "timeline": _events(events), "durations": durations,
        "clocks": clocks, "countdowns": {k: countdown(c) for k, c in clocks.items()},
        "answers": _answer_rows(case.response, language) if case.response is not None else [],
        "earlier_responses": queries.earlier_responses(org, case), "earlier_cases": queries.earlier_cases(org, case),
        "can_work": actor.can(WORK), "cause_labels": {c.code: c.label for c in causes},
        "status_form": forms.StatusForm(allowed=allowed, causes=causes, initial={"status": _forward(case.status)}),
        "assign_form": forms.AssignForm(teams=teams, members=members,
                                        initial={"assignee": str(case.assignee_id or "")}),
        "priority_form": forms.PriorityForm(initial={"priority": case.priority}),
        "comment_form": forms.CommentForm(), "reply_form": forms.ReplyForm(),
    }
    context.update(bound or {})
    return render(request, "web/cases/case.html", context, status=status)


@require_safe
@org_page(READ)
def case_detail(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    return _case_page(request, actor, queries.case(actor.org, number))


def _done(request: HttpRequest, actor: Actor, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("case_detail", org=actor.org.slug, number=case.number)


@require_POST
@org_page(WORK)
def case_status(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    case = queries.case(actor.org, number)
    form = forms.StatusForm(request.POST, allowed=case_flow.allowed_targets(case.status),
                            causes=services.root_causes(actor.org))
    if not form.is_valid():
        return _case_page(request, actor, case, {"status_form": form}, 422)
    try:
        services.transition(case=case, status=form.cleaned_data["status"], actor=actor.user,
                            root_cause=form.cleaned_data["root_cause"] or None,
                            resolution_note=form.cleaned_data["resolution_note"], recovered=form.recovered_value())
    except ServiceError as exc:
        _error(form, exc)
        return _case_page(request, actor, case, {"status_form": form}, exc.status)
    return _done(request, actor, case, _("Status changed."))


@require_POST
@org_page(WORK)
def case_assign(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    case = queries.case(actor.org, number)
    form = forms.AssignForm(request.POST, teams=list(queries.teams(actor.org)),
                            members=list(queries.assignable(actor.org)))
    if not form.is_valid():
        return _case_page(request, actor, case, {"assign_form": form}, 422)
    chosen, team_id = form.cleaned_data["assignee"], form.cleaned_data["team"]
    try:
        services.assign(case=case, actor=actor.user,
                        assignee=queries.assignable_user(actor.org, int(chosen)) if chosen else None,
                        team=queries.team(actor.org, int(team_id)) if team_id else None)
    except ServiceError as exc:
        _error(form, exc)
        return _case_page(request, actor, case, {"assign_form": form}, exc.status)
    return _done(request, actor, case, _("Assignment saved."))


@require_POST
@org_page(WORK)
def case_priority(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    case = queries.case(actor.org, number)
    form = forms.PriorityForm(request.POST)
    if not form.is_valid():
        return _case_page(request, actor, case, {"priority_form": form}, 422)
    try:
        services.set_priority(case=case, priority=form.cleaned_data["priority"], actor=actor.user)
    except ServiceError as exc:
        _error(form, exc)
        return _case_page(request, actor, case, {"priority_form": form}, exc.status)
    return _done(request, actor, case, _("Priority saved."))


@require_POST
@org_page(WORK)
def case_comment(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    case = queries.case(actor.org, number)
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment(case=case, actor=actor.user, body=form.cleaned_data["body"])
        except ServiceError as exc:
            _error(form, exc)
            return _case_page(request, actor, case, {"comment_form": form}, exc.status)
        return _done(request, actor, case, _("Comment added."))
    return _case_page(request, actor, case, {"comment_form": form}, 422)


@require_POST
@org_page(WORK)
def case_reply(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    case = queries.case(actor.org, number)
    form = forms.ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply(case=case, actor=actor.user, subject=form.cleaned_data["subject"],
                           body=form.cleaned_data["body"])
        except ServiceError as exc:
            _error(form, exc)
            return _case_page(request, actor, case, {"reply_form": form}, exc.status)
        return _done(request, actor, case, _("Reply sent to the customer."))
    return _case_page(request, actor, case, {"reply_form": form}, 422)


# --- loop KPIs ---------------------------------------------------------------------------------------


@require_safe
@org_page(READ)
def kpis(request: HttpRequest, actor: Actor) -> HttpResponse:
    groups = loop_kpis.loop_kpis(actor.org)
    tables = []
    for g in groups:
        rows = [{"k": m, "first_contact": duration_text(timedelta(hours=m.first_contact_median_hours))
                 if m.first_contact_median_hours is not None else "—"} for m in g.months]
        total = g.total
        tables.append({"group": g, "rows": rows, "total": {
            "k": total, "first_contact": duration_text(timedelta(hours=total.first_contact_median_hours))
            if total.first_contact_median_hours is not None else "—"}})
    return render(request, "web/cases/kpis.html", {"org": actor.org, "section": "cases", "tables": tables})

