"""Account health as the pages and the API show it: the organisation's settings, the stakeholders' signals
read from the responses in one pass, and ``core.account_health`` for every number.

``org_health`` reads the complete responses of the last two health windows (180 days by default) of every
account with two queries — responses, then their NPS answers — and assesses each account in memory;
``account_detail`` does the same for one account over the last 15 months for its trend by month."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cxloop.core import account_health as core
from cxloop.customers.models import Account, AccountHealthSettings
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import audit
from cxloop.surveys.models import Answer, Response, ResponseStatus, SurveyVersion

TREND_MONTHS = 12


def today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


# --- settings --------------------------------------------------------------------------------------


def settings_of(org: Organization) -> core.HealthSettings:
    """The organisation's settings (the defaults until an admin saves them)."""
    row = AccountHealthSettings.objects.filter(org=org).first()
    if row is None:
        return core.HealthSettings()
    weights = {**core.DEFAULT_WEIGHTS, **{k: float(v) for k, v in (row.weights or {}).items()
                                            if k in core.ROLES}}
    key_roles = tuple(r for r in (row.key_roles or []) if r in core.ROLES) or core.DEFAULT_KEY_ROLES
    try:
        return core.HealthSettings(weights=weights, key_roles=key_roles, threshold=row.threshold,
                                   drop_points=row.drop_points, coverage_weight=row.coverage_weight,
                                   silent_is_risk=row.silent_is_risk)
    except core.SettingsError:  # a row edited by hand outside the form: fall back rather than fail every page
        return core.HealthSettings()


def save_settings(*, org: Organization, user: User | None, weights: Mapping[str, float], key_roles: Iterable[str],
                  threshold: float, drop_points: float, coverage_weight: float, silent_is_risk: bool,
                  ip: str | None = None) -> core.HealthSettings:
    """Validate (``core.account_health.SettingsError`` names the field) and store; audited."""
    checked = core.HealthSettings(weights={r: float(weights[r]) for r in core.ROLES if r in weights},
                                  key_roles=tuple(key_roles), threshold=float(threshold),
                                  drop_points=float(drop_points), coverage_weight=float(coverage_weight),
                                  silent_is_risk=bool(silent_is_risk))
    with transaction.atomic():
        AccountHealthSettings.objects.update_or_create(org=org, defaults={
            "weights": dict(checked.weights), "key_roles": list(checked.key_roles), "threshold": checked.threshold,
            "drop_points": checked.drop_points, "coverage_weight": checked.coverage_weight,
            "silent_is_risk": checked.silent_is_risk, "updated_at": timezone.now(), "updated_by": user})
        audit("accounts.health_settings", org=org, actor=user, ip=ip, target=org.slug,
              weights=dict(checked.weights), key_roles=list(checked.key_roles), threshold=checked.threshold,
              drop_points=checked.drop_points, coverage_weight=checked.coverage_weight,
              silent_is_risk=checked.silent_is_risk)
    return checked


# --- signals ---------------------------------------------------------------------------------------


def nps_questions(org: Organization) -> dict[int, set[str]]:
    """{survey id: keys of its NPS questions in any published version}."""
    from cxloop.surveys.services import spec_of

    out: dict[int, set[str]] = defaultdict(set)
    versions = SurveyVersion.objects.filter(survey__org=org).only("pk", "survey_id", "definition")
    for version in versions:
        for q in spec_of(version).questions():
            if q.type == "nps":
                out[version.survey_id].add(q.key)
    return dict(out)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def signals(org: Organization, *, since: date, until: date, account_ids: Iterable[int] | None = None
            ) -> dict[int, list[core.Signal]]:
    """{account id: its stakeholders' signals} from the complete responses submitted since … until (local
    days, inclusive): two queries whatever the number of accounts."""
    responses = Response.objects.filter(org=org, status=ResponseStatus.COMPLETE, account__isnull=False,
                                        submitted_at__gte=_start_of(since),
                                        submitted_at__lt=_start_of(until + timedelta(days=1)))
    if account_ids is not None:
        responses = responses.filter(account_id__in=list(account_ids))
    rows = list(responses.values_list("pk", "account_id", "contact_id", "submitted_at", "contact__stakeholder_role",
                                      "survey_id"))
    scores = _nps_scores(org, rows)
    tz = timezone.get_default_timezone()
    out: dict[int, list[core.Signal]] = defaultdict(list)
    for pk, account_id, contact_id, submitted_at, role, _survey in rows:
        respondent = f"c{contact_id}" if contact_id is not None else f"r{pk}"
        out[account_id].append(core.Signal(respondent, role if contact_id is not None else None,
                                           timezone.localtime(submitted_at, tz).date(), scores.get(pk)))
    return out


