"""The role boundary of every API route that changes something: the least role that may call it, declared here
(read off the code: ``a.require(...)`` in ``src/cxloop/api/*.py``; roles in ``orgs/access.py``). Every API key of a
lower role gets 403 and nothing in the database changes; the least role itself is not refused. The viewer is
covered by ``test_tenancy.py::test_viewer_cannot_change_anything``; this adds the member, analyst and admin
boundaries. A new non-GET route without an entry in ``LEAST_ROLE`` fails loudly.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from cxloop.api.main import api
from cxloop.orgs.models import Role

pytestmark = pytest.mark.django_db

PERSON = "person"  # only a signed-in person may do it: every API key, the owner's too, gets 403
MEMBER, ANALYST, ADMIN = Role.MEMBER.value, Role.ANALYST.value, Role.ADMIN.value

LEAST_ROLE: dict[str, str] = {
    # organisation (api/main.py): MANAGE; roles and removals are made by a person, never by a key
    "POST /orgs/{org}/teams": ADMIN,
    "PATCH /orgs/{org}/teams/{team_id}": ADMIN,
    "DELETE /orgs/{org}/teams/{team_id}": ADMIN,
    "PATCH /orgs/{org}/members/{membership_id}": PERSON,
    "DELETE /orgs/{org}/members/{membership_id}": PERSON,
    "POST /orgs/{org}/invitations": ADMIN,
    "DELETE /orgs/{org}/invitations/{invitation_id}": ADMIN,
    "POST /orgs/{org}/api-keys": ADMIN,
    "DELETE /orgs/{org}/api-keys/{key_id}": ADMIN,
    # privacy (api/privacy.py): MANAGE
    "POST /orgs/{org}/contacts/{contact_id}/erase": ADMIN,
    "PUT /orgs/{org}/surveys/{survey_id}/retention": ADMIN,
    "DELETE /orgs/{org}/surveys/{survey_id}/retention": ADMIN,
    # surveys (api/surveys.py, api/exports.py, api/interop.py): building is ANALYSE, capturing is WORK
    "POST /surveys": ANALYST,
    "PUT /surveys/{survey_id}/definition": ANALYST,
    "POST /surveys/{survey_id}/publish": ANALYST,
    "POST /surveys/{survey_id}/close": ANALYST,
    "POST /surveys/{survey_id}/responses": MEMBER,
    "POST /surveys/{survey_id}/responses/batch": MEMBER,
    "POST /surveys/{survey_id}/invitations": MEMBER,
    "POST /surveys/{survey_id}/exports": ANALYST,
    "POST /imports": ANALYST,
    # the closed loop (api/loop.py): channels and rules are MANAGE, cases WORK
    "POST /webhooks": ADMIN,
    "DELETE /webhooks/{webhook_id}": ADMIN,
    "POST /webhooks/{webhook_id}/rotate-secret": ADMIN,
    "POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": ADMIN,
    "POST /rules": ADMIN,
    "PUT /rules/{rule_id}": ADMIN,
    "DELETE /rules/{rule_id}": ADMIN,
    "POST /cases/{number}/transition": MEMBER,
    "POST /cases/{number}/assign": MEMBER,
    "POST /cases/{number}/comments": MEMBER,
    "POST /cases/{number}/replies": MEMBER,
    # text analytics (api/texts.py)
    "PUT /codeframe": ADMIN,
    # journeys (api/journeys.py): ANALYSE
    "POST /touchpoints": ANALYST,
    "POST /journeys": ANALYST,
    "PUT /journeys/{journey_id}": ANALYST,
    "DELETE /journeys/{journey_id}": ANALYST,
    "POST /journeys/{journey_id}/stages": ANALYST,
    "POST /journeys/{journey_id}/steps": ANALYST,
    "PUT /journeys/{journey_id}/steps/{step_id}": ANALYST,
    "DELETE /journeys/{journey_id}/steps/{step_id}": ANALYST,
    # accounts (api/accounts.py)
    "PUT /accounts/health-settings": ADMIN,
    # segments and personas (api/segments.py): ANALYSE; commenting on a persona is WORK
    "POST /segments": ANALYST,
    "PUT /segments/{segment_id}": ANALYST,
    "DELETE /segments/{segment_id}": ANALYST,
    "POST /personas": ANALYST,
    "PUT /personas/{persona_id}": ANALYST,
    "DELETE /personas/{persona_id}": ANALYST,
    "POST /personas/{persona_id}/comments": MEMBER,
    # behaviour (api/events.py, api/funnels.py): computing an unsaved funnel is a read by POST (WORK)
    "POST /events": MEMBER,
    "POST /funnels": ANALYST,
    "POST /funnels/compute": MEMBER,
    "PUT /funnels/{funnel_id}": ANALYST,
    "DELETE /funnels/{funnel_id}": ANALYST,
    # governance (api/govern.py): committee MANAGE, KPIs ANALYSE, action plans WORK
    "PUT /committee": ADMIN,
    "POST /committee/rotation": ADMIN,
    "PUT /committee/rotation/{rotation_id}": ADMIN,
    "POST /committee/meetings": ADMIN,
    "PUT /committee/meetings/{meeting_id}": ADMIN,
    "POST /kpis": ANALYST,
    "PUT /kpis/{kpi_id}": ANALYST,
    "DELETE /kpis/{kpi_id}": ANALYST,
    "POST /action-plans": MEMBER,
    "POST /action-plans/from-theme-spike": MEMBER,
    "POST /action-plans/from-opportunity": MEMBER,
    "POST /action-plans/from-cases": MEMBER,
    "PATCH /action-plans/{plan_id}": MEMBER,
    "POST /reports/governance/send": ADMIN,
}

KEY_ROLES = (MEMBER, ANALYST, ADMIN, Role.OWNER.value)


def _changing_routes() -> list[tuple[str, str]]:
    """(method, path without /api/v1) of every documented route that is not a read."""
    routes = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method in methods:
            if method != "get":
                routes.append((method.upper(), path.removeprefix("/api/v1")))
    return routes


def _snapshot() -> dict[str, int]:
    """Rows per table of every cxloop model (API keys' ``last_used_at`` is not a change the caller made)."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()
            if m.__module__.startswith("cxloop.")}


