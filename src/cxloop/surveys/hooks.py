"""What other apps do with captured responses, inside the capture transaction: a list of callbacks that the
capture paths call with the responses they wrote (model instances, or rows as dicts with ``id``, ``org_id``,
``survey_id``, ``submitted_at`` and ``status``). The cases app registers the rules' queue here, so surveys
does not import it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Captured = Callable[[list[Any]], None]
_CALLBACKS: list[Captured] = []


def on_captured(callback: Captured) -> None:
    if callback not in _CALLBACKS:
        _CALLBACKS.append(callback)


def captured(responses: Iterable[Any | Mapping[str, Any]]) -> None:
    rows = list(responses)
    if not rows:
        return
    for callback in _CALLBACKS:
        callback(rows)
