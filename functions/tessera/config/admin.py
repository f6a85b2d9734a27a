"""Configuration documents through the admin API: read the applied version, check a draft,
apply it as the next version (the CLI applies through the store directly, ``tessera config``)."""

from __future__ import annotations

from typing import Any

from tessera.admin import audit
from tessera.config import ConfigError, kinds
from tessera.errors import NotFound, PreconditionFailed, ValidationFailed
from tessera.identity.access import Principal, require_admin
from tessera.ports import Dependencies, StoredConfig
from tessera.tickets import canned


def _known(kind: str) -> None:
    if kind not in kinds.KINDS:
        raise NotFound(f"no configuration kind {kind}")


def current_config(deps: Dependencies, kind: str) -> StoredConfig | None:
    _known(kind)
    return deps.config_store().current(kind)


def validate_config(kind: str, text: str) -> Any:
    """The typed document; ValidationFailed whose field is the key (else ``line N``) and whose
    message starts with the line, so a client can point at it."""
    _known(kind)
    try:
        return kinds.validate(kind, text, f"{kind}.yaml")
    except ConfigError as error:
        where = f"line {error.line}" if error.line else "document"
        raise ValidationFailed(error.key or where, f"{where}: {error.problem}") from None


def preview_canned(principal: Principal, text: str) -> list[tuple[str, str]]:
    """A draft ``canned`` document's responses as an agent would send them (admins only)."""
    require_admin(principal)
    return canned.preview(validate_config("canned", text), principal)


def apply_config(
    deps: Dependencies, principal: Principal, kind: str, text: str, *, expected_version: int | None
) -> StoredConfig:
    require_admin(principal)
    validate_config(kind, text)
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
        "config.applied",
        f"config:{kind}",
        before=f"v{at}" if at else "",
        after=f"v{stored.version}",
    )
    return stored
