"""Tokenising customer comments for sentiment: Chinese with jieba, English by rules, with negation scope.

Pipeline (:func:`tokenize`)
---------------------------
1. :func:`normalise`: Unicode NFKC (full-width letters, digits and punctuation → half-width),
   lowercase; for Chinese, Traditional characters are mapped to Simplified (``language.to_simplified``)
   so one model serves both scripts.
2. Segmentation. Chinese: jieba (its default dictionary, no HMM new-word discovery — faster and
   deterministic) plus a small CX dictionary ``data/zh_userdict.txt`` (导出, 报表, 客服, 续费, 工单,
   卡顿, 闪退, …), loaded once, lazily. A jieba word that starts with a negator or degree adverb and is
   not a lexicalised word (``data/zh_lexicalised.txt``: 不错, 不过, 无聊, 还行, …) is split, so 不好吃
   → 不 好吃, 很卡顿 → 很 卡顿, 不太 → 不 太. Latin runs inside Chinese text follow the English rules.
   English: contractions expanded (n't → not, also the apostrophe-less dont/didnt/isnt …, won't →
   will not, can't → can not), then words ``[a-z0-9]+`` and punctuation.
3. Stop words (``data/*_stopwords.txt``) are dropped. Degree adverbs (``data/*_intensifiers.txt``:
   很, 非常, 太, very, really, so, …) are dropped from the word tokens so that they do not swamp the
   sentiment word they modify (they stay visible to the model's character n-grams).
4. Negation scope: after a negator (``data/*_negators.txt``: 不, 没, 没有, 别, 无, 未, not, no, never,
   …) the next :data:`NEG_SCOPE` content tokens get the prefix ``NEG_``; the scope ends early at
   punctuation or at a contrastive conjunction (但是, 可是, 不过, but, however, …). The negator itself
   is kept as a token. So 没有问题 → ``["没有", "NEG_问题"]`` and "not bad" → ``["not", "NEG_bad"]``.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cxloop.core.text.language import DATA_DIR, is_han, to_simplified

NEG_PREFIX = "NEG_"
NEG_SCOPE = 3

ZH_CONTRAST = frozenset({"但", "但是", "可是", "然而", "不过", "只是", "就是", "却", "而且"})
EN_CONTRAST = frozenset({"but", "however", "although", "though", "yet", "except", "whereas"})

_EN_CONTRACTIONS = [
    (re.compile(r"\bwon['’]t\b"), "will not"),
    (re.compile(r"\bcan['’]t\b"), "can not"),
    (re.compile(r"\bshan['’]t\b"), "shall not"),
    (re.compile(r"\bain['’]t\b"), "is not"),
    (re.compile(r"n['’]t\b"), " not"),
    (
        re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need|wo|ca)nt\b"),
        r"\1 not",
    ),
    (re.compile(r"\bcannot\b"), "can not"),
]
_EN_WORD = re.compile(r"[a-z0-9]+|[.,!?;:()\"]|[\u4e00-\u9fff]")
_LATIN_RUN = re.compile(r"[a-z0-9'’]+")


def _read_set(name: str) -> frozenset[str]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, frozenset[str]]:
    return {
        name: _read_set(f"{name}.txt")
        for name in (
            "zh_negators",
            "zh_intensifiers",
            "zh_stopwords",
            "zh_lexicalised",
            "en_negators",
            "en_intensifiers",
            "en_stopwords",
        )
    }


_jieba_lock = threading.Lock()
_jieba_cut: Callable[[str], list[str]] | None = None


def _segmenter() -> Callable[[str], list[str]]:
    """jieba's ``lcut`` (no HMM) with the CX dictionary; initialised once, on first use."""
    global _jieba_cut
    if _jieba_cut is not None:
        return _jieba_cut
    with _jieba_lock:
        if _jieba_cut is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer: Any = jieba.Tokenizer()
            tokenizer.initialize()
            tokenizer.load_userdict(str(DATA_DIR / "zh_userdict.txt"))

            def cut(text: str) -> list[str]:
                return list(tokenizer.cut(text, HMM=False))

            _jieba_cut = cut
    return _jieba_cut


