"""Language detection for short customer comments: Simplified Chinese, Traditional Chinese, English or other.

Pure Python, no model: the decision is made from script counts.

* Han characters (CJK Unified Ideographs, Extension A and the compatibility block) count as one unit
  each; Latin words (runs of ASCII letters) count as one unit each. Text whose Han units are at least
  as many as its Latin words is Chinese ("客服 very helpful" → Chinese: two Han units, two words);
  text with Latin words and no (or fewer) Han units is English.
* Kana, Hangul, Cyrillic, Greek, Arabic, Hebrew, Thai, Devanagari letters — or text with neither
  Han characters nor Latin words — make it ``"other"`` (Japanese text has Han characters *and* kana: kana decide it).
* Traditional vs Simplified: the characters of the text are looked up in two sets derived from
  OpenCC's character maps (``data/zh_script_chars.txt``: characters that exist only in Traditional
  writing, e.g. 們 這 個 說 還, and only in Simplified writing, e.g. 们 这 个 说 还). More
  Traditional-only than Simplified-only characters → ``"zh-hant"``, otherwise ``"zh-hans"`` (text
  that uses only characters common to both, e.g. 好吃, is reported as Simplified).

:func:`to_simplified` maps Traditional characters to Simplified one by one (OpenCC's first choice per
character, ``data/zh_t2s.txt``), which is enough for the sentiment model (one model serves both).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

Language = Literal["zh-hans", "zh-hant", "en", "other"]

DATA_DIR = Path(__file__).resolve().parent / "data"

LANGUAGES: tuple[Language, ...] = ("zh-hans", "zh-hant", "en", "other")


def is_han(ch: str) -> bool:
    """True for a CJK ideograph (Unified, Extension A, Compatibility)."""
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def _read_lines(name: str) -> list[str]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _script_sets() -> tuple[frozenset[str], frozenset[str]]:
    trad, simp = _read_lines("zh_script_chars.txt")[:2]
    return frozenset(trad), frozenset(simp)


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for line in _read_lines("zh_t2s.txt"):
        trad, simp = line.split("\t")
        table[ord(trad)] = simp
    return table


def to_simplified(text: str) -> str:
    """Traditional → Simplified, character by character (OpenCC's first choice; no phrase rules)."""
    return text.translate(_t2s_table())


_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_LATIN_WORD = re.compile("[A-Za-z]+")
# kana, Hangul, Cyrillic, Greek, Arabic, Hebrew, Thai, Devanagari
_OTHER = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u0370-\u03ff"
    "\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0e00-\u0e7f\u0900-\u097f]"
)


def script_counts(text: str) -> tuple[int, int, int]:
    """(Han characters, Latin words, letters of other scripts: kana, Hangul, Cyrillic, Greek, Arabic, …)."""
    if text.isascii():
        return 0, len(_LATIN_WORD.findall(text)), 0
    return len(_HAN.findall(text)), len(_LATIN_WORD.findall(text)), len(_OTHER.findall(text))


def chinese_variant(text: str) -> Literal["zh-hans", "zh-hant"]:
    """``"zh-hant"`` when ``text`` has more Traditional-only than Simplified-only characters."""
    trad, simp = _script_sets()
    n_trad = n_simp = 0
    for ch in text:
        if ch in trad:
            n_trad += 1
        elif ch in simp:
            n_simp += 1
    return "zh-hant" if n_trad > n_simp else "zh-hans"


def detect(text: str) -> Language:
    """The language of ``text``: ``"zh-hans"``, ``"zh-hant"``, ``"en"`` or ``"other"`` (see module doc)."""
    han, latin_words, other = script_counts(text)
    if other and other >= han + latin_words:
        return "other"
    if other and han and other * 4 >= han:  # Japanese: Han characters with a fair share of kana
        return "other"
    if han and han >= latin_words:
        return chinese_variant(text)
    if latin_words:
        return "en"
    return "other"
