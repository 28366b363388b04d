"""Issue 10, the stored side of an import: a Qualtrics survey and its response export become a published survey
under the source's name with its responses; every note is kept on the import record; importing the same export
again into that survey stores nothing twice; a bad file stores nothing. Both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.django_db
QUALTRICS = Path(__file__).resolve().parents[2] / "shared" / "data" / "qualtrics"
CURRENT = Path(__file__).resolve().parent / "data" / "qualtrics_current_layout.csv"


def test_qualtrics_survey_and_responses_are_imported_once(tenant_a: Any) -> None:
    from cxloop.core.interop.qsf import parse_qsf, parse_responses
    from cxloop.interop import services
    from cxloop.interop.models import SourceResponse
    from cxloop.orgs.models import AuditEvent
    from cxloop.surveys.models import Answer, Response, SurveyStatus

    qsf = (QUALTRICS / "Sample_Survey.qsf").read_bytes()
    csv = CURRENT.read_bytes()
    parsed = parse_qsf(qsf)
    expected = parse_responses(csv, parsed)
    record = services.import_survey(org=tenant_a.org, kind="qsf", data=qsf, file_name="Sample_Survey.qsf",
                                    responses=csv, responses_name="current.csv", actor=tenant_a.owner)
    survey = record.survey
    assert survey is not None and survey.name == parsed.name and survey.status == SurveyStatus.PUBLISHED
    assert record.questions == sum(len(p.questions) for p in parsed.spec.pages)
    assert record.responses_read == len(expected.responses)
    assert record.responses_stored + record.responses_refused == record.responses_read
    assert record.responses_stored == Response.objects.filter(survey=survey).count() > 0
    assert SourceResponse.objects.filter(survey=survey).count() == record.responses_stored
    # every note of the definition and of the responses is on the record
    wheres = {n["where"] for n in record.notes}
    assert {n.where for n in parsed.notes} <= wheres and {n.where for n in expected.notes} <= wheres
    # one stored response's answers equal the parsed ones (numbers and choices)
    first = next(r for r in expected.responses if SourceResponse.objects.filter(source_id=r.source_id).exists())
    stored = SourceResponse.objects.get(survey=survey, source_id=first.source_id).response
    numbers = {a.question_key: a.number for a in Answer.objects.filter(response=stored) if a.number is not None}
    for key, value in first.answers.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert numbers[key] == value
    assert AuditEvent.objects.filter(org=tenant_a.org, action="survey.imported", target=survey.name).exists()

    # the same export again, into the same survey: nothing stored twice
    again = services.import_survey(org=tenant_a.org, kind="qsf", data=qsf, responses=csv, into=survey.pk)
    assert again.survey == survey and again.responses_stored == 0
    assert again.responses_skipped == record.responses_stored
    assert Response.objects.filter(survey=survey).count() == record.responses_stored


def test_shared_legacy_exports_import_with_their_test_responses(tenant_a: Any) -> None:
    """The shared CSVs hold only Qualtrics test responses (Status 2): skipped unless asked for."""
    from cxloop.interop import services

    qsf = (QUALTRICS / "Survey_Logic_EVERYWHERE.qsf").read_bytes()
    csv = (QUALTRICS / "Survey_Logic_EVERYWHERE.csv").read_bytes()
    skipped = services.preview(kind="qsf", data=qsf, responses=csv)
    assert skipped.responses is not None and skipped.responses.responses == ()
    record = services.import_survey(org=tenant_a.org, kind="qsf", data=qsf, responses=csv, test_responses=True)
    assert record.responses_read == 10 and record.responses_stored == 10 - record.responses_refused
    assert record.responses_stored > 0


def test_bad_files_store_nothing(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.interop import services
    from cxloop.interop.models import SurveyImport
    from cxloop.surveys.models import Survey

    before = Survey.objects.count()
    for kind, data, field in (("qsf", b"not json", "file"), ("lss", b"<x/>", "file"), ("surveyjs", b"", "file"),
                              ("spss", b"{}", "kind")):
        with pytest.raises(services.ImportError_) as exc:
            services.import_survey(org=tenant_a.org, kind=kind, data=data)
        assert exc.value.field == field and exc.value.message.startswith(f"{field}:")
    qsf = (QUALTRICS / "Sample_Survey.qsf").read_bytes()
    with pytest.raises(services.ImportError_) as exc:
        services.import_survey(org=tenant_a.org, kind="qsf", data=qsf, responses=b"a,b\n1,2\n")
    assert exc.value.field == "responses"
    # into a survey of another organisation: 404, nothing stored
    other = services.import_survey(org=tenant_b.org, kind="qsf", data=qsf).survey
    assert other is not None
    with pytest.raises(services.ImportError_) as exc:
        services.import_survey(org=tenant_a.org, kind="qsf", data=qsf, responses=CURRENT.read_bytes(), into=other.pk)
    assert exc.value.status == 404
    assert Survey.objects.count() == before + 1 and not SurveyImport.objects.filter(org=tenant_a.org).exists()


def test_the_command_imports_and_lists_what_it_could_not(tenant_a: Any) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from cxloop.interop.models import SurveyImport
    from cxloop.surveys.models import Response

    qsf, csv = str(QUALTRICS / "Survey_Logic_EVERYWHERE.qsf"), str(QUALTRICS / "Survey_Logic_EVERYWHERE.csv")
    out = StringIO()
    call_command("cximport", "qsf", qsf, "--responses", csv, "--test-responses", "--org", tenant_a.org.slug,
                 "--dry-run", stdout=out)
    assert "(--dry-run: nothing stored)" in out.getvalue() and not SurveyImport.objects.exists()
    out = StringIO()
    call_command("cximport", "qsf", qsf, "--responses", csv, "--test-responses", "--org", tenant_a.org.slug,
                 stdout=out)
    record = SurveyImport.objects.get(org=tenant_a.org)
    assert record.survey is not None
    text = out.getvalue()
    assert f"Imported survey {record.survey.pk} {record.survey.name!r}: {record.questions} questions" in text
    assert f"responses: {record.responses_stored} stored, 0 already there" in text
    assert f"Could not be imported as it was ({len(record.notes)}):" in text
    assert all(f"{n['where']}: {n['what']}" in text for n in record.notes)
    assert "FL_6" in text  # the randomizer of the flow, by its Qualtrics id
    stored = Response.objects.filter(survey=record.survey).count()
    out = StringIO()
    call_command("cximport", "qsf", qsf, "--responses", csv, "--test-responses", "--into", str(record.survey.pk),
                 "--org", tenant_a.org.slug, stdout=out)
    assert f"0 stored, {stored} already there" in out.getvalue()
    with pytest.raises(CommandError, match=r"^file: "):
        call_command("cximport", "lss", csv, "--org", tenant_a.org.slug)
    with pytest.raises(CommandError, match="No organisation"):
        call_command("cximport", "surveyjs", qsf, "--org", "nope")
    # LimeSurvey and SurveyJS bring their responses too
    data = Path(__file__).resolve().parent / "data"
    out = StringIO()
    call_command("cximport", "lss", str(data / "limesurvey_v6.lss"), "--responses",
                 str(data / "limesurvey_responses.csv"), "--org", tenant_a.org.slug, stdout=out)
    assert "responses: 3 stored, 0 already there, 1 refused" in out.getvalue()
    assert "column Q1: value 'A9' is not a choice code of 'q1'" in out.getvalue()


def test_the_demo_imports_its_surveyjs_survey_once(tenant_a: Any) -> None:
    """``cxloop demo`` shows an import: the store-visit survey and 160 SurveyJS results, with its notes."""
    from cxloop.demo.interop import import_example
    from cxloop.surveys.models import Response

    record = import_example(tenant_a.org)
    assert record is not None and record.survey is not None and record.survey.name == "门店到访反馈"
    assert (record.responses_read, record.responses_stored, record.responses_refused) == (160, 160, 0)
    assert [n["where"] for n in record.notes] == ["question 'recommend'", "question 'divider'",
                                                  "question 'priorities'", "locale 'de'", "results"]
    assert Response.objects.filter(survey=record.survey).count() == 160
    assert import_example(tenant_a.org) is None
