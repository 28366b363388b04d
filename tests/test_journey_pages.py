"""Journey pages (issue 7): the list, the live map with its period and comparison, the SVG export and print view,
the editor (every action a plain form: add, rename, reorder, move, remove), the touchpoint catalogue and linking a
survey; roles (everyone reads, analysts and up edit), errors that name the field, and another organisation's
journey, step or touchpoint is a 404 on every URL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from cxloop.journeys import services as journeys
from cxloop.journeys.models import Journey, Stage, Step, Touchpoint
from cxloop.surveys import services
from cxloop.surveys.models import Survey
from cxloop.texts import services as texts

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "Export pulse", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def built(tenant_a: Any) -> dict[str, Any]:
    org = tenant_a.org
    export = journeys.save_touchpoint(org=org, key="export", name={"zh-hans": "报表导出", "zh-hant": "報表匯出",
                                                                   "en": "Report export"}, channel="app",
                                      owner_team=tenant_a.team)
    support = journeys.save_touchpoint(org=org, key="support", name={"zh-hans": "技术支持", "en": "Support"},
                                       channel="phone")
    j = journeys.save_journey(org=org, name={"zh-hans": "采购到续约", "en": "Purchase to renewal"})
    use = journeys.add_stage(journey=j, name={"zh-hans": "使用", "en": "Adoption"})
    help_ = journeys.add_stage(journey=j, name={"zh-hans": "支持", "en": "Support"})
    step = journeys.add_step(stage=use, touchpoint=export, lanes={"actions": "<b>Exports</b> the monthly report",
                                                                  "backstage": "Report service"}, target=0.4)
    journeys.add_step(stage=help_, touchpoint=support)
    survey = services.create_survey(org=org, name="Export pulse", definition=DEFINITION)
    services.publish(survey=survey)
    journeys.link_survey(touchpoint=export, survey=survey)
    zone = ZoneInfo(settings.TIME_ZONE)
    items = [services.BatchItem(services.Submission(answers={"nps": 2 if i < 10 else 9, "why": text},
                                                    language="zh-hans",
                                                    submitted_at=datetime(2026, 5, 3 + i % 20, 10, tzinfo=zone)))
             for i, text in enumerate(["导出报表一直失败 <script>x</script>"] * 10 + ["导出很方便，满意"] * 5)]
    assert all(isinstance(r, services.Recorded) for r in services.record_batch(survey=survey, items=items))
    texts.analyse_all(org)
    return {"journey": j, "use": use, "help": help_, "step": step, "export": export, "support": support,
            "survey": survey}


def test_map_shows_live_numbers_lanes_and_escapes(built: dict[str, Any], tenant_a: Any) -> None:
    j = built["journey"]
    url = f"/o/{tenant_a.org.slug}/journeys/{j.pk}/?from=2026-05-01&to=2026-05-31"
    for language, title, stage in (("zh-hans", "采购到续约", "使用"), ("en", "Purchase to renewal", "Adoption"),
                                   ("zh-hant", "采购到续约", "使用")):
        page = _client(tenant_a.viewer, language).get(url)
        body = page.content.decode()
        assert page.status_code == 200 and title in body and stage in body
        assert "&lt;b&gt;Exports&lt;/b&gt;" in body and "<script>x</script>" not in body
    data = page.context["data"]
    export = data.steps[0]
    assert export.volume == 15 and export.scores["nps"].n == 15 and export.low_point is False  # one step with data
    assert 'src="data:image/svg+xml;base64,' in body
    compared = _client(tenant_a.viewer).get(url + "&compare_from=2026-04-01&compare_to=2026-04-30")
    assert compared.status_code == 200 and compared.context["changes"]
    bad = _client(tenant_a.viewer).get(url + "&compare_from=2026-04-01")
    assert bad.status_code == 400 and bad.context["form"].errors["compare_from"]
    printed = _client(tenant_a.viewer).get(url + "&print=1")
    assert printed.status_code == 200 and b"mainnav" not in printed.content


def test_svg_export_names_every_stage(built: dict[str, Any], tenant_a: Any) -> None:
    svg = _client(tenant_a.viewer, "zh-hans").get(f"/o/{tenant_a.org.slug}/journeys/{built['journey'].pk}/map.svg")
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in svg["Content-Disposition"]
    text = svg.content.decode()
    assert "使用" in text and "支持" in text and "报表导出" in text and "<script" not in text
    assert _client(tenant_a.viewer).get(
        f"/o/{tenant_a.org.slug}/journeys/{built['journey'].pk}/map.svg?from=x").status_code == 400


def _edit(client: Client, tenant: Any, j: Journey, **data: Any) -> Any:
    return client.post(f"/o/{tenant.org.slug}/journeys/{j.pk}/edit/", data)


def test_editor_actions(built: dict[str, Any], tenant_a: Any) -> None:
    j, use = built["journey"], built["use"]
    owner = _client(tenant_a.owner, "zh-hans")
    assert owner.get(f"/o/{tenant_a.org.slug}/journeys/{j.pk}/edit/").status_code == 200
    assert _edit(owner, tenant_a, j, op="add_stage", name_zh_hans="续约", name_en="Renewal").status_code == 302
    renewal = Stage.objects.get(journey=j, position=2)
    assert renewal.name == {"zh-hans": "续约", "en": "Renewal"}
    assert _edit(owner, tenant_a, j, op="stage_move", stage=renewal.pk, direction="up").status_code == 302
    assert list(j.stages.values_list("name__en", flat=True)) == ["Adoption", "Renewal", "Support"]
    assert _edit(owner, tenant_a, j, op="step_add", stage=renewal.pk, touchpoint=built["support"].pk).status_code == 302
    added = Step.objects.get(stage=renewal)
    assert _edit(owner, tenant_a, j, op="step_to", step=added.pk, to=use.pk).status_code == 302
    assert list(use.steps.values_list("touchpoint__key", flat=True)) == ["export", "support"]
    assert _edit(owner, tenant_a, j, op="step_move", step=added.pk, direction="up").status_code == 302
    assert list(use.steps.values_list("touchpoint__key", flat=True)) == ["support", "export"]
    assert _edit(owner, tenant_a, j, op="stage_rename", stage=renewal.pk, name_en="Renew").status_code == 302
    assert Stage.objects.get(pk=renewal.pk).name == {"en": "Renew"}
    assert _edit(owner, tenant_a, j, op="step_delete", step=added.pk).status_code == 302
    assert _edit(owner, tenant_a, j, op="stage_delete", stage=renewal.pk).status_code == 302
    assert list(j.stages.values_list("position", flat=True)) == [0, 1]
    # errors: named, nothing changed
    refused = _edit(owner, tenant_a, j, op="add_stage")
    assert refused.status_code == 422 and j.stages.count() == 2
    first = _edit(owner, tenant_a, j, op="stage_move", stage=use.pk, direction="up")
    assert first.status_code == 409
    assert _edit(owner, tenant_a, j, op="step_add", stage=use.pk, touchpoint="x").status_code == 400
    assert _edit(owner, tenant_a, j, op="nonsense", step=built["step"].pk).status_code == 400
    # lanes and the to-be emotion
    step_url = f"/o/{tenant_a.org.slug}/journeys/{j.pk}/steps/{built['step'].pk}/"
    assert owner.post(step_url, {"actions": "Exports", "target": "3"}).status_code == 422
    assert owner.post(step_url, {"actions": "Exports", "frontstage": "CSM", "target": "0.5"}).status_code == 302
    step = Step.objects.get(pk=built["step"].pk)
    assert (step.actions, step.frontstage, step.backstage, step.target) == ("Exports", "CSM", "", 0.5)
    assert _edit(owner, tenant_a, j, op="rename", name_en="Buy and renew", description="B2B").status_code == 302
    assert Journey.objects.get(pk=j.pk).name == {"en": "Buy and renew"}
    assert _edit(owner, tenant_a, j, op="delete_journey").status_code == 302
    assert not Journey.objects.filter(pk=j.pk).exists() and Touchpoint.objects.filter(org=tenant_a.org).count() == 2


def test_roles(built: dict[str, Any], tenant_a: Any) -> None:
    j = built["journey"]
    for user in (tenant_a.viewer, tenant_a.member):
        client = _client(user)
        assert client.get(f"/o/{tenant_a.org.slug}/journeys/{j.pk}/").status_code == 200
        assert client.get(f"/o/{tenant_a.org.slug}/journeys/{j.pk}/edit/").status_code == 403
        assert _edit(client, tenant_a, j, op="add_stage", name_en="X").status_code == 403
        assert client.post(f"/o/{tenant_a.org.slug}/journeys/", {"name_en": "New"}).status_code == 403
        assert client.post(f"/o/{tenant_a.org.slug}/touchpoints/", {"key": "x", "name_en": "X",
                                                                    "channel": "web"}).status_code == 403
    assert j.stages.count() == 2


def test_new_journey_touchpoint_and_linked_survey(tenant_a: Any) -> None:
    owner = _client(tenant_a.owner)
    created = owner.post(f"/o/{tenant_a.org.slug}/journeys/", {"name_en": "Support request"})
    assert created.status_code == 302
    j = Journey.objects.get(org=tenant_a.org)
    assert created["Location"] == f"/o/{tenant_a.org.slug}/journeys/{j.pk}/edit/"
    assert owner.post(f"/o/{tenant_a.org.slug}/journeys/", {}).status_code == 422
    bad = owner.post(f"/o/{tenant_a.org.slug}/touchpoints/", {"key": "Bad Key", "name_en": "X", "channel": "web"})
    assert bad.status_code == 422 and bad.context["form"].errors["key"]
    made = owner.post(f"/o/{tenant_a.org.slug}/touchpoints/", {"key": "ticket", "name_en": "Ticket", "channel": "chat",
                                                               "owner_team": tenant_a.team.pk})
    assert made.status_code == 302
    ticket = Touchpoint.objects.get(org=tenant_a.org, key="ticket")
    assert ticket.owner_team == tenant_a.team and ticket.channel == "chat"
    survey = services.create_survey(org=tenant_a.org, name="After ticket", definition=DEFINITION)
    url = f"/o/{tenant_a.org.slug}/touchpoints/{ticket.pk}/"
    assert owner.post(url, {"op": "link_survey", "survey": survey.pk}).status_code == 302
    assert Survey.objects.get(pk=survey.pk).touchpoint == "ticket"
    assert survey.name in owner.get(url).content.decode()


def test_another_organisation_gets_404(built: dict[str, Any], tenant_a: Any, tenant_b: Any) -> None:
    j, step, export = built["journey"], built["step"], built["export"]
    outsider = _client(tenant_b.owner)
    slug = tenant_a.org.slug
    for url in (f"/o/{slug}/journeys/", f"/o/{slug}/journeys/{j.pk}/", f"/o/{slug}/journeys/{j.pk}/map.svg",
                f"/o/{slug}/journeys/{j.pk}/edit/", f"/o/{slug}/journeys/{j.pk}/steps/{step.pk}/",
                f"/o/{slug}/touchpoints/", f"/o/{slug}/touchpoints/{export.pk}/"):
        assert outsider.get(url).status_code == 404, url
    own = tenant_b.org.slug  # through their own organisation's URLs, our ids are not found either
    for url in (f"/o/{own}/journeys/{j.pk}/", f"/o/{own}/journeys/{j.pk}/map.svg", f"/o/{own}/journeys/{j.pk}/edit/",
                f"/o/{own}/journeys/{j.pk}/steps/{step.pk}/", f"/o/{own}/touchpoints/{export.pk}/"):
        assert outsider.get(url).status_code == 404, url
    theirs = journeys.save_journey(org=tenant_b.org, name="Theirs")
    stage = journeys.add_stage(journey=theirs, name="S")
    response = outsider.post(f"/o/{own}/journeys/{theirs.pk}/edit/",
                             {"op": "step_add", "stage": stage.pk, "touchpoint": export.pk})
    assert response.status_code == 404 and not stage.steps.exists()
    survey = built["survey"]
    mine = journeys.save_touchpoint(org=tenant_b.org, key="mine", name="Mine")
    linked = outsider.post(f"/o/{own}/touchpoints/{mine.pk}/", {"op": "link_survey", "survey": survey.pk})
    assert linked.status_code in (302, 404) and Survey.objects.get(pk=survey.pk).touchpoint == "export"


def test_touchpoint_owner_team_is_the_default_route(tenant_a: Any) -> None:
    """A rule routing to "@touchpoint" opens the case for the owner team of the response's touchpoint; a response
    at a touchpoint without an owner goes to the survey's owning team."""
    from cxloop.cases import intake
    from cxloop.cases import services as cases
    from cxloop.cases.models import Case
    from cxloop.orgs.services import save_team

    product = save_team(org=tenant_a.org, name="Product", kind="product", lead=tenant_a.owner)
    journeys.save_touchpoint(org=tenant_a.org, key="export", name="Export", owner_team=product)
    journeys.save_touchpoint(org=tenant_a.org, key="website", name="Website")
    survey = services.create_survey(org=tenant_a.org, name="Pulse", definition=DEFINITION)
    survey.owner_team = tenant_a.team
    survey.save()
    services.publish(survey=survey)
    cases.save_rule(org=tenant_a.org, name="Detractors", definition={
        "when": {"field": "comment", "op": "contains", "value": "不好用"},
        "then": {"open_case": {"team": "@touchpoint"}}})
    for touchpoint in ("export", "website"):
        services.record_response(survey=survey, submission=services.Submission(
            answers={"nps": 2, "why": "不好用"}, touchpoint=touchpoint))
    intake.drain()
    routed = dict(Case.objects.filter(org=tenant_a.org).values_list("response__touchpoint", "team__name"))
    assert routed == {"export": "Product", "website": tenant_a.team.name}


