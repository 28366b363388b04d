"""Theme discovery on the Django side: suggest new codeframe themes from an organisation's comments in a
period, with growth against the preceding period of equal length, and accept a suggestion as a theme.

* :func:`gather` reads the comments of the analysed responses of one organisation submitted in ``[start, end)``
  (the text answers joined, as the analysis saw them, ``services.comment_of``) with their detected language.
* :func:`discover_themes` tokenises them (:func:`tokens_for`: ``core.text.tokens`` — jieba words for Chinese,
  words for English — with negation marks removed, negators, numbers and one-letter words dropped) and runs
  ``core.text.discover.discover``. Scope ``"uncaught"``: only the comments no theme of the current codeframe
  matches, and suggestions that duplicate an existing theme are dropped (the codeframe is passed on). Scope
  ``"all"`` (emerging topics): every comment, nothing dropped; a suggestion whose comments an existing theme
  mostly tags says so (:attr:`ThemeSuggestion.overlaps`).
* Growth: the share of the scope's comments that contain one of the suggestion's label terms (its top
  keywords), in the period and in the baseline (the preceding period of the same length), each with its Wilson
  interval (``core.metrics.wilson``), compared by the N − 1 two-proportion test
  (``core.metrics.compare_proportions``). Every number shown comes from those functions.
* :func:`accept` adds a suggestion to the codeframe as a theme (key from the label terms, unique; labels from
  the label terms; keywords split into ``zh`` and ``en`` by script) through ``services.save_codeframe``, which
  audits and queues the re-theming job.

It runs inside the request, not as a task: on the demo (22,439 responses, 9,204 comments) two months with their
baseline (2,148 comments) take 0.5–0.9 s, 90 days (3,017) 0.7–1.0 s, and all 24 months (9,204) 3.5 s, on a
shared two-core machine, plus ≈ 1.5 s once per process to load jieba's dictionary. :data:`MAX_COMMENTS` caps a
period (the most recent comments are kept) so a long period cannot hold a worker for long.
"""

from __future__ import annotations

import copy
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from typing import Any

from django.db.models import Count
from django.utils import timezone

from cxloop.core import metrics
from cxloop.core.text import discover as text_discover
from cxloop.core.text import pii
from cxloop.core.text import themes as text_themes
from cxloop.core.text import tokens as text_tokens
from cxloop.core.text.language import DATA_DIR
from cxloop.orgs.models import Organization, User
from cxloop.texts import services
from cxloop.texts.models import CommentAnalysis, RethemeJob, ThemeHit

SCOPES = ("uncaught", "all")
DEFAULT_DAYS = 90
MAX_COMMENTS = 20_000  # per period; the most recent are kept
MAX_DAYS = 731
K = 12  # components asked of the factorisation
# How tight a suggestion must be (mean cosine of its comments to it). discover's default, 0.25, drops a real but
# varied topic: on the demo, the export defect's complaints (导出失败 / 超时 / 乱码 / 报表导不出来) score 0.21–0.25
# together, while the catch-all components of everyday praise score 0.14–0.17.
MIN_SCORE = 0.2
N_QUOTES = 5
N_CANDIDATES = 15  # quotes asked of discover, of which the first N_QUOTES that differ in more than punctuation
OVERLAP_SHARE = 0.5  # an existing theme tagging at least this share of a suggestion's comments: "overlaps"
CHUNK = 2_000

_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_LATIN = re.compile("[a-z]")
_SLUG_PART = re.compile("[^a-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")
# One-character Chinese words that do carry a CX topic (the others are mostly pieces of names and split words).
_SINGLE = frozenset("卡慢贵难乱错丢崩")
# Words that survive the stop lists but say nothing about a topic in CX comments (问题 "issue" is in nearly every
# complaint, whatever it is about).
_GENERIC = frozenset({
    "了", "的", "是", "在", "有", "也", "都", "就", "还", "又", "再", "要", "会", "能", "得", "着", "过", "把", "被",
    "让", "给", "跟", "和", "与", "或", "这个", "那个", "一个", "一下", "一些", "有点", "有些", "感觉", "觉得",
    "现在", "时候", "之后", "以后", "以前", "还是", "就是", "但是", "不过", "可以", "希望", "我们", "你们", "他们",
    "出来", "起来", "下来", "一直", "根本", "总是", "这样", "那样", "怎么", "什么", "已经", "然后", "而且", "真的",
    "比较", "只能", "每次", "一点", "问题", "东西", "地方", "下去",
    "it", "its", "we", "our", "us", "you", "your", "they", "them", "this", "that", "these", "those", "there",
    "be", "been", "is", "are", "was", "were", "am", "do", "does", "did", "have", "has", "had", "get", "got",
    "would", "could", "should", "can", "will", "just", "also", "still", "even", "much", "many", "lot", "lots",
    "thing", "things", "one", "some", "any", "all", "more", "most", "really", "very", "bit", "quite",
})


