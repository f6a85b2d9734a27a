"""Routing rules: ordered condition -> action rules kept as reviewed config (``rules.yaml``).

The engine is pure: :func:`evaluate` takes the parsed :class:`RuleSet` and the :class:`Facts` of
one ticket and returns an :class:`Evaluation` — which rules fired, why, and what they decided —
without touching storage. The routing workflow applies it (:mod:`tessera.routing.workflow`); the
dry run and the simulation (:mod:`tessera.routing.simulation`) only print it.

Conditions see the ticket as it arrived, never what an earlier rule set, so a rule's match does
not depend on the rules before it; order decides only which rules run (``stop``) and which value
wins when two rules set the same field (the later one, like a later line of config).

``infra/config/rules.yaml``::

    mode: first-match            # or all-match: the default of each rule's ``stop``
    requesters:                  # attributes conditions can test as requester.*
      - domain: bigcorp.test     # or address: ceo@bigcorp.test
        organisation: BigCorp
        vip: true
        segment: enterprise
        region: eu
    rules:
      - name: vip-outage
        when:
          all:
            - requester.vip: true
            - subject: {words: [outage, down]}
        then:
          - group: support-l2
          - priority: {impact: high, urgency: high}
          - tags: [vip]
        stop: true               # optional, overrides mode for this rule

See docs/routing.md for every condition and action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tessera.config import Document, Path, type_name
from tessera.tickets.model import Priority

# ------------------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Requester:
    """What the helpdesk knows about a requester beyond their address (``requesters:``)."""

    organisation: str | None = None
    vip: bool = False
    segment: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Facts:
    """The ticket as the rules see it: as it arrived, plus the requester's attributes."""

    mailbox: str | None
    channel: str
    sender: str
    subject: str
    body: str
    language: str | None
    priority: str
    tags: frozenset[str]
    custom_fields: Mapping[str, str]
    requester: Requester
    now: datetime  # aware; time-of-day conditions convert it to their own time zone

    @property
    def sender_domain(self) -> str:
        return self.sender.rsplit("@", 1)[-1]


Value = str | bool | frozenset[str] | None

_FIELDS: dict[str, Callable[[Facts], Value]] = {
    "mailbox": lambda f: f.mailbox,
    "channel": lambda f: f.channel,
    "sender": lambda f: f.sender,
    "sender.domain": lambda f: f.sender_domain,
    "subject": lambda f: f.subject,
    "body": lambda f: f.body,
    "text": lambda f: f"{f.subject}\n{f.body}",  # subject and body together
    "language": lambda f: f.language,
    "priority": lambda f: f.priority,
    "tags": lambda f: f.tags,
    "requester.vip": lambda f: f.requester.vip,
    "requester.organisation": lambda f: f.requester.organisation,
    "requester.segment": lambda f: f.requester.segment,
    "requester.region": lambda f: f.requester.region,
}
CUSTOM_PREFIX = "custom."
BOOLEAN_FIELDS = frozenset({"requester.vip"})
OPERATORS = ("is", "in", "contains", "matches", "words", "exists")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def field_value(facts: Facts, name: str) -> Value:
    if name.startswith(CUSTOM_PREFIX):
        return facts.custom_fields.get(name.removeprefix(CUSTOM_PREFIX))
    return _FIELDS[name](facts)


# -------------------------------------------------------------------------------- conditions


class Condition:
    """Something true or false of a ticket; :meth:`explain` says why it holds (None: it does
    not)."""

    def explain(self, facts: Facts) -> str | None:
        raise NotImplementedError


@dataclass(frozen=True)
class FieldTest(Condition):
    """``<field>: {<operator>: <value>}``; a bare value means ``is``."""

    field: str
    operator: str
    value: Any
    pattern: re.Pattern[str] | None = None  # compiled for matches and words

    def explain(self, facts: Facts) -> str | None:
        actual = field_value(facts, self.field)
        if self._holds(actual):
            return f"{self.field} {self.operator} {self._shown()}"
        return None

    def _holds(self, actual: Value) -> bool:
        op = self.operator
        if op == "exists":
            present = bool(actual) if not isinstance(actual, bool) else True
            return present is self.value
        if isinstance(actual, bool):
            return op == "is" and actual is self.value
        if isinstance(actual, frozenset):  # tags
            wanted = {self.value} if isinstance(self.value, str) else set(self.value)
            if op in ("is", "contains"):
                return wanted <= actual
            if op == "in":
                return bool(wanted & actual)
            return any(self.pattern is not None and self.pattern.search(t) for t in actual)
        if actual is None:
            return False
        text = actual.casefold()
        if op == "is":
            return bool(text == str(self.value).casefold())
        if op == "in":
            return text in {str(v).casefold() for v in self.value}
        if op == "contains":
            return str(self.value).casefold() in text
        return self.pattern is not None and self.pattern.search(actual) is not None

    def _shown(self) -> str:
        if isinstance(self.value, list | tuple):
            return "[" + ", ".join(str(v) for v in self.value) + "]"
        if isinstance(self.value, bool):
            return str(self.value).lower()
        return f'"{self.value}"'


