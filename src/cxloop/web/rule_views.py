"""Settings → Rules (alert and routing rules, ``docs/rules.md``) and Settings → Root causes. Analysts may look;
admins and owners change. A rule is edited as JSON in a textarea; ``cases.services.save_rule`` names every
problem by its JSON path, shown on the textarea. "Test this rule" explains each leaf of the condition on one
response (``core.rules.explain`` over ``cases.intake.see``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.analytics.metrics_service import local_today
from cxloop.cases import admin_services, intake, queries, services
from cxloop.cases.models import AlertRule
from cxloop.core import rules as rules_core
from cxloop.orgs.access import ANALYSE, MANAGE, Actor
from cxloop.orgs.services import ServiceError
from cxloop.web import case_forms as forms
from cxloop.web.decorators import org_page


def _rule_error(form: forms.RuleForm, exc: ServiceError) -> None:
    """``name`` on the name field; anything else (a JSON path such as ``when.all[0].op``) on the textarea."""
    if exc.field == "name":
        form.add_error("name", exc.message.removeprefix("name: "))
    else:
        form.add_error("definition", exc.message)


def _example(actor: Actor) -> str:
    example: dict[str, Any] = dict(forms.EXAMPLE_RULE)
    team = queries.teams(actor.org).first()
    if team is not None:
        example["then"] = {"open_case": {**example["then"]["open_case"], "team": team.name}}
    return forms.rule_text(example)


def _save(actor: Actor, form: forms.RuleForm, rule: AlertRule | None) -> tuple[AlertRule | None, int]:
    """The saved rule, or None and the status of the refusal (422 for a form error)."""
    if not form.is_valid():
        return None, 422
    try:
        return services.save_rule(org=actor.org, name=form.cleaned_data["name"],
                                  definition=form.cleaned_data["definition"], enabled=form.cleaned_data["enabled"],
                                  rule=rule, actor=actor.user), 200
    except ServiceError as exc:
        _rule_error(form, exc)
        return None, exc.status


def _context(actor: Actor, **more: Any) -> dict[str, Any]:
    return {"org": actor.org, "section": "settings", "tab": "rules", "can_manage": actor.can(MANAGE), **more}


@org_page(ANALYSE, post_role=MANAGE)
def rules(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.RuleForm(request.POST or None, initial={"enabled": True, "definition": _example(actor)})
    status = 200
    if request.method == "POST":
        rule, status = _save(actor, form, None)
        if rule is not None:
            messages.success(request, _("Rule saved."))
            return redirect("settings_rule", org=actor.org.slug, rule_id=rule.pk)
    return render(request, "web/settings/rules.html", _context(actor, rules=queries.rules(actor.org), form=form),
                  status=status)


@org_page(ANALYSE, post_role=MANAGE)
def rule_detail(request: HttpRequest, actor: Actor, rule_id: int) -> HttpResponse:
    rule = queries.rule(actor.org, rule_id)
    form = forms.RuleForm(request.POST or None, initial={"name": rule.name, "enabled": rule.enabled,
                                                         "definition": forms.rule_text(rule.definition)})
    status = 200
    if request.method == "POST":
        saved, status = _save(actor, form, rule)
        if saved is not None:
            messages.success(request, _("Rule saved."))
            return redirect("settings_rule", org=actor.org.slug, rule_id=rule.pk)
    test = forms.RuleTestForm(request.GET if "response" in request.GET else None)
    context = _context(actor, rule=rule, form=form, test=test)
    if test.is_bound and test.is_valid():
        try:
            response, answers = queries.response_for_test(actor.org, test.cleaned_data["response"])
        except Http404:
            test.add_error("response", _("No response with this id in this organisation."))
            status = 404
        else:
            try:
                parsed = rules_core.parse(rule.definition)
            except rules_core.RuleError as exc:  # a rule stored before a stricter check: say so, do not fail
                test.add_error(None, str(exc))
                status = 422
            else:
                facts = intake.see(response, answers, local_today()).facts
                context.update(tested=response, checks=rules_core.explain(parsed.when, facts),
                               matches=rules_core.evaluate(parsed.when, facts))
    elif test.is_bound:
        status = 400
    return render(request, "web/settings/rule.html", context, status=status)


@require_POST
@org_page(MANAGE)
def rule_delete(request: HttpRequest, actor: Actor, rule_id: int) -> HttpResponse:
    services.delete_rule(rule=queries.rule(actor.org, rule_id), actor=actor.user)
    messages.success(request, _("Rule deleted."))
    return redirect("settings_rules", org=actor.org.slug)


# --- root causes -------------------------------------------------------------------------------------


@org_page(ANALYSE, post_role=MANAGE)
def root_causes(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.RootCauseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                admin_services.add_root_cause(org=actor.org, label=form.cleaned_data["label"],
                                              code=form.cleaned_data["code"], actor=actor.user)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None,
                               exc.message.removeprefix(f"{exc.field}: "))
                status = exc.status
            else:
                messages.success(request, _("Root cause added."))
                return redirect("settings_root_causes", org=actor.org.slug)
        else:
            status = 422
    return render(request, "web/settings/root_causes.html",
                  {"org": actor.org, "section": "settings", "tab": "root_causes", "form": form,
                   "causes": queries.all_root_causes(actor.org), "can_manage": actor.can(MANAGE)}, status=status)


@require_POST
@org_page(MANAGE)
def root_cause_toggle(request: HttpRequest, actor: Actor, cause_id: int) -> HttpResponse:
    cause = queries.root_cause(actor.org, cause_id)
    admin_services.set_root_cause_active(cause=cause, active=not cause.active, actor=actor.user)
    messages.success(request, _("Root cause switched on.") if cause.active else _("Root cause switched off."))
    return redirect("settings_root_causes", org=actor.org.slug)
