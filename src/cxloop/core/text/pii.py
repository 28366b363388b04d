"""PII redaction for analysis copies and exports of customer comments.

:func:`redact` replaces each piece of personal data with a typed placeholder and counts them::

    redact("电话 138 0013 8000，邮箱 li@example.cn") → Redacted("电话 [phone]，邮箱 [email]", {"phone": 1, "email": 1})

What is found, and how it is validated (a candidate that fails validation is left alone, so order numbers,
timestamps, prices such as 1999.00 and dates such as 2026-11-23 stay):

* ``[email]`` — ``local@domain.tld`` (ASCII local part, a dotted domain, a 2+ letter top-level domain).
* ``[id]`` — 中国居民身份证号码: 18 characters per GB 11643-1999, the first 17 digits and a check character
  ``"10X98765432"[Σ(digitᵢ·wᵢ) mod 11]`` with weights wᵢ = 2^(17−i) mod 11 (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8
  4 2), ``x`` accepted for ``X``; the old 15-digit form (no check character). Both also need a known province
  code (11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81–83) and a real birth date (18 digits: 1900 to
  this year; 15 digits: 19YYMMDD).
* ``[card]`` — bank card numbers: 13–19 digits, written together or in groups of 4 (or Amex 4-6-5) separated
  by single spaces or hyphens, that pass the Luhn check (ISO/IEC 7812-1) and start like a payment card (3, 4,
  5, 6, or 2221–2720).
* ``[phone]`` — Chinese mobile numbers ``1[3-9]x xxxx xxxx`` with an optional ``+86`` / ``0086`` / ``86``
  prefix and optional spaces or hyphens in the 3-4-4 places; Chinese landlines with an area code set off by a
  hyphen, a space or brackets (``010-12345678``, ``(021) 6123 4567``, ``0755 1234 5678``; an area code of
  010/02x takes 8 local digits, others 7 or 8); ``+86`` landlines
  (``+86 10 1234 5678``); North-American ``(415) 555-0132`` / ``415-555-0132``; Taiwan mobiles
  ``0912-345-678``; and any other ``+`` number of 8–15 digits in E.164 shape (``+44 20 7946 0958``).

Matches of several kinds never overlap: e-mail beats everything (a QQ address 12345678@qq.com is one e-mail),
then 身份证, card and phone; among the same kind the earlier, then the longer match wins.

Pure Python: no Django.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from datetime import date

__all__ = ["KINDS", "PLACEHOLDERS", "Pii", "Redacted", "find", "is_card", "is_id_number", "luhn_ok", "redact"]

KINDS: tuple[str, ...] = ("email", "id", "card", "phone")
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind}]" for kind in KINDS}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)

# No letter or digit right before or after; a number is not the integer or fraction part of a decimal.
_START = r"(?<![0-9A-Za-z])(?<![0-9][.,])"
_END = r"(?![0-9A-Za-z])(?![.,][0-9])"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_ID = re.compile(_START + r"(?:\d{17}[\dXx]|\d{15})" + r"(?![0-9A-Za-z])(?![.,][0-9])")
_CARD = re.compile(_START + r"(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{5})" + _END)
_PHONE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # mainland mobile, optional country code
    re.compile(r"(?:(?<![0-9A-Za-z+])(?:(?:\+|00)86[ -]?|86[ -])|" + _START + r")1[3-9]\d(?:[ -]?\d{4}){2}" + _END),
    # +86 landline: +86 10 1234 5678, +86-21-61234567, +86 (0)755 1234 5678
    re.compile(r"(?<![0-9A-Za-z])(?:\+|00)86[ -]?(?:\(0\))?0?[1-9]\d{1,2}[ -]?\d{3,4}[ -]?\d{4}" + _END),
    # mainland landline with the area code set off: 010-12345678, (021) 6123 4567, 0755 1234 5678
    re.compile(_START + r"(?:\(0\d{2,3}\)[ -]?|0\d{2,3}[ -])[1-9]\d{2,3}[ -]?\d{4}" + _END),
    # North America: (415) 555-0132, 415-555-0132, 415.555.0132
    re.compile(_START + r"(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[-.])[2-9]\d{2}[-.]\d{4}" + _END),
    # Taiwan mobile: 0912-345-678, 0912 345 678, 0912345678
    re.compile(_START + r"09\d{2}[ -]?\d{3}[ -]?\d{3}" + _END),
    # any other international number in E.164 shape: +44 20 7946 0958, +1-415-555-0132
    re.compile(r"(?<![0-9A-Za-z+])\+[1-9](?:[ -]?\(?\d\)?){7,14}" + _END),
)


@dataclasses.dataclass(frozen=True)
class Pii:
    """One piece of personal data in a text: its kind (email, id, card, phone) and character span."""

    kind: str
    start: int
    end: int
    text: str


@dataclasses.dataclass(frozen=True)
class Redacted:
    """The text with every found piece replaced by its placeholder, and how many of each kind."""

    text: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812-1: double every second digit from the right."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def is_id_number(text: str) -> bool:
    """A valid 中国居民身份证号码: 18 characters with the GB 11643 check character, or the old 15 digits."""
    if len(text) == 18:
        body, check = text[:17], text[17].upper()
        if not body.isdigit() or not (check.isdigit() or check == "X"):
            return False
        if int(body[:2]) not in _PROVINCES or not _valid_date(int(body[6:10]), int(body[10:12]), int(body[12:14])):
            return False
        total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
        return _ID_CHECK[total % 11] == check
    if len(text) == 15 and text.isdigit():
        return int(text[:2]) in _PROVINCES and _valid_date(1900 + int(text[6:8]), int(text[8:10]), int(text[10:12]))
    return False


def is_card(text: str) -> bool:
    """13–19 digits (spaces and hyphens ignored) passing Luhn, with a payment-card prefix (2221–2720, 3–6)."""
    digits = text.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19 or not digits.isdigit():
        return False
    first = digits[0]
    if first not in "3456" and not (first == "2" and 2221 <= int(digits[:4]) <= 2720):
        return False
    return luhn_ok(digits)


def _is_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") or text.startswith("00"):
        return 8 <= len(digits.removeprefix("00") if text.startswith("00") else digits) <= 15
    return len(digits) >= 7


def _landline_ok(text: str) -> bool:
    """An area code 010 / 02x takes 8 local digits; a longer area code (0xxx) 7 or 8."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith(("010", "02")):
        return len(digits) == 11
    return len(digits) in (11, 12)


