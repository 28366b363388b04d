"""Survey definitions: parse and validate, display and skip logic, piped text, answer validation.

The public API of the survey engine (pure Python). A definition is a plain mapping, from JSON or YAML::

    name: {en: Relationship NPS}             # optional, for the admin; description likewise
    title: {zh-hans: 您的反馈, en: Your feedback}
    default_language: zh-hans                # zh-hans (default) | zh-hant | en
    languages: [zh-hans, zh-hant, en]        # offered to respondents; default [default_language]
    intro: ...                               # optional texts; thank_you may pipe any answer
    thank_you: ...
    embedded:                                # declared hidden values (from the link, widget or API)
      - {key: store, label: {en: Store}, required: false, source: link}   # source: link|widget|api|any
    pages:
      - key: score                           # default page1, page2...
        title: ...
        questions:
          - key: nps                         # ^[a-z][a-z0-9_]{0,63}$, unique in the survey, stable
            type: nps
            text: {zh-hans: ..., en: ...}    # or a plain string (= the default language)
            required: true
          - key: reason_detractor
            type: open_text
            display_if: {question: nps, op: lte, value: 6}
        skip:                                # after this page; first rule that holds wins
          - {if: {embedded: store, op: eq, value: SH01}, to: end}   # a later page key or "end"

Question types and their own fields:

* ``nps`` (0..10), ``csat`` (1..5), ``ces`` (1..7, ``scale_version: ces2``; text defaults to the CES 2.0
  statement), ``sus`` (items q1..q10, 1..5), ``umux_lite`` (items capabilities, ease, 1..7): ``labels``
  (scale point -> text) default to the standard anchors; sus/umux_lite ``items`` default to the standard
  wording and may be reworded but not re-keyed.
* ``rating``: ``scale_min`` 0|1 (default 1), ``scale_max`` (2..11 points, default 5), ``style`` numbers|stars,
  ``labels``.
* ``single_choice``, ``dropdown``, ``multi_choice``: ``options`` [{key, text, fixed, exclusive, specify}],
  ``randomize``; multi_choice also ``min_choices``, ``max_choices``. ``fixed`` keeps an option in place when
  randomised, ``exclusive`` (multi only) cannot be combined, ``specify`` takes free text
  (answer key ``"<question>.specify"``).
* ``open_text``: ``multiline`` (default true), ``max_length`` (1..10,000, default 10,000).
* ``matrix``: ``items`` [{key, text}] (rows), ``scale_min``/``scale_max`` (default 1..5), ``labels``
  (default agreement anchors on 1..5 and 1..7), ``randomize`` (rows).
* ``yes_no``: ``options`` fixed to yes, no (texts may be changed). ``consent``: answer yes/no; "no" is refused
  when required.

Every question has ``key``, ``type``, ``text``, ``help``, ``required`` (default false), ``display_if``.

Conditions: ``{question: key, op, value}`` (``key.item`` for one row of matrix/sus/umux_lite),
``{embedded: key, op, value}``, ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}``; ops eq, neq, lt, lte, gt,
gte, in, not_in, contains, answered, not_answered. A condition refers only to earlier questions (display_if) or
to questions up to its page (skip) and to declared embedded fields. Piped text ``{{answer:key}}`` refers only to
questions on earlier pages, ``{{embedded:key}}`` to declared fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from cxloop.core.survey_answers import AnswerRow, prune_answers, validate_answers, validate_embedded
from cxloop.core.survey_logic import (
    answer_labels,
    choice_order,
    evaluate,
    first_page,
    item_order,
    localise,
    next_page,
    pipe,
    reached_pages,
    render,
    visible_questions,
)
from cxloop.core.survey_model import (
    EMBEDDED_SOURCES,
    END,
    LANGUAGES,
    MAX_TEXT_LENGTH,
    OPS,
    QUESTION_TYPES,
    AllOf,
    AnswerError,
    AnyOf,
    Compare,
    Condition,
    EmbeddedField,
    Item,
    Not,
    Option,
    Page,
    Problem,
    Question,
    SkipRule,
    SpecError,
    SurveySpec,
    Text,
)
from cxloop.core.survey_parse import parse
from cxloop.core.survey_standard import CES2_TEXT, SUS_ITEMS, UMUX_LITE_ITEMS
from cxloop.core.survey_values import SPECIFY, is_empty

__all__ = [
    "CES2_TEXT",
    "EMBEDDED_SOURCES",
    "END",
    "LANGUAGES",
    "MAX_SOURCE_CHARS",
    "MAX_TEXT_LENGTH",
    "OPS",
    "QUESTION_TYPES",
    "SPECIFY",
    "SUS_ITEMS",
    "UMUX_LITE_ITEMS",
    "AllOf",
    "AnswerError",
    "AnswerRow",
    "AnyOf",
    "Compare",
    "Condition",
    "EmbeddedField",
    "Item",
    "Not",
    "Option",
    "Page",
    "Problem",
    "Question",
    "SkipRule",
    "SpecError",
    "SurveySpec",
    "Text",
    "answer_labels",
    "choice_order",
    "condition_to_dict",
    "dumps",
    "evaluate",
    "first_page",
    "is_empty",
    "item_order",
    "loads",
    "localise",
    "next_page",
    "parse",
    "pipe",
    "prune_answers",
    "reached_pages",
    "render",
    "to_dict",
    "validate_answers",
    "validate_embedded",
    "visible_questions",
]

MAX_SOURCE_CHARS = 1_000_000  # a JSON or YAML definition larger than this is refused


# --- canonical form ----------------------------------------------------------------------------------------


def _text(text: Mapping[str, str]) -> dict[str, str]:
    return {lang: text[lang] for lang in LANGUAGES if lang in text}


def condition_to_dict(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, AllOf):
        return {"all": [condition_to_dict(c) for c in condition.conditions]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_to_dict(c) for c in condition.conditions]}
    if isinstance(condition, Not):
        return {"not": condition_to_dict(condition.condition)}
    out: dict[str, Any] = {condition.source: condition.ref, "op": condition.op}
    if condition.value is not None:
        out["value"] = list(condition.value) if isinstance(condition.value, tuple) else condition.value
    return out


def _option(option: Option) -> dict[str, Any]:
    out: dict[str, Any] = {"key": option.key, "text": _text(option.text)}
    for name in ("fixed", "exclusive", "specify"):
        if getattr(option, name):
            out[name] = True
    return out


def _question(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"key": q.key, "type": q.type, "text": _text(q.text)}
    if q.help:
        out["help"] = _text(q.help)
    out["required"] = q.required
    if q.display_if is not None:
        out["display_if"] = condition_to_dict(q.display_if)
    if q.type in ("rating", "matrix"):
        out["scale_min"], out["scale_max"] = q.scale_min, q.scale_max
    if q.type == "rating":
        out["style"] = q.style
    if q.type == "ces":
        out["scale_version"] = q.scale_version
    if q.labels:
        out["labels"] = {point: _text(text) for point, text in sorted(q.labels.items())}
    if q.items:
        out["items"] = [{"key": i.key, "text": _text(i.text)} for i in q.items]
    if q.options:
        out["options"] = [_option(o) for o in q.options]
    if q.randomize:
        out["randomize"] = True
    if q.min_choices is not None:
        out["min_choices"] = q.min_choices
    if q.max_choices is not None:
        out["max_choices"] = q.max_choices
    if q.type == "open_text":
        out["multiline"], out["max_length"] = q.multiline, q.max_length
    return out


def to_dict(spec: SurveySpec) -> dict[str, Any]:
    """The canonical definition: ``parse(to_dict(s)) == s``. Standard wording (SUS items, scale labels...) is
    written out in full, so a stored survey version keeps its exact texts whatever later code defaults to."""
    out: dict[str, Any] = {}
    if spec.name:
        out["name"] = _text(spec.name)
    if spec.description:
        out["description"] = _text(spec.description)
    out["title"] = _text(spec.title)
    out["default_language"] = spec.default_language
    out["languages"] = list(spec.languages)
    if spec.intro:
        out["intro"] = _text(spec.intro)
    if spec.thank_you:
        out["thank_you"] = _text(spec.thank_you)
    if spec.embedded:
        out["embedded"] = []
        for field in spec.embedded:
            entry: dict[str, Any] = {"key": field.key}
            if field.label:
                entry["label"] = _text(field.label)
            entry["required"] = field.required
            entry["source"] = field.source
            out["embedded"].append(entry)
    out["pages"] = []
    for page in spec.pages:
        entry = {"key": page.key}
        if page.title:
            entry["title"] = _text(page.title)
        entry["questions"] = [_question(q) for q in page.questions]
        if page.skip:
            entry["skip"] = [
                ({"if": condition_to_dict(rule.condition)} if rule.condition is not None else {}) | {"to": rule.to}
                for rule in page.skip
            ]
        out["pages"].append(entry)
    return out


# --- JSON and YAML -----------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases (no "billion laughs") and with duplicate keys refused."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not supported", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeConstructor reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def loads(text: str, fmt: str = "auto") -> SurveySpec:
    """Parse a JSON or YAML definition ("auto": JSON when it starts with "{", else YAML). Syntax errors become a
    SpecError whose problem has path "" and says the line and column."""
    if fmt not in ("auto", "json", "yaml"):
        raise ValueError(f"unknown format {fmt!r} (json, yaml or auto)")
    if len(text) > MAX_SOURCE_CHARS:
        message = f"the definition is {len(text):,} characters, over the limit of {MAX_SOURCE_CHARS:,}"
        raise SpecError([Problem("", message)])
    text = text.removeprefix("\ufeff")
    if fmt == "auto":
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
    data: Any
    if fmt == "json":
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            raise SpecError(
                [Problem("", f"JSON syntax error at line {error.lineno}, column {error.colno}: {error.msg}")]
            ) from None
        except (ValueError, RecursionError) as error:
            raise SpecError([Problem("", f"JSON error: {error}")]) from None
    else:
        try:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            message = error.problem or error.context or "invalid YAML"
            raise SpecError([Problem("", f"YAML syntax error{where}: {message}")]) from None
        except (yaml.YAMLError, RecursionError) as error:
            raise SpecError([Problem("", f"YAML error: {error}")]) from None
    if data is None:
        raise SpecError([Problem("", "the definition is empty")])
    return parse(data)


def dumps(spec: SurveySpec, fmt: str = "yaml") -> str:
    """The canonical definition as YAML (Chinese kept readable, fields in canonical order) or JSON."""
    data = to_dict(spec)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096)
        if yaml.safe_load(text) != data:
            # PyYAML writes some line-break characters (U+0085 at the end of a text) unescaped when
            # asked to keep Unicode readable, and reads them back changed: escape everything instead.
            text = yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=4096)
        return text
    raise ValueError(f"unknown format {fmt!r} (json or yaml)")
