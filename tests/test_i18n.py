"""UI translations: every string of the templates and code is in the catalogues, translated in both
Chinese variants, placeholders intact, and the compiled .mo files match the .po sources."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "src" / "cxloop"
LOCALES = ("zh_Hans", "zh_Hant", "en")
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unquote(lines: list[str]) -> str:
    text = "".join(re.match(r'^\s*"(.*)"\s*$', line).group(1) for line in lines)  # type: ignore[union-attr]
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def parse_po(path: Path) -> dict[str, str]:
    """msgid → msgstr (plural forms: msgstr[0]); skips the header."""
    entries: dict[str, str] = {}
    block: dict[str, list[str]] = {}
    key = ""
    fuzzy = False

    def flush() -> None:
        nonlocal fuzzy
        if "msgid" in block and not fuzzy:
            msgid = _unquote(block["msgid"])
            if msgid:
                entries[msgid] = _unquote(block.get("msgstr", block.get("msgstr[0]", [])))
        block.clear()
        fuzzy = False

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
            continue
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        if line.startswith("#"):
            continue
        m = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
        if m:
            key = m.group(1)
            block[key] = [m.group(2)]
        elif line.startswith('"'):
            block.setdefault(key, []).append(line)
    flush()
    return entries


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant"])
def test_chinese_catalogues_are_complete_and_keep_placeholders(locale: str) -> None:
    po = PKG / "locale" / locale / "LC_MESSAGES" / "django.po"
    entries = parse_po(po)
    assert len(entries) > 150
    missing = [k for k, v in entries.items() if not v.strip()]
    assert not missing, f"untranslated in {locale}: {missing[:5]}"
    for msgid, msgstr in entries.items():
        assert sorted(re.findall(r"%\(\w+\)[sd]", msgid)) == sorted(re.findall(r"%\(\w+\)[sd]", msgstr)), msgid
    assert "\n#, fuzzy" not in po.read_text(encoding="utf-8")


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogues_match_their_sources(locale: str) -> None:
    folder = PKG / "locale" / locale / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    for msgid, msgstr in parse_po(folder / "django.po").items():
        if msgstr:
            found = catalog.get(msgid, catalog.get((msgid, 0)))  # a plural entry is stored as (msgid, n)
            assert found == msgstr, f"{locale}: .mo is stale for {msgid!r}; run make messages"


def test_every_ui_string_is_in_the_catalogues(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        if CI:
            pytest.fail("CI=true: GNU gettext (xgettext) is needed to check the catalogues")
        pytest.skip("GNU gettext not installed")
    copy = tmp_path / "cxloop"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cxloop.settings", "CXLOOP_DATA_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete",
                    "--ignore", "demo/*", "--ignore", "core/*"],
                   cwd=copy, env=env, check=True, capture_output=True)
    fresh = set(parse_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = set(parse_po(PKG / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert len(fresh) > 150
    assert fresh - committed == set(), "new UI strings: run `make messages` and translate them"
