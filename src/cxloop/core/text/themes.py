"""The codeframe: an organisation's hierarchical themes, and a fast keyword matcher that tags comments with them.

A codeframe is stored as JSON::

    {"version": 1,
     "themes": [
        {"key": "product", "label": {"zh-hans": "产品", "zh-hant": "產品", "en": "Product"}},
        {"key": "product/export",
         "label": {"zh-hans": "导出", "zh-hant": "匯出", "en": "Export"},
         "keywords": {"zh": ["导出", "匯出", "导出失败"], "en": ["export*", "csv", "download report"]},
         "exclude": {"en": ["export control"]},
         "description": "Exporting data and reports"}]}

* ``key`` is a slug path, segments ``[a-z][a-z0-9_]*`` joined by ``/`` (at most :data:`MAX_DEPTH` levels). A
  child's parent must be defined too. A hit on ``product/export`` implies ``product`` when counts are rolled
  up (:func:`with_ancestors`); the matcher itself reports only the themes whose keywords were found.
* ``label`` needs all of ``zh-hans``, ``zh-hant`` and ``en``.
* ``keywords`` and ``exclude`` hold term lists per keyword language, ``zh`` and ``en`` (phrases and synonyms are
  simply more terms). A theme without keywords must have children (it only groups them).

How terms match (:class:`Matcher`)
----------------------------------
The text and the terms are folded the same way, one character for one so that spans stay valid: Traditional →
Simplified (``language.to_simplified``, OpenCC's first choice per character), full-width ASCII → ASCII, A–Z →
a–z. So a ``zh`` term may be written in either script (匯出 and 汇出 are the same term) — but Taiwan and Hong
Kong *vocabulary* differs (匯出 vs 导出, 當機 vs 崩溃): list both words.

* ``zh`` terms (must contain a Han character) match as plain substrings: 导出 matches 导出不了 and 报表导出.
* ``en`` terms (no Han characters) match whole words, case-insensitively: ``bug`` does not match ``debug``,
  but it does match inside Chinese text (导出有bug). A space, ``-`` or ``_`` in a term matches any run of
  spaces, hyphens and underscores (``log in`` = ``log-in``). A plain term also matches its plural with
  ``s``/``es`` (``invoice`` → ``invoices``); a trailing ``*`` matches any word ending (``crash*`` →
  ``crashes``, ``crashed``, ``crashing``; at least three characters before it).
* Matches may overlap (报表导出 gives 报表导出 and 导出). When one term is a prefix of a longer term that
  matched at the same place, the shorter term's themes are reported too, with the longer term's span.
* ``exclude`` vetoes: a keyword hit of a theme that overlaps a match of one of *that theme's* exclusion terms
  is dropped (``export`` in "export control rules" is not about the export feature; a later "CSV export
  fails" in the same comment still is).
* Negation does not remove a theme: "导出不了" and "export doesn't work" are about export.

:class:`Matcher` compiles the codeframe once into one regular expression per keyword language, written as a
trie (shared prefixes factored out), and a dictionary from matched term to themes; ``match`` then costs two
``str.translate`` and two regex scans per comment.

Pure Python: no Django.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cxloop.core.survey_model import Problem
from cxloop.core.survey_values import show
from cxloop.core.text.language import to_simplified

__all__ = [
    "KEYWORD_LANGUAGES",
    "LABEL_LANGUAGES",
    "MAX_DEPTH",
    "Codeframe",
    "CodeframeError",
    "Matcher",
    "Problem",
    "Terms",
    "Theme",
    "ThemeHit",
    "ancestors",
    "fold",
    "parse_codeframe",
    "to_json",
    "with_ancestors",
]

VERSION = 1
LABEL_LANGUAGES: tuple[str, ...] = ("zh-hans", "zh-hant", "en")
KEYWORD_LANGUAGES: tuple[str, ...] = ("zh", "en")
MAX_DEPTH = 3  # levels of a key: "a/b/c"
MAX_THEMES = 500
MAX_TERMS = 300  # one keyword or exclusion list
MAX_TERM_LENGTH = 100
MAX_LABEL_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1_000
MIN_WILDCARD_STEM = 3

_SEGMENT = re.compile(r"[a-z][a-z0-9_]{0,63}")
_THEME_FIELDS: tuple[str, ...] = ("key", "label", "keywords", "exclude", "description")
_TOP_FIELDS: tuple[str, ...] = ("version", "themes")
_SEPARATORS = re.compile(r"[\s\-_]+")
_WORD_CHAR = "0-9a-z\u00c0-\u024f"  # what an English word is made of (after folding to lower case)
_SEP = r"[\s\-_]+"
_NON_WORD = re.compile(f"[^{_WORD_CHAR}]")


# --- folding -------------------------------------------------------------------------------------------

_FOLD: dict[int, str] = {c: chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}
_FOLD.update({c: chr(c - 0xFEE0).lower() for c in range(0xFF01, 0xFF5F)})  # full-width ASCII
_FOLD.update({0x3000: " ", 0x2019: "'", 0x2018: "'"})


def fold(text: str) -> str:
    """The text as the matcher sees it: Traditional → Simplified, full-width → ASCII, A–Z → a–z.

    Always the same length as ``text`` (one character for one), so spans found in it are spans of ``text``.
    """
    out = to_simplified(text).translate(_FOLD)
    if len(out) != len(text):  # a multi-character mapping would shift the spans: fold ASCII only
        out = text.translate(_FOLD)
    return out


def _has_han(text: str) -> bool:
    return any(
        0x4E00 <= (o := ord(ch)) <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF for ch in text
    )


_is_word_char = re.compile(f"[{_WORD_CHAR}]").fullmatch


def _canonical_en(term: str) -> str:
    """An English term as the lookup table keys it: folded, separators collapsed to one space."""
    return _SEPARATORS.sub(" ", fold(term).strip())


# --- the model -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Terms:
    """Terms per keyword language, as written (trimmed, duplicates dropped)."""

    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.zh or self.en)

    def get(self, language: str) -> tuple[str, ...]:
        return self.zh if language == "zh" else self.en if language == "en" else ()


@dataclasses.dataclass(frozen=True)
class Theme:
    key: str
    label: dict[str, str]  # zh-hans, zh-hant, en
    keywords: Terms = Terms()
    exclude: Terms = Terms()
    description: str = ""

    @property
    def parent(self) -> str | None:
        head, sep, _ = self.key.rpartition("/")
        return head if sep else None

    @property
    def depth(self) -> int:
        return self.key.count("/") + 1


@dataclasses.dataclass(frozen=True)
class Codeframe:
    """Themes in their defined order; parents always come before their children's first use."""

    themes: tuple[Theme, ...]
    version: int = VERSION

    def keys(self) -> list[str]:
        return [t.key for t in self.themes]

    def get(self, key: str) -> Theme | None:
        for theme in self.themes:
            if theme.key == key:
                return theme
        return None

    def children(self, key: str | None) -> list[Theme]:
        """The direct children of ``key`` (None: the top-level themes)."""
        return [t for t in self.themes if t.parent == key]

    def label(self, key: str, language: str = "en") -> str:
        """The theme's label in ``language`` (zh-hans, zh-hant, en; anything else → en); the key if unknown."""
        theme = self.get(key)
        if theme is None:
            return key
        return theme.label.get(language) or theme.label.get("en") or key