# --- the API --------------------------------------------------------------------------------------------


def test_api_build_a_journey_and_read_live_numbers(built: dict[str, Any], tenant_a: Any, tenant_b: Any,
                                                   api_client: Any) -> None:
    viewer, owner = tenant_a.keys["viewer"], tenant_a.keys["owner"]
    listed = api_client.call("GET", "/api/v1/journeys", viewer).json()
    assert [j["name"]["en"] for j in listed["items"]] == ["Purchase to renewal"]
    j = built["journey"]
    body = api_client.call("GET", f"/api/v1/journeys/{j.pk}?metrics=1&from=2026-05-01&to=2026-05-31", viewer).json()
    assert [s["name"]["en"] for s in body["stages"]] == ["Adoption", "Support"]
    export = body["stages"][0]["steps"][0]
    assert export["touchpoint"]["key"] == "export" and export["lanes"]["backstage"] == "Report service"
    assert export["metrics"]["volume"] == 15 and export["metrics"]["nps"]["n"] == 15
    assert export["metrics"]["thoughts_and_feelings"] and body["emotion_curve"][0]["touchpoint"] == "export"
    plain = api_client.call("GET", f"/api/v1/journeys/{j.pk}", viewer).json()
    assert "metrics" not in plain["stages"][0]["steps"][0] and "emotion_curve" not in plain
    # build one through the API
    assert api_client.call("POST", "/api/v1/journeys", viewer, {"name": "X"}).status_code == 403
    made = api_client.call("POST", "/api/v1/journeys", owner, {"name": {"en": "Support request"}})
    assert made.status_code == 201, made.content
    new = made.json()["id"]
    bad = api_client.call("POST", "/api/v1/journeys", owner, {"name": {"fr": "x"}})
    assert bad.status_code == 422 and "name.fr" in bad.content.decode()
    stage = api_client.call("POST", f"/api/v1/journeys/{new}/stages", owner, {"name": "Ask"}).json()
    step = api_client.call("POST", f"/api/v1/journeys/{new}/steps", owner,
                           {"stage": stage["id"], "touchpoint": "support", "lanes": {"actions": "Calls"}})
    assert step.status_code == 201 and step.json()["lanes"]["actions"] == "Calls"
    missing = api_client.call("POST", f"/api/v1/journeys/{new}/steps", owner, {"stage": stage["id"],
                                                                              "touchpoint": "nowhere"})
    assert missing.status_code == 404
    changed = api_client.call("PUT", f"/api/v1/journeys/{new}/steps/{step.json()['id']}", owner,
                              {"lanes": {"frontstage": "Agent answers"}, "target": 0.5})
    assert changed.status_code == 200 and changed.json()["target"] == 0.5
    assert changed.json()["lanes"]["actions"] == "Calls" and changed.json()["lanes"]["frontstage"] == "Agent answers"
    tp = api_client.call("POST", "/api/v1/touchpoints", owner, {"key": "chat", "name": "Chat", "channel": "chat"})
    assert tp.status_code == 201 and tp.json()["key"] == "chat"
    assert api_client.call("POST", "/api/v1/touchpoints", owner, {"key": "Bad!", "name": "x"}).status_code == 422
    assert api_client.call("DELETE", f"/api/v1/journeys/{new}", owner).status_code == 204
    # another organisation
    other = tenant_b.keys["owner"]
    assert api_client.call("GET", f"/api/v1/journeys/{j.pk}", other).status_code == 404
    assert api_client.call("PUT", f"/api/v1/journeys/{j.pk}", other, {"name": "Mine"}).status_code == 404
    assert api_client.call("DELETE", f"/api/v1/journeys/{j.pk}", other).status_code == 404
    assert api_client.call("POST", f"/api/v1/journeys/{j.pk}/stages", other, {"name": "S"}).status_code == 404
    assert api_client.call("DELETE", f"/api/v1/journeys/{j.pk}/steps/{built['step'].pk}", other).status_code == 404
    assert api_client.call("GET", "/api/v1/journeys", other).json()["items"] == []
    assert api_client.call("GET", "/api/v1/touchpoints", other).json()["items"] == []
    theirs = api_client.call("POST", "/api/v1/journeys", other, {"name": "Theirs"}).json()["id"]
    their_stage = api_client.call("POST", f"/api/v1/journeys/{theirs}/stages", other, {"name": "S"}).json()["id"]
    stolen = api_client.call("POST", f"/api/v1/journeys/{theirs}/steps", other,
                             {"stage": their_stage, "touchpoint": built["export"].pk})
    assert stolen.status_code == 404


