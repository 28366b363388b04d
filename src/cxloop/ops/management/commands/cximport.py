from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.orgs.models import Organization
from cxloop.surveys import importer
from cxloop.surveys.models import Survey
from cxloop.surveys.services import SurveyError


class Command(BaseCommand):
    help = "Import data into cxloop. 'responses': offline responses from a CSV file (all rows or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        responses = sub.add_parser("responses", help="responses from CSV: one column per question key")
        responses.add_argument("file", help="CSV file (UTF-8 or GB18030)")
        responses.add_argument("--org", required=True, help="organisation slug")
        responses.add_argument("--survey", type=int, required=True, help="survey id")
        responses.add_argument("--dry-run", action="store_true", help="check every row, store nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {opts['org']!r}.")
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