@dataclasses.dataclass(frozen=True)
class ThemeHit:
    """One theme found in a comment: where (character spans of ``text``, sorted) and by which terms."""

    key: str
    spans: tuple[tuple[int, int], ...]
    terms: tuple[str, ...]


class CodeframeError(ValueError):
    """A codeframe is invalid; ``problems`` lists everything wrong with it, each at its JSON path."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'' if n == 1 else 's'} in the codeframe:"]
        lines += [f"- {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def ancestors(key: str) -> list[str]:
    """``"a/b/c"`` → ``["a", "a/b"]``."""
    parts = key.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def with_ancestors(keys: Iterable[str]) -> list[str]:
    """The keys and all their ancestors, each once, an ancestor before its first descendant.

    ``["product/export", "price", "product/reporting"]`` → ``["product", "product/export", "price",
    "product/reporting"]``: a comment tagged with a child counts once for the parent.
    """
    out: dict[str, None] = {}
    for key in keys:
        for up in ancestors(key):
            out.setdefault(up, None)
        out.setdefault(key, None)
    return list(out)


# --- parsing -------------------------------------------------------------------------------------------


def _type_name(raw: Any) -> str:
    return "nothing" if raw is None else type(raw).__name__


class _Parser:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def unknown(self, path: str, raw: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        for name in raw:
            if name not in allowed:
                where = f"{path}.{name}" if path else str(name)
                self.add(where, f"unknown key {show(name)} (allowed: {', '.join(allowed)})")

    def text(self, path: str, raw: Any, what: str, limit: int) -> str | None:
        if not isinstance(raw, str):
            self.add(path, f"{what} must be text, not {_type_name(raw)}")
            return None
        value = raw.strip()
        if not value:
            self.add(path, f"{what} must not be blank")
            return None
        if len(value) > limit:
            self.add(path, f"{what} is longer than {limit} characters")
            return None
        return value

    def key(self, path: str, raw: Any) -> str | None:
        value = self.text(path, raw, "the key", 300)
        if value is None:
            return None
        segments = value.split("/")
        if not all(_SEGMENT.fullmatch(s) for s in segments):
            self.add(path, f"the key {show(value)} must be lower-case slugs joined by '/', e.g. 'product/export'")
            return None
        if len(segments) > MAX_DEPTH:
            self.add(path, f"the key {show(value)} is nested deeper than {MAX_DEPTH} levels")
            return None
        return value

    def label(self, path: str, raw: Any) -> dict[str, str]:
        if not isinstance(raw, Mapping):
            self.add(path, f"the label must be a mapping of {', '.join(LABEL_LANGUAGES)}, not {_type_name(raw)}")
            return {}
        self.unknown(path, raw, LABEL_LANGUAGES)
        out: dict[str, str] = {}
        for lang in LABEL_LANGUAGES:
            if lang not in raw:
                self.add(f"{path}.{lang}", f"the label in {lang} is missing")
                continue
            value = self.text(f"{path}.{lang}", raw[lang], "a label", MAX_LABEL_LENGTH)
            if value is not None:
                out[lang] = value
        return out

    def terms(self, path: str, raw: Any) -> Terms:
        if raw is None:
            return Terms()
        if not isinstance(raw, Mapping):
            self.add(path, f"must be a mapping of term lists by language (zh, en), not {_type_name(raw)}")
            return Terms()
        self.unknown(path, raw, KEYWORD_LANGUAGES)
        lists: dict[str, tuple[str, ...]] = {}
        for lang in KEYWORD_LANGUAGES:
            items = raw.get(lang)
            if items is None:
                lists[lang] = ()
                continue
            where = f"{path}.{lang}"
            if isinstance(items, str) or not isinstance(items, Sequence):
                self.add(where, f"must be a list of terms, not {_type_name(items)}")
                lists[lang] = ()
                continue
            if len(items) > MAX_TERMS:
                self.add(where, f"has {len(items)} terms; at most {MAX_TERMS} are allowed")
                lists[lang] = ()
                continue
            seen: dict[str, str] = {}
            for i, item in enumerate(items):
                term = self.term(f"{where}[{i}]", item, lang)
                if term is not None:
                    seen.setdefault(fold(term) if lang == "zh" else _canonical_en(term), term)
            lists[lang] = tuple(seen.values())
        return Terms(zh=lists["zh"], en=lists["en"])

    def term(self, path: str, raw: Any, lang: str) -> str | None:
        value = self.text(path, raw, "a term", MAX_TERM_LENGTH)
        if value is None:
            return None
        value = " ".join(value.split())
        if lang == "zh":
            if not _has_han(value):
                self.add(path, f"the zh term {show(value)} has no Chinese character (put it under 'en')")
                return None
            if "*" in value:
                self.add(path, f"the zh term {show(value)} has a '*': wildcards are for en terms only")
                return None
            return value
        if _has_han(value):
            self.add(path, f"the en term {show(value)} has Chinese characters (put it under 'zh')")
            return None
        stem = value[:-1] if value.endswith("*") else value
        if "*" in stem:
            self.add(path, f"the en term {show(value)} may have '*' only at its end")
            return None
        canonical = _canonical_en(stem)
        if not re.search(f"[{_WORD_CHAR}]", canonical):
            self.add(path, f"the en term {show(value)} has no letter or digit")
            return None
        if value.endswith("*") and len(canonical) < MIN_WILDCARD_STEM:
            self.add(path, f"the en term {show(value)} needs at least {MIN_WILDCARD_STEM} characters before '*'")
            return None
        return value


def parse_codeframe(raw: Any) -> Codeframe:
    """Validate a codeframe dict (see the module docstring) into a :class:`Codeframe`.

    Raises :class:`CodeframeError` listing every problem at its path (``themes[3].keywords.zh[1]``).
    """
    p = _Parser()
    if not isinstance(raw, Mapping):
        raise CodeframeError([Problem("", f"a codeframe must be a mapping, not {_type_name(raw)}")])
    p.unknown("", raw, _TOP_FIELDS)
    version = raw.get("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        p.add("version", f"unsupported version {show(version)} (this is version {VERSION})")
    items = raw.get("themes")
    if isinstance(items, str) or not isinstance(items, Sequence):
        p.add("themes", f"themes must be a list, not {_type_name(items)}")
        raise CodeframeError(p.problems)
    if len(items) > MAX_THEMES:
        p.add("themes", f"{len(items)} themes; at most {MAX_THEMES} are allowed")
        raise CodeframeError(p.problems)
    themes: list[Theme] = []
    where_key: dict[str, int] = {}
    for i, item in enumerate(items):
        path = f"themes[{i}]"
        if not isinstance(item, Mapping):
            p.add(path, f"a theme must be a mapping, not {_type_name(item)}")
            continue
        p.unknown(path, item, _THEME_FIELDS)
        key = p.key(f"{path}.key", item.get("key"))
        if key is not None and key in where_key:
            p.add(f"{path}.key", f"duplicate key {show(key)} (also themes[{where_key[key]}])")
            key = None
        label = p.label(f"{path}.label", item.get("label"))
        keywords = p.terms(f"{path}.keywords", item.get("keywords"))
        exclude = p.terms(f"{path}.exclude", item.get("exclude"))
        description: str | None = ""
        if item.get("description") not in (None, ""):
            description = p.text(f"{path}.description", item["description"], "the description", MAX_DESCRIPTION_LENGTH)
        if key is None:
            continue
        where_key[key] = i
        themes.append(Theme(key=key, label=label, keywords=keywords, exclude=exclude, description=description or ""))
    keys = set(where_key)
    parents = {t.parent for t in themes if t.parent}
    for theme in themes:
        i = where_key[theme.key]
        if theme.parent is not None and theme.parent not in keys:
            p.add(f"themes[{i}].key", f"the parent theme {show(theme.parent)} is not defined")
        if not theme.keywords and theme.key not in parents:
            p.add(f"themes[{i}].keywords", "a theme without child themes needs at least one keyword")
    if p.problems:
        raise CodeframeError(p.problems)
    return Codeframe(themes=tuple(themes), version=VERSION)


def to_json(codeframe: Codeframe) -> dict[str, Any]:
    """The canonical dict of a codeframe; ``parse_codeframe(to_json(c)) == c``."""
    out: list[dict[str, Any]] = []
    for theme in codeframe.themes:
        item: dict[str, Any] = {"key": theme.key, "label": {lang: theme.label[lang] for lang in LABEL_LANGUAGES}}
        for name in ("keywords", "exclude"):
            terms: Terms = getattr(theme, name)
            lists = {lang: list(terms.get(lang)) for lang in KEYWORD_LANGUAGES if terms.get(lang)}
            if lists:
                item[name] = lists
        if theme.description:
            item["description"] = theme.description
        out.append(item)
    return {"version": codeframe.version, "themes": out}


# --- matching ------------------------------------------------------------------------------------------

_END = "\x00"  # trie marker: a term ends here
_STAR = "\x01"  # trie unit: any word ending (en wildcard)
_GAP = "\x02"  # trie unit: a run of separators (en)


def _units(term: str, lang: str) -> list[str]:
    """A folded term cut into trie units: characters, with en separator runs and a trailing '*' as one unit."""
    if lang == "zh":
        return list(fold(term))
    star = term.endswith("*")
    words = _canonical_en(term[:-1] if star else term).split(" ")
    units: list[str] = []
    for i, word in enumerate(words):
        if i:
            units.append(_GAP)
        units.extend(word)
    if star:
        units.append(_STAR)
    return units


def _trie_regex(terms: Iterable[list[str]], lang: str) -> str:
    trie: dict[str, Any] = {}
    for units in terms:
        node = trie
        for unit in units:
            node = node.setdefault(unit, {})
        node[_END] = {}
    plural = lang == "en"  # a plain en term also matches its plural

    def unit_regex(unit: str) -> str:
        if unit == _GAP:
            return _SEP
        if unit == _STAR:
            return f"[{_WORD_CHAR}]*"
        return re.escape(unit)

    def walk(node: dict[str, Any], after_star: bool) -> str:
        branches = [unit_regex(u) + walk(child, u == _STAR) for u, child in sorted(node.items()) if u != _END]
        if _END in node and not after_star and plural:
            branches.append("e?s")
        if not branches:
            return ""
        optional = _END in node
        if len(branches) == 1 and not optional:
            return branches[0]
        body = "|".join(branches)
        return f"(?:{body})?" if optional else f"(?:{body})"

    return walk(trie, False)


class _Compiled:
    """One keyword language's scanner: a regex finding every (possibly overlapping) longest term per start."""

    def __init__(self, lang: str, terms: dict[str, list[tuple[int, str]]]) -> None:
        # terms: canonical term -> [(theme index, term as written)]
        self.lang = lang
        self.exact: dict[str, list[tuple[int, str]]] = {}
        self.stems: dict[str, list[tuple[int, str]]] = {}  # en wildcard stems
        for canonical, owners in terms.items():
            if lang == "en" and canonical.endswith("*"):
                self.stems.setdefault(canonical[:-1].strip(), []).extend(owners)
            else:
                self.exact.setdefault(canonical, []).extend(owners)
        self.regex: re.Pattern[str] | None = None
        if terms:
            body = _trie_regex((_units(t, lang) for t in terms), lang)
            # No lookbehind in front: a pattern that starts with a literal alternation lets the regex engine skip
            # straight to the characters that can start a term. The en word start is checked in ``scan``.
            self.regex = re.compile(f"(?:{body})" if lang == "zh" else f"(?:{body})(?![{_WORD_CHAR}])")
        # Shorter terms that are prefixes of a longer one (at a word boundary for en) are hidden behind it
        # when both match at one place: the longer term carries their themes too.
        self.implied: dict[str, list[tuple[int, str, int]]] = {}
        self.max_stem = max((len(s) for s in self.stems), default=0)

    def owners(self, found: str) -> list[tuple[int, str, int]]:
        """(theme, term, length) for a matched text: its own terms, and the shorter terms it has as a prefix.

        ``length`` is how many characters of the match the term covers (the whole match when separators had
        to be collapsed to look it up).
        """
        cached = self.implied.get(found)
        if cached is not None:
            return cached
        out: list[tuple[int, str, int]] = []
        if self.lang == "zh":
            for i in range(1, len(found) + 1):
                out.extend((theme, term, i) for theme, term in self.exact.get(found[:i], ()))
        else:
            key = found if found.isalnum() else _SEPARATORS.sub(" ", found)
            cuts = [m.start() for m in _NON_WORD.finditer(key)] + [len(key)]
            for cut in cuts:
                length = cut if key == found else len(found)
                prefix = key[:cut]
                candidates = [prefix]
                if prefix.endswith("s"):
                    candidates += [prefix[:-1], prefix[:-2]] if prefix.endswith("es") else [prefix[:-1]]
                for candidate in candidates:
                    out.extend((theme, term, length) for theme, term in self.exact.get(candidate, ()))
                word_start = key.rfind(" ", 0, cut) + 1
                for end in range(word_start + MIN_WILDCARD_STEM, min(cut, word_start + self.max_stem) + 1):
                    out.extend((theme, term, length) for theme, term in self.stems.get(key[:end], ()))
        unique = list(dict.fromkeys(out))
        if len(self.implied) < 50_000:
            self.implied[found] = unique
        return unique

    def scan(self, folded: str) -> list[tuple[int, int, int, str]]:
        """(theme index, start, end, term) for every match in the folded text.

        The longest term at every position where one starts, so matches may overlap (报表导出 and 导出).
        """
        out: list[tuple[int, int, int, str]] = []
        search = self.regex.search if self.regex is not None else None
        if search is None:
            return out
        en = self.lang == "en"
        pos = 0
        while (m := search(folded, pos)) is not None:
            start = m.start()
            pos = start + 1
            if en and start and _is_word_char(folded[start - 1]):
                continue  # inside a word: "bug" in "debug"
            found = m.group()
            out.extend((theme, start, start + length, term) for theme, term, length in self.owners(found))
        return out


