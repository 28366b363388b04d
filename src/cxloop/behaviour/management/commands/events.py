"""``cxloop events import FILE --org SLUG [--dry-run]``: historical events from a CSV file (see docs/events.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.behaviour import csv_import
from cxloop.orgs.models import Organization

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = ("Behavioural events. 'import FILE --org SLUG': store the good rows of a CSV of events and list the "
            "bad ones (row, field, reason); '--dry-run' checks without storing.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="events from CSV: event,timestamp,contact,anonymous_id,account,"
                                            "touchpoint,id and prop.NAME columns")
        imp.add_argument("file", help="CSV file (UTF-8, with or without BOM); '-' reads standard input")
        imp.add_argument("--org", required=True, help="organisation slug")
        imp.add_argument("--dry-run", action="store_true", help="check every row, store nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {opts['org']!r}.")
        try:
            if opts["file"] == "-":
                import sys

                report = csv_import.import_events(org, sys.stdin.buffer, dry_run=opts["dry_run"])
            else:
                with open(opts["file"], "rb") as stream:
                    report = csv_import.import_events(org, stream, dry_run=opts["dry_run"])
        except OSError as exc:
            raise CommandError(f"Cannot read {opts['file']}: {exc.strerror}") from None
        except csv_import.ImportFileError as exc:
            raise CommandError(f"Nothing imported. {exc.message}") from None
        verb = "would be stored" if report.dry_run else "stored"
        self.stdout.write(f"{report.rows} rows read: {report.stored} {verb}, {report.duplicates} duplicates "
                          f"(id already stored), {report.rejected} rejected.")
        for error in report.errors[:SHOWN_ERRORS]:
            self.stdout.write(f"  row {error.row}, {error.field or 'row'}: {error.reason}")
        if report.rejected > SHOWN_ERRORS:
            self.stdout.write(f"  … and {report.rejected - SHOWN_ERRORS} more rejected rows")
        if report.rejected:
            raise SystemExit(1)
