"""The ``cxloop`` command: one entry point for every operation.

``cxloop <command> [options]``; ``cxloop <command> --help`` explains each. The commands are Django
management commands, so any other Django command (``shell``, ``dbshell``, ``showmigrations``) works too.
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "demo": "migrate, load the demo company 云启科技 CloudLaunch, print the login and serve it",
    "serve": "run the production web server (gunicorn), optionally with the task worker",
    "worker": "run background tasks (e-mails, rule evaluation, rollups)",
    "migrate": "create or upgrade the database schema",
    "createadmin": "create an owner of an organisation (the organisation is created if missing)",
    "apikey": "create, list and revoke API keys (create prints only the key)",
    "survey": "survey as code: list, export (YAML/JSON) and import definitions",
    "import": "import data: 'import responses FILE --org SLUG --survey ID' (CSV, all rows or none); "
              "'import qsf|lss|surveyjs FILE [--responses CSV] --org SLUG' (a survey from another tool)",
    "export": "export data: 'export responses --survey ID --format csv|xlsx|jsonl --out FILE'",
    "text": "text analytics: 'text analyze FILE [--column NAME] [--org SLUG]' writes JSON Lines",
    "events": "behavioural events: 'events import FILE --org SLUG [--dry-run]' (CSV; good rows stored)",
    "rollups": "rollups of the answers: 'rollups rebuild [--survey ID] [--org SLUG]', 'refresh', 'status'",
    "check": "validate the configuration and the database connection",
}
ALIASES = {"check": "cxcheck", "worker": "cxworker", "import": "cximport", "export": "cxexport", "text": "cxtext"}


def _usage() -> str:
    lines = ["usage: cxloop <command> [options]", "", "commands:"]
    lines += [f"  {name:<12} {text}" for name, text in COMMANDS.items()]
    lines += ["", "Run 'cxloop <command> --help' for a command's options.",
              "Configuration comes from CXLOOP_* environment variables (see the README)."]
    return "\n".join(lines)


def _apply_demo_db(args: list[str]) -> None:
    """``cxloop demo --db PATH`` points this process (and the server it starts) at an SQLite file.
    Settings are read once, so this has to happen before Django starts."""
    for i, arg in enumerate(args):
        path = None
        if arg == "--db" and i + 1 < len(args):
            path = args[i + 1]
        elif arg.startswith("--db="):
            path = arg.split("=", 1)[1]
        if path:
            from pathlib import Path

            os.environ["CXLOOP_DATABASE_URL"] = "sqlite:///" + str(Path(path).resolve())


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if args[0] in {"-V", "--version"}:
        from importlib.metadata import version

        print(version("cxloop"))
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxloop.settings")
    if args[0] == "demo":
        _apply_demo_db(args)
    from cxloop.config import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    name = ALIASES.get(args[0], args[0])
    execute_from_command_line(["cxloop", name, *args[1:]])
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
