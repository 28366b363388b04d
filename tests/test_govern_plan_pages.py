"""Action plans made in one step where the problem is seen — a theme's spike, a journey step's opportunity, the
case inbox's selection, one case — and a plan's edit page (every field, the windows, the tasks). Titles follow
the acting user's language; bad input is a form error naming the field with nothing written; viewers get 403,
another organisation's ids 404."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from tests.test_govern_pages import governed
from tests.test_themes import Data

pytestmark = pytest.mark.django_db

QUERY = "?from=2026-01-01&to=2026-04-30"


def _client(user: Any, lang: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


def _plan_id(response: Any, slug: str) -> int:
    assert response.status_code == 302, response.content[:500]
    prefix = f"/o/{slug}/governance/plans/"
    assert response["Location"].startswith(prefix), response["Location"]
    return int(response["Location"][len(prefix):].strip("/"))


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _set_team(t: Any, user: Any, team: Any) -> None:
    from cxloop.orgs.models import Membership

    Membership.objects.filter(org=t.org, user=user).update(team=team)


def _step(t: Any, team: Any) -> Any:
    from cxloop.journeys import services as journeys

    tp = journeys.save_touchpoint(org=t.org, key="report_export", owner_team=team,
                                  name={"en": "Report export", "zh-hans": "报表导出", "zh-hant": "報表匯出"})
    journey = journeys.save_journey(org=t.org, name={"en": "Analyse"})
    return journeys.add_step(stage=journeys.add_stage(journey=journey, name={"en": "Report"}), touchpoint=tp,
                             lanes={"opportunities": "Exports of any size in under a minute\nEmail when ready"})


def _cases(t: Any, team: Any, numbers: tuple[int, ...] = (7, 8, 9)) -> list[Any]:
    from cxloop.cases.models import Case, RootCause

    cause = RootCause.objects.create(org=t.org, code="release_regression", label="Release regression")
    return [Case.objects.create(org=t.org, number=n, title=f"Export broken #{n}", team=team, root_cause=cause)
            for n in numbers]


# --- one step from a theme's spike ------------------------------------------------------------------------


def test_theme_page_button_creates_a_plan_about_the_spike(tenant_a: Any) -> None:
    from cxloop.govern.models import ActionPlan

    Data(tenant_a)  # export spikes in 2026-04
    slug = tenant_a.org.slug
    _set_team(tenant_a, tenant_a.member, tenant_a.team)
    member = _client(tenant_a.member)
    page = member.get(f"/o/{slug}/themes/product/export/{QUERY}").content.decode()
    assert f'action="/o/{slug}/governance/plans/from-theme/"' in page
    assert 'name="month" value="2026-04"' in page and 'name="theme" value="product/export"' in page
    assert "About the spike in 2026-04" in page and "Create action plan" in page
    # no spike in Jan–Mar: the latest month, said so
    calm = member.get(f"/o/{slug}/themes/product/export/?from=2026-01-01&to=2026-03-31").content.decode()
    assert 'name="month" value="2026-03"' in calm and "the plan uses the latest month, 2026-03" in calm
    # a viewer sees no button
    assert "from-theme" not in _client(tenant_a.viewer).get(f"/o/{slug}/themes/product/export/{QUERY}").content.decode()

    back = f"http://testserver/o/{slug}/themes/product/export/{QUERY}"
    r = member.post(f"/o/{slug}/governance/plans/from-theme/", {"theme": "product/export", "month": "2026-04"},
                    HTTP_REFERER=back)
    p = ActionPlan.objects.get(org=tenant_a.org, pk=_plan_id(r, slug))
    assert p.source == "theme_spike" and p.theme == "product/export" and p.created_by == tenant_a.member
    assert p.measure["kind"] == "theme_share" and p.measure["theme"] == "product/export" and p.direction == "lower"
    assert (p.baseline_from, p.baseline_to) == (date(2026, 4, 1), date(2026, 5, 1))
    assert p.after_from is None and p.owner_team == tenant_a.team  # the acting member's team
    assert p.title == "Export: spike in 2026-04" and p.problem == "Comments about Export rose significantly in 2026-04."
    shown = member.get(r["Location"])
    assert f"AP-{p.number} Export: spike in 2026-04" in shown.content.decode()
    assert f"Action plan AP-{p.number} is created." in _messages(shown)

    # a team chosen on the form wins; in Chinese the theme is named by its Chinese label
    from cxloop.orgs import services as orgs

    product = orgs.save_team(org=tenant_a.org, name="Product", kind="product")
    zh = _client(tenant_a.member, "zh-hans")
    r = zh.post(f"/o/{slug}/governance/plans/from-theme/",
                {"theme": "product/export", "month": "2026-04", "owner_team": product.pk})
    p = ActionPlan.objects.get(pk=_plan_id(r, slug))
    assert p.owner_team == product and p.title.startswith("导出") and "2026-04" in p.title
    assert p.title == "导出：2026-04 激增"

    # bad month or unknown theme: an error on the page it came from, nothing written
    count = ActionPlan.objects.count()
    r = member.post(f"/o/{slug}/governance/plans/from-theme/", {"theme": "product/export", "month": "2026-13"},
                    HTTP_REFERER=back)
    assert r.status_code == 302 and r["Location"] == f"/o/{slug}/themes/product/export/{QUERY}"
    assert "Month: Give a month as YYYY-MM." in _messages(member.get(r["Location"]))
    r = member.post(f"/o/{slug}/governance/plans/from-theme/", {"theme": "product/export", "month": "2026-04"},
                    HTTP_REFERER="https://evil.example.com/o/x/")
    assert r["Location"] == f"/o/{slug}/governance/plans/{p.pk + 1}/"  # created; a foreign referer is not used
    assert member.post(f"/o/{slug}/governance/plans/from-theme/",
                       {"theme": "product/nothing", "month": "2026-04"}).status_code == 404
    r = member.post(f"/o/{slug}/governance/plans/from-theme/", {"theme": "product/export"},
                    HTTP_REFERER="https://evil.example.com/o/x/")
    assert r["Location"] == f"/o/{slug}/governance/plans/"
    assert ActionPlan.objects.count() == count + 1


# --- one step from a journey step's opportunity ---------------------------------------------------------


def test_journey_step_button_creates_a_plan_from_the_opportunity(tenant_a: Any) -> None:
    from cxloop.govern.models import ActionPlan

    step = _step(tenant_a, tenant_a.team)
    slug = tenant_a.org.slug
    owner = _client(tenant_a.owner)
    page = owner.get(f"/o/{slug}/journeys/{step.stage.journey_id}/steps/{step.pk}/").content.decode()
    assert f'action="/o/{slug}/governance/plans/from-step/"' in page and f'name="step" value="{step.pk}"' in page
    assert "Create action plan from this opportunity" in page

    member = _client(tenant_a.member)
    r = member.post(f"/o/{slug}/governance/plans/from-step/", {"step": step.pk})
    p = ActionPlan.objects.get(org=tenant_a.org, pk=_plan_id(r, slug))
    assert p.source == "opportunity" and p.step == step and p.touchpoint.key == "report_export"
    assert p.owner_team == tenant_a.team  # the touchpoint's team
    assert p.title == "Report export: Exports of any size in under a minute"
    assert p.problem == "Exports of any size in under a minute\nEmail when ready"
    assert p.baseline_from is None and p.measure == {}

    zh = _client(tenant_a.member, "zh-hans")
    p = ActionPlan.objects.get(pk=_plan_id(zh.post(f"/o/{slug}/governance/plans/from-step/", {"step": step.pk}),
                                           slug))
    assert p.title.startswith("报表导出") and p.title.endswith("Exports of any size in under a minute")
    assert p.title == "报表导出：Exports of any size in under a minute"

    # a missing step is 404; a malformed one an error where the button was
    assert member.post(f"/o/{slug}/governance/plans/from-step/", {"step": 999999}).status_code == 404
    r = member.post(f"/o/{slug}/governance/plans/from-step/", {"step": "x"},
                    HTTP_REFERER=f"http://testserver/o/{slug}/journeys/")
    assert r["Location"] == f"/o/{slug}/journeys/"
    assert any(m.startswith("Journey step: ") for m in _messages(member.get(r["Location"])))


# --- one step from cases --------------------------------------------------------------------------------------


def test_inbox_selection_and_one_case_create_plans(tenant_a: Any) -> None:
    from cxloop.govern.models import ActionPlan
    from cxloop.orgs import services as orgs

    product = orgs.save_team(org=tenant_a.org, name="Product", kind="product")
    _cases(tenant_a, product)
    slug = tenant_a.org.slug
    member = _client(tenant_a.member)
    inbox = member.get(f"/o/{slug}/cases/?view=all").content.decode()
    assert f'formaction="/o/{slug}/governance/plans/from-cases/"' in inbox
    assert "Create action plan from selected cases" in inbox and 'name="case" value="8"' in inbox
    assert "from-cases" not in _client(tenant_a.viewer).get(f"/o/{slug}/cases/?view=all").content.decode()

    r = member.post(f"/o/{slug}/governance/plans/from-cases/", {"case": ["9", "7", "8"], "assignee": "",
                                                                 "query": "view=all"})
    p = ActionPlan.objects.get(org=tenant_a.org, pk=_plan_id(r, slug))
    assert p.source == "cases" and sorted(p.cases.values_list("number", flat=True)) == [7, 8, 9]
    assert p.title == "3 cases: Release regression" and p.owner_team == product
    assert p.problem == "#7 Export broken #7\n#8 Export broken #8\n#9 Export broken #9"

    one = member.get(f"/o/{slug}/cases/8/").content.decode()
    assert "Create action plan from this case" in one and 'name="case" value="8"' in one
    r = member.post(f"/o/{slug}/governance/plans/from-cases/", {"case": "8"})
    p = ActionPlan.objects.get(pk=_plan_id(r, slug))
    assert p.title == "Case #8: Export broken #8" and list(p.cases.values_list("number", flat=True)) == [8]
    assert p.owner_team == product and p.source == "cases"

    zh = _client(tenant_a.member, "zh-hans")
    p = ActionPlan.objects.get(pk=_plan_id(zh.post(f"/o/{slug}/governance/plans/from-cases/",
                                                   {"case": ["7", "9"]}), slug))
    assert "Release regression" in p.title and sorted(p.cases.values_list("number", flat=True)) == [7, 9]
    assert p.title == "2 个工单：Release regression"

    # nothing selected: back to the inbox with the error, nothing written
    count = ActionPlan.objects.count()
    r = member.post(f"/o/{slug}/governance/plans/from-cases/", {"assignee": ""},
                    HTTP_REFERER=f"http://testserver/o/{slug}/cases/?view=all")
    assert r["Location"] == f"/o/{slug}/cases/?view=all"
    assert "Choose at least one case." in _messages(member.get(r["Location"]))
    assert member.post(f"/o/{slug}/governance/plans/from-cases/", {"case": ["7", "4242"]}).status_code == 404
    assert ActionPlan.objects.count() == count


# --- editing a plan -------------------------------------------------------------------------------------------


def _state(p: Any) -> tuple[Any, ...]:
    from cxloop.govern.models import ActionPlan

    p = ActionPlan.objects.get(pk=p.pk)
    return (p.title, p.problem, p.owner_team_id, p.owner_id, p.due, p.baseline_from, p.baseline_to, p.after_from,
            p.after_to, p.story, [(t.title, t.assignee_id, t.due, t.done) for t in p.tasks.all()])


def _form(p: Any, **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it, with ``changes``."""
    data: dict[str, Any] = {
        "title": p.title, "problem": p.problem, "owner_team": p.owner_team_id or "", "owner": p.owner_id or "",
        "due": p.due.isoformat() if p.due else "", "story": p.story,
        **{k: f"{getattr(p, k):%Y-%m}" if getattr(p, k) else "" for k in ("baseline_from", "baseline_to",
                                                                          "after_from", "after_to")}}
    for t in p.tasks.all():
        data |= {f"task_{t.pk}_title": t.title, f"task_{t.pk}_assignee": t.assignee_id or "",
                 f"task_{t.pk}_due": t.due.isoformat() if t.due else ""}
        if t.done:
            data[f"task_{t.pk}_done"] = "on"
    return data | changes


