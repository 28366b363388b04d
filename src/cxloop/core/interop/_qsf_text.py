"""Small helpers of the Qualtrics importer: untrusted HTML to plain text, keys that fit cxloop's patterns, and the
mapping of Qualtrics language codes to cxloop's three languages. Pure Python."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from cxloop.core.survey_model import KEY_PATTERN, MAX_TEXT_LENGTH, OPTION_KEY_PATTERN

_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"})
_SKIPPED = frozenset({"script", "style", "head", "title"})
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_LINES = re.compile(r"\n{3,}")
_PIPED = re.compile(r"\$\{[^{}]*\}")  # Qualtrics piped text: ${q://QID1/ChoiceGroup/SelectedChoices}


class _Stripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BREAKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain(raw: object) -> str:
    """Untrusted HTML (a Qualtrics text) as plain text: tags dropped, entities decoded, blank runs collapsed."""
    if raw is None or isinstance(raw, bool):
        return ""
    if isinstance(raw, int | float):
        return str(raw)
    if not isinstance(raw, str):
        return ""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text or "&" in text:
        stripper = _Stripper()
        try:
            stripper.feed(text)
            stripper.close()
            text = "".join(stripper.parts)
        except Exception:  # a parser hiccup on hostile input: fall back to a crude strip
            text = unescape(re.sub(r"<[^>]*>", " ", text))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _LINES.sub("\n\n", text).strip()
    return text.replace("{{", "{ {").replace("}}", "} }")  # never read as cxloop piped text


def has_piping(text: str) -> bool:
    return bool(_PIPED.search(text))


def unpipe(text: str) -> str:
    """Qualtrics piped text replaced by an ellipsis (cxloop cannot resolve Qualtrics' references)."""
    return _PIPED.sub("…", text)


def clip(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_TEXT_LENGTH:
        return text, False
    return text[: MAX_TEXT_LENGTH - 1] + "…", True


def make_key(raw: str, used: set[str], fallback: str) -> str:
    """A key that fits KEY_PATTERN and is not in ``used`` (which it is added to): lowercase, other characters as
    ``_``, a leading ``q`` when it does not start with a letter, ``_2``, ``_3`` … on a collision."""
    key = re.sub(r"[^a-z0-9_]+", "_", raw.strip().lower()).strip("_") if raw else ""
    key = re.sub(r"_{2,}", "_", key)
    if not key:
        key = fallback
    if not key[0].isalpha() or not key[0].isascii():
        key = f"q{key}"
    key = key[:64]
    if not KEY_PATTERN.fullmatch(key):  # cannot happen after the above, but never hand back a bad key
        key = fallback
    base, n = key, 2
    while key in used or key == "end":
        suffix = f"_{n}"
        key = base[: 64 - len(suffix)] + suffix
        n += 1
    used.add(key)
    return key


def option_key(raw: str, used: set[str]) -> str:
    """An option or item key from a Qualtrics choice id ("1" stays "1")."""
    key = re.sub(r"[^a-z0-9_]+", "_", str(raw).strip().lower()).strip("_")[:64]
    if not key or not OPTION_KEY_PATTERN.fullmatch(key):
        key = "c" + (key or "x")
        key = key[:64]
    base, n = key, 2
    while key in used:
        suffix = f"_{n}"
        key = base[: 64 - len(suffix)] + suffix
        n += 1
    used.add(key)
    return key


def cxloop_language(code: str) -> str | None:
    """cxloop's language for a Qualtrics language code (EN, EN-GB, ZH-S, ZH-T …); None for any other language."""
    c = code.strip().upper().replace("_", "-")
    if c in ("ZH-S", "ZH-CN", "ZH", "ZH-HANS", "ZH-SG", "ZH-CHS"):
        return "zh-hans"
    if c in ("ZH-T", "ZH-TW", "ZH-HK", "ZH-HANT", "ZH-MO", "ZH-CHT"):
        return "zh-hant"
    if c == "EN" or c.startswith("EN-"):
        return "en"
    return None
