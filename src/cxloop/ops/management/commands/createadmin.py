from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.orgs.models import User
from cxloop.orgs.services import ServiceError, create_admin


class Command(BaseCommand):
    help = ("Create an owner of an organisation, who is also a Django superuser. The organisation is "
            "created if missing; its slug is derived from the name ('Acme Retail' -> acme-retail).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="sign-in e-mail address")
        parser.add_argument("--org", required=True, help="organisation name (created if missing)")
        parser.add_argument("--password", help="password; prompted for when omitted")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"]
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password, User(email=opts["email"]))
        except ValidationError as exc:
            raise CommandError("Password rejected: " + " ".join(exc.messages)) from None
        try:
            user, org = create_admin(email=opts["email"], org_name=opts["org"], password=password)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{user.email} is an owner of {org.name} (slug: {org.slug}).")
