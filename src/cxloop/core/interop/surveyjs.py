"""SurveyJS JSON both ways: ``parse_surveyjs`` reads a SurveyJS survey into cxloop's model (with notes for what
cannot be represented) and ``dump_surveyjs`` writes a cxloop survey as SurveyJS JSON (with notes for what SurveyJS
cannot say, such as page skip rules).

Reading:

* Texts are SurveyJS "localisable strings": a plain string or ``{"default": …, "zh-cn": …, "zh-tw": …}``.
  ``zh-cn`` (and ``zh``) become zh-hans, ``zh-tw`` / ``zh-hk`` zh-hant, ``en`` en; other locales are dropped with
  a note. The ``default`` text is English (SurveyJS's default locale) unless the survey's ``locale`` names a
  language that no text spells out (then ``default`` is that language: a survey written in Chinese with
  ``"locale": "zh-cn"``), or, without a ``locale``, the default texts are Chinese and no text has a ``zh-cn``
  version (read as zh-hans, with a note). The survey's ``locale`` is cxloop's default language.
* ``radiogroup`` → single_choice, ``dropdown`` → dropdown, ``checkbox`` → multi_choice (``tagbox`` too, noted),
  ``comment`` → open_text, ``text`` → single-line open_text (an ``inputType`` other than text is noted),
  ``rating`` → rating (a 0–10 rating named like "nps" or asking to "recommend" → nps, noted), ``matrix`` →
  matrix, ``boolean`` → yes_no. Panels are flattened into their page (noted). Every other element type is
  dropped with a note. A ``cxloopType`` property (written by ``dump_surveyjs``) restores csat, ces, nps, sus,
  umux_lite and consent.
* ``choices`` (strings, numbers or ``{value, text}``) become options whose keys are the values made to fit
  cxloop's key pattern (``codes`` maps each SurveyJS value to its option key; renamed values are noted);
  ``hasOther`` / ``showOtherItem`` → an option ``other`` that asks to specify, ``hasNone`` / ``showNoneItem`` → an
  exclusive option ``none`` (in SurveyJS's order: choices, None, Other).
* ``visibleIf`` (of questions, panels and pages): comparisons of ``{name}`` with constants (=, !=, <, <=, >,
  >=, contains, notcontains, anyof, allof, noneof, empty, notempty) joined by and / or / ! become ``display_if``;
  a ``{name}`` that is no question of the survey is read as an embedded (hidden) value — a SurveyJS variable —
  and declared, with a note. Any other expression is dropped with a note (the question is then always shown).
* ``{name}`` in texts (SurveyJS piping) becomes ``{{answer:key}}`` where cxloop allows it (an answer of an
  earlier page), ``{{embedded:name}}`` for variables, and stays literal text otherwise (noted).
* ``columns`` maps SurveyJS result keys to cxloop answer keys: ``name`` → key, ``name-Comment`` →
  ``key.specify`` (the Other text), ``matrix.row`` → ``key.item``.

Writing: see ``dump_surveyjs``.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cxloop.core.interop import CHANGED, DROPPED, ImportedResponses, ImportedSurvey, InteropError, Note
from cxloop.core.interop._sjs_expr import Cmp, ExprError, Logic, Neg, Node, parse_expression
from cxloop.core.interop._text import (
    check_size,
    first_text,
    language,
    make_key,
    make_option_key,
    ordered,
    plain,
    value_text,
)
from cxloop.core.survey_model import (
    CHOICE_TYPES,
    ITEM_TYPES,
    LANGUAGES,
    MAX_ITEMS,
    MAX_OPTIONS,
    MAX_TEXT_LENGTH,
    NO,
    SCALE_TYPES,
    YES,
    AllOf,
    AnyOf,
    Condition,
    Not,
    Question,
    SurveySpec,
    Text,
)
from cxloop.core.survey_parse import parse
from cxloop.core.survey_standard import STANDARD_ITEMS

SJS_LOCALES = {"zh-hans": "zh-cn", "zh-hant": "zh-tw", "en": "en"}
CXLOOP_TYPE = "cxloopType"  # a custom property dump_surveyjs writes for types SurveyJS has no name for
_EXTRA_TYPES = {"nps": "rating", "csat": "rating", "ces": "rating", "sus": "matrix", "umux_lite": "matrix",
                "consent": "boolean"}
_FIXED = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "sus": (1, 5), "umux_lite": (1, 7)}
_LOCALISABLE = frozenset({
    "title", "description", "text", "completedHtml", "otherText", "noneText", "labelTrue", "labelFalse",
    "minRateDescription", "maxRateDescription", "html", "placeholder", "commentText", "selectAllText",
    "completedBeforeHtml", "requiredErrorText", "otherPlaceholder",
})
_HAN = re.compile(r"[\u4e00-\u9fff]")
_PIPE = re.compile(r"\{([^{}]+)\}")
_OTHER_TEXT = {"zh-hans": "其他（请注明）", "zh-hant": "其他（請註明）", "en": "Other (describe)"}
_NONE_TEXT = {"zh-hans": "以上都没有", "zh-hant": "以上皆無", "en": "None"}
_DROPPED_TYPES = {
    "html": "an HTML block (static content)",
    "expression": "a calculated value (expression)",
    "image": "an image",
    "file": "a file upload",
    "signaturepad": "a signature pad",
    "ranking": "a ranking question",
    "matrixdropdown": "a multi-column matrix (matrixdropdown)",
    "matrixdynamic": "a dynamic matrix (matrixdynamic)",
    "multipletext": "a multiple-text question",
    "paneldynamic": "a dynamic panel",
    "imagepicker": "an image picker",
    "slider": "a slider",
}
_ELEMENT_NOTES = {
    "requiredIf": "its requiredIf expression (conditionally required) was not imported",
    "enableIf": "its enableIf expression was not imported (the question is always enabled)",
    "validators": "its validators were not imported",
    "defaultValue": "its default value was not imported",
    "readOnly": "it is read-only in SurveyJS; imported as an ordinary question",
    "choicesVisibleIf": "its choicesVisibleIf expression was not imported (every option is shown)",
    "choicesEnableIf": "its choicesEnableIf expression was not imported",
    "choicesFromQuestion": "its choices copied from another question were not imported",
    "choicesByUrl": "its choices loaded from a web service were not imported",
    "correctAnswer": "its correct answer (quiz) was not imported",
}
_SURVEY_NOTES = {
    "calculatedValues": "calculated values were not imported",
    "completedHtmlOnCondition": "conditional thank-you texts were not imported (the plain one is kept)",
    "navigateToUrlOnCondition": "conditional redirects at the end were not imported",
    "navigateToUrl": "the redirect at the end was not imported",
    "maxTimeToFinish": "the time limit was not imported",
}


@dataclass
class _Q:
    """What conditions and pipes need to know about an imported question."""

    key: str
    type: str
    page: int
    codes: dict[str, str] = field(default_factory=dict)  # SurveyJS value -> option key
    items: dict[str, str] = field(default_factory=dict)  # SurveyJS row value -> item key
    scale: tuple[int, int] | None = None


def _load(data: bytes) -> dict[str, Any]:
    check_size(data, "SurveyJS")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InteropError("the SurveyJS file is not UTF-8 text") from None
    try:
        raw = json.loads(text, parse_constant=lambda name: _refuse(name))
    except json.JSONDecodeError as exc:
        raise InteropError(f"not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise InteropError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InteropError("a SurveyJS survey is a JSON object with pages")
    return raw


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_surveyjs(data: bytes) -> ImportedSurvey:
    """A SurveyJS survey (JSON bytes) as a cxloop survey; InteropError when it is not one."""
    raw = _load(data)
    pages = raw.get("pages")
    if pages is None and isinstance(raw.get("elements") or raw.get("questions"), list):
        pages = [{"name": "page1", "elements": raw.get("elements") or raw.get("questions")}]
    if not isinstance(pages, list) or not pages:
        raise InteropError("not a SurveyJS survey: it has no pages (or elements)")
    return _Reader(raw, pages).read()


class _Reader:
    def __init__(self, raw: dict[str, Any], pages: list[Any]) -> None:
        self.raw = raw
        self.pages_raw = pages
        self.notes: list[Note] = []
        self.columns: dict[str, str] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.keys: set[str] = set()
        self.info: dict[str, _Q] = {}
        self.all_names: set[str] = set()
        self.embedded: dict[str, str] = {}  # SurveyJS variable -> embedded key
        self.embedded_keys: set[str] = set()
        self.dropped_locales: set[str] = set()
        self.filled: list[str] = []
        self.seen: set[str] = set()
        self._collect_names(pages)
        self.default_src, self.lang = self._languages()

    # --- languages ---------------------------------------------------------------------------------------

    def _walk_texts(self, node: Any, explicit: set[str], defaults: list[str]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in _LOCALISABLE and isinstance(v, dict) and all(isinstance(x, str) for x in v.values()):
                    explicit.update(str(loc) for loc in v if loc != "default")
                    if isinstance(v.get("default"), str):
                        defaults.append(v["default"])
                elif k in _LOCALISABLE and isinstance(v, str):
                    defaults.append(v)
                else:
                    self._walk_texts(v, explicit, defaults)
        elif isinstance(node, list):
            for v in node:
                if isinstance(v, str):
                    defaults.append(v)
                else:
                    self._walk_texts(v, explicit, defaults)

    def _languages(self) -> tuple[str, str]:
        explicit: set[str] = set()
        defaults: list[str] = []
        self._walk_texts(self.raw, explicit, defaults)
        spelled = {language(loc) for loc in explicit} - {None}
        locale_raw = self.raw.get("locale")
        locale = language(locale_raw) if isinstance(locale_raw, str) and locale_raw else None
        if isinstance(locale_raw, str) and locale_raw and locale is None:
            self.note("survey", f"its locale '{locale_raw}' is not a cxloop language: texts without a language "
                      "were read as en", CHANGED)
        if locale is not None and locale not in spelled:
            default_src = locale
        elif locale is None and "zh-hans" not in spelled and any(_HAN.search(t) for t in defaults):
            default_src = "zh-hans"
            self.note("survey", "texts without a language are Chinese: read as zh-hans (simplified Chinese)", CHANGED)
        else:
            default_src = "en"
        return default_src, (locale or default_src)

    def note(self, where: str, what: str, kind: str = DROPPED) -> None:
        self.notes.append(Note(where, what, kind))

    def text(self, raw: Any, where: str, *, fallback: str = "", pipes: int | str | None = None) -> Text:
        out: Text = {}
        if isinstance(raw, str | int | float) and not isinstance(raw, bool):
            raw = {"default": str(raw)}
        if isinstance(raw, dict):
            for loc, value in raw.items():
                if loc == "default" or not isinstance(value, str) or not value.strip():
                    continue
                lang = language(str(loc))
                if lang is None:
                    self.dropped_locales.add(str(loc))
                elif lang not in out:
                    out[lang] = value
            default = raw.get("default")
            if isinstance(default, str) and default.strip() and self.default_src not in out:
                out[self.default_src] = default
        if not out and fallback:
            out = {self.lang: fallback}
        if out and self.lang not in out:
            out[self.lang] = first_text(out, self.default_src)
            self.filled.append(where)
        for lang, value in list(out.items()):
            if len(value) > MAX_TEXT_LENGTH:
                out[lang] = value[:MAX_TEXT_LENGTH]
                self.note(where, f"its {lang} text is longer than {MAX_TEXT_LENGTH:,} characters: cut", CHANGED)
            if pipes is not None:
                out[lang] = self.pipes(out[lang], pipes, where)
        return {lang: out[lang] for lang in LANGUAGES if lang in out}

    # --- names, pipes and variables ------------------------------------------------------------------------

    def _collect_names(self, node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("name")
            if isinstance(name, str) and "type" in node:
                self.all_names.add(name)
            for v in node.values():
                if isinstance(v, dict | list):
                    self._collect_names(v)
        elif isinstance(node, list):
            for v in node:
                self._collect_names(v)

    def variable(self, name: str) -> str:
        if name not in self.embedded:
            key = make_key(name, self.embedded_keys, f"embedded{len(self.embedded) + 1}")
            self.embedded[name] = key
            self.note(f"variable '{name}'", f"{{{name}}} is no question of this survey: read as the embedded "
                      f"(hidden) value '{key}', which the link, widget or API must pass", CHANGED)
        return self.embedded[name]

    def pipes(self, value: str, context: int | str, where: str) -> str:
        """SurveyJS ``{name}`` piping in a text: ``context`` is the page index of the text, "survey" (title,
        intro: no answers) or "end" (thank-you: any answer)."""

        def one(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            base, dot, row = name.partition(".")

            def allowed(q: _Q) -> bool:
                return context == "end" or (isinstance(context, int) and q.page < context)

            exact = self.info.get(name)
            if exact is not None and allowed(exact):
                return f"{{{{answer:{exact.key}}}}}"
            whole = self.info.get(base) if dot and exact is None else None
            if whole is not None and allowed(whole) and whole.type in ITEM_TYPES and row in whole.items:
                return f"{{{{answer:{whole.key}.{whole.items[row]}}}}}"
            if name in self.all_names or base in self.all_names:
                self.note(where, f"pipes {{{name}}}, an answer cxloop cannot show here: kept as literal text",
                          CHANGED)
                return match.group(0)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", name):
                return match.group(0)
            return f"{{{{embedded:{self.variable(name)}}}}}"

        return _PIPE.sub(one, value)

    # --- the survey --------------------------------------------------------------------------------------

    def read(self) -> ImportedSurvey:
        for prop, what in _SURVEY_NOTES.items():
            if self.raw.get(prop):
                self.note("survey", what)
        triggers = self.raw.get("triggers")
        for i, trigger in enumerate(triggers if isinstance(triggers, list) else []):
            kind = trigger.get("type", "?") if isinstance(trigger, dict) else "?"
            when = trigger.get("expression", "") if isinstance(trigger, dict) else ""
            self.note(f"trigger {i + 1}", f"a '{kind}' trigger (when {when or 'always'}) was not imported: cxloop "
                      "has no triggers")
        title = self.text(self.raw.get("title"), "survey title", pipes="survey")
        if not title:
            title = {self.lang: "SurveyJS survey"}
            self.note("survey", "it has no title: named 'SurveyJS survey'", CHANGED)
        intro = self.text(self.raw.get("description"), "survey description", pipes="survey")
        pages: list[dict[str, Any]] = []
        page_keys: set[str] = set()
        for index, page in enumerate(self.pages_raw):
            built = self.page(page, index, len(pages), page_keys)
            if built is not None:
                pages.append(built)
        if not pages:
            raise InteropError("no question of this SurveyJS survey can be imported")
        thank_you = self.thank_you()
        for loc in sorted(self.dropped_locales):
            self.note(f"locale '{loc}'", "texts in this language were not imported (cxloop has zh-hans, zh-hant "
                      "and en)")
        if self.filled:
            shown = ", ".join(self.filled[:5]) + (" …" if len(self.filled) > 5 else "")
            self.note("survey", f"{len(self.filled)} text(s) have no {self.lang} version: the text SurveyJS shows "
                      f"instead was used ({shown})", CHANGED)
        languages = ordered({self.lang, self.default_src} | self.seen_languages(title, pages))
        definition: dict[str, Any] = {
            "name": title,
            "title": title,
            "default_language": self.lang,
            "languages": languages,
        }
        if intro:
            definition["intro"] = intro
        if thank_you:
            definition["thank_you"] = thank_you
        if self.embedded:
            definition["embedded"] = [{"key": key, "label": {self.lang: name}} for name, key in self.embedded.items()]
        definition["pages"] = pages
        spec = parse(definition)
        return ImportedSurvey(
            source="surveyjs",
            name=first_text(title, self.lang),
            spec=spec,
            notes=tuple(self.notes),
            columns=self.columns,
            codes=self.codes,
        )

    def seen_languages(self, title: Text, pages: list[dict[str, Any]]) -> set[str]:
        found: set[str] = set(title)

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node and all(k in LANGUAGES for k in node) and all(isinstance(v, str) for v in node.values()):
                    found.update(node)
                    return
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(pages)
        return found

    def thank_you(self) -> Text:
        raw = self.raw.get("completedHtml")
        if raw is None:
            return {}
        text = self.text(raw, "completedHtml", pipes="end")
        out: Text = {}
        rich = False
        for lang, value in text.items():
            if re.search(r"<(?!br\s*/?>|/?p>)[^>]*>", value, re.IGNORECASE):
                rich = True
            cleaned = plain(value)
            if cleaned:
                out[lang] = cleaned
        if rich:
            self.note("completedHtml", "the thank-you page is HTML: imported as plain text (formatting, links and "
                      "images dropped)", CHANGED)
        return out

    def page(self, raw: Any, index: int, built: int, page_keys: set[str]) -> dict[str, Any] | None:
        name = raw.get("name") if isinstance(raw, dict) else None
        where = f"page '{name}'" if isinstance(name, str) and name else f"page {index + 1}"
        if not isinstance(raw, dict):
            self.note(where, "not a page object: skipped")
            return None
        elements = raw.get("elements", raw.get("questions"))
        if not isinstance(elements, list):
            elements = []
        inherited: list[dict[str, Any]] = []
        cond = self.visible_if(raw, where, "the page's questions are always shown")
        if cond is not None:
            inherited.append(cond)
            self.note(where, "its visibleIf became a display condition of each of its questions", CHANGED)
        if raw.get("visible") is False:
            self.note(where, "hidden (visible: false): not imported")
            return None
        questions: list[dict[str, Any]] = []
        self.elements(elements, built, inherited, questions, where)
        if not questions:
            self.note(where, "no question of this page could be imported: the page is left out")
            return None
        fallback = f"page{built + 1}"
        key = make_key(name, page_keys, fallback) if isinstance(name, str) and name else make_key("", page_keys,
                                                                                                fallback)
        page: dict[str, Any] = {"key": key, "questions": questions}
        title = self.text(raw.get("title"), f"{where} title", pipes=built)
        if title:
            page["title"] = title
        if raw.get("description"):
            self.note(where, "its description was not imported (cxloop pages have a title only)")
        return page

    def elements(self, elements: list[Any], page: int, inherited: list[dict[str, Any]],
                 out: list[dict[str, Any]], where: str) -> None:
        for el in elements:
            if not isinstance(el, dict):
                self.note(where, f"an element that is not an object ({type(el).__name__}) was skipped")
                continue
            etype = el.get("type")
            name = str(el["name"]) if isinstance(el.get("name"), str) else ""
            if etype in ("panel", "flowpanel"):
                pwhere = f"panel '{name}'"
                if el.get("visible") is False:
                    self.note(pwhere, "hidden (visible: false): not imported, nor its questions")
                    continue
                cond = self.visible_if(el, pwhere, "its questions are always shown")
                children = el.get("elements", el.get("questions"))
                kids = children if isinstance(children, list) else []
                self.note(pwhere, f"the panel was flattened: its {len(kids)} element(s) are placed on the page "
                          "directly (its title and description are not kept)", CHANGED)
                self.elements(kids, page, [*inherited, *([cond] if cond else [])], out, pwhere)
                continue
            question = self.element(el, name, page, inherited)
            if question is not None:
                out.append(question)

    # --- conditions --------------------------------------------------------------------------------------

    def visible_if(self, raw: dict[str, Any], where: str, otherwise: str) -> dict[str, Any] | None:
        expr = raw.get("visibleIf")
        if expr is None or (isinstance(expr, str) and not expr.strip()):
            return None
        if not isinstance(expr, str):
            self.note(where, f"its visibleIf is not text: not imported ({otherwise})")
            return None
        try:
            return self.condition(parse_expression(expr))
        except ExprError as exc:
            self.note(where, f"its visibleIf {expr!r} was not imported ({exc}): {otherwise}")
            return None

    def condition(self, node: Node) -> dict[str, Any]:
        if isinstance(node, Logic):
            return {"all" if node.op == "and" else "any": [self.condition(p) for p in node.parts]}
        if isinstance(node, Neg):
            return {"not": self.condition(node.node)}
        return self.compare(node)

    def compare(self, node: Cmp) -> dict[str, Any]:
        name = node.name
        base, dot, row = name.partition(".")
        q = self.info.get(name)
        ref = q.key if q is not None else ""
        kind = ""
        if q is None and dot and base in self.info and self.info[base].type in ITEM_TYPES:
            q = self.info[base]
            if row not in q.items:
                raise ExprError(f"'{base}' has no row '{row}'")
            ref, kind = f"{q.key}.{q.items[row]}", "number"
        if q is None:
            if name in self.all_names or base in self.all_names:
                raise ExprError(f"'{name}' is not an earlier question that was imported")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", name):
                raise ExprError(f"{{{name}}} is not a question or variable name")
            return self.compare_embedded(self.variable(name), node)
        if not kind:
            if q.type in SCALE_TYPES:
                kind = "number"
            elif q.type in ITEM_TYPES:
                kind = "items"
            elif q.type == "open_text":
                kind = "text"
            elif q.type == "multi_choice":
                kind = "multi"
            else:
                kind = "choice"
        op = node.op
        if op in ("empty", "notempty"):
            return {"question": ref, "op": "answered" if op == "notempty" else "not_answered"}
        if kind == "items":
            raise ExprError(f"a whole matrix '{name}' can only be tested with empty / notempty")
        if kind == "number":
            return self.compare_number(ref, node, q.scale)
        if kind == "text":
            value = node.value
            if isinstance(value, (list, bool)) or not str(value).strip():
                raise ExprError(f"{value!r} is not a text to compare with")
            if op in ("eq", "neq", "contains"):
                return {"question": ref, "op": op, "value": str(value)}
            if op == "notcontains":
                return {"not": {"question": ref, "op": "contains", "value": str(value)}}
            raise ExprError(f"'{op}' does not apply to a text answer")
        if kind == "multi":
            if op in ("contains", "notcontains"):
                one: dict[str, Any] = {"question": ref, "op": "contains", "value": self.code(q, name, node.value)}
                return one if op == "contains" else {"not": one}
            values = self.code_list(q, name, node.value)
            if op == "anyof":
                return {"question": ref, "op": "in", "value": values}
            if op == "noneof":
                return {"question": ref, "op": "not_in", "value": values}
            if op == "allof":
                return {"all": [{"question": ref, "op": "contains", "value": v} for v in values]}
            raise ExprError(f"'{op}' does not apply to a checkbox answer (use contains, anyof, allof, noneof)")
        if op in ("eq", "neq"):
            return {"question": ref, "op": op, "value": self.code(q, name, node.value)}
        if op in ("anyof", "noneof"):
            values = self.code_list(q, name, node.value)
            return {"question": ref, "op": "in" if op == "anyof" else "not_in", "value": values}
        raise ExprError(f"'{op}' does not apply to a choice answer")

    def code(self, q: _Q, name: str, value: Any) -> str:
        if isinstance(value, list):
            if len(value) == 1:
                value = value[0]
            else:
                raise ExprError(f"a list {value!r} is compared where one value is needed")
        key = q.codes.get(value_text(value))
        if key is None:
            raise ExprError(f"{value!r} is not a choice of '{name}'")
        return key

    def code_list(self, q: _Q, name: str, value: Any) -> list[str]:
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ExprError("an empty list")
        return [self.code(q, name, v) for v in values]

    @staticmethod
    def number(value: Any) -> int | float:
        if isinstance(value, (bool, list)):
            raise ExprError(f"{value!r} is not a number")
        if isinstance(value, int | float):
            return value
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ExprError(f"{value!r} is not a number") from None
        return int(number) if number.is_integer() else number

    def compare_number(self, ref: str, node: Cmp, scale: tuple[int, int] | None) -> dict[str, Any]:
        ops = {"eq": "eq", "neq": "neq", "lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte"}
        if node.op in ops:
            value = self.number(node.value)
            if scale is not None and not scale[0] <= value <= scale[1]:
                raise ExprError(f"{value} is outside the scale {scale[0]}..{scale[1]}")
            return {"question": ref, "op": ops[node.op], "value": value}
        if node.op in ("anyof", "noneof"):
            raw = node.value if isinstance(node.value, list) else [node.value]
            values = [self.number(v) for v in raw]
            if not values or (scale is not None and any(not scale[0] <= v <= scale[1] for v in values)):
                raise ExprError("the values are outside the scale")
            return {"question": ref, "op": "in" if node.op == "anyof" else "not_in", "value": values}
        raise ExprError(f"'{node.op}' does not apply to a number")

    def compare_embedded(self, key: str, node: Cmp) -> dict[str, Any]:
        op, value = node.op, node.value
        if op in ("empty", "notempty"):
            return {"embedded": key, "op": "answered" if op == "notempty" else "not_answered"}
        if op in ("anyof", "noneof"):
            values = value if isinstance(value, list) else [value]
            if not values or any(isinstance(v, bool | list) for v in values):
                raise ExprError(f"{value!r} cannot be compared with a variable")
            return {"embedded": key, "op": "in" if op == "anyof" else "not_in", "value": values}
        if isinstance(value, bool | list):
            raise ExprError(f"{value!r} cannot be compared with a variable")
        if op in ("lt", "lte", "gt", "gte"):
            return {"embedded": key, "op": op, "value": self.number(value)}
        if op in ("eq", "neq", "contains"):
            return {"embedded": key, "op": op, "value": value}
        if op == "notcontains":
            return {"not": {"embedded": key, "op": "contains", "value": value}}
        raise ExprError(f"'{op}' does not apply to a variable")

    # --- questions -----------------------------------------------------------------------------------------

    def element(self, el: dict[str, Any], name: str, page: int,
                inherited: list[dict[str, Any]]) -> dict[str, Any] | None:
        etype = el.get("type")
        where = f"question '{name}'" if name else f"a {etype} element on page {page + 1}"
        if not isinstance(etype, str):
            self.note(where, "an element without a type: skipped")
            return None
        if etype in _DROPPED_TYPES:
            self.note(where, f"{_DROPPED_TYPES[etype]}: cxloop has no equivalent, not imported")
            return None
        builders = {
            "radiogroup": self.choice,
            "dropdown": self.choice,
            "checkbox": self.choice,
            "tagbox": self.choice,
            "comment": self.open_text,
            "text": self.open_text,
            "rating": self.rating,
            "matrix": self.matrix,
            "boolean": self.boolean,
        }
        if etype not in builders:
            self.note(where, f"a '{etype}' element: cxloop has no equivalent, not imported")
            return None
        if not name:
            self.note(where, "an element without a name: not imported")
            return None
        if el.get("visible") is False:
            self.note(where, "hidden (visible: false): not imported")
            return None
        key = make_key(name, self.keys, f"q{len(self.keys) + 1}")
        if key != name:
            self.note(where, f"its name is not a valid cxloop key: imported as '{key}'", CHANGED)
        q: dict[str, Any] = {"key": key}
        info = _Q(key=key, type="", page=page)
        text = self.text(el.get("title"), where, fallback=name, pipes=page)
        q["text"] = text
        help_text = self.text(el.get("description"), f"{where} description", pipes=page)
        if help_text:
            q["help"] = help_text
        if not builders[etype](el, q, info, where):
            self.keys.discard(key)
            return None
        q["required"] = el.get("isRequired") is True or (etype == "matrix" and el.get("isAllRowRequired") is True)
        for prop, what in _ELEMENT_NOTES.items():
            if el.get(prop) not in (None, "", [], {}, False):
                self.note(where, what)
        if el.get("hasComment") or el.get("showCommentArea"):
            self.note(where, "its comment box was not imported")
        conditions = list(inherited)
        own = self.visible_if(el, where, "the question is always shown")
        if own is not None:
            conditions.append(own)
        if conditions:
            q["display_if"] = conditions[0] if len(conditions) == 1 else {"all": conditions}
        info.type = q["type"]
        self.info[name] = info
        self.columns.setdefault(name, key)
        if info.codes:
            self.codes[key] = dict(info.codes)
        return q

    def custom_type(self, el: dict[str, Any], where: str, allowed: tuple[str, ...]) -> str:
        custom = el.get(CXLOOP_TYPE)
        if custom is None:
            return ""
        if custom in allowed:
            return str(custom)
        self.note(where, f"its {CXLOOP_TYPE} {custom!r} does not fit a {el.get('type')} element: ignored", CHANGED)
        return ""

    def choice(self, el: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        etype = el["type"]
        qtype = {"radiogroup": "single_choice", "dropdown": "dropdown"}.get(etype, "multi_choice")
        if etype == "tagbox":
            self.note(where, "a tag box (multi-select dropdown): imported as a multi-choice question", CHANGED)
        raw = el.get("choices")
        choices = raw if isinstance(raw, list) else []
        options: list[dict[str, Any]] = []
        used: set[str] = set()
        renamed: list[str] = []
        for i, choice in enumerate(choices):
            text_raw = None
            if isinstance(choice, dict):
                value, text_raw = choice.get("value"), choice.get("text")
                if choice.get("visibleIf") or choice.get("enableIf"):
                    self.note(where, f"the condition on choice {value_text(value)!r} was not imported")
            else:
                value = choice
            if value is None or isinstance(value, dict | list) or not value_text(value).strip():
                self.note(where, f"choice {i + 1} has no usable value: not imported")
                continue
            sval = value_text(value)
            if sval in info.codes:
                self.note(where, f"choice {sval!r} is listed twice: the second is left out")
                continue
            if len(options) >= MAX_OPTIONS - 2:
                self.note(where, f"more than {MAX_OPTIONS - 2} choices: {sval!r} and the rest were not imported")
                break
            key = make_option_key(sval, used, f"o{i + 1}")
            if key != sval:
                renamed.append(f"{sval!r} → {key}")
            info.codes[sval] = key
            text = self.text(text_raw, f"{where} choice {sval!r}", fallback=sval, pipes=info.page)
            options.append({"key": key, "text": text})
        if renamed:
            self.note(where, "choice values renamed to fit cxloop's option keys: " + ", ".join(renamed), CHANGED)
        none = el.get("showNoneItem", el.get("hasNone"))
        if none is True:
            key = make_option_key("none", used, "none")
            info.codes["none"] = key
            text = self.text(el.get("noneText"), f"{where} None", fallback="")
            option: dict[str, Any] = {"key": key, "text": text or self.default_text(_NONE_TEXT), "fixed": True}
            if qtype == "multi_choice":
                option["exclusive"] = True
            options.append(option)
        other = el.get("showOtherItem", el.get("hasOther"))
        if other is True:
            key = make_option_key("other", used, "other")
            info.codes["other"] = key
            text = self.text(el.get("otherText"), f"{where} Other", fallback="")
            options.append({"key": key, "text": text or self.default_text(_OTHER_TEXT), "fixed": True,
                            "specify": True})
            self.columns[f"{el['name']}-Comment"] = f"{q['key']}.specify"
        if el.get("showSelectAllItem") or el.get("hasSelectAll"):
            self.note(where, "its 'Select all' item was not imported")
        if el.get("showRefuseItem") or el.get("showDontKnowItem"):
            self.note(where, "its 'Refuse to answer' / 'Don't know' items were not imported")
        if len(options) < 2:
            self.note(where, f"a choice question with {len(options)} usable choice(s): not imported")
            return False
        q["type"] = qtype
        q["options"] = options
        order = el.get("choicesOrder")
        if order == "random":
            q["randomize"] = True
        elif order in ("asc", "desc"):
            self.note(where, f"its choices are sorted ({order}) in SurveyJS: imported in the order listed", CHANGED)
        if qtype == "multi_choice":
            for prop, field_name in (("minSelectedChoices", "min_choices"), ("maxSelectedChoices", "max_choices")):
                limit = el.get(prop)
                if isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= len(options):
                    q[field_name] = limit
                elif limit not in (None, 0):
                    self.note(where, f"its {prop} {limit!r} was not imported")
        return True

    def default_text(self, texts: Text) -> Text:
        return {lang: texts[lang] for lang in LANGUAGES if lang in texts and lang in {self.lang, self.default_src}}

    def open_text(self, el: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        q["type"] = "open_text"
        q["multiline"] = el["type"] == "comment"
        input_type = el.get("inputType", "text")
        if el["type"] == "text" and input_type != "text":
            self.note(where, f"a text input of type {input_type!r}: imported as single-line text (the "
                      f"{input_type} format check is lost)", CHANGED)
        length = el.get("maxLength")
        if isinstance(length, int) and not isinstance(length, bool) and 1 <= length <= MAX_TEXT_LENGTH:
            q["max_length"] = length
        elif length not in (None, 0, -1):
            self.note(where, f"its maxLength {length!r} was not imported", CHANGED)
        return True

    def rating(self, el: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        labels: dict[int, Any] = {}
        values = el.get("rateValues")
        points: list[int]
        if isinstance(values, list) and values:
            points = []
            for entry in values:
                value, text_raw = (entry.get("value"), entry.get("text")) if isinstance(entry, dict) else (entry, None)
                try:
                    number = self.number(value)
                except ExprError:
                    self.note(where, f"a rating whose values are not numbers ({value_text(value)!r}): not imported")
                    return False
                if not float(number).is_integer():
                    self.note(where, f"a rating with the value {number}: not imported (whole numbers only)")
                    return False
                point = int(number)
                points.append(point)
                text = self.text(text_raw, f"{where} rate value {point}", pipes=info.page)
                if text and text.get(self.lang) != str(point):
                    labels[point] = text
        else:
            lo, hi, step = el.get("rateMin", 1), el.get("rateMax"), el.get("rateStep", 1)
            count = el.get("rateCount")
            if hi is None:
                hi = lo + count - 1 if isinstance(count, int) and isinstance(lo, int) else 5
            if not all(isinstance(v, int) and not isinstance(v, bool) and abs(v) < 10_000 for v in (lo, hi, step)) \
                    or step <= 0:
                self.note(where, f"a rating {lo!r}..{hi!r} (step {step!r}): not imported (whole numbers only)")
                return False
            points = list(range(lo, hi + 1, step))
        lo, hi = (min(points), max(points)) if points else (0, -1)
        if points != list(range(lo, hi + 1)) or lo not in (0, 1) or not 2 <= len(points) <= 11:
            shown = ", ".join(str(p) for p in points[:12])
            self.note(where, f"a rating on {shown}: cxloop scales run from 0 or 1 in steps of 1 with 2 to 11 "
                      "points, not imported")
            return False
        for prop, point in (("minRateDescription", lo), ("maxRateDescription", hi)):
            text = self.text(el.get(prop), f"{where} {prop}", pipes=info.page)
            if text:
                labels[point] = text
        custom = self.custom_type(el, where, ("nps", "csat", "ces"))
        if custom and _FIXED[custom] != (lo, hi):
            self.note(where, f"its {CXLOOP_TYPE} {custom!r} does not fit the scale {lo}..{hi}: imported as a "
                      "rating", CHANGED)
            custom = ""
        if not custom and (lo, hi) == (0, 10) and self.looks_like_nps(el, q):
            custom = "nps"
            self.note(where, "a 0–10 rating named or worded as the recommendation question: imported as NPS",
                      CHANGED)
        q["type"] = custom or "rating"
        if not custom:
            q["scale_min"], q["scale_max"] = lo, hi
            style = el.get("rateType", el.get("rateDisplayMode"))
            if style == "stars" and lo == 1:
                q["style"] = "stars"
            elif style not in (None, "labels", "buttons", "auto", "numbers", "stars"):
                self.note(where, f"its {style!r} look was not imported: shown as numbers", CHANGED)
        if custom == "ces":
            q["scale_version"] = "ces2"
        q["labels"] = labels
        info.scale = (lo, hi)
        return True

    @staticmethod
    def looks_like_nps(el: dict[str, Any], q: dict[str, Any]) -> bool:
        name = str(el.get("name", "")).lower()
        if re.search(r"(^|[^a-z])nps($|[^a-z])", name) or name.startswith("nps") or name.endswith("nps"):
            return True
        words = " ".join(q["text"].values()).lower()
        return "recommend" in words or "推荐" in words or "推薦" in words

    def matrix(self, el: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        raw_cols: list[Any] = el["columns"] if isinstance(el.get("columns"), list) else []
        raw_rows: list[Any] = el["rows"] if isinstance(el.get("rows"), list) else []
        cols: list[tuple[str, Any]] = []
        for col in raw_cols:
            value, text_raw = (col.get("value"), col.get("text")) if isinstance(col, dict) else (col, None)
            if value is None or isinstance(value, dict | list) or not value_text(value).strip():
                self.note(where, f"a column without a usable value ({value!r}) was not imported")
                continue
            cols.append((value_text(value), text_raw))
        numbers: list[int] = []
        for value, _ in cols:
            try:
                number = self.number(value)
            except ExprError:
                break
            if float(number).is_integer():
                numbers.append(int(number))
        if len(numbers) == len(cols) and numbers and numbers == list(range(numbers[0], numbers[0] + len(numbers))) \
                and numbers[0] in (0, 1):
            lo = numbers[0]
            points = numbers
            recoded = False
        else:
            lo, points, recoded = 1, list(range(1, len(cols) + 1)), True
        if not 2 <= len(points) <= 11:
            self.note(where, f"a matrix with {len(cols)} column(s): cxloop matrices have 2 to 11 scale points, not "
                      "imported")
            return False
        labels: dict[int, Any] = {}
        for point, (value, text_raw) in zip(points, cols, strict=True):
            text = self.text(text_raw, f"{where} column {value!r}", pipes=info.page)
            if text and text.get(self.lang) != value:
                labels[point] = text
            elif recoded:
                labels[point] = {self.lang: value}
            info.codes[value] = str(point)
        if recoded:
            shown = ", ".join(f"{v!r} → {p}" for p, (v, _) in zip(points, cols, strict=True))
            self.note(where, f"its columns are not the numbers {lo}..{lo + len(points) - 1}: numbered in order "
                      f"({shown})", CHANGED)
        items: list[dict[str, Any]] = []
        used: set[str] = set()
        for i, row in enumerate(raw_rows):
            value, text_raw = (row.get("value"), row.get("text")) if isinstance(row, dict) else (row, None)
            if value is None or isinstance(value, dict | list) or not value_text(value).strip():
                self.note(where, f"a row without a usable value ({value!r}) was not imported")
                continue
            sval = value_text(value)
            if sval in info.items:
                continue
            if len(items) >= MAX_ITEMS:
                self.note(where, f"more than {MAX_ITEMS} rows: {sval!r} and the rest were not imported")
                break
            key = make_option_key(sval, used, f"r{i + 1}")
            info.items[sval] = key
            items.append({"key": key, "text": self.text(text_raw, f"{where} row {sval!r}", fallback=sval,
                                                         pipes=info.page)})
            self.columns[f"{el['name']}.{sval}"] = f"{q['key']}.{key}"
        if not items:
            self.note(where, "a matrix without rows: not imported")
            return False
        custom = self.custom_type(el, where, ("sus", "umux_lite"))
        if custom and (_FIXED[custom] != (points[0], points[-1]) or recoded
                       or [i["key"] for i in items] != [i.key for i in STANDARD_ITEMS[custom]]):
            self.note(where, f"its {CXLOOP_TYPE} {custom!r} does not fit its rows and columns: imported as a "
                      "matrix", CHANGED)
            custom = ""
        q["type"] = custom or "matrix"
        q["items"] = items
        if not custom:
            q["scale_min"], q["scale_max"] = points[0], points[-1]
            if el.get("rowsOrder") == "random":
                q["randomize"] = True
        q["labels"] = labels
        if el.get("isRequired") is True and el.get("isAllRowRequired") is not True:
            self.note(where, "required in SurveyJS (any row); cxloop requires every row of a required matrix",
                      CHANGED)
        info.scale = (points[0], points[-1])
        if not recoded:
            info.codes = {}
        return True

    def boolean(self, el: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        custom = self.custom_type(el, where, ("consent",))
        q["type"] = custom or "yes_no"
        true_value = value_text(el.get("valueTrue", True))
        false_value = value_text(el.get("valueFalse", False))
        info.codes = {true_value: YES, false_value: NO, "true": YES, "false": NO}
        if not custom:
            label_true = self.text(el.get("labelTrue"), f"{where} labelTrue", pipes=info.page)
            label_false = self.text(el.get("labelFalse"), f"{where} labelFalse", pipes=info.page)
            if label_true or label_false:
                q["options"] = [
                    {"key": YES, "text": label_true or {self.lang: "Yes"}},
                    {"key": NO, "text": label_false or {self.lang: "No"}},
                ]
        return True


# --- writing SurveyJS ----------------------------------------------------------------------------------------


def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value_text(value)
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


_SYMBOLS = {"eq": "=", "neq": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def expression(condition: Condition) -> str:
    """A cxloop condition as a SurveyJS expression (``{nps} <= 6 and {channel} anyof ['web', 'app']``)."""
    if isinstance(condition, AllOf | AnyOf):
        joiner = " and " if isinstance(condition, AllOf) else " or "
        return joiner.join(_wrapped(c) for c in condition.conditions)
    if isinstance(condition, Not):
        return f"!({expression(condition.condition)})"
    ref = f"{{{condition.ref}}}"
    op, value = condition.op, condition.value
    if op in _SYMBOLS:
        return f"{ref} {_SYMBOLS[op]} {_lit(value)}"
    if op in ("in", "not_in"):
        return f"{ref} {'anyof' if op == 'in' else 'noneof'} [{', '.join(_lit(v) for v in value)}]"
    if op == "contains":
        return f"{ref} contains {_lit(value)}"
    return f"{ref} {'notempty' if op == 'answered' else 'empty'}"


def _wrapped(condition: Condition) -> str:
    text = expression(condition)
    return f"({text})" if isinstance(condition, AllOf | AnyOf | Not) else text


class _Writer:
    def __init__(self, spec: SurveySpec) -> None:
        self.spec = spec
        self.notes: list[Note] = []
        self.base = "en" if "en" in spec.languages else spec.default_language

    def loc(self, text: Text) -> Any:
        """``{"default": …, "zh-cn": …, "zh-tw": …}`` (a plain string when there is one language)."""
        text = {lang: _PIPE_OUT.sub(lambda m: "{" + m.group(2) + "}", value) for lang, value in text.items()}
        default = text.get(self.base) or first_text(text, self.spec.default_language)
        out: dict[str, str] = {"default": default}
        for lang in LANGUAGES:
            if lang != self.base and lang in text:
                out[SJS_LOCALES[lang]] = text[lang]
        return default if len(out) == 1 else out

    def dump(self) -> dict[str, Any]:
        spec = self.spec
        out: dict[str, Any] = {}
        if spec.default_language != "en":
            out["locale"] = SJS_LOCALES[spec.default_language]
        out["title"] = self.loc(spec.title)
        if spec.intro:
            out["description"] = self.loc(spec.intro)
        if spec.name or spec.description:
            self.notes.append(Note("survey", "its name and description (shown in cxloop's admin only) are not part "
                                   "of the SurveyJS survey", CHANGED))
        for embedded in spec.embedded:
            self.notes.append(Note(
                f"embedded field '{embedded.key}'",
                f"SurveyJS has no declared hidden values: conditions and texts refer to it as the variable "
                f"{{{embedded.key}}}; set it with survey.setVariable('{embedded.key}', …)",
                CHANGED,
            ))
        out["pages"] = []
        for page in spec.pages:
            entry: dict[str, Any] = {"name": page.key}
            if page.title:
                entry["title"] = self.loc(page.title)
            entry["elements"] = [self.question(q) for q in page.questions]
            out["pages"].append(entry)
            for rule in page.skip:
                when = f"when {expression(rule.condition)}" if rule.condition is not None else "always"
                target = "the end" if rule.to == "end" else f"page '{rule.to}'"
                self.notes.append(Note(f"page '{page.key}'", f"its skip rule to {target} ({when}) was not "
                                       "written: SurveyJS has no page skip", DROPPED))
        if spec.thank_you:
            text = {lang: html.escape(v, quote=False).replace("\n", "<br>") for lang, v in spec.thank_you.items()}
            out["completedHtml"] = self.loc(text)
        return out

    def question(self, q: Question) -> dict[str, Any]:
        el: dict[str, Any] = {"type": "", "name": q.key, "title": self.loc(q.text)}
        if q.help:
            el["description"] = self.loc(q.help)
        if q.required:
            el["isRequired"] = True
        if q.display_if is not None:
            el["visibleIf"] = expression(q.display_if)
        if q.type in _EXTRA_TYPES:
            el[CXLOOP_TYPE] = q.type
        if q.type in SCALE_TYPES:
            self.rating(q, el)
        elif q.type in CHOICE_TYPES:
            self.choices(q, el)
        elif q.type == "open_text":
            el["type"] = "comment" if q.multiline else "text"
            if q.max_length != MAX_TEXT_LENGTH:
                el["maxLength"] = q.max_length
        elif q.type in ITEM_TYPES:
            el["type"] = "matrix"
            el["columns"] = [
                {"value": p, "text": self.loc(q.labels[p])} if p in q.labels else p for p in q.points
            ]
            el["rows"] = [{"value": i.key, "text": self.loc(i.text)} for i in q.items]
            if q.required:
                el["isAllRowRequired"] = True
            if q.randomize:
                el["rowsOrder"] = "random"
        else:  # yes_no, consent
            el["type"] = "boolean"
            el["valueTrue"], el["valueFalse"] = YES, NO
            yes, no = q.option(YES), q.option(NO)
            if yes is not None and no is not None:
                el["labelTrue"], el["labelFalse"] = self.loc(yes.text), self.loc(no.text)
            if q.type == "consent" and q.required:
                self.notes.append(Note(f"question '{q.key}'", "a required consent: SurveyJS accepts 'no' as an "
                                       "answer to a required boolean", CHANGED))
        return {k: el[k] for k in _ORDER if k in el} | {k: v for k, v in el.items() if k not in _ORDER}

    def rating(self, q: Question, el: dict[str, Any]) -> None:
        el["type"] = "rating"
        lo, hi = q.scale_min, q.scale_max
        assert lo is not None and hi is not None
        if set(q.labels) <= {lo, hi}:
            el["rateMin"], el["rateMax"] = lo, hi
            if lo in q.labels:
                el["minRateDescription"] = self.loc(q.labels[lo])
            if hi in q.labels:
                el["maxRateDescription"] = self.loc(q.labels[hi])
        else:
            el["rateValues"] = [{"value": p, "text": self.loc(q.labels[p])} if p in q.labels else p for p in q.points]
        if q.stars:
            el["rateType"] = "stars"

    def choices(self, q: Question, el: dict[str, Any]) -> None:
        el["type"] = {"single_choice": "radiogroup", "dropdown": "dropdown"}.get(q.type, "checkbox")
        where = f"question '{q.key}'"
        specify = next((o for o in q.options if o.specify), None)
        exclusive = next((o for o in q.options if o.exclusive), None)
        regular = [o for o in q.options if o is not specify and o is not exclusive]
        el["choices"] = [{"value": o.key, "text": self.loc(o.text)} for o in regular]
        expected = [*regular, *([exclusive] if exclusive else []), *([specify] if specify else [])]
        if exclusive is not None:
            el["hasNone"] = True
            el["noneText"] = self.loc(exclusive.text)
            if exclusive.key != "none":
                self.notes.append(Note(where, f"its exclusive option '{exclusive.key}' is SurveyJS's None item, "
                                       "whose answer value is 'none'", CHANGED))
        if specify is not None:
            el["hasOther"] = True
            el["otherText"] = self.loc(specify.text)
            if specify.key != "other":
                self.notes.append(Note(where, f"its option '{specify.key}' that asks to specify is SurveyJS's "
                                       "Other item, whose answer value is 'other'", CHANGED))
        if list(q.options) != expected:
            order = ", ".join(o.key for o in expected)
            self.notes.append(Note(where, f"SurveyJS shows its None and Other items after the other choices: the "
                                   f"options are in the order {order}", CHANGED))
        if q.randomize:
            el["choicesOrder"] = "random"
            kept = [o.key for o in regular if o.fixed]
            if kept:
                self.notes.append(Note(where, f"options {', '.join(kept)} stay in place in cxloop; SurveyJS "
                                       "shuffles them with the others", CHANGED))
        if q.min_choices is not None:
            el["minSelectedChoices"] = q.min_choices
        if q.max_choices is not None:
            el["maxSelectedChoices"] = q.max_choices


_PIPE_OUT = re.compile(r"\{\{\s*(answer|embedded)\s*:\s*([^{}\s]*)\s*\}\}")
_ORDER = ("type", "name", "title", "description", "isRequired", "visibleIf")


def dump_surveyjs(spec: SurveySpec) -> tuple[dict[str, Any], list[Note]]:
    """The survey as SurveyJS JSON (a dict for ``json.dumps``), and notes on what SurveyJS cannot say: page skip
    rules (dropped), embedded fields (SurveyJS variables), options moved or renamed by SurveyJS's None and Other
    items. Texts are ``{"default": <en, or the default language when the survey has no English>, "zh-cn": …,
    "zh-tw": …}`` and the survey's ``locale`` is its default language; ``{{answer:x}}`` / ``{{embedded:x}}``
    become ``{x}``. Types SurveyJS has no name for (nps, csat, ces, sus, umux_lite, consent) are written as
    rating / matrix / boolean with a ``cxloopType`` property, which ``parse_surveyjs`` reads back."""
    writer = _Writer(spec)
    return writer.dump(), writer.notes


def parse_responses(data: bytes, survey: ImportedSurvey) -> ImportedResponses:
    """SurveyJS results (a JSON array of ``survey.data`` objects) of the survey ``parse_surveyjs`` read."""
    from cxloop.core.interop._sjs_results import read_responses

    return read_responses(data, survey)
