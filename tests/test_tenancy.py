"""Tenant isolation and roles, generated over every URL pattern and every API route.

Adding a page or route with a new kind of object id makes ``OBJECTS`` fail loudly until the new id
is mapped to an object of org A, so no route escapes these checks.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cxloop.api.main import api

pytestmark = pytest.mark.django_db

NPS_DRAFT = {"title": {"en": "Secret"}, "default_language": "en", "languages": ["en"],
             "pages": [{"key": "p1", "questions": [{"key": "nps", "type": "nps", "text": {"en": "Secret?"}}]}]}

TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154"
                         "78da63e08e59fb1f00039e0214578ca0600000000049454e44ae426082")

# A body every POST/PATCH route accepts (extra fields are ignored), so a refusal is about access.
BODY = {"name": "Hijack", "kind": "custom", "email": "x@example.com", "role": "viewer", "answers": {"nps": 9},
        "definition": {}, "items": [], "template": "nps", "contact": {"external_id": "intruder"}}


def _objects(t: Any) -> dict[str, int]:
    """One object of the given tenant for every kind of id a URL can carry."""
    from cxloop.customers.models import Account, Contact
    from cxloop.orgs import services
    from cxloop.orgs.models import ApiKey, Membership
    from cxloop.surveys.models import Survey

    account = Account.objects.create(org=t.org, external_id="ACC-1", name="Secret Account")
    contact = Contact.objects.create(org=t.org, external_id="CON-1", name="Secret Person", account=account)
    survey = Survey.objects.create(org=t.org, name="Secret Survey", kind="nps", slug=f"secret-{t.org.slug}",
                                   draft=NPS_DRAFT)
    invitation = services.invite(org=t.org, email=f"new-{t.org.slug}@example.com", role="member", actor=t.owner)
    # settings/logo/ serves the organisation's own logo: each tenant has one (a 1×1 PNG).
    from cxloop.orgs.models import OrganizationLogo

    OrganizationLogo.objects.create(org=t.org, data=TINY_PNG, content_type="image/png", width=1, height=1,
                                    digest=f"{t.org.pk:016x}")
    from cxloop.exports.models import ExportJob

    export = ExportJob.objects.create(org=t.org, survey=survey, requested_by=t.owner, format="csv")
    from cxloop.surveys.models import Answer, Response

    response = Response.objects.create(org=t.org, survey=survey, contact=contact, account=account)
    Answer.objects.create(response=response, question_key="why", text="Secret comment")
    # The closed loop: a case, a rule, a channel with a delivery, a root cause.
    from cxloop.cases.models import AlertRule, Case, RootCause
    from cxloop.notify.models import Delivery, Endpoint, Event

    case = Case.objects.create(org=t.org, number=100 + t.org.pk, title="Secret case", response=response,
                               contact=contact, team=t.team)
    rule = AlertRule.objects.create(org=t.org, name="Secret rule", definition={
        "name": "Secret rule", "when": {"field": "score_type.nps", "op": "<=", "value": 6},
        "then": {"open_case": {"team": t.team.pk}}})
    endpoint = Endpoint.objects.create(org=t.org, name="Secret hook", url="https://hooks.example.com/x",
                                       events=["*"], secret="whsec_x")
    event = Event.objects.create(org=t.org, type="case.opened", subject=f"secret-{t.org.pk}", data={})
    delivery = Delivery.objects.create(org=t.org, event=event, endpoint=endpoint)
    cause = RootCause.objects.create(org=t.org, code="secret", label="Secret cause")
    # journeys: a touchpoint placed in a stage of a journey
    from cxloop.journeys import services as journeys

    touchpoint = journeys.save_touchpoint(org=t.org, key="secret-touchpoint", name="Secret touchpoint")
    journey = journeys.save_journey(org=t.org, name="Secret journey")
    stage = journeys.add_stage(journey=journey, name="Secret stage")
    step = journeys.add_step(stage=stage, touchpoint=touchpoint)
    from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
    from cxloop.texts.services import save_codeframe

    secret_theme = f"secret_{t.org.pk}"
    save_codeframe(org=t.org, definition={**DEFAULT_CODEFRAME, "themes": [*DEFAULT_CODEFRAME["themes"], {
        "key": secret_theme, "label": {"zh-hans": "秘密", "zh-hant": "秘密", "en": "Secret"},
        "keywords": {"en": ["secret"]}}]})
    from cxloop.segments.models import Persona, Segment

    segment = Segment.objects.create(org=t.org, name={"en": "Secret segment"},
                                     definition={"field": "account.tier", "op": "exists"})
    persona = Persona.objects.create(org=t.org, name={"en": "Secret persona"}, initials="SP", segment=segment)
    from cxloop.behaviour.models import Funnel

    funnel = Funnel.objects.create(org=t.org, name={"en": "Secret funnel"},
                                   steps=[{"event": "signed_up"}, {"event": "secret_step"}])
    from datetime import date

    from cxloop.govern import services as govern

    govern.set_committee(org=t.org, chair=t.owner.pk, seats=[{"team": t.team.pk, "head": t.owner.pk}])
    director = govern.generate_rotation(org=t.org, start=date(2026, 1, 1), months=2)[0]
    meeting = govern.save_meeting(org=t.org, held_on="2026-01-15", title="Secret meeting")
    kpi = govern.save_kpi(org=t.org, team=t.team.pk, name="Secret KPI", measure={"kind": "renewal"}, target=80)
    plan = govern.save_plan(org=t.org, data={"title": "Secret plan"})
    from cxloop.interop.models import SurveyImport

    imported = SurveyImport.objects.create(org=t.org, survey=survey, source="qsf", file_name="Secret.qsf")
    return {
        "import_id": imported.pk,
        "rotation_id": director.pk,
        "meeting_id": meeting.pk,
        "kpi_id": kpi.pk,
        "plan_id": plan.pk,
        "funnel_id": funnel.pk,
        "segment_id": segment.pk,
        "persona_id": persona.pk,
        "journey_id": journey.pk,
        "stage_id": stage.pk,
        "step_id": step.pk,
        "touchpoint_id": touchpoint.pk,
        "number": case.number,
        "rule_id": rule.pk,
        "endpoint_id": endpoint.pk,
        "webhook_id": endpoint.pk,
        "delivery_id": delivery.pk,
        "cause_id": cause.pk,
        "team_id": t.team.pk,
        "membership_id": Membership.objects.get(org=t.org, user=t.member).pk,
        "invitation_id": invitation.invitation.pk,
        "key_id": ApiKey.objects.filter(org=t.org, role="viewer").first().pk,  # type: ignore[union-attr]
        "account_id": account.pk,
        "contact_id": contact.pk,
        "survey_id": survey.pk,
        "export_id": export.pk,
        "response_id": response.pk,
        # route parameters that are not ids
        "kind": "svg",
        "fmt": "yaml",
        "qkey": "nps",
        "key": secret_theme,  # a theme only this organisation's codeframe has
    }


def _web_patterns() -> list[tuple[str, list[str]]]:
    """(route template, [kwarg names]) for every page under /o/<org>/."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and route.startswith("o/<slug:org>/"):
                found.append((route, re.findall(r"<(?:\w+:)?(\w+)>", route)))

    walk(get_resolver().url_patterns, "")
    return found


