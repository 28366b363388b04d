from __future__ import annotations

import json
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD, credentials_path, load


class Command(BaseCommand):
    help = ("Migrate, load the demo company 云启科技 CloudLaunch (safe to run again: no duplicate), print "
            "and save the login, then serve it. Writes demo-credentials.json beside the database file.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--db", help="SQLite file to use (default: the configured database)")
        parser.add_argument("--size", choices=["tiny", "small", "large"], default="small",
                            help="small ≈ 20k responses (default); large ≈ 1M, for benchmarks; tiny for tests")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="load and print, do not serve")

    def handle(self, *args: Any, **opts: Any) -> None:
        # --db is applied by cxloop.cli before settings load (settings are read once).
        call_command("migrate", interactive=False, verbosity=0)
        result = load(size=opts["size"], seed=opts["seed"], stdout=self.stdout)
        url = f"http://{opts['host']}:{opts['port']}/"
        creds = {"url": url, "org": result.org.slug, "email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                 "api_key": result.api_key}
        path = credentials_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(creds, ensure_ascii=False, indent=2) + "\n")
        path.chmod(0o600)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("cxloop demo is ready"))
        self.stdout.write(f"  URL:          {url}")
        self.stdout.write(f"  Organisation: {result.org.name} ({result.org.slug})")
        self.stdout.write(f"  E-mail:       {DEMO_EMAIL}")
        self.stdout.write(f"  Password:     {DEMO_PASSWORD}")
        self.stdout.write(f"  API key:      {result.api_key}")
        self.stdout.write(f"  Saved to:     {path}")
        self.stdout.write("")
        if not opts["no_serve"]:
            call_command("serve", host=opts["host"], port=opts["port"], with_worker=True)