@dataclass(frozen=True)
class TimeOfDay(Condition):
    """``time: {between: ["09:00", "17:00"], days: [mon, ...], timezone: Europe/Athens}``:
    business hours. ``between`` may wrap midnight (``["22:00", "06:00"]``)."""

    start: time
    end: time
    days: frozenset[int]  # 0 = Monday
    timezone: str

    def explain(self, facts: Facts) -> str | None:
        local = facts.now.astimezone(ZoneInfo(self.timezone))
        clock = local.time().replace(tzinfo=None)
        inside = (
            self.start <= clock < self.end
            if self.start <= self.end
            else (clock >= self.start or clock < self.end)
        )
        if inside and local.weekday() in self.days:
            return (
                f"time {local:%a %H:%M} {self.timezone} is within "
                f"{self.start:%H:%M}-{self.end:%H:%M}"
            )
        return None


@dataclass(frozen=True)
class All(Condition):
    conditions: tuple[Condition, ...]

    def explain(self, facts: Facts) -> str | None:
        reasons = []
        for condition in self.conditions:
            reason = condition.explain(facts)
            if reason is None:
                return None
            reasons.append(reason)
        return " and ".join(reasons) if reasons else "always"


@dataclass(frozen=True)
class AnyOf(Condition):
    conditions: tuple[Condition, ...]

    def explain(self, facts: Facts) -> str | None:
        for condition in self.conditions:
            reason = condition.explain(facts)
            if reason is not None:
                return reason
        return None


@dataclass(frozen=True)
class Not(Condition):
    condition: Condition

    def explain(self, facts: Facts) -> str | None:
        if self.condition.explain(facts) is None:
            return f"not ({_describe(self.condition)})"
        return None


