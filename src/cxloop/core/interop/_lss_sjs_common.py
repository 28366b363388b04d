"""Helpers shared by the LimeSurvey (``lss``) and SurveyJS (``surveyjs``) importers: source sizes, languages,
keys that fit cxloop's patterns, and HTML texts turned into plain text."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

from cxloop.core.interop import InteropError
from cxloop.core.survey_model import KEY_PATTERN, LANGUAGES, MAX_TEXT_LENGTH, OPTION_KEY_PATTERN, Text

MAX_BYTES = 50 * 1024 * 1024  # a source file larger than this is refused

_HANS = {"zh", "zh-cn", "zh-hans", "zh-sg", "zh-hans-cn", "zh-hans-sg", "zh-my", "zh-hans-my"}
_HANT = {"zh-tw", "zh-hk", "zh-mo", "zh-hant", "zh-hant-tw", "zh-hant-hk", "zh-hant-mo"}


def check_size(data: bytes, what: str) -> None:
    if not isinstance(data, bytes | bytearray):
        raise InteropError(f"the {what} file must be bytes")
    if len(data) > MAX_BYTES:
        raise InteropError(f"the {what} file is {len(data):,} bytes, over the limit of 50 MB")
    if not data.strip():
        raise InteropError(f"the {what} file is empty")


def language(code: str) -> str | None:
    """cxloop's language for a source's language code (zh-Hans, zh-CN → zh-hans; zh-Hant-TW, zh-TW, zh-HK →
    zh-hant; en, en-US → en); None for any other language."""
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


def _slug(raw: str) -> str:
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text)).strip("_")


def make_key(raw: str, used: set[str], fallback: str) -> str:
    """``raw`` made to fit KEY_PATTERN (lowercase, a-z0-9_, starting with a letter, at most 64 characters), unique
    among ``used`` (which it joins); ``fallback`` (itself a valid key) when nothing of ``raw`` is left."""
    key = _slug(raw)
    if key and not key[0].isalpha():
        key = f"q_{key}"
    key = (key or fallback)[:64]
    return _unique(key, used, KEY_PATTERN)


def make_option_key(raw: str, used: set[str], fallback: str) -> str:
    """``raw`` made to fit OPTION_KEY_PATTERN (may start with a digit), unique among ``used``."""
    key = (_slug(raw) or fallback)[:64]
    return _unique(key, used, OPTION_KEY_PATTERN)


def _unique(key: str, used: set[str], pattern: re.Pattern[str]) -> str:
    candidate, n = key, 2
    while candidate in used or not pattern.fullmatch(candidate):
        suffix = f"_{n}"
        candidate = key[: 64 - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate


_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.IGNORECASE)
_DROP = re.compile(r"<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def plain(raw: str | None) -> str:
    """An HTML text as plain text: tags removed (scripts and styles with their content), line breaks kept from
    <br>, </p> and the like, entities decoded, runs of spaces collapsed, cut at cxloop's text limit."""
    if not raw:
        return ""
    text = _DROP.sub("", raw)
    text = _BREAKS.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    text = "\n".join(line for line in lines if line)
    return text[:MAX_TEXT_LENGTH]


def has_markup(raw: str | None) -> bool:
    return bool(raw) and _TAG.search(raw or "") is not None


def first_text(text: Text, prefer: str) -> str:
    if text.get(prefer):
        return text[prefer]
    for lang in LANGUAGES:
        if text.get(lang):
            return text[lang]
    return ""