def _fill(route: str, values: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def _api_routes() -> list[tuple[str, str, list[str]]]:
    schema = api.get_openapi_schema()
    routes = []
    for path, methods in schema["paths"].items():
        for method in methods:
            routes.append((method.upper(), path, re.findall(r"{(\w+)}", path)))
    return routes


def test_every_id_in_every_route_is_mapped(tenant_a: Any) -> None:
    known = set(_objects(tenant_a)) | {"org"}
    names = {n for _, ns in _web_patterns() for n in ns} | {n for _, _, ns in _api_routes() for n in ns}
    assert names <= known, f"map these ids in tests/test_tenancy.py::_objects: {names - known}"
    assert len(_web_patterns()) >= 15 and len(_api_routes()) >= 20


def test_member_of_b_gets_404_for_every_page_of_a(tenant_a: Any, tenant_b: Any) -> None:
    objs_a = _objects(tenant_a)
    objs_b = _objects(tenant_b)
    client = Client()
    client.force_login(tenant_b.owner)
    checked = 0
    for route, names in _web_patterns():
        # A's slug with A's ids, and B's own slug with A's ids (the IDOR case).
        urls = {_fill(route, {**objs_a, "org": tenant_a.org.slug})}
        if len(names) > 1:
            urls.add(_fill(route, {**objs_a, "org": tenant_b.org.slug}))
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code == 405:
                    continue
                assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
                assert b"Secret" not in response.content
                checked += 1
        # B's own objects stay reachable (the check above is not vacuous).
        own = _fill(route, {**objs_b, "org": tenant_b.org.slug})
        assert client.get(own).status_code in (200, 302, 405), own
    assert checked >= 20


def test_api_key_of_b_gets_404_for_every_route_of_a(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    objs_a = _objects(tenant_a)
    key_b = tenant_b.keys["owner"]
    checked = 0
    for method, path, names in _api_routes():
        if not names:
            continue  # lists scoped by the key itself (checked below)
        targets = [{**objs_a, "org": tenant_a.org.slug}]
        if "org" in names and len(names) > 1:
            targets.append({**objs_a, "org": tenant_b.org.slug})
        for values in targets:
            url = path.format(**values)
            response = api_client.call(method, url, key_b, body=BODY if method in ("POST", "PATCH", "PUT") else None)
            assert response.status_code == 404, f"{method} {url} -> {response.status_code} {response.content!r}"
            assert "detail" in response.json()
            checked += 1
    assert checked >= 20
    # Routes whose organisation comes from the key list only the key's own organisation.
    listed = api_client.call("GET", "/api/v1/surveys", key_b).json()
    assert "Secret" not in str(listed)
    assert api_client.call("GET", f"/api/v1/surveys?org={tenant_a.org.slug}", key_b).status_code == 404


def test_viewer_cannot_change_anything(tenant_a: Any, api_client: Any) -> None:
    objs = {**_objects(tenant_a), "org": tenant_a.org.slug}
    client = Client()
    client.force_login(tenant_a.viewer)
    for route, _names in _web_patterns():
        url = _fill(route, objs)
        response = client.post(url, {"name": "x", "role": "owner", "email": "x@example.com", "kind": "hr"})
        assert response.status_code in (403, 405), f"POST {url} as viewer -> {response.status_code}"
    for method, path, _names in _api_routes():
        if method == "GET":
            continue
        url = path.format(**objs)
        response = api_client.call(method, url, tenant_a.keys["viewer"], body=BODY)
        assert response.status_code == 403, f"{method} {url} as viewer key -> {response.status_code}"
    # and nothing changed
    from cxloop.orgs.models import Membership, Team

    assert Team.objects.filter(org=tenant_a.org).count() == 1
    assert not Membership.objects.filter(org=tenant_a.org, role="owner").exclude(user=tenant_a.owner).exists()


def test_viewer_can_read(tenant_a: Any, api_client: Any) -> None:
    objs = {**_objects(tenant_a), "org": tenant_a.org.slug}
    client = Client()
    client.force_login(tenant_a.viewer)
    assert client.get(f"/o/{tenant_a.org.slug}/").status_code == 200
    assert client.get(f"/o/{tenant_a.org.slug}/settings/teams/").status_code == 200
    response = api_client.call("GET", f"/api/v1/orgs/{tenant_a.org.slug}/accounts/{objs['account_id']}",
                               tenant_a.keys["viewer"])
    assert response.status_code == 200 and response.json()["name"] == "Secret Account"


def test_revoked_key_gets_401_everywhere(tenant_a: Any, api_client: Any) -> None:
    from cxloop.orgs.models import ApiKey
    from cxloop.orgs.services import revoke_api_key

    objs = {**_objects(tenant_a), "org": tenant_a.org.slug}
    key = tenant_a.keys["owner"]
    assert api_client.call("GET", f"/api/v1/orgs/{tenant_a.org.slug}/teams", key).status_code == 200
    revoke_api_key(key=ApiKey.objects.get(prefix=key.split("_")[1]))
    for method, path, _names in _api_routes():
        response = api_client.call(method, path.format(**objs), key, body=BODY if method != "GET" else None)
        assert response.status_code == 401, f"{method} {path} -> {response.status_code}"
        assert response.json()["detail"] == "This API key has been revoked."


def test_a_survey_id_in_the_query_string_is_scoped_too(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    """Routes that take the survey as a query parameter (``GET /metrics?survey=``, ``/comments``) treat an
    id of another organisation's survey as the path ids are treated: 404, nothing revealed."""
    objs = _objects(tenant_a)
    survey_a = objs["survey_id"]
    _objects(tenant_b)
    checked = 0
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, operation in methods.items():
            query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            if "survey" not in query:
                continue
            url = f"{path.format(**objs)}?survey={survey_a}&question=nps&q=Secret"
            for extra in ("", f"&org={tenant_a.org.slug}"):
                response = api_client.call(method.upper(), url + extra, tenant_b.keys["owner"])
                assert response.status_code == 404, f"{method} {url}{extra} -> {response.status_code}"
                assert "Secret" not in response.content.decode()
                checked += 1
            assert api_client.call(method.upper(), url, tenant_a.keys["viewer"]).status_code != 404
    assert checked >= 4
