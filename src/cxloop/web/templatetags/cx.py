from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def signed(value: float | None, with_sign: bool = True) -> str:
    """Round a metric for display: '+23', '−4', '81'. The minus is U+2212 for legibility."""
    if value is None:
        return "—"
    rounded = round(float(value))
    if with_sign and rounded > 0:
        return f"+{rounded}"
    if rounded < 0:
        return f"\u2212{abs(rounded)}"
    return str(rounded)


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    """``row|get_item:column`` — a dict value in a template."""
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


@register.filter
def percent(value: float | None) -> str:
    """A proportion (0..1) as a whole percentage: 0.734 → '73%'."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100)}%"


@register.filter
def channel_label(code: str) -> str:
    """A response's channel code in the user's language ("wechat" → "微信")."""
    from cxloop.surveys.models import Channel

    labels = dict(Channel.choices)
    return str(labels.get(code, code or "—"))


@register.filter
def language_label(code: str) -> str:
    """A language code as its own name ("zh-hant" → "繁體中文")."""
    return {"zh-hans": "简体中文", "zh-hant": "繁體中文", "en": "English"}.get(code, code or "—")