def is_chinese(language: str | None) -> bool:
    """True for ``"zh"``, ``"zh-hans"``, ``"zh-hant"`` (and other ``zh-*`` tags)."""
    return bool(language) and str(language).lower().startswith("zh")


def normalise(text: str, language: str) -> str:
    """NFKC + lowercase; Traditional → Simplified for Chinese."""
    text = unicodedata.normalize("NFKC", text).lower()
    if is_chinese(language):
        text = to_simplified(text)
    return text


def expand_contractions(text: str) -> str:
    for pattern, repl in _EN_CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


def _is_punct(token: str) -> bool:
    return not token[:1].isalnum() and not any(ch.isalnum() for ch in token)


def _split_prefixes(word: str, lex: dict[str, frozenset[str]]) -> list[str]:
    """Split a jieba word that starts with a negator / degree adverb (不好吃 → 不 好吃; 没有X → 没有 X)."""
    if len(word) < 2 or word in lex["zh_lexicalised"] or not is_han(word[0]):
        return [word]
    if word in lex["zh_negators"] or word in lex["zh_intensifiers"]:
        return [word]
    for head_len in (2, 1):
        head = word[:head_len]
        if len(word) > head_len and (head in lex["zh_negators"] or head in lex["zh_intensifiers"]):
            rest = word[head_len:]
            return [head, *_split_prefixes(rest, lex)]
    return [word]


def _raw_tokens_zh(text: str) -> list[str]:
    lex = _lexicon()
    out: list[str] = []
    for word in _segmenter()(text):
        word = word.strip()
        if not word:
            continue
        if word[0].isascii() and word[0].isalnum():
            out.extend(_raw_tokens_en(word))
        else:
            out.extend(_split_prefixes(word, lex))
    return out


def _raw_tokens_en(text: str) -> list[str]:
    return _EN_WORD.findall(expand_contractions(text))


@lru_cache(maxsize=1)
def all_negators() -> frozenset[str]:
    """Chinese and English negators."""
    lex = _lexicon()
    return lex["zh_negators"] | lex["en_negators"]


@lru_cache(maxsize=2)
def _scope_rules(chinese: bool) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(negators, dropped words = stop words + degree adverbs, contrastive conjunctions)."""
    lex = _lexicon()
    if chinese:  # Chinese text may contain English words
        return (
            lex["zh_negators"] | lex["en_negators"],
            lex["zh_intensifiers"] | lex["en_intensifiers"] | lex["zh_stopwords"] | lex["en_stopwords"],
            ZH_CONTRAST | EN_CONTRAST,
        )
    return lex["en_negators"], lex["en_intensifiers"] | lex["en_stopwords"], EN_CONTRAST


def mark_negation(tokens: list[str], chinese: bool) -> list[str]:
    """Drop stop words and degree adverbs, prefix ``NEG_`` in negation scope, drop punctuation."""
    negators, skip, contrast = _scope_rules(chinese)
    out: list[str] = []
    scope = 0
    for tok in tokens:
        if _is_punct(tok):
            scope = 0
            continue
        if tok in contrast:
            scope = 0
            out.append(tok)
            continue
        if tok in negators:
            out.append(tok)
            scope = NEG_SCOPE
            continue
        if tok in skip:
            continue
        if scope:
            out.append(NEG_PREFIX + tok)
            scope -= 1
        else:
            out.append(tok)
    return out


def tokenize(text: str, language: str) -> list[str]:
    """Content tokens of ``text`` in ``language`` (``"zh-hans"``, ``"zh-hant"``, ``"en"``, …), see module doc."""
    chinese = is_chinese(language)
    norm = normalise(text, language)
    raw = _raw_tokens_zh(norm) if chinese else _raw_tokens_en(norm)
    return mark_negation(raw, chinese)


def tokenize_normalised(norm: str, chinese: bool) -> list[str]:
    """:func:`tokenize` for text already passed through :func:`normalise` (used by the feature extractor)."""
    raw = _raw_tokens_zh(norm) if chinese else _raw_tokens_en(norm)
    return mark_negation(raw, chinese)


def latin_text(norm: str) -> str:
    """The Latin-script runs of normalised text joined by spaces (the English part of mixed zh/en text)."""
    return " ".join(_LATIN_RUN.findall(norm))
