"""Offline sentiment for Chinese (Simplified and Traditional) and English customer comments.

Pure numpy + jieba at inference; the weights (``data/sentiment.npz``) are trained by
``python -m cxloop.core.text.train`` (see that module and docs/text.md for data, split and results).

Model
-----
One logistic regression per language family (``zh``, ``en``) over hashed, L2-normalised binary
features (:data:`DIM` buckets, CRC-32 of the feature string):

* zh: jieba word unigrams and bigrams from :func:`tokens.tokenize` (with ``NEG_`` negation marks),
  character 1–3-grams within punctuation-delimited segments of the normalised (Simplified) text.
* en: word unigrams and bigrams (with ``NEG_`` marks), character 3–5-grams of the word sequence.

``p = σ(w·x + b + lexicon adjustment)`` (:func:`valence_shift`: negated negative words such as 没有问题 /
not bad — and, when a language's parameters say so, negated positive words — are masked out of the
model's view; a negated polar word shifts the logit by ∓``negated_weight``, a plain polar word by
±``plain_weight``); ``score = 2p − 1`` in −1..1. The lexicon parameters (:class:`LexiconParams`) are
per language and stored in the artefact: ``train.py`` chooses them by 5-fold cross-validation on the
training part (out-of-fold model predictions); artefacts without them get :data:`A_PRIORI_PARAMS`.

Labels
------
* ``neutral`` when ``|score| < NEUTRAL_BAND`` (0.2, i.e. 0.4 < p < 0.6);
* ``neutral`` (score 0, confidence 1) when the comment has no sentiment-bearing content: nothing left
  after removing punctuation, stop words and degree adverbs (empty, "…", "的"), or the whole comment is
  a neutral phrase in ``data/*_neutral.txt`` (还行, 一般, 凑合, ok, meh, so so, …) — lukewarm answers
  that the two-class training data cannot represent;
* ``neutral`` with confidence 0 for languages the model does not cover (``"other"``);
* otherwise ``positive`` / ``negative`` with confidence ``max(p, 1 − p)``.

Mixed Chinese/English text (detected as Chinese, e.g. "客服 very helpful") is scored by both models:
the zh model on the whole text and the en model on its Latin words, their logits averaged with weights
proportional to Han characters and Latin words.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from cxloop.core.text.language import DATA_DIR, detect, script_counts
from cxloop.core.text.tokens import (
    NEG_PREFIX,
    all_negators,
    expand_contractions,
    is_chinese,
    latin_text,
    normalise,
    tokenize_normalised,
)

Label = Literal["negative", "neutral", "positive"]

DIM_BITS = 18
DIM = 1 << DIM_BITS
NEUTRAL_BAND = 0.2
MODEL_PATH = DATA_DIR / "sentiment.npz"
FEATURE_VERSION = 1
_HAS_LATIN = re.compile("[a-z]")
_PUNCT_SPLIT = frozenset(" \t\r\n,.!?;:，。！？；：、…~～\"'“”‘’()（）[]【】《》<>-—_/\\|*#@&%+=^`")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The sentiment of one comment: ``score`` in −1..1 (2p − 1), ``label``, ``confidence`` in 0..1."""

    score: float
    label: Label
    confidence: float


@dataclass(frozen=True, slots=True)
class LexiconParams:
    """Parameters of the lexicon layer (:func:`valence_shift`) for one language family.

    ``negated_weight``: logit shift of a lexicon word in negation scope (opposite to its polarity);
    ``plain_weight``: logit shift of a lexicon word outside negation scope (its polarity);
    ``mask_negated_positive``: also take negated *positive* words (不好吃, not good) out of the model's
    view — negated *negative* words (没有问题, not bad) are always taken out, as the model cannot learn
    them from the training data."""

    negated_weight: float
    plain_weight: float
    mask_negated_positive: bool

    def to_array(self) -> np.ndarray:
        return np.array([self.negated_weight, self.plain_weight, float(self.mask_negated_positive)])

    @classmethod
    def from_array(cls, values: np.ndarray) -> LexiconParams:
        return cls(float(values[0]), float(values[1]), bool(values[2]))


# The weights set a priori before they were cross-validated (used for artefacts without tuned parameters).
A_PRIORI_PARAMS = LexiconParams(negated_weight=1.5, plain_weight=0.75, mask_negated_positive=True)


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (DIM - 1)


