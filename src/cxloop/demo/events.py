"""What CloudLaunch's customers did, beside what they said: two years of behavioural events consistent with the
survey story (the vocabulary is docs/events.md's).

* **Website visitors** (anonymous ids) read the website and webinars (the journeys' Awareness stage); some sign up
  for the 14-day trial (``signed_up`` {plan: "trial"}). Most trials do not buy: they stay anonymous, try the
  onboarding and drift away.
* **New accounts** (customer since inside the 24 months): the product admin and the decision maker read the
  website, sign up for the trial, the decision maker sees a product demo and the quote and buys (``purchase`` at the
  ``contract`` touchpoint on the customer-since day); the admin then goes through onboarding, the decision maker
  reads the onboarding plan at the kick-off. Later colleagues sign up when they join (their contact's date).
* **Onboarding** in order: ``onboarding_started``, ``workspace_created``, ``data_source_connected``,
  ``first_survey_published``, ``teammate_invited``, ``onboarding_completed``. The real drop-off is at
  ``data_source_connected`` (connecting the ERP / Excel data is the hard part, as the onboarding CES says); the
  setup wizard of month 10 (``responses.ONBOARDING_REVAMP_MONTH``) makes it a little easier.
* **Sessions** of every contact from their start (``session_started``, ``page_view``, ``feature_used`` at the
  touchpoints of the journeys' Adoption stage, by the modules their account has), with **task attempts**
  (``task_started`` then ``task_completed`` / ``task_failed`` with a log-normal ``duration_ms``, a few abandoned)
  and ``error`` events. ``export_report`` (reporting accounts only) fails about 4 % of the time, far more after
  the defective release of month 18 until the fix of month 20 (``timeline.defect_intensity``); people retry.
  After a failure some open the help centre or the chatbot, then perhaps a support channel, a remote session or an
  escalation, and see the ticket closed (the Support request journey); people whose exports failed in the defect
  read the release note of the fix.
* **Renewals**: every account decides at each anniversary of its start inside the 24 months (``renewed`` /
  ``churned`` at the ``renewal`` touchpoint, account set, the decision maker as contact, {arr, term_months}). The
  chance to renew depends on what its people said before: the mean of its contacts' latest NPS answers in the
  365 days before (the rule of ``behaviour.loyalty``): about 94 % for promoter accounts, 87 % for passives and
  72 % for detractors. A renewal is a ``purchase`` (repurchase); some healthy accounts buy more seats in between.
  A churned account's people stop using the product.

Deterministic for a seed (one random stream, ``part_rng(seed, "events")``, drawn in a fixed order) and a
"today"; written with multi-row INSERTs, month by month, ``source = "demo"``. The volume follows the demo's
size: about 12,000 sessions for "tiny" (≈ 70,000 events), 40,000 for "small" (≈ 200,000) and 150,000 for
"large".
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from django.db import connection

from cxloop.behaviour.models import Event
from cxloop.core.events import anonymous_number
from cxloop.customers.models import Account
from cxloop.demo import content
from cxloop.demo.base import AccountInfo, ContactInfo, Scale, aware
from cxloop.demo.journeys import EXPORT
from cxloop.demo.responses import ONBOARDING_REVAMP_MONTH
from cxloop.demo.timeline import Month, Timeline, day_weight
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Answer, ResponseStatus

ONBOARDING = ("onboarding_started", "workspace_created", "data_source_connected", "first_survey_published",
              "teammate_invited", "onboarding_completed")
# Where each onboarding step happens (a touchpoint of the journeys' Onboarding stage).
ONBOARDING_TOUCHPOINT = {"onboarding_started": "kickoff", "workspace_created": "kickoff",
                         "data_source_connected": "data_import", "first_survey_published": "go_live",
                         "teammate_invited": "user_invite", "onboarding_completed": "go_live"}
# Chance to reach each step after the one before (the first: of those who signed up), for trials that do not buy
# and for the admins of accounts that bought. The setup wizard of month 10 adds REVAMP_LIFT to the data step.
TRIAL_STEPS = (0.85, 0.88, 0.42, 0.76, 0.66, 0.86)
CUSTOMER_STEPS = (1.0, 0.97, 0.80, 0.93, 0.92, 0.95)
REVAMP_MONTH = ONBOARDING_REVAMP_MONTH
REVAMP_LIFT = 0.10
TRIALS_PER_NEW_ACCOUNT = 4.0  # sign-ups that never buy, per account that does

# Export: failure chance outside the defect, and how much the defect adds at full intensity; after the fix a
# little residue (cached old clients) that fades within days.
EXPORT_FAILURE = 0.04
EXPORT_DEFECT_FAILURE = 0.27
EXPORT_RESIDUE, EXPORT_RESIDUE_DAYS = 0.03, 4.0
EXPORT_RETRY = 0.5

# Renewal: the chance by the account's NPS group at the decision (see the module), and by tier.
RENEW_CHANCE = {"promoter": 0.94, "passive": 0.87, "detractor": 0.72, "none": 0.86}
TIER_RENEW_ADJ = {"enterprise": 0.02, "mid_market": 0.0, "smb": -0.03}
NPS_WINDOW_DAYS = 365


@dataclass(frozen=True)
class TaskSpec:
    key: str
    area: str
    touchpoint: str
    median_seconds: float
    sigma: float
    failure: float
    errors: tuple[str, ...]


TASKS: dict[str, TaskSpec] = {t.key: t for t in (
    TaskSpec("export_report", "reporting", EXPORT, 9.0, 0.6, EXPORT_FAILURE, ("EXPORT_FAILED",)),
    TaskSpec("build_dashboard", "dashboards", "dashboards", 260.0, 0.55, 0.08, ("QUERY_TIMEOUT", "CHART_RENDER")),
    TaskSpec("create_survey", "surveys", "collaboration", 190.0, 0.5, 0.06, ("FORM_SAVE_FAILED",)),
    TaskSpec("share_link", "collaboration", "collaboration", 14.0, 0.5, 0.02, ("SHARE_DENIED",)),
    TaskSpec("assign_case", "cases", "workflow", 35.0, 0.5, 0.04, ("ASSIGNEE_NOT_FOUND",)),
)}
DEFECT_ERRORS = (("EXPORT_TIMEOUT", 0.55), ("EXPORT_GARBLED", 0.3), ("EXPORT_FAILED", 0.15))


@dataclass(frozen=True)
class AreaSpec:
    key: str
    touchpoint: str
    paths: tuple[str, ...]
    features: tuple[str, ...]
    tasks: tuple[tuple[str, float], ...]  # (task, chance per session in this area)


AREAS: dict[str, AreaSpec] = {a.key: a for a in (
    AreaSpec("reporting", "dashboards", ("/app/reports", "/app/reports/view", "/app/reports/designer"),
             ("report_filter", "pivot_table", "scheduled_export"),
             (("export_report", 0.42), ("build_dashboard", 0.22))),
    AreaSpec("dashboards", "dashboards", ("/app/dashboards", "/app/dashboards/view"),
             ("chart_filter", "drill_down", "dashboard_share"), (("build_dashboard", 0.3),)),
    AreaSpec("collaboration", "collaboration", ("/app/docs", "/app/messages", "/app/drive", "/app/calendar"),
             ("doc_edit", "chat_message", "file_upload", "meeting_booked"),
             (("share_link", 0.3), ("create_survey", 0.1))),
    AreaSpec("workflow", "workflow", ("/app/approvals", "/app/approvals/todo", "/app/cases"),
             ("approve", "submit_request", "delegate"), (("assign_case", 0.35),)),
    AreaSpec("integrations", "integrations", ("/app/connectors", "/app/developer"),
             ("connector_sync", "api_key_created"), ()),
)}
ROLE_RATE = {"user": 1.0, "influencer": 0.8, "decision_maker": 0.3}
TIER_RATE = {"enterprise": 1.1, "mid_market": 1.0, "smb": 0.9}
WEBSITE_PATHS = ("/", "/pricing", "/customers", "/product/reports", "/product/workflow", "/whitepaper")
VISITORS_PER_DAY = 4.0

_HOURS = (0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.3, 0.9, 1.6, 1.9, 1.7, 0.8, 1.2, 1.7, 1.8, 1.7, 1.3, 0.7,
          0.5, 0.5, 0.4, 0.25, 0.1)
_CUM_HOURS = list(accumulate(_HOURS))
_FLUSH = 500

_COLUMNS = ("org_id", "name", "at", "person", "contact_id", "anonymous_id", "account_id", "touchpoint",
            "properties", "client_id", "source", "received_at")


# --- output ------------------------------------------------------------------------------------------------


@dataclass
class _Writer:
    """Events bucketed by month (of the timeline), sorted by time and inserted when no later part of the
    generation can add to the month any more."""

    org_id: int
    timeline: Timeline
    buckets: dict[int, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    written: int = 0

    def add(self, name: str, at: datetime, *, contact: ContactInfo | None = None, anonymous: str = "",
            account: int | None = None, touchpoint: str = "", props: dict[str, Any] | None = None) -> None:
        if at.date() > self.timeline.last_day or at.date() < self.timeline.start:
            return
        if contact is not None:
            person, contact_id = contact.pk, contact.pk
            account = account if account is not None else contact.account.pk
        else:
            person, contact_id = anonymous_number(self.org_id, anonymous), None
        self.buckets[self.timeline.month_of(at.date())].append(
            (at, name, person, contact_id, anonymous, account, touchpoint, props or {}))

    def flush_before(self, month: int) -> None:
        for index in sorted(m for m in self.buckets if m < month):
            rows = self.buckets.pop(index)
            rows.sort(key=lambda r: (r[0], r[2], r[1]))
            self._insert(rows)

    def _insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        qn = connection.ops.quote_name
        adapt = connection.ops.adapt_datetimefield_value
        head = f"INSERT INTO {qn(Event._meta.db_table)} ({', '.join(qn(c) for c in _COLUMNS)}) VALUES "  # noqa: S608
        one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        with connection.cursor() as cursor:
            for start in range(0, len(rows), _FLUSH):
                chunk = rows[start:start + _FLUSH]
                params: list[Any] = []
                for at, name, person, contact_id, anonymous, account, touchpoint, props in chunk:
                    stamp = adapt(at)
                    params += (self.org_id, name, stamp, person, contact_id, anonymous, account, touchpoint,
                               dumps(props), "", "demo", stamp)
                cursor.execute(head + ", ".join([one] * len(chunk)), params)
        self.written += len(rows)


# --- what people said: NPS before each renewal ---------------------------------------------------------------


def _nps_answers(org: Organization) -> dict[int, list[tuple[date, int, float]]]:
    """{account id: [(local day, contact id, score)]} of the complete responses' NPS answers, oldest first."""
    from django.utils import timezone

    tz = timezone.get_default_timezone()
    rows = (Answer.objects.filter(response__org=org, response__status=ResponseStatus.COMPLETE,
                                  response__survey__kind="nps", question_key="nps", number__isnull=False,
                                  response__contact__isnull=False)
            .order_by("response__submitted_at", "response_id")
            .values_list("response__contact__account_id", "response__contact_id", "response__submitted_at", "number"))
    found: dict[int, list[tuple[date, int, float]]] = defaultdict(list)
    for account_id, contact_id, at, number in rows:
        if account_id is not None:
            found[int(account_id)].append((timezone.localtime(at, tz).date(), int(contact_id), float(number or 0)))
    return found


