from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run background tasks from the database queue (e-mails and later rules, rollups)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", action="append", dest="queues",
                            help="queue to work on (repeatable); default: all")
        parser.add_argument("--interval", type=float, default=0.2, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args: Any, **opts: Any) -> None:
        from cxloop.surveys.tasks import ensure_tick, recover

        if not opts["batch"]:
            warm_up()  # before the first task: the first comment should not pay for loading the models
            ensure_tick()  # recurring distributions run from a self-rescheduling task
            recover.enqueue()  # what a worker killed before this start left behind
        argv = ["--interval", str(opts["interval"])]
        queues = opts.get("queues") or ["*"]
        argv += ["--queue-name", ",".join(queues)]
        if opts["batch"]:
            argv += ["--batch", "--no-startup-delay"]
        call_command("db_worker", *argv)


def warm_up() -> None:
    """Load what analysing the first comment would otherwise load (jieba's dictionary, the sentiment model and
    the default codeframe: about 1.5 s), so that the first response after a start is as fast as the rest."""
    from cxloop.core.text import language, sentiment
    from cxloop.texts import services as texts

    for text in ("导出报表一直失败", "The export works well"):
        sentiment.analyse(text, language.detect(text))
    texts.default_matcher()

