"""Issue 10 on pages and in the API: upload → preview (questions, counts, every note) → confirm → the import's page;
``POST /api/v1/imports`` (multipart, ``dry_run``), the list and one import; a survey as SurveyJS JSON from the API
and the survey page, read back by the SurveyJS importer. Roles and other organisations. Both backends."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent / "data"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_upload_preview_confirm(tenant_a: Any) -> None:
    from cxloop.interop.models import SurveyImport
    from cxloop.surveys.models import Response, Survey

    client = _client(tenant_a.owner)
    url = f"/o/{tenant_a.org.slug}/imports/new/"
    assert client.get(url).status_code == 200
    page = client.post(url, {
        "kind": "lss", "file": SimpleUploadedFile("shop.lss", (DATA / "limesurvey_v6.lss").read_bytes()),
        "responses": SimpleUploadedFile("results.csv", (DATA / "limesurvey_responses.csv").read_bytes())})
    assert page.status_code == 200
    body = page.content.decode()
    # the preview: 4 read, 3 accepted (the 4th misses its required answers once A9 and 7 are left out), notes listed
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", body))
    assert facts["Responses read"] == "4" and facts["Responses the survey accepts"] == "3"
    assert facts["Responses refused"] == "1" and facts["Questions"] == "8"
    assert "value &#x27;A9&#x27; is not a choice code of &#x27;q1&#x27;" in body
    assert "Import the survey and 3 responses" in body
    assert not Survey.objects.filter(org=tenant_a.org).exists()  # nothing stored by the preview
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    # another user of the same organisation cannot use the token
    assert _client(tenant_a.member).post(url, {"token": token}).status_code == 403  # members cannot import
    done = client.post(url, {"token": token})
    record = SurveyImport.objects.get(org=tenant_a.org)
    assert done.status_code == 302 and done["Location"] == f"/o/{tenant_a.org.slug}/imports/{record.pk}/"
    assert record.source == "lss" and record.responses_stored == 3 and record.responses_refused == 1
    assert Response.objects.filter(survey=record.survey).count() == 3
    # a token is used once
    again = client.post(url, {"token": token})
    assert again.status_code == 302 and again["Location"] == url
    assert SurveyImport.objects.filter(org=tenant_a.org).count() == 1
    detail = client.get(done["Location"]).content.decode()
    assert "shop.lss" in detail and "Q99" in detail
    listing = client.get(f"/o/{tenant_a.org.slug}/imports/").content.decode()
    assert "LimeSurvey (.lss)" in listing and record.survey.name in listing  # type: ignore[union-attr]


def test_upload_errors_are_form_errors(tenant_a: Any) -> None:
    from cxloop.surveys.models import Survey

    client = _client(tenant_a.owner)
    url = f"/o/{tenant_a.org.slug}/imports/new/"
    page = client.post(url, {"kind": "surveyjs", "file": SimpleUploadedFile("x.json", b"{not json")},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "file: not JSON" in page.content.decode()
    page = client.post(url, {"kind": "surveyjs",
                             "file": SimpleUploadedFile("s.json", (DATA / "surveyjs_feedback.json").read_bytes()),
                             "responses": SimpleUploadedFile("r.json", b"{}")})
    assert "responses: SurveyJS results are a JSON array" in page.content.decode()
    assert 'name="token"' not in page.content.decode()
    assert not Survey.objects.filter(org=tenant_a.org).exists()


def test_api_import_dry_run_list_one(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.surveys.models import Response

    client = Client()
    owner = {"HTTP_AUTHORIZATION": f"Bearer {tenant_a.keys['owner']}"}
    files = {"kind": "surveyjs",
             "file": SimpleUploadedFile("feedback.json", (DATA / "surveyjs_feedback.json").read_bytes()),
             "responses": SimpleUploadedFile("results.json", (DATA / "surveyjs_results.json").read_bytes())}
    dry = client.post("/api/v1/imports", {**files, "dry_run": "true"}, **owner)
    assert dry.status_code == 200
    found = dry.json()
    assert found["dry_run"] is True and found["survey_name"] == "门店到访反馈" and found["questions"] == 10
    # the third result has no NPS answer once 11 (outside 0..10) is left out, and the NPS question is required
    assert found["responses"] == {"read": 3, "valid": 2, "refused": 1}
    assert {"where": "response #3", "kind": "dropped",
            "what": "not imported: answers.likely_recommend: 'likely_recommend' is required but not answered"} \
        in found["notes"]
    assert not Response.objects.filter(org=tenant_a.org).exists()
    for f in files.values():
        if hasattr(f, "seek"):
            f.seek(0)
    made = client.post("/api/v1/imports", files, **owner)
    assert made.status_code == 201, made.content
    record = made.json()
    assert record["source"] == "surveyjs" and record["responses"] == {"read": 3, "stored": 2, "already_stored": 0,
                                                                      "refused": 1}
    assert Response.objects.filter(org=tenant_a.org).count() == 2
    assert {"where": "results", "what": "1 name not in the imported survey: not imported: nickname",
            "kind": "dropped"} in record["notes"]
    assert client.get("/api/v1/imports", **owner).json()["items"][0]["id"] == record["id"]
    assert client.get(f"/api/v1/imports/{record['id']}", **owner).json()["notes"] == record["notes"]
    # another organisation: 404; a viewer cannot import; a missing file names the field
    other = {"HTTP_AUTHORIZATION": f"Bearer {tenant_b.keys['owner']}"}
    assert client.get(f"/api/v1/imports/{record['id']}", **other).status_code == 404
    assert client.get("/api/v1/imports", **other).json()["items"] == []
    viewer = {"HTTP_AUTHORIZATION": f"Bearer {tenant_a.keys['viewer']}"}
    assert client.post("/api/v1/imports", {"kind": "qsf"}, **viewer).status_code == 403
    missing = client.post("/api/v1/imports", {"kind": "qsf"}, **owner)
    assert missing.status_code == 400 and "file" in missing.json()["detail"]
    bad_kind = client.post("/api/v1/imports", {"kind": "spss", "file": SimpleUploadedFile("a.sav", b"x")}, **owner)
    assert bad_kind.status_code == 400 and bad_kind.json()["detail"].startswith("kind:")
    into_other = client.post("/api/v1/imports", {"kind": "surveyjs", "into": str(record["survey_id"]),
                                                 "file": SimpleUploadedFile("f.json", b"{}")}, **other)
    assert into_other.status_code in (400, 404)


def test_surveyjs_export_round_trip(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.core import survey_templates
    from cxloop.core.interop.surveyjs import parse_surveyjs
    from cxloop.orgs.models import AuditEvent
    from cxloop.surveys import services

    survey = services.create_survey(org=tenant_a.org, name="Checkout NPS",
                                    definition=survey_templates.template("nps"), actor=tenant_a.owner)
    owner = {"HTTP_AUTHORIZATION": f"Bearer {tenant_a.keys['viewer']}"}
    client = Client()
    got = client.get(f"/api/v1/surveys/{survey.pk}/surveyjs", **owner)
    assert got.status_code == 200
    exported = got.json()["surveyjs"]
    back = parse_surveyjs(json.dumps(exported).encode())
    original = services.definition_for(survey)
    assert [q.key for q in back.spec.questions()] == [q.key for q in original.questions()]
    assert [q.type for q in back.spec.questions()] == [q.type for q in original.questions()]
    other = {"HTTP_AUTHORIZATION": f"Bearer {tenant_b.keys['owner']}"}
    assert client.get(f"/api/v1/surveys/{survey.pk}/surveyjs", **other).status_code == 404
    assert client.get(f"/api/v1/surveys/{survey.pk}/surveyjs?version=9", **owner).status_code == 404
    page = _client(tenant_a.owner).get(f"/o/{tenant_a.org.slug}/surveys/{survey.pk}/definition.surveyjs")
    assert page.status_code == 200 and page["Content-Disposition"].endswith('.surveyjs.json"')
    assert json.loads(page.content) == exported
    assert AuditEvent.objects.filter(org=tenant_a.org, action="survey.exported", data__format="surveyjs").count() == 2


def test_import_from_a_web_address_goes_through_the_ssrf_guard(tenant_a: Any) -> None:
    """``url`` / ``responses_url``: fetched with ``notify.http.fetch``; a loopback address is refused unless
    private targets are allowed (they are not by default), and then the files are imported as uploaded ones."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from django.test import override_settings

    from cxloop.interop.models import SurveyImport

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(DATA)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    owner = {"HTTP_AUTHORIZATION": f"Bearer {tenant_a.keys['owner']}"}
    form = {"kind": "surveyjs", "url": f"{base}/surveyjs_feedback.json",
            "responses_url": f"{base}/surveyjs_results.json"}
    client = Client()
    try:
        refused = client.post("/api/v1/imports", form, **owner)
        assert refused.status_code == 400 and refused.json()["field"] == "url"
        assert refused.json()["detail"].startswith("url: refused")
        page = _client(tenant_a.owner).post(f"/o/{tenant_a.org.slug}/imports/new/", form)
        assert "url: refused" in page.content.decode() and 'name="token"' not in page.content.decode()
        assert not SurveyImport.objects.exists()
        with override_settings(ALLOW_PRIVATE_WEBHOOKS=True):
            made = client.post("/api/v1/imports", form, **owner)
            missing = client.post("/api/v1/imports", {**form, "responses_url": f"{base}/nothing.json"}, **owner)
        assert made.status_code == 201, made.content
        assert made.json()["file_name"] == "surveyjs_feedback.json"
        assert made.json()["responses_file_name"] == "surveyjs_results.json"
        assert made.json()["responses"]["stored"] == 2
        assert missing.status_code == 400 and missing.json()["field"] == "responses_url"
    finally:
        server.shutdown()