def test_edit_form_stores_every_field_and_the_tasks(tenant_a: Any) -> None:
    from cxloop.govern import services
    from cxloop.govern.models import ActionPlan

    data = governed(tenant_a)
    slug = tenant_a.org.slug
    p = services.save_plan(org=tenant_a.org, data={"title": "Shorter onboarding"})
    url = f"/o/{slug}/governance/plans/{p.pk}/edit/"
    member = _client(tenant_a.member)
    plan_page = member.get(f"/o/{slug}/governance/plans/{p.pk}/").content.decode()
    assert f'href="{url}"' in plan_page
    assert url not in _client(tenant_a.viewer).get(f"/o/{slug}/governance/plans/{p.pk}/").content.decode()
    page = member.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Shorter onboarding"' in body and 'type="month"' in body and 'name="new_title"' in body

    marketing = data["teams"][1]
    r = member.post(url, _form(p, title="Shorter onboarding <b>now</b>", problem="Setup takes 3 weeks",
                               owner_team=marketing.pk, owner=tenant_a.member.pk, due="2026-09-30",
                               baseline_from="2026-01", baseline_to="2026-03", after_from="2026-07",
                               after_to="2026-08", story="Cut the forms in half.", new_title="Map the setup steps",
                               new_assignee=tenant_a.owner.pk, new_due="2026-08-15"))
    assert r.status_code == 302 and r["Location"] == f"/o/{slug}/governance/plans/{p.pk}/"
    p.refresh_from_db()
    assert _state(p) == ("Shorter onboarding <b>now</b>", "Setup takes 3 weeks", marketing.pk, tenant_a.member.pk,
                         date(2026, 9, 30), date(2026, 1, 1), date(2026, 3, 1), date(2026, 7, 1), date(2026, 8, 1),
                         "Cut the forms in half.", [("Map the setup steps", tenant_a.owner.pk, date(2026, 8, 15),
                                                     False)])
    shown = member.get(r["Location"]).content.decode()
    assert "Shorter onboarding &lt;b&gt;now&lt;/b&gt;" in shown and "<b>now</b>" not in shown
    assert "The plan is saved." in shown and "Map the setup steps" in shown

    # a second task (staying on the form), then: rename the first, tick it done, remove the second
    r = member.post(url, _form(p, new_title="Ship the short form", then="more"))
    assert r["Location"] == f"{url}#tasks"
    first, second = list(p.tasks.all())
    assert (first.title, second.title, second.assignee_id) == ("Map the setup steps", "Ship the short form", None)
    r = member.post(url, _form(p, **{f"task_{first.pk}_title": "Map every setup step", f"task_{first.pk}_done": "on",
                                     f"task_{second.pk}_remove": "on"}))
    assert r.status_code == 302
    assert [(t.title, t.done, t.assignee_id, t.due) for t in p.tasks.all()] == [
        ("Map every setup step", True, tenant_a.owner.pk, date(2026, 8, 15))]
    # the windows and owners may be cleared
    r = member.post(url, _form(p, owner_team="", owner="", due="", after_from="", after_to=""))
    p.refresh_from_db()
    assert (p.owner_team, p.owner, p.due, p.after_from, p.after_to) == (None, None, None, None, None)
    assert p.baseline_from == date(2026, 1, 1)

    # the plan page's tick: one task open again, the rest as it was
    task = p.tasks.get()
    r = member.post(url, {"toggle": task.pk, "done": "0"})
    assert r["Location"] == f"/o/{slug}/governance/plans/{p.pk}/"
    assert [(t.title, t.done, t.assignee_id) for t in p.tasks.all()] == [("Map every setup step", False,
                                                                          tenant_a.owner.pk)]
    page = member.get(r["Location"]).content.decode()
    assert "Task open again: Map every setup step" in page and 'name="toggle"' in page
    assert ActionPlan.objects.filter(org=tenant_a.org).count() == 3


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"after_from": "2026-08", "after_to": "2026-06"}, "after_to",
     "The end of the after window must not be before its start."),
    ({"after_from": "2026-02", "after_to": "2026-03"}, "after_from",
     "The after window must start after the baseline window ends."),
    ({"baseline_to": ""}, "baseline_to", "Give both ends of the baseline window, or neither."),
    ({"after_from": ""}, "after_from", "Give both ends of the after window, or neither."),
    ({"baseline_from": "March"}, "baseline_from", "Give a month as YYYY-MM."),
    ({"title": ""}, "title", "This field is required."),
    ({"new_title": "", "new_due": "2026-09-01"}, "new_title", "Give the new task a title."),
])
def test_bad_input_is_a_form_error_and_nothing_changes(tenant_a: Any, changes: dict[str, Any], field: str,
                                                       message: str) -> None:
    data = governed(tenant_a)
    p = data["worked"]  # baseline 2026-03–04, after 2026-06–07, one task
    url = f"/o/{tenant_a.org.slug}/governance/plans/{p.pk}/edit/"
    before = _state(p)
    task = p.tasks.get()
    r = _client(tenant_a.member).post(url, _form(p, title="Renamed", new_title="Extra task",
                                                  **{f"task_{task.pk}_remove": "on"}) | changes)
    assert r.status_code == 200
    assert r.context["form"].errors[field] == [message]
    body = r.content.decode()
    assert message in body and "The plan is not saved" in body
    assert _state(p) == before


