"""Top phrases of a set of comments: the words and two-word phrases most comments use, for a theme's page.

:func:`top_phrases` tokenises each comment with :func:`cxloop.core.text.tokens.tokenize` (stop words and
degree adverbs dropped, Traditional folded to Simplified, English lower-cased), removes the ``NEG_`` marks
(the negator itself stays a token, so 不 + 好吃 reads 不好吃 again), and counts in how many comments each
word and each pair of adjacent words occurs (document frequency: a comment that says 导出 five times counts
once). Chinese phrases are written without a space (导出失败), English ones with one (export fails).

Ranked by document frequency (optionally only the phrases distinctive against a background sample); a
single word is left out when a chosen two-word phrase containing it
covers most of its comments (``absorb``), so 导出 / 失败 / 导出失败 do not take three places for one
thing; single Han characters, numbers and tokens of one Latin letter are never phrases on their own.

Pure Python: no Django.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterable

from cxloop.core.text.language import detect
from cxloop.core.text.tokens import NEG_PREFIX, is_chinese, tokenize

__all__ = ["Phrase", "top_phrases"]


@dataclasses.dataclass(frozen=True)
class Phrase:
    """A word or two-word phrase and the number of comments that use it (and their share of all)."""

    text: str
    comments: int
    share: float


def _words(text: str, language: str | None) -> tuple[list[str], bool]:
    lang = language or detect(text)
    chinese = is_chinese(lang)
    tokens = [t[len(NEG_PREFIX):] if t.startswith(NEG_PREFIX) else t for t in tokenize(text, lang)]
    return tokens, chinese


def _word_ok(token: str) -> bool:
    if token.isdigit():
        return False
    if token.isascii():
        return len(token) > 1
    return len(token) > 1  # one Han character (好, 慢) says little on its own


def _count(comments: Iterable[tuple[str, str | None]]
           ) -> tuple[Counter[str], Counter[str], dict[str, tuple[str, str]], int]:
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    parts: dict[str, tuple[str, str]] = {}
    total = 0
    for text, language in comments:
        if not text:
            continue
        total += 1
        tokens, chinese = _words(text, language)
        seen_pairs: set[str] = set()
        for a, b in itertools.pairwise(tokens):
            if a.isdigit() or b.isdigit():
                continue
            glue = "" if chinese and not (a.isascii() or b.isascii()) else " "
            phrase = a + glue + b
            parts.setdefault(phrase, (a, b))
            seen_pairs.add(phrase)
        words.update({t for t in tokens if _word_ok(t)})
        pairs.update(seen_pairs)
    return words, pairs, parts, total


def top_phrases(comments: Iterable[tuple[str, str | None]], *, limit: int = 12, min_comments: int = 2,
                absorb: float = 0.6, background: Iterable[tuple[str, str | None]] = (),
                min_lift: float = 2.0) -> list[Phrase]:
    """The ``limit`` phrases most comments use, from ``(text, language)`` pairs (language None: detected).

    A phrase must occur in at least ``min_comments`` comments. A word is dropped in favour of a chosen
    phrase that contains it and occurs in at least ``absorb`` of the word's comments. With ``background``
    comments (e.g. a sample of all comments), a phrase must also be distinctive: its share of these
    comments at least ``min_lift`` times its share of the background (add-one smoothed), so words every
    comment uses (问题, 希望, really) do not crowd out what this set is about."""
    words, pairs, parts, total = _count(comments)
    if total == 0:
        return []
    back_words, back_pairs, _parts, back_total = _count(background)

    def distinctive(phrase: str, n: int, is_pair: bool) -> bool:
        if back_total == 0:
            return True
        seen = (back_pairs if is_pair else back_words).get(phrase, 0)
        return (n / total) >= min_lift * (seen + 1) / (back_total + 1)

    ranked = sorted(
        [(n, 1, p) for p, n in pairs.items() if n >= min_comments and distinctive(p, n, True)]
        + [(n, 0, w) for w, n in words.items() if n >= min_comments and distinctive(w, n, False)],
        key=lambda item: (-item[0], -item[1], item[2]),
    )
    chosen: list[tuple[str, int]] = []
    chosen_pairs: list[tuple[str, int]] = []
    for count, is_pair, text in ranked:
        if len(chosen) >= limit:
            break
        if is_pair:
            a, b = parts[text]
            if words.get(a, 0) and words.get(b, 0) and count < absorb * min(words[a], words[b]) and count < 3:
                continue  # a chance neighbourhood of two common words
            chosen.append((text, count))
            chosen_pairs.append((text, count))
            continue
        if any(text in parts[p] and c >= absorb * count for p, c in chosen_pairs):
            continue
        chosen.append((text, count))
    # a word chosen before the phrase that absorbs it (the word ranks higher) goes once the phrase is in
    kept = [(t, c) for t, c in chosen
            if t in parts or not any(t in parts[p] and pc >= absorb * c for p, pc in chosen_pairs)]
    return [Phrase(t, c, c / total) for t, c in kept]
