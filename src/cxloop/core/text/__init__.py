"""Offline text analytics for customer comments (pure Python + numpy + jieba, no Django).

* :func:`detect` — ``"zh-hans"`` / ``"zh-hant"`` / ``"en"`` / ``"other"`` (:mod:`.language`);
* :func:`tokenize` — content tokens with negation marks (:mod:`.tokens`);
* :func:`analyse` — :class:`Sentiment` (score −1..1, label, confidence) (:mod:`.sentiment`),
  trained by ``python -m cxloop.core.text.train`` (:mod:`.train`). See docs/text.md.
"""

from __future__ import annotations

from cxloop.core.text.language import Language, detect
from cxloop.core.text.sentiment import Sentiment, analyse
from cxloop.core.text.tokens import tokenize

__all__ = ["Language", "Sentiment", "analyse", "detect", "tokenize"]