def nps_group(answers: Sequence[tuple[date, int, float]], day: date) -> str:
    """The account's group at a decision on ``day``: the NPS category of the mean of its contacts' latest
    answers in the 365 days before (``behaviour.loyalty``'s rule)."""
    start = day - timedelta(days=NPS_WINDOW_DAYS)
    latest: dict[int, float] = {}
    for on, contact_id, score in answers:
        if start <= on < day:
            latest[contact_id] = score
    if not latest:
        return "none"
    mean = sum(latest.values()) / len(latest)
    return "promoter" if mean >= 9 else "passive" if mean >= 7 else "detractor"


@dataclass(frozen=True)
class Decision:
    day: date
    renewed: bool
    group: str


def _anniversaries(since: date, timeline: Timeline) -> list[date]:
    days = []
    for year in range(timeline.start.year, timeline.last_day.year + 1):
        try:
            day = since.replace(year=year)
        except ValueError:  # 29 February
            day = date(year, 2, 28)
        if since < day and timeline.start <= day <= timeline.last_day:
            days.append(day)
    return days


def renewal_decisions(rng: random.Random, accounts: Sequence[AccountInfo], timeline: Timeline,
                      said: dict[int, list[tuple[date, int, float]]]) -> dict[int, list[Decision]]:
    """Every account's decisions at its anniversaries inside the history (none after it churned)."""
    decisions: dict[int, list[Decision]] = {}
    for account in accounts:
        made: list[Decision] = []
        for day in _anniversaries(account.since, timeline):
            group = nps_group(said.get(account.pk, ()), day)
            chance = RENEW_CHANCE[group] + TIER_RENEW_ADJ[account.tier]
            renewed = rng.random() < chance
            made.append(Decision(day, renewed, group))
            if not renewed:
                break
        decisions[account.pk] = made
    return decisions