def _describe(condition: Condition) -> str:
    if isinstance(condition, FieldTest):
        return f"{condition.field} {condition.operator} {condition._shown()}"
    if isinstance(condition, All):
        return " and ".join(_describe(c) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return " or ".join(_describe(c) for c in condition.conditions)
    if isinstance(condition, Not):
        return f"not ({_describe(condition.condition)})"
    if isinstance(condition, TimeOfDay):
        return f"time within {condition.start:%H:%M}-{condition.end:%H:%M} {condition.timezone}"
    return type(condition).__name__


ALWAYS = All(())

# ----------------------------------------------------------------------------------- actions

ACTIONS = (
    "group",
    "assignee",
    "priority",
    "tier",
    "tags",
    "remove_tags",
    "custom_fields",
    "language",
    "note",
    "reply",
    "spam",
    "discard",
    "stop",
)


@dataclass(frozen=True)
class Action:
    """One ``then:`` entry. ``value`` is typed per kind (see :func:`_action`)."""

    kind: str
    value: Any

    def describe(self) -> str:
        if self.kind in ("note", "reply"):
            return f"{self.kind} ({len(self.value)} characters)"
        if self.kind in ("spam", "discard", "stop"):
            return self.kind
        if isinstance(self.value, frozenset):
            return f"{self.kind} {', '.join(sorted(self.value))}"
        if isinstance(self.value, Mapping):
            return f"{self.kind} " + ", ".join(f"{k}={v}" for k, v in self.value.items())
        return f"{self.kind} {self.value}"


@dataclass(frozen=True)
class Rule:
    name: str
    when: Condition
    then: tuple[Action, ...]
    stop: bool  # stop processing further rules once this one fired
    description: str = ""


@dataclass(frozen=True)
class RequesterMatch:
    domain: str | None
    address: str | None
    requester: Requester


# impact x urgency -> priority (ITIL's matrix, four levels)
LEVELS = ("high", "medium", "low")
DEFAULT_MATRIX: Mapping[tuple[str, str], Priority] = {
    ("high", "high"): Priority.URGENT,
    ("high", "medium"): Priority.HIGH,
    ("high", "low"): Priority.NORMAL,
    ("medium", "high"): Priority.HIGH,
    ("medium", "medium"): Priority.NORMAL,
    ("medium", "low"): Priority.LOW,
    ("low", "high"): Priority.NORMAL,
    ("low", "medium"): Priority.LOW,
    ("low", "low"): Priority.LOW,
}


@dataclass(frozen=True)
class RuleSet:
    """A validated ``rules.yaml``."""

    rules: tuple[Rule, ...]
    requesters: tuple[RequesterMatch, ...] = ()
    reroute_on_reopen: bool = False

    def requester(self, address: str) -> Requester:
        """The first ``requesters:`` entry naming this address or its domain."""
        address = address.lower()
        domain = address.rsplit("@", 1)[-1]
        for entry in self.requesters:
            if entry.address == address or (entry.domain is not None and entry.domain == domain):
                return entry.requester
        return Requester()


# -------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Fired:
    """A rule that matched: its name, why it matched, what it decided."""

    rule: Rule
    why: str

    @property
    def actor(self) -> str:
        return f"rule:{self.rule.name}"


@dataclass
class Evaluation:
    """What a rule set decided for one ticket. Field values: the last rule to set one wins;
    tags accumulate in order (``remove_tags`` takes away what was added before it)."""

    fired: list[Fired] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # group, assignee, priority, ...
    tier: int | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (rule name, text)
    reply: tuple[str, str] | None = None  # (rule name, text); the last reply action wins
    spam: bool = False
    discard: bool = False
    stopped_by: str | None = None

    def summary(self) -> dict[str, Any]:
        """Plain values for printing and comparing (dry run, simulation)."""
        return {
            "fired": [f.rule.name for f in self.fired],
            **{k: sorted(v) if isinstance(v, frozenset) else v for k, v in self.values.items()},
            **({"tier": self.tier} if self.tier is not None else {}),
            **({"reply": self.reply[0]} if self.reply else {}),
            **({"spam": True} if self.spam else {}),
            **({"discard": True} if self.discard else {}),
        }


def evaluate(rule_set: RuleSet, facts: Facts) -> Evaluation:
    """Run the rules in order against ``facts``. Pure: the same input, the same evaluation."""
    result = Evaluation()
    tags = set(facts.tags)
    for rule in rule_set.rules:
        why = rule.when.explain(facts)
        if why is None:
            continue
        result.fired.append(Fired(rule, why))
        stop = rule.stop
        for action in rule.then:
            stop = _apply(result, rule.name, action, tags) or stop
        if stop:
            result.stopped_by = rule.name
            break
    if tags != set(facts.tags):
        result.values["tags"] = frozenset(tags)
    return result


def _apply(result: Evaluation, rule: str, action: Action, tags: set[str]) -> bool:
    """Apply one action; True if it stops processing."""
    kind, value = action.kind, action.value
    if kind == "tags":
        tags.update(value)
    elif kind == "remove_tags":
        tags.difference_update(value)
    elif kind == "custom_fields":
        result.values["custom_fields"] = {**result.values.get("custom_fields", {}), **value}
    elif kind == "tier":
        result.tier = value
    elif kind == "note":
        result.notes.append((rule, value))
    elif kind == "reply":
        result.reply = (rule, value)
    elif kind in ("spam", "discard"):
        setattr(result, kind, True)
        return True
    elif kind == "stop":
        return True
    else:  # group, assignee, priority, language
        result.values[kind] = value
    return False


# ---------------------------------------------------------------------------------- the schema


def parse_rules(doc: Document) -> RuleSet:
    """Validate a ``rules`` document; refusals name the line, the rule and the key."""
    top = doc.mapping(
        (), required=["rules"], optional=["mode", "requesters", "priority_matrix", "on_reopen"]
    )
    mode = doc.string(("mode",), choices=("first-match", "all-match")) if "mode" in top else None
    default_stop = (mode or "first-match") == "first-match"
    matrix = _matrix(doc) if "priority_matrix" in top else DEFAULT_MATRIX
    on_reopen = (
        doc.string(("on_reopen",), choices=("reroute", "keep")) if "on_reopen" in top else "keep"
    )
    requesters = (
        tuple(
            _requester(doc, ("requesters", i)) for i, _ in enumerate(doc.sequence(("requesters",)))
        )
        if "requesters" in top
        else ()
    )
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, _ in enumerate(doc.sequence(("rules",))):
        path: Path = ("rules", i)
        entry = doc.mapping(
            path, required=["name", "then"], optional=["when", "stop", "description"]
        )
        name = doc.string((*path, "name"))
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", name):
            raise doc.error((*path, "name"), "use lower-case letters, digits, '-', '_' or '.'")
        if name in seen:
            raise doc.error((*path, "name"), f"rule {name} is defined twice")
        seen.add(name)
        when = _condition(doc, (*path, "when")) if "when" in entry else ALWAYS
        then = doc.sequence((*path, "then"))
        if not then:
            raise doc.error((*path, "then"), "a rule needs at least one action")
        actions = tuple(_action(doc, (*path, "then", j), matrix) for j, _ in enumerate(then))
        stop = _boolean(doc, (*path, "stop")) if "stop" in entry else default_stop
        description = doc.string((*path, "description")) if "description" in entry else ""
        rules.append(Rule(name, when, actions, stop, description))
    return RuleSet(tuple(rules), requesters, reroute_on_reopen=on_reopen == "reroute")


def _boolean(doc: Document, path: Path) -> bool:
    value = doc.at(path)
    if not isinstance(value, bool):
        raise doc.error(path, f"must be true or false, not {type_name(value)}")
    return value


def _strings(doc: Document, path: Path) -> tuple[str, ...]:
    values = doc.sequence(path)
    if not values:
        raise doc.error(path, "must not be empty")
    return tuple(doc.string((*path, i)) for i, _ in enumerate(values))


def _single(doc: Document, path: Path, what: str) -> tuple[str, Any]:
    value = doc.at(path)
    if not isinstance(value, Mapping) or len(value) != 1:
        raise doc.error(path, f"must be a mapping with exactly one {what}")
    ((key, inner),) = value.items()
    return str(key), inner


def _condition(doc: Document, path: Path) -> Condition:
    key, inner = _single(doc, path, "condition (all, any, not, or a field)")
    here = (*path, key)
    if key in ("all", "any"):
        items = doc.sequence(here)
        if not items:
            raise doc.error(here, "must list at least one condition")
        parts = tuple(_condition(doc, (*here, i)) for i, _ in enumerate(items))
        return All(parts) if key == "all" else AnyOf(parts)
    if key == "not":
        return Not(_condition(doc, here))
    if key == "time":
        return _time(doc, here)
    if key not in _FIELDS and not (key.startswith(CUSTOM_PREFIX) and len(key) > len(CUSTOM_PREFIX)):
        known = ", ".join([*sorted(_FIELDS), "custom.<name>", "time", "all", "any", "not"])
        raise doc.error(here, f"unknown condition (known: {known})")
    if not isinstance(inner, Mapping):
        inner_path, operator = here, "is"
    else:
        operator, _ = _single(doc, here, f"operator ({', '.join(OPERATORS)})")
        inner_path = (*here, operator)
        if operator not in OPERATORS:
            raise doc.error(inner_path, f"unknown operator (known: {', '.join(OPERATORS)})")
    return _field_test(doc, key, operator, inner_path)


def _field_test(doc: Document, name: str, operator: str, path: Path) -> FieldTest:
    raw = doc.at(path)
    if operator == "exists" or name in BOOLEAN_FIELDS:
        if operator not in ("is", "exists"):
            raise doc.error(path, f"{name} takes is: true or false")
        return FieldTest(name, operator, _boolean(doc, path))
    if operator in ("in", "words"):
        values = _strings(doc, path)
        pattern = None
        if operator == "words":
            words = "|".join(re.escape(w) for w in values)
            pattern = re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)
        return FieldTest(name, operator, values, pattern)
    if isinstance(raw, bool | int | float):
        raw = str(raw).lower() if isinstance(raw, bool) else str(raw)
    if not isinstance(raw, str) or not raw:
        raise doc.error(path, f"must be a non-empty string, not {type_name(raw)}")
    pattern = None
    if operator == "matches":
        try:
            pattern = re.compile(raw, re.IGNORECASE)
        except re.error as error:
            raise doc.error(path, f"not a valid regular expression: {error}") from None
    return FieldTest(name, operator, raw, pattern)