# --- the comments --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    response_id: int
    text: str
    language: str
    submitted_at: datetime


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the current time zone (the organisation's view of dates)."""
    return timezone.make_aware(datetime.combine(day, dtime.min))


def gather(org: Organization | int, start: datetime, end: datetime, *, limit: int = MAX_COMMENTS) -> list[Comment]:
    """The comments of the organisation's analysed responses submitted in ``[start, end)``, oldest first; at most
    ``limit`` (the most recent). Redacted (``core.text.pii``) when the organisation hides personal data, so
    neither suggestions nor their quotes carry any."""
    org_id = org if isinstance(org, int) else org.pk
    redact = Organization.objects.filter(pk=org_id, redact_pii=True).exists()
    rows = list(CommentAnalysis.objects.filter(org_id=org_id, submitted_at__gte=start, submitted_at__lt=end)
                .order_by("-submitted_at", "-response_id")
                .values_list("response_id", "language", "submitted_at")[:limit])
    rows.reverse()
    texts: dict[int, str] = {}
    for i in range(0, len(rows), CHUNK):
        texts.update(services.comments([r[0] for r in rows[i:i + CHUNK]]))
    out: list[Comment] = []
    for response_id, language, submitted_at in rows:
        text = texts.get(response_id, "").strip()
        if text and redact:
            text = pii.redact(text).text
        if text:
            out.append(Comment(response_id, text, language, submitted_at))
    return out


# --- tokens ----------------------------------------------------------------------------------------------


def tokens_for(text: str, language: str | None = None) -> list[str]:
    """The topic words of a comment: ``core.text.tokens.tokenize`` (jieba words for Chinese, words for English,
    stop words and degree adverbs dropped) with the ``NEG_`` marks removed (导出不了 is about 导出), and the
    negators, numbers, one-letter words and a few empty words dropped."""
    if language not in ("zh-hans", "zh-hant", "en"):
        language = "zh-hans" if _HAN.search(text) else "en"
    negators = text_tokens.all_negators()
    out: list[str] = []
    for token in text_tokens.tokenize(text, language):
        word = token.removeprefix(text_tokens.NEG_PREFIX)
        if word in negators or word in _GENERIC or word.isdigit():
            continue
        if len(word) < 2 and word not in _SINGLE:
            continue  # one letter, or one Chinese character: mostly pieces of names and words jieba split
        out.append(word)
    return out


# --- discovery ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Growth:
    """The share of comments mentioning a suggestion's label terms, now and in the baseline (percent, Wilson
    intervals), and their comparison (percentage points, N − 1 two-proportion test)."""

    current: metrics.Estimate
    baseline: metrics.Estimate
    comparison: metrics.Comparison
    hits: int
    n: int
    baseline_hits: int
    baseline_n: int

    @property
    def rising(self) -> bool:
        c = self.comparison
        return c.significant and c.difference is not None and c.difference > 0

    @property
    def falling(self) -> bool:
        c = self.comparison
        return c.significant and c.difference is not None and c.difference < 0


@dataclass(frozen=True)
class Overlap:
    key: str
    label: str
    share: metrics.Estimate  # of the suggestion's comments the theme tags (percent)


@dataclass(frozen=True)
class ThemeSuggestion:
    label_terms: tuple[str, ...]
    keywords: tuple[str, ...]
    size: int
    score: float
    quotes: tuple[str, ...]
    growth: Growth
    overlaps: tuple[Overlap, ...] = ()

    @property
    def signature(self) -> str:
        """Identifies a suggestion across runs (for dismissing it)."""
        return "|".join(sorted(self.label_terms))

    @property
    def zh_keywords(self) -> list[str]:
        return [k for k in self.keywords if _HAN.search(k)]

    @property
    def en_keywords(self) -> list[str]:
        return [k for k in self.keywords if not _HAN.search(k)]


@dataclass(frozen=True)
class Discovery:
    since: date
    until: date  # inclusive
    baseline_since: date
    baseline_until: date  # inclusive
    scope: str
    comments: int  # in the scope, in the period
    baseline_comments: int
    suggestions: tuple[ThemeSuggestion, ...]
    seconds: float
    capped: bool = False
    dismissed: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def distinct(quotes: Iterable[str], n: int = N_QUOTES) -> tuple[str, ...]:
    """The first ``n`` quotes that differ in more than punctuation, spacing and case."""
    seen: set[str] = set()
    out: list[str] = []
    for quote in quotes:
        key = _NOT_WORD.sub("", text_themes.fold(quote))
        if key not in seen:
            seen.add(key)
            out.append(quote)
        if len(out) == n:
            break
    return tuple(out)


def baseline_of(since: date, until: date) -> tuple[date, date]:
    """The preceding period of equal length (inclusive dates)."""
    days = (until - since).days + 1
    return since - timedelta(days=days), since - timedelta(days=1)


def _overlaps(members: Sequence[str], keywords: Sequence[str], codeframe: text_themes.Codeframe,
              matcher: text_themes.Matcher, language: str) -> tuple[Overlap, ...]:
    """Existing themes that tag at least :data:`OVERLAP_SHARE` of the suggestion's comments (leaf themes,
    largest first), or, failing that, the theme the suggestion's strongest keyword belongs to."""
    counts: Counter[str] = Counter()
    for text in members:
        counts.update({hit.key for hit in matcher.match(text)})
    out: list[Overlap] = []
    for key, n in counts.most_common():
        if n < OVERLAP_SHARE * len(members):
            break
        if any(other.key.startswith(key + "/") for other in out):
            continue
        out.append(Overlap(key, codeframe.label(key, language), metrics.wilson(n, len(members), scale=100)))
    if not out and keywords:
        for hit in matcher.match(keywords[0]):
            n = counts.get(hit.key, 0)
            out.append(Overlap(hit.key, codeframe.label(hit.key, language), metrics.wilson(n, len(members),
                                                                                          scale=100)))
    return tuple(out[:2])


def mentions(tokens: frozenset[str], label_terms: Sequence[str]) -> bool:
    """A comment mentions a suggestion when it has its strongest term, or two of its label terms (a generic
    label term such as 问题 alone does not count)."""
    if not label_terms:
        return False
    return label_terms[0] in tokens or len(tokens.intersection(label_terms)) >= 2


def growth(label_terms: Sequence[str], current: Sequence[frozenset[str]],
           baseline: Sequence[frozenset[str]]) -> Growth:
    """The share of comments (token sets) that :func:`mentions` the label terms, now vs the baseline."""
    hits = sum(1 for tokens in current if mentions(tokens, label_terms))
    base = sum(1 for tokens in baseline if mentions(tokens, label_terms))
    comparison = metrics.compare_proportions(metrics.Proportion(base, len(baseline), 100),
                                             metrics.Proportion(hits, len(current), 100))
    return Growth(metrics.wilson(hits, len(current), scale=100), metrics.wilson(base, len(baseline), scale=100),
                  comparison, hits, len(current), base, len(baseline))


def discover_themes(org: Organization, *, since: date, until: date, scope: str = "uncaught",
                    language: str = "en", dismissed: Iterable[str] = (), k: int = K,
                    limit: int = MAX_COMMENTS) -> Discovery:
    """Suggest themes from the organisation's comments submitted from ``since`` to ``until`` (inclusive, local
    dates), with their growth against the preceding period of equal length. ``language`` is the label language
    of overlapping themes; ``dismissed`` holds the signatures of suggestions not to show again."""
    if scope not in SCOPES:
        raise services.TextError(f"scope: unknown scope {scope!r} (one of {', '.join(SCOPES)})", field="scope")
    if until < since:
        raise services.TextError("until: the end date is before the start date", field="until")
    if (until - since).days + 1 > MAX_DAYS:
        raise services.TextError(f"since: the period is longer than {MAX_DAYS} days", field="since")
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    baseline_since, baseline_until = baseline_of(since, until)
    found, _version = services.matcher(org)
    definition, _v = services.codeframe_definition(org)
    codeframe = text_themes.parse_codeframe(definition)
    now = gather(org, day_start(since), day_start(until + timedelta(days=1)), limit=limit)
    before = gather(org, day_start(baseline_since), day_start(since), limit=limit)
    capped = len(now) >= limit or len(before) >= limit
    timings["read"] = time.perf_counter() - clock
    if scope == "uncaught":
        now = [c for c in now if not found.match(c.text)]
        before = [c for c in before if not found.match(c.text)]
    token_of: dict[str, list[str]] = {}
    for c in (*now, *before):
        if c.text not in token_of:
            token_of[c.text] = tokens_for(c.text, c.language)
    timings["tokens"] = time.perf_counter() - clock - timings["read"]

    def tokenize(text: str) -> list[str]:
        found_tokens = token_of.get(text)
        return found_tokens if found_tokens is not None else tokens_for(text)

    texts = [c.text for c in now]
    raw = text_discover.discover(texts, tokenize, codeframe=codeframe if scope == "uncaught" else None, k=k,
                                 n_quotes=N_CANDIDATES, min_df=3, min_size=5,
                                 min_score=MIN_SCORE)
    timings["discover"] = time.perf_counter() - clock - timings["read"] - timings["tokens"]
    current_sets = [frozenset(token_of[c.text]) for c in now]
    baseline_sets = [frozenset(token_of[c.text]) for c in before]
    skip = set(dismissed)
    suggestions: list[ThemeSuggestion] = []
    hidden = 0
    for s in raw:
        if "|".join(sorted(s.label_terms)) in skip:
            hidden += 1
            continue
        overlaps: tuple[Overlap, ...] = ()
        if scope == "all":
            overlaps = _overlaps([texts[i] for i in s.members], s.keywords, codeframe, found, language)
        suggestions.append(ThemeSuggestion(
            label_terms=s.label_terms, keywords=s.keywords, size=s.size, score=s.score, quotes=distinct(s.quotes),
            growth=growth(s.label_terms, current_sets, baseline_sets), overlaps=overlaps))
    timings["growth"] = time.perf_counter() - clock - sum(timings.values())
    return Discovery(since=since, until=until, baseline_since=baseline_since, baseline_until=baseline_until,
                     scope=scope, comments=len(now), baseline_comments=len(before), suggestions=tuple(suggestions),
                     seconds=time.perf_counter() - clock, capped=capped, dismissed=hidden, timings=timings)


# --- the editor's figures ---------------------------------------------------------------------------------


def theme_counts(org: Organization) -> dict[str, int]:
    """How many comments each theme tags now (``ThemeHit`` rows: a child's hits count for its parents too)."""
    rows = ThemeHit.objects.filter(org=org).values("theme").annotate(n=Count("id")).values_list("theme", "n")
    return dict(rows)


def latest_job(org: Organization) -> RethemeJob | None:
    return RethemeJob.objects.filter(org=org).order_by("-created_at", "-pk").first()


def analysed(org: Organization) -> int:
    return CommentAnalysis.objects.filter(org=org).count()


# --- accepting a suggestion --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _s2t_table() -> dict[int, str]:
    """Simplified-only characters → a Traditional character (the lowest code point OpenCC maps to it)."""
    lines = [line for line in (DATA_DIR / "zh_script_chars.txt").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    simplified_only = frozenset(lines[1])
    table: dict[int, str] = {}
    for line in (DATA_DIR / "zh_t2s.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        trad, simp = line.split("\t")
        if simp in simplified_only and (ord(simp) not in table or trad < table[ord(simp)]):
            table[ord(simp)] = trad
    return table


def to_traditional(text: str) -> str:
    """Simplified-only characters → Traditional, character by character (a suggested label; edit as needed)."""
    return text.translate(_s2t_table())


def split_terms(terms: Iterable[str]) -> dict[str, list[str]]:
    """Terms by keyword language: with a Chinese character → ``zh``, else ``en``; blanks and repeats dropped."""
    out: dict[str, list[str]] = {"zh": [], "en": []}
    for term in terms:
        term = " ".join(str(term).split())
        if not term:
            continue
        lang = "zh" if _HAN.search(term) else "en"
        if term not in out[lang]:
            out[lang].append(term)
    return out


def theme_key(label_terms: Sequence[str], parent: str | None, taken: Iterable[str]) -> str:
    """A unique key for a new theme: the English label terms as a slug (``export_csv``), else ``topic_`` and a
    short checksum of the terms; under ``parent`` when given; ``_2``, ``_3`` … when taken."""
    words = [_SLUG_PART.sub("_", term.lower()).strip("_") for term in label_terms if not _HAN.search(term)]
    slug = "_".join(w for w in words if w)[:40].strip("_")
    if not slug or not slug[0].isalpha():
        digest = zlib.crc32("|".join(label_terms).encode("utf-8")) & 0xFFFFFF
        slug = f"topic_{slug + '_' if slug else ''}{digest:06x}"[:48]
    base = f"{parent}/{slug}" if parent else slug
    used = set(taken)
    key, n = base, 2
    while key in used:
        key, n = f"{base}_{n}", n + 1
    return key


def suggested_theme(label_terms: Sequence[str], keywords: Sequence[str], key: str) -> dict[str, Any]:
    """The codeframe entry of an accepted suggestion."""
    parts = split_terms(label_terms)
    zh_label = "、".join(parts["zh"]) or " / ".join(parts["en"])
    en_label = " / ".join(parts["en"]) or zh_label
    lists = split_terms(keywords)
    return {
        "key": key,
        "label": {"zh-hans": zh_label[:text_themes.MAX_LABEL_LENGTH],
                  "zh-hant": to_traditional(zh_label)[:text_themes.MAX_LABEL_LENGTH],
                  "en": en_label[:1].upper() + en_label[1:text_themes.MAX_LABEL_LENGTH]},
        "keywords": {lang: terms for lang, terms in lists.items() if terms},
    }


def insert_position(themes: Sequence[Any], parent: str | None) -> int:
    """Where a new theme goes: after the last theme of ``parent``'s subtree, or at the end."""
    position = len(themes)
    if parent:
        for i, item in enumerate(themes):
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str) and (key == parent or key.startswith(parent + "/")):
                position = i + 1
    return position


def insert_theme(definition: dict[str, Any], theme: dict[str, Any], parent: str | None) -> dict[str, Any]:
    """A copy of the codeframe with ``theme`` at :func:`insert_position`."""
    out = copy.deepcopy(definition)
    themes: list[Any] = list(out.get("themes") or [])
    themes.insert(insert_position(themes, parent), theme)
    out["themes"] = themes
    out.setdefault("version", text_themes.VERSION)
    return out


def accept(*, org: Organization, label_terms: Sequence[str], keywords: Sequence[str], parent: str | None = None,
           actor: User | None = None) -> str:
    """Add a suggestion to the codeframe as a theme (validated, audited, re-theming queued); its key."""
    label_terms = [t for t in (" ".join(str(t).split()) for t in label_terms) if t]
    keywords = [t for t in (" ".join(str(t).split()) for t in keywords) if t]
    if not label_terms:
        raise services.TextError("label_terms: a suggestion needs at least one label term", field="label_terms",
                                 status=400)
    if not keywords:
        raise services.TextError("keywords: choose at least one keyword", field="keywords", status=400)
    definition, _version = services.codeframe_definition(org)
    taken = [t.get("key") for t in definition.get("themes", []) if isinstance(t, dict)]
    if parent and parent not in taken:
        raise services.TextError(f"parent: no theme {parent!r} in the codeframe", field="parent", status=400)
    key = theme_key(label_terms, parent or None, [k for k in taken if isinstance(k, str)])
    theme = suggested_theme(label_terms, keywords, key)
    services.save_codeframe(org=org, definition=insert_theme(definition, theme, parent or None), actor=actor)
    return key
