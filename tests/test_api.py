"""The JSON API: OpenAPI, docs, errors as {"detail": ...}, the verbs on teams, members, keys."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_document_and_docs_page(db: None) -> None:
    client = Client()
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "cxloop API"
    assert "/api/v1/orgs/{org}/teams" in schema["paths"]
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content  # served locally, no CDN
    assert b"cdn" not in docs.content.lower()


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication required"),
        ("Bearer", "Malformed Authorization header"),
        ("Basic dXNlcjpwYXNz", "Malformed Authorization header"),
        ("Bearer not-a-key", "Malformed API key"),
        ("Bearer cxl_AAAAAAAAAAAA_" + "x" * 43, "Unknown API key"),
        ("Bearer cxl_short_x", "Malformed API key"),
        ("Bearer " + "ü" * 40, "Malformed API key"),
    ],
)
def test_bad_keys_get_a_clear_401(tenant_a: Any, header: str | None, detail: str) -> None:
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get(f"/api/v1/orgs/{tenant_a.org.slug}/teams", **headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith(detail)


def test_unknown_org_slug_is_a_json_404(tenant_a: Any, api_client: Any) -> None:
    response = api_client.call("GET", "/api/v1/orgs/no-such-org/teams", tenant_a.keys["owner"])
    assert response.status_code == 404
    assert response.json() == {"detail": "Organisation 'no-such-org' not found."}
    response = api_client.call("GET", "/api/v1/orgs/bad slug!/teams", tenant_a.keys["owner"])
    assert response.status_code == 404 and "detail" in response.json()
    response = api_client.call("GET", "/api/v1/nothing-here", tenant_a.keys["owner"])
    assert response.status_code == 404 and "detail" in response.json()


def test_team_crud_with_field_errors(tenant_a: Any, api_client: Any) -> None:
    key, base = tenant_a.keys["admin"], f"/api/v1/orgs/{tenant_a.org.slug}/teams"
    created = api_client.call("POST", base, key, {"name": "产品部 Product", "kind": "product",
                                                  "lead_email": tenant_a.member.email})
    assert created.status_code == 201, created.content
    team = created.json()
    assert team["lead_email"] == tenant_a.member.email and team["kind"] == "product"
    dup = api_client.call("POST", base, key, {"name": "产品部 Product", "kind": "product"})
    assert dup.status_code == 409 and dup.json()["field"] == "name"
    bad = api_client.call("POST", base, key, {"name": "X", "kind": "astrology"})
    assert bad.status_code == 400 and bad.json()["field"] == "kind" and "astrology" in bad.json()["detail"]
    missing = api_client.call("POST", base, key, {"kind": "hr"})
    assert missing.status_code == 422 and missing.json()["field"] == "name"
    wrong_type = api_client.call("POST", base, key, ["not", "an", "object"])
    assert wrong_type.status_code == 400 and wrong_type.json()["field"] == "body"  # every body is a JSON object
    stranger = api_client.call("POST", base, key, {"name": "Y", "lead_email": "stranger@example.com"})
    assert stranger.status_code == 400 and stranger.json()["field"] == "lead_email"
    patched = api_client.call("PATCH", f"{base}/{team['id']}", key, {"description": "Builds the product"})
    assert patched.status_code == 200 and patched.json()["description"] == "Builds the product"
    assert patched.json()["name"] == "产品部 Product"
    assert api_client.call("DELETE", f"{base}/{team['id']}", key).status_code == 204
    assert api_client.call("GET", f"{base}/{team['id']}", key).status_code == 404


def test_api_key_shown_once_hashed_and_last_used(tenant_a: Any, api_client: Any) -> None:
    from cxloop.orgs.models import ApiKey

    base = f"/api/v1/orgs/{tenant_a.org.slug}/api-keys"
    created = api_client.call("POST", base, tenant_a.keys["owner"], {"name": "warehouse", "role": "analyst"})
    assert created.status_code == 201
    plaintext = created.json()["key"]
    stored = ApiKey.objects.get(pk=created.json()["id"])
    assert plaintext not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    assert stored.last_used_at is None
    listed = api_client.call("GET", base, tenant_a.keys["owner"]).json()
    assert all("key" not in k for k in listed)
    assert plaintext not in str(listed)
    assert api_client.call("GET", f"/api/v1/orgs/{tenant_a.org.slug}", plaintext).json()["role"] == "analyst"
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_admin_key_cannot_mint_an_owner_key(tenant_a: Any, api_client: Any) -> None:
    response = api_client.call("POST", f"/api/v1/orgs/{tenant_a.org.slug}/api-keys", tenant_a.keys["admin"],
                               {"role": "owner"})
    assert response.status_code == 403


def test_members_roles_and_last_owner(tenant_a: Any) -> None:
    from cxloop.orgs.models import AuditEvent, Membership

    client = Client()
    client.force_login(tenant_a.owner)
    base = f"/api/v1/orgs/{tenant_a.org.slug}/members"
    members = client.get(base).json()
    assert {m["role"] for m in members} == {"owner", "member", "viewer"}
    viewer = next(m for m in members if m["role"] == "viewer")
    response = client.patch(f"{base}/{viewer['id']}", {"role": "analyst"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["role"] == "analyst"
    assert AuditEvent.objects.filter(action="member.role_changed", target=tenant_a.viewer.email).exists()
    me = Membership.objects.get(org=tenant_a.org, user=tenant_a.owner)
    response = client.patch(f"{base}/{me.pk}", {"role": "admin"}, content_type="application/json")
    assert response.status_code == 409 and "last owner" in response.json()["detail"]
    response = client.patch(f"{base}/{viewer['id']}", {"role": "emperor"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "role"


def test_accounts_and_contacts_are_listed_with_pagination(tenant_a: Any, api_client: Any) -> None:
    from cxloop.customers.models import Account, Contact

    for i in range(3):
        account = Account.objects.create(org=tenant_a.org, external_id=f"A{i}", name=f"客户 {i}", tier="smb")
        Contact.objects.create(org=tenant_a.org, external_id=f"C{i}", name=f"联系人 {i}", account=account)
    base = f"/api/v1/orgs/{tenant_a.org.slug}"
    page = api_client.call("GET", f"{base}/accounts?limit=2", tenant_a.keys["viewer"]).json()
    assert page["count"] == 3 and len(page["items"]) == 2 and page["items"][0]["contact_count"] == 1
    assert api_client.call("GET", f"{base}/accounts?limit=abc", tenant_a.keys["viewer"]).status_code == 422
    contacts = api_client.call("GET", f"{base}/contacts", tenant_a.keys["viewer"]).json()
    assert contacts["count"] == 3


def test_audit_log_via_api(tenant_a: Any, api_client: Any) -> None:
    response = api_client.call("GET", f"/api/v1/orgs/{tenant_a.org.slug}/audit-events", tenant_a.keys["owner"])
    actions = {e["action"] for e in response.json()["items"]}
    assert {"apikey.created", "team.created"} <= actions
