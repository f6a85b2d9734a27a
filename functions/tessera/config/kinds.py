"""The kinds of configuration document and their validators, and the functions' view of the
applied documents (:class:`ConfigReader`).

A kind is a name and a function that takes a :class:`~tessera.config.Document` and returns the
typed configuration (or raises :class:`~tessera.config.ConfigError`). Add a kind by adding its
validator to :data:`KINDS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from tessera.config import ConfigError, Document, parse
from tessera.errors import ConfigurationError
from tessera.mail.filters import parse_mail_filters
from tessera.mail.mailboxes import parse_mailboxes
from tessera.ports import ConfigStore
from tessera.routing.directory import parse_groups
from tessera.routing.rules import parse_rules
from tessera.sla.policies import parse_sla
from tessera.tickets.canned import parse_canned
from tessera.tickets.fields import parse_fields

KINDS: Mapping[str, Callable[[Document], Any]] = {
    "mailboxes": parse_mailboxes,
    "sla": parse_sla,
    "mail-filters": parse_mail_filters,
    "rules": parse_rules,
    "groups": parse_groups,
    "canned": parse_canned,
    "fields": parse_fields,
}


def validator(kind: str) -> Callable[[Document], Any]:
    try:
        return KINDS[kind]
    except KeyError:
        raise ConfigError(
            kind, None, "", f"unknown kind (known: {', '.join(sorted(KINDS))})"
        ) from None


def validate(kind: str, text: str, source: str | None = None) -> Any:
    """Parse and validate one document of ``kind``; the typed configuration, or ConfigError."""
    return validator(kind)(parse(text, source or f"{kind}.yaml"))


def check_references(
    kind: str, text: str, typed: Any, sla: Any | None, source: str | None = None
) -> None:
    """What one document names in another: each group's ``calendar`` must be one of the ``sla``
    document's calendars (``sla``: that document's typed configuration, None when there is
    none to check against). ConfigError at the key and line otherwise."""
    if kind != "groups" or sla is None:
        return
    for i, group in enumerate(typed.groups.values()):
        if group.calendar is not None and group.calendar not in sla.calendars:
            doc = parse(text, source or f"{kind}.yaml")
            known = ", ".join(sorted(sla.calendars))
            raise doc.error(
                ("groups", i, "calendar"),
                f"no calendar {group.calendar} in the sla document (it has: {known})",
            )


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
