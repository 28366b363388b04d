"""core.case_flow: every pair of statuses allowed or refused (exhaustively, against the table written out here
by hand), the resolution requirements, time in status, escalation and first contact."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cxloop.core import case_flow as cf
from cxloop.core.case_flow import CaseEvent, CaseFlowError

ROOT_CAUSES = ("product_defect", "billing_error", "training_gap")
RESOLVE: dict[str, Any] = {
    "root_cause": "product_defect",
    "resolution_note": "Fixed the export in 4.2.1",
    "root_causes": ROOT_CAUSES,
}

# Written out independently of cf.TRANSITIONS: the moves a support desk needs (see the module docstring).
ALLOWED = {
    ("new", "assigned"),
    ("new", "contacted"),
    ("new", "in_progress"),
    ("assigned", "new"),
    ("assigned", "contacted"),
    ("assigned", "in_progress"),
    ("contacted", "in_progress"),
    ("contacted", "on_hold"),
    ("contacted", "resolved"),
    ("in_progress", "on_hold"),
    ("in_progress", "resolved"),
    ("on_hold", "in_progress"),
    ("on_hold", "resolved"),
    ("resolved", "closed"),
    ("resolved", "in_progress"),
    ("closed", "in_progress"),
}
STATUSES = ("new", "assigned", "contacted", "in_progress", "on_hold", "resolved", "closed")
PAIRS = list(itertools.product(STATUSES, STATUSES))


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def test_the_table_has_sixteen_moves_and_matches_the_module() -> None:
    assert cf.STATUSES == STATUSES
    assert len(ALLOWED) == 16 and len(PAIRS) == 49
    assert {(a, b) for a, targets in cf.TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_move(current: str, target: str) -> None:
    assert cf.can_transition(current, target)
    assert cf.transition(current, target, **RESOLVE) is None  # type: ignore[func-returns-value]
    assert target in cf.allowed_targets(current)


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p not in ALLOWED])
def test_every_refused_move(current: str, target: str) -> None:
    assert not cf.can_transition(current, target)
    with pytest.raises(CaseFlowError) as caught:
        cf.transition(current, target, **RESOLVE)
    assert caught.value.field == "status"
    if current == target:
        assert caught.value.message == f"the case is already {current}"
    else:
        assert caught.value.message.startswith(f"cannot go from {current} to {target} (from {current}: ")
    assert target not in cf.allowed_targets(current)


def test_refusal_messages_list_the_allowed_moves() -> None:
    with pytest.raises(CaseFlowError) as caught:
        cf.transition("new", "closed")
    assert str(caught.value) == "status: cannot go from new to closed (from new: assigned, contacted, in_progress)"
    assert cf.allowed_targets("resolved") == ("in_progress", "closed")
    assert cf.allowed_targets("closed") == ("in_progress",)
    with pytest.raises(CaseFlowError, match="unknown status 'done'"):
        cf.transition("resolved", "done")
    with pytest.raises(CaseFlowError, match="unknown status 'open'"):
        cf.allowed_targets("open")
    assert not cf.can_transition("open", "new")


def test_reopening_goes_back_to_in_progress() -> None:
    cf.transition("closed", "in_progress")
    cf.transition("resolved", "in_progress")
    for target in ("assigned", "new", "contacted", "on_hold"):
        assert not cf.can_transition("closed", target)


@pytest.mark.parametrize("current", ["contacted", "in_progress", "on_hold"])
def test_resolving_needs_a_configured_root_cause_and_a_note(current: str) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"root_cause": None}, "root_cause", "choose a root cause to resolve the case"),
        ({"root_cause": "  "}, "root_cause", "choose a root cause to resolve the case"),
        ({"root_cause": "weather"}, "root_cause", "'weather' is not one of the configured root causes"),
        ({"resolution_note": None}, "resolution_note", "write a resolution note to resolve the case"),
        ({"resolution_note": " \n "}, "resolution_note", "write a resolution note to resolve the case"),
        (
            {"resolution_note": "x" * 10_001},
            "resolution_note",
            "the note is 10,001 characters, over the limit of 10,000",
        ),
        ({"root_causes": ()}, "root_cause", "no root causes are configured: an administrator must add them first"),
    ]
    for change, field, message in cases:
        kwargs = {**RESOLVE, **change}
        with pytest.raises(CaseFlowError) as caught:
            cf.transition(current, "resolved", **kwargs)
        assert (caught.value.field, caught.value.message) == (field, message)
    for recovered in (True, False, None):
        cf.transition(current, "resolved", recovered=recovered, **RESOLVE)


def test_resolution_fields_are_ignored_on_other_moves() -> None:
    cf.transition("resolved", "closed")  # no root cause needed to close an already resolved case
    cf.transition("in_progress", "on_hold", root_cause="weather", root_causes=())


def test_time_in_status() -> None:
    events = [
        ("new", at(9)),
        ("assigned", at(9, 30)),
        ("contacted", at(11)),
        ("in_progress", at(11, 15)),
        ("on_hold", at(12)),
        ("in_progress", at(15)),
        ("resolved", at(16, 45)),
    ]
    # given out of order on purpose: they are sorted by time
    result = cf.time_in_status(list(reversed(events)), now=at(18))
    assert result == {
        "new": timedelta(minutes=30),
        "assigned": timedelta(hours=1, minutes=30),
        "contacted": timedelta(minutes=15),
        "in_progress": timedelta(minutes=45) + timedelta(hours=1, minutes=45),
        "on_hold": timedelta(hours=3),
        "resolved": timedelta(hours=1, minutes=15),
        "closed": timedelta(0),
    }
    assert list(result) == list(STATUSES)
    assert sum(result.values(), timedelta(0)) == at(18) - at(9)
    # "now" before the last event counts zero for it, not a negative time
    assert cf.time_in_status([("new", at(9)), ("assigned", at(10))], now=at(9, 30))["assigned"] == timedelta(0)
    assert cf.time_in_status([], now=at(9)) == dict.fromkeys(STATUSES, timedelta(0))
    with pytest.raises(CaseFlowError, match="unknown status 'open'"):
        cf.time_in_status([("open", at(9))], now=at(10))


def test_priority_raised() -> None:
    assert [cf.priority_raised(p) for p in ("low", "normal", "high", "urgent")] == [
        "normal",
        "high",
        "urgent",
        "urgent",
    ]
    with pytest.raises(CaseFlowError) as caught:
        cf.priority_raised("p1")
    assert caught.value.field == "priority"


def test_first_contact() -> None:
    assert cf.is_first_contact(CaseEvent("status", at(9), "contacted"))
    assert cf.is_first_contact(CaseEvent("reply", at(9)))
    assert not cf.is_first_contact(CaseEvent("status", at(9), "in_progress"))
    assert not cf.is_first_contact(CaseEvent("status", at(9), "assigned"))
    assert not cf.is_first_contact(CaseEvent("note", at(9)))
    assert not cf.is_first_contact(CaseEvent("customer_message", at(9)))
    events = [
        CaseEvent("status", at(9), "assigned"),
        CaseEvent("note", at(9, 10)),
        CaseEvent("customer_message", at(9, 20)),
        CaseEvent("status", at(11), "contacted"),
        CaseEvent("reply", at(10, 5)),  # an e-mail before the status was set: this is the first contact
    ]
    assert cf.first_contact_at(events) == at(10, 5)
    assert cf.first_contact_at(events[:3]) is None
    assert cf.first_contact_at([]) is None
