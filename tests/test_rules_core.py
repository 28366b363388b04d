"""core.rules: parsing with located problems, evaluation of every field kind and op (missing values included),
explain, the actions, the docs/rules.md examples, the small helpers, and a hypothesis round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxloop.core import rules
from cxloop.core.rules import AllOf, AnyOf, Leaf, Not, ResponseFacts, RuleError

TODAY = date(2024, 6, 1)


def facts(**kwargs: Any) -> ResponseFacts:
    return ResponseFacts(today=TODAY, **kwargs)


def leaf(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


def holds(condition: dict[str, Any], f: ResponseFacts) -> bool:
    return rules.evaluate(rules.parse_condition(condition), f)


def problems(raw: Any) -> list[tuple[str, str]]:
    with pytest.raises(RuleError) as caught:
        rules.parse(raw)
    return [(p.path, p.message) for p in caught.value.problems]


def condition_problems(raw: Any) -> list[tuple[str, str]]:
    with pytest.raises(RuleError) as caught:
        rules.parse_condition(raw)
    return [(p.path, p.message) for p in caught.value.problems]


def rule(when: Any, **extra: Any) -> dict[str, Any]:
    return {"name": "r", "when": when, "then": {"notify": [{"channel": "cx-alerts"}]}, **extra}


# --- the examples of docs/rules.md ---------------------------------------------------------------------

DETRACTORS: dict[str, Any] = {
    "name": "Detractors to Customer Success",
    "when": {"field": "score_type.nps", "op": "<=", "value": 6},
    "then": {
        "open_case": {
            "team": "Customer Success",
            "assign": "round_robin",
            "priority": "high",
            "sla": {"first_contact_hours": 24, "resolve_hours": 120, "clock": "business"},
            "category": "detractor",
        },
        "notify": [{"channel": "cs-alerts"}],
    },
}
EXPORT: dict[str, Any] = {
    "name": "Export complaints to Product",
    "when": {
        "any": [
            {"field": "comment", "op": "contains", "value": "导出"},
            {"field": "comment", "op": "matches", "value": r"\bexport(s|ed|ing)?\b"},
        ]
    },
    "then": {"open_case": {"team": "Product", "priority": "normal", "category": "feature_request"}},
}
SUPPORT_CSAT: dict[str, Any] = {
    "name": "Unhappy support contacts",
    "when": {
        "all": [
            {"field": "touchpoint", "op": "=", "value": "support"},
            {"field": "score_type.csat", "op": "<=", "value": 2},
        ]
    },
    "then": {
        "open_case": {
            "team": "Support",
            "assign": {"user": "lead@example.com"},
            "priority": "high",
            "sla": {"first_contact_hours": 4, "resolve_hours": 24},
        }
    },
}
RENEWAL_RISK: dict[str, Any] = {
    "name": "Enterprise renewal at risk",
    "when": {
        "all": [
            {"field": "account.tier", "op": "=", "value": "enterprise"},
            {"field": "account.renewal_days", "op": "between", "value": [0, 60]},
            {"field": "score_type.nps", "op": "<=", "value": 6},
        ]
    },
    "then": {
        "open_case": {
            "team": "Customer Success",
            "priority": "urgent",
            "sla": {"first_contact_hours": 4, "resolve_hours": 72, "clock": "calendar"},
        },
        "notify": [{"channel": "exec-escalations"}, {"channel": 7}],
    },
}
PROMOTERS: dict[str, Any] = {
    "name": "Thank promoters",
    "promoter": True,
    "when": {"field": "score_type.nps", "op": ">=", "value": 9},
    "then": {"thank_you": {"template": "promoter-thanks", "cap_days": 90}},
}
EXAMPLES = [DETRACTORS, EXPORT, SUPPORT_CSAT, RENEWAL_RISK, PROMOTERS]


def test_the_documented_examples() -> None:
    parsed = [rules.parse(r) for r in EXAMPLES]
    detractor = facts(scores_by_type={"nps": 3.0}, comment="报表导出总是失败", touchpoint="onboarding")
    assert [r.name for r in rules.matching(parsed, detractor)] == [
        "Detractors to Customer Success",
        "Export complaints to Product",
    ]
    english = facts(scores_by_type={"nps": 8.0}, comment="The CSV Export is broken")
    assert [r.name for r in rules.matching(parsed, english)] == ["Export complaints to Product"]
    assert rules.matching(parsed, facts(comment="exporter of goods")) == []  # \b keeps 'exporter' out
    support = facts(touchpoint="Support", scores_by_type={"csat": 2.0})
    assert [r.name for r in rules.matching(parsed, support)] == ["Unhappy support contacts"]
    renewal = facts(
        scores_by_type={"nps": 6.0},
        account={"tier": "enterprise", "arr": Decimal("1200000.00")},
        account_renewal=TODAY + timedelta(days=60),
    )
    assert [r.name for r in rules.matching(parsed, renewal)] == [
        "Detractors to Customer Success",
        "Enterprise renewal at risk",
    ]
    # 61 days out, an SMB account, or a renewal date in the past: not at risk by this rule
    for changed in (
        {"account_renewal": TODAY + timedelta(days=61)},
        {"account": {"tier": "smb"}},
        {"account_renewal": TODAY - timedelta(days=1)},
        {"account_renewal": None},
    ):
        f = facts(**{"scores_by_type": {"nps": 6.0}, "account": {"tier": "enterprise"}, **changed})
        assert not rules.evaluate(parsed[3].when, f)
    assert [r.name for r in rules.matching(parsed, facts(scores_by_type={"nps": 10.0}))] == ["Thank promoters"]


def test_parse_builds_the_model() -> None:
    r = rules.parse(DETRACTORS)
    assert r.name == "Detractors to Customer Success" and r.promoter is False
    assert r.when == Leaf("score_type.nps", "<=", 6)
    assert r.then.open_case == rules.OpenCase(
        team="Customer Success",
        assign="round_robin",
        priority="high",
        sla=rules.Sla(24, 120, "business"),
        category="detractor",
    )
    assert r.then.notify == rules.Notify(("cs-alerts",))
    assert r.then.thank_you is None
    s = rules.parse(SUPPORT_CSAT)
    assert s.then.open_case is not None and s.then.open_case.assign == rules.AssignUser("lead@example.com")
    assert s.then.open_case.sla == rules.Sla(4, 24, "calendar")
    e = rules.parse(EXPORT)
    assert isinstance(e.when, AnyOf) and isinstance(e.when.conditions[1], Leaf)
    assert e.when.conditions[1].pattern is not None  # compiled at parse time
    assert e.when.conditions[1].pattern.flags & rules.re.IGNORECASE


def test_to_json_is_canonical() -> None:
    assert rules.to_json(rules.parse(RENEWAL_RISK)) == {
        "name": "Enterprise renewal at risk",
        "when": {
            "all": [
                {"field": "account.tier", "op": "=", "value": "enterprise"},
                {"field": "account.renewal_days", "op": "between", "value": [0, 60]},
                {"field": "score_type.nps", "op": "<=", "value": 6},
            ]
        },
        "then": {
            "open_case": {
                "team": "Customer Success",
                "assign": None,
                "priority": "urgent",
                "sla": {"first_contact_hours": 4, "resolve_hours": 72, "clock": "calendar"},
                "category": None,
            },
            "notify": [{"channel": "exec-escalations"}, {"channel": 7}],
        },
        "promoter": False,
    }
    assert rules.to_json(rules.parse(PROMOTERS))["then"] == {
        "thank_you": {"template": "promoter-thanks", "cap_days": 90}
    }
    assert rules.to_json(rules.parse_condition({"not": leaf("segment", "exists")})) == {
        "not": {"field": "segment", "op": "exists"}
    }
    for example in EXAMPLES:
        once = rules.parse(example)
        assert rules.parse(rules.to_json(once)) == once


def test_actions_may_be_a_list_of_one_key_mappings() -> None:
    listed = {**RENEWAL_RISK, "then": [{"open_case": RENEWAL_RISK["then"]["open_case"]}, {"notify": [{"channel": 7}]}]}
    r = rules.parse(listed)
    assert r.then.notify == rules.Notify((7,)) and r.then.open_case is not None
    assert problems({**listed, "then": [{"notify": [{"channel": 1}]}, {"notify": [{"channel": 2}]}]}) == [
        ("then[1].notify", "'notify' is given twice")
    ]
    assert problems({**listed, "then": [{"notify": [{"channel": 1}], "open_case": {"team": 1}}]}) == [
        ("then[0]", "an action in a list has exactly one key (open_case, notify, thank_you)")
    ]


# --- evaluation, by field ------------------------------------------------------------------------------


def test_scores_by_question_and_by_type() -> None:
    f = facts(scores={"nps": 6.0, "sus.q1": 4.0}, scores_by_type={"nps": 6.0, "csat": 5.0})
    assert holds(leaf("score.nps", "=", 6), f)
    assert holds(leaf("score.nps", "!=", 7), f)
    assert holds(leaf("score.nps", "<", 7), f) and not holds(leaf("score.nps", "<", 6), f)
    assert holds(leaf("score.nps", "<=", 6), f) and not holds(leaf("score.nps", "<=", 5.5), f)
    assert holds(leaf("score.nps", ">", 5.9), f) and not holds(leaf("score.nps", ">", 6), f)
    assert holds(leaf("score.nps", ">=", 6), f) and not holds(leaf("score.nps", ">=", 6.1), f)
    assert holds(leaf("score.nps", "between", [6, 8]), f) and holds(leaf("score.nps", "between", [0, 6]), f)
    assert not holds(leaf("score.nps", "between", [7, 8]), f)
    assert holds(leaf("score.nps", "in", [0, 6, 10]), f) and not holds(leaf("score.nps", "not_in", [6]), f)
    assert holds(leaf("score.sus.q1", "=", 4), f)
    assert holds(leaf("score_type.csat", ">=", 4), f)
    assert holds(leaf("score_type.ces", "not_exists"), f) and holds(leaf("score_type.nps", "exists"), f)


def test_item_answers_are_found_flat_or_nested() -> None:
    f = facts(answers={"grid": {"speed": 2.0, "price": 5.0}, "sus.q2": 3.0})
    assert holds(leaf("answer.grid.speed", "<=", 2), f)
    assert holds(leaf("answer.sus.q2", "=", 3), f)
    assert holds(leaf("answer.grid.support", "not_exists"), f)


def test_answers_of_every_shape() -> None:
    f = facts(
        answers={
            "plan": "pro",
            "reasons": ("price", "speed"),
            "single": ["price"],
            "seats": 120.0,
            "why": "Too slow on Mondays",
            "ok": True,
        }
    )
    assert holds(leaf("answer.plan", "=", "PRO"), f)  # text compares without case
    assert holds(leaf("answer.plan", "in", ["free", "pro"]), f) and holds(leaf("answer.plan", "not_in", ["free"]), f)
    assert holds(leaf("answer.reasons", "contains", "speed"), f)
    assert holds(leaf("answer.reasons", "not_contains", "support"), f)
    assert holds(leaf("answer.reasons", "in", ["support", "price"]), f)  # any chosen option in the list
    assert not holds(leaf("answer.reasons", "not_in", ["support", "price"]), f)
    assert not holds(leaf("answer.reasons", "=", "price"), f)  # two options chosen: equals neither alone
    assert holds(leaf("answer.single", "=", "price"), f)
    assert holds(leaf("answer.seats", ">", 100), f) and holds(leaf("answer.seats", "=", 120), f)
    assert holds(leaf("answer.why", "contains", "slow"), f)
    assert holds(leaf("answer.why", "matches", r"^too\s+slow"), f)
    assert holds(leaf("answer.reasons", "matches", "^spe"), f)  # any chosen option matching
    assert not holds(leaf("answer.why", ">", 1), f)  # text that is not a number: comparisons are false
    assert holds(leaf("answer.ok", "=", True), f) and not holds(leaf("answer.ok", "=", 1), f)
    assert not holds(leaf("answer.seats", "contains", "12"), f)  # contains does not look inside numbers


def test_embedded_contact_and_account_attributes() -> None:
    f = facts(
        embedded={"seats": "120", "plan": "Pro"},
        contact={"role": "decision_maker", "city": "上海"},
        account={"tier": "enterprise", "arr": Decimal("250000.50"), "region": "华东"},
    )
    assert holds(leaf("embedded.seats", ">=", 100), f)  # embedded values arrive as text: numbers still compare
    assert holds(leaf("embedded.seats", "=", 120), f) and not holds(leaf("embedded.seats", "=", "12"), f)
    assert holds(leaf("embedded.plan", "=", "pro"), f)
    assert holds(leaf("contact.role", "=", "decision_maker"), f) and holds(leaf("contact.city", "=", "上海"), f)
    assert holds(leaf("account.arr", ">", 250000), f) and not holds(leaf("account.arr", ">", 250000.5), f)
    assert holds(leaf("account.arr", "between", [100000, 500000]), f)
    assert holds(leaf("account.region", "in", ["华东", "华南"]), f)
    assert holds(leaf("account.industry", "not_exists"), f)


def test_renewal_days() -> None:
    f = facts(account_renewal=date(2024, 7, 31))  # 30 June has 30 days: 1 June -> 31 July is 60 days
    assert holds(leaf("account.renewal_days", "=", 60), f)
    assert holds(leaf("account.renewal_days", "<=", 60), f) and not holds(leaf("account.renewal_days", "<", 60), f)
    past = facts(account_renewal=date(2024, 5, 30))
    assert holds(leaf("account.renewal_days", "=", -2), past)
    assert not holds(leaf("account.renewal_days", "<=", 60), facts())  # no renewal date: missing
    assert holds(leaf("account.renewal_days", "not_exists"), facts())


def test_plain_fields_and_survey_by_id_or_slug() -> None:
    f = facts(touchpoint="onboarding", channel="email", language="zh-hans", survey_id=12, survey_slug="q2-nps")
    assert holds(leaf("touchpoint", "=", "Onboarding"), f) and holds(leaf("touchpoint", "!=", "support"), f)
    assert holds(leaf("channel", "in", ["sms", "email"]), f) and holds(leaf("channel", "not_in", ["sms"]), f)
    assert holds(leaf("language", "=", "zh-hans"), f)
    assert holds(leaf("survey", "=", 12), f) and holds(leaf("survey", "=", "q2-nps"), f)
    assert holds(leaf("survey", "in", [3, "q2-nps"]), f) and not holds(leaf("survey", "in", [3, "other"]), f)
    assert not holds(leaf("survey", "!=", 12), f) and holds(leaf("survey", "!=", 13), f)
    assert not holds(leaf("survey", "=", "12"), f)  # an id is a number, a slug is text
    assert holds(leaf("survey", "not_exists"), facts())


def test_segments_themes_and_sentiment() -> None:
    f = facts(segments=frozenset({"vip", "beta"}), themes=frozenset({"export", "pricing"}), sentiment="negative")
    assert holds(leaf("segment", "in", ["vip"]), f) and holds(leaf("segment", "not_in", ["churned"]), f)
    assert not holds(leaf("segment", "not_in", ["churned", "beta"]), f)
    assert holds(leaf("theme", "in", ["Export"]), f) and holds(leaf("sentiment", "=", "negative"), f)
    nobody = facts()  # in no segment; comment not analysed
    assert holds(leaf("segment", "not_in", ["vip"]), nobody)  # segments are always known
    assert not holds(leaf("segment", "in", ["vip"]), nobody)
    assert holds(leaf("segment", "not_exists"), nobody) and not holds(leaf("segment", "exists"), nobody)
    assert not holds(leaf("theme", "in", ["export"]), nobody)  # not analysed: false, not an error
    assert not holds(leaf("theme", "not_in", ["export"]), nobody)
    assert not holds(leaf("sentiment", "=", "negative"), nobody)
    assert not holds(leaf("sentiment", "!=", "negative"), nobody)
    analysed_empty = facts(themes=frozenset())
    assert holds(leaf("theme", "not_in", ["export"]), analysed_empty)
    assert holds(leaf("theme", "not_exists"), analysed_empty)


def test_comment_text() -> None:
    f = facts(comment="无法导出报表。Export fails EVERY time")
    assert holds(leaf("comment", "contains", "导出"), f) and holds(leaf("comment", "contains", "export"), f)
    assert holds(leaf("comment", "not_contains", "invoice"), f)
    assert holds(leaf("comment", "matches", "export.*time$"), f)
    assert holds(leaf("comment", "matches", "报表"), f)
    assert not holds(leaf("comment", "matches", "^export"), f)
    # only the first 10,000 characters are looked at
    long = facts(comment="x" * 10_000 + "export")
    assert not holds(leaf("comment", "contains", "export"), long)
    assert not holds(leaf("comment", "matches", "export"), long)


def test_missing_values_make_every_op_false_except_not_exists() -> None:
    values = {
        "=": 1,
        "!=": 1,
        "<": 1,
        "<=": 1,
        ">": 1,
        ">=": 1,
        "between": [0, 10],
        "in": [1],
        "not_in": [1],
        "contains": "a",
        "not_contains": "a",
        "matches": "a",
    }
    missing_answers: list[dict[str, Any]] = [{}, {"q": None}, {"q": ""}, {"q": "  "}, {"q": []}, {"q": ()}]
    for missing in missing_answers:
        f = facts(answers=missing)
        for op, value in values.items():
            assert not holds(leaf("answer.q", op, value), f), (missing, op)
        assert not holds(leaf("answer.q", "exists"), f)
        assert holds(leaf("answer.q", "not_exists"), f)
        # "missing or different": wrap the leaf in not
        assert holds({"not": leaf("answer.q", "=", 1)}, f)
    assert not holds(leaf("comment", "not_contains", "export"), facts())


def test_groups() -> None:
    f = facts(scores_by_type={"nps": 4.0}, touchpoint="support")
    yes, no = leaf("score_type.nps", "<=", 6), leaf("touchpoint", "=", "billing")
    assert holds({"all": [yes, yes]}, f) and not holds({"all": [yes, no]}, f)
    assert holds({"any": [no, yes]}, f) and not holds({"any": [no, no]}, f)
    assert holds({"not": no}, f) and not holds({"not": yes}, f)
    assert holds({"all": [yes, {"not": {"any": [no, {"not": yes}]}}]}, f)


def test_explain_reports_every_leaf() -> None:
    condition = rules.parse_condition(
        {
            "any": [
                leaf("score_type.nps", "<=", 6),
                {"not": leaf("comment", "contains", "export")},
                leaf("theme", "in", ["x"]),
            ]
        }
    )
    f = facts(scores_by_type={"nps": 3.0}, comment="Export is fine")
    checks = rules.explain(condition, f)
    assert [(c.path, c.actual, c.result) for c in checks] == [
        ("when.any[0]", 3.0, True),
        ("when.any[1].not", "Export is fine", True),  # the leaf itself; its not makes the branch false
        ("when.any[2]", None, False),
    ]
    assert checks[0].leaf == Leaf("score_type.nps", "<=", 6)
    assert rules.evaluate(condition, f) is True


def test_matching_keeps_order() -> None:
    a = rules.parse(rule(leaf("touchpoint", "exists"), name="a"))
    b = rules.parse(rule(leaf("touchpoint", "not_exists"), name="b"))
    c = rules.parse(rule(leaf("touchpoint", "=", "support"), name="c"))
    assert [r.name for r in rules.matching([c, b, a], facts(touchpoint="support"))] == ["c", "a"]
    assert [r.name for r in rules.matching([c, b, a], facts())] == ["b"]


# --- problems ------------------------------------------------------------------------------------------


def test_problems_are_located_and_collected() -> None:
    raw = {
        "nme": "x",
        "when": {
            "all": [
                {"field": "nps", "op": "lte", "value": 6},
                {"field": "score_type.nsp", "op": "<=", "value": 6},
                {"field": "touchpoint", "op": "<", "value": 3},
                {"field": "score.nps", "op": "<=", "value": "6"},
                {"field": "comment", "op": "matches", "value": "(unclosed"},
                {"fild": "comment", "op": "contains", "value": "x"},
            ]
        },
        "then": {"open_case": {"team": 0, "priority": "medium"}, "thank_you": {"template": "t", "cap_days": 30}},
        "promoter": "yes",
    }
    assert problems(raw) == [
        ("nme", "unknown key 'nme' (did you mean 'name'?)"),
        ("name", "missing rule name"),
        ("promoter", "must be true or false, not 'yes'"),
        ("when.all[0].field", "unknown field 'nps' (did you mean 'score_type.nps'?)"),
        ("when.all[0].op", "unknown op 'lte' (did you mean '<='?)"),
        ("when.all[1].field", "unknown score type 'nsp' (did you mean 'score_type.nps'?)"),
        ("when.all[2].op", "op '<' does not apply to 'touchpoint' (use =, !=, in, not_in, exists, not_exists)"),
        ("when.all[3].value", "6 is not a number ('score.nps' <= needs one)"),
        ("when.all[4].value", "not a valid regular expression: missing ), unterminated subpattern at position 0"),
        ("when.all[5]", "a condition needs exactly one of all, any, not, field (did you mean 'field'?)"),
        ("then.open_case.team", "team id must be a positive whole number, not 0"),
        ("then.open_case.priority", "unknown priority 'medium' (did you mean 'normal'?)"),
        ("then.thank_you", 'thank_you is for promoter rules: set "promoter": true on the rule'),
    ]
    assert str(RuleError([rules.Problem("when.op", "missing op")])) == "1 problem in the rule:\n- when.op: missing op"


def test_field_problems() -> None:
    cases = {
        "scores.nps": "unknown field 'scores.nps' (did you mean 'score.nps'?)",
        "tier": "unknown field 'tier' (did you mean 'account.tier'?)",
        "touchpoints": "unknown field 'touchpoints' (did you mean 'touchpoint'?)",
        "acount.tier": "unknown field 'acount.tier' (did you mean 'account.tier'?)",
        "account": "field 'account' needs a name after it: 'account.<name>'",
        "answer.Bad Key": "'Bad Key' is not a valid question key after 'answer.'",
        "contact.a b": "'a b' is not a valid name after 'contact.'",
    }
    for name, message in cases.items():
        assert condition_problems(leaf(name, "exists")) == [("when.field", message)], name
    assert condition_problems(leaf("", "exists")) == [
        ("when.field", "field must be a field name such as 'score_type.nps', not ''")
    ]
    assert condition_problems({"field": "zzz", "op": "exists"})[0][1].startswith("unknown field 'zzz' (fields: ")


def test_value_problems() -> None:
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        (leaf("score.q", "="), ("when.value", "op '=' needs a value")),
        ({"field": "score.q", "op": "exists", "value": 1}, ("when.value", "op 'exists' takes no value")),
        (leaf("score.q", "in", 3), ("when.value", "op 'in' needs a list of values, not 3")),
        (leaf("score.q", "in", []), ("when.value", "the list of values is empty")),
        (leaf("score.q", "in", [1, "a"]), ("when.value[1]", "'a' is not a number ('score.q' in needs one)")),
        (leaf("score.q", "between", [5, 1]), ("when.value", "the low end 5 is above the high end 1")),
        (
            leaf("score.q", "between", [1]),
            ("when.value", "op 'between' needs a list [low, high] of two numbers, not [1]"),
        ),
        (leaf("score.q", "between", [1, "x"]), ("when.value[1]", "'x' is not a number")),
        (leaf("score.q", "=", True), ("when.value", "True is not a number ('score.q' = needs one)")),
        (leaf("score.q", "=", float("inf")), ("when.value", "inf is not a number ('score.q' = needs one)")),
        (leaf("answer.q", "=", [1]), ("when.value", "op '=' needs a single value, not [1]")),
        (leaf("answer.q", "=", " "), ("when.value", "must be non-empty text (use 'not_exists' for an empty value)")),
        (leaf("answer.q", "=", {"a": 1}), ("when.value", "op '=' needs a single value, not {'a': 1}")),
        (leaf("answer.q", "contains", 3), ("when.value", "must be non-empty text, not 3")),
        (leaf("touchpoint", "=", 3), ("when.value", "must be non-empty text, not 3")),
        (leaf("survey", "=", 0), ("when.value", "a survey id must be a positive whole number, not 0")),
        (leaf("segment", "in", ["vip", ""]), ("when.value[1]", "must be non-empty text, not ''")),
        (
            leaf("segment", "=", "vip"),
            ("when.op", "op '=' does not apply to 'segment' (use in, not_in, exists, not_exists)"),
        ),
        (
            leaf("comment", "=", "x"),
            ("when.op", "op '=' does not apply to 'comment' (use contains, not_contains, matches, exists, not_exists)"),
        ),
        (
            leaf("score.q", "contains", "x"),
            (
                "when.op",
                "op 'contains' does not apply to 'score.q' "
                "(use =, !=, <, <=, >, >=, between, in, not_in, exists, not_exists)",
            ),
        ),
        (leaf("answer.q", "=", "x" * 1001), ("when.value", "text is 1,001 characters, over the limit of 1,000")),
        (leaf("score.q", "in", list(range(201))), ("when.value", "has 201 values, more than the limit of 200")),
        ({"field": "score.q"}, ("when.op", "missing op")),
        (
            {"field": "score.q", "op": "=", "value": 1, "vaule": 2},
            ("when.vaule", "unknown key 'vaule' (did you mean 'value'?)"),
        ),
    ]
    for raw, expected in cases:
        assert condition_problems(raw) == [expected], raw


def test_regular_expressions_are_checked_at_parse_time() -> None:
    assert condition_problems(leaf("comment", "matches", "x" * 201)) == [
        ("when.value", "the pattern is 201 characters, over the limit of 200")
    ]
    slow = "the pattern repeats a group that itself repeats (like (a+)+): it could be very slow"
    for pattern in ("(a+)+$", r"(\w*x)*", "(ab{2,})+"):
        assert condition_problems(leaf("comment", "matches", pattern)) == [("when.value", slow)], pattern
    assert condition_problems(leaf("comment", "matches", "[z-a]")) == [
        ("when.value", "not a valid regular expression: bad character range z-a at position 1")
    ]
    assert condition_problems(leaf("comment", "matches", "")) == [
        ("when.value", "op 'matches' needs a regular expression as text, not ''")
    ]
    assert rules.parse_condition(leaf("comment", "matches", "(export|导出)+")) == Leaf(
        "comment", "matches", "(export|导出)+"
    )


def test_structure_problems() -> None:
    assert condition_problems({"all": []}) == [("when.all", "the list of conditions is empty")]
    assert condition_problems({"any": {"field": "x"}}) == [("when.any", "must be a list of conditions, not dict")]
    assert condition_problems({"all": [leaf("channel", "exists")], "any": []}) == [
        ("when", "a condition needs exactly one of all, any, not, field (found all, any)")
    ]
    assert condition_problems({"and": [leaf("channel", "exists")]}) == [
        ("when", "a condition needs exactly one of all, any, not, field (did you mean 'all'?)")
    ]
    assert condition_problems("nps <= 6") == [("when", "a condition must be a mapping, not str")]
    assert condition_problems({"not": leaf("channel", "exists"), "extra": 1}) == [
        ("when.extra", "unknown key 'extra' (allowed: not)")
    ]
    assert problems(rule(None)) == [("when", "a condition must be a mapping, not nothing")]
    assert problems({"name": "r", "then": {"notify": [{"channel": 1}]}}) == [("when", "missing condition")]
    assert problems([1]) == [("", "a rule must be a mapping, not list")]


def test_depth_and_leaf_limits() -> None:
    deep: dict[str, Any] = leaf("channel", "exists")
    for _ in range(5):
        deep = {"not": deep}
    assert isinstance(rules.parse_condition(deep), Not)  # six levels
    assert condition_problems({"all": [deep]}) == [
        ("when.all[0].not.not.not.not.not", "conditions nest more than 6 levels deep")
    ]
    fifty = {"any": [leaf("score.q", "=", i) for i in range(50)]}
    parsed = rules.parse_condition(fifty)
    assert isinstance(parsed, AnyOf) and len(parsed.conditions) == 50
    assert condition_problems({"any": [*fifty["any"], leaf("score.q", "=", 50)]}) == [
        ("when", "has 51 leaves, more than the limit of 50")
    ]
    assert isinstance(rules.parse_condition({"all": [fifty]}), AllOf)


def test_action_problems() -> None:
    def then(actions: Any, **extra: Any) -> list[tuple[str, str]]:
        return problems({"name": "r", "when": leaf("channel", "exists"), "then": actions, **extra})

    assert then(None) == [("then", "missing actions: give at least one of open_case, notify, thank_you")]
    assert then({}) == [("then", "no actions: give at least one of open_case, notify, thank_you")]
    assert then({"alert": []}) == [("then.alert", "unknown key 'alert' (did you mean 'notify'?)")]
    assert then({"open_case": {}}) == [("then.open_case.team", "missing team")]
    assert then({"open_case": {"team": "  "}}) == [("then.open_case.team", "team must be non-empty text, not '  '")]
    assert then({"open_case": {"team": 2, "assign": "random"}}) == [
        ("then.open_case.assign", 'must be "round_robin", {"user": <id or e-mail>} or null, not \'random\'')
    ]
    assert then({"open_case": {"team": 2, "assign": {"user": "bob"}}}) == [
        ("then.open_case.assign.user", "'bob' is not a user id or an e-mail address")
    ]
    assert then({"open_case": {"team": 2, "assign": {"user": -3}}}) == [
        ("then.open_case.assign.user", "user id must be a positive whole number, not -3")
    ]
    assert then({"open_case": {"team": 2, "sla": {"first_contact_hours": 0, "resolve_hours": 4}}}) == [
        ("then.open_case.sla.first_contact_hours", "must be a positive number of hours, not 0")
    ]
    assert then({"open_case": {"team": 2, "sla": {"first_contact_hours": 8, "resolve_hours": 4}}}) == [
        ("then.open_case.sla.resolve_hours", "resolve_hours (4) is less than first_contact_hours (8)")
    ]
    assert then({"open_case": {"team": 2, "sla": {"resolve_hours": 4, "clock": "lunar"}}}) == [
        ("then.open_case.sla.first_contact_hours", "missing: needs a number of hours"),
        ("then.open_case.sla.clock", "unknown clock 'lunar' (clocks: calendar, business)"),
    ]
    assert then({"open_case": {"team": 2, "sla": {"first_contact_hours": 1, "resolve_hours": 20_000}}}) == [
        ("then.open_case.sla.resolve_hours", "20000 hours is over the limit of 10,000")
    ]
    assert then({"open_case": {"team": 2, "sla": {"first_response_hours": 1, "resolve_hours": 2}}}) == [
        (
            "then.open_case.sla.first_response_hours",
            "unknown key 'first_response_hours' (did you mean 'first_contact_hours'?)",
        ),
        ("then.open_case.sla.first_contact_hours", "missing: needs a number of hours"),
    ]
    assert then({"notify": []}) == [("then.notify", 'must be a non-empty list of {"channel": <id or name>}, not []')]
    assert then({"notify": [{"channel": "a"}, {"channel": "a"}]}) == [
        ("then.notify[1].channel", "channel 'a' is listed twice")
    ]
    assert then({"notify": [{"channel": True}]}) == [
        ("then.notify[0].channel", "channel must be an id or a name, not True")
    ]
    assert then({"thank_you": {"template": 3, "cap_days": 0}}, promoter=True) == [
        ("then.thank_you.cap_days", "must be a whole number of days from 1 to 3650, not 0")
    ]
    assert then({"thank_you": {"template": 3}}, promoter=True) == [
        ("then.thank_you.cap_days", "missing: needs a number of days between two thank-yous to one contact")
    ]
    ok = rules.parse(
        {"name": "r", "when": leaf("channel", "exists"), "then": {"open_case": {"team": 5, "assign": {"user": 9}}}}
    )
    assert ok.then.open_case == rules.OpenCase(5, rules.AssignUser(9), "normal", None, None)


# --- helpers -------------------------------------------------------------------------------------------


def test_capped() -> None:
    now = datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert not rules.capped(None, now, 90)
    assert rules.capped(now - timedelta(days=89, hours=23), now, 90)
    assert not rules.capped(now - timedelta(days=90), now, 90)  # exactly the cap: may send again
    assert not rules.capped(now - timedelta(days=400), now, 90)


def test_default_team_and_round_robin() -> None:
    owners = {"support": "Support", "onboarding": "Customer Success"}
    assert rules.default_team("support", owners) == "Support"
    assert rules.default_team("billing", owners) is None and rules.default_team(None, owners) is None
    members = [11, 12, 13]
    assert rules.next_assignee(members, None) == 11
    assert rules.next_assignee(members, 11) == 12
    assert rules.next_assignee(members, 13) == 11
    assert rules.next_assignee(members, 99) == 11  # the last one left the team: start over
    assert rules.next_assignee([], 11) is None
    sequence, last = [], None
    for _ in range(5):
        last = rules.next_assignee(["a", "b"], last)
        sequence.append(last)
    assert sequence == ["a", "b", "a", "b", "a"]


def test_field_kind() -> None:
    assert rules.field_kind("score.nps") == "number"
    assert rules.field_kind("score_type.umux_lite") == "number"
    assert rules.field_kind("account.renewal_days") == "number"
    assert rules.field_kind("account.tier") == "value"
    assert rules.field_kind("segment") == "set" and rules.field_kind("comment") == "text"
    assert rules.field_kind("survey") == "label"
    assert rules.field_kind("score_type.matrix") is None and rules.field_kind("score") is None


# --- round trip ----------------------------------------------------------------------------------------

_TEXT = st.text(alphabet="abcxyz导出 _-", min_size=1, max_size=12).filter(lambda s: bool(s.strip()))
_NUM = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
_KEY = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


def _leaves() -> st.SearchStrategy[dict[str, Any]]:
    number_field = st.one_of(
        _KEY.map(lambda k: f"score.{k}"),
        st.sampled_from(rules.SCORE_TYPES).map(lambda t: f"score_type.{t}"),
        st.just("account.renewal_days"),
    )
    value_field = st.one_of(
        *(_KEY.map(lambda k, p=p: f"{p}.{k}") for p in ("answer", "embedded", "contact", "account"))  # type: ignore[misc]
    )
    label_field = st.sampled_from(["touchpoint", "channel", "language", "sentiment"])
    bounds = st.tuples(_NUM, _NUM).map(lambda t: sorted(t))
    scalar = st.one_of(_TEXT, _NUM, st.booleans())
    return st.one_of(
        st.builds(leaf, number_field, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), _NUM),
        st.builds(leaf, number_field, st.just("between"), bounds),
        st.builds(leaf, number_field, st.sampled_from(["in", "not_in"]), st.lists(_NUM, min_size=1, max_size=4)),
        st.builds(leaf, st.one_of(number_field, value_field, label_field), st.sampled_from(["exists", "not_exists"])),
        st.builds(leaf, value_field, st.sampled_from(["=", "!="]), scalar),
        st.builds(leaf, value_field, st.sampled_from(["contains", "not_contains"]), _TEXT),
        st.builds(leaf, value_field, st.sampled_from(["in", "not_in"]), st.lists(scalar, min_size=1, max_size=4)),
        st.builds(leaf, label_field, st.sampled_from(["=", "!="]), _TEXT),
        st.builds(leaf, st.just("survey"), st.just("in"), st.lists(st.one_of(_TEXT, st.integers(1, 99)), min_size=1)),
        st.builds(
            leaf,
            st.sampled_from(["segment", "theme"]),
            st.sampled_from(["in", "not_in"]),
            st.lists(_TEXT, min_size=1, max_size=3),
        ),
        st.builds(leaf, st.just("comment"), st.sampled_from(["contains", "not_contains"]), _TEXT),
        st.builds(leaf, st.just("comment"), st.just("matches"), st.sampled_from(["export", "导出|export", r"^\w+$"])),
    )


_CONDITIONS = st.recursive(
    _leaves(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda c: {"all": c}),
        st.lists(inner, min_size=1, max_size=3).map(lambda c: {"any": c}),
        inner.map(lambda c: {"not": c}),
    ),
    max_leaves=8,
)
_REF = st.one_of(st.integers(1, 10_000), _TEXT)
_SLA = st.tuples(st.floats(0.5, 100), st.floats(0, 100), st.sampled_from(rules.CLOCKS)).map(
    lambda t: {"first_contact_hours": t[0], "resolve_hours": t[0] + t[1], "clock": t[2]}
)
_OPEN_CASE = st.fixed_dictionaries(
    {"team": _REF},
    optional={
        "assign": st.one_of(st.none(), st.just("round_robin"), st.builds(lambda u: {"user": u}, st.integers(1, 50))),
        "priority": st.sampled_from(rules.PRIORITIES),
        "sla": st.one_of(st.none(), _SLA),
        "category": st.one_of(st.none(), _TEXT),
    },
)
_THEN = st.fixed_dictionaries(
    {},
    optional={
        "open_case": _OPEN_CASE,
        "notify": st.lists(_REF, min_size=1, max_size=3, unique=True).map(lambda cs: [{"channel": c} for c in cs]),
        "thank_you": st.builds(lambda t, d: {"template": t, "cap_days": d}, _REF, st.integers(1, 365)),
    },
).filter(bool)


@settings(max_examples=200, deadline=None)
@given(name=_TEXT, when=_CONDITIONS, then=_THEN)
def test_round_trip(name: str, when: dict[str, Any], then: dict[str, Any]) -> None:
    raw = {"name": name, "when": when, "then": then, "promoter": "thank_you" in then}
    try:
        first = rules.parse(raw)
    except RuleError as exc:  # only the nesting or size limits may refuse a generated rule
        assert all("nest" in p.message or "leaves" in p.message for p in exc.problems), exc
        return
    canonical = rules.to_json(first)
    assert rules.parse(canonical) == first
    assert rules.to_json(rules.parse(canonical)) == canonical
    facts_ = facts(scores_by_type={"nps": 5.0}, comment="导出 export", touchpoint="a")
    assert rules.evaluate(rules.parse(canonical).when, facts_) == rules.evaluate(first.when, facts_)
