"""Customer comments composed from fragments: a clause on the main topic, sometimes a second clause,
a connector for mixed feelings, an opener, a closer or a request — in the contact's language.

``compose`` is pure given its ``random.Random``: the generator decides topic and sentiment (from the
score and the story), this module only writes the words.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from cxloop.demo import comments_en, comments_zh
from cxloop.demo.hant import to_hant

SENTIMENTS = ("pos", "neg", "mix")

# Topics a comment may be about, by survey and sentiment: (topic, weight).
TOPIC_WEIGHTS: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "nps": {
        "pos": (
            ("overall", 3.0), ("usability", 2.0), ("staff_attitude", 1.0), ("support_speed", 1.0),
            ("performance", 1.0), ("feature_request", 1.0), ("price", 0.7), ("onboarding", 0.5),
            ("export", 0.35), ("documentation", 0.3), ("integration", 0.5),
        ),
        "neg": (
            ("price", 2.2), ("performance", 1.6), ("bug", 1.6), ("feature_request", 1.5), ("usability", 1.2),
            ("support_speed", 1.2), ("overall", 1.0), ("integration", 0.6), ("documentation", 0.4),
            ("staff_attitude", 0.4), ("export", 0.35),
        ),
        "mix": (
            ("price", 2.0), ("feature_request", 2.0), ("performance", 1.4), ("usability", 1.3), ("bug", 1.0),
            ("support_speed", 0.8), ("documentation", 0.5), ("integration", 0.5), ("export", 0.35),
        ),
    },
    "ces": {
        "pos": (("onboarding", 4.0), ("usability", 2.0), ("documentation", 1.0), ("staff_attitude", 0.8),
                ("integration", 0.6)),
        "neg": (("onboarding", 3.5), ("integration", 1.5), ("documentation", 1.2), ("usability", 1.5),
                ("login", 0.5), ("support_speed", 0.5)),
        "mix": (("onboarding", 2.5), ("documentation", 1.2), ("integration", 1.0), ("usability", 1.0)),
    },
    # In-product usability questionnaires (SUS, UMUX-Lite).
    "product": {
        "pos": (("usability", 4.0), ("performance", 1.5), ("overall", 1.5), ("feature_request", 0.6),
                ("documentation", 0.5)),
        "neg": (("usability", 3.0), ("performance", 2.0), ("bug", 1.5), ("feature_request", 1.2),
                ("documentation", 0.8), ("export", 0.3)),
        "mix": (("usability", 2.5), ("feature_request", 1.5), ("performance", 1.2), ("documentation", 0.6)),
    },
}

# The positive clause that opens a mixed comment ("X is good, but …").
MIX_POSITIVE: tuple[tuple[str, float], ...] = (
    ("overall", 3.0), ("usability", 2.0), ("staff_attitude", 1.0), ("support_speed", 1.0), ("performance", 0.6),
)

# Support ticket category → the topic its comment talks about.
CATEGORY_TOPIC: dict[str, str] = {
    "howto": "usability", "bug": "bug", "login": "login", "billing": "price", "performance": "performance",
    "data_import": "integration", "integration": "integration", "export": "export", "account": "login",
}

SUPPORT_TOPICS: tuple[tuple[str, float], ...] = (
    ("staff_attitude", 1.0), ("support_speed", 1.0), ("resolution", 0.8),
)

_KEEP_CAPITAL = frozenset({"I", "Excel", "SAP", "SSO", "API", "Microsoft", "CloudLaunch"})


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for item, w in weighted:
        x -= w
        if x < 0:
            return item
    return weighted[-1][0]


def _fragment(rng: random.Random, lib: comments_zh.Fragments, topic: str, polarity: str, avoid: str = "") -> str:
    """A clause on ``topic``; not ``avoid`` (the clause before it), nor naming the agent twice."""
    options = lib.get(topic, {}).get(polarity) or lib["overall"][polarity]
    if avoid:
        named = "{agent}" in avoid
        options = tuple(o for o in options if o != avoid and not (named and "{agent}" in o)) or options
    return rng.choice(options)


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if not text or text.startswith("{") or first in _KEEP_CAPITAL or (len(first) > 1 and first[1].isupper()):
        return text
    return text[0].lower() + text[1:]


def _compose_zh(rng: random.Random, sentiment: str, topic: str, second: str) -> str:
    lib = comments_zh.FRAGMENTS
    if rng.random() < 0.08:
        return rng.choice(comments_zh.SHORT[sentiment])
    opener = rng.choice(comments_zh.OPENERS[sentiment]) if rng.random() < 0.2 else ""
    if sentiment == "mix":
        praise = _fragment(rng, lib, second, "pos")
        body = praise + rng.choice(comments_zh.CONNECTORS) + _fragment(rng, lib, topic, "neg", avoid=praise)
    else:
        first = _fragment(rng, lib, topic, sentiment)
        body = first
        if rng.random() < 0.4:
            other = second if (second and rng.random() < 0.6) else topic
            body += "，" + _fragment(rng, lib, other, sentiment, avoid=first)
    text = opener + body
    roll = rng.random()
    if sentiment != "pos" and roll < 0.35:
        text += rng.choice("。，") + _fragment(rng, lib, topic, "ask") + rng.choice(("。", "！", ""))
    elif roll < 0.6:
        text += rng.choice(("。", "，", "！")) + rng.choice(comments_zh.CLOSERS[sentiment])
    else:
        end = {"pos": ("。", "！", "", "~"), "neg": ("。", "！", "！！", ""), "mix": ("。", "", "…")}[sentiment]
        text += rng.choice(end)
    return text


def _compose_en(rng: random.Random, sentiment: str, topic: str, second: str) -> str:
    lib = comments_en.FRAGMENTS
    if rng.random() < 0.08:
        return rng.choice(comments_en.SHORT[sentiment])
    opener = rng.choice(comments_en.OPENERS[sentiment]) if rng.random() < 0.15 else ""
    if sentiment == "mix":
        praise = _fragment(rng, lib, second, "pos")
        body = praise + ", but " + _lower_first(_fragment(rng, lib, topic, "neg", avoid=praise))
    else:
        first = _fragment(rng, lib, topic, sentiment)
        body = first
        if rng.random() < 0.35:
            other = second if (second and rng.random() < 0.6) else topic
            body += ". " + _fragment(rng, lib, other, sentiment, avoid=first)
    if opener and not opener.endswith(". "):
        body = _lower_first(body)
    text = opener + body
    roll = rng.random()
    if sentiment != "pos" and roll < 0.3:
        text += ". " + _fragment(rng, lib, topic, "ask") + rng.choice((".", "!", ""))
    elif roll < 0.5:
        text += ". " + rng.choice(comments_en.CLOSERS[sentiment])
    else:
        text += rng.choice((".", ".", "!", ""))
    return text


def compose(
    rng: random.Random, *, lang: str, sentiment: str, topic: str, second: str = "overall",
    values: Mapping[str, object] | None = None,
) -> str:
    """One comment in ``lang`` ("zh-hans", "zh-hant" or "en") with ``sentiment`` about ``topic``;
    ``second`` is the secondary topic (the praised one in a mixed comment)."""
    if sentiment not in SENTIMENTS:
        raise ValueError(f"unknown sentiment {sentiment!r}")
    if lang == "en":
        text = _compose_en(rng, sentiment, topic, second)
    else:
        native = comments_zh.NATIVE_HANT.get(topic, {}).get("neg" if sentiment == "mix" else sentiment)
        if lang == "zh-hant" and native and rng.random() < 0.25:
            text = rng.choice(native)
        else:
            text = _compose_zh(rng, sentiment, topic, second)
            if lang == "zh-hant":
                text = to_hant(text)
    if values and "{" in text:
        filled = {k: to_hant(v) if lang == "zh-hant" and isinstance(v, str) else v for k, v in values.items()}
        text = text.format_map(filled)
    return text
