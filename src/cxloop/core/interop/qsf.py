"""Qualtrics import: ``.qsf`` survey definitions (``parse_qsf``) and their CSV response exports
(``parse_responses``, both the legacy two-header-row layout and the current three-header-row layout with ImportId).

A ``.qsf`` file is JSON: ``SurveyEntry`` (``SurveyName``, ``SurveyLanguage``) and ``SurveyElements``, a list of
elements told apart by ``Element``: ``BL`` (the blocks and their questions), ``FL`` (the survey flow: block order,
embedded data, branches), ``SQ`` (one per question), ``SO`` (options) and others that carry nothing cxloop uses.

How Qualtrics maps to cxloop (everything else becomes a ``Note`` naming the source's id):

* blocks → pages in the flow's order; a block is split into several pages at its page breaks, after a question
  with skip logic and before a question that skip logic jumps to, so the skip can be a page skip rule.
* ``MC``: single answer (SAVR, SAHR, SACOL) → single_choice; drop-down / select box (DL, SB) → dropdown; multiple
  answer (MAVR, MAHR, MACOL, MSB) → multi_choice; NPS (or an 11-choice 0–10 single answer) → nps. Choice ids are
  the option keys; a choice with text entry → ``specify``; ``ExclusiveAnswer`` → ``exclusive``.
* ``TE`` → open_text (SL single line, ML/ESTB multi-line); ``Matrix`` Likert single answer (or drop-down) →
  matrix (rows → items keyed by choice id, answers → scale points 1..n in their order); ``SBS`` → one matrix per
  single-answer column; ``Slider`` with one statement and 2–11 whole points → rating; ``DB`` → the page title.
* display logic → ``display_if`` and skip logic → page skip rules when every part refers to imported questions
  (Selected / Not Selected, text and number comparisons) or declared embedded data; branches in the flow → the
  display logic of their blocks' questions; embedded data set in the flow → declared embedded fields.
* translations (a question's ``Language`` map) → zh-hans, zh-hant, en.

``ImportedSurvey.columns`` maps every response-export column name, legacy (the DataExportTag form: ``Q2``,
``Q3_4``, ``Q3_4_TEXT``, a matrix row's ``Q5_1`` or its choice export tag) and current (the ImportId form with
``_``: ``QID2``, ``QID3_4``, ``QID3_4_TEXT``, ``QID1_TEXT``, ``QID6#1_2``), to where the value goes:

* ``"<question>"``: the question's answer (a code for choice and scale questions, text for open_text);
* ``"<question>.<item>"``: a matrix row; ``"<question>.<option>"``: one option of a multi_choice (chosen when the
  cell is filled and not 0); ``"<question>.specify"``: the "please specify" text;
* ``"embedded:<key>"``: an embedded field.

When two questions export the same legacy column name (choice export tags reused), the second is
``"<name>~2"``, the third ``"<name>~3"`` …: in a legacy export, the n-th column of that name.
``ImportedSurvey.codes`` maps each exported code (the ``RecodeValues``, else the choice id) to the option key,
or to the scale point (as a string) for nps, rating and matrix questions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cxloop.core import survey_parse
from cxloop.core.interop import CHANGED, DROPPED, ImportedResponses, ImportedSurvey, InteropError, Note
from cxloop.core.interop._text import check_size, clip, has_piping, unpipe
from cxloop.core.interop._text import choice_key as option_key
from cxloop.core.interop._text import language as cxloop_language
from cxloop.core.interop._text import make_key as _make_key
from cxloop.core.interop._text import plain as _plain
from cxloop.core.survey_model import LANGUAGES, MAX_EMBEDDED, MAX_ITEMS, MAX_OPTIONS, MAX_PAGES, MAX_QUESTIONS
from cxloop.core.survey_model import SpecError as _SpecError

_SINGLE = {"SAVR": "single_choice", "SAHR": "single_choice", "SACOL": "single_choice", "DL": "dropdown",
           "SB": "dropdown"}
_MULTI = {"MAVR", "MAHR", "MACOL", "MSB"}
_NUMERIC_OPS = {"EqualTo": "eq", "NotEqualTo": "neq", "GreaterThan": "gt", "GreaterThanOrEqual": "gte",
                "LessThan": "lt", "LessThanOrEqual": "lte"}
_TEXT_OPS = {"EqualTo": "eq", "NotEqualTo": "neq", "Contains": "contains"}
_TYPE_NAMES = {"RO": "rank order", "Timing": "timing", "Meta": "browser meta info", "HeatMap": "heat map",
               "HotSpot": "hot spot", "CS": "constant sum", "PGR": "pick, group and rank", "DD": "drill down",
               "FileUpload": "file upload", "Draw": "signature", "GAP": "gap analysis", "Captcha": "captcha",
               "SS": "graphic slider", "TB": "text/graphic"}


def plain(raw: object) -> str:
    return _plain(raw, limit=None, blank_lines=True)  # Qualtrics texts are clipped with a note (``clip``)


def make_key(raw: str, used: set[str], fallback: str) -> str:
    return _make_key(raw, used, fallback, prefix="q")


def _ids(raw: Any) -> list[str]:
    return [str(x) for x in raw] if isinstance(raw, list) else []


def _dict(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _choices(raw: Any) -> dict[str, dict[str, Any]]:
    """Choices / Answers as ``{id: {...}}`` (a list — as in NPS questions — is keyed by position from 0)."""
    if isinstance(raw, list):
        return {str(i): c for i, c in enumerate(raw) if isinstance(c, dict)}
    return {str(k): v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}


def _ordered(choices: dict[str, dict[str, Any]], order: Any) -> list[str]:
    ids = [i for i in _ids(order) if i in choices]
    seen = set(ids)
    ids += sorted((i for i in choices if i not in seen), key=lambda s: (len(s), s))
    return list(dict.fromkeys(ids))


def _entries(raw: Any) -> list[dict[str, Any]]:
    """The mappings in a Qualtrics list (or ``{"0": …}`` map); anything else is skipped."""
    values = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    return [v for v in values if isinstance(v, dict)]


def _list(raw: Any) -> list[Any]:
    return raw if isinstance(raw, list) else []


def _truthy(raw: Any) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in ("true", "1", "on", "yes")
    return bool(raw)


def _numbered(raw: Any) -> list[Any]:
    """The values of a Qualtrics ``{"0": …, "1": …}`` map, in key order."""
    if not isinstance(raw, dict):
        return []
    keys = sorted((k for k in raw if str(k).isdigit()), key=int)
    return [raw[k] for k in keys]


@dataclass
class _Built:
    """What conditions and response columns need to know of an imported question."""

    qid: str
    key: str
    type: str
    options: dict[str, str] = field(default_factory=dict)  # Qualtrics choice id -> option key
    points: dict[str, int] = field(default_factory=dict)  # choice/answer id -> scale point (nps, matrix)
    items: dict[str, str] = field(default_factory=dict)  # matrix row id -> item key
    scale: tuple[int, int] | None = None


@dataclass
class _PageRec:
    block: str
    part: int
    questions: list[dict[str, Any]] = field(default_factory=list)
    qids: list[str] = field(default_factory=list)  # the source questions on this page (even dropped ones)
    title: dict[str, str] = field(default_factory=dict)
    skip: list[tuple[dict[str, Any] | None, str, str, str]] = field(default_factory=list)  # cond, kind, dest, where
    key: str = ""


class _Reader:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.notes: list[Note] = []
        self.columns: dict[str, str] = {}
        self.legacy_counts: dict[str, int] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.question_keys: set[str] = set()
        self.page_keys: set[str] = set()
        self.built: dict[str, _Built] = {}
        self.embedded: list[dict[str, Any]] = []
        self.embedded_keys: dict[str, str] = {}  # Qualtrics field name -> cxloop key
        self.used_embedded: set[str] = set()
        self.pages: list[_PageRec] = []
        self.blocks: dict[str, dict[str, Any]] = {}
        self.block_pages: dict[str, list[int]] = {}
        self.questions: dict[str, dict[str, Any]] = {}
        self.placed: set[str] = set()
        self.languages: dict[str, str] = {}  # Qualtrics language code -> cxloop language
        self.lang = "en"

    def note(self, where: str, what: str, kind: str = DROPPED) -> None:
        self.notes.append(Note(where=where, what=what, kind=kind))

    # --- reading the elements ------------------------------------------------------------------------------

    def read(self) -> ImportedSurvey:
        entry = _dict(self.raw.get("SurveyEntry"))
        name = plain(entry.get("SurveyName")) or "Qualtrics survey"
        if not plain(entry.get("SurveyName")):
            self.note("SurveyEntry", "the survey has no name: named 'Qualtrics survey'", CHANGED)
        elements = self.raw.get("SurveyElements")
        assert isinstance(elements, list)
        flow: Any = None
        for element in elements:
            if not isinstance(element, dict):
                continue
            kind, payload = element.get("Element"), element.get("Payload")
            if kind == "BL":
                for block in _entries(payload):
                    if isinstance(block, dict) and isinstance(block.get("ID"), str):
                        self.blocks[block["ID"]] = block
            elif kind == "FL" and isinstance(payload, dict):
                flow = payload
            elif kind == "SQ" and isinstance(payload, dict):
                qid = str(payload.get("QuestionID") or element.get("PrimaryAttribute") or "")
                if qid:
                    self.questions[qid] = payload
        if not self.blocks:
            raise InteropError("not a usable Qualtrics .qsf file: it has no blocks (no 'BL' element)")
        self.setup_languages(entry)
        if flow is None:
            self.note("FL", "the survey has no flow: blocks imported in the order the file lists them", CHANGED)
            items: list[Any] = [{"Type": "Block", "ID": b, "FlowID": "?"} for b, v in self.blocks.items()
                                if v.get("Type") != "Trash"]
        else:
            items = flow.get("Flow") if isinstance(flow.get("Flow"), list) else []
        self.flow(items, None)
        self.leftovers()
        definition = self.definition(entry)
        spec = self.validate(definition)
        return ImportedSurvey(source="qsf", name=name[:200], spec=spec, notes=tuple(self.notes),
                              columns=self.columns, codes=self.codes)

    def setup_languages(self, entry: dict[str, Any]) -> None:
        source = str(entry.get("SurveyLanguage") or "EN")
        self.lang = cxloop_language(source) or "en"
        if cxloop_language(source) is None:
            self.note("SurveyEntry.SurveyLanguage", f"the survey's language {source} is not one of cxloop's "
                      "(zh-hans, zh-hant, en): its texts are imported as en", CHANGED)
        self.languages[source.upper()] = self.lang
        codes: list[str] = []
        for payload in self.questions.values():
            for code in _dict(payload.get("Language")):
                if code.upper() not in codes and code.upper() != source.upper():
                    codes.append(code.upper())
        taken = {self.lang}
        for code in codes:
            target = cxloop_language(code)
            if target is None and "en" not in taken:
                self.note(f"language {code}", f"translation {code} imported as en (cxloop has zh-hans, zh-hant, "
                          "en)", CHANGED)
                target = "en"
            if target is None or target in taken:
                why = "it is not one of cxloop's languages" if target is None else f"{target} is already taken"
                self.note(f"language {code}", f"translation {code} dropped: {why}")
                continue
            taken.add(target)
            self.languages[code] = target

    def text(self, base: Any, translations: list[tuple[str, Any]], where: str) -> dict[str, str]:
        """A cxloop text from a Qualtrics HTML text and its translations [(code, html)]."""
        out: dict[str, str] = {}
        for lang, raw in [(self.lang, base), *((self.languages.get(c.upper()), r) for c, r in translations)]:
            if lang is None or lang in out:
                continue
            value = plain(raw)
            if has_piping(value):
                value = unpipe(value)
                self.note(where, "piped text (${…}) replaced by '…': cxloop cannot resolve Qualtrics references",
                          CHANGED)
            value, cut = clip(value)
            if cut:
                self.note(where, "text longer than 10,000 characters: cut", CHANGED)
            if value:
                out[lang] = value
        return out

    def translations(self, payload: dict[str, Any], *path: str) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for code, tr in _dict(payload.get("Language")).items():
            value: Any = tr
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                found.append((code, value))
        return found

    # --- the flow --------------------------------------------------------------------------------------

    def flow(self, items: list[Any], cond: dict[str, Any] | None) -> None:
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            kind, fid = item.get("Type"), str(item.get("FlowID") or "?")
            if kind in ("Block", "Standard", "Default"):
                self.block(str(item.get("ID")), cond, fid)
            elif kind == "EmbeddedData":
                self.embedded_data(item, fid)
            elif kind == "Branch":
                self.branch(item, cond, fid)
            elif kind == "BlockRandomizer":
                subset = item.get("SubSet")
                self.note(f"flow {fid}", f"block randomizer (shows {subset} of its elements at random): its "
                          "elements are imported in order, all shown", CHANGED)
                self.flow(_list(item.get("Flow")), cond)
            elif kind == "Group":
                self.flow(_list(item.get("Flow")), cond)
            elif kind == "EndSurvey":
                if cond is None:
                    rest = [x for x in items[i + 1 :] if isinstance(x, dict)]
                    if rest:
                        ids = ", ".join(str(x.get("FlowID")) for x in rest)
                        self.note(f"flow {fid}", f"the survey ends here: the flow after it ({ids}) is not imported")
                    return
                if self.pages:
                    self.pages[-1].skip.append((cond, "end", "", f"flow {fid}"))
                else:
                    self.note(f"flow {fid}", "end of survey in a branch before any question: dropped")
            else:
                what = {"WebService": "web service call", "Authenticator": "authenticator", "Quota": "quota",
                        "TableOfContents": "table of contents", "EndOfSurvey": "end of survey"}.get(str(kind))
                self.note(f"flow {fid}", f"{what or kind} in the survey flow: no cxloop equivalent, dropped")

    def branch(self, item: dict[str, Any], cond: dict[str, Any] | None, fid: str) -> None:
        logic = item.get("BranchLogic")
        inner = _list(item.get("Flow"))
        converted, reason = self.logic(logic) if isinstance(logic, dict) else (None, "it has no condition")
        if converted is None:
            shown = "its elements are shown to everyone" if inner else "it has no elements"
            self.note(f"flow {fid}", f"branch dropped: {reason}; {shown}")
            self.flow(inner, cond)
            return
        if inner:
            self.note(f"flow {fid}", "branch imported as display logic of the questions of its blocks "
                      "(and skip to end for an end of survey in it)", CHANGED)
        combined = converted if cond is None else {"all": [cond, converted]}
        self.flow(inner, combined)

    def embedded_data(self, item: dict[str, Any], fid: str) -> None:
        for entry in _entries(item.get("EmbeddedData")):
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("Field") or entry.get("Description") or "").strip()
            if not name:
                continue
            if name in self.embedded_keys:
                key = self.embedded_keys[name]
            elif len(self.embedded) >= MAX_EMBEDDED:
                self.note(f"flow {fid}", f"embedded data '{name}' dropped: more than {MAX_EMBEDDED} fields")
                continue
            else:
                key = make_key(name, self.used_embedded, "field")
                self.embedded_keys[name] = key
                self.embedded.append({"key": key, "label": {self.lang: name[:200]}})
                self.columns[name] = f"embedded:{key}"
                if key != name.lower():
                    self.note(f"embedded data '{name}'", f"declared with the key '{key}'", CHANGED)
            value = entry.get("Value")
            if value not in (None, ""):
                self.note(f"flow {fid}", f"embedded data '{name}' is set to {str(value)[:80]!r} in the flow: "
                          f"declared as the hidden field '{key}', but cxloop does not set values; each response "
                          "brings its own", CHANGED)

    # --- blocks and pages ----------------------------------------------------------------------------------

    def block(self, block_id: str, cond: dict[str, Any] | None, fid: str) -> None:
        block = self.blocks.get(block_id)
        if block is None:
            self.note(f"flow {fid}", f"refers to block {block_id}, which is not in the file: dropped")
            return
        if block_id in self.block_pages:
            self.note(f"flow {fid}", f"block {block_id} ('{plain(block.get('Description'))}') is shown again here: "
                      "cxloop asks each question once, so this repeat is dropped")
            return
        raw_elements = block.get("BlockElements")
        elements = _entries(raw_elements)
        targets = {str(s.get("SkipToDestination")) for e in elements for s in _entries(e.get("SkipLogic"))
                   if isinstance(s, dict)}
        desc = plain(block.get("Description")) or block_id
        self.block_pages[block_id] = []
        page = self.new_page(block_id, desc)
        for element in elements:
            etype = element.get("Type")
            if etype == "Page Break":
                if page.qids:
                    page = self.new_page(block_id, desc)
                continue
            if etype != "Question":
                continue
            qid = str(element.get("QuestionID"))
            if qid in targets and page.qids:
                page = self.new_page(block_id, desc)
            self.place(qid, page, cond)
            skips = _entries(element.get("SkipLogic"))
            if skips:
                self.skip_logic(qid, skips, page, block_id)
                page = self.new_page(block_id, desc)
        if block.get("Options", {}) and _dict(block.get("Options")).get("Randomization"):
            self.note(f"block {block_id}", "question randomisation within the block dropped: questions are shown "
                      "in order", CHANGED)

    def new_page(self, block_id: str, desc: str) -> _PageRec:
        parts = self.block_pages[block_id]
        if parts and not self.pages[parts[-1]].qids:
            return self.pages[parts[-1]]
        page = _PageRec(block=block_id, part=len(parts) + 1)
        page.key = desc  # the final key is made when the page is kept
        self.pages.append(page)
        parts.append(len(self.pages) - 1)
        return page

    def skip_logic(self, qid: str, skips: list[dict[str, Any]], page: _PageRec, block_id: str) -> None:
        for s in skips:
            dest = str(s.get("SkipToDestination"))
            where = f"skip logic {s.get('SkipLogicID', '?')} of {qid}"
            expr = {"LogicType": "Question", "QuestionID": qid, "LeftOperand": s.get("Locator") or
                    s.get("ChoiceLocator"), "Operator": s.get("Condition"), "Description": s.get("Description")}
            converted, reason = self.expression(expr)
            desc = _describe(s.get("Description"))
            if converted is None:
                self.note(where, f"dropped ({desc}): {reason}")
            elif dest == "ENDOFSURVEY":
                page.skip.append((converted, "end", "", where))
            elif dest == "ENDOFBLOCK":
                page.skip.append((converted, "block", block_id, where))
            elif dest.startswith("QID"):
                page.skip.append((converted, "question", dest, where))
            else:
                self.note(where, f"dropped ({desc}): destination {dest} has no cxloop equivalent")

    def place(self, qid: str, page: _PageRec, cond: dict[str, Any] | None) -> None:
        payload = self.questions.get(qid)
        page.qids.append(qid)
        if payload is None:
            self.note(qid, "listed in a block but not in the file: dropped")
            return
        if qid in self.placed:
            self.note(qid, "appears twice in the survey: only its first place is imported")
            return
        self.placed.add(qid)
        made = self.question(qid, payload, page)
        if not made:
            return
        own = self.display_logic(qid, payload, made)
        display = own if cond is None else cond if own is None else {"all": [cond, own]}
        for q in made:
            if display is not None:
                q["display_if"] = display
            page.questions.append(q)

    def display_logic(self, qid: str, payload: dict[str, Any], made: list[dict[str, Any]]) -> dict[str, Any] | None:
        logic = payload.get("DisplayLogic")
        if not isinstance(logic, dict):
            return None
        converted, reason = self.logic(logic, before=made[0]["key"])
        if converted is None:
            extra = ""
            if any(q.get("required") for q in made):
                for q in made:
                    q["required"] = False
                extra = "; it is no longer required (it would be asked of respondents Qualtrics never showed it to)"
            self.note(f"display logic of {qid}", f"dropped: {reason}; the question is always shown{extra}")
        return converted

    # --- questions -----------------------------------------------------------------------------------------

    def base(self, qid: str, payload: dict[str, Any], qtype: str, *, key_hint: str = "") -> dict[str, Any]:
        tag = str(payload.get("DataExportTag") or qid)
        key = make_key(key_hint or tag, self.question_keys, "q")
        if key != tag.lower() and not key_hint:
            self.note(qid, f"export tag '{tag}' imported as the question key '{key}'", CHANGED)
        text = self.text(payload.get("QuestionText"), self.translations(payload, "QuestionText"), qid)
        if self.lang not in text:
            fallback = plain(payload.get("QuestionDescription")) or tag
            text[self.lang] = clip(fallback)[0]
            self.note(qid, f"the question has no text: '{text[self.lang][:60]}' used", CHANGED)
        settings = _dict(_dict(payload.get("Validation")).get("Settings"))
        q: dict[str, Any] = {"key": key, "type": qtype, "text": text,
                             "required": str(settings.get("ForceResponse", "")).upper() == "ON"}
        vtype = settings.get("Type")
        if vtype not in (None, "", "None"):
            self.note(qid, f"answer validation '{vtype}' dropped", CHANGED)
        return q

    def question(self, qid: str, payload: dict[str, Any], page: _PageRec) -> list[dict[str, Any]]:
        qtype, selector = str(payload.get("QuestionType")), str(payload.get("Selector"))
        tag = str(payload.get("DataExportTag") or qid)
        if qtype == "MC":
            return self.mc(qid, payload, tag, selector)
        if qtype == "TE":
            return self.te(qid, payload, tag, selector)
        if qtype == "Matrix":
            return self.matrix(qid, payload, tag)
        if qtype == "SBS":
            return self.sbs(qid, payload, tag)
        if qtype == "Slider":
            return self.slider(qid, payload, tag, selector)
        if qtype == "DB":
            text = self.text(payload.get("QuestionText"), self.translations(payload, "QuestionText"), qid)
            if not text:
                self.note(qid, "descriptive text without text: dropped")
            elif page.title or page.questions:
                self.note(qid, f"descriptive text dropped (cxloop pages have one title): "
                          f"'{next(iter(text.values()))[:80]}'")
            else:
                page.title = text
                self.note(qid, "descriptive text shown as the page's title", CHANGED)
            return []
        name = _TYPE_NAMES.get(qtype, qtype)
        self.note(qid, f"{name} question ('{tag}', {qtype}/{selector}) has no cxloop equivalent: dropped")
        return []

    def choice_notes(self, qid: str, payload: dict[str, Any], choices: dict[str, dict[str, Any]], what: str) -> None:
        for cid, choice in choices.items():
            if isinstance(choice.get("DisplayLogic"), dict):
                self.note(f"display logic of {qid} {what} {cid}", f"dropped: cxloop shows every {what}; "
                          f"'{plain(choice.get('Display'))[:60]}' is always shown")

    def mc(self, qid: str, payload: dict[str, Any], tag: str, selector: str) -> list[dict[str, Any]]:
        choices = _choices(payload.get("Choices"))
        order = _ordered(choices, payload.get("ChoiceOrder"))
        recodes = _dict(payload.get("RecodeValues"))
        displays = [plain(choices[c].get("Display")) for c in order]
        if selector == "NPS" or (selector in _SINGLE and displays == [str(i) for i in range(11)]):
            if len(order) != 11:
                self.note(qid, f"NPS question with {len(order)} choices instead of 11: dropped")
                return []
            q = self.base(qid, payload, "nps")
            if selector != "NPS":
                self.note(qid, "a 0–10 single-answer question imported as NPS", CHANGED)
            labels = [plain(x.get("Display")) for x in _entries(payload.get("ColumnLabels"))]
            if len(labels) >= 2 and labels[0] and labels[-1]:
                q["labels"] = {0: {self.lang: labels[0]}, 10: {self.lang: labels[-1]}}
            built = _Built(qid, q["key"], "nps", scale=(0, 10))
            for point, cid in enumerate(order):
                built.points[cid] = point
            self.codes[q["key"]] = {str(recodes.get(c, c)): str(p) for c, p in built.points.items()}
            self.finish(qid, tag, q, built)
            return [q]
        if selector in _SINGLE:
            qtype = _SINGLE[selector]
        elif selector in _MULTI:
            qtype = "multi_choice"
        else:
            self.note(qid, f"multiple-choice question ('{tag}') with the {selector} layout has no cxloop "
                      "equivalent: dropped")
            return []
        if len(order) < 2:
            self.note(qid, f"choice question ('{tag}') with {len(order)} choice(s): cxloop needs two; dropped")
            return []
        if len(order) > MAX_OPTIONS:
            self.note(qid, f"more than {MAX_OPTIONS} choices: choices after the {MAX_OPTIONS}th dropped")
            order = order[:MAX_OPTIONS]
        q = self.base(qid, payload, qtype)
        built = _Built(qid, q["key"], qtype)
        used: set[str] = set()
        options: list[dict[str, Any]] = []
        for cid in order:
            choice = choices[cid]
            key = option_key(cid, used)
            built.options[cid] = key
            text = self.text(choice.get("Display"), self.translations(payload, "Choices", cid, "Display"),
                             f"{qid} choice {cid}")
            if self.lang not in text:
                text[self.lang] = f"Choice {cid}"
                self.note(f"{qid} choice {cid}", f"the choice has no text: 'Choice {cid}' used", CHANGED)
            option: dict[str, Any] = {"key": key, "text": text}
            if _truthy(choice.get("TextEntry")):
                if any(o.get("specify") for o in options):
                    self.note(f"{qid} choice {cid}", "a second text entry on a choice: its text is not imported")
                else:
                    option["specify"] = True
                    self.add_column(f"{tag}_{cid}_TEXT", f"{qid}_{cid}_TEXT", f"{q['key']}.specify")
            if _truthy(choice.get("ExclusiveAnswer")) and qtype == "multi_choice":
                option["exclusive"] = True
            options.append(option)
            if qtype == "multi_choice":
                self.add_column(f"{tag}_{cid}", f"{qid}_{cid}", f"{q['key']}.{key}")
        q["options"] = options
        if payload.get("ChoiceGroups"):
            self.note(qid, "choice groups dropped: the choices are listed without their group headings", CHANGED)
        randomization = _dict(payload.get("Randomization"))
        if randomization.get("Type") == "All":
            q["randomize"] = True
        elif randomization.get("Type") not in (None, "", "None"):
            q["randomize"] = True
            self.note(qid, f"randomisation '{randomization.get('Type')}' imported as: randomise all choices",
                      CHANGED)
        self.choice_notes(qid, payload, choices, "choice")
        self.codes[q["key"]] = {str(recodes.get(c, c)): k for c, k in built.options.items()}
        if qtype == "multi_choice":
            self.built[qid] = built
        else:
            self.finish(qid, tag, q, built)
        return [q]

    def finish(self, qid: str, tag: str, q: dict[str, Any], built: _Built) -> None:
        self.built[qid] = built
        self.add_column(tag, qid, q["key"])

    def add_column(self, legacy: str, current: str, target: str) -> None:
        n = self.legacy_counts.get(legacy, 0) + 1
        self.legacy_counts[legacy] = n
        self.columns[legacy if n == 1 else f"{legacy}~{n}"] = target
        self.columns[current] = target

    def te(self, qid: str, payload: dict[str, Any], tag: str, selector: str) -> list[dict[str, Any]]:
        if selector not in ("SL", "ML", "ESTB"):
            what = {"FORM": "form (several fields)", "PW": "password"}.get(selector, selector)
            self.note(qid, f"text entry question ('{tag}') of the {what} kind has no cxloop equivalent: dropped")
            return []
        q = self.base(qid, payload, "open_text")
        q["multiline"] = selector != "SL"
        settings = _dict(_dict(payload.get("Validation")).get("Settings"))
        if settings.get("ContentType"):
            self.note(qid, f"content validation '{settings.get('ContentType')}' dropped", CHANGED)
        self.finish(qid, tag, q, _Built(qid, q["key"], "open_text"))
        self.columns[f"{qid}_TEXT"] = q["key"]
        return [q]

    def scale_answers(self, where: str, answers: dict[str, dict[str, Any]], order: Any,
                      recodes: dict[str, Any]) -> tuple[list[str], dict[str, str]] | None:
        ids = _ordered(answers, order)
        if not 2 <= len(ids) <= 11:
            self.note(where, f"matrix with a scale of {len(ids)} answer(s) (cxloop scales have 2 to 11 points): "
                      "dropped")
            return None
        codes = {str(recodes.get(a, a)): str(i) for i, a in enumerate(ids, start=1)}
        if list(codes) != [str(i) for i in range(1, len(ids) + 1)]:
            self.note(where, f"answer codes {', '.join(codes)} imported as the scale points 1..{len(ids)} in "
                      "their order", CHANGED)
        return ids, codes

    def matrix(self, qid: str, payload: dict[str, Any], tag: str) -> list[dict[str, Any]]:
        selector, sub = str(payload.get("Selector")), str(payload.get("SubSelector"))
        if selector != "Likert" or sub not in ("SingleAnswer", "DL"):
            kind = {"MultipleAnswer": "multiple-answer"}.get(sub, f"{selector}/{sub}")
            self.note(qid, f"{kind} matrix question ('{tag}') has no cxloop equivalent: dropped")
            return []
        q = self.matrix_question(qid, payload, payload, tag, f"{qid}", key_hint="")
        return [q] if q else []

    def matrix_question(self, qid: str, payload: dict[str, Any], column: dict[str, Any], tag: str, current: str,
                        *, key_hint: str, text: dict[str, str] | None = None) -> dict[str, Any] | None:
        """A matrix from Choices (rows, of ``payload``) and Answers (scale, of ``column``)."""
        rows = _choices(payload.get("Choices"))
        row_order = _ordered(rows, payload.get("ChoiceOrder"))
        answers = _choices(column.get("Answers"))
        scale = self.scale_answers(current, answers, column.get("AnswerOrder"), _dict(column.get("RecodeValues")))
        if scale is None:
            return None
        if not row_order:
            self.note(current, "matrix without rows: dropped")
            return None
        if len(row_order) > MAX_ITEMS:
            self.note(current, f"more than {MAX_ITEMS} rows: rows after the {MAX_ITEMS}th dropped")
            row_order = row_order[:MAX_ITEMS]
        answer_ids, codes = scale
        q = self.base(qid, payload, "matrix", key_hint=key_hint)
        if text is not None:
            q["text"] = text
        if str(column.get("SubSelector")) == "DL":
            self.note(current, "drop-down matrix imported as a scale matrix", CHANGED)
        built = _Built(qid, q["key"], "matrix", scale=(1, len(answer_ids)))
        used: set[str] = set()
        items = []
        export_tags = column.get("ChoiceDataExportTags")
        for cid in row_order:
            key = option_key(cid, used)
            built.items[cid] = key
            row_text = self.text(rows[cid].get("Display"), self.translations(payload, "Choices", cid, "Display"),
                                 f"{current} row {cid}")
            if self.lang not in row_text:
                row_text[self.lang] = f"Row {cid}"
            items.append({"key": key, "text": row_text})
            legacy = str(export_tags[cid]) if isinstance(export_tags, dict) and export_tags.get(cid) else \
                f"{tag}_{cid}"
            self.add_column(legacy, f"{current}_{cid}", f"{q['key']}.{key}")
            if _truthy(rows[cid].get("TextEntry")):
                self.note(f"{current} row {cid}", "text entry on a matrix row: its text is not imported")
        for i, aid in enumerate(answer_ids, start=1):
            built.points[aid] = i
        q["items"] = items
        q["scale_min"], q["scale_max"] = 1, len(answer_ids)
        q["labels"] = {}
        for i, aid in enumerate(answer_ids, start=1):
            label = self.text(answers[aid].get("Display"), self.translations(column, "Answers", aid, "Display"),
                              f"{current} answer {aid}")
            if label:
                q["labels"][i] = label
        if not q["labels"]:
            del q["labels"]
        self.choice_notes(qid, payload, rows, "row")
        self.choice_notes(qid, column, answers, "answer")
        self.codes[q["key"]] = codes
        self.built[current] = built
        return q

    def sbs(self, qid: str, payload: dict[str, Any], tag: str) -> list[dict[str, Any]]:
        columns = _numbered(payload.get("AdditionalQuestions"))
        out: list[dict[str, Any]] = []
        kept: list[str] = []
        base_key = make_key(tag, set(), "q")
        for n, column in enumerate(columns, start=1):
            if not isinstance(column, dict):
                continue
            current = str(column.get("QuestionID") or f"{qid}#{n}")
            coltag = str(column.get("DataExportTag") or f"{tag}#{n}")
            sub = f"{column.get('QuestionType')}/{column.get('Selector')}/{column.get('SubSelector')}"
            if column.get("QuestionType") != "Matrix" or column.get("Selector") != "Likert" or \
                    column.get("SubSelector") not in ("SingleAnswer", "DL"):
                self.note(current, f"column {n} of the side-by-side question {qid} ('{tag}', {sub}) has no cxloop "
                          "equivalent: dropped")
                continue
            heading = self.text(column.get("QuestionText"), self.translations(column, "QuestionText"), current)
            main = self.text(payload.get("QuestionText"), self.translations(payload, "QuestionText"), qid)
            text = {lang: f"{main[lang]} — {heading[lang]}" if lang in heading else main[lang] for lang in main}
            if self.lang not in text and heading:
                text = heading
            q = self.matrix_question(qid, payload, column, coltag, current, key_hint=f"{base_key}_{n}",
                                     text=text or None)
            if q is not None:
                out.append(q)
                kept.append(q["key"])
        if kept:
            self.note(qid, f"side-by-side question ('{tag}') imported as {len(kept)} matri"
                      f"{'x' if len(kept) == 1 else 'ces'}: {', '.join(kept)}", CHANGED)
        elif not columns:
            self.note(qid, f"side-by-side question ('{tag}') without columns: dropped")
        return out

    def slider(self, qid: str, payload: dict[str, Any], tag: str, selector: str) -> list[dict[str, Any]]:
        config = _dict(payload.get("Configuration"))
        choices = _choices(payload.get("Choices"))
        order = _ordered(choices, payload.get("ChoiceOrder"))
        try:
            lo = int(float(config.get("CSSliderMin", 0)))
            hi = int(float(config.get("CSSliderMax", 100)))
            decimals = int(float(config.get("NumDecimals", 0) or 0))
        except (TypeError, ValueError):
            lo, hi, decimals = 0, 100, 1
        problems = []
        if len(order) != 1:
            problems.append(f"{len(order)} statements (cxloop's rating has one)")
        if decimals:
            problems.append("decimal values")
        if lo not in (0, 1) or not 2 <= hi - lo + 1 <= 11:
            problems.append(f"the range {lo}..{hi} (cxloop ratings start at 0 or 1 and have 2 to 11 points)")
        if problems:
            self.note(qid, f"slider ('{tag}') cannot be a cxloop rating: {'; '.join(problems)}: dropped")
            return []
        q = self.base(qid, payload, "rating")
        q["scale_min"], q["scale_max"] = lo, hi
        q["style"] = "stars" if selector == "STAR" and lo == 1 else "numbers"
        self.note(qid, f"slider imported as a {lo}..{hi} rating", CHANGED)
        built = _Built(qid, q["key"], "rating", scale=(lo, hi))
        self.built[qid] = built
        cid = order[0]
        self.add_column(f"{tag}_{cid}", f"{qid}_{cid}", q["key"])
        return [q]

    # --- logic ---------------------------------------------------------------------------------------------

    def logic(self, logic: Any, *, before: str = "") -> tuple[dict[str, Any] | None, str]:
        """A Qualtrics BooleanExpression as a cxloop condition (And binds tighter than Or); None and the reason
        when any part cannot be represented."""
        sets = [s for s in _numbered(logic) if isinstance(s, dict)]
        if not sets:
            return None, "it has no conditions"
        groups: list[list[dict[str, Any]]] = [[]]
        for i, s in enumerate(sets):
            exprs = [e for e in _numbered(s) if isinstance(e, dict)]
            if not exprs:
                return None, "an empty condition set"
            inner: list[list[dict[str, Any]]] = [[]]
            for j, expr in enumerate(exprs):
                converted, reason = self.expression(expr, before=before)
                if converted is None:
                    return None, reason
                conj = str(expr.get("Conjuction") or expr.get("Conjunction") or "And")
                if j > 0 and conj == "Or":
                    inner.append([])
                inner[-1].append(converted)
            if i > 0 and s.get("Type") == "OrIf":
                groups.append([])
            groups[-1].append(_any_all(inner))
        return _any_all(groups), ""

    def expression(self, e: dict[str, Any], *, before: str = "") -> tuple[dict[str, Any] | None, str]:
        ltype, op = str(e.get("LogicType")), str(e.get("Operator"))
        desc = _describe(e.get("Description")) or f"{ltype} {op}"
        if ltype == "EmbeddedField":
            name = str(e.get("LeftOperand") or "")
            key = self.embedded_keys.get(name)
            if key is None:
                return None, f"'{desc}' refers to embedded data '{name}', which the flow does not set before"
            right = e.get("RightOperand")
            if op in ("Empty", "NotEmpty"):
                return {"embedded": key, "op": "not_answered" if op == "Empty" else "answered"}, ""
            if op in _NUMERIC_OPS or op == "Contains":
                value: Any = str(right if right is not None else "")
                if op in ("GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"):
                    try:
                        value = float(value) if "." in value else int(value)
                    except ValueError:
                        return None, f"'{desc}' compares embedded data with a non-number"
                return {"embedded": key, "op": _NUMERIC_OPS.get(op, "contains"), "value": value}, ""
            return None, f"'{desc}' (operator {op}) has no cxloop equivalent"
        if ltype != "Question":
            what = {"DeviceType": "device type", "GeoIP": "location", "PanelData": "contact (panel) data",
                    "Quota": "quota", "Language": "respondent language", "ScoringCategory": "score"}.get(ltype, ltype)
            return None, f"'{desc}' uses {what}, which cxloop has no equivalent for"
        qid = str(e.get("QuestionID") or "")
        parts = str(e.get("LeftOperand") or e.get("ChoiceLocator") or "").split("/")
        if not qid and len(parts) > 2:
            qid = parts[2]
        if len(parts) > 2 and parts[2] != qid:  # e.g. a side-by-side column "QID6#1"
            qid = parts[2]
        built = self.built.get(qid)
        if built is None:
            return None, f"'{desc}' refers to {qid}, which is not an imported question before this point"
        if before and built.key == before:
            return None, f"'{desc}' refers to the question itself"
        kind = parts[3] if len(parts) > 3 else ""
        ref = built.key
        if kind == "SelectableChoice" and op in ("Selected", "NotSelected"):
            cid = parts[4] if len(parts) > 4 else ""
            neg = op == "NotSelected"
            if built.type in ("single_choice", "dropdown") and cid in built.options:
                return {"question": ref, "op": "neq" if neg else "eq", "value": built.options[cid]}, ""
            if built.type == "multi_choice" and cid in built.options:
                cond = {"question": ref, "op": "contains", "value": built.options[cid]}
                return ({"not": cond} if neg else cond), ""
            if built.type == "nps" and cid in built.points:
                return {"question": ref, "op": "neq" if neg else "eq", "value": built.points[cid]}, ""
            if built.type == "matrix" and cid in built.items and len(parts) > 5 and parts[5] in built.points:
                return {"question": f"{ref}.{built.items[cid]}", "op": "neq" if neg else "eq",
                        "value": built.points[parts[5]]}, ""
            return None, f"'{desc}' refers to a choice of {qid} that was not imported"
        if kind == "ChoiceTextEntryValue" and built.type == "open_text" and len(parts) <= 5:
            if op in ("Empty", "NotEmpty"):
                return {"question": ref, "op": "not_answered" if op == "Empty" else "answered"}, ""
            right = plain(e.get("RightOperand"))
            if op in _TEXT_OPS and right:
                return {"question": ref, "op": _TEXT_OPS[op], "value": right}, ""
        if kind == "ChoiceNumericEntryValue" and built.scale is not None and built.type in ("rating", "nps"):
            try:
                number = int(str(e.get("RightOperand")).strip())
            except ValueError:
                number = None
            if op in _NUMERIC_OPS and number is not None and built.scale[0] <= number <= built.scale[1]:
                return {"question": ref, "op": _NUMERIC_OPS[op], "value": number}, ""
        return None, f"'{desc}' ({op} on {kind or 'the question'}) has no cxloop equivalent"

    # --- the end -------------------------------------------------------------------------------------------

    def leftovers(self) -> None:
        for block_id, block in self.blocks.items():
            if block_id in self.block_pages:
                continue
            raw = block.get("BlockElements")
            qids = [str(e.get("QuestionID")) for e in _entries(raw) if e.get("Type") == "Question"]
            if block.get("Type") == "Trash":
                for qid in qids:
                    self.note(qid, "in the trash (unused questions): not imported")
                continue
            self.placed.update(qids)
            listed = f": {', '.join(qids)} not imported" if qids else ""
            self.note(f"block {block_id}", f"block '{plain(block.get('Description'))}' is not in the survey "
                      f"flow{listed}")
        in_trash = {str(e.get("QuestionID")) for b in self.blocks.values() if b.get("Type") == "Trash"
                    for e in _entries(b.get("BlockElements"))}
        for qid in self.questions:
            if qid not in self.placed and qid not in in_trash:
                self.note(qid, "not in any block of the flow: not imported")

    def definition(self, entry: dict[str, Any]) -> dict[str, Any]:
        kept = [i for i, p in enumerate(self.pages) if p.questions]
        for page in self.pages:
            if not page.questions and page.qids:
                self.note(f"block {page.block}", f"page {page.part} ({', '.join(page.qids)}) has no importable "
                          "question left: dropped")
            if not page.questions and page.skip:
                for _, _, _, where in page.skip:
                    self.note(where, "dropped: its page has no importable question")
            if not page.questions and page.title:
                self.note(f"block {page.block}", "descriptive text dropped with its empty page")
        if not kept:
            raise InteropError("the survey has no question cxloop can import (see the notes)"
                               if self.questions else "the survey has no questions")
        if len(kept) > MAX_PAGES:
            raise InteropError(f"the survey has {len(kept)} pages; cxloop allows {MAX_PAGES}")
        total = sum(len(self.pages[i].questions) for i in kept)
        if total > MAX_QUESTIONS:
            raise InteropError(f"the survey has {total} questions; cxloop allows {MAX_QUESTIONS}")
        for i in kept:
            page = self.pages[i]
            base = page.key if page.part == 1 else f"{page.key} {page.part}"
            page.key = make_key(base, self.page_keys, "page")
        pages_out = []
        for i in kept:
            page = self.pages[i]
            out: dict[str, Any] = {"key": page.key, "questions": page.questions}
            if page.title:
                out["title"] = page.title
            rules = []
            for cond, kind, dest, where in page.skip:
                to = self.resolve(i, kind, dest)
                if to is None:
                    self.note(where, f"dropped: it skips to {dest}, which is not a later imported page")
                    continue
                rules.append({"if": cond, "to": to} if cond is not None else {"to": to})
            if rules:
                out["skip"] = rules
            pages_out.append(out)
        languages = [lang for lang in LANGUAGES if lang in set(self.languages.values())]
        definition: dict[str, Any] = {"title": {self.lang: plain(entry.get("SurveyName")) or "Qualtrics survey"},
                                      "default_language": self.lang, "languages": languages, "pages": pages_out}
        definition["title"][self.lang] = clip(definition["title"][self.lang])[0]
        if self.embedded:
            definition["embedded"] = self.embedded
        return definition

    def resolve(self, index: int, kind: str, dest: str) -> str | None:
        if kind == "end":
            return "end"
        if kind == "block":
            last = self.block_pages[dest][-1]
            start = last + 1
        else:
            start = next((j for j, p in enumerate(self.pages) if dest in p.qids), -1)
            if start <= index:
                return None
        for page in self.pages[start:]:
            if page.questions:
                return page.key
        return "end"

    def validate(self, definition: dict[str, Any]) -> Any:
        """``survey_parse.parse`` on the definition; a condition it refuses is dropped with a note (and retried)."""
        for _ in range(5):
            try:
                return survey_parse.parse(definition)
            except _SpecError as exc:
                fixed = False
                for problem in exc.problems:
                    fixed |= self.drop_refused(definition, problem.path, problem.message)
                if not fixed:
                    detail = "; ".join(str(p) for p in exc.problems[:5])
                    raise InteropError(f"the survey cannot be represented in cxloop: {detail}") from None
        raise InteropError("the survey cannot be represented in cxloop (its logic could not be imported)")

    def drop_refused(self, definition: dict[str, Any], path: str, message: str) -> bool:
        m = re.match(r"pages\[(\d+)\]\.questions\[(\d+)\]\.display_if", path)
        if m:
            q = definition["pages"][int(m[1])]["questions"][int(m[2])]
            if q.pop("display_if", None) is not None:
                self.note(f"display logic of question '{q['key']}'", f"dropped: cxloop refused it ({message})")
                return True
            return False
        m = re.match(r"pages\[(\d+)\]\.skip\[(\d+)\]", path)
        if m:
            page = definition["pages"][int(m[1])]
            rules = page.get("skip") or []
            if int(m[2]) < len(rules) and rules[int(m[2])] is not None:
                rules[int(m[2])] = None
                self.note(f"skip logic of page '{page['key']}'", f"a rule dropped: cxloop refused it ({message})")
                page["skip"] = rules
                return True
            return False
        return False


def _describe(raw: Any) -> str:
    """A logic description (HTML spans without spaces between them) as one readable line."""
    return " ".join(plain(raw.replace("<", " <")).split()) if isinstance(raw, str) else ""


def _any_all(groups: list[list[dict[str, Any]]]) -> dict[str, Any]:
    parts = [g[0] if len(g) == 1 else {"all": g} for g in groups if g]
    return parts[0] if len(parts) == 1 else {"any": parts}


def parse_qsf(data: bytes) -> ImportedSurvey:
    """A Qualtrics .qsf survey definition as a cxloop survey, with a note for everything not imported as it was.

    InteropError when the file is not a Qualtrics definition (not JSON, no SurveyElements, nothing importable)."""
    check_size(data, "qsf")
    try:
        raw = json.loads(bytes(data).decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InteropError("not a Qualtrics .qsf file: it is not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InteropError(f"not a Qualtrics .qsf file: it is not valid JSON{where}") from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("SurveyElements"), list):
        raise InteropError("not a Qualtrics .qsf file: a .qsf is a JSON object with 'SurveyEntry' and "
                           "'SurveyElements'; 'SurveyElements' is missing")
    try:
        return _Reader(dict(raw)).read()
    except RecursionError:
        raise InteropError("the .qsf file nests too deeply to be read") from None


def parse_responses(data: bytes, survey: ImportedSurvey, *, keep_test_responses: bool = False) -> ImportedResponses:
    """Responses from a Qualtrics CSV export of the survey ``survey`` was imported from (see ``_qsf_csv``)."""
    from cxloop.core.interop._qsf_csv import read_responses

    check_size(data, "responses")
    return read_responses(bytes(data), survey, keep_test_responses=keep_test_responses)
