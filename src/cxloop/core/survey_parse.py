"""Parsing and validating a survey definition (a plain dict from JSON or YAML) into a ``SurveySpec``.

Every problem is collected (with the path of the offending place) before ``SpecError`` is raised, so an author
sees everything wrong at once. The definition format is described in ``survey_spec``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cxloop.core.survey_conditions import DEFAULT_LANGUAGE, ParserBase, type_name
from cxloop.core.survey_model import (
    CHOICE_TYPES,
    EMBEDDED_SOURCES,
    END,
    FIXED_SCALES,
    ITEM_TYPES,
    LANGUAGES,
    MAX_CONDITION_PARTS,
    MAX_EMBEDDED,
    MAX_ITEMS,
    MAX_OPTIONS,
    MAX_PAGES,
    MAX_QUESTIONS,
    MAX_TEXT_LENGTH,
    NO,
    OPTION_KEY_PATTERN,
    QUESTION_TYPES,
    SCALE_TYPES,
    YES,
    EmbeddedField,
    Item,
    Option,
    Page,
    Problem,
    Question,
    SkipRule,
    SpecError,
    SurveySpec,
    Text,
)
from cxloop.core.survey_standard import (
    STANDARD_ITEMS,
    STANDARD_LABELS,
    STANDARD_TEXT,
    YES_NO_OPTIONS,
    matrix_default_labels,
)
from cxloop.core.survey_values import show

TOP_FIELDS = (
    "name", "description", "title", "default_language", "languages", "intro", "thank_you", "embedded", "pages"
)
PAGE_FIELDS = ("key", "title", "questions", "skip")
COMMON_FIELDS = ("key", "type", "text", "help", "required", "display_if")
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "nps": ("labels", "scale_min", "scale_max"),
    "csat": ("labels", "scale_min", "scale_max"),
    "ces": ("labels", "scale_min", "scale_max", "scale_version"),
    "sus": ("items", "labels", "scale_min", "scale_max"),
    "umux_lite": ("items", "labels", "scale_min", "scale_max"),
    "rating": ("scale_min", "scale_max", "labels", "style"),
    "single_choice": ("options", "randomize"),
    "dropdown": ("options", "randomize"),
    "multi_choice": ("options", "randomize", "min_choices", "max_choices"),
    "open_text": ("multiline", "max_length"),
    "matrix": ("items", "scale_min", "scale_max", "labels", "randomize"),
    "yes_no": ("options",),
    "consent": (),
}


def parse(definition: Mapping[str, Any]) -> SurveySpec:
    """Validate a definition and build the spec; SpecError listing every problem when it is invalid."""
    return _Parser().parse(definition)


_INT = re.compile(r"[+-]?\d+")


class _Parser(ParserBase):
    """Builds a SurveySpec from a definition, collecting every problem on the way."""

    def labels(
        self, path: str, raw: Any, lo: int, hi: int, defaults: Mapping[int, Text], *, merge: bool
    ) -> dict[int, Text]:
        result: dict[int, Text] = {k: dict(v) for k, v in defaults.items()} if merge or raw is None else {}
        if raw is None:
            return result
        if self.mapping(path, raw, "labels") is None:
            return result
        for point_raw, text in raw.items():
            where = f"{path}.{point_raw}"
            if isinstance(point_raw, int) and not isinstance(point_raw, bool):
                point = point_raw
            elif isinstance(point_raw, str) and _INT.fullmatch(point_raw.strip()):
                point = int(point_raw)
            else:
                self.add(where, f"label key {show(point_raw)} is not a scale point")
                continue
            if not lo <= point <= hi:
                self.add(where, f"label for {point} is outside the scale {lo}..{hi}")
                continue
            result[point] = self.text(where, text, required=True)
        return dict(sorted(result.items()))

    # --- the whole definition --------------------------------------------------------------------------

    def parse(self, definition: Any) -> SurveySpec:
        if not isinstance(definition, Mapping):
            raise SpecError([Problem("", f"a survey definition must be a mapping, not {type_name(definition)}")])
        self.unknown_fields("", definition, TOP_FIELDS)
        raw_lang = definition.get("default_language", DEFAULT_LANGUAGE)
        if raw_lang not in LANGUAGES:
            self.add("default_language", f"unknown language {show(raw_lang)} (languages: {', '.join(LANGUAGES)})")
            self.lang = None
        else:
            self.lang = raw_lang
        languages = self.languages(definition.get("languages"))
        embedded = self.embedded(definition.get("embedded"))
        self.pipe_answers, self.pipe_where = None, "the survey's name, title or intro"
        name = self.text("name", definition.get("name"), required=False)
        description = self.text("description", definition.get("description"), required=False)
        title = self.text("title", definition.get("title"), required=True)
        intro = self.text("intro", definition.get("intro"), required=False)
        pages = self.pages(definition.get("pages"))
        self.pipe_answers = set(self.parsed)
        thank_you = self.text("thank_you", definition.get("thank_you"), required=False)
        if self.problems or self.lang is None:
            raise SpecError(self.problems)
        return SurveySpec(
            title=title,
            default_language=self.lang,
            languages=languages,
            pages=tuple(pages),
            embedded=tuple(embedded),
            thank_you=thank_you,
            intro=intro,
            name=name,
            description=description,
        )

    def languages(self, raw: Any) -> tuple[str, ...]:
        if raw is None:
            return (self.lang,) if self.lang else ()
        found: list[str] = []
        for i, code in enumerate(self.sequence("languages", raw, "languages", 1, len(LANGUAGES) * 2)):
            if code not in LANGUAGES:
                self.add(f"languages[{i}]", f"unknown language {show(code)} (languages: {', '.join(LANGUAGES)})")
            elif code in found:
                self.add(f"languages[{i}]", f"language '{code}' is listed twice")
            else:
                found.append(code)
        if self.lang and found and self.lang not in found:
            self.add("languages", f"the default language '{self.lang}' is not one of the survey's languages")
        return tuple(found)

    def embedded(self, raw: Any) -> list[EmbeddedField]:
        if raw is None:
            return []
        fields: list[EmbeddedField] = []
        for i, entry in enumerate(self.sequence("embedded", raw, "embedded fields", 0, MAX_EMBEDDED)):
            path = f"embedded[{i}]"
            if isinstance(entry, str):
                entry = {"key": entry}
            entry = self.mapping(path, entry, "an embedded field")
            if entry is None:
                continue
            self.unknown_fields(path, entry, ("key", "label", "required", "source"))
            key = self.key(f"{path}.key", entry.get("key"), "embedded field key")
            if key is not None and key in self.embedded_keys:
                self.add(f"{path}.key", f"duplicate embedded field key '{key}'")
                key = None
            label = self.text(f"{path}.label", entry.get("label"), required=False)
            required = self.boolean(f"{path}.required", entry.get("required"), False)
            source = entry.get("source", "any")
            if source not in EMBEDDED_SOURCES:
                self.add(f"{path}.source", f"unknown source {show(source)} (sources: {', '.join(EMBEDDED_SOURCES)})")
            if key is not None:
                self.embedded_keys.add(key)
                fields.append(EmbeddedField(key, label, required, source if source in EMBEDDED_SOURCES else "any"))
        return fields

    def prescan(self, raw_pages: list[Any]) -> None:
        """Page keys and question positions, so references to later or unknown places can be told apart."""
        ordinal = 0
        for pi, page in enumerate(raw_pages):
            key = page.get("key", f"page{pi + 1}") if isinstance(page, Mapping) else None
            self.page_keys.append(key if isinstance(key, str) else None)
            questions = page.get("questions") if isinstance(page, Mapping) else None
            for qi, q in enumerate(questions if isinstance(questions, list | tuple) else []):
                qkey = q.get("key") if isinstance(q, Mapping) else None
                if isinstance(qkey, str) and qkey not in self.ordinals:
                    self.ordinals[qkey] = ordinal
                    self.first_paths[qkey] = f"pages[{pi}].questions[{qi}]"
                ordinal += 1

    def pages(self, raw: Any) -> list[Page]:
        raw_pages = self.sequence("pages", raw, "pages", 1, MAX_PAGES)
        self.prescan(raw_pages)
        if len(self.ordinals) > MAX_QUESTIONS or sum(
            len(q) for p in raw_pages if isinstance(p, Mapping) and isinstance(q := p.get("questions"), list | tuple)
        ) > MAX_QUESTIONS:
            self.add("pages", f"has more than {MAX_QUESTIONS} questions")
            return []
        pages: list[Page] = []
        ordinal = 0
        seen_keys: set[str] = set()
        for pi, page_raw in enumerate(raw_pages):
            path = f"pages[{pi}]"
            page = self.mapping(path, page_raw, "a page")
            if page is None:
                continue
            self.unknown_fields(path, page, PAGE_FIELDS)
            key = self.key(f"{path}.key", page.get("key", f"page{pi + 1}"), "page key")
            if key == END:
                self.add(f"{path}.key", f"'{END}' is reserved for skipping to the end")
            elif key is not None and key in seen_keys:
                self.add(f"{path}.key", f"duplicate page key '{key}'")
            elif key is not None:
                seen_keys.add(key)
            self.pipe_answers, self.pipe_where = set(self.parsed), ""
            title = self.text(f"{path}.title", page.get("title"), required=False)
            questions: list[Question] = []
            raw_questions = self.sequence(f"{path}.questions", page.get("questions"), "questions", 1, MAX_QUESTIONS)
            for qi, q_raw in enumerate(raw_questions):
                question = self.question(f"{path}.questions[{qi}]", q_raw, ordinal)
                ordinal += 1
                if question is not None:
                    questions.append(question)
                    self.parsed[question.key] = question
            skip = self.skip_rules(f"{path}.skip", page.get("skip"), pi, ordinal)
            if key is not None:
                pages.append(Page(key, title, tuple(questions), tuple(skip)))
        return pages

    def skip_rules(self, path: str, raw: Any, page_index: int, limit: int) -> list[SkipRule]:
        if raw is None:
            return []
        rules: list[SkipRule] = []
        for i, rule_raw in enumerate(self.sequence(path, raw, "skip rules", 0, MAX_CONDITION_PARTS)):
            where = f"{path}[{i}]"
            rule = self.mapping(where, rule_raw, "a skip rule")
            if rule is None:
                continue
            self.unknown_fields(where, rule, ("if", "to"))
            to = rule.get("to")
            later = [k for k in self.page_keys[page_index + 1 :] if k]
            if not isinstance(to, str) or not to:
                self.add(f"{where}.to", "missing skip target: a later page key or 'end'")
                to = None
            elif to != END and to not in self.page_keys:
                self.add(f"{where}.to", f"unknown page '{to}' (later pages: {', '.join(later) or 'none'}; or 'end')")
                to = None
            elif to != END and to not in later:
                self.add(f"{where}.to", f"skip target '{to}' is not a later page: skips only go forward")
                to = None
            condition = self.condition(f"{where}.if", rule["if"], limit) if rule.get("if") is not None else None
            if to is not None:
                rules.append(SkipRule(to, condition))
        return rules

    # --- questions -----------------------------------------------------------------------------------------

    def question(self, path: str, raw: Any, ordinal: int) -> Question | None:
        q = self.mapping(path, raw, "a question")
        if q is None:
            return None
        key = self.key(f"{path}.key", q.get("key"), "question key")
        if key is not None and self.first_paths.get(key) != path:
            self.add(f"{path}.key", f"duplicate question key '{key}' (first used at {self.first_paths.get(key)})")
            key = None
        qtype = q.get("type")
        if qtype is None:
            self.add(f"{path}.type", "missing question type")
        elif qtype == "hidden":
            self.add(f"{path}.type", "'hidden' is not a question type: declare hidden values under 'embedded'")
        elif qtype not in QUESTION_TYPES:
            self.add(f"{path}.type", f"unknown question type {show(qtype)} (types: {', '.join(QUESTION_TYPES)})")
        if qtype not in QUESTION_TYPES:
            self.text(f"{path}.text", q.get("text"), required=False)
            return None
        self.unknown_fields(path, q, COMMON_FIELDS + TYPE_FIELDS[qtype], f" for a {qtype} question")
        fields: dict[str, Any] = {
            "text": self.text(f"{path}.text", q.get("text"), required=True, default=STANDARD_TEXT.get(qtype)),
            "help": self.text(f"{path}.help", q.get("help"), required=False),
            "required": self.boolean(f"{path}.required", q.get("required"), False),
        }
        if q.get("display_if") is not None:
            fields["display_if"] = self.condition(f"{path}.display_if", q["display_if"], ordinal)
        self.type_fields(path, q, qtype, fields)
        if key is None:
            return None
        return Question(key=key, type=qtype, **fields)

    def scale(self, path: str, q: Mapping[str, Any], qtype: str, fields: dict[str, Any]) -> tuple[int, int]:
        if qtype in FIXED_SCALES:
            lo, hi = FIXED_SCALES[qtype]
            for name, fixed in (("scale_min", lo), ("scale_max", hi)):
                if q.get(name) is not None and q.get(name) != fixed:
                    self.add(f"{path}.{name}", f"the {qtype} scale is fixed at {lo}..{hi}, not {show(q.get(name))}")
        else:
            given_lo = self.integer(f"{path}.scale_min", q.get("scale_min"))
            given_hi = self.integer(f"{path}.scale_max", q.get("scale_max"))
            lo = 1 if given_lo is None else given_lo
            hi = 5 if given_hi is None else given_hi
            if lo not in (0, 1):
                self.add(f"{path}.scale_min", f"scale_min must be 0 or 1, not {lo}")
            elif not 2 <= hi - lo + 1 <= 11:
                self.add(f"{path}.scale_max", f"a scale {lo}..{hi} has {hi - lo + 1} points: use 2 to 11")
            elif fields.get("style") == "stars" and lo != 1:
                self.add(f"{path}.scale_min", "a star rating starts at 1")
        fields["scale_min"], fields["scale_max"] = lo, hi
        return lo, hi

    def type_fields(self, path: str, q: Mapping[str, Any], qtype: str, fields: dict[str, Any]) -> None:
        if qtype == "rating":
            style = q.get("style", "numbers")
            if style not in ("numbers", "stars"):
                self.add(f"{path}.style", f"unknown style {show(style)} (styles: numbers, stars)")
            fields["style"] = style if style in ("numbers", "stars") else "numbers"
        if qtype in SCALE_TYPES or qtype in ITEM_TYPES:
            lo, hi = self.scale(path, q, qtype, fields)
            if qtype in STANDARD_LABELS:
                standard = STANDARD_LABELS[qtype]
                fields["labels"] = self.labels(f"{path}.labels", q.get("labels"), lo, hi, standard, merge=True)
            else:
                defaults = matrix_default_labels(lo, hi) if qtype == "matrix" else {}
                fields["labels"] = self.labels(f"{path}.labels", q.get("labels"), lo, hi, defaults, merge=False)
        if qtype == "ces":
            version = q.get("scale_version", "ces2")
            if version != "ces2":
                self.add(f"{path}.scale_version", f"unknown CES version {show(version)} (only 'ces2')")
            fields["scale_version"] = "ces2"
        if qtype in ITEM_TYPES:
            fields["items"] = self.items(f"{path}.items", q.get("items"), qtype)
        if qtype in CHOICE_TYPES or qtype == "yes_no":
            fields["options"] = self.options(f"{path}.options", q.get("options"), qtype)
        if qtype in CHOICE_TYPES or qtype == "matrix":
            fields["randomize"] = self.boolean(f"{path}.randomize", q.get("randomize"), False)
        if qtype == "multi_choice":
            self.choice_limits(path, q, fields)
        if qtype == "open_text":
            fields["multiline"] = self.boolean(f"{path}.multiline", q.get("multiline"), True)
            length = self.integer(f"{path}.max_length", q.get("max_length"))
            if length is not None and not 1 <= length <= MAX_TEXT_LENGTH:
                self.add(f"{path}.max_length", f"max_length {length} is outside 1..{MAX_TEXT_LENGTH:,}")
            elif length is not None:
                fields["max_length"] = length

    def choice_limits(self, path: str, q: Mapping[str, Any], fields: dict[str, Any]) -> None:
        n = len(fields["options"])
        low = self.integer(f"{path}.min_choices", q.get("min_choices"))
        high = self.integer(f"{path}.max_choices", q.get("max_choices"))
        if low is not None and not 1 <= low <= n:
            self.add(f"{path}.min_choices", f"min_choices {low} is outside 1..{n} (the number of options)")
        if high is not None and not 1 <= high <= n:
            self.add(f"{path}.max_choices", f"max_choices {high} is outside 1..{n} (the number of options)")
        if low is not None and high is not None and low > high:
            self.add(f"{path}.min_choices", f"min_choices {low} is more than max_choices {high}")
        fields["min_choices"], fields["max_choices"] = low, high

    def options(self, path: str, raw: Any, qtype: str) -> tuple[Option, ...]:
        if qtype == "yes_no" and raw is None:
            return tuple(Option(o.key, dict(o.text)) for o in YES_NO_OPTIONS)
        options: list[Option] = []
        seen: set[str] = set()
        for i, entry in enumerate(self.sequence(path, raw, "options", 2, MAX_OPTIONS)):
            where = f"{path}[{i}]"
            entry = self.mapping(where, entry, "an option")
            if entry is None:
                continue
            allowed = ("key", "text") if qtype == "yes_no" else ("key", "text", "fixed", "exclusive", "specify")
            self.unknown_fields(where, entry, allowed)
            key = self.key(f"{where}.key", entry.get("key"), "option key", OPTION_KEY_PATTERN)
            if key is not None and key in seen:
                self.add(f"{where}.key", f"duplicate option key '{key}'")
                key = None
            text = self.text(f"{where}.text", entry.get("text"), required=True)
            fixed = self.boolean(f"{where}.fixed", entry.get("fixed"), False)
            exclusive = self.boolean(f"{where}.exclusive", entry.get("exclusive"), False)
            specify = self.boolean(f"{where}.specify", entry.get("specify"), False)
            if exclusive and qtype != "multi_choice":
                self.add(f"{where}.exclusive", "only multi_choice options can be exclusive")
            if specify and any(o.specify for o in options):
                self.add(f"{where}.specify", "only one option per question can ask to specify")
            if key is not None:
                seen.add(key)
                options.append(Option(key, text, fixed, exclusive, specify))
        if qtype == "yes_no" and [o.key for o in options] != [YES, NO] and isinstance(raw, list | tuple):
            self.add(path, "yes_no options are fixed: 'yes' then 'no' (you may reword their text)")
        return tuple(options)

    def items(self, path: str, raw: Any, qtype: str) -> tuple[Item, ...]:
        standard = STANDARD_ITEMS.get(qtype)
        if raw is None:
            if standard is None:
                self.add(path, "a matrix needs items (its rows)")
                return ()
            return tuple(Item(i.key, dict(i.text)) for i in standard)
        items: list[Item] = []
        seen: set[str] = set()
        for i, entry in enumerate(self.sequence(path, raw, "items", 1, MAX_ITEMS)):
            where = f"{path}[{i}]"
            entry = self.mapping(where, entry, "an item")
            if entry is None:
                continue
            self.unknown_fields(where, entry, ("key", "text"))
            key = self.key(f"{where}.key", entry.get("key"), "item key", OPTION_KEY_PATTERN)
            if key is not None and key in seen:
                self.add(f"{where}.key", f"duplicate item key '{key}'")
                key = None
            text = self.text(f"{where}.text", entry.get("text"), required=True)
            if key is not None:
                seen.add(key)
                items.append(Item(key, text))
        rekeyed = [i.key for i in items] != [i.key for i in standard or ()]
        if standard is not None and rekeyed and isinstance(raw, list | tuple):
            keys = ", ".join(i.key for i in standard)
            self.add(path, f"{qtype} items are fixed: {keys}, in this order (you may reword their text)")
        return tuple(items)