def _time(doc: Document, path: Path) -> TimeOfDay:
    doc.mapping(path, required=["between"], optional=["days", "timezone"])
    bounds = _strings(doc, (*path, "between"))
    if len(bounds) != 2:
        raise doc.error((*path, "between"), 'must be two times, e.g. ["09:00", "17:00"]')
    start, end = (_clock(doc, (*path, "between", i)) for i in range(2))
    days = (
        _strings(doc, (*path, "days")) if "days" in doc.at(path) else DAYS[:5]
    )  # default: weekdays
    for i, day in enumerate(days):
        if day not in DAYS:
            raise doc.error((*path, "days", i), f"must be one of {', '.join(DAYS)}")
    timezone = doc.string((*path, "timezone")) if "timezone" in doc.at(path) else "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise doc.error((*path, "timezone"), f"unknown time zone {timezone}") from None
    return TimeOfDay(start, end, frozenset(DAYS.index(d) for d in days), timezone)


def _clock(doc: Document, path: Path) -> time:
    value = doc.string(path)
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise doc.error(path, "must be a time like 09:00") from None


def _action(doc: Document, path: Path, matrix: Mapping[tuple[str, str], Priority]) -> Action:
    kind, raw = _single(doc, path, f"action ({', '.join(ACTIONS)})")
    here = (*path, kind)
    if kind not in ACTIONS:
        raise doc.error(here, f"unknown action (known: {', '.join(ACTIONS)})")
    if kind in ("group", "language", "note", "reply"):
        return Action(kind, doc.string(here).strip())
    if kind == "assignee":
        address = doc.string(here).strip().lower()
        if "@" not in address:
            raise doc.error(here, "must be an agent's email address")
        return Action(kind, address)
    if kind == "priority":
        if isinstance(raw, Mapping):
            doc.mapping(here, required=["impact", "urgency"])
            impact = doc.string((*here, "impact"), choices=LEVELS)
            urgency = doc.string((*here, "urgency"), choices=LEVELS)
            return Action(kind, matrix[(impact, urgency)].value)
        return Action(kind, doc.string(here, choices=[p.value for p in Priority]))
    if kind == "tier":
        if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 9:
            raise doc.error(here, "must be a tier number (1 for L1, 2 for L2, ...)")
        return Action(kind, raw)
    if kind in ("tags", "remove_tags"):
        return Action(kind, frozenset(t.strip().lower() for t in _strings(doc, here)))
    if kind == "custom_fields":
        if not isinstance(raw, Mapping) or not raw:
            raise doc.error(here, "must map field names to values")
        return Action(kind, {str(k): doc.string((*here, k)) for k in raw})
    # spam, discard, stop: a flag that must say true
    if raw is not True:
        raise doc.error(here, "write it as `" + kind + ": true`")
    return Action(kind, True)


