"""Configuration as code: YAML documents (mailboxes, rules, SLA policies, ...) that a team
reviews, diffs, validates and applies.

A document is parsed with the line of every key kept, so a validator can refuse it naming the
file, the line and the key (``rules.yaml:12: rules[2].when.subjct: unknown key``). Each kind of
document has its validator, registered in :mod:`tessera.config.kinds` (which also reads the
applied documents back for the functions). Applied documents are stored with a version (see
:class:`tessera.ports.ConfigStore`).

This module is the document language every validator uses; it knows no kind, so the areas that
define kinds (mail, routing, sla, tickets) depend on it and nothing here depends on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


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
    # A mapping's value keeps its key's line (``whn:`` on line 3, its block from line 4): a
    # problem with the key is shown where the key is written.
    lines.setdefault(path, node.start_mark.line + 1)
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
