"""Edits of a survey definition (a plain dict), for the builder: add, change, move and delete questions
and pages. Each returns a new dict and never validates; the caller parses the result with
``survey_spec.parse`` and shows its problems, so an edit that breaks the survey is refused whole."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Definition = dict[str, Any]


class EditError(ValueError):
    """The edit names a question or page that does not exist, or moves past an end."""


def _find(definition: Mapping[str, Any], key: str) -> tuple[int, int]:
    for p, page in enumerate(definition.get("pages", [])):
        for q, question in enumerate(page.get("questions", [])):
            if question.get("key") == key:
                return p, q
    raise EditError(f"no question '{key}'")


def add_page(definition: Mapping[str, Any], *, key: str, title: Mapping[str, str] | None = None) -> Definition:
    out = copy.deepcopy(dict(definition))
    out.setdefault("pages", []).append({"key": key, "title": dict(title or {}), "questions": []})
    return out


def delete_page(definition: Mapping[str, Any], *, index: int) -> Definition:
    out = copy.deepcopy(dict(definition))
    pages = out.get("pages", [])
    if not 0 <= index < len(pages):
        raise EditError(f"no page {index + 1}")
    if pages[index].get("questions"):
        raise EditError("only an empty page can be deleted: move or delete its questions first")
    del pages[index]
    return out


def add_question(definition: Mapping[str, Any], *, page: int, question: Mapping[str, Any]) -> Definition:
    out = copy.deepcopy(dict(definition))
    pages = out.get("pages", [])
    if not 0 <= page < len(pages):
        raise EditError(f"no page {page + 1}")
    pages[page].setdefault("questions", []).append(dict(question))
    return out


def update_question(definition: Mapping[str, Any], *, key: str, changes: Mapping[str, Any]) -> Definition:
    """Merge ``changes`` into the question (a value of None removes that field)."""
    out = copy.deepcopy(dict(definition))
    p, q = _find(out, key)
    question = out["pages"][p]["questions"][q]
    for name, value in changes.items():
        if value is None:
            question.pop(name, None)
        else:
            question[name] = copy.deepcopy(value)
    return out


def delete_question(definition: Mapping[str, Any], *, key: str) -> Definition:
    out = copy.deepcopy(dict(definition))
    p, q = _find(out, key)
    del out["pages"][p]["questions"][q]
    return out


def move_question(definition: Mapping[str, Any], *, key: str, step: int) -> Definition:
    """Move one place up (step -1) or down (+1) in survey order; at a page's edge it moves onto the
    neighbouring page (last of the previous page / first of the next)."""
    if step not in (-1, 1):
        raise EditError("step must be -1 or 1")
    out = copy.deepcopy(dict(definition))
    pages = out["pages"]
    p, q = _find(out, key)
    questions = pages[p]["questions"]
    target = q + step
    if 0 <= target < len(questions):
        questions[q], questions[target] = questions[target], questions[q]
        return out
    neighbour = p + step
    if not 0 <= neighbour < len(pages):
        raise EditError("already at the " + ("start" if step < 0 else "end") + " of the survey")
    moved = questions.pop(q)
    if step < 0:
        pages[neighbour].setdefault("questions", []).append(moved)
    else:
        pages[neighbour].setdefault("questions", []).insert(0, moved)
    return out


def parse_options(text: str, languages: tuple[str, ...]) -> list[dict[str, Any]]:
    """Options typed one per line as ``key | label`` with one label per language in ``languages``
    order (``yes | 是 | 是 | Yes``); a missing label falls back to the first one."""
    options = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts or not parts[0]:
            continue
        key, labels = parts[0], parts[1:]
        first = labels[0] if labels else key
        text_by_lang = {lang: (labels[i] if i < len(labels) and labels[i] else first)
                        for i, lang in enumerate(languages)}
        options.append({"key": key, "text": text_by_lang})
    return options


def format_options(options: list[Mapping[str, Any]], languages: tuple[str, ...]) -> str:
    lines = []
    for option in options:
        text = option.get("text", {})
        lines.append(" | ".join([str(option.get("key", ""))] + [str(text.get(lang, "")) for lang in languages]))
    return "\n".join(lines)
