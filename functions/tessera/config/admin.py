"""Configuration documents through the admin API: read the applied version and its history,
check a draft, apply it as the next version, revert to an earlier one (the CLI applies through
the store directly, ``tessera config``). Every apply and revert is on the admin audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tessera.admin import audit
from tessera.config import ConfigError, kinds
from tessera.errors import NotFound, PreconditionFailed, ValidationFailed
from tessera.identity.access import Principal, require_admin
from tessera.ports import Dependencies, StoredConfig
from tessera.tickets import canned

HISTORY_LIMIT = 50


def _known(kind: str) -> None:
    if kind not in kinds.KINDS:
        raise NotFound(f"no configuration kind {kind}")


def current_config(deps: Dependencies, kind: str) -> StoredConfig | None:
    _known(kind)
    return deps.config_store().current(kind)


def config_history(deps: Dependencies, kind: str, *, limit: int) -> Sequence[StoredConfig]:
    """Applied versions of ``kind``, newest first (one Query)."""
    _known(kind)
    return deps.config_store().history(kind, limit=min(limit, HISTORY_LIMIT))


def validate_config(kind: str, text: str, deps: Dependencies | None = None) -> Any:
    """The typed configuration of a draft; raises ValidationFailed whose field is the key (or
    ``line N``) and whose ``line`` is the document's line, so a client can point at both. With
    ``deps``, what it names in the applied documents is checked too (a group's calendar)."""
    _known(kind)
    try:
        typed = kinds.validate(kind, text, f"{kind}.yaml")
        if deps is not None:
            kinds.check_references(kind, text, typed, deps.config().get("sla"))
        return typed
    except ConfigError as error:
        where = f"line {error.line}" if error.line else "document"
        raise ValidationFailed(
            error.key or where, f"{where}: {error.problem}", line=error.line
        ) from None


def preview_canned(principal: Principal, text: str) -> list[tuple[str, str]]:
    """A draft ``canned`` document's responses as an agent would send them (admins only)."""
    require_admin(principal)
    return canned.preview(validate_config("canned", text), principal)


def apply_config(
    deps: Dependencies,
    principal: Principal,
    kind: str,
    text: str,
    *,
    expected_version: int | None,
    action: str = "config.applied",
) -> StoredConfig:
    require_admin(principal)
    validate_config(kind, text, deps)
    current = deps.config_store().current(kind)
    at = current.version if current else 0
    if expected_version is not None and expected_version != at:
        raise PreconditionFailed(f"{kind} is at version {at}, not {expected_version}")
    stored = deps.config_store().apply(
        kind, text, actor=principal.actor, expected_version=expected_version
    )
    # This container sees the new version at once; the others within their cache's lifetime.
    deps.config().forget(kind)
    audit.record(
        deps,
        principal,
        action,
        f"config:{kind}",
        before=f"v{at}" if at else "",
        after=f"v{stored.version}",
    )
    return stored


def revert_config(
    deps: Dependencies,
    principal: Principal,
    kind: str,
    version: int,
    *,
    expected_version: int | None,
) -> StoredConfig:
    """Apply the text of an earlier ``version`` as the next version (history is never
    rewritten: the revert is a version of its own)."""
    require_admin(principal)
    _known(kind)
    earlier = deps.config_store().version(kind, version)
    if earlier is None:
        raise NotFound(f"{kind} has no version {version}")
    return apply_config(
        deps,
        principal,
        kind,
        earlier.text,
        expected_version=expected_version,
        action=f"config.reverted-to-v{version}",
    )
