"""core.text.themes and codeframe_default: parsing with located problems, the round trip, matching rules
(zh substrings, zh-Hant folding, en words, plurals, wildcards, phrases, exclusions, overlaps, spans) and the
default codeframe on demo-style complaints."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
from cxloop.core.text.themes import (
    Codeframe,
    CodeframeError,
    Matcher,
    ThemeHit,
    ancestors,
    fold,
    parse_codeframe,
    to_json,
    with_ancestors,
)


def label(en: str) -> dict[str, str]:
    return {"zh-hans": en + "（简）", "zh-hant": en + "（繁）", "en": en}


SMALL: dict[str, Any] = {
    "version": 1,
    "themes": [
        {"key": "product", "label": label("Product")},
        {
            "key": "product/export",
            "label": {"zh-hans": "导出", "zh-hant": "匯出", "en": "Export"},
            "keywords": {"zh": ["导出", "匯出", "报表导出"], "en": ["export*", "csv", "download report"]},
            "exclude": {"en": ["export control"]},
        },
        {
            "key": "product/reporting",
            "label": label("Reporting"),
            "keywords": {"zh": ["报表"], "en": ["report", "dashboard"]},
        },
        {
            "key": "bugs",
            "label": label("Bugs"),
            "keywords": {"zh": ["闪退", "失败"], "en": ["bug", "crash*", "log-in"]},
        },
        {
            "key": "price",
            "label": label("Price"),
            "keywords": {"zh": ["贵"], "en": ["invoice"]},
            "exclude": {"zh": ["贵公司"]},
        },
    ],
}


@pytest.fixture(scope="module")
def small() -> Matcher:
    return Matcher(parse_codeframe(SMALL))


@pytest.fixture(scope="module")
def default() -> Matcher:
    return Matcher(parse_codeframe(DEFAULT_CODEFRAME))


def found(matcher: Matcher, text: str) -> dict[str, tuple[tuple[int, int], ...]]:
    return {hit.key: hit.spans for hit in matcher.match(text)}


def problems(raw: Any) -> list[str]:
    with pytest.raises(CodeframeError) as info:
        parse_codeframe(raw)
    return [str(p) for p in info.value.problems]


# --- parsing ---------------------------------------------------------------------------------------------


def test_parse_builds_the_model() -> None:
    cf = parse_codeframe(SMALL)
    assert isinstance(cf, Codeframe)
    assert cf.keys() == ["product", "product/export", "product/reporting", "bugs", "price"]
    export = cf.get("product/export")
    assert export is not None
    assert export.parent == "product" and export.depth == 2
    assert export.keywords.zh == ("导出", "匯出", "报表导出")
    assert export.exclude.en == ("export control",)
    assert [t.key for t in cf.children("product")] == ["product/export", "product/reporting"]
    assert [t.key for t in cf.children(None)] == ["product", "bugs", "price"]
    assert cf.label("product/export", "zh-hant") == "匯出"
    assert cf.label("product/export", "fr") == "Export"
    assert cf.label("nope") == "nope"
    assert cf.get("nope") is None


def test_round_trip_and_default_codeframe() -> None:
    cf = parse_codeframe(SMALL)
    assert parse_codeframe(to_json(cf)) == cf
    default = parse_codeframe(DEFAULT_CODEFRAME)
    assert parse_codeframe(to_json(default)) == default
    keys = default.keys()
    for key in (
        "product/performance",
        "product/bugs",
        "product/usability",
        "product/feature_requests",
        "product/export",
        "product/reporting",
        "service/responsiveness",
        "service/attitude",
        "service/onboarding",
        "service/documentation",
        "price",
        "delivery",
    ):
        assert key in keys
    for theme in default.themes:
        assert set(theme.label) == {"zh-hans", "zh-hant", "en"}
        if theme.keywords:  # every leaf theme: 8-30 precise terms per language
            assert 8 <= len(theme.keywords.zh) <= 30, theme.key
            assert 8 <= len(theme.keywords.en) <= 30, theme.key


def test_duplicate_terms_are_dropped_after_folding() -> None:
    raw = copy.deepcopy(SMALL)
    raw["themes"][3]["keywords"] = {"zh": ["闪退", "閃退", " 闪退 "], "en": ["Bug", "bug", "log in", "log-in"]}
    theme = parse_codeframe(raw).get("bugs")
    assert theme is not None
    assert theme.keywords.zh == ("闪退",)
    assert theme.keywords.en == ("Bug", "log in")


def test_problems_are_located() -> None:
    raw: dict[str, Any] = {
        "version": 2,
        "colour": "red",
        "themes": [
            {"key": "product", "label": label("Product")},
            {"key": "Product/Export", "label": label("Export"), "keywords": {"en": ["export"]}},
            {"key": "product", "label": label("Again"), "keywords": {"en": ["x1"]}},
            {
                "key": "service/speed",
                "label": {"zh-hans": "速度", "en": " "},
                "keywords": {"zh": ["慢", "slow", 3, "卡*"], "en": ["响应", "*", "c*", "lo*ad", "ok"], "fr": []},
                "exclude": ["x"],
                "owner": "me",
            },
            {"key": "a/b/c/d", "label": label("Deep"), "keywords": {"en": ["x"]}},
            {"key": "empty", "label": label("Empty")},
            "not a theme",
        ],
    }
    got = problems(raw)
    assert got == [
        "colour: unknown key 'colour' (allowed: version, themes)",
        "version: unsupported version 2 (this is version 1)",
        "themes[1].key: the key 'Product/Export' must be lower-case slugs joined by '/', e.g. 'product/export'",
        "themes[2].key: duplicate key 'product' (also themes[0])",
        "themes[3].owner: unknown key 'owner' (allowed: key, label, keywords, exclude, description)",
        "themes[3].label.zh-hant: the label in zh-hant is missing",
        "themes[3].label.en: a label must not be blank",
        "themes[3].keywords.fr: unknown key 'fr' (allowed: zh, en)",
        "themes[3].keywords.zh[1]: the zh term 'slow' has no Chinese character (put it under 'en')",
        "themes[3].keywords.zh[2]: a term must be text, not int",
        "themes[3].keywords.zh[3]: the zh term '卡*' has a '*': wildcards are for en terms only",
        "themes[3].keywords.en[0]: the en term '响应' has Chinese characters (put it under 'zh')",
        "themes[3].keywords.en[1]: the en term '*' has no letter or digit",
        "themes[3].keywords.en[2]: the en term 'c*' needs at least 3 characters before '*'",
        "themes[3].keywords.en[3]: the en term 'lo*ad' may have '*' only at its end",
        "themes[3].exclude: must be a mapping of term lists by language (zh, en), not list",
        "themes[4].key: the key 'a/b/c/d' is nested deeper than 3 levels",
        "themes[6]: a theme must be a mapping, not str",
        "themes[0].keywords: a theme without child themes needs at least one keyword",  # its child was invalid
        "themes[3].key: the parent theme 'service' is not defined",
        "themes[5].keywords: a theme without child themes needs at least one keyword",
    ]
    assert str(CodeframeError(parse_errors(raw))).startswith("21 problems in the codeframe:\n- colour: ")


def parse_errors(raw: Any) -> list[Any]:
    try:
        parse_codeframe(raw)
    except CodeframeError as error:
        return error.problems
    raise AssertionError("expected a CodeframeError")


def test_top_level_shapes() -> None:
    assert problems([]) == ["a codeframe must be a mapping, not list"]
    assert problems({"themes": "x"}) == ["themes: themes must be a list, not str"]
    assert problems({}) == ["themes: themes must be a list, not nothing"]
    too_many = {"themes": [{"key": f"t{i}", "label": label("x"), "keywords": {"en": ["x"]}} for i in range(501)]}
    assert problems(too_many) == ["themes: 501 themes; at most 500 are allowed"]
    long_list = {"themes": [{"key": "t", "label": label("x"), "keywords": {"en": [f"w{i}" for i in range(301)]}}]}
    assert problems(long_list) == [
        "themes[0].keywords.en: has 301 terms; at most 300 are allowed",
        "themes[0].keywords: a theme without child themes needs at least one keyword",
    ]


# --- helpers ---------------------------------------------------------------------------------------------


def test_ancestors_and_rollup() -> None:
    assert ancestors("a/b/c") == ["a", "a/b"]
    assert ancestors("a") == []
    assert with_ancestors(["product/export", "price", "product/reporting", "product"]) == [
        "product",
        "product/export",
        "price",
        "product/reporting",
    ]
    assert with_ancestors([]) == []


def test_fold_keeps_length() -> None:
    assert fold("匯出報表ＣＳＶ Export") == "汇出报表csv export"
    text = "這個軟體當機了 ＡＢＣ"
    assert len(fold(text)) == len(text)


# --- matching rules --------------------------------------------------------------------------------------


def test_chinese_substrings_with_spans(small: Matcher) -> None:
    text = "导出报表一直失败"
    hits = small.match(text)
    assert hits == [
        ThemeHit("product/export", ((0, 2),), ("导出",)),
        ThemeHit("product/reporting", ((2, 4),), ("报表",)),
        ThemeHit("bugs", ((6, 8),), ("失败",)),
    ]
    assert [text[s:e] for s, e in hits[0].spans] == ["导出"]


def test_traditional_chinese_is_folded(small: Matcher) -> None:
    text = "匯出報表一直失敗，App 又閃退"
    assert found(small, text) == {
        "product/export": ((0, 2),),
        "product/reporting": ((2, 4),),
        "bugs": ((6, 8), (14, 16)),
    }
    # a Simplified term written in Traditional and vice versa
    assert found(small, "汇出") == {"product/export": ((0, 2),)}
    assert found(small, "閃退") == {"bugs": ((0, 2),)}


def test_overlapping_and_prefix_terms(small: Matcher) -> None:
    # 报表导出 is an export term; 报表 (reporting) is its prefix, 导出 (export) sits inside it
    hits = small.match("报表导出很慢")
    assert hits == [
        ThemeHit("product/export", ((0, 4),), ("报表导出", "导出")),
        ThemeHit("product/reporting", ((0, 2),), ("报表",)),
    ]


def test_english_words_case_plural_wildcard_phrase(small: Matcher) -> None:
    text = "CSV EXPORTS crashed twice; Download  Reports is a bug. Debugging: no."
    hits = {hit.key: hit for hit in small.match(text)}
    assert set(hits) == {"product/export", "product/reporting", "bugs"}
    assert [text[s:e] for s, e in hits["product/export"].spans] == ["CSV", "EXPORTS", "Download  Reports"]
    assert hits["product/export"].terms == ("csv", "export*", "download report")
    assert [text[s:e] for s, e in hits["product/reporting"].spans] == ["Reports"]
    assert [text[s:e] for s, e in hits["bugs"].spans] == ["crashed", "bug"]  # not "Debugging"
    assert found(small, "reporter") == {}
    assert found(small, "log in / log-in / log_in / login") == {"bugs": ((0, 6), (9, 15), (18, 24))}
    assert found(small, "invoices, invoice") == {"price": ((0, 8), (10, 17))}


def test_english_inside_chinese_and_fullwidth(small: Matcher) -> None:
    assert found(small, "导出CSV有bug") == {"product/export": ((0, 2), (2, 5)), "bugs": ((6, 9),)}
    assert found(small, "ＣＳＶ导不出") == {"product/export": ((0, 3),)}


def test_mixed_zh_en(small: Matcher) -> None:
    text = "dashboard 很好，但是 export 一直失败"
    assert found(small, text) == {
        "product/export": ((16, 22),),
        "product/reporting": ((0, 9),),
        "bugs": ((25, 27),),
    }


def test_exclusions_veto_only_overlapping_hits(small: Matcher) -> None:
    assert found(small, "Export control rules are strict") == {}
    text = "Export control rules, and the CSV export fails"
    hits = found(small, text)
    assert [text[s:e] for s, e in hits["product/export"]] == ["CSV", "export"]
    assert found(small, "贵公司的服务") == {}
    assert found(small, "贵公司太贵了") == {"price": ((4, 5),)}


def test_negation_keeps_the_theme(small: Matcher) -> None:
    assert set(found(small, "导出不了")) == {"product/export"}
    assert set(found(small, "export doesn't work")) == {"product/export"}
    assert set(found(small, "没有闪退")) == {"bugs"}


def test_themes_and_rollup(small: Matcher) -> None:
    assert small.themes("导出报表一直失败") == ["product/export", "product/reporting", "bugs"]
    assert small.themes("导出报表一直失败", rollup=True) == ["product", "product/export", "product/reporting", "bugs"]
    assert small.match("") == [] and small.match("味道不错") == []


# --- the default codeframe -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("导出报表一直失败", {"product/export", "product/reporting", "product/bugs"}),
        ("匯出報表一直失敗", {"product/export", "product/reporting", "product/bugs"}),
        ("CSV export times out", {"product/export", "product/performance"}),
        ("Export to Excel keeps failing", {"product/export", "product/bugs"}),
        ("App 经常闪退，登录不了", {"product/bugs"}),
        ("軟體一直當機", {"product/bugs"}),
        ("页面加载很慢，经常卡顿", {"product/performance"}),
        ("客服回复太慢，等了三天没人回复", {"service/responsiveness"}),
        ("客服態度很好，很有耐心", {"service/responsiveness", "service/attitude"}),
        ("The support agent was rude and slow to respond", {"service/attitude", "service/responsiveness"}),
        ("价格太贵了，续费还涨价", {"price"}),
        ("Pricing went up at renewal and the invoice was wrong", {"price"}),
        ("送餐超时了半小时，骑手态度还不好", {"delivery", "service/attitude"}),
        ("外送很慢，湯都灑了", {"delivery"}),
        ("界面太复杂了，找不到设置", {"product/usability"}),
        ("希望增加批量导出功能", {"product/feature_requests", "product/export"}),
        ("上手很难，培训也不够", {"service/onboarding"}),
        ("帮助文档太少，没有视频教程", {"service/documentation"}),
        ("The documentation is outdated", {"service/documentation"}),
        ("Onboarding was smooth and the setup wizard helped", {"service/onboarding"}),
        ("The dashboard charts are great", {"product/reporting"}),
        ("味道不错，分量很足", set()),
        ("贵公司的产品不错", set()),
        ("Export control regulations", set()),
        ("The food was excellent", set()),
    ],
)
def test_default_codeframe(default: Matcher, text: str, expected: set[str]) -> None:
    assert set(found(default, text)) == expected


def test_default_export_complaint_spans(default: Matcher) -> None:
    text = "CSV export times out"
    hits = {hit.key: hit for hit in default.match(text)}
    assert [text[s:e] for s, e in hits["product/export"].spans] == ["CSV", "export"]
    assert [text[s:e] for s, e in hits["product/performance"].spans] == ["times out"]
    text = "匯出報表一直失敗"
    hits = {hit.key: hit for hit in default.match(text)}
    assert [text[s:e] for s, e in hits["product/export"].spans] == ["匯出"]
    assert [text[s:e] for s, e in hits["product/bugs"].spans] == ["一直失敗"]
    assert default.themes(text, rollup=True) == ["product", "product/bugs", "product/export", "product/reporting"]
