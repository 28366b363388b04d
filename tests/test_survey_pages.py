"""Survey pages of the app and survey-as-code (UI, CLI, API): create from a template, edit as YAML
with errors that point at the key, publish a new version, QR codes, exports audit-logged."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(tenant_a: Any) -> Client:
    client = Client()
    client.force_login(tenant_a.owner)
    return client


def test_create_from_template_edit_publish_and_share(tenant_a: Any, owner: Client) -> None:
    from cxloop.orgs.models import AuditEvent
    from cxloop.surveys.models import Survey

    base = f"/o/{tenant_a.org.slug}/surveys/"
    assert owner.get(base + "new/").status_code == 200
    r = owner.post(base + "new/", {"name": "客服满意度", "template": "csat_support", "kind": "csat",
                                   "touchpoint": "support"})
    assert r.status_code == 302
    survey = Survey.objects.get(org=tenant_a.org, name="客服满意度")
    assert survey.status == "draft"
    page = owner.get(r["Location"]).content.decode()
    assert "客服满意度" in page
    # Edit as code: a bad key is reported with its path, nothing is saved.
    edit = owner.get(f"{base}{survey.pk}/definition/").content.decode()
    assert "csat" in edit and "ticket_id" in edit
    bad = owner.post(f"{base}{survey.pk}/definition/", {"text": "title: {en: X}\npages:\n- key: p1\n  questions:\n"
                                                       "  - {key: Bad-Key, type: nps, text: {en: Q}}\n"})
    assert bad.status_code == 200 and "pages[0].questions[0].key" in bad.content.decode()
    survey.refresh_from_db()
    assert survey.draft["pages"][0]["questions"][0]["key"] == "csat"
    assert owner.post(f"{base}{survey.pk}/publish/").status_code == 302
    survey.refresh_from_db()
    assert survey.status == "published" and survey.current_version == 1
    detail = owner.get(f"{base}{survey.pk}/?store=SH01").content.decode()
    assert f"/s/{survey.slug}/?store=SH01" in detail and "widget.js" in detail
    svg = owner.get(f"{base}{survey.pk}/qr.svg?store=SH01")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = owner.get(f"{base}{survey.pk}/qr.png?download=1")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n" and "attachment" in png["Content-Disposition"]
    assert owner.get(f"{base}{survey.pk}/qr.gif").status_code == 404
    yaml_text = owner.get(f"{base}{survey.pk}/definition.yaml?version=1")
    assert yaml_text.status_code == 200 and "key: csat" in yaml_text.content.decode()
    assert AuditEvent.objects.filter(action="survey.exported", org=tenant_a.org).exists()
    assert owner.post(f"{base}{survey.pk}/close/").status_code == 302
    survey.refresh_from_db()
    assert survey.status == "closed"


def test_editing_a_published_survey_makes_the_next_version(tenant_a: Any) -> None:
    from cxloop.core import survey_templates
    from cxloop.surveys import services

    survey = services.create_survey(org=tenant_a.org, name="NPS", definition=survey_templates.template("nps"))
    v1 = services.publish(survey=survey)
    assert services.publish(survey=survey).number == 1  # unchanged draft: same version
    draft = dict(survey.draft)
    draft["title"] = {**draft["title"], "en": "Relationship NPS 2027"}
    services.update_draft(survey=survey, definition=draft)
    v2 = services.publish(survey=survey)
    assert (v1.number, v2.number) == (1, 2) and v1.definition != v2.definition
    v1.refresh_from_db()
    assert v1.definition["title"]["en"] != "Relationship NPS 2027"  # the old version is frozen


def test_cli_survey_export_import(tenant_a: Any, tmp_path: Path) -> None:
    from cxloop.core import survey_templates
    from cxloop.surveys import services
    from cxloop.surveys.models import Survey

    survey = services.create_survey(org=tenant_a.org, name="SUS", definition=survey_templates.template("sus"))
    out = StringIO()
    call_command("survey", "export", "--org", tenant_a.org.slug, str(survey.pk), stdout=out)
    text = out.getvalue()
    assert "sus" in text and "q10" in text
    path = tmp_path / "copy.yaml"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("survey", "import", "--org", tenant_a.org.slug, str(path), "--name", "SUS copy", "--publish",
                 stdout=out)
    copy = Survey.objects.get(org=tenant_a.org, name="SUS copy")
    assert copy.status == "published" and copy.draft == survey.draft
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": {"en": "x"}, "pages": [{"key": "p", "questions": [{"key": "a", "type": "zzz"}]}]}')
    with pytest.raises(CommandError, match=r"pages\[0\]\.questions\[0\]\.type"):
        call_command("survey", "import", "--org", tenant_a.org.slug, str(broken))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("survey", "import", "--org", tenant_a.org.slug, str(tmp_path / "missing.yaml"))


def test_blank_survey_preview_in_each_language_and_close_date(tenant_a: Any, owner: Client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cxloop.surveys.models import Response, Survey

    base = f"/o/{tenant_a.org.slug}/surveys/"
    r = owner.post(base + "new/", {"name": "Blank", "template": "blank", "kind": "custom"})
    survey = Survey.objects.get(name="Blank")
    assert r.status_code == 302
    for lang, text in (("zh-hans", "请告诉我们您的想法。"), ("zh-hant", "請告訴我們您的想法。"),
                       ("en", "Tell us what you think.")):
        page = owner.get(f"{base}{survey.pk}/preview/?lang={lang}")
        html = page.content.decode()
        assert page.status_code == 200 and text in html and "r-preview" in html and f'lang="{lang}"' in html
        assert page["X-Frame-Options"] == "DENY"
    assert Response.objects.count() == 0
    owner.post(f"{base}{survey.pk}/publish/")
    soon = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    assert owner.post(f"{base}{survey.pk}/close-date/", {"close_at": soon}).status_code == 302
    survey.refresh_from_db()
    assert survey.close_at is not None and survey.is_open
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    owner.post(f"{base}{survey.pk}/close-date/", {"close_at": past})
    survey.refresh_from_db()
    assert survey.close_at > timezone.now()  # the past date was refused
    survey.close_at = timezone.now() - timedelta(seconds=1)
    survey.save()
    assert Client().get(f"/s/{survey.slug}/").status_code == 410  # closed by the date