def _segments(norm: str) -> list[str]:
    """Runs of ``norm`` between punctuation and whitespace."""
    out: list[str] = []
    start = 0
    for i, ch in enumerate(norm):
        if ch in _PUNCT_SPLIT:
            if i > start:
                out.append(norm[start:i])
            start = i + 1
    if len(norm) > start:
        out.append(norm[start:])
    return out


def feature_strings(norm: str, chinese: bool, tokens: list[str]) -> set[str]:
    """The feature strings of a normalised comment and its tokens (before hashing)."""
    feats: set[str] = {"w:" + t for t in tokens}
    feats.update("b:" + a + " " + b for a, b in itertools.pairwise(tokens))
    if chinese:
        for seg in _segments(norm):
            n = len(seg)
            for i in range(n):
                feats.add("c:" + seg[i])
                if i + 1 < n:
                    feats.add("c:" + seg[i : i + 2])
                if i + 2 < n:
                    feats.add("c:" + seg[i : i + 3])
    else:
        padded = " " + " ".join(_segments(norm)) + " "
        n = len(padded)
        for k in (3, 4, 5):
            for i in range(n - k + 1):
                feats.add("c:" + padded[i : i + k])
    return feats


def features(text: str, language: str, normalised: bool = False) -> tuple[np.ndarray, list[str]]:
    """Hashed feature indices (sorted, unique, int64) of ``text`` and its content tokens."""
    chinese = is_chinese(language)
    norm = text if normalised else normalise(text, language)
    tokens = tokenize_normalised(norm, chinese)
    return _features_of(norm, tokens, chinese), tokens


@dataclass(frozen=True)
class Model:
    """Weights of the two logistic regressions (``zh``, ``en``), neutral phrases, lexicon and its parameters."""

    weights: dict[str, np.ndarray]
    bias: dict[str, float]
    neutral: dict[str, frozenset[str]]
    polarity: dict[str, dict[str, int]]
    lexicon: dict[str, LexiconParams]

    def logit(self, family: str, idx: np.ndarray) -> float:
        """w·x + b for L2-normalised binary features at ``idx``."""
        if idx.size == 0:
            return self.bias[family]
        return float(self.weights[family][idx].sum(dtype=np.float64)) / math.sqrt(idx.size) + self.bias[family]


def _data_lines(name: str) -> list[str]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


# Aspect nouns that may precede a neutral phrase ("味道还行", "the food was ok") without adding polarity.
ASPECTS = frozenset(
    [
        "味道",
        "口味",
        "口感",
        "服务",
        "质量",
        "东西",
        "速度",
        "价格",
        "态度",
        "包装",
        "分量",
        "菜",
        "饭",
        "整体",
        "总体",
        "感觉",
        "体验",
        "客服",
        "配送",
        "送餐",
        "外卖",
        "产品",
        "app",
        "软件",
        "功能",
        "界面",
        "food",
        "service",
        "price",
        "quality",
        "taste",
        "delivery",
        "overall",
        "product",
        "support",
        "experience",
        "staff",
        "place",
        "everything",
    ]
)
_ZH_PARTICLES = "了吧吗呢啊呀哦嘛啦哈呗"


def _neutral_key(tokens: list[str]) -> str:
    """The content tokens without aspect nouns and sentence-final particles, joined (neutral-list key)."""
    return " ".join(t for t in tokens if t not in ASPECTS and t.strip(_ZH_PARTICLES))


def _read_neutral(name: str, language: str) -> frozenset[str]:
    keys = set()
    for line in _data_lines(name):
        keys.add(_neutral_key(tokenize_normalised(normalise(line, language), is_chinese(language))))
    return frozenset(keys)


