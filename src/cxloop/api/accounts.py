"""B2B accounts API: the accounts with their health (``GET /accounts``), one account with its health,
stakeholders, open cases and health by month (``GET /accounts/{id}``), the at-risk list (``GET
/accounts/at-risk``) and the account-health settings (``GET``/``PUT /accounts/health-settings``).

The organisation comes from the API key (or ``?org=`` for a signed-in user); another organisation's account
is a 404. Reading needs the viewer role, changing the settings the admin role. Formulas: docs/accounts.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router

from cxloop.api.schemas import Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.core import account_health as core
from cxloop.core import metrics
from cxloop.customers import health, queries
from cxloop.customers.models import Account, Contact
from cxloop.orgs.access import MANAGE
from cxloop.orgs.services import ServiceError

router = Router(tags=["accounts"])
MAX_LIMIT = 500


class ListParams(Schema):
    q: str = Field("", max_length=200)
    tier: str = Field("", pattern="^(|enterprise|mid_market|smb)$")
    region: str = Field("", max_length=80)
    owner: Id | None = None
    at_risk: bool = False
    sort: str = Field("name", pattern="^(name|health|renewal|arr|coverage)$")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


def _n(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _estimate(e: metrics.Estimate) -> dict[str, Any]:
    return {"value": _n(e.value), "ci_low": _n(e.low), "ci_high": _n(e.high), "n": e.n, "too_few": e.too_few,
            "confidence": e.confidence, "method": e.method}


def _window(w: core.WindowHealth) -> dict[str, Any]:
    return {"from": w.start.isoformat(), "to": w.end.isoformat(), "health": _n(w.health),
            "health_ci_low": _n(w.health_low), "health_ci_high": _n(w.health_high),
            "weighted_nps": _estimate(w.nps), "effective_n": _n(w.counts.n_eff),
            "coverage": {"share": _n(w.coverage.share), "heard": list(w.coverage.heard),
                         "missing": list(w.coverage.missing)},
            "respondents": w.respondents}


def _comparison(c: metrics.Comparison) -> dict[str, Any]:
    return {"difference": _n(c.difference), "ci_low": _n(c.low), "ci_high": _n(c.high), "p_value": _n(c.p_value),
            "significant": c.significant, "confidence": c.confidence, "method": c.method}


def _health(h: core.AccountHealth) -> dict[str, Any]:
    return {"current": _window(h.current), "previous": _window(h.previous), "change": _n(h.change),
            "trend": h.trend, "falling": h.falling, "nps_change": _comparison(h.nps_change),
            "at_risk": h.risk.at_risk, "risk_reasons": list(h.risk.reasons),
            "days_to_renewal": h.risk.days_to_renewal, "renewing_soon": h.risk.renewing_soon}


def _account(a: Account) -> dict[str, Any]:
    return {"id": a.pk, "external_id": a.external_id, "name": a.name, "industry": a.industry, "tier": a.tier,
            "region": a.region, "arr": str(a.arr), "currency": a.currency,
            "customer_since": a.customer_since.isoformat() if a.customer_since else None,
            "renewal_date": a.renewal_date.isoformat() if a.renewal_date else None,
            "owner": {"id": a.owner.pk, "name": str(a.owner), "email": a.owner.email} if a.owner else None}


def _settings(s: core.HealthSettings) -> dict[str, Any]:
    return {"weights": dict(s.weights), "key_roles": list(s.key_roles), "threshold": s.threshold,
            "drop_points": s.drop_points, "coverage_weight": s.coverage_weight, "silent_is_risk": s.silent_is_risk,
            "window_days": s.window_days, "renewal_days": s.renewal_days}


def _rows(rows: list[queries.AccountRow]) -> list[dict[str, Any]]:
    return [{**_account(r.account), "health": _health(r.health)} for r in rows]


@router.get("/accounts", response={200: dict[str, Any], **ERRORS},
            summary="B2B accounts with health, coverage, trend and risk")
def list_accounts(request: HttpRequest, params: Query[ListParams], org: str | None = None) -> Any:
    """Health 0–100, role-weighted NPS with its 95 % interval (adjusted-Wald at Kish's effective n), coverage
    of the key roles, each over the last 90 days and the 90 before; `at_risk=true` keeps the at-risk list."""
    a = caller(request, org)
    f = queries.AccountFilter(view="at_risk" if params.at_risk else "all", q=params.q.strip(), tier=params.tier,
                              region=params.region, owner_id=params.owner, sort=params.sort)
    data = queries.account_list(a.org, f)
    page = data.rows[params.offset:params.offset + params.limit]
    return {"as_of": data.today.isoformat() if data.today else None, "count": len(data.rows),
            "total": data.total, "at_risk": data.at_risk, "renewing_soon": data.renewing_soon,
            "settings": _settings(data.settings), "items": _rows(page)}


@router.get("/accounts/at-risk", response={200: dict[str, Any], **ERRORS},
            summary="The at-risk list: renewing within 90 days with low or falling health")
def list_at_risk(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    data = queries.account_list(a.org, queries.AccountFilter(view="at_risk"))
    return {"as_of": data.today.isoformat() if data.today else None, "count": len(data.rows),
            "settings": _settings(data.settings), "items": _rows(data.rows)}


class SettingsIn(Schema):
    weights: dict[str, float] | None = None
    key_roles: list[str] | None = None
    threshold: float | None = None
    drop_points: float | None = None
    coverage_weight: float | None = None
    silent_is_risk: bool | None = None


@router.get("/accounts/health-settings", response={200: dict[str, Any], **ERRORS},
            summary="The organisation's account-health settings")
def get_settings(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return _settings(health.settings_of(a.org))


@router.put("/accounts/health-settings", response={200: dict[str, Any], **ERRORS},
            summary="Change the account-health settings (admins); omitted fields keep their value")
def put_settings(request: HttpRequest, body: SettingsIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    now = health.settings_of(a.org)
    weights = {**now.weights, **(body.weights or {})}
    unknown = sorted(set(weights) - set(core.ROLES))
    if unknown:
        raise ServiceError(f"weights: unknown roles {unknown}; use {', '.join(core.ROLES)}", field="weights",
                           status=422)
    try:
        saved = health.save_settings(
            org=a.org, user=a.user, weights=weights,
            key_roles=now.key_roles if body.key_roles is None else body.key_roles,
            threshold=now.threshold if body.threshold is None else body.threshold,
            drop_points=now.drop_points if body.drop_points is None else body.drop_points,
            coverage_weight=now.coverage_weight if body.coverage_weight is None else body.coverage_weight,
            silent_is_risk=now.silent_is_risk if body.silent_is_risk is None else body.silent_is_risk,
            ip=request.META.get("REMOTE_ADDR"))
    except core.SettingsError as e:
        raise ServiceError(str(e), field=e.field, status=422) from e
    return _settings(saved)


def _stakeholder(c: Contact, detail: health.AccountDetail) -> dict[str, Any]:
    key = f"c{c.pk}"
    latest = detail.latest.get(key)
    heard = detail.last_heard.get(key)
    return {"id": c.pk, "name": c.name, "title": c.title, "email": c.email, "role": c.stakeholder_role,
            "weight": detail.settings.weight(c.stakeholder_role),
            "key_role": c.stakeholder_role in detail.settings.key_roles,
            "latest_nps": None if latest is None else {"score": latest.score, "date": latest.day.isoformat()},
            "last_heard": heard.isoformat() if heard else None}


@router.get("/accounts/{account_id}", response={200: dict[str, Any], **ERRORS},
            summary="One account: facts, owner CSM, health, stakeholders, open cases, health by month")
def get_account(request: HttpRequest, account_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    account = queries.accounts(a.org).select_related("owner").filter(pk=account_id).first()
    if account is None:
        raise ServiceError(f"Account {account_id} not found.", status=404)
    detail = health.account_detail(a.org, account)
    return {
        **_account(account), "health": _health(detail.health), "settings": _settings(detail.settings),
        "stakeholders": [_stakeholder(c, detail) for c in queries.stakeholders(a.org, account)],
        "open_cases": [{"number": c.number, "title": c.title, "status": c.status, "priority": c.priority,
                        "team": c.team.name if c.team else None, "opened_at": c.opened_at.isoformat()}
                       for c in queries.open_cases(a.org, account)],
        "responses": [{"id": r.pk, "survey": r.survey.name, "survey_id": r.survey_id, "status": r.status,
                       "contact_id": r.contact_id, "submitted_at": r.submitted_at.isoformat()}
                      for r in queries.account_responses(a.org, account)],
        "months": [{"month": m.window.end.strftime("%Y-%m"), **_window(m.window),
                    "nps_change": _comparison(m.nps_change)} for m in detail.months],
    }
