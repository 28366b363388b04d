"""The life of a case (a closed-loop follow-up of one response): statuses, allowed moves, and small helpers.

The main road is ``new → assigned → contacted → in_progress ⇄ on_hold → resolved → closed``. Allowed moves
(``TRANSITIONS``; anything else is refused with ``CaseFlowError("status", ...)``)::

    new          → assigned     a lead or a rule's round robin gives it to an agent
    new          → contacted    an agent calls the customer straight from the queue (and so owns it)
    new          → in_progress  an agent picks it up from the queue
    assigned     → new          handed back to the team's queue (unassigned)
    assigned     → contacted    first contact with the customer
    assigned     → in_progress  the agent starts work before reaching the customer
    contacted    → in_progress  work goes on after the first contact
    contacted    → on_hold      waiting for the customer after the first contact
    contacted    → resolved     the first call solved it
    in_progress  → on_hold      waiting for the customer or a third party
    in_progress  → resolved
    on_hold      → in_progress  the wait is over
    on_hold      → resolved     the customer confirmed the fix while we waited
    resolved     → closed       the loop is closed (customer confirmed, or the confirmation window passed)
    resolved     → in_progress  reopened
    closed       → in_progress  reopened

Decisions: a case is never resolved or closed straight from ``new`` or ``assigned`` (someone must have worked
on it, so a case cannot be closed without a root cause), ``closed`` is reached only through ``resolved``, and
a reopened case goes back to ``in_progress`` with the same owner (not to ``assigned``): the customer has
been contacted already and the owner knows the story; reassigning is a change of owner, not of status. Moving
to the status a case already has is refused.

Resolving (to ``resolved``) needs a root cause from the organisation's configured list and a resolution note;
``recovered`` (did the customer come back to a good opinion?) may be None for "not known", which leaves the
case out of the recovery rate.

Pure Python: no Django.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

NEW = "new"
ASSIGNED = "assigned"
CONTACTED = "contacted"
IN_PROGRESS = "in_progress"
ON_HOLD = "on_hold"
RESOLVED = "resolved"
CLOSED = "closed"
STATUSES: tuple[str, ...] = (NEW, ASSIGNED, CONTACTED, IN_PROGRESS, ON_HOLD, RESOLVED, CLOSED)
OPEN_STATUSES = frozenset({NEW, ASSIGNED, CONTACTED, IN_PROGRESS, ON_HOLD})

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({ASSIGNED, CONTACTED, IN_PROGRESS}),
    ASSIGNED: frozenset({NEW, CONTACTED, IN_PROGRESS}),
    CONTACTED: frozenset({IN_PROGRESS, ON_HOLD, RESOLVED}),
    IN_PROGRESS: frozenset({ON_HOLD, RESOLVED}),
    ON_HOLD: frozenset({IN_PROGRESS, RESOLVED}),
    RESOLVED: frozenset({CLOSED, IN_PROGRESS}),
    CLOSED: frozenset({IN_PROGRESS}),
}

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
MAX_NOTE_LENGTH = 10_000

# Event kinds of a case's timeline. "status" is a change of status (with the new status); "reply" is a message
# or logged call to the customer; "note" is internal; "customer_message" comes from the customer.
STATUS_EVENT = "status"
REPLY_EVENT = "reply"
NOTE_EVENT = "note"
CUSTOMER_EVENT = "customer_message"
EVENT_KINDS: tuple[str, ...] = (STATUS_EVENT, REPLY_EVENT, NOTE_EVENT, CUSTOMER_EVENT)


class CaseFlowError(ValueError):
    """A refused change; ``field`` names the form field at fault ("status", "root_cause", "resolution_note")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's timeline: ``kind`` from ``EVENT_KINDS``; ``status`` the new status of a "status" event."""

    kind: str
    at: datetime
    status: str | None = None