def test_journeys_are_linked_to_personas(built: dict[str, Any], tenant_a: Any, tenant_b: Any,
                                         api_client: Any) -> None:
    from cxloop.segments.models import Persona

    j = built["journey"]
    mine = Persona.objects.create(org=tenant_a.org, name={"zh-hans": "运营分析师", "en": "Operations analyst"},
                                  initials="OA")
    theirs = Persona.objects.create(org=tenant_b.org, name={"en": "Their persona"}, initials="TP")
    owner = _client(tenant_a.owner)
    assert _edit(owner, tenant_a, j, op="personas", personas=[mine.pk]).status_code == 302
    assert list(j.personas.values_list("pk", flat=True)) == [mine.pk]
    page = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/journeys/{j.pk}/")
    assert "Operations analyst" in page.content.decode()
    refused = _edit(owner, tenant_a, j, op="personas", personas=[mine.pk, theirs.pk])
    assert refused.status_code == 404 and list(j.personas.values_list("pk", flat=True)) == [mine.pk]
    assert _edit(owner, tenant_a, j, op="personas").status_code == 302 and not j.personas.exists()  # none ticked
    key = tenant_a.keys["owner"]
    made = api_client.call("POST", "/api/v1/journeys", key, {"name": "Onboarding", "personas": [mine.pk]})
    assert made.status_code == 201 and [p["id"] for p in made.json()["personas"]] == [mine.pk]
    before = Journey.objects.filter(org=tenant_a.org).count()
    bad = api_client.call("POST", "/api/v1/journeys", key, {"name": "X", "personas": [theirs.pk]})
    assert bad.status_code == 404 and Journey.objects.filter(org=tenant_a.org).count() == before
    changed = api_client.call("PUT", f"/api/v1/journeys/{j.pk}", key, {"name": "Renamed", "personas": [mine.pk]})
    assert changed.status_code == 200 and changed.json()["personas"][0]["name"]["en"] == "Operations analyst"