# --- the generator -----------------------------------------------------------------------------------------


@dataclass
class _Gen:
    rng: random.Random
    timeline: Timeline
    out: _Writer
    arr: dict[int, float]
    plan: dict[int, str]
    modules: dict[int, tuple[str, ...]]
    orders: int = 0
    anonymous: int = 0
    hit_by_defect: dict[Any, dict[str, Any]] = field(default_factory=dict)  # who saw the broken export

    # -- time helpers --

    def moment(self, day: date) -> datetime:
        hour = min(23, bisect_right(_CUM_HOURS, self.rng.random() * _CUM_HOURS[-1]))
        return aware(day, time(hour, self.rng.randint(0, 59), self.rng.randint(0, 59)))

    def anonymous_id(self) -> str:
        self.anonymous += 1
        return f"anon-{self.rng.getrandbits(40):010x}-{self.anonymous}"

    def order_id(self, day: date) -> str:
        self.orders += 1
        return f"ORD-{day:%Y%m}-{self.orders:05d}"

    # -- the website and the trial --

    def visit(self, at: datetime, *, contact: ContactInfo | None = None, anonymous: str = "") -> datetime:
        for _ in range(1 + int(self.rng.expovariate(1.0))):
            path = self.rng.choice(WEBSITE_PATHS)
            self.out.add("page_view", at, contact=contact, anonymous=anonymous, touchpoint="website",
                         props={"path": path})
            at += timedelta(seconds=int(self.rng.lognormvariate(math.log(50), 0.8)))
        if self.rng.random() < 0.15:
            self.out.add("page_view", at + timedelta(days=self.rng.randint(1, 10)), contact=contact,
                         anonymous=anonymous, touchpoint="webinar", props={"path": "/webinar/live"})
        return at

    def onboarding(self, start: datetime, steps: tuple[float, ...], *, contact: ContactInfo | None = None,
                   anonymous: str = "") -> None:
        at = start
        month = self.timeline.month_of(start.date())
        for index, (name, chance) in enumerate(zip(ONBOARDING, steps, strict=True)):
            if name == "data_source_connected" and month >= REVAMP_MONTH:
                chance += REVAMP_LIFT
            if self.rng.random() >= chance:
                return
            if index:
                gap = {"workspace_created": 600.0, "data_source_connected": 20 * 3600.0,
                       "first_survey_published": 36 * 3600.0, "teammate_invited": 3 * 3600.0,
                       "onboarding_completed": 24 * 3600.0}[name]
                at += timedelta(seconds=max(60, int(self.rng.lognormvariate(math.log(gap), 0.9))))
            self.out.add(name, at, contact=contact, anonymous=anonymous, touchpoint=ONBOARDING_TOUCHPOINT[name],
                         props={"step": index + 1, "area": "onboarding"})

    def trial(self, day: date) -> None:
        """A sign-up that never buys: website, trial, onboarding, a few sessions, gone."""
        anonymous = self.anonymous_id()
        at = self.visit(self.moment(day - timedelta(days=self.rng.randint(0, 6))), anonymous=anonymous)
        signed = max(at + timedelta(minutes=3), self.moment(day))
        self.out.add("signed_up", signed, anonymous=anonymous, touchpoint="trial_signup", props={"plan": "trial"})
        self.onboarding(signed + timedelta(minutes=2), TRIAL_STEPS, anonymous=anonymous)
        sessions = int(self.rng.expovariate(1 / 2.5))
        if self.rng.random() < 0.25:  # some come back after the trial, a little
            sessions += self.rng.randint(1, 4)
        for _ in range(sessions):
            offset = int(self.rng.expovariate(1 / 12))
            self.session(self.moment(day + timedelta(days=min(offset, 75))), anonymous=anonymous,
                         modules=("collaboration", "reporting", "workflow"), account=None)

    def new_account(self, account: AccountInfo, founders: Sequence[ContactInfo]) -> None:
        """The founders of an account that bought during the history: trial, demo, quote, contract, onboarding."""
        since = account.since
        maker = next((c for c in founders if c.role == "decision_maker"), founders[0])
        admin = next((c for c in founders if c is not maker), maker)
        trial_day = since - timedelta(days=self.rng.randint(14, 28))
        self.visit(self.moment(trial_day - timedelta(days=self.rng.randint(1, 6))), contact=maker)
        self.visit(self.moment(trial_day - timedelta(days=self.rng.randint(0, 3))), contact=admin)
        signed = self.moment(trial_day)
        self.out.add("signed_up", signed, contact=admin, touchpoint="trial_signup", props={"plan": "trial"})
        if maker is not admin:
            self.out.add("signed_up", self.moment(trial_day + timedelta(days=self.rng.randint(1, 5))),
                         contact=maker, touchpoint="trial_signup", props={"plan": "trial"})
        demo_day = trial_day + timedelta(days=self.rng.randint(4, 12))
        self.out.add("page_view", self.moment(demo_day), contact=maker, touchpoint="product_demo",
                     props={"path": "/demo/booked"})
        for _ in range(self.rng.randint(1, 4)):
            self.session(self.moment(trial_day + timedelta(days=self.rng.randint(0, 14))), contact=admin,
                         modules=self.modules[account.pk], account=account.pk)
        quote_day = since - timedelta(days=self.rng.randint(3, 12))
        self.out.add("page_view", self.moment(quote_day), contact=maker, touchpoint="proposal",
                     props={"path": "/billing/quote"})
        self.purchase(aware(since, time(self.rng.randint(10, 17), self.rng.randint(0, 59))), maker, account.pk,
                      "contract", self.arr[account.pk], kind="new")
        self.out.add("page_view", self.moment(since + timedelta(days=self.rng.randint(1, 6))), contact=maker,
                     touchpoint="kickoff", props={"path": "/onboarding/plan"})
        self.out.add("page_view", self.moment(since + timedelta(days=self.rng.randint(7, 20))), contact=maker,
                     touchpoint="invoice", props={"path": "/billing/invoices"})
        self.onboarding(self.moment(since + timedelta(days=self.rng.randint(1, 5))), CUSTOMER_STEPS, contact=admin)

    def purchase(self, at: datetime, contact: ContactInfo | None, account: int, touchpoint: str, amount: float,
                 *, kind: str) -> None:
        self.out.add("purchase", at, contact=contact, account=account, touchpoint=touchpoint,
                     props={"amount": round(amount, 2), "currency": "CNY", "order_id": self.order_id(at.date()),
                            "kind": kind})

    # -- using the product --

    def session(self, at: datetime, *, contact: ContactInfo | None = None, anonymous: str = "",
                modules: tuple[str, ...], account: int | None) -> None:
        rng = self.rng
        platform = "web" if rng.random() < 0.8 else rng.choice(("ios", "android"))
        mobile = platform != "web"
        base: dict[str, Any] = {"contact": contact, "anonymous": anonymous, "account": account}
        self.out.add("session_started", at, touchpoint="mobile_app" if mobile else "",
                     props={"platform": platform}, **base)
        areas = ["collaboration"]
        weights = [1.0]
        if "reporting" in modules:
            areas += ["reporting", "dashboards"]
            weights += [1.3, 0.6]
        if "workflow" in modules:
            areas.append("workflow")
            weights.append(0.9)
        if "connectors" in modules or "open_api" in modules:
            areas.append("integrations")
            weights.append(0.25)
        area = AREAS[rng.choices(areas, weights)[0]]
        touchpoint = "mobile_app" if mobile else area.touchpoint
        for _ in range(1 + min(4, int(rng.expovariate(0.8)))):
            at += timedelta(seconds=int(rng.lognormvariate(math.log(40), 0.9)))
            self.out.add("page_view", at, touchpoint=touchpoint, props={"path": rng.choice(area.paths)}, **base)
        if rng.random() < 0.7:
            at += timedelta(seconds=int(rng.lognormvariate(math.log(60), 0.8)))
            self.out.add("feature_used", at, touchpoint=touchpoint,
                         props={"feature": rng.choice(area.features), "area": area.key}, **base)
        for task, chance in area.tasks:
            if rng.random() < chance:
                at = self.task(TASKS[task], at + timedelta(seconds=rng.randint(5, 120)), base)
        if rng.random() < 0.02:
            at += timedelta(seconds=rng.randint(5, 300))
            self.out.add("error", at, touchpoint=touchpoint, props={"code": "PAGE_LOAD_TIMEOUT", "area": area.key},
                         **base)
        if rng.random() < 0.05:  # reads the help centre (how-to)
            at += timedelta(seconds=rng.randint(20, 400))
            self.out.add("page_view", at, touchpoint="help_center", props={"path": f"/help/{area.key}"}, **base)
        if rng.random() < 0.01:
            self.out.add("page_view", at + timedelta(seconds=rng.randint(30, 600)), touchpoint="product_feedback",
                         props={"path": "/feedback/ideas"}, **base)

    def support(self, at: datetime, base: dict[str, Any], area: str, *, bug: bool) -> None:
        """After a failure: the help centre or the chatbot, then perhaps a support channel, a diagnosis, the
        ticket closed (the Support request journey's stages)."""
        rng = self.rng
        at += timedelta(seconds=rng.randint(20, 240))
        if rng.random() < 0.75:
            self_service = "help_center" if rng.random() < 0.7 else "chatbot"
            if self_service == "help_center":
                self.out.add("page_view", at, touchpoint="help_center", props={"path": f"/help/{area}"}, **base)
            else:
                self.out.add("feature_used", at, touchpoint="chatbot", props={"feature": "chatbot", "area": "support"},
                             **base)
            if rng.random() < 0.55:
                return  # solved it alone
            at += timedelta(seconds=rng.randint(30, 900))
        channel, feature = rng.choice((("online_chat", "live_chat"), ("phone_support", "phone_call"),
                                       ("email_ticket", "ticket_created"), ("wechat_group", "wechat_message")))
        self.out.add("feature_used", at, touchpoint=channel, props={"feature": feature, "area": "support"}, **base)
        if rng.random() < 0.45:
            at += timedelta(minutes=rng.randint(10, 240))
            step, feature = (("escalation", "bug_escalated") if bug and rng.random() < 0.6
                             else ("remote_assist", "remote_session"))
            self.out.add("feature_used", at, touchpoint=step, props={"feature": feature, "area": "support"}, **base)
        if rng.random() < 0.8:
            at += timedelta(hours=rng.lognormvariate(math.log(20), 0.8))
            self.out.add("page_view", at, touchpoint="ticket_closure", props={"path": "/support/tickets/closed"},
                         **base)
            if rng.random() < 0.12:
                self.out.add("page_view", at + timedelta(days=rng.randint(1, 20)), touchpoint="product_feedback",
                             props={"path": "/feedback/ideas"}, **base)

    def export_failure(self, day: date) -> float:
        since_fix = self.timeline.since_fix(day)
        if since_fix is None:
            return EXPORT_FAILURE + EXPORT_DEFECT_FAILURE * self.timeline.defect_intensity(day)
        return EXPORT_FAILURE + EXPORT_RESIDUE * math.exp(-since_fix / EXPORT_RESIDUE_DAYS)

    def task(self, spec: TaskSpec, at: datetime, base: dict[str, Any], *, retry: bool = False) -> datetime:
        rng = self.rng
        props = {"task": spec.key, "area": spec.area}
        self.out.add("task_started", at, touchpoint=spec.touchpoint, props=props, **base)
        if rng.random() < 0.04:  # abandoned: neither completed nor failed
            return at + timedelta(seconds=rng.randint(10, 200))
        failure = self.export_failure(at.date()) if spec.key == "export_report" else spec.failure
        defect = spec.key == "export_report" and self.timeline.defect_intensity(at.date()) > 0.05 \
            and self.timeline.since_fix(at.date()) is None
        failed = rng.random() < failure
        seconds = spec.median_seconds * rng.lognormvariate(0, spec.sigma)
        if failed and defect:
            seconds = rng.lognormvariate(math.log(75), 0.35)  # the export times out or comes back garbled
        at += timedelta(milliseconds=max(300, int(seconds * 1000)))
        done = {**props, "duration_ms": max(300, int(seconds * 1000))}
        self.out.add("task_failed" if failed else "task_completed", at, touchpoint=spec.touchpoint, props=done,
                     **base)
        if not failed:
            return at
        code = (rng.choices([c for c, _w in DEFECT_ERRORS], [w for _c, w in DEFECT_ERRORS])[0] if defect
                else rng.choice(spec.errors))
        if defect:
            person = base["contact"].pk if base["contact"] is not None else base["anonymous"]
            self.hit_by_defect.setdefault(person, base)
        self.out.add("error", at, touchpoint=spec.touchpoint, props={"code": code, "area": spec.area,
                                                                     "task": spec.key}, **base)
        if rng.random() < 0.45:
            self.support(at, base, spec.area, bug=defect or rng.random() < 0.3)
        if not retry and rng.random() < (EXPORT_RETRY if spec.key == "export_report" else 0.2):
            at = self.task(spec, at + timedelta(seconds=rng.randint(20, 180)), base, retry=True)
        return at


