from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.orgs.models import Organization
from cxloop.surveys import services
from cxloop.surveys.models import Survey


class Command(BaseCommand):
    help = "Survey as code: list surveys, export a definition (YAML/JSON), import one from a file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="list the organisation's surveys")
        lst.add_argument("--org", required=True, help="organisation slug")
        exp = sub.add_parser("export", help="print a survey's definition")
        exp.add_argument("--org", required=True, help="organisation slug")
        exp.add_argument("survey", type=int, help="survey id")
        exp.add_argument("--format", choices=["yaml", "json"], default="yaml")
        exp.add_argument("--version", type=int, help="a published version (default: the draft)")
        imp = sub.add_parser("import", help="create a survey (draft) from a YAML or JSON file ('-' = stdin)")
        imp.add_argument("--org", required=True, help="organisation slug")
        imp.add_argument("file", help="path to the definition, or - for standard input")
        imp.add_argument("--name", default="", help="survey name (default: the definition's name/title)")
        imp.add_argument("--publish", action="store_true", help="publish it at once")

    def _org(self, slug: str) -> Organization:
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organisation with slug {slug!r}.")
        return org

    def handle(self, *args: Any, **opts: Any) -> None:
        org = self._org(opts["org"])
        action = opts["action"]
        if action == "list":
            for s in Survey.objects.filter(org=org).order_by("pk"):
                self.stdout.write(f"{s.pk:>5}  {s.status:<9} v{s.current_version:<3} {s.slug or '-':<12} {s.name}")
            return
        try:
            if action == "export":
                survey = Survey.objects.filter(org=org, pk=opts["survey"]).first()
                if survey is None:
                    raise CommandError(f"No survey {opts['survey']} in {org.slug}.")
                self.stdout.write(services.export_definition(survey=survey, fmt=opts["format"],
                                                             version=opts["version"]), ending="")
                return
            path = opts["file"]
            try:
                text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
            fmt = "json" if path.endswith(".json") else "yaml" if path.endswith((".yaml", ".yml")) else "auto"
            survey = services.import_definition(org=org, text=text, name=opts["name"], fmt=fmt,
                                                publish_now=opts["publish"])
            self.stdout.write(f"Imported survey {survey.pk} ({survey.status}): {survey.name}")
        except services.SurveyError as exc:
            lines = [f"  {p.path or '-'}: {p.message}" for p in exc.problems] or [f"  {exc.message}"]
            raise CommandError("The definition has problems:\n" + "\n".join(lines)) from None