def _nps_scores(org: Organization, rows: list[tuple[Any, ...]]) -> dict[int, float]:
    keys = nps_questions(org)
    surveys = {r[5] for r in rows} & set(keys)
    if not surveys:
        return {}
    pick = Q()
    for survey_id in sorted(surveys):
        pick |= Q(response__survey_id=survey_id, question_key__in=sorted(keys[survey_id]))
    ids = [r[0] for r in rows if r[5] in surveys]
    scores: dict[int, float] = {}
    for chunk in range(0, len(ids), 5000):  # SQLite's variable limit
        answers = Answer.objects.filter(pick, response_id__in=ids[chunk:chunk + 5000], number__isnull=False)
        for response_id, number in answers.values_list("response_id", "number"):
            if number is not None and 0 <= number <= 10:
                scores[response_id] = float(number)
    return scores


# --- assessments -----------------------------------------------------------------------------------


def org_health(org: Organization, *, on: date | None = None,
               settings: core.HealthSettings | None = None) -> dict[int, core.AccountHealth]:
    """{account id: its health} for every account of the organisation."""
    s = settings or settings_of(org)
    end = on or today()
    since = end - timedelta(days=2 * s.window_days - 1)
    by_account = signals(org, since=since, until=end)
    renewals = dict(Account.objects.filter(org=org).values_list("pk", "renewal_date"))
    return {pk: core.assess(by_account.get(pk, []), today=end, renewal=renewal, settings=s)
            for pk, renewal in renewals.items()}


def month_ends(end: date, months: int = TREND_MONTHS) -> list[date]:
    """The last day of each of the ``months`` months up to ``end``'s month (the last one is ``end``)."""
    out = []
    first = end.replace(day=1)
    for back in range(months - 1, 0, -1):
        index = first.year * 12 + first.month - 1 - back + 1
        out.append(date(index // 12, index % 12 + 1, 1) - timedelta(days=1))
    out.append(end)
    return out


@dataclass(frozen=True)
class AccountDetail:
    account: Account
    health: core.AccountHealth
    settings: core.HealthSettings
    months: list[core.Point]
    latest: dict[str, core.Signal]  # by respondent key ("c<contact id>"): the latest NPS answer in 15 months
    last_heard: dict[str, date]  # by respondent key: the latest response of any kind


def account_detail(org: Organization, account: Account, *, on: date | None = None) -> AccountDetail:
    s = settings_of(org)
    end = on or today()
    ends = month_ends(end)
    since = ends[0] - timedelta(days=max(2 * s.window_days, 31 + s.window_days))
    sigs = signals(org, since=since, until=end, account_ids=[account.pk]).get(account.pk, [])
    health = core.assess(sigs, today=end, renewal=account.renewal_date, settings=s)
    last_heard: dict[str, date] = {}
    for sig in sigs:
        if sig.respondent not in last_heard or sig.day > last_heard[sig.respondent]:
            last_heard[sig.respondent] = sig.day
    return AccountDetail(account, health, s, core.series(sigs, ends, s), core.latest_scores(sigs, since, end),
                         last_heard)