def _session_budget(scale: Scale) -> int:
    return max(12_000, min(150_000, 2 * scale.responses))


def _day_table(month: Month) -> tuple[list[date], list[float]]:
    days = month.days()
    return days, list(accumulate(day_weight(d) for d in days))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def create_events(org: Organization, rng: random.Random, scale: Scale, timeline: Timeline,
                  accounts: Sequence[AccountInfo], contacts: Sequence[ContactInfo]) -> int:
    """Write the demo's events; returns how many."""
    stored = {pk: (float(arr), tier) for pk, arr, tier in
              Account.objects.filter(org=org).values_list("pk", "arr", "tier")}
    modules = {pk: tuple(attrs.get("modules") or ()) for pk, attrs in
               Account.objects.filter(org=org).values_list("pk", "attributes")}
    gen = _Gen(rng=rng, timeline=timeline, out=_Writer(org.pk, timeline),
               arr={pk: arr for pk, (arr, _t) in stored.items()},
               plan={pk: content.PLANS[tier] for pk, (_a, tier) in stored.items()}, modules=modules)
    decisions = renewal_decisions(rng, accounts, timeline, _nps_answers(org))
    churned = {pk: made[-1].day for pk, made in decisions.items() if made and not made[-1].renewed}
    people: dict[int, list[ContactInfo]] = defaultdict(list)
    for contact in contacts:
        people[contact.account.pk].append(contact)
    founders = {pk: found[:2] for pk, found in people.items()}
    founder_ids = {c.pk for found in founders.values() for c in found}
    by_month_new = defaultdict(list)
    for account in accounts:
        if timeline.start <= account.since <= timeline.last_day and founders.get(account.pk):
            by_month_new[timeline.month_of(account.since)].append(account)
    teammates = defaultdict(list)
    for contact in contacts:
        if contact.pk not in founder_ids and timeline.start <= contact.since <= timeline.last_day:
            teammates[timeline.month_of(contact.since)].append(contact)
    trials_per_month = TRIALS_PER_NEW_ACCOUNT * sum(len(v) for v in by_month_new.values()) / len(timeline.months)
    # Sessions per unit of weight, so that the history adds up to the size's budget.
    weight = {c.pk: ROLE_RATE[c.role] * TIER_RATE[c.account.tier] * math.exp(0.35 * c.account.health)
              for c in contacts}
    units = 0.0
    for c in contacts:
        start = max(c.since, timeline.start)
        end = churned.get(c.account.pk, timeline.last_day)
        units += weight[c.pk] * max(0, (end - start).days) / 30.4
    per_unit = _session_budget(scale) / units if units else 0.0
    dm = {pk: next((c for c in found if c.role == "decision_maker"), found[0] if found else None)
          for pk, found in people.items()}

    for month in timeline.months:
        days, cum = _day_table(month)
        # anonymous website visitors
        for day in days:
            for _ in range(_poisson(rng, VISITORS_PER_DAY * day_weight(day))):
                gen.visit(gen.moment(day), anonymous=gen.anonymous_id())
        # trials that never buy
        for _ in range(_poisson(rng, trials_per_month)):
            gen.trial(days[bisect_right(cum, rng.random() * cum[-1]) if cum[-1] else 0])
        # accounts that buy this month, colleagues who join
        for account in by_month_new.get(month.index, ()):
            gen.new_account(account, founders[account.pk])
        for contact in teammates.get(month.index, ()):
            gen.out.add("signed_up", gen.moment(contact.since), contact=contact, touchpoint="user_invite",
                        props={"plan": gen.plan[contact.account.pk]})
        # everyone's sessions, on the days they were there (weighted by weekday and holidays)
        for contact in contacts:
            gone = churned.get(contact.account.pk)
            if contact.since > month.end or (gone is not None and gone < month.start):
                continue
            first = max(contact.since, month.start)
            last = min(gone, month.end) if gone else month.end
            lo, hi = (first - month.start).days, (last - month.start).days
            floor = cum[lo - 1] if lo else 0.0
            if cum[hi] <= floor:
                continue
            for _ in range(_poisson(rng, per_unit * weight[contact.pk] * (hi - lo + 1) / 30.4)):
                index = min(hi, bisect_right(cum, floor + rng.random() * (cum[hi] - floor)))
                gen.session(gen.moment(days[index]), contact=contact, modules=modules[contact.account.pk],
                            account=contact.account.pk)
        # the fix: people whose exports failed read the release note
        if month.start <= timeline.fix_date <= month.end:
            for person in sorted(gen.hit_by_defect, key=str):
                if rng.random() < 0.6:
                    gen.out.add("page_view", gen.moment(timeline.fix_date + timedelta(days=int(rng.expovariate(0.3)))),
                                touchpoint="hotfix_notice", props={"path": "/release-notes"},
                                **gen.hit_by_defect[person])
        # renewal decisions of this month, the invoice read before, expansions
        for account in accounts:
            maker = dm.get(account.pk)
            for decision in decisions.get(account.pk, ()):
                if timeline.month_of(decision.day) != month.index:
                    continue
                if maker is not None:
                    gen.out.add("page_view", gen.moment(decision.day - timedelta(days=rng.randint(10, 30))),
                                contact=maker, touchpoint="invoice", props={"path": "/billing/invoices"})
                at = aware(decision.day, time(rng.randint(10, 17), rng.randint(0, 59)))
                gen.out.add("renewed" if decision.renewed else "churned", at, contact=maker, account=account.pk,
                            touchpoint="renewal", props={"arr": gen.arr[account.pk], "term_months": 12})
                if decision.renewed:
                    gen.purchase(at + timedelta(minutes=rng.randint(5, 90)), maker, account.pk, "renewal",
                                 gen.arr[account.pk], kind="renewal")
            if (maker is not None and rng.random() < 0.2 and account.since <= month.start
                    and churned.get(account.pk, month.end) >= month.end):  # the decision maker checks the bills
                gen.out.add("page_view", gen.moment(days[rng.randrange(len(days))]), contact=maker,
                            touchpoint="invoice", props={"path": "/billing/invoices"})
            if (maker is not None and account.health > 0.2 and account.since <= month.start
                    and churned.get(account.pk, month.end) >= month.end and rng.random() < 0.012):
                seats = rng.randint(5, 50)
                gen.purchase(gen.moment(days[rng.randrange(len(days))]), maker, account.pk, "renewal",
                             gen.arr[account.pk] * seats / 200, kind="expansion")
        gen.out.flush_before(month.index - 3)
    gen.out.flush_before(len(timeline.months) + 10)
    return gen.out.written