class Matcher:
    """A codeframe compiled once for matching; ``match`` is safe to call from many threads."""

    def __init__(self, codeframe: Codeframe) -> None:
        self.codeframe = codeframe
        self.keys: tuple[str, ...] = tuple(t.key for t in codeframe.themes)
        self._keywords: list[_Compiled] = []
        self._exclude: list[_Compiled] = []
        for lang in KEYWORD_LANGUAGES:
            for attr, target in (("keywords", self._keywords), ("exclude", self._exclude)):
                table: dict[str, list[tuple[int, str]]] = {}
                for index, theme in enumerate(codeframe.themes):
                    for term in getattr(theme, attr).get(lang):
                        canonical = fold(term) if lang == "zh" else _canonical_en(term)
                        table.setdefault(canonical, []).append((index, term))
                target.append(_Compiled(lang, table))
        self._excluding = frozenset(i for i, theme in enumerate(codeframe.themes) if theme.exclude)

    def match(self, text: str) -> list[ThemeHit]:
        """The themes whose keywords occur in ``text``, in codeframe order, each once with all its spans."""
        if not text:
            return []
        folded = fold(text)
        found: list[tuple[int, int, int, str]] = []
        for compiled in self._keywords:
            found.extend(compiled.scan(folded))
        if not found:
            return []
        if self._excluding and any(f[0] in self._excluding for f in found):
            vetoes: dict[int, list[tuple[int, int]]] = {}
            for compiled in self._exclude:
                for theme, start, end, _ in compiled.scan(folded):
                    vetoes.setdefault(theme, []).append((start, end))
            if vetoes:
                found = [
                    f
                    for f in found
                    if not any(s < f[2] and f[1] < e for s, e in vetoes.get(f[0], ()))
                ]
        by_theme: dict[int, list[tuple[int, int, str]]] = {}
        for theme, start, end, term in found:
            by_theme.setdefault(theme, []).append((start, end, term))
        hits: list[ThemeHit] = []
        for theme in sorted(by_theme):
            items = sorted(by_theme[theme], key=lambda x: (x[0], -x[1]))
            spans: list[tuple[int, int]] = []
            terms: dict[str, None] = {}
            for start, end, term in items:
                terms.setdefault(term, None)
                if spans and spans[-1][0] <= start and end <= spans[-1][1]:
                    continue  # inside the previous span of the same theme
                spans.append((start, end))
            hits.append(ThemeHit(key=self.keys[theme], spans=tuple(spans), terms=tuple(terms)))
        return hits

    def themes(self, text: str, *, rollup: bool = False) -> list[str]:
        """The keys of the themes found in ``text``; with ``rollup`` their ancestors too (:func:`with_ancestors`)."""
        keys = [hit.key for hit in self.match(text)]
        return with_ancestors(keys) if rollup else keys
