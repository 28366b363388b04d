"""Text helpers of the three importers (Qualtrics, LimeSurvey, SurveyJS): source sizes, the mapping of a source's
language codes to cxloop's three languages, keys that fit cxloop's patterns, and untrusted HTML texts turned into
plain text. Pure Python."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from html import unescape
from html.parser import HTMLParser

from cxloop.core.interop import InteropError
from cxloop.core.survey_model import KEY_PATTERN, LANGUAGES, MAX_TEXT_LENGTH, OPTION_KEY_PATTERN, Text

MAX_BYTES = 50 * 1024 * 1024  # a source file larger than this is refused
RESERVED_KEYS = frozenset({"end"})  # a skip rule's target "end" (the end of the survey)

_HANS = {"zh", "zh-cn", "zh-hans", "zh-sg", "zh-s", "zh-chs", "zh-hans-cn", "zh-hans-sg", "zh-my", "zh-hans-my"}
_HANT = {"zh-tw", "zh-hk", "zh-mo", "zh-t", "zh-cht", "zh-hant", "zh-hant-tw", "zh-hant-hk", "zh-hant-mo"}


def check_size(data: bytes, what: str) -> None:
    if not isinstance(data, bytes | bytearray):
        raise InteropError(f"the {what} file must be bytes")
    if len(data) > MAX_BYTES:
        raise InteropError(f"the {what} file is {len(data):,} bytes, over the limit of 50 MB")
    if not data.strip():
        raise InteropError(f"the {what} file is empty")


def language(code: str) -> str | None:
    """cxloop's language for a source's language code (zh-Hans, zh-CN, Qualtrics ZH-S → zh-hans; zh-Hant-TW, zh-TW,
    zh-HK, ZH-T → zh-hant; en, en-US, EN-GB → en); None for any other language."""
    norm = code.strip().lower().replace("_", "-")
    if norm in _HANS:
        return "zh-hans"
    if norm in _HANT:
        return "zh-hant"
    if norm == "en" or norm.startswith("en-"):
        return "en"
    return None


def ordered(languages: Iterable[str]) -> list[str]:
    found = set(languages)
    return [lang for lang in LANGUAGES if lang in found]


def value_text(value: object) -> str:
    """A SurveyJS value as the text its choices and rows are keyed by (``true``, ``3`` for 3.0)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def first_text(text: Text, prefer: str) -> str:
    if text.get(prefer):
        return text[prefer]
    for lang in LANGUAGES:
        if text.get(lang):
            return text[lang]
    return ""


# --- keys ------------------------------------------------------------------------------------------------------


def _slug(raw: str) -> str:
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text)).strip("_")


def make_key(raw: str, used: set[str], fallback: str, *, prefix: str = "q_") -> str:
    """``raw`` made to fit KEY_PATTERN (lowercase, a-z0-9_, starting with a letter, at most 64 characters), unique
    among ``used`` (which it joins) and never a reserved word (``end``); ``fallback`` (itself a valid key) when
    nothing of ``raw`` is left; ``prefix`` in front of one that starts with a digit."""
    key = _slug(raw)
    if key and not key[0].isalpha():
        key = f"{prefix}{key}"
    key = (key or fallback)[:64]
    return _unique(key, used, KEY_PATTERN)


def make_option_key(raw: str, used: set[str], fallback: str) -> str:
    """``raw`` made to fit OPTION_KEY_PATTERN (may start with a digit), unique among ``used``."""
    key = (_slug(raw) or fallback)[:64]
    return _unique(key, used, OPTION_KEY_PATTERN)


def _unique(key: str, used: set[str], pattern: re.Pattern[str]) -> str:
    candidate, n = key, 2
    while candidate in used or candidate in RESERVED_KEYS or not pattern.fullmatch(candidate):
        suffix = f"_{n}"
        candidate = key[: 64 - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate


# --- texts -----------------------------------------------------------------------------------------------------

_BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"})
_SKIPPED = frozenset({"script", "style", "head", "title"})
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")
_PIPED = re.compile(r"\$\{[^{}]*\}")  # Qualtrics piped text: ${q://QID1/ChoiceGroup/SelectedChoices}


class _Stripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain(raw: object, *, limit: int | None = MAX_TEXT_LENGTH, blank_lines: bool = False) -> str:
    """Untrusted HTML as plain text: tags dropped (scripts and styles with their content), entities decoded, blank
    runs collapsed, ``{{`` spaced out so it is never read as cxloop's piped text, cut at ``limit`` characters.
    ``blank_lines``: keep one empty line between paragraphs (else every empty line is dropped)."""
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
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _LINES.sub("\n\n", "\n".join(lines)).strip() if blank_lines else "\n".join(x for x in lines if x)
    text = text.replace("{{", "{ {").replace("}}", "} }")
    return text[:limit] if limit is not None else text


def has_markup(raw: str | None) -> bool:
    return bool(raw) and _TAG.search(raw or "") is not None


def has_piping(text: str) -> bool:
    return bool(_PIPED.search(text))


def unpipe(text: str) -> str:
    """Qualtrics piped text replaced by an ellipsis (cxloop cannot resolve Qualtrics' references)."""
    return _PIPED.sub("…", text)


def clip(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_TEXT_LENGTH:
        return text, False
    return text[: MAX_TEXT_LENGTH - 1] + "…", True


def choice_key(raw: str, used: set[str]) -> str:
    """An option or item key from a Qualtrics choice id ("1" stays "1"; "c" in front of what does not fit)."""
    key = re.sub(r"[^a-z0-9_]+", "_", str(raw).strip().lower()).strip("_")[:64]
    if not key or not OPTION_KEY_PATTERN.fullmatch(key):
        key = ("c" + (key or "x"))[:64]
    return _unique(key, used, OPTION_KEY_PATTERN)