def allowed_targets(current: str) -> tuple[str, ...]:
    """The statuses a case may move to from ``current``, in ``STATUSES`` order (for the buttons of a case page)."""
    _check_status("status", current)
    return tuple(s for s in STATUSES if s in TRANSITIONS[current])


def can_transition(current: str, target: str) -> bool:
    return current in TRANSITIONS and target in TRANSITIONS[current]


def _check_status(field: str, status: str) -> None:
    if status not in TRANSITIONS:
        raise CaseFlowError(field, f"unknown status {status!r} (statuses: {', '.join(STATUSES)})")


def transition(
    current: str,
    target: str,
    *,
    root_cause: str | None = None,
    resolution_note: str | None = None,
    recovered: bool | None = None,
    root_causes: Collection[str] = (),
) -> None:
    """Check the move from ``current`` to ``target``; raise ``CaseFlowError`` when it is not allowed.

    Resolving needs ``root_cause`` from ``root_causes`` (the organisation's list) and a non-blank
    ``resolution_note``; the three resolution arguments are ignored on any other move.
    """
    _check_status("status", current)
    _check_status("status", target)
    if target == current:
        raise CaseFlowError("status", f"the case is already {current}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(allowed_targets(current))
        raise CaseFlowError("status", f"cannot go from {current} to {target} (from {current}: {allowed})")
    if target != RESOLVED:
        return
    if not root_causes:
        raise CaseFlowError("root_cause", "no root causes are configured: an administrator must add them first")
    if root_cause is None or not root_cause.strip():
        raise CaseFlowError("root_cause", "choose a root cause to resolve the case")
    if root_cause not in root_causes:
        raise CaseFlowError("root_cause", f"{root_cause!r} is not one of the configured root causes")
    if resolution_note is None or not resolution_note.strip():
        raise CaseFlowError("resolution_note", "write a resolution note to resolve the case")
    if len(resolution_note) > MAX_NOTE_LENGTH:
        raise CaseFlowError(
            "resolution_note", f"the note is {len(resolution_note):,} characters, over the limit of {MAX_NOTE_LENGTH:,}"
        )
    if recovered is not None and not isinstance(recovered, bool):
        raise CaseFlowError("recovered", "must be yes, no or not known")


def time_in_status(events: Iterable[tuple[str, datetime]], now: datetime) -> dict[str, timedelta]:
    """Time spent in each status, from ``(status, entered_at)`` events up to ``now``.

    Events are taken in time order (stable for equal times); each status counts until the next event, the last
    one until ``now`` (never below zero). Every status is in the result, zero when never entered.
    """
    ordered = sorted(events, key=lambda e: e[1])
    totals: dict[str, timedelta] = defaultdict(timedelta)
    for i, (status, at) in enumerate(ordered):
        _check_status("status", status)
        end = ordered[i + 1][1] if i + 1 < len(ordered) else now
        totals[status] += max(end - at, timedelta(0))
    return {s: totals[s] for s in STATUSES}


def priority_raised(priority: str) -> str:
    """The next priority up for an escalation: low → normal → high → urgent; urgent stays urgent."""
    if priority not in PRIORITIES:
        raise CaseFlowError("priority", f"unknown priority {priority!r} (priorities: {', '.join(PRIORITIES)})")
    return PRIORITIES[min(PRIORITIES.index(priority) + 1, len(PRIORITIES) - 1)]


def is_first_contact(event: CaseEvent) -> bool:
    """Whether an event counts as contact with the customer: entering ``contacted``, or a reply to them.

    Internal notes, messages from the customer and other status changes do not count.
    """
    if event.kind == STATUS_EVENT:
        return event.status == CONTACTED
    return event.kind == REPLY_EVENT


def first_contact_at(events: Sequence[CaseEvent]) -> datetime | None:
    """When the customer was first contacted (the earliest counting event), None when not yet."""
    times = [e.at for e in events if is_first_contact(e)]
    return min(times) if times else None
