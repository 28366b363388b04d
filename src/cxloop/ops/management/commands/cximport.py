from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.core.interop import Note
from cxloop.interop import services as interop
from cxloop.orgs.models import Organization
from cxloop.surveys import importer
from cxloop.surveys.models import Survey
from cxloop.surveys.services import SurveyError

RESPONSES_HELP = {
    "qsf": "the survey's Qualtrics CSV response export (either layout)",
    "lss": "the survey's LimeSurvey CSV response export (answer codes)",
    "surveyjs": "the survey's SurveyJS results (a JSON array of answer objects)",
}


class Command(BaseCommand):
    help = ("Import data into cxloop. 'responses': offline responses from a CSV file (all rows or none); "
            "'qsf', 'lss', 'surveyjs': a survey from Qualtrics, LimeSurvey or SurveyJS (with its responses: "
            "--responses).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        responses = sub.add_parser("responses", help="responses from CSV: one column per question key")
        responses.add_argument("file", help="CSV file (UTF-8 or GB18030)")
        responses.add_argument("--org", required=True, help="organisation slug")
        responses.add_argument("--survey", type=int, required=True, help="survey id")
        responses.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
        for kind, label in interop.KIND_LABELS.items():
            tool = sub.add_parser(kind, help=f"a survey from {label}; prints what it imported and what it could not")
            tool.add_argument("file", help=f"the {label} file")
            tool.add_argument("--org", required=True, help="organisation slug")
            tool.add_argument("--responses", help=RESPONSES_HELP[kind])
            tool.add_argument("--into", type=int, help="add the responses to this survey, imported before")
            if kind == "qsf":
                tool.add_argument("--test-responses", action="store_true",
                                  help="also import Qualtrics' test responses (previews are always skipped)")
            tool.add_argument("--dry-run", action="store_true", help="read and check everything, store nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {opts['org']!r}.")
        if opts["kind"] in interop.KINDS:
            self._survey(org, opts)
            return
        survey = Survey.objects.filter(org=org, pk=opts["survey"]).first()
        if survey is None:
            raise CommandError(f"No survey {opts['survey']} in {org.slug}.")
        try:
            data = Path(opts["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {opts['file']}: {exc.strerror}") from None
        try:
            checked = importer.preview(survey=survey, data=data)
            if checked.problems:
                lines = [f"  line {p.line}, {p.column or 'row'}: {p.message}" for p in checked.problems[:50]]
                more = len(checked.problems) - 50
                raise CommandError("Nothing imported; fix these rows:\n" + "\n".join(lines)
                                   + (f"\n  … and {more} more" if more > 0 else ""))
            if opts["dry_run"]:
                self.stdout.write(f"{len(checked.items)} rows are valid; nothing stored (--dry-run).")
                return
            count = importer.import_csv(survey=survey, data=data)
        except SurveyError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Imported {count} responses into survey {survey.pk} ({survey.name}).")

    def _read(self, path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None

    def _survey(self, org: Organization, opts: dict[str, Any]) -> None:
        kind, data = opts["kind"], self._read(opts["file"])
        responses = self._read(opts["responses"]) if opts.get("responses") else None
        tests = bool(opts.get("test_responses"))
        try:
            if opts["dry_run"]:
                found = interop.preview(kind=kind, data=data, responses=responses, test_responses=tests, org=org,
                                        into=opts.get("into"))
                self.stdout.write(f"Would import {found.imported.name!r}: {found.questions} questions"
                                  + (f", {len(found.valid)} of {len(found.responses.responses)} responses"
                                     if found.responses is not None else "") + " (--dry-run: nothing stored).")
                notes = found.notes
            else:
                record = interop.import_survey(
                    org=org, kind=kind, data=data, file_name=Path(opts["file"]).name, responses=responses,
                    responses_name=Path(opts["responses"]).name if responses else "", into=opts.get("into"),
                    test_responses=tests)
                survey = record.survey
                assert survey is not None
                self.stdout.write(f"Imported survey {survey.pk} {survey.name!r}: {record.questions} questions"
                                  + (f"; responses: {record.responses_stored} stored, {record.responses_skipped} "
                                     f"already there, {record.responses_refused} refused"
                                     if responses else "") + ".")
                notes = [Note(n["where"], n["what"], n["kind"]) for n in record.notes]
        except interop.ImportError_ as exc:
            raise CommandError(exc.message) from None
        if notes:
            self.stdout.write(f"Could not be imported as it was ({len(notes)}):")
            for n in notes:
                self.stdout.write(f"  [{n.kind}] {n.where}: {n.what}")
        else:
            self.stdout.write("Everything was represented.")
