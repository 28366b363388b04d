"""``cxloop privacy export --org SLUG --contact EXTERNAL_ID``: a data subject's export as JSON on stdout
(audit-logged like the page and the API; see docs/privacy.md); ``cxloop privacy retention``: apply every
retention policy now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.customers.models import Contact
from cxloop.orgs.models import Organization
from cxloop.privacy import services


class Command(BaseCommand):
    help = "Privacy: export a contact's data as JSON; apply the retention policies now."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="everything held about one contact, as JSON on stdout")
        export.add_argument("--org", required=True, help="organisation slug")
        export.add_argument("--contact", required=True, help="the contact's external id")
        sub.add_parser("retention", help="apply every survey's retention policy now")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "retention":
            for applied in services.apply_retention():
                self.stdout.write(f"survey {applied.survey_id}: {applied.action} {applied.responses} responses "
                                  f"submitted before {applied.cutoff.isoformat()}")
            return
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {opts['org']!r}.")
        contact = Contact.objects.filter(org=org, external_id=opts["contact"]).first()
        if contact is None:
            raise CommandError(f"No contact with external id {opts['contact']!r} in {org.slug}.")
        data = services.subject_export(org=org, contact=contact)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
