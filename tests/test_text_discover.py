"""core.text.discover: a planted topic is found with its quotes, a topic the codeframe already has is skipped,
the result is deterministic and sorted by size, and the edge cases (nothing to learn from) return nothing."""

from __future__ import annotations

import random
import re

import pytest

from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
from cxloop.core.text.discover import Suggestion, discover
from cxloop.core.text.themes import parse_codeframe

_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")
_STOP = {"the", "was", "a", "at", "does", "not", "cannot", "of", "to"}


def tokenize(text: str) -> list[str]:
    """Chinese character bigrams (a lone character as itself) and English words."""
    out: list[str] = []
    for run in _RUNS.findall(text.lower()):
        if run.isascii():
            if run not in _STOP:
                out.append(run)
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


CHARS = "味道口感米饭面条汤汁肉鸡鱼虾菜叶豆腐蛋饼粥包饺馄饨酸甜苦辣咸香鲜嫩软硬冷热多少大小快慢好差新旧油盐糖醋酱葱姜蒜"
EN = ["tasty", "bland", "crispy", "soggy", "fresh", "stale", "warm", "cold", "spicy", "sweet", "sour", "salty"]
PLANTED = [
    "扫码点餐的二维码失效了",
    "二维码扫不出来没法点餐",
    "桌上的二维码扫码没反应",
    "扫码点餐总提示二维码过期",
    "二维码扫码之后没法点餐",
]
EXPORT = ["导出报表一直失败", "报表导出很慢", "导出的报表格式乱了", "导出报表总是失败"]


def corpus(seed: int, background: int = 600, planted: int = 50, export: int = 50) -> list[str]:
    """Random food-ish noise (made-up two-character words), plus a planted QR-code topic and an export topic."""
    rnd = random.Random(seed)
    words = ["".join(rnd.sample(CHARS, 2)) for _ in range(150)]

    def noise() -> str:
        parts = [rnd.choice(words) + rnd.choice(words) for _ in range(rnd.randint(1, 3))]
        if rnd.random() < 0.3:
            parts.append(" ".join(rnd.sample(EN, 3)))
        return "，".join(parts)

    texts = [noise() for _ in range(background)]
    texts += [f"{rnd.choice(PLANTED)}，{noise()}" for _ in range(planted)]
    texts += [f"{rnd.choice(EXPORT)}，{noise()}" for _ in range(export)]
    rnd.shuffle(texts)
    return texts


def about(suggestions: list[Suggestion], term: str) -> list[Suggestion]:
    return [s for s in suggestions if term in s.keywords[:5]]


def test_tokenizer() -> None:
    assert tokenize("扫码点餐, QR code 好") == ["扫码", "码点", "点餐", "qr", "code", "好"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_finds_the_planted_topic_and_skips_known_themes(seed: int) -> None:
    texts = corpus(seed)
    codeframe = parse_codeframe(DEFAULT_CODEFRAME)
    plain = discover(texts, tokenize, k=8, seed=seed)
    known = discover(texts, tokenize, codeframe=codeframe, k=8, seed=seed)

    for suggestions in (plain, known):
        qr = about(suggestions, "维码")
        assert len(qr) == 1
        topic = qr[0]
        assert "二维" in topic.keywords and ("扫码" in topic.keywords or "点餐" in topic.keywords)
        assert set(topic.label_terms) <= set(topic.keywords[:3])
        assert 30 <= topic.size <= 75  # 50 planted; a few noise comments may join
        assert len(topic.quotes) == 3 and len(set(topic.quotes)) == 3
        assert all("二维码" in quote for quote in topic.quotes)
        assert [texts[i] for i in topic.quote_indices] == list(topic.quotes)
        assert len(topic.members) == topic.size
        planted_members = sum(1 for i in topic.members if any(p in texts[i] for p in PLANTED))
        assert planted_members >= 0.8 * topic.size
        assert 0.3 <= topic.score <= 1.0
        sizes = [s.size for s in suggestions]
        assert sizes == sorted(sizes, reverse=True)

    # the export complaints form a component of their own, which the default codeframe already covers
    assert len(about(plain, "导出") + about(plain, "报表")) >= 1
    assert about(known, "导出") == [] and about(known, "报表") == []


def test_deterministic() -> None:
    texts = corpus(5)
    first = discover(texts, tokenize, k=6, seed=3)
    second = discover(texts, tokenize, k=6, seed=3)
    assert first == second and first


def test_ten_thousand_comments() -> None:
    texts = corpus(11, background=9_000, planted=500, export=500)
    suggestions = discover(texts, tokenize, k=10, seed=0)
    qr = about(suggestions, "维码")
    assert len(qr) == 1 and qr[0].size >= 300
    assert all("二维码" in quote for quote in qr[0].quotes)


def test_nothing_to_learn_from() -> None:
    assert discover([], tokenize) == []
    assert discover(["", "   ", "!!"], tokenize) == []
    assert discover(["好"] * 2, tokenize) == []  # below min_df
    with pytest.raises(ValueError, match="k must be at least 1"):
        discover(["a b c"], tokenize, k=0)


def test_small_input_and_min_size() -> None:
    texts = ["二维码扫不出来", "二维码过期了", "扫码没反应二维码", "味道很好", "味道不错", "包装很好"]
    suggestions = discover(texts, tokenize, k=2, min_df=2, max_df=1.0, min_size=2, min_score=0.0)
    assert suggestions and suggestions[0].size >= 2
    assert all(len(s.quotes) <= 3 for s in suggestions)
    assert discover(texts, tokenize, k=2, min_df=2, max_df=1.0, min_size=10) == []
