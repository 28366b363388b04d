from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.analytics import rollups
from cxloop.analytics.models import RollupDirty
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Survey


class Command(BaseCommand):
    help = ("Rollups of the answers (the counts dashboards and GET /api/v1/metrics read): rebuild them from the "
            "raw answers, recompute the buckets marked dirty, or show how many are waiting.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute rollups from the raw answers (all surveys, or some)")
        rebuild.add_argument("--survey", type=int, action="append", dest="surveys", metavar="ID",
                             help="only this survey (repeatable)")
        rebuild.add_argument("--org", help="only the surveys of this organisation (slug)")
        sub.add_parser("refresh", help="recompute the (survey, day) buckets marked dirty (what the worker does)")
        sub.add_parser("status", help="how many (survey, day) buckets wait for recomputation")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "refresh":
            self.stdout.write(f"Recomputed {rollups.refresh()} (survey, day) buckets.")
        elif action == "status":
            self.stdout.write(f"{RollupDirty.objects.count()} (survey, day) buckets marked dirty.")
        else:
            surveys = Survey.objects.all()
            if opts.get("org"):
                org = Organization.objects.filter(slug=opts["org"]).first()
                if org is None:
                    raise CommandError(f"No organisation with slug {opts['org']!r}.")
                surveys = surveys.filter(org=org)
            if opts.get("surveys"):
                surveys = surveys.filter(pk__in=opts["surveys"])
                missing = set(opts["surveys"]) - set(surveys.values_list("pk", flat=True))
                if missing:
                    raise CommandError(f"No survey with id {', '.join(map(str, sorted(missing)))}.")
            ids = list(surveys.values_list("pk", flat=True))
            done = rollups.rebuild(survey_ids=ids)
            self.stdout.write(f"Rebuilt the rollups of {done.surveys} surveys ({done.months} survey-months, "
                              f"{done.rows} rows) in {done.seconds:.1f} s.")
