"""Configuration documents through the admin API: read the applied version, check a draft,
apply it as the next version (the CLI applies through the store directly, ``tessera config``)."""

from __future__ import annotations

from tessera.config import ConfigError, kinds
from tessera.errors import NotFound, PreconditionFailed, ValidationFailed
from tessera.identity.access import Principal, require_admin
from tessera.ports import Dependencies, StoredConfig


def _known(kind: str) -> None:
    if kind not in kinds.KINDS:
        raise NotFound(f"no configuration kind {kind}")


def current_config(deps: Dependencies, kind: str) -> StoredConfig | None:
    _known(kind)
    return deps.config_store().current(kind)


def validate_config(kind: str, text: str) -> None:
    """Raises ValidationFailed whose field is ``<line>:<key>`` so a client can point at it."""
    _known(kind)
    try:
        kinds.validate(kind, text, f"{kind}.yaml")
    except ConfigError as error:
        where = f"line {error.line}" if error.line else "document"
        raise ValidationFailed(error.key or where, f"{where}: {error.problem}") from None


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
    return stored
