"""The B2B account pages: the account list with health, coverage and renewal (an "At risk" tab), one
account's page (facts, owner CSM, stakeholders, responses, open cases, health by month), and the
account-health settings (admins change them; everyone can read them). Each view reads its form and calls
``customers.queries`` / ``customers.health``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from cxloop.core import account_health as core
from cxloop.customers import health, queries
from cxloop.orgs.access import MANAGE, READ, Actor
from cxloop.orgs.models import Membership
from cxloop.web import plots
from cxloop.web.account_forms import ROLE_LABELS, AccountListForm, HealthSettingsForm
from cxloop.web.decorators import org_page

PER_PAGE = 50


def _members(actor: Actor) -> list[Membership]:
    return list(Membership.objects.filter(org=actor.org).select_related("user").order_by("user__display_name",
                                                                                          "user__email"))


def _settings_rows(s: core.HealthSettings) -> list[tuple[str, float, bool]]:
    return [(str(ROLE_LABELS[r]), s.weights[r], r in s.key_roles) for r in core.ROLES]


@require_safe
@org_page(READ)
def account_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = AccountListForm(request.GET, regions=queries.regions(actor.org), members=_members(actor))
    context: dict[str, Any] = {"org": actor.org, "section": "accounts", "form": form,
                               "can_manage": actor.can(MANAGE)}
    status = 400
    if form.is_valid():
        status = 200
        data = queries.account_list(actor.org, form.filters())
        page = Paginator(data.rows, PER_PAGE).get_page(form.cleaned_data.get("page") or 1)
        context.update(data=data, page=page, view=form.cleaned_data.get("view") or "all",
                       keep=form.query("page"), tab_query=form.query("page", "view"),
                       settings_rows=_settings_rows(data.settings))
    return render(request, "web/accounts/list.html", context, status=status)


def _trend_chart(detail: health.AccountDetail) -> plots.Figure:
    points = [plots.Point(m.window.end.strftime("%Y-%m"), m.window.health, m.window.health_low,
                          m.window.health_high, m.window.nps.n, m.nps_change.significant, m.window.nps.too_few)
              for m in detail.months]
    return plots.figure(
        plots.trend, points=points, title=_("Account health by month (the 90 days up to each month's end)"),
        value_label=_("Health"), band_label=_("95%% interval") % {},
        significant_label=_("Significant change (95%%)") % {}, few_label=_("Fewer than 5 respondents"),
        bounds=(0.0, 100.0), step=10.0, language=(get_language() or "en").lower(),
        formatter=lambda v: f"{v:.0f}")


@require_safe
@org_page(READ)
def account_detail(request: HttpRequest, actor: Actor, account_id: int) -> HttpResponse:
    account = queries.account(actor.org, account_id)
    detail = health.account_detail(actor.org, account)
    people = []
    for contact in queries.stakeholders(actor.org, account):
        key = f"c{contact.pk}"
        latest = detail.latest.get(key)
        people.append({"contact": contact, "latest": latest, "last_heard": detail.last_heard.get(key),
                       "weight": detail.settings.weight(contact.stakeholder_role),
                       "key": contact.stakeholder_role in detail.settings.key_roles})
    h = detail.health
    context = {
        "org": actor.org, "section": "accounts", "account": account, "detail": detail, "h": h,
        "people": people, "responses": queries.account_responses(actor.org, account),
        "cases": queries.open_cases(actor.org, account), "trend_chart": _trend_chart(detail),
        "months": list(reversed(detail.months)),
        "heard_labels": [ROLE_LABELS[r] for r in h.current.coverage.heard],
        "missing_labels": [ROLE_LABELS[r] for r in h.current.coverage.missing],
        "role_labels": ROLE_LABELS,
    }
    return render(request, "web/accounts/detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=MANAGE)
def account_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    current = health.settings_of(actor.org)
    status = 200
    if request.method == "POST":
        form = HealthSettingsForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                health.save_settings(org=actor.org, user=actor.user, weights=form.weights(),
                                     key_roles=d["key_roles"], threshold=d["threshold"],
                                     drop_points=d["drop_points"], coverage_weight=d["coverage_weight"],
                                     silent_is_risk=d["silent_is_risk"], ip=request.META.get("REMOTE_ADDR"))
            except core.SettingsError as e:
                form.add_error(e.field if e.field in form.fields else None, str(e))
            else:
                messages.success(request, _("Account health settings saved."))
                return redirect("account_settings", org=actor.org.slug)
        status = 400
    else:
        form = HealthSettingsForm(initial=HealthSettingsForm.initial_from(current))
    return render(request, "web/accounts/settings.html",
                  {"org": actor.org, "section": "accounts", "form": form, "can_manage": actor.can(MANAGE),
                   "settings_rows": _settings_rows(current), "current": current}, status=status)