_CHECKS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("email", _EMAIL, lambda s: True),
    ("id", _ID, is_id_number),
    ("card", _CARD, is_card),
    ("phone", _PHONE_PATTERNS[0], _is_phone),
    ("phone", _PHONE_PATTERNS[1], _is_phone),
    ("phone", _PHONE_PATTERNS[2], _landline_ok),
    ("phone", _PHONE_PATTERNS[3], _is_phone),
    ("phone", _PHONE_PATTERNS[4], _is_phone),
    ("phone", _PHONE_PATTERNS[5], _is_phone),
)
_DIGIT_OR_AT = re.compile(r"[0-9@]")


def find(text: str, kinds: Iterable[str] = KINDS) -> list[Pii]:
    """Every valid piece of personal data in ``text``, in order, never overlapping (see the module docstring)."""
    wanted = set(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown PII kinds: {', '.join(sorted(unknown))} (known: {', '.join(KINDS)})")
    if not text or not _DIGIT_OR_AT.search(text):
        return []
    taken: list[Pii] = []
    for kind in KINDS:  # in priority order
        if kind not in wanted:
            continue
        candidates = [
            Pii(kind, m.start(), m.end(), m.group())
            for name, pattern, valid in _CHECKS
            if name == kind
            for m in pattern.finditer(text)
            if valid(m.group())
        ]
        candidates.sort(key=lambda p: (p.start, p.start - p.end))
        for item in candidates:
            if not any(p.start < item.end and item.start < p.end for p in taken):
                taken.append(item)
    return sorted(taken, key=lambda p: p.start)


def redact(text: str, kinds: Iterable[str] = KINDS) -> Redacted:
    """``text`` with each piece of personal data replaced by ``[email]``, ``[id]``, ``[card]`` or ``[phone]``."""
    wanted = tuple(kinds)
    found = find(text, wanted)
    counts = {kind: 0 for kind in KINDS if kind in wanted}
    if not found:
        return Redacted(text, counts)
    parts: list[str] = []
    pos = 0
    for item in found:
        parts.append(text[pos : item.start])
        parts.append(PLACEHOLDERS[item.kind])
        counts[item.kind] += 1
        pos = item.end
    parts.append(text[pos:])
    return Redacted("".join(parts), counts)
