"""Privacy pages and API (issue 10): admins and owners only (members and viewers 403), another organisation's
contact or survey 404, the erase confirmation (a wrong external id is a form error and keeps every row), the JSON
download, retention policies edited on pages and through the API with errors naming the field; and one browser
test with screenshots (zh-Hans and English, phone and desktop)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from cxloop.customers.models import Contact
from cxloop.orgs import services as org_services
from cxloop.orgs.models import AuditEvent, User
from cxloop.privacy.models import RetentionPolicy
from cxloop.surveys.models import Answer, Response, Survey

pytestmark = pytest.mark.django_db

DRAFT = {"title": {"en": "Privacy"}, "default_language": "en", "languages": ["en"],
         "pages": [{"key": "p1", "questions": [{"key": "nps", "type": "nps", "text": {"en": "Recommend?"}}]}]}


def _data(t: Any, prefix: str) -> tuple[Contact, Survey, Response]:
    contact = Contact.objects.create(org=t.org, external_id=f"{prefix}-7", name="王小明", email=f"{prefix}@example.com")
    survey = Survey.objects.create(org=t.org, name="售后回访", kind="nps", slug=f"{t.org.slug}-survey", draft=DRAFT)
    response = Response.objects.create(org=t.org, survey=survey, contact=contact)
    Answer.objects.create(response=response, question_key="nps", number=6)
    return contact, survey, response


def _admin(t: Any) -> User:
    user = User.objects.create_user(email=f"admin-{t.org.slug}@example.com", password="pw-123456789",
                                    display_name="Admin")
    org_services.add_member(org=t.org, user=user, role="admin")
    return user


def _client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_members_and_viewers_are_refused_admins_and_owners_see_the_pages(tenant_a: Any) -> None:
    contact, survey, _r = _data(tenant_a, "a")
    slug = tenant_a.org.slug
    urls = [f"/o/{slug}/privacy/", f"/o/{slug}/privacy/contacts/{contact.pk}/",
            f"/o/{slug}/privacy/contacts/{contact.pk}/export/", f"/o/{slug}/privacy/retention/",
            f"/o/{slug}/privacy/retention/{survey.pk}/"]
    for user in (tenant_a.member, tenant_a.viewer):
        c = _client(user)
        for url in urls:
            assert c.get(url).status_code == 403, url
        assert c.post(f"/o/{slug}/privacy/contacts/{contact.pk}/", {"confirm": "a-7"}).status_code == 403
        assert c.post(f"/o/{slug}/privacy/retention/{survey.pk}/", {"months": 3, "action": "delete"}).status_code \
            == 403
    assert Contact.objects.filter(pk=contact.pk).exists() and not RetentionPolicy.objects.exists()
    for user in (tenant_a.owner, _admin(tenant_a)):
        c = _client(user)
        for url in urls:
            assert c.get(url).status_code == 200, url
    # the settings tabs link to the page for an admin, not for a member
    assert f'href="/o/{slug}/privacy/"' in _client(tenant_a.owner).get(f"/o/{slug}/settings/").content.decode()
    assert f'href="/o/{slug}/privacy/"' not in _client(tenant_a.member).get(f"/o/{slug}/settings/").content.decode()


def test_find_summary_download_and_erase(tenant_a: Any, tenant_b: Any) -> None:
    contact, _survey, response = _data(tenant_a, "a")
    other, _s, other_response = _data(tenant_b, "a")  # the same external id in another organisation
    slug = tenant_a.org.slug
    c = _client(tenant_a.owner)
    found = c.get(f"/o/{slug}/privacy/", {"q": "a-7"})
    assert found.status_code == 302 and found["Location"] == f"/o/{slug}/privacy/contacts/{contact.pk}/"
    assert c.get(f"/o/{slug}/privacy/", {"q": "A@example.com"})["Location"] == found["Location"]
    missing = c.get(f"/o/{slug}/privacy/", {"q": "nobody"})
    assert missing.status_code == 200 and "No contact has this external id" in missing.content.decode()
    page = c.get(found["Location"]).content.decode()
    assert "王小明" in page and "Download everything (JSON)" in page
    assert '<td>Responses</td><td class="num">1</td>' in page and '<td>Answers</td><td class="num">1</td>' in page
    download = c.get(f"/o/{slug}/privacy/contacts/{contact.pk}/export/")
    assert download["Content-Disposition"] == f'attachment; filename="contact-{contact.pk}.json"'
    data = json.loads(download.content)
    assert data["contact"]["name"] == "王小明" and [r["id"] for r in data["responses"]] == [response.pk]
    assert AuditEvent.objects.filter(org=tenant_a.org, action="privacy.export").count() == 1
    # a wrong confirmation is a form error and deletes nothing
    wrong = c.post(f"/o/{slug}/privacy/contacts/{contact.pk}/", {"confirm": "a-8"})
    assert wrong.status_code == 422
    assert "This is not the contact&#x27;s external id: nothing was erased." in wrong.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists() and Response.objects.filter(pk=response.pk).exists()
    assert c.post(f"/o/{slug}/privacy/contacts/{contact.pk}/", {"confirm": ""}).status_code == 422
    assert not AuditEvent.objects.filter(action="privacy.erase").exists()
    # the right one erases the contact, and only theirs
    done = c.post(f"/o/{slug}/privacy/contacts/{contact.pk}/", {"confirm": " a-7 "})
    assert done.status_code == 302 and done["Location"] == f"/o/{slug}/privacy/"
    assert not Contact.objects.filter(pk=contact.pk).exists() and not Response.objects.filter(pk=response.pk).exists()
    assert Contact.objects.filter(pk=other.pk).exists() and Response.objects.filter(pk=other_response.pk).exists()
    assert "Everything about the contact was erased." in c.get(done["Location"]).content.decode()
    # another organisation's contact is a 404 on A's pages
    assert c.get(f"/o/{slug}/privacy/contacts/{other.pk}/").status_code == 404
    assert c.post(f"/o/{slug}/privacy/contacts/{other.pk}/", {"confirm": "a-7"}).status_code == 404
    assert c.get(f"/o/{tenant_b.org.slug}/privacy/").status_code == 404  # not a member of B
    assert Contact.objects.filter(pk=other.pk).exists()


def test_retention_pages(tenant_a: Any, tenant_b: Any) -> None:
    _contact, survey, _r = _data(tenant_a, "a")
    _other, other_survey, _o = _data(tenant_b, "b")
    slug = tenant_a.org.slug
    c = _client(tenant_a.owner)
    listing = c.get(f"/o/{slug}/privacy/retention/").content.decode()
    assert "售后回访" in listing and "Kept forever" in listing
    bad = c.post(f"/o/{slug}/privacy/retention/{survey.pk}/", {"months": 121, "action": "delete"})
    assert bad.status_code == 422 and "less than or equal to 120" in bad.content.decode()
    bad = c.post(f"/o/{slug}/privacy/retention/{survey.pk}/", {"months": 12, "action": "purge"})
    assert bad.status_code == 422 and "Select a valid choice" in bad.content.decode()
    assert not RetentionPolicy.objects.exists()
    saved = c.post(f"/o/{slug}/privacy/retention/{survey.pk}/", {"months": 36, "action": "anonymise"})
    assert saved.status_code == 302 and saved["Location"] == f"/o/{slug}/privacy/retention/"
    policy = RetentionPolicy.objects.get()
    assert (policy.org, policy.survey, policy.months, policy.action, policy.updated_by) == (
        tenant_a.org, survey, 36, "anonymise", tenant_a.owner)
    assert "Anonymise after 36 months" in c.get(f"/o/{slug}/privacy/retention/").content.decode()
    assert c.get(f"/o/{slug}/privacy/retention/{other_survey.pk}/").status_code == 404
    assert c.post(f"/o/{slug}/privacy/retention/{other_survey.pk}/", {"months": 3, "action": "delete"}) \
        .status_code == 404
    assert c.post(f"/o/{slug}/privacy/retention/{survey.pk}/remove/").status_code == 302
    assert not RetentionPolicy.objects.exists()
    with_zh = c.get(f"/o/{slug}/privacy/retention/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert with_zh.status_code == 200


def test_api(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    contact, survey, response = _data(tenant_a, "a")
    other, other_survey, _o = _data(tenant_b, "b")
    slug = tenant_a.org.slug
    base = f"/api/v1/orgs/{slug}"
    admin, viewer = tenant_a.keys["admin"], tenant_a.keys["viewer"]
    # roles
    for method, path in (("get", f"/contacts/{contact.pk}/export"), ("post", f"/contacts/{contact.pk}/erase"),
                         ("get", f"/surveys/{survey.pk}/retention"), ("put", f"/surveys/{survey.pk}/retention"),
                         ("delete", f"/surveys/{survey.pk}/retention")):
        body = {"months": 3, "action": "delete"} if method == "put" else None
        assert api_client.call(method, base + path, viewer, body).status_code == 403, path
        # another organisation's key: 404, even for its own ids under A's slug
        assert api_client.call(method, base + path, tenant_b.keys["owner"], body).status_code == 404, path
    # A's key with B's ids: 404
    assert api_client.call("get", f"{base}/contacts/{other.pk}/export", admin).status_code == 404
    assert api_client.call("get", f"{base}/surveys/{other_survey.pk}/retention", admin).status_code == 404
    # export
    out = api_client.call("get", f"{base}/contacts/{contact.pk}/export", admin)
    assert out.status_code == 200
    assert out.json()["counts"]["responses"] == 1 and out.json()["contact"]["external_id"] == "a-7"
    # retention
    assert api_client.call("get", f"{base}/surveys/{survey.pk}/retention", admin).json() == {
        "survey_id": survey.pk, "policy": None}
    bad = api_client.call("put", f"{base}/surveys/{survey.pk}/retention", admin, {"months": 0, "action": "delete"})
    assert bad.status_code == 422 and bad.json()["field"] == "months"
    bad = api_client.call("put", f"{base}/surveys/{survey.pk}/retention", admin, {"months": 6, "action": "x"})
    assert bad.status_code == 422 and bad.json()["field"] == "action"
    put = api_client.call("put", f"{base}/surveys/{survey.pk}/retention", admin, {"months": 6, "action": "delete"})
    assert put.status_code == 200
    policy = put.json()["policy"]
    assert (policy["months"], policy["action"], policy["updated_by"], policy["last_applied_at"]) == (
        6, "delete", None, None)
    assert api_client.call("get", f"{base}/surveys/{survey.pk}/retention", admin).json()["policy"]["months"] == 6
    assert api_client.call("delete", f"{base}/surveys/{survey.pk}/retention", admin).json() == {
        "survey_id": survey.pk, "removed": True}
    assert not RetentionPolicy.objects.exists()
    # erase
    erased = api_client.call("post", f"{base}/contacts/{contact.pk}/erase", admin)
    assert erased.status_code == 200
    assert erased.json()["erased"]["responses"] == 1 and erased.json()["contact_id"] == contact.pk
    assert not Response.objects.filter(pk=response.pk).exists()
    assert api_client.call("post", f"{base}/contacts/{contact.pk}/erase", admin).status_code == 404
    assert Contact.objects.filter(pk=other.pk).exists()
    row = AuditEvent.objects.get(action="privacy.erase")
    assert row.api_key is not None and row.actor is None


@pytest.mark.browser
def test_browser_privacy_pages(tenant_a: Any, live_server: Any, browser: Any, screenshot_dir: Any) -> None:
    from tests.browserkit import EN_DESKTOP, EN_PHONE, ZH_DESKTOP, ZH_PHONE, assert_fits, shot, signed_in

    contact, survey, _r = _data(tenant_a, "a")
    RetentionPolicy.objects.create(org=tenant_a.org, survey=survey, months=36, action="anonymise")
    slug, base = tenant_a.org.slug, live_server.url
    views = (ZH_PHONE, EN_DESKTOP, ZH_DESKTOP, EN_PHONE)
    for variant, page, problems in signed_in(browser, views, base, tenant_a.owner.email):
        lang = variant.lang
        page.goto(f"{base}/o/{slug}/settings/")
        page.click(f"nav.tabs a[href='/o/{slug}/privacy/']")
        page.fill("#id_q", "a-7")
        page.press("#id_q", "Enter")
        page.wait_for_url(f"**/privacy/contacts/{contact.pk}/")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("#privacy-counts tbody tr").count() == 10
        page.fill("#id_confirm", "wrong")
        page.click("#erase-form button[type=submit]")
        page.wait_for_selector("#erase-form .error")
        assert_fits(page, variant, "the contact's page")
        shot(page, screenshot_dir, f"privacy-contact-{variant.name}")
        assert Contact.objects.filter(pk=contact.pk).exists()
        page.goto(f"{base}/o/{slug}/privacy/retention/")
        page.wait_for_selector("#retention-table")
        if lang == "en":
            assert "Anonymise after 36 months" in page.inner_text("#retention-table")
        shot(page, screenshot_dir, f"privacy-retention-{variant.name}")
        # the wrong confirmation is answered with HTTP 422, which Chromium logs; nothing else may be logged
        assert [p for p in problems if "status of 422" not in p] == [], problems