def _read_polarity(*names: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in names:
        for line in _data_lines(name):
            word, value = line.split("\t")
            out[word] = int(value)
    return out


def load_model(path: Path = MODEL_PATH) -> Model:
    """Load a trained artefact (see :mod:`cxloop.core.text.train`)."""
    with np.load(path, allow_pickle=False) as npz:
        if int(npz["dim"]) != DIM or int(npz["feature_version"]) != FEATURE_VERSION:
            raise ValueError(f"{path}: trained for another feature layout; run python -m cxloop.core.text.train")
        weights = {fam: npz[f"{fam}_w"].astype(np.float32) for fam in ("zh", "en")}
        bias = {fam: float(npz[f"{fam}_b"]) for fam in ("zh", "en")}
        lexicon = {
            fam: LexiconParams.from_array(npz[f"{fam}_lexicon"]) if f"{fam}_lexicon" in npz else A_PRIORI_PARAMS
            for fam in ("zh", "en")
        }
    return with_weights(weights, bias, lexicon)


def with_weights(weights: dict[str, np.ndarray], bias: dict[str, float], lexicon: dict[str, LexiconParams]) -> Model:
    """A model from weights and lexicon parameters, with the shipped neutral and polarity lists."""
    return Model(
        weights,
        bias,
        {"zh": _read_neutral("zh_neutral.txt", "zh-hans"), "en": _read_neutral("en_neutral.txt", "en")},
        {"zh": _read_polarity("zh_polarity.txt", "en_polarity.txt"), "en": _read_polarity("en_polarity.txt")},
        lexicon,
    )


_model_lock = threading.Lock()
_model: Model | None = None


def model() -> Model:
    """The shipped model, loaded once."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = load_model()
    return _model


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def from_probability(p: float) -> Sentiment:
    """Score, label (with the neutral band) and confidence from P(positive)."""
    score = 2.0 * p - 1.0
    if abs(score) < NEUTRAL_BAND:
        return Sentiment(score, "neutral", 1.0 - abs(score))
    return Sentiment(score, "positive" if score > 0 else "negative", max(p, 1.0 - p))


NEUTRAL = Sentiment(0.0, "neutral", 1.0)
UNKNOWN = Sentiment(0.0, "neutral", 0.0)


LexiconHit = tuple[int, bool, int, int]
"""(polarity ±1, negated, start, end) of a lexicon word in the (contraction-expanded) normalised text;
for a negated word the span starts at its negator."""


def lexicon_hits(norm: str, tokens: list[str], polarity: dict[str, int], chinese: bool) -> tuple[str, list[LexiconHit]]:
    """The lexicon words of a comment: (text the spans refer to, hits in text order).

    A lexicon word inside a negation scope (``NEG_`` token) forms a shifted phrase with its negator
    (不难吃, 没有问题, not bad, not great)."""
    text = norm if chinese else expand_contractions(norm)
    hits: list[LexiconHit] = []
    cursor = 0
    negator_at = -1
    negators = all_negators()
    for tok in tokens:
        negated = tok.startswith(NEG_PREFIX)
        surface = tok[len(NEG_PREFIX) :] if negated else tok
        pos = text.find(surface, cursor)
        if pos < 0:
            continue
        cursor = pos + len(surface)
        if tok in negators:
            negator_at = pos
            continue
        value = polarity.get(surface)
        if not value:
            continue
        if negated and 0 <= negator_at < pos:
            hits.append((value, True, negator_at, cursor))
        else:
            hits.append((value, False, pos, cursor))
    return text, hits


def shift_counts(hits: list[LexiconHit]) -> tuple[int, int]:
    """(Σ −polarity over negated hits, Σ polarity over plain hits): the adjustment is
    ``negated_weight · first + plain_weight · second``."""
    negated = sum(-value for value, neg, _, _ in hits if neg)
    plain = sum(value for value, neg, _, _ in hits if not neg)
    return negated, plain


def mask_hits(norm: str, text: str, hits: list[LexiconHit], mask_negated_positive: bool) -> str:
    """``norm`` with the negated phrases to hide from the model replaced by a comma (``norm`` itself,
    the same object, when there is nothing to mask)."""
    spans = [(start, end) for value, neg, start, end in hits if neg and (value < 0 or mask_negated_positive)]
    if not spans:
        return norm
    for start, end in spans:
        text = text[:start] + "," + " " * (end - start - 1) + text[end:]
    return text


def valence_shift(
    norm: str, tokens: list[str], polarity: dict[str, int], chinese: bool, params: LexiconParams = A_PRIORI_PARAMS
) -> tuple[str, float]:
    """The lexicon layer: (text with negated polar phrases masked out, logit adjustment).

    A lexicon word outside negation scope adds ``polarity · plain_weight``. A lexicon word inside a
    negation scope forms a shifted phrase with its negator and adds ``−polarity · negated_weight``; the
    span from the negator to the word is replaced by a comma in the text the model sees when the word is
    negative (没有问题, not bad: the statistical model cannot learn negated negatives from the training
    data, where negators mostly precede positive words) or when ``mask_negated_positive`` is set.
    """
    text, hits = lexicon_hits(norm, tokens, polarity, chinese)
    negated, plain = shift_counts(hits)
    delta = params.negated_weight * negated + params.plain_weight * plain
    return mask_hits(norm, text, hits, params.mask_negated_positive), delta


_SEED_W = zlib.crc32(b"w:")
_SEED_B = zlib.crc32(b"b:")
_SEED_C = zlib.crc32(b"c:")


def _features_of(norm: str, tokens: list[str], chinese: bool) -> np.ndarray:
    """Sorted unique bucket indices of :func:`feature_strings` (same values: CRC-32 chained over the prefix)."""
    crc, mask = zlib.crc32, DIM - 1
    hashes = {crc(t.encode("utf-8"), _SEED_W) for t in tokens}
    hashes.update(crc((a + " " + b).encode("utf-8"), _SEED_B) for a, b in itertools.pairwise(tokens))
    if chinese:
        for seg in _segments(norm):
            n = len(seg)
            hashes.update(crc(seg[i : i + k].encode("utf-8"), _SEED_C) for k in (1, 2, 3) for i in range(n - k + 1))
    else:
        padded = " " + " ".join(_segments(norm)) + " "
        n = len(padded)
        hashes.update(crc(padded[i : i + k].encode("utf-8"), _SEED_C) for k in (3, 4, 5) for i in range(n - k + 1))
    idx = np.fromiter((h & mask for h in hashes), dtype=np.int64)
    idx = np.unique(idx)
    return idx


def model_logit(masked: str, language: str, m: Model, tokens: list[str] | None = None) -> float | None:
    """The statistical part of the logit (w·x + b; for mixed text the zh and en logits averaged by script
    share) of an already normalised, masked text; None when it has no content tokens. ``tokens``: its
    tokens when the caller has them."""
    chinese = is_chinese(language)
    if tokens is None:
        idx, tokens = features(masked, language, normalised=True)
    else:
        idx = _features_of(masked, tokens, chinese)
    if not tokens:
        return None
    z = m.logit("zh" if chinese else "en", idx)
    if chinese and _HAS_LATIN.search(masked):
        han, latin_words, _ = script_counts(masked)
        if latin_words:
            en_idx, en_tokens = features(latin_text(masked), "en", normalised=True)
            if en_tokens:
                z = (han * z + latin_words * m.logit("en", en_idx)) / (han + latin_words)
    return z


def probability(text: str, language: str, m: Model | None = None, tokens: list[str] | None = None) -> float | None:
    """P(positive): model plus lexicon layer; None when the text has no sentiment-bearing tokens.

    ``tokens``: ``tokenize(text, language)`` when the caller has it already."""
    m = m or model()
    chinese = is_chinese(language)
    family = "zh" if chinese else "en"
    norm = normalise(text, language)
    if tokens is None:
        tokens = tokenize_normalised(norm, chinese)
    if not tokens:
        return None
    masked, delta = valence_shift(norm, tokens, m.polarity[family], chinese, m.lexicon[family])
    z = model_logit(masked, language, m, tokens if masked is norm else None)
    return _sigmoid(delta if z is None else z + delta)


def analyse(text: str, language: str | None = None, m: Model | None = None) -> Sentiment:
    """The sentiment of ``text``; ``language`` as from :func:`language.detect` (detected when None);
    ``m``: another model than the shipped one (training uses it to check candidate parameters)."""
    lang = language or detect(text)
    if lang == "other":
        return UNKNOWN
    chinese = is_chinese(lang)
    m = m or model()
    tokens = tokenize_normalised(normalise(text, lang), chinese)
    if tokens and _neutral_key(tokens) in m.neutral["zh" if chinese else "en"]:
        return NEUTRAL
    p = probability(text, lang, m, tokens)
    if p is None:
        return NEUTRAL
    return from_probability(p)
