from __future__ import annotations

import os
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

STAMP = ".collected"  # in STATIC_ROOT: when the last complete collectstatic started


class Command(BaseCommand):
    help = ("Serve cxloop with granian (or gunicorn; static files by whitenoise). Use --with-worker for "
            "one-box set-ups.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--workers", type=int, default=None,
                            help="web worker processes (default: the number of cores, at most 4)")
        parser.add_argument("--threads", type=int, default=None,
                            help="threads per worker process (default: 8)")
        parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian",
                            help="HTTP server (default: granian)")
        parser.add_argument("--with-worker", action="store_true",
                            help="also run the background task worker in a child process")

    def handle(self, *args: Any, **opts: Any) -> None:
        from cxloop.ops.server import serve

        # Several processes are fine on SQLite too: writes queue on a lock file and are group-committed.
        if opts["workers"] is None:
            opts["workers"] = max(1, min(4, os.cpu_count() or 1))
        if opts["threads"] is None:
            opts["threads"] = 8

        if not _static_is_current():
            started = time.time()
            call_command("collectstatic", interactive=False, verbosity=0)
            _stamp(started)
        extra = ", with task worker" if opts["with_worker"] else ""
        self.stdout.write(f"cxloop serving on http://{opts['host']}:{opts['port']}/ "
                          f"({opts['server']}, {opts['workers']} workers{extra})")
        self.stdout.flush()
        serve(host=opts["host"], port=opts["port"], workers=opts["workers"], threads=opts["threads"],
              with_worker=opts["with_worker"], server=opts["server"])


def _static_is_current() -> bool:
    """Collected static files are newer than every source file (a restart after a crash skips collectstatic,
    which compresses every file again: seconds on a busy machine)."""
    from pathlib import Path

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    stamp = Path(settings.STATIC_ROOT) / STAMP
    if not stamp.exists():
        return False
    collected = stamp.stat().st_mtime
    for finder in get_finders():
        for _path, storage in finder.list([]):
            if Path(storage.path(_path)).stat().st_mtime > collected:
                return False
    return True


def _stamp(started: float) -> None:
    """After a complete collectstatic: the stamp carries the time it started (a source changed meanwhile is newer
    than the stamp, so the next start collects again)."""
    from pathlib import Path

    from django.conf import settings

    stamp = Path(settings.STATIC_ROOT) / STAMP
    stamp.touch()
    os.utime(stamp, (started, started))