def _matrix(doc: Document) -> Mapping[tuple[str, str], Priority]:
    path: Path = ("priority_matrix",)
    doc.mapping(path, required=LEVELS)
    matrix: dict[tuple[str, str], Priority] = {}
    for impact in LEVELS:
        doc.mapping((*path, impact), required=LEVELS)
        for urgency in LEVELS:
            value = doc.string((*path, impact, urgency), choices=[p.value for p in Priority])
            matrix[(impact, urgency)] = Priority(value)
    return matrix


def _requester(doc: Document, path: Path) -> RequesterMatch:
    entry = doc.mapping(
        path, optional=["domain", "address", "organisation", "vip", "segment", "region"]
    )
    if ("domain" in entry) == ("address" in entry):
        raise doc.error(path, "needs exactly one of domain or address")
    domain = doc.string((*path, "domain")).strip().lower() if "domain" in entry else None
    address = doc.string((*path, "address")).strip().lower() if "address" in entry else None
    if address is not None and "@" not in address:
        raise doc.error((*path, "address"), "must be an email address")

    def optional(key: str) -> str | None:
        return doc.string((*path, key)) if key in entry else None

    return RequesterMatch(
        domain,
        address,
        Requester(
            organisation=optional("organisation"),
            vip=_boolean(doc, (*path, "vip")) if "vip" in entry else False,
            segment=optional("segment"),
            region=optional("region"),
        ),
    )


def facts_for(
    rule_set: RuleSet | None,
    *,
    mailbox: str | None,
    channel: str,
    sender: str,
    subject: str,
    body: str,
    language: str | None,
    priority: str,
    tags: frozenset[str],
    custom_fields: Mapping[str, str],
    now: datetime,
) -> Facts:
    """Facts with the requester's attributes looked up in the rule set's ``requesters``."""
    return Facts(
        mailbox=mailbox,
        channel=channel,
        sender=sender.lower(),
        subject=subject,
        body=body,
        language=language,
        priority=priority,
        tags=tags,
        custom_fields=custom_fields,
        requester=rule_set.requester(sender) if rule_set else Requester(),
        now=now,
    )


__all__: Sequence[str] = (
    "Action",
    "Evaluation",
    "Facts",
    "Fired",
    "Requester",
    "Rule",
    "RuleSet",
    "evaluate",
    "facts_for",
    "parse_rules",
)
