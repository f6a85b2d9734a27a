"""Administration: configuration documents through the API (the CLI uses the store directly),
and staff accounts (agents and admins) in the user pool."""

from __future__ import annotations

from tessera import config
from tessera.access import GROUP_ROLES, Principal, require_admin
from tessera.config import ConfigError
from tessera.deps import Dependencies
from tessera.errors import NotFound, PreconditionFailed, ValidationFailed
from tessera.ports import StaffMember, StoredConfig


def _known(kind: str) -> None:
    if kind not in config.KINDS:
        raise NotFound(f"no configuration kind {kind}")


def current_config(deps: Dependencies, kind: str) -> StoredConfig | None:
    _known(kind)
    return deps.config_store().current(kind)


def validate_config(kind: str, text: str) -> None:
    """Raises ValidationFailed whose field is ``<line>:<key>`` so a client can point at it."""
    _known(kind)
    try:
        config.validate(kind, text, f"{kind}.yaml")
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
    return deps.config_store().apply(
        kind, text, actor=principal.actor, expected_version=expected_version
    )


def staff(deps: Dependencies, principal: Principal) -> list[StaffMember]:
    """Every agent and admin with their groups. Admins only."""
    require_admin(principal)
    return deps.staff_directory().members()


def add_staff(
    deps: Dependencies,
    principal: Principal,
    email: str,
    group: str,
    temporary_password: str | None = None,
) -> StaffMember:
    """Create a staff account in ``group`` (agents or admins) with a temporary password (the
    given one, or one the user pool makes up and mails); the first sign-in replaces it.
    Admins only; AlreadyExists for an email that has an account."""
    require_admin(principal)
    if group not in GROUP_ROLES:
        raise ValidationFailed("group", f"must be one of {', '.join(sorted(GROUP_ROLES))}")
    return deps.staff_directory().invite(email.strip().lower(), group, temporary_password)
