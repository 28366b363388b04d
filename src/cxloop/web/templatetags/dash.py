"""Template filters of the dashboard pages: a metric shown on its axis, p-values, percentages and
search hits marked in respondent text (escaped first)."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
MINUS = "\u2212"


def _float(value: Any) -> float | None:
    """A number from the template (an unresolved variable arrives as "")."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _number(value: float, decimals: int, signed: bool) -> str:
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    if value < 0:
        return MINUS + text
    return f"+{text}" if signed else text


@register.filter
def metric(value: float | None, axis: Any) -> str:
    """A metric value as its axis shows it: NPS '+23', CSAT '81%', a mean '5.4'."""
    number = _float(value)
    if number is None or not axis:
        return "—"
    return _number(number, axis.decimals, axis.signed) + axis.unit


@register.filter
def change(value: float | None, axis: Any) -> str:
    """A difference between two periods, always signed, without the unit ('+4', '−0.3')."""
    number = _float(value)
    if number is None or not axis:
        return "—"
    return _number(number, axis.decimals, True)


@register.filter
def pvalue(value: float | None) -> str:
    number = _float(value)
    if number is None:
        return "—"
    if number < 0.001:
        return "p < 0.001"
    return f"p = {number:.3f}"


@register.filter
def pct(value: float | None, decimals: int = 0) -> str:
    """A percentage already on 0..100: 73.4 → '73%'."""
    number = _float(value)
    if number is None:
        return "—"
    return f"{number:.{decimals}f}%"


@register.filter
def num(value: float | None, decimals: int = 2) -> str:
    number = _float(value)
    if number is None:
        return "—"
    return f"{number:.{decimals}f}"


@register.filter
def highlight(text: str, search: str) -> SafeString:
    """``text`` escaped, with every case-insensitive occurrence of ``search`` in <mark>."""
    text = str(text)
    if not search:
        return mark_safe(escape(text))  # noqa: S308 - escaped just now
    parts = re.split(f"({re.escape(search)})", text, flags=re.IGNORECASE)
    out = [f"<mark>{escape(p)}</mark>" if i % 2 else str(escape(p)) for i, p in enumerate(parts)]
    return mark_safe("".join(out))  # noqa: S308 - every part escaped


@register.filter
def residual_class(value: float | None) -> str:
    """A cell that departs from independence at the 5% level (|adjusted residual| > 1.96)."""
    number = _float(value)
    if number is None or abs(number) <= 1.96:
        return ""
    return "cell-over" if number > 0 else "cell-under"