def test_a_blank_task_title_names_the_task(tenant_a: Any) -> None:
    data = governed(tenant_a)
    p = data["worked"]
    task = p.tasks.get()
    before = _state(p)
    r = _client(tenant_a.member).post(f"/o/{tenant_a.org.slug}/governance/plans/{p.pk}/edit/",
                                      _form(p, **{f"task_{task.pk}_title": " "}))
    assert r.status_code == 200
    assert r.context["form"].errors[f"task_{task.pk}_title"] == ["Give the task a title, or tick Remove."]
    assert _state(p) == before


# --- roles and tenancy ----------------------------------------------------------------------------------------


def test_viewers_get_403_and_other_organisations_404(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.govern import services
    from cxloop.govern.models import ActionPlan

    step = _step(tenant_a, tenant_a.team)
    _cases(tenant_a, tenant_a.team, (31,))
    plan = services.save_plan(org=tenant_a.org, data={"title": "Secret plan"})
    a, b = tenant_a.org.slug, tenant_b.org.slug
    posts = {"from-theme/": {"theme": "product/export", "month": "2026-04"}, "from-step/": {"step": step.pk},
             "from-cases/": {"case": "31"}, f"{plan.pk}/edit/": {"title": "Taken over"}}
    viewer = _client(tenant_a.viewer)
    for path, body in posts.items():
        assert viewer.post(f"/o/{a}/governance/plans/{path}", body).status_code == 403, path
    assert viewer.get(f"/o/{a}/governance/plans/{plan.pk}/edit/").status_code == 403
    assert viewer.post(f"/o/{a}/governance/plans/{plan.pk}/edit/", {"toggle": "1", "done": "1"}).status_code == 403

    outsider = _client(tenant_b.member)
    for path, body in posts.items():  # A's address
        assert outsider.post(f"/o/{a}/governance/plans/{path}", body).status_code == 404, path
    # A's ids used from B's own address
    assert outsider.get(f"/o/{b}/governance/plans/{plan.pk}/edit/").status_code == 404
    assert outsider.post(f"/o/{b}/governance/plans/{plan.pk}/edit/", {"title": "Taken over"}).status_code == 404
    assert outsider.post(f"/o/{b}/governance/plans/from-step/", {"step": step.pk}).status_code == 404
    assert outsider.post(f"/o/{b}/governance/plans/from-cases/", {"case": "31"}).status_code == 404
    assert ActionPlan.objects.filter(org=tenant_b.org).count() == 0
    assert list(ActionPlan.objects.filter(org=tenant_a.org).values_list("title", flat=True)) == ["Secret plan"]
    # GET on a one-step address is not a page
    assert _client(tenant_a.member).get(f"/o/{a}/governance/plans/from-step/").status_code == 405
