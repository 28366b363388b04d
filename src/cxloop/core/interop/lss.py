"""LimeSurvey ``.lss`` survey structure exports (LimeSurvey 3: texts and language in the table rows; LimeSurvey 5
and 6: ``*_l10ns`` tables) read into cxloop's model, with notes for what cannot be represented.

* The survey's name is its title (``surveys_languagesettings.surveyls_title``) in the base language; welcome text
  (after the description) → intro, end text → thank-you, both as plain text.
* Languages: zh-Hans → zh-hans, zh-Hant-TW / zh-Hant-HK → zh-hant, en → en; every other language is dropped with
  a note, except a base language outside those three, which is imported as the en text (noted).
* Groups → pages (key ``g<gid>``, in group order). Questions (key: the question code, lowercased and made to fit
  cxloop's key pattern) by type letter: L → single_choice, ! → dropdown, O → single_choice (comment dropped),
  M → multi_choice (P too, comments dropped), T / U → open_text, S → single-line open_text, N → rating when its
  min_num_value_n / max_num_value_n make a 0|1..≤10 scale, 5 → rating 1..5, F → matrix (answer codes that are
  the numbers 0|1..n give the scale; other codes are numbered in order, noted), A → matrix 1..5, B → matrix
  1..10, Y → yes_no, G → single_choice (female, male). Everything else (ranking, file upload, equation, dates,
  arrays of texts or numbers, dual-scale arrays, text display …) is dropped with a note naming the question.
* ``other`` = Y → an option ``other`` that asks to specify; mandatory Y → required (soft mandatory S is not, noted).
* Conditions (the ``conditions`` table): rows of one scenario on the same field are ORed, on different fields
  ANDed; scenarios are ORed. They become ``display_if`` where the referenced question was imported and comes
  earlier and the values are its answer codes; otherwise the condition is dropped with a note. Without conditions,
  an ExpressionScript ``relevance`` other than "1" is translated when it is a plain comparison (or an and/or chain
  of them) of ``Qcode`` / ``Qcode.NAOK`` / ``Qcode_SQ001.NAOK`` with a constant (``Q1.NAOK == "A1"``,
  ``Q2 >= 3``), else noted (cxloop does not evaluate LimeSurvey expressions).
* ``columns`` maps the response columns of both export headings — SGQA (``482917X10X101``,
  ``482917X10X101other``, ``482917X10X103SQ001``) and question codes (``Q1``, ``Q1[other]``, ``Q3[SQ001]``) — to
  cxloop keys: the question key, ``key.specify`` for the Other text, ``key.item`` for a matrix row. A
  multi-choice column (one per option, "Y" when chosen) maps to the question key and ``codes[key]`` maps its
  subquestion code to the option key; for the other choice types ``codes[key]`` maps answer codes (``A1``,
  ``-oth-``, ``Y``/``N``, ``F``/``M``) to option keys, for matrices to scale points.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from cxloop.core.interop import CHANGED, DROPPED, ImportedResponses, ImportedSurvey, InteropError, Note
from cxloop.core.interop._text import (
    check_size,
    first_text,
    language,
    make_key,
    make_option_key,
    ordered,
    plain,
)
from cxloop.core.survey_model import ITEM_TYPES, MAX_ITEMS, MAX_OPTIONS, MAX_TEXT_LENGTH, NO, SCALE_TYPES, YES, Text
from cxloop.core.survey_parse import parse

TYPE_NAMES = {
    "1": "array dual scale", "5": "5-point choice", "A": "array (5-point choice)", "B": "array (10-point choice)",
    "C": "array (yes/no/uncertain)", "D": "date/time", "E": "array (increase/same/decrease)", "F": "array",
    "G": "gender", "H": "array by column", "I": "language switch", "K": "multiple numerical input",
    "L": "list (radio)", "M": "multiple choice", "N": "numerical input", "O": "list with comment",
    "P": "multiple choice with comments", "Q": "multiple short text", "R": "ranking", "S": "short free text",
    "T": "long free text", "U": "huge free text", "X": "text display", "Y": "yes/no", "!": "list (dropdown)",
    ":": "array (numbers)", ";": "array (texts)", "|": "file upload", "*": "equation",
}
_OTHER_TEXT = {"zh-hans": "其他", "zh-hant": "其他", "en": "Other"}
_GENDER = (("F", "female", {"zh-hans": "女", "zh-hant": "女", "en": "Female"}),
           ("M", "male", {"zh-hans": "男", "zh-hant": "男", "en": "Male"}))
_SIMPLE_OPS = {"==": "eq", "eq": "eq", "!=": "neq", "ne": "neq", "<": "lt", "lt": "lt", "<=": "lte", "le": "lte",
               ">": "gt", "gt": "gt", ">=": "gte", "ge": "gte"}


@dataclass
class _Q:
    """An imported question, for conditions and response columns."""

    qid: str
    code: str
    key: str
    type: str  # cxloop type
    letter: str
    codes: dict[str, str] = field(default_factory=dict)  # answer code -> option key (choice) / point (matrix)
    subs: dict[str, str] = field(default_factory=dict)  # subquestion code -> option key (M) / item key (arrays)
    scale: tuple[int, int] | None = None


def _rows(root: Element, table: str) -> list[dict[str, str]]:
    node = root.find(table)
    if node is None:
        return []
    out = []
    for row in node.findall("./rows/row"):
        out.append({child.tag: (child.text or "") for child in row})
    return out


def _int(raw: str, default: int = 0) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        return default


def _load(data: bytes) -> Element:
    check_size(data, "LimeSurvey")
    try:
        root = SafeET.fromstring(bytes(data), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise InteropError("the XML declares a document type (DOCTYPE): refused, LimeSurvey exports have none") \
            from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise InteropError("the XML declares entities: refused (entity expansion is not allowed)") from None
    except ParseError as exc:
        raise InteropError(f"not XML: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise InteropError(f"not readable XML: {exc}") from None
    doc_type = (root.findtext("LimeSurveyDocType") or "").strip()
    if root.tag != "document" or not doc_type:
        raise InteropError("not a LimeSurvey export: the XML has no <document><LimeSurveyDocType>")
    if doc_type != "Survey":
        raise InteropError(f"a LimeSurvey {doc_type} export, not a survey (.lss)")
    for table in ("surveys", "surveys_languagesettings", "groups", "questions"):
        if root.find(table) is None or not _rows(root, table):
            raise InteropError(f"not a complete LimeSurvey survey export: the {table} table is missing or empty")
    return root


def parse_lss(data: bytes) -> ImportedSurvey:
    """A LimeSurvey survey structure export (.lss bytes) as a cxloop survey; InteropError when it is not one."""
    return _Reader(_load(data)).read()


class _Reader:
    def __init__(self, root: Element) -> None:
        self.root = root
        self.notes: list[Note] = []
        self.columns: dict[str, str] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.keys: set[str] = set()
        self.by_qid: dict[str, _Q] = {}
        self.by_code: dict[str, _Q] = {}
        self.filled: list[str] = []
        survey = _rows(root, "surveys")[0]
        self.sid = survey.get("sid", "").strip()
        self.v5 = root.find("question_l10ns") is not None or root.find("group_l10ns") is not None
        self.base = survey.get("language", "").strip() or "en"
        extra = survey.get("additional_languages", "").split()
        self.langs: dict[str, str] = {}  # LimeSurvey language -> cxloop language
        self.languages(self.base, extra)
        self.lang = self.langs.get(self.base, "en")

    def note(self, where: str, what: str, kind: str = DROPPED) -> None:
        self.notes.append(Note(where, what, kind))

    def languages(self, base: str, extra: list[str]) -> None:
        has_en = any(language(code) == "en" for code in extra)
        for code in [base, *extra]:
            if code in self.langs:
                continue
            lang = language(code)
            if lang is None and code == base and not has_en:
                self.langs[code] = "en"
                self.note(f"language '{code}'", f"the base language '{code}' is not a cxloop language: its texts "
                          "were imported as the en texts", CHANGED)
            elif lang is None:
                self.note(f"language '{code}'", "texts in this language were not imported (cxloop has zh-hans, "
                          "zh-hant and en)")
            elif lang in self.langs.values():
                first = next(k for k, v in self.langs.items() if v == lang)
                self.note(f"language '{code}'", f"also {lang}, like '{first}': its texts were not imported, "
                          f"'{first}' is kept")
            else:
                self.langs[code] = lang

    def texts(self, by_lang: dict[str, str], where: str, *, html: bool = True) -> Text:
        """Text per cxloop language from {LimeSurvey language: text}; the default language is filled from the
        base language (the text LimeSurvey shows when a translation is missing)."""
        out: Text = {}
        for code, lang in self.langs.items():
            raw = by_lang.get(code, "")
            value = plain(raw) if html else raw.strip()[:MAX_TEXT_LENGTH]
            if value:
                out[lang] = value
        if out and self.lang not in out:
            source = by_lang.get(self.base, "")
            out[self.lang] = (plain(source) if html else source.strip()) or first_text(out, self.lang)
            self.filled.append(where)
        return out

    # --- the survey --------------------------------------------------------------------------------------

    def read(self) -> ImportedSurvey:
        settings = {r.get("surveyls_language", ""): r for r in _rows(self.root, "surveys_languagesettings")}
        title = self.texts({k: v.get("surveyls_title", "") for k, v in settings.items()}, "survey title")
        if not title:
            raise InteropError("the survey has no title in its base language")
        intro_parts = {
            k: "\n\n".join(p for p in (plain(v.get("surveyls_description")), plain(v.get("surveyls_welcometext")))
                           if p)
            for k, v in settings.items()
        }
        intro = self.texts(intro_parts, "survey welcome text", html=False)
        thank_you = self.texts({k: v.get("surveyls_endtext", "") for k, v in settings.items()}, "survey end text")
        pages = self.pages()
        if not pages:
            raise InteropError("no question of this LimeSurvey survey can be imported")
        if self.filled:
            shown = ", ".join(self.filled[:5]) + (" …" if len(self.filled) > 5 else "")
            self.note("survey", f"{len(self.filled)} text(s) have no {self.lang} translation: the base language's "
                      f"text was used ({shown})", CHANGED)
        for table, what in (("quotas", "quotas"), ("assessments", "assessments"), ("defaultvalues", "default answers")):
            if _rows(self.root, table):
                self.note("survey", f"its {what} were not imported")
        definition: dict[str, Any] = {
            "name": title,
            "title": title,
            "default_language": self.lang,
            "languages": ordered(self.langs.values()),
        }
        if intro:
            definition["intro"] = intro
        if thank_you:
            definition["thank_you"] = thank_you
        definition["pages"] = pages
        spec = parse(definition)
        return ImportedSurvey(source="lss", name=first_text(title, self.lang), spec=spec, notes=tuple(self.notes),
                              columns=self.columns, codes=self.codes)

    def group_texts(self) -> dict[str, dict[str, dict[str, str]]]:
        """gid -> {"name"|"description": {language: text}}."""
        out: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: {"name": {}, "description": {}})
        rows = _rows(self.root, "group_l10ns") if self.v5 else _rows(self.root, "groups")
        for row in rows:
            lang = row.get("language", "") or self.base
            out[row.get("gid", "")]["name"][lang] = row.get("group_name", "")
            out[row.get("gid", "")]["description"][lang] = row.get("description", "")
        return out

    def pages(self) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, str]] = {}
        for row in _rows(self.root, "groups"):
            if row.get("language", self.base) in (self.base, "") or row.get("gid") not in groups:
                groups.setdefault(row.get("gid", ""), row)
        texts = self.group_texts()
        questions = self.question_rows()
        self.answers = self.answer_rows()
        self.attributes = self.attribute_rows()
        self.conditions = self.condition_rows()
        pages: list[dict[str, Any]] = []
        used: set[str] = set()
        order = sorted(groups.values(), key=lambda g: (_int(g.get("group_order", "0")), _int(g.get("gid", "0"))))
        for group in order:
            gid = group.get("gid", "")
            where = f"group {gid}"
            name = first_text(texts[gid]["name"], self.base) if texts[gid]["name"] else ""
            if name:
                where = f"group '{plain(name)}' (gid {gid})"
            relevance = group.get("grelevance", "").strip()
            if relevance not in ("", "1"):
                self.note(where, f"its relevance {relevance!r} was not imported: the page is always shown")
            if any(plain(d) for d in texts[gid]["description"].values()):
                self.note(where, "its description was not imported (cxloop pages have a title only)")
            built: list[dict[str, Any]] = []
            for row in sorted((q for q in questions if q["row"].get("gid") == gid),
                              key=lambda q: (_int(q["row"].get("question_order", "0")), _int(q["row"]["qid"]))):
                question = self.question(row, len(pages))
                if question is not None:
                    built.append(question)
            if not built:
                self.note(where, "no question of this group could be imported: the page is left out")
                continue
            page: dict[str, Any] = {"key": make_key(f"g{gid}", used, f"page{len(pages) + 1}"), "questions": built}
            title = self.texts(texts[gid]["name"], f"{where} name")
            if title:
                page["title"] = title
            pages.append(page)
        return pages

    # --- tables --------------------------------------------------------------------------------------------

    def question_rows(self) -> list[dict[str, Any]]:
        """One entry per question (parent_qid 0): its row in the base language, texts and help per language, and
        its subquestions ({code, order, texts, relevance})."""
        l10n: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: {"question": {}, "help": {}})
        all_rows = _rows(self.root, "questions") + _rows(self.root, "subquestions")
        if self.v5:
            for row in _rows(self.root, "question_l10ns"):
                lang = row.get("language", "") or self.base
                l10n[row.get("qid", "")]["question"][lang] = row.get("question", "")
                l10n[row.get("qid", "")]["help"][lang] = row.get("help", "")
        else:
            for row in all_rows:
                lang = row.get("language", "") or self.base
                l10n[row.get("qid", "")]["question"][lang] = row.get("question", "")
                l10n[row.get("qid", "")]["help"][lang] = row.get("help", "")
        structure: dict[str, dict[str, Any]] = {}
        for row in all_rows:
            qid = row.get("qid", "")
            if qid not in structure or row.get("language") == self.base:
                structure[qid] = row
        subs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        parents: list[dict[str, Any]] = []
        for qid, row in structure.items():
            parent = row.get("parent_qid", "0").strip() or "0"
            entry: dict[str, Any] = {"row": row, "texts": l10n[qid]["question"], "help": l10n[qid]["help"]}
            if parent != "0":
                subs[parent].append(entry)
            else:
                parents.append(entry)
        for parent_entry in parents:
            parent_entry["subs"] = sorted(subs.get(parent_entry["row"]["qid"], []),
                                   key=lambda s: (_int(s["row"].get("scale_id", "0")),
                                                  _int(s["row"].get("question_order", "0"))))
        return parents

    def answer_rows(self) -> dict[str, list[dict[str, Any]]]:
        """qid -> answers of scale 0 ({code, texts}) in sort order."""
        texts: dict[str, dict[str, str]] = defaultdict(dict)
        if self.v5:
            for row in _rows(self.root, "answer_l10ns"):
                texts[row.get("aid", "")][row.get("language", "") or self.base] = row.get("answer", "")
        found: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in _rows(self.root, "answers"):
            ident = (row.get("qid", ""), row.get("scale_id", "0") or "0", row.get("code", ""))
            entry = found.setdefault(ident, {"code": row.get("code", ""), "order": _int(row.get("sortorder", "0")),
                                             "scale": ident[1], "texts": {}})
            if self.v5:
                entry["texts"].update(texts.get(row.get("aid", ""), {}))
            else:
                entry["texts"][row.get("language", "") or self.base] = row.get("answer", "")
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (qid, _scale, _code), entry in found.items():
            out[qid].append(entry)
        for entries in out.values():
            entries.sort(key=lambda e: (_int(e["scale"]), e["order"]))
        return out

    def attribute_rows(self) -> dict[str, dict[str, dict[str, str]]]:
        """qid -> attribute -> {language or "": value}."""
        out: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
        for row in _rows(self.root, "question_attributes"):
            out[row.get("qid", "")][row.get("attribute", "")][row.get("language", "")] = row.get("value", "")
        return out

    def condition_rows(self) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in _rows(self.root, "conditions"):
            out[row.get("qid", "")].append(row)
        return out

    def attr(self, qid: str, name: str) -> str:
        values = self.attributes.get(qid, {}).get(name, {})
        return (values.get("") or values.get(self.base) or "").strip()

    # --- questions -----------------------------------------------------------------------------------------

    def question(self, entry: dict[str, Any], page: int) -> dict[str, Any] | None:
        row = entry["row"]
        qid, code, letter = row.get("qid", ""), row.get("title", "").strip(), row.get("type", "").strip()
        where = f"question '{code}' (qid {qid})"
        kind = TYPE_NAMES.get(letter, f"type {letter!r}")
        if self.attr(qid, "hidden") == "1":
            self.note(where, f"a hidden {kind} question: not imported")
            return None
        builders = {
            "L": self.choice, "!": self.choice, "O": self.choice, "M": self.multi, "P": self.multi,
            "T": self.text_q, "U": self.text_q, "S": self.text_q, "N": self.numeric, "5": self.five,
            "F": self.array, "A": self.array, "B": self.array, "Y": self.yes_no, "G": self.gender,
        }
        if letter not in builders:
            self.note(where, f"a {kind} question: cxloop has no equivalent, not imported")
            return None
        key = make_key(code, self.keys, f"q{qid}")
        if key != code.lower():
            why = "is used twice" if make_key(code, set(), key) == code.lower() else "is not a valid cxloop key"
            self.note(where, f"its code {why}: imported as '{key}'", CHANGED)
        q: dict[str, Any] = {"key": key}
        info = _Q(qid=qid, code=code, key=key, type="", letter=letter)
        text = self.texts(entry["texts"], where)
        q["text"] = text or {self.lang: code or key}
        help_text = self.texts(entry["help"], f"{where} help")
        if help_text:
            q["help"] = help_text
        if not builders[letter](entry, q, info, where):
            self.keys.discard(key)
            return None
        mandatory = row.get("mandatory", "N").strip()
        q["required"] = mandatory == "Y"
        if mandatory == "S":
            self.note(where, "soft mandatory (may be skipped after a warning): imported as not required", CHANGED)
        for name, what in (("em_validation_q", "its validation expression"),
                           ("array_filter", "its array filter"), ("array_filter_exclude", "its array filter"),
                           ("time_limit", "its time limit")):
            if self.attr(qid, name):
                self.note(where, f"{what} ({self.attr(qid, name)!r}) was not imported")
        condition = self.display_if(row, where)
        if condition is not None:
            q["display_if"] = condition
        info.type = q["type"]
        self.by_qid[qid] = info
        self.by_code[code] = info
        if info.codes:
            self.codes[key] = dict(info.codes)
        self.add_columns(row, info, q)
        return q

    def add_columns(self, row: dict[str, str], info: _Q, q: dict[str, Any]) -> None:
        sgqa = f"{self.sid}X{row.get('gid', '')}X{info.qid}"
        key, code = info.key, info.code
        if info.type in ITEM_TYPES:
            for sub, item in info.subs.items():
                self.columns[f"{sgqa}{sub}"] = f"{key}.{item}"
                self.columns[f"{code}[{sub}]"] = f"{key}.{item}"
        elif info.type == "multi_choice":
            for sub in info.subs:
                self.columns[f"{sgqa}{sub}"] = key
                self.columns[f"{code}[{sub}]"] = key
            self.codes[key] = dict(info.subs)
        else:
            self.columns[sgqa] = key
            self.columns[code] = key
        if any(o.get("specify") for o in q.get("options", [])):
            self.columns[f"{sgqa}other"] = f"{key}.specify"
            self.columns[f"{code}[other]"] = f"{key}.specify"

    def other_option(self, qid: str, used: set[str], where: str) -> dict[str, Any]:
        key = make_option_key("other", used, "other")
        replaced = self.attributes.get(qid, {}).get("other_replace_text", {})
        text = self.texts({k: v for k, v in replaced.items() if k}, f"{where} other text") if replaced else {}
        if not text:
            text = {lang: _OTHER_TEXT[lang] for lang in {self.lang, *self.langs.values()}}
        return {"key": key, "text": text, "fixed": True, "specify": True}

    def options_from(self, items: list[tuple[str, dict[str, str]]], info: _Q, where: str,
                     target: dict[str, str]) -> tuple[list[dict[str, Any]], set[str]]:
        options: list[dict[str, Any]] = []
        used: set[str] = set()
        renamed: list[str] = []
        for answer_code, texts in items:
            if len(options) >= MAX_OPTIONS - 1:
                self.note(where, f"more than {MAX_OPTIONS - 1} answers: {answer_code!r} and the rest were not "
                          "imported")
                break
            key = make_option_key(answer_code, used, f"o{len(options) + 1}")
            if key != answer_code.lower():
                renamed.append(f"{answer_code!r} → {key}")
            target[answer_code] = key
            options.append({"key": key, "text": self.texts(texts, f"{where} answer {answer_code!r}")
                            or {self.lang: answer_code or key}})
        if renamed:
            self.note(where, "answer codes renamed to fit cxloop's option keys: " + ", ".join(renamed), CHANGED)
        return options, used

    def choice(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        qid, letter = info.qid, info.letter
        answers = [a for a in self.answers.get(qid, []) if a["scale"] == "0"]
        options, used = self.options_from([(a["code"], a["texts"]) for a in answers], info, where, info.codes)
        if entry["row"].get("other", "N") == "Y":
            options.append(self.other_option(qid, used, where))
            info.codes["-oth-"] = options[-1]["key"]
        if len(options) < 2:
            self.note(where, f"a {TYPE_NAMES[letter]} question with {len(options)} answer(s): not imported")
            return False
        q["type"] = "dropdown" if letter == "!" else "single_choice"
        q["options"] = options
        if letter == "O":
            self.note(where, "a list with comment: imported as a single choice, its comment box dropped", CHANGED)
        if self.attr(qid, "random_order") == "1" or self.attr(qid, "answer_order") == "random":
            q["randomize"] = True
        return True

    def multi(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        qid = info.qid
        subs = [(s["row"].get("title", ""), s["texts"]) for s in entry["subs"]]
        for s in entry["subs"]:
            relevance = s["row"].get("relevance", "").strip()
            if relevance not in ("", "1"):
                self.note(where, f"the relevance {relevance!r} of its subquestion {s['row'].get('title')!r} was not "
                          "imported: the option is always shown")
        options, used = self.options_from(subs, info, where, info.subs)
        if entry["row"].get("other", "N") == "Y":
            options.append(self.other_option(qid, used, where))
            info.subs["other"] = options[-1]["key"]
        if len(options) < 2:
            self.note(where, f"a multiple choice question with {len(options)} option(s): not imported")
            return False
        exclusive = {c.strip() for c in re.split(r"[;,]", self.attr(qid, "exclude_all_others")) if c.strip()}
        for code_ in exclusive:
            for option in options:
                if info.subs.get(code_) == option["key"]:
                    option["exclusive"] = True
                    option["fixed"] = True
        q["type"] = "multi_choice"
        q["options"] = options
        if info.letter == "P":
            self.note(where, "multiple choice with comments: imported as multiple choice, the comments dropped",
                      CHANGED)
        if self.attr(qid, "random_order") == "1":
            q["randomize"] = True
        for attr_name, field_name in (("min_answers", "min_choices"), ("max_answers", "max_choices")):
            raw = self.attr(qid, attr_name)
            if raw:
                value = _int(raw, -1)
                if 1 <= value <= len(options):
                    q[field_name] = value
                else:
                    self.note(where, f"its {attr_name} {raw!r} was not imported")
        if q.get("min_choices") and q.get("max_choices") and q["min_choices"] > q["max_choices"]:
            del q["min_choices"]
        info.codes = {}
        return True

    def text_q(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        q["type"] = "open_text"
        q["multiline"] = info.letter != "S"
        raw = self.attr(info.qid, "maximum_chars")
        if raw:
            length = _int(raw, -1)
            if 1 <= length <= MAX_TEXT_LENGTH:
                q["max_length"] = length
            else:
                self.note(where, f"its maximum_chars {raw!r} was not imported", CHANGED)
        return True

    def numeric(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        lo_raw, hi_raw = self.attr(info.qid, "min_num_value_n"), self.attr(info.qid, "max_num_value_n")
        lo, hi = _int(lo_raw, -99), _int(hi_raw, -99)
        integer_only = self.attr(info.qid, "num_value_int_only") == "1"
        if not lo_raw or not hi_raw or lo not in (0, 1) or not 2 <= hi - lo + 1 <= 11:
            bounds = f"{lo_raw or 'no minimum'}..{hi_raw or 'no maximum'}"
            self.note(where, f"a numerical input ({bounds}): only a whole-number range 0 or 1 up to at most 10 "
                      "can be a cxloop rating, not imported")
            return False
        q["type"] = "rating"
        q["scale_min"], q["scale_max"] = lo, hi
        q["labels"] = {}
        info.scale = (lo, hi)
        if not integer_only:
            self.note(where, f"a numerical input {lo}..{hi}: imported as a rating on whole numbers", CHANGED)
        return True

    def five(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        q["type"] = "rating"
        q["scale_min"], q["scale_max"] = 1, 5
        q["labels"] = {}
        info.scale = (1, 5)
        info.codes = {str(p): str(p) for p in range(1, 6)}
        return True

    def array(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        letter = info.letter
        labels: dict[int, Text] = {}
        if letter == "F":
            answers = [a for a in self.answers.get(info.qid, []) if a["scale"] == "0"]
            codes = [a["code"] for a in answers]
            numbers = [_int(c, -99) for c in codes]
            if codes and all(re.fullmatch(r"\d+", c) for c in codes) and numbers[0] in (0, 1) \
                    and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
                points = numbers
            else:
                points = list(range(1, len(codes) + 1))
                if 2 <= len(codes) <= 11:
                    shown = ", ".join(f"{c!r} → {p}" for c, p in zip(codes, points, strict=True))
                    self.note(where, f"its answer codes are not the numbers 1..{len(codes)}: numbered in order "
                              f"({shown})", CHANGED)
            if not 2 <= len(points) <= 11:
                self.note(where, f"an array with {len(codes)} answer(s): cxloop matrices have 2 to 11 scale points, "
                          "not imported")
                return False
            for answer, point in zip(answers, points, strict=True):
                text = self.texts(answer["texts"], f"{where} answer {answer['code']!r}")
                if text:
                    labels[point] = text
                info.codes[answer["code"]] = str(point)
        else:
            points = list(range(1, 6 if letter == "A" else 11))
            info.codes = {str(p): str(p) for p in points}
        items: list[dict[str, Any]] = []
        used: set[str] = set()
        for sub in entry["subs"]:
            if sub["row"].get("scale_id", "0") not in ("0", ""):
                continue
            if len(items) >= MAX_ITEMS:
                self.note(where, f"more than {MAX_ITEMS} subquestions: the rest were not imported")
                break
            sub_code = sub["row"].get("title", "")
            key = make_option_key(sub_code, used, f"r{len(items) + 1}")
            info.subs[sub_code] = key
            items.append({"key": key, "text": self.texts(sub["texts"], f"{where} subquestion {sub_code!r}")
                          or {self.lang: sub_code or key}})
            relevance = sub["row"].get("relevance", "").strip()
            if relevance not in ("", "1"):
                self.note(where, f"the relevance {relevance!r} of its subquestion {sub_code!r} was not imported: "
                          "the row is always shown")
        if not items:
            self.note(where, "an array without subquestions: not imported")
            return False
        q["type"] = "matrix"
        q["items"] = items
        q["scale_min"], q["scale_max"] = points[0], points[-1]
        q["labels"] = labels
        if self.attr(info.qid, "random_order") == "1":
            q["randomize"] = True
        info.scale = (points[0], points[-1])
        return True

    def yes_no(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        q["type"] = "yes_no"
        info.codes = {"Y": YES, "N": NO}
        return True

    def gender(self, entry: dict[str, Any], q: dict[str, Any], info: _Q, where: str) -> bool:
        q["type"] = "single_choice"
        q["options"] = [
            {"key": key, "text": {lang: text[lang] for lang in {self.lang, *self.langs.values()}}}
            for _, key, text in _GENDER
        ]
        info.codes = {code: key for code, key, _ in _GENDER}
        return True

    # --- conditions --------------------------------------------------------------------------------------

    def display_if(self, row: dict[str, str], where: str) -> dict[str, Any] | None:
        qid = row.get("qid", "")
        rows = self.conditions.get(qid, [])
        if rows:
            try:
                return self.from_conditions(rows)
            except _Unsupported as exc:
                self.note(f"conditions of {where}", f"not imported ({exc}): the question is always shown")
                return None
        relevance = row.get("relevance", "").strip()
        if relevance in ("", "1"):
            return None
        try:
            return self.from_relevance(relevance)
        except _Unsupported as exc:
            self.note(where, f"its relevance {relevance!r} was not imported ({exc}; cxloop does not evaluate "
                      "LimeSurvey expressions): the question is always shown")
            return None

    def from_conditions(self, rows: list[dict[str, str]]) -> dict[str, Any]:
        scenarios: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
        for row in sorted(rows, key=lambda r: _int(r.get("cid", "0"))):
            scenarios[row.get("scenario", "1") or "1"][row.get("cfieldname", "")].append(row)
        alternatives = []
        for _scenario, fields in sorted(scenarios.items(), key=lambda s: _int(s[0])):
            parts = [self.field_condition(name, group) for name, group in fields.items()]
            alternatives.append(parts[0] if len(parts) == 1 else {"all": parts})
        return alternatives[0] if len(alternatives) == 1 else {"any": alternatives}

    def field_condition(self, name: str, rows: list[dict[str, str]]) -> dict[str, Any]:
        cqid = rows[0].get("cqid", "")
        q = self.by_qid.get(cqid)
        if q is None:
            raise _Unsupported(f"qid {cqid} is not an earlier question that was imported")
        match = re.fullmatch(r"(\+?)(\d+)X(\d+)X(.*)", name)
        if match is None or not match.group(4).startswith(cqid):
            raise _Unsupported(f"the field {name!r} is not an answer of a question")
        checkbox, suffix = match.group(1) == "+", match.group(4)[len(cqid):]
        parts = [self.one_condition(q, checkbox, suffix, r.get("method", "=="), r.get("value", "")) for r in rows]
        if len(parts) == 1:
            return parts[0]
        if all(p.get("op") == "eq" and "question" in p for p in parts) and len({p["question"] for p in parts}) == 1 \
                and q.type not in ("multi_choice",):
            return {"question": parts[0]["question"], "op": "in", "value": [p["value"] for p in parts]}
        return {"any": parts}

    def one_condition(self, q: _Q, checkbox: bool, suffix: str, method: str, value: str) -> dict[str, Any]:
        method = method.strip()
        if method not in ("==", "!=", "<", "<=", ">", ">="):
            raise _Unsupported(f"the comparison {method!r} is not supported")
        if value.startswith("@") or value.startswith("{"):
            raise _Unsupported(f"comparing with another answer or a token ({value!r}) is not supported")
        op = _SIMPLE_OPS[method]
        if q.type == "multi_choice":
            sub = value if checkbox else suffix
            if sub not in q.subs:
                raise _Unsupported(f"{sub!r} is not an option of '{q.code}'")
            chosen = value == "Y" or checkbox
            if op not in ("eq", "neq") or (not checkbox and value not in ("Y", "")):
                raise _Unsupported(f"'{q.code}' can only be tested for chosen or not chosen")
            positive = (op == "eq") == chosen
            one: dict[str, Any] = {"question": q.key, "op": "contains", "value": q.subs[sub]}
            return one if positive else {"not": one}
        if suffix:
            if q.type not in ITEM_TYPES or suffix not in q.subs:
                raise _Unsupported(f"'{suffix}' is not a row of '{q.code}'")
            return self.compare(f"{q.key}.{q.subs[suffix]}", q, op, value, number=True)
        return self.compare(q.key, q, op, value, number=q.type in SCALE_TYPES)

    def compare(self, ref: str, q: _Q, op: str, value: str, *, number: bool) -> dict[str, Any]:
        if value == "":
            if op not in ("eq", "neq"):
                raise _Unsupported("an ordering comparison with no answer")
            return {"question": ref, "op": "not_answered" if op == "eq" else "answered"}
        if number:
            raw = q.codes.get(value, value) if q.type in ITEM_TYPES else value
            try:
                point = float(raw)
            except ValueError:
                raise _Unsupported(f"{value!r} is not a number of '{q.code}'") from None
            result: int | float = int(point) if point.is_integer() else point
            if q.scale is not None and not q.scale[0] <= result <= q.scale[1]:
                raise _Unsupported(f"{value!r} is outside the scale of '{q.code}'")
            return {"question": ref, "op": op, "value": result}
        if q.type == "open_text":
            if op not in ("eq", "neq"):
                raise _Unsupported("an ordering comparison of a text answer")
            return {"question": ref, "op": op, "value": value}
        if op not in ("eq", "neq"):
            raise _Unsupported(f"'{q.code}' is a choice: only = and != apply")
        if value not in q.codes:
            raise _Unsupported(f"{value!r} is not an answer code of '{q.code}'")
        return {"question": ref, "op": op, "value": q.codes[value]}

    def from_relevance(self, expression: str) -> dict[str, Any]:
        text = expression.strip()
        while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1].strip()
        for joiner, form in ((r"\s+(?:or|\|\|)\s+", "any"), (r"\s+(?:and|&&)\s+", "all")):
            parts = _split_top(text, joiner)
            if len(parts) > 1:
                return {form: [self.from_relevance(p) for p in parts]}
        match = re.fullmatch(
            r"(!?)\s*([A-Za-z][A-Za-z0-9]*)(?:_([A-Za-z0-9]+))?(?:\.NAOK)?\s*(==|!=|<=|>=|<|>|eq|ne|lt|le|gt|ge)\s*"
            r"(\"[^\"]*\"|'[^']*'|-?\d+(?:\.\d+)?)",
            text,
        )
        if match is None or match.group(1):
            raise _Unsupported("it is not a simple comparison")
        code, sub, method, raw = match.group(2), match.group(3) or "", match.group(4), match.group(5)
        q = self.by_code.get(code)
        if q is None:
            raise _Unsupported(f"{code} is not an earlier question that was imported")
        value = raw[1:-1] if raw[0] in "'\"" else raw
        op = _SIMPLE_OPS[method]
        if q.type == "multi_choice":
            if not sub or sub not in q.subs or value not in ("Y", "") or op not in ("eq", "neq"):
                raise _Unsupported(f"'{code}' can only be tested for an option chosen (\"Y\") or not")
            chosen: dict[str, Any] = {"question": q.key, "op": "contains", "value": q.subs[sub]}
            return chosen if (op == "eq") == (value == "Y") else {"not": chosen}
        if sub:
            if q.type not in ITEM_TYPES or sub not in q.subs:
                raise _Unsupported(f"'{sub}' is not a row of '{code}'")
            return self.compare(f"{q.key}.{q.subs[sub]}", q, op, value, number=True)
        return self.compare(q.key, q, op, value, number=q.type in SCALE_TYPES)


class _Unsupported(Exception):
    pass


def _balanced(text: str) -> bool:
    depth = 0
    quote = ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not quote


def _split_top(text: str, joiner: str) -> list[str]:
    """``text`` split at ``joiner`` outside parentheses and quotes."""
    parts: list[str] = []
    start = 0
    for match in re.finditer(joiner, text, re.IGNORECASE):
        if _balanced(text[start:match.start()]):
            parts.append(text[start:match.start()].strip())
            start = match.end()
    parts.append(text[start:].strip())
    return parts if all(parts) else [text]


def parse_responses(data: bytes, survey: ImportedSurvey) -> ImportedResponses:
    """The responses of a LimeSurvey CSV export (answer codes) of the survey ``parse_lss`` read."""
    from cxloop.core.interop._lss_csv import read_responses

    return read_responses(data, survey)
