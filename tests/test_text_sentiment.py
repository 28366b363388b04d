"""Sentiment (cxloop.core.text.sentiment): tricky phrases, determinism, the held-out split."""

from __future__ import annotations

import pytest

from cxloop.core.text import analyse
from cxloop.core.text import train as tr

NOT_NEGATIVE = tr.NOT_NEGATIVE

# The acceptance phrases (不好吃 negative, 没有问题 not negative, 还行 neutral, "not bad" not negative, …) live in
# src/cxloop/core/text/data/sentiment_phrases.tsv, because training also reads them: it only admits lexicon
# parameters under which every one passes.
PHRASES = tr.load_phrases()
ZH = [*PHRASES["zh"], ("", "neutral")]
EN = [*PHRASES["en"], ("", "neutral")]


def _check(text: str, expected: str) -> None:
    s = analyse(text)
    assert -1.0 <= s.score <= 1.0
    assert 0.0 <= s.confidence <= 1.0
    if expected == NOT_NEGATIVE:
        assert s.label != "negative", (text, s)
    else:
        assert s.label == expected, (text, s)


@pytest.mark.parametrize(("text", "expected"), ZH)
def test_chinese_phrases(text: str, expected: str) -> None:
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), EN)
def test_english_phrases(text: str, expected: str) -> None:
    _check(text, expected)


def test_at_least_forty_phrases_per_language() -> None:
    assert len(ZH) >= 40
    assert len(EN) >= 40
    for phrase in ("不好吃", "没有问题", "还行", "不难吃", "没毛病", "导出报表很卡顿", "客服 very helpful"):
        assert phrase in dict(ZH)
    for phrase in ("not bad", "ok", "meh", "It's not great", "no problems so far", "I can't complain"):
        assert phrase in dict(EN)


def test_other_language_is_neutral_with_no_confidence() -> None:
    s = analyse("この商品はとても良いです")
    assert (s.label, s.confidence) == ("neutral", 0.0)


def test_deterministic() -> None:
    texts = [t for t, _ in ZH + EN]
    assert [analyse(t) for t in texts] == [analyse(t) for t in texts]


def test_label_matches_score_band() -> None:
    from cxloop.core.text.sentiment import NEUTRAL_BAND, from_probability

    assert from_probability(0.5).label == "neutral"
    assert from_probability(0.5 + NEUTRAL_BAND / 2 + 0.01).label == "positive"
    assert from_probability(0.5 - NEUTRAL_BAND / 2 - 0.01).label == "negative"


def test_split_is_fixed_and_about_twenty_percent() -> None:
    texts = [f"comment {i}" for i in range(5000)]
    held = [t for t in texts if tr.is_held_out(t)]
    assert 0.18 < len(held) / len(texts) < 0.22
    assert held == [t for t in texts if tr.is_held_out(t)]


@pytest.fixture(scope="module")
def corpora() -> dict[str, list[tr.Example]]:
    folder = tr.data_dir()
    if not (folder / "zh_waimai_10k.csv").exists():
        pytest.skip(f"sentiment data not found in {folder}")
    return {"zh": tr.load_zh(folder), "en": tr.load_en(folder)}


def test_held_out_split_is_disjoint_from_training(corpora: dict[str, list[tr.Example]]) -> None:
    for examples in corpora.values():
        train, test = tr.split(examples)
        assert len(train) + len(test) == len(examples)
        assert not {ex.text for ex in train} & {ex.text for ex in test}
        assert 0.17 < len(test) / len(examples) < 0.23


def test_shipped_model_held_out_accuracy_floor(corpora: dict[str, list[tr.Example]]) -> None:
    """Regression floor for the full pipeline (model + lexicon layer) on the held-out split.

    The issue's targets are 0.90 (zh) and 0.85 (en); the full pipeline with the cross-validated lexicon
    parameters measures 0.9003 (zh) and 0.8722 (en), see docs/text.md."""
    from cxloop.core.text.sentiment import probability

    targets = {"zh": ("zh-hans", 0.90), "en": ("en", 0.85)}
    for fam, examples in corpora.items():
        language, target = targets[fam]
        _, test = tr.split(examples)
        pred = [int((probability(ex.text, language) or 0.5) > 0.5) for ex in test]
        s = tr.scores([ex.label for ex in test], pred)
        assert s.accuracy >= target, (fam, s)


def test_negated_negatives_are_always_masked_negated_positives_by_parameter() -> None:
    from cxloop.core.text import sentiment as sm
    from cxloop.core.text.tokens import normalise, tokenize_normalised

    polarity = sm.model().polarity["zh"]
    keep = sm.LexiconParams(negated_weight=1.0, plain_weight=0.5, mask_negated_positive=False)
    mask = sm.LexiconParams(negated_weight=1.0, plain_weight=0.5, mask_negated_positive=True)
    for text, masked_when_kept, delta in (("没有问题", True, 1.0), ("不好吃", False, -1.0), ("很好吃", False, 0.5)):
        norm = normalise(text, "zh-hans")
        tokens = tokenize_normalised(norm, True)
        out_keep, d_keep = sm.valence_shift(norm, tokens, polarity, True, keep)
        out_mask, d_mask = sm.valence_shift(norm, tokens, polarity, True, mask)
        assert (out_keep != norm) is masked_when_kept, text
        assert (out_mask != norm) is (delta != 0.5), text
        assert d_keep == d_mask == delta, text


def test_lexicon_parameters_come_from_the_artefact() -> None:
    import numpy as np

    from cxloop.core.text import sentiment as sm

    with np.load(sm.MODEL_PATH) as npz:
        for fam in ("zh", "en"):
            assert sm.model().lexicon[fam] == sm.LexiconParams.from_array(npz[f"{fam}_lexicon"])


def test_tuning_takes_the_best_candidate_that_passes_the_phrases() -> None:
    import numpy as np

    from cxloop.core.text import sentiment as sm

    # Two comments: the model gets the positive one wrong (logit -1), a plain positive word (+1) can fix it.
    z = np.array([-1.0, -2.0])
    oof = tr.OutOfFold(
        y=np.array([1, 0]), z_mask_all=z, z_mask_negative=z, negated=np.zeros(2), plain=np.array([1.0, 0.0]),
        empty=np.zeros(2, dtype=bool),
    )  # fmt: skip
    best = tr.tune_lexicon(oof, lambda c: [])
    assert best.grid[best.chosen] == 1.0
    assert best.chosen == sm.LexiconParams(0.0, 1.5, True)  # smallest total weight among the ties
    constrained = tr.tune_lexicon(oof, lambda c: [("x", "positive", "negative")] if c.plain_weight < 2 else [])
    assert constrained.chosen == sm.LexiconParams(0.0, 2.0, True)
    assert all(c.plain_weight < 2 for c, _, _ in constrained.rejected)
