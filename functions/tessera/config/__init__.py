"""Configuration as code: YAML documents (mailboxes, rules, SLA policies, ...) that a team
reviews, diffs, validates and applies.

A document is parsed with the line of every key kept, so a validator can refuse it naming the
file, the line and the key (``rules.yaml:12: rules[2].when.subjct: unknown key``). Each kind of
document registers a validator in :data:`KINDS`; :func:`validate` runs it. Applied documents are
stored with a version (see :class:`tessera.ports.ConfigStore`) and read back by the functions.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from tessera.errors import ConfigurationError
from tessera.ports import ConfigStore

Path = tuple[str | int, ...]

# kind name -> "module:function" of its validator, which takes a Document and returns the
# parsed, typed configuration (or raises ConfigError). Add a kind by adding a line here.
KINDS: dict[str, str] = {
    "mailboxes": "tessera.mail.mailboxes:parse_mailboxes",
    "sla": "tessera.sla.policies:parse_sla",
    "mail-filters": "tessera.mail.filters:parse_mail_filters",
    "rules": "tessera.routing.rules:parse_rules",
    "groups": "tessera.routing.directory:parse_groups",
    "canned": "tessera.tickets.canned:parse_canned",
    "fields": "tessera.tickets.fields:parse_fields",
}


class ConfigError(ValueError):
    """A document was refused; ``str()`` names the source, the line and the key."""

    def __init__(self, source: str, line: int | None, key: str, problem: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")
        self.source, self.line, self.key, self.problem = source, line, key, problem


@dataclass(frozen=True)
class Document:
    """Parsed YAML plus the line (1-based) where each path starts."""

    source: str
    data: Any
    lines: Mapping[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, path: Path, problem: str) -> ConfigError:
        return ConfigError(self.source, self.line(path), dotted(path), problem)

    # -- small helpers validators share --------------------------------------------------------
    def mapping(
        self,
        path: Path,
        *,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
    ) -> Mapping[str, Any]:
        """The mapping at ``path``; refuses unknown and missing keys."""
        value = self.at(path)
        if not isinstance(value, Mapping):
            raise self.error(path, f"must be a mapping, not {type_name(value)}")
        required, allowed = set(required), set(required) | set(optional)
        for key in value:
            if key not in allowed:
                hint = f" (known keys: {', '.join(sorted(allowed))})" if allowed else ""
                raise self.error((*path, key), f"unknown key{hint}")
        for key in sorted(required - set(value)):
            raise self.error(path, f"missing required key '{key}'")
        return value

    def at(self, path: Path) -> Any:
        value = self.data
        for part in path:
            value = value[part]
        return value

    def string(self, path: Path, *, choices: Iterable[str] | None = None) -> str:
        value = self.at(path)
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, "must be a non-empty string")
        if choices is not None and value not in set(choices):
            raise self.error(path, f"must be one of {', '.join(sorted(choices))}")
        return value

    def sequence(self, path: Path) -> list[Any]:
        value = self.at(path)
        if not isinstance(value, list):
            raise self.error(path, f"must be a list, not {type_name(value)}")
        return value


def dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


def parse(text: str, source: str) -> Document:
    """YAML text to a :class:`Document`. Raises ConfigError on a syntax error or duplicate key."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(source, line, "", f"not valid YAML: {problem}") from None
    lines: dict[Path, int] = {}
    data = _build(node, (), lines, source) if node is not None else None
    return Document(source=source, data=data, lines=lines)


def _build(node: yaml.Node, path: Path, lines: dict[Path, int], source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if not isinstance(key, str):
                raise ConfigError(source, key_node.start_mark.line + 1, str(key), "keys are text")
            if key in result:
                raise ConfigError(
                    source, key_node.start_mark.line + 1, dotted((*path, key)), "duplicate key"
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*path, key), lines, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node)


def validator(kind: str) -> Callable[[Document], Any]:
    try:
        module_name, _, function = KINDS[kind].partition(":")
    except KeyError:
        raise ConfigError(
            kind, None, "", f"unknown kind (known: {', '.join(sorted(KINDS))})"
        ) from None
    return getattr(importlib.import_module(module_name), function)  # type: ignore[no-any-return]


def validate(kind: str, text: str, source: str | None = None) -> Any:
    """Parse and validate one document of ``kind``; the typed configuration, or ConfigError."""
    return validator(kind)(parse(text, source or f"{kind}.yaml"))


class ConfigReader:
    """The functions' view of the applied configuration: validated, cached for ``ttl`` seconds
    per container so an apply takes effect within that time without a redeploy."""

    def __init__(self, store: ConfigStore, *, ttl: float = 30.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Any]] = {}

    def get(self, kind: str) -> Any | None:
        """The typed configuration of ``kind``, or None when none was ever applied."""
        now = time.monotonic()
        cached = self._cache.get(kind)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        stored = self.store.current(kind)
        value = None
        if stored is not None:
            try:
                value = validate(kind, stored.text, f"{kind} v{stored.version}")
            except ConfigError as error:
                raise ConfigurationError(f"applied configuration is invalid: {error}") from None
        self._cache[kind] = (now, value)
        return value

    def forget(self, kind: str) -> None:
        """Read ``kind`` from the store next time (after this container applied it)."""
        self._cache.pop(kind, None)
