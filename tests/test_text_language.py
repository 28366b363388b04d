"""Language detection and tokenisation (cxloop.core.text.language / tokens)."""

from __future__ import annotations

import pytest

from cxloop.core.text import detect, tokenize
from cxloop.core.text.language import to_simplified


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("送餐很快，味道不错", "zh-hans"),
        ("客服态度很好，这个问题解决了", "zh-hans"),
        ("這個客服說話很有禮貌", "zh-hant"),
        ("服務態度很好，非常滿意", "zh-hant"),
        ("東西很難吃，不會再買了", "zh-hant"),
        ("好吃", "zh-hans"),  # only characters common to both scripts: Simplified by default
        ("客服 very helpful", "zh-hans"),
        ("App 老是闪退", "zh-hans"),
        ("导出 report 很慢", "zh-hans"),
        ("The support team was very helpful", "en"),
        ("not bad", "en"),
        ("ok", "en"),
        ("Great app, 客服 ok", "en"),
        ("この商品はとても良いです", "other"),
        ("東京に行きました", "other"),
        ("배송이 빨라요", "other"),
        ("Отличный товар", "other"),
        ("", "other"),
        ("12345 !!!", "other"),
        ("😀😀", "other"),
    ],
)
def test_detect(text: str, expected: str) -> None:
    assert detect(text) == expected


def test_to_simplified() -> None:
    assert to_simplified("這個說還們") == "这个说还们"
    assert to_simplified("好吃") == "好吃"


def test_tokenize_chinese_negation_and_intensifiers() -> None:
    assert tokenize("不好吃", "zh-hans") == ["不", "NEG_好吃"]
    assert tokenize("没有问题", "zh-hans") == ["没有", "NEG_问题"]
    assert tokenize("非常好吃", "zh-hans") == ["好吃"]
    assert tokenize("导出报表很卡顿", "zh-hans") == ["导出", "报表", "卡顿"]
    assert tokenize("不错不错", "zh-hans") == ["不错", "不错"]  # lexicalised, not split


def test_tokenize_scope_stops_at_punctuation_and_contrast() -> None:
    assert tokenize("不新鲜，送餐快", "zh-hans") == ["不", "NEG_新鲜", "送餐", "快"]
    assert tokenize("not cheap but good", "en") == ["not", "NEG_cheap", "but", "good"]


def test_tokenize_traditional_maps_to_simplified() -> None:
    assert tokenize("東西很難吃", "zh-hant") == tokenize("东西很难吃", "zh-hans")


def test_tokenize_english() -> None:
    assert tokenize("I don't like it!", "en") == ["not", "NEG_like"]
    assert tokenize("It didnt work", "en") == ["not", "NEG_work"]
    assert tokenize("Won't buy again", "en")[:2] == ["not", "NEG_buy"]
    assert tokenize("Really GREAT service", "en") == ["great", "service"]
    assert tokenize("", "en") == []
