"""The groundwork of the definition parser: problem collection, keys, texts, piped text and conditions.

``survey_parse.Parser`` builds on ``ParserBase``; both are internal (use ``survey_spec.parse``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cxloop.core.survey_logic import PIPE_PATTERN
from cxloop.core.survey_model import (
    ITEM_TYPES,
    KEY_PATTERN,
    LANGUAGES,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_PARTS,
    MAX_OPTIONS,
    MAX_TEXT_LENGTH,
    NO,
    OPS,
    OPTION_KEY_PATTERN,
    SCALE_TYPES,
    YES,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    Problem,
    Question,
    Text,
)
from cxloop.core.survey_values import show

DEFAULT_LANGUAGE = "zh-hans"
_DID_YOU_MEAN = {
    "rows": "items",
    "choices": "options",
    "min": "scale_min",
    "max": "scale_max",
    "show_if": "display_if",
    "condition": "display_if",
    "when": "if",
    "target": "to",
    "hidden": "embedded",
    "lang": "default_language",
    "maxlength": "max_length",
}

# What a condition may compare, by the kind of thing it refers to.
_KIND_OPS: dict[str, tuple[str, ...]] = {
    "number": ("eq", "neq", "lt", "lte", "gt", "gte", "in", "not_in", "answered", "not_answered"),
    "choice": ("eq", "neq", "in", "not_in", "contains", "answered", "not_answered"),
    "multi": ("contains", "in", "not_in", "answered", "not_answered"),
    "text": ("eq", "neq", "contains", "answered", "not_answered"),
    "items": ("answered", "not_answered"),
    "embedded": OPS,
}


def type_name(raw: Any) -> str:
    return "nothing" if raw is None else type(raw).__name__



class ParserBase:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.lang: str | None = DEFAULT_LANGUAGE
        self.embedded_keys: set[str] = set()
        self.page_keys: list[str | None] = []
        self.ordinals: dict[str, int] = {}  # question key -> position of its first occurrence
        self.first_paths: dict[str, str] = {}
        self.parsed: dict[str, Question] = {}  # successfully parsed questions so far, in order
        self.pipe_answers: set[str] | None = None  # question keys whose answers may be piped here
        self.pipe_where = ""

    # --- small helpers ---------------------------------------------------------------------------------

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def unknown_fields(self, path: str, raw: Mapping[Any, Any], allowed: tuple[str, ...], hint: str = "") -> None:
        for name in raw:
            if name not in allowed:
                where = f"{path}.{name}" if path else str(name)
                guess = _DID_YOU_MEAN.get(name) if isinstance(name, str) else None
                extra = f" (did you mean '{guess}'?)" if guess in allowed else f"{hint} (allowed: {', '.join(allowed)})"
                self.add(where, f"unknown field {show(name)}{extra}")

    def mapping(self, path: str, raw: Any, what: str) -> Mapping[Any, Any] | None:
        if isinstance(raw, Mapping):
            return raw
        self.add(path, f"{what} must be a mapping, not {type_name(raw)}")
        return None

    def sequence(self, path: str, raw: Any, what: str, low: int, high: int) -> list[Any]:
        """``raw`` as a list of ``what`` (a plural noun) with low..high entries; problems otherwise."""
        if raw is None:
            self.add(path, f"missing: needs a list of {what}")
            return []
        if not isinstance(raw, list | tuple):
            self.add(path, f"must be a list of {what}, not {type_name(raw)}")
            return []
        if len(raw) < low:
            self.add(path, f"needs at least {low} of {what}" if low > 1 else f"the list of {what} is empty")
        if len(raw) > high:
            self.add(path, f"has {len(raw)} {what}, more than the limit of {high}")
            return list(raw[:high])
        return list(raw)

    def boolean(self, path: str, raw: Any, default: bool) -> bool:
        if raw is None:
            return default
        if isinstance(raw, bool):
            return raw
        self.add(path, f"must be true or false, not {show(raw)}")
        return default

    def integer(self, path: str, raw: Any) -> int | None:
        if raw is None:
            return None
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        self.add(path, f"must be a whole number, not {show(raw)}")
        return None

    def key(self, path: str, raw: Any, what: str, pattern: re.Pattern[str] = KEY_PATTERN) -> str | None:
        if raw is None:
            self.add(path, f"missing {what}")
            return None
        if isinstance(raw, bool):
            self.add(path, f"{what} {raw!r} is a YAML boolean: write it in quotes ('yes', 'no', 'on', 'off')")
            return None
        if pattern is OPTION_KEY_PATTERN and isinstance(raw, int):
            raw = str(raw)
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            rule = "a-z, 0-9 and _" if pattern is OPTION_KEY_PATTERN else "a lowercase letter, then a-z, 0-9 or _"
            self.add(path, f"{what} {show(raw)} is not valid: use {rule}, at most 64 characters")
            return None
        return raw

    # --- texts ---------------------------------------------------------------------------------------------

    def text(self, path: str, raw: Any, *, required: bool, default: Text | None = None) -> Text:
        if raw is None:
            if default is not None:
                return dict(default)
            if required:
                self.add(path, f"missing text in the default language '{self.lang}'" if self.lang else "missing text")
            return {}
        if isinstance(raw, str):
            if not self.lang:
                return {}
            raw = {self.lang: raw}
        if not isinstance(raw, Mapping):
            self.add(path, f"must be text or a mapping of language to text, not {type_name(raw)}")
            return {}
        result: Text = {}
        for lang, value in raw.items():
            where = f"{path}.{lang}"
            if lang not in LANGUAGES:
                self.add(where, f"unknown language {show(lang)} (languages: {', '.join(LANGUAGES)})")
            elif value is None:
                continue
            elif not isinstance(value, str):
                self.add(where, f"must be text, not {type_name(value)}")
            elif len(value) > MAX_TEXT_LENGTH:
                self.add(where, f"text is {len(value):,} characters, over the limit of {MAX_TEXT_LENGTH:,}")
            elif value.strip():
                self.check_pipes(where, value)
                result[lang] = value
        if required and self.lang and self.lang not in result:
            self.add(path, f"missing text in the default language '{self.lang}'")
        return {lang: result[lang] for lang in LANGUAGES if lang in result}

    def check_pipes(self, path: str, value: str) -> None:
        for match in PIPE_PATTERN.finditer(value):
            namespace, ref = match.group(1), match.group(2)
            whole = match.group(0)
            if namespace == "embedded":
                if ref not in self.embedded_keys:
                    self.add(path, f"pipes {whole!r}, but no embedded field '{ref}' is declared")
                continue
            base = ref.partition(".")[0]
            if self.pipe_answers is None:
                self.add(path, f"pipes {whole!r}, but answers cannot be piped into {self.pipe_where}")
            elif base not in self.pipe_answers:
                where = "an earlier page" if base in self.ordinals else "this survey"
                self.add(path, f"pipes {whole!r}, but '{base}' is not a question on {where}")

    # --- conditions ------------------------------------------------------------------------------------

    def condition(self, path: str, raw: Any, limit: int, depth: int = 0) -> Condition | None:
        """A condition that may refer to questions before position ``limit`` and to declared embedded fields."""
        if depth >= MAX_CONDITION_DEPTH:
            self.add(path, f"conditions nest too deeply (at most {MAX_CONDITION_DEPTH} levels)")
            return None
        cond = self.mapping(path, raw, "a condition")
        if cond is None:
            return None
        forms = [f for f in ("question", "embedded", "all", "any", "not") if f in cond]
        if len(forms) != 1:
            found = f" (found {', '.join(forms)})" if forms else ""
            self.add(path, f"a condition needs exactly one of question, embedded, all, any, not{found}")
            return None
        form = forms[0]
        if form in ("all", "any"):
            self.unknown_fields(path, cond, (form,))
            parts_raw = self.sequence(f"{path}.{form}", cond[form], "conditions", 1, MAX_CONDITION_PARTS)
            parts = [self.condition(f"{path}.{form}[{i}]", c, limit, depth + 1) for i, c in enumerate(parts_raw)]
            if not parts or any(p is None for p in parts):
                return None
            done = tuple(p for p in parts if p is not None)
            return AllOf(done) if form == "all" else AnyOf(done)
        if form == "not":
            self.unknown_fields(path, cond, ("not",))
            inner = self.condition(f"{path}.not", cond["not"], limit, depth + 1)
            return None if inner is None else Not(inner)
        self.unknown_fields(path, cond, (form, "op", "value"))
        return self.compare(path, cond, form, limit)

    def reference(self, path: str, ref: Any, form: str, limit: int) -> tuple[str, tuple[int, int] | None, Any] | None:
        """(kind, scale, keys) of what a comparison refers to; None when it is invalid or unknowable."""
        if not isinstance(ref, str) or not ref:
            self.add(path, f"must name {'a question' if form == 'question' else 'an embedded field'}, not {show(ref)}")
            return None
        if form == "embedded":
            if ref not in self.embedded_keys:
                self.add(path, f"refers to embedded field '{ref}', which is not declared under 'embedded'")
                return None
            return ("embedded", None, None)
        base, dot, item = ref.partition(".")
        if base not in self.ordinals:
            self.add(path, f"refers to '{base}', which is not a question in this survey")
            return None
        if self.ordinals[base] >= limit:
            self.add(path, f"refers to '{base}', which does not come earlier")
            return None
        question = self.parsed.get(base)
        if question is None:
            return None  # that question has its own problems
        scale = None
        if question.scale_min is not None and question.scale_max is not None:
            scale = (question.scale_min, question.scale_max)
        if dot:
            if question.type not in ITEM_TYPES:
                self.add(path, f"'{base}' is a {question.type} question: it has no items")
                return None
            if question.item(item) is None:
                keys = ", ".join(i.key for i in question.items)
                self.add(path, f"'{base}' has no item '{item}' (items: {keys})")
                return None
            return ("number", scale, None)
        if question.type in ITEM_TYPES:
            return ("items", scale, None)
        if question.type in SCALE_TYPES:
            return ("number", scale, None)
        if question.type == "open_text":
            return ("text", None, None)
        if question.type == "consent":
            return ("choice", None, (YES, NO))
        option_keys = tuple(o.key for o in question.options)
        return ("multi" if question.type == "multi_choice" else "choice", None, option_keys)

    def compare(self, path: str, cond: Mapping[str, Any], form: str, limit: int) -> Compare | None:
        target = self.reference(f"{path}.{form}", cond[form], form, limit)
        op = cond.get("op")
        if op not in OPS:
            self.add(f"{path}.op", f"unknown op {show(op)} (ops: {', '.join(OPS)})" if op else "missing op")
            return None
        if target is None:
            return None
        kind, scale, keys = target
        ref: str = cond[form]
        if op not in _KIND_OPS[kind]:
            what = "an embedded field" if kind == "embedded" else f"'{ref}'"
            self.add(f"{path}.op", f"op '{op}' does not apply to {what} (use {', '.join(_KIND_OPS[kind])})")
            return None
        raw = cond.get("value")
        if op in ("answered", "not_answered"):
            if raw is not None:
                self.add(f"{path}.value", f"op '{op}' takes no value")
                return None
            return Compare(form, ref, op)
        if op in ("in", "not_in"):
            values = self.sequence(f"{path}.value", raw, "values", 1, MAX_OPTIONS) if raw is not None else None
            if values is None:
                self.add(f"{path}.value", f"op '{op}' needs a list of values")
                return None
            checked = [self.scalar(f"{path}.value[{i}]", v, op, kind, scale, keys, ref) for i, v in enumerate(values)]
            if not checked or any(c is None for c in checked):
                return None
            return Compare(form, ref, op, tuple(checked))
        value = self.scalar(f"{path}.value", raw, op, kind, scale, keys, ref)
        return None if value is None else Compare(form, ref, op, value)

    def scalar(
        self,
        path: str,
        raw: Any,
        op: str,
        kind: str,
        scale: tuple[int, int] | None,
        keys: tuple[str, ...] | None,
        ref: str,
    ) -> Any:
        if raw is None:
            self.add(path, f"op '{op}' needs a value")
            return None
        if isinstance(raw, list | tuple | Mapping):
            self.add(path, f"op '{op}' needs a single value, not {show(raw)}")
            return None
        ordering = op in ("lt", "lte", "gt", "gte")
        is_number = isinstance(raw, int | float) and not isinstance(raw, bool) and abs(raw) < 1e15
        if kind == "number" or (kind == "embedded" and ordering):
            if not is_number:
                self.add(path, f"{show(raw)} is not a number")
                return None
            if scale is not None and not scale[0] <= raw <= scale[1]:
                self.add(path, f"value {show(raw)} is outside the scale of '{ref}' ({scale[0]}..{scale[1]})")
                return None
            return raw
        if kind == "embedded":
            if not (is_number or isinstance(raw, str)):
                self.add(path, f"must be text or a number, not {show(raw)}")
                return None
            return raw
        if kind == "text":
            if not isinstance(raw, str) or not raw.strip():
                self.add(path, f"must be non-empty text, not {show(raw)}")
                return None
            return raw
        # choice / multi: an option key
        if isinstance(raw, bool) and keys == (YES, NO):
            raw = YES if raw else NO
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or keys is None or raw not in keys:
            self.add(path, f"{show(raw)} is not an option of '{ref}' (options: {', '.join(keys or ())})")
            return None
        return raw
