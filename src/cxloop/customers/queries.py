"""Reads of accounts and contacts, scoped to one organisation: the account list with its health (filters,
the at-risk list), and one account's stakeholders, responses and open cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, QuerySet

from cxloop.cases.models import Case
from cxloop.core import account_health as core
from cxloop.core import case_flow
from cxloop.customers import health
from cxloop.customers.models import Account, Contact
from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Response, listed_survey


def accounts(org: Organization, *, tier: str | None = None, search: str | None = None) -> QuerySet[Account]:
    qs = Account.objects.filter(org=org).annotate(contact_count=Count("contacts"))
    if tier:
        qs = qs.filter(tier=tier)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def account(org: Organization, account_id: int) -> Account:
    return one_or_404(accounts(org), account_id, "Account")


def contacts(org: Organization, *, account_id: int | None = None) -> QuerySet[Contact]:
    qs = Contact.objects.filter(org=org)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs


def contact(org: Organization, contact_id: int) -> Contact:
    return one_or_404(contacts(org), contact_id, "Contact")


# --- the account list with health --------------------------------------------------------------------

SORTS = ("name", "health", "renewal", "arr", "coverage")
VIEWS = ("all", "at_risk")


@dataclass(frozen=True)
class AccountFilter:
    view: str = "all"  # "at_risk": renewing soon and low / falling (/ silent)
    q: str = ""
    tier: str = ""
    region: str = ""
    owner_id: int | None = None
    sort: str = "name"


@dataclass(frozen=True)
class AccountRow:
    account: Account
    health: core.AccountHealth


@dataclass(frozen=True)
class AccountList:
    rows: list[AccountRow]
    total: int  # accounts of the organisation
    at_risk: int  # of all accounts, whatever the other filters
    renewing_soon: int
    settings: core.HealthSettings
    regions: list[str] = field(default_factory=list)
    today: date | None = None


def regions(org: Organization) -> list[str]:
    return sorted({r for r in Account.objects.filter(org=org).values_list("region", flat=True) if r})


def _sort_key(sort: str, row: AccountRow) -> tuple[object, ...]:
    a, h = row.account, row.health.current
    if sort == "health":  # lowest first; no health last
        return (h.health is None, h.health if h.health is not None else 0.0, a.name)
    if sort == "coverage":
        return (h.coverage.share, a.name)
    if sort == "renewal":
        return (a.renewal_date is None, a.renewal_date or date.max, a.name)
    if sort == "arr":
        return (-a.arr, a.name)
    return (a.name.casefold(), a.pk)


def account_list(org: Organization, f: AccountFilter | None = None, *, on: date | None = None) -> AccountList:
    """Every account with its health, narrowed by ``f``; the at-risk view is sorted by renewal date."""
    f = f or AccountFilter()
    end = on or health.today()
    settings = health.settings_of(org)
    by_account = health.org_health(org, on=end, settings=settings)
    qs = accounts(org, tier=f.tier or None, search=f.q or None).select_related("owner")
    if f.region:
        qs = qs.filter(region=f.region)
    if f.owner_id is not None:
        qs = qs.filter(owner_id=f.owner_id)
    rows = [AccountRow(a, by_account[a.pk]) for a in qs if a.pk in by_account]
    if f.view == "at_risk":
        rows = [r for r in rows if r.health.risk.at_risk]
    sort = "renewal" if f.view == "at_risk" and f.sort == "name" else f.sort
    rows.sort(key=lambda r: _sort_key(sort, r))
    return AccountList(rows, len(by_account), sum(h.risk.at_risk for h in by_account.values()),
                       sum(h.risk.renewing_soon for h in by_account.values()), settings, regions(org), end)


def at_risk(org: Organization, *, on: date | None = None) -> list[AccountRow]:
    """The at-risk list: accounts renewing within the renewal horizon with low or falling health, soonest
    renewal first."""
    return account_list(org, AccountFilter(view="at_risk"), on=on).rows


# --- one account ---------------------------------------------------------------------------------------


ROLE_ORDER = {r: i for i, r in enumerate(core.ROLES)}


def stakeholders(org: Organization, account: Account) -> list[Contact]:
    people = list(contacts(org, account_id=account.pk))
    people.sort(key=lambda c: (ROLE_ORDER.get(c.stakeholder_role, 99), c.name))
    return people


def account_responses(org: Organization, account: Account, *, limit: int = 25) -> list[Response]:
    """The account's latest responses (complete and partial), newest first, with survey and contact."""
    return list(Response.objects.filter(org=org, account=account).select_related("survey", "contact")
                .defer(*listed_survey()).order_by("-submitted_at", "-pk")[:limit])


def open_cases(org: Organization, account: Account) -> list[Case]:
    return list(Case.objects.filter(org=org, account=account, status__in=list(case_flow.OPEN_STATUSES))
                .select_related("team", "assignee", "contact").order_by("-opened_at", "-pk"))
