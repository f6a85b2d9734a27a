"""The rules engine as pure logic: every condition, every action, the refusals of bad documents,
and properties of the evaluation order (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.config import ConfigError, kinds
from tessera.routing.rules import Facts, Requester, RuleSet, evaluate

MONDAY_NOON = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def facts(**overrides: object) -> Facts:
    values: dict[str, object] = {
        "mailbox": "support@example.com",
        "channel": "email",
        "sender": "dana@customer.test",
        "subject": "Cannot log in",
        "body": "Since yesterday the app says my account is locked.",
        "language": "en",
        "priority": "normal",
        "tags": frozenset(),
        "custom_fields": {},
        "requester": Requester(),
        "now": MONDAY_NOON,
    }
    values.update(overrides)
    return Facts(**values)  # type: ignore[arg-type]


def rules(text: str) -> RuleSet:
    result: RuleSet = kinds.validate("rules", text, "rules.yaml")
    return result


def one_rule(when: str, then: str = "[{tags: [hit]}]") -> RuleSet:
    return rules(f"rules:\n  - name: r\n    when: {when}\n    then: {then}\n")


def fires(when: str, **overrides: object) -> bool:
    return bool(evaluate(one_rule(when), facts(**overrides)).fired)


# ------------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("when", "overrides", "expected"),
    [
        ("{mailbox: support@example.com}", {}, True),
        ("{mailbox: billing@example.com}", {}, False),
        ("{mailbox: {in: [billing@example.com, support@example.com]}}", {}, True),
        ("{channel: portal}", {}, False),
        ("{channel: {in: [email, api]}}", {}, True),
        ("{sender: DANA@customer.test}", {}, True),
        ("{sender.domain: customer.test}", {}, True),
        ("{sender.domain: {in: [bigcorp.test]}}", {}, False),
        ("{subject: {contains: LOG IN}}", {}, True),
        ("{subject: {contains: refund}}", {}, False),
        ("{subject: {matches: '^cannot\\s+log'}}", {}, True),
        ("{subject: {words: [log, invoice]}}", {}, True),
        ("{subject: {words: [logi]}}", {}, False),  # whole words only
        ("{body: {words: [locked]}}", {}, True),
        ("{body: {contains: yesterday}}", {}, True),
        ("{text: {words: [cannot, nothing]}}", {}, True),
        ("{subject: {words: [فاکتور]}}", {"subject": "فاکتور ماه گذشته"}, True),
        ("{subject: {words: [χρέωση]}}", {"subject": "Διπλή ΧΡΈΩΣΗ στην κάρτα"}, True),
        ("{language: en}", {}, True),
        ("{language: {in: [fa, el]}}", {}, False),
        ("{language: {exists: false}}", {"language": None}, True),
        ("{priority: normal}", {}, True),
        ("{tags: {contains: vip}}", {"tags": frozenset({"vip"})}, True),
        ("{tags: {in: [a, b]}}", {"tags": frozenset({"c"})}, False),
        ("{requester.vip: true}", {"requester": Requester(vip=True)}, True),
        ("{requester.vip: true}", {}, False),
        ("{requester.segment: enterprise}", {"requester": Requester(segment="enterprise")}, True),
        ("{requester.region: eu}", {"requester": Requester(region="us")}, False),
        (
            "{requester.organisation: BigCorp}",
            {"requester": Requester(organisation="bigcorp")},
            True,
        ),
        ("{custom.plan: gold}", {"custom_fields": {"plan": "Gold"}}, True),
        ("{custom.plan: gold}", {}, False),
        ("{custom.plan: {exists: true}}", {"custom_fields": {"plan": "x"}}, True),
        ("{all: [{channel: email}, {language: en}]}", {}, True),
        ("{all: [{channel: email}, {language: fa}]}", {}, False),
        ("{any: [{channel: portal}, {language: en}]}", {}, True),
        ("{any: [{channel: portal}, {language: fa}]}", {}, False),
        ("{not: {channel: portal}}", {}, True),
        ("{not: {channel: email}}", {}, False),
    ],
)
def test_each_condition_holds_exactly_when_it_should(
    when: str, overrides: dict[str, object], expected: bool
) -> None:
    assert fires(when, **overrides) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 3, 3, 7, 30, tzinfo=UTC), True),  # Monday 09:30 in Athens (UTC+2)
        (datetime(2025, 3, 3, 15, 0, tzinfo=UTC), False),  # Monday 17:00 Athens: closed
        (datetime(2025, 3, 8, 9, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_business_hours_are_read_in_their_time_zone(now: datetime, expected: bool) -> None:
    when = "{time: {between: ['09:00', '17:00'], days: [mon, fri], timezone: Europe/Athens}}"
    assert fires(when, now=now) is expected


def test_a_time_window_may_wrap_midnight() -> None:
    when = "{time: {between: ['22:00', '06:00'], days: [mon, tue, wed, thu, fri, sat, sun]}}"
    assert fires(when, now=datetime(2025, 3, 3, 23, 0, tzinfo=UTC))
    assert fires(when, now=datetime(2025, 3, 3, 5, 59, tzinfo=UTC))
    assert not fires(when, now=datetime(2025, 3, 3, 12, 0, tzinfo=UTC))


def test_the_reason_names_the_conditions_that_held() -> None:
    rule_set = one_rule("{all: [{channel: email}, {subject: {words: [log]}}]}")
    [fired] = evaluate(rule_set, facts()).fired
    assert fired.why == 'channel is "email" and subject words [log]'
    assert fired.actor == "rule:r"


def test_requester_attributes_come_from_the_requesters_section() -> None:
    rule_set = rules(
        "requesters:\n"
        "  - domain: bigcorp.test\n    vip: true\n    organisation: BigCorp\n"
        "  - address: ceo@other.test\n    segment: exec\n"
        "rules:\n  - name: r\n    when: {requester.vip: true}\n    then: [{tags: [vip]}]\n"
    )
    assert rule_set.requester("Ann@BigCorp.test") == Requester(organisation="BigCorp", vip=True)
    assert rule_set.requester("ceo@other.test").segment == "exec"
    assert rule_set.requester("x@other.test") == Requester()


# ---------------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        ("[{group: billing}]", {"group": "billing"}),
        ("[{assignee: Alice@Example.com}]", {"assignee": "alice@example.com"}),
        ("[{priority: urgent}]", {"priority": "urgent"}),
        ("[{priority: {impact: high, urgency: high}}]", {"priority": "urgent"}),
        ("[{priority: {impact: low, urgency: medium}}]", {"priority": "low"}),
        ("[{tier: 2}]", {"tier": 2}),
        ("[{tags: [VIP, billing]}]", {"tags": ["billing", "old", "vip"]}),
        ("[{remove_tags: [old]}]", {"tags": []}),
        ("[{custom_fields: {plan: gold}}]", {"custom_fields": {"plan": "gold"}}),
        ("[{language: fa}]", {"language": "fa"}),
        ("[{reply: 'We are on it.'}]", {"reply": "r"}),
        ("[{spam: true}]", {"spam": True}),
        ("[{discard: true}]", {"discard": True}),
    ],
)
def test_each_action_decides_what_it_says(then: str, expected: dict[str, object]) -> None:
    evaluation = evaluate(one_rule("{channel: email}", then), facts(tags=frozenset({"old"})))
    summary = evaluation.summary()
    assert summary.pop("fired") == ["r"]
    assert summary == expected


def test_a_note_is_kept_with_its_rule() -> None:
    evaluation = evaluate(one_rule("{channel: email}", "[{note: Check the logs}]"), facts())
    assert evaluation.notes == [("r", "Check the logs")]


def test_a_custom_priority_matrix_replaces_the_default() -> None:
    levels = "{high: low, medium: low, low: low}"
    rule_set = rules(
        f"priority_matrix: {{high: {levels}, medium: {levels}, low: {levels}}}\n"
        "rules:\n  - name: r\n    then: [{priority: {impact: high, urgency: high}}]\n"
    )
    assert evaluate(rule_set, facts()).values["priority"] == "low"


def test_spam_discard_and_stop_end_processing() -> None:
    for flag in ("spam", "discard", "stop"):
        rule_set = rules(
            "mode: all-match\nrules:\n"
            f"  - name: first\n    then: [{{{flag}: true}}]\n"
            "  - name: second\n    then: [{group: later}]\n"
        )
        evaluation = evaluate(rule_set, facts())
        assert [f.rule.name for f in evaluation.fired] == ["first"], flag
        assert evaluation.stopped_by == "first"


# ------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - name: a\n    then: [{gruop: x}]\n",
            "rules.yaml:3: rules[0].then[0].gruop: unknown action",
        ),
        (
            "rules:\n  - name: a\n    when: {subjct: x}\n    then: [{group: x}]\n",
            "rules.yaml:3: rules[0].when.subjct: unknown condition",
        ),
        (
            "rules:\n  - name: a\n    when:\n      subject: {matches: '('}\n"
            "    then: [{group: x}]\n",
            "rules.yaml:4: rules[0].when.subject.matches: not a valid regular expression",
        ),
        (
            "rules:\n  - name: a\n    when: {subject: {like: x}}\n    then: [{group: x}]\n",
            "rules[0].when.subject.like: unknown operator",
        ),
        (
            "rules:\n  - name: a\n    then: []\n",
            "rules.yaml:3: rules[0].then: a rule needs at least one action",
        ),
        (
            "rules:\n  - name: a\n    then: [{group: x}]\n  - name: a\n    then: [{group: y}]\n",
            "rules.yaml:4: rules[1].name: rule a is defined twice",
        ),
        ("rules:\n  - name: A B\n    then: [{group: x}]\n", "rules[0].name: use lower-case"),
        (
            "rules:\n  - name: a\n    then: [{priority: {impact: huge, urgency: low}}]\n",
            "impact: must be one of",
        ),
        (
            "rules:\n  - name: a\n    then: [{tier: L2}]\n",
            "rules[0].then[0].tier: must be a tier number",
        ),
        ("rules:\n  - name: a\n    then: [{spam: yes please}]\n", "write it as `spam: true`"),
        (
            "rules:\n  - name: a\n    when: {time: {between: ['9am', '5pm']}}\n"
            "    then: [{tags: [x]}]\n",
            "rules[0].when.time.between[0]: must be a time like 09:00",
        ),
        (
            "rules:\n  - name: a\n"
            "    when: {time: {between: ['09:00', '17:00'], timezone: Mars/Base}}\n"
            "    then: [{tags: [x]}]\n",
            "unknown time zone Mars/Base",
        ),
        (
            "mode: some-match\nrules: []\n",
            "rules.yaml:1: mode: must be one of all-match, first-match",
        ),
        (
            "requesters:\n  - vip: true\nrules: []\n",
            "requesters[0]: needs exactly one of domain or address",
        ),
        (
            "rules:\n  - name: a\n    when: {requester.vip: {contains: x}}\n"
            "    then: [{tags: [x]}]\n",
            "takes is: true or false",
        ),
    ],
)
def test_bad_rules_are_refused_naming_line_rule_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        kinds.validate("rules", text, "rules.yaml")
    assert message in str(refused.value)


# ------------------------------------------------------------------- evaluation order (hypothesis)

FIELDS_OF_FACTS = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(["email", "portal", "api"]),
        "language": st.sampled_from(["en", "fa", "el"]),
    }
)
RULE = st.tuples(
    st.sampled_from(["channel", "language"]),
    st.sampled_from(["email", "portal", "api", "en", "fa", "el"]),
    st.sampled_from(["a", "b", "c"]),  # the group the rule sets
    st.booleans(),  # stop
)


def rule_set_of(specs: list[tuple[str, str, str, bool]], mode: str) -> RuleSet:
    lines = [f"mode: {mode}", "rules:" if specs else "rules: []"]
    for i, (field, value, group, stop) in enumerate(specs):
        lines += [
            f"  - name: r{i}",
            f"    when: {{{field}: {value}}}",
            f"    then: [{{group: {group}}}, {{tags: [t{i}]}}]",
        ]
        if stop:
            lines.append("    stop: true")
    return rules("\n".join(lines) + "\n")


def matching(specs: list[tuple[str, str, str, bool]], values: dict[str, str]) -> list[int]:
    return [i for i, (field, value, _, _) in enumerate(specs) if values[field] == value]


@settings(max_examples=200, deadline=None)
@given(st.lists(RULE, max_size=8), FIELDS_OF_FACTS)
def test_first_match_fires_exactly_the_first_matching_rule(
    specs: list[tuple[str, str, str, bool]], values: dict[str, str]
) -> None:
    specs = [(f, v, g, False) for f, v, g, _ in specs]  # no explicit stop: the mode decides
    evaluation = evaluate(rule_set_of(specs, "first-match"), facts(**values))
    expected = matching(specs, values)[:1]
    assert [f.rule.name for f in evaluation.fired] == [f"r{i}" for i in expected]
    if expected:
        assert evaluation.values["group"] == specs[expected[0]][2]


@settings(max_examples=200, deadline=None)
@given(st.lists(RULE, max_size=8), FIELDS_OF_FACTS)
def test_all_match_fires_matching_rules_in_order_until_a_stop_and_the_last_value_wins(
    specs: list[tuple[str, str, str, bool]], values: dict[str, str]
) -> None:
    evaluation = evaluate(rule_set_of(specs, "all-match"), facts(**values))
    expected: list[int] = []
    for i in matching(specs, values):
        expected.append(i)
        if specs[i][3]:
            break
    assert [f.rule.name for f in evaluation.fired] == [f"r{i}" for i in expected]
    if expected:
        assert evaluation.values["group"] == specs[expected[-1]][2]
        assert evaluation.values["tags"] == frozenset(f"t{i}" for i in expected)
    else:
        assert evaluation.values == {}


@settings(max_examples=100, deadline=None)
@given(st.lists(RULE, max_size=8), FIELDS_OF_FACTS, st.randoms())
def test_rules_that_do_not_match_can_move_anywhere_without_changing_the_outcome(
    specs: list[tuple[str, str, str, bool]], values: dict[str, str], random: object
) -> None:
    # Given the matching rules in their order and the others shuffled in between
    hits = set(matching(specs, values))
    others = [s for i, s in enumerate(specs) if i not in hits]
    random.shuffle(others)  # type: ignore[attr-defined]
    reordered, pending = [], list(others)
    for i, spec in enumerate(specs):
        if i in hits:
            reordered.append(spec)
        elif pending:
            reordered.append(pending.pop())
    before = evaluate(rule_set_of(specs, "all-match"), facts(**values)).values
    after = evaluate(rule_set_of(reordered, "all-match"), facts(**values)).values
    # Then the decision is the same (tags are named by position, so compare the group only)
    assert before.get("group") == after.get("group")