def test_every_changing_route_has_a_least_role() -> None:
    declared = {f"{m} {p}" for m, p in _changing_routes()}
    missing = sorted(declared - set(LEAST_ROLE))
    assert not missing, f"declare the least role of these routes in tests/test_roles.py::LEAST_ROLE: {missing}"
    stale = sorted(set(LEAST_ROLE) - declared)
    assert not stale, f"these routes no longer exist; remove them from LEAST_ROLE: {stale}"
    assert len(declared) >= 60


def test_every_lower_role_gets_403_and_changes_nothing(tenant_a: Any, api_client: Any) -> None:
    from cxloop.orgs import services
    from test_tenancy import BODY, _objects

    objs = {**_objects(tenant_a), "org": tenant_a.org.slug}
    keys = {role: services.create_api_key(org=tenant_a.org, role=role, name=f"{role} roles key").plaintext
            for role in (MEMBER, ANALYST)}
    keys[ADMIN] = tenant_a.keys[ADMIN]
    keys[Role.OWNER.value] = tenant_a.keys[Role.OWNER.value]
    routes = _changing_routes()
    before = _snapshot()
    refused = 0
    for method, path in routes:
        least = LEAST_ROLE[f"{method} {path}"]
        lower = KEY_ROLES if least == PERSON else KEY_ROLES[:KEY_ROLES.index(least)]
        url = "/api/v1" + path.format(**objs)
        for role in lower:
            response = api_client.call(method, url, keys[role], body=BODY)
            assert response.status_code == 403, f"{method} {url} with a {role} key -> {response.status_code}"
            assert "detail" in response.json()
            refused += 1
    assert _snapshot() == before, "a refused call changed rows"
    assert refused >= 80
    # The least role itself is let through (the table is not set too high). Deletions last: the other routes
    # still find their objects.
    for method, path in sorted(routes, key=lambda r: r[0] == "DELETE"):
        least = LEAST_ROLE[f"{method} {path}"]
        if least == PERSON:
            continue
        url = "/api/v1" + path.format(**objs)
        response = api_client.call(method, url, keys[least], body=BODY)
        assert response.status_code != 403, f"{method} {url} with a {least} key -> 403 {response.content!r}"


def test_role_ranks_match_the_table() -> None:
    """The boundaries tested above are the ranks of orgs/access.py (a renamed or re-ordered role shows here)."""
    from cxloop.orgs import access

    assert [access.READ, access.WORK, access.ANALYSE, access.MANAGE, access.OWN] == [
        "viewer", MEMBER, ANALYST, ADMIN, "owner"]
