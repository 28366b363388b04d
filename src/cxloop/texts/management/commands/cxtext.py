"""``cxloop text analyze FILE``: one comment per line (or a CSV column with ``--column``) → JSON Lines
``{text, language, sentiment_label, sentiment_score, themes}`` on standard output (or ``--out``), with the
default CX codeframe (or an organisation's with ``--org``). ``-`` reads standard input."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxloop.core.text import pii
from cxloop.orgs.models import Organization


def _lines(source: io.TextIOBase | Any, column: str | None) -> Iterator[str]:
    if column is None:
        for line in source:
            text = line.rstrip("\r\n")
            if text.strip():
                yield text
        return
    reader = csv.DictReader(source)
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise CommandError(f"--column: no column {column!r} (columns: {', '.join(reader.fieldnames or [])})")
    for row in reader:
        text = (row.get(column) or "").strip()
        if text:
            yield text


class Command(BaseCommand):
    help = "Text analytics: 'analyze FILE [--column NAME] [--org SLUG] [--out FILE]' writes JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["analyze", "analyse"])
        parser.add_argument("file", help="a text file (one comment per line), a CSV with --column, or -")
        parser.add_argument("--column", help="the CSV column holding the comments")
        parser.add_argument("--org", help="use this organisation's codeframe (slug); default: the default one")
        parser.add_argument("--out", help="write here instead of standard output")
        parser.add_argument("--redact", action="store_true",
                            help="write the text with phone numbers, e-mail addresses, ID and bank card numbers "
                                 "replaced by [phone], [email], [id], [card] (also the default for --org when that "
                                 "organisation hides personal data)")

    def handle(self, *args: Any, **opts: Any) -> None:
        from cxloop.texts import services

        org = None
        if opts.get("org"):
            org = Organization.objects.filter(slug=opts["org"]).first()
            if org is None:
                raise CommandError(f"--org: no organisation {opts['org']!r}")
        found, version = services.matcher(org) if org is not None else services.default_matcher()
        path = opts["file"]
        if path != "-" and not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
        source = sys.stdin if path == "-" else open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        out = open(opts["out"], "w", encoding="utf-8") if opts.get("out") else self.stdout  # noqa: SIM115
        redact = bool(opts.get("redact")) or bool(org is not None and org.redact_pii)
        count = 0
        try:
            for text in _lines(source, opts.get("column")):
                result = services.analyse(text, found, version)
                shown = pii.redact(text).text if redact else text
                out.write(json.dumps({"text": shown, "language": result.language,
                                      "sentiment_label": result.sentiment.label,
                                      "sentiment_score": round(result.sentiment.score, 4),
                                      "themes": list(result.themes)}, ensure_ascii=False) + "\n")
                count += 1
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        finally:
            if source is not sys.stdin:
                source.close()
            if out is not self.stdout:
                out.close()
        self.stderr.write(f"{count} comments analysed")
