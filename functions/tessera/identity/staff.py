"""Agents and admins: their sign-in with email and password, and their accounts (admins add
them). Both live in the user pool (:class:`tessera.ports.StaffDirectory`)."""

from __future__ import annotations

from tessera.errors import ValidationFailed
from tessera.identity.access import GROUP_ROLES, Principal, require_admin
from tessera.ports import Dependencies, StaffMember


def normalise_email(email: str) -> str:
    """Staff sign in and are invited by their address, compared case-insensitively."""
    return email.strip().lower()


def login(deps: Dependencies, email: str, password: str) -> str:
    """An ID token for a staff member's email and password. Unauthorized when they are wrong;
    PasswordChangeRequired while the password is a temporary one."""
    return deps.staff_directory().sign_in(normalise_email(email), password)


def set_first_password(
    deps: Dependencies, email: str, temporary_password: str, new_password: str
) -> str:
    """A new staff member's first sign-in: trade the temporary password for their own; an ID
    token. Unauthorized, or ValidationFailed naming ``new_password``."""
    return deps.staff_directory().set_first_password(
        normalise_email(email), temporary_password, new_password
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
    return deps.staff_directory().invite(normalise_email(email), group, temporary_password)
