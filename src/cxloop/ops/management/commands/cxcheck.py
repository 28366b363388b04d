from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = ("Validate the configuration (already done when this command starts), the database "
            "connection, pending migrations and Django's system checks (deployment checks in production).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print nothing when all is well")

    def handle(self, *args: Any, **opts: Any) -> None:
        cfg = settings.CONFIG
        lines = [f"environment: {cfg.env}", f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']})"]
        try:
            connection.ensure_connection()
        except Exception as exc:
            raise CommandError(f"Cannot connect to the database: {exc}") from None
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        lines.append(f"migrations: {'up to date' if not pending else f'{len(pending)} pending, run cxloop migrate'}")
        lines.append(f"mail: {'smtp ' + cfg.smtp.host if cfg.smtp else 'console (development)'}")
        call_command("check", deploy=cfg.production, fail_level="ERROR", verbosity=0)
        if not opts["quiet"]:
            self.stdout.write("\n".join(lines))
            self.stdout.write("ok")
        if pending:
            raise CommandError("Pending migrations.")
