from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve cxloop with gunicorn (static files by whitenoise). Use --with-worker for one-box set-ups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--workers", type=int, default=None,
                            help="web worker processes (default: 1 on SQLite, where writers from several "
                                 "processes queue on the file lock; cores + 1, at most 4, on PostgreSQL)")
        parser.add_argument("--threads", type=int, default=None,
                            help="threads per worker (default: 8 on SQLite, 4 on PostgreSQL)")
        parser.add_argument("--with-worker", action="store_true",
                            help="also run the background task worker in a child process")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.db import connection

        from cxloop.ops.server import serve

        sqlite = connection.vendor == "sqlite"
        if opts["workers"] is None:
            opts["workers"] = 1 if sqlite else min(4, (os.cpu_count() or 1) + 1)
        if opts["threads"] is None:
            opts["threads"] = 8 if sqlite else 4

        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"cxloop serving on http://{opts['host']}:{opts['port']}/ "
                          f"({opts['workers']} workers{', with task worker' if opts['with_worker'] else ''})")
        self.stdout.flush()
        serve(host=opts["host"], port=opts["port"], workers=opts["workers"], threads=opts["threads"],
              with_worker=opts["with_worker"])
