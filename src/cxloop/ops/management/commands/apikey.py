from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.orgs.models import ApiKey, Organization, Role
from cxloop.orgs.services import ServiceError, create_api_key, revoke_api_key


class Command(BaseCommand):
    help = "Manage API keys: create (prints only the key), list, revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key; prints only the key on stdout")
        create.add_argument("--org", required=True, help="organisation slug")
        create.add_argument("--role", required=True, choices=Role.values, help="the key's role")
        create.add_argument("--name", default="", help="a label for the key")
        lst = sub.add_parser("list", help="list keys (never the secrets)")
        lst.add_argument("--org", help="only this organisation's keys")
        revoke = sub.add_parser("revoke", help="revoke a key by id or prefix")
        revoke.add_argument("key", help="the key's id, its 12-character prefix, or the whole key")

    def _org(self, slug: str) -> Organization:
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organisation with slug {slug!r}.")
        return org

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "create":
            try:
                new = create_api_key(org=self._org(opts["org"]), role=opts["role"], name=opts["name"])
            except ServiceError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(new.plaintext)
        elif action == "list":
            keys = ApiKey.objects.select_related("org").order_by("org__slug", "-created_at")
            if opts.get("org"):
                keys = keys.filter(org=self._org(opts["org"]))
            self.stdout.write(f"{'id':>5}  {'org':<20} {'prefix':<14} {'role':<8} {'status':<8} name")
            for k in keys:
                status = "revoked" if k.revoked_at else "active"
                self.stdout.write(f"{k.pk:>5}  {k.org.slug:<20} {k.prefix:<14} {k.role:<8} {status:<8} {k.name}")
        else:
            ref = opts["key"].strip()
            if ref.isdigit():
                key = ApiKey.objects.filter(pk=int(ref)).first()
            else:
                prefix = ref.split("_")[1] if ref.startswith("cxl_") and ref.count("_") >= 2 else ref
                key = ApiKey.objects.filter(prefix=prefix).first()
            if key is None:
                raise CommandError(f"No API key {ref!r}.")
            revoke_api_key(key=key)
            self.stdout.write(f"Revoked key {key.pk} (cxl_{key.prefix}_…) of {key.org.slug}.")
