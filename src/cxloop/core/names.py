"""Multilingual names: ``{language: text}`` for what people name in the product (journeys, stages, funnels,
committee items), in the content languages. Pure Python; each app turns ``BadName`` into its own error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CONTENT_LANGUAGES: tuple[str, ...] = ("zh-hans", "zh-hant", "en")


class BadName(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def clean_names(raw: Any, field: str = "name", *, max_length: int = 200) -> dict[str, str]:
    """``{language: text}`` with at least one text, each stripped and at most ``max_length`` characters; plain
    text is taken as every language's. ``BadName`` names the field (``name.en``) and the problem."""
    if isinstance(raw, str):
        raw = dict.fromkeys(CONTENT_LANGUAGES, raw)
    if not isinstance(raw, Mapping):
        raise BadName(f"{field}: give the name as text or as {{language: text}}", field)
    out: dict[str, str] = {}
    for lang, text in raw.items():
        where = f"{field}.{lang}"
        if lang not in CONTENT_LANGUAGES:
            raise BadName(f"{where}: use {', '.join(CONTENT_LANGUAGES)}", where)
        if not isinstance(text, str):
            raise BadName(f"{where}: must be text", where)
        text = text.strip()
        if len(text) > max_length:
            raise BadName(f"{where}: at most {max_length} characters", where)
        if text:
            out[lang] = text
    if not out:
        raise BadName(f"{field}: a name in at least one language is required", field)
    return out
