"""Reads for the event log page (Behaviour → Events): the newest events matching filters, a page at a time
(keyset on time and id, newest first), and the events and people per event name in the same filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from cxloop.analytics.rollups import day_start
from cxloop.behaviour.models import Event
from cxloop.behaviour.ux import period_case
from cxloop.orgs.models import Organization

PAGE = 30


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive (local days)
    name: str = ""
    source: str = ""
    person: str = ""  # a contact's external id or an anonymous id
    touchpoint: str = ""


@dataclass(frozen=True)
class NameCount:
    name: str
    events: int
    people: int


@dataclass(frozen=True)
class LogPage:
    events: list[Event]
    next_cursor: str  # "" on the last page
    counts: list[NameCount]
    total: int
    series: list[tuple[str, int]]  # events per day (per month for ranges over 92 days), every period listed
    by_month: bool


def _base(org: Organization, f: Filters, *, with_name: bool = True) -> QuerySet[Event]:
    qs = Event.objects.filter(org=org, at__gte=day_start(f.start), at__lt=day_start(f.end + timedelta(days=1)))
    if with_name and f.name:
        qs = qs.filter(name=f.name)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.touchpoint:
        qs = qs.filter(touchpoint=f.touchpoint)
    if f.person:
        from cxloop.customers.models import Contact

        contact_ids = list(Contact.objects.filter(org=org, external_id=f.person).values_list("pk", flat=True))
        qs = qs.filter(Q(anonymous_id=f.person) | Q(contact_id__in=contact_ids))
    return qs


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of(e: Event) -> str:
    """``<microseconds since 1970>_<id>`` of an event (exact, and safe in a URL)."""
    delta = e.at - _EPOCH
    return f"{(delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds}_{e.pk}"


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    """The (time, id) of a cursor, or None when missing or malformed."""
    at, _sep, pk = (value or "").partition("_")
    try:
        return _EPOCH + timedelta(microseconds=int(at)), int(pk)
    except (ValueError, OverflowError):
        return None


def read(org: Organization, f: Filters, *, cursor: str = "", limit: int = PAGE) -> LogPage:
    """One page of the log (newest first) and the counts per event name (without the name filter, so the
    other names stay visible)."""
    qs = _base(org, f).select_related("contact", "account")
    after = parse_cursor(cursor)
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    rows = list(qs.order_by("-at", "-pk")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor_of(rows[-1]) if more and rows else ""
    counts = [NameCount(str(r["name"]), int(r["n"]), int(r["people"])) for r in
              _base(org, f, with_name=False).values("name").annotate(n=Count("id"), people=Count("person",
                                                                                                 distinct=True))
              .order_by("-n", "name")]
    total = sum(c.events for c in counts if not f.name or c.name == f.name)
    by_month = (f.end - f.start).days + 1 > 92
    return LogPage(rows, next_cursor, counts, total, _series(org, f, by_month), by_month)


def _series(org: Organization, f: Filters, by_month: bool) -> list[tuple[str, int]]:
    """Events per local day (or month) of the range, every period listed. Grouped with a plain CASE over the
    periods' bounds (``behaviour.ux.period_case``): no date function per row."""
    periods: list[tuple[str, date, date]] = []  # (label, first day, day after)
    day = f.start.replace(day=1) if by_month else f.start
    while day <= f.end:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1) if by_month else day + timedelta(days=1)
        periods.append((day.strftime("%Y-%m" if by_month else "%m-%d"), max(day, f.start), min(following, f.end +
                                                                                                timedelta(days=1))))
        day = following
    bounds = [(day_start(lo), day_start(hi)) for _label, lo, hi in periods]
    found = {int(r["cx_p"]): int(r["n"]) for r in _base(org, f).annotate(cx_p=period_case(bounds))
             .values("cx_p").annotate(n=Count("id")).order_by() if r["cx_p"] is not None}
    return [(label, found.get(i, 0)) for i, (label, _lo, _hi) in enumerate(periods)]


def describe(e: Event) -> dict[str, Any]:
    """What the page shows of one event."""
    if e.contact is not None:
        who, who_id = e.contact.name or e.contact.external_id, e.contact.external_id
    else:
        who, who_id = "", e.anonymous_id
    return {"event": e, "who": who, "who_id": who_id, "account": e.account.name if e.account else "",
            "properties": ", ".join(f"{k}={_short(v)}" for k, v in list(e.properties.items())[:8])}


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"
