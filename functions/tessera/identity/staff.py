"""Agents and admins: their sign-in with email and password, and their accounts (admins add
them). Both live in the user pool (:class:`tessera.ports.StaffDirectory`)."""

from __future__ import annotations

from collections.abc import Callable

from tessera.admin import audit
from tessera.errors import PasswordChangeRequired, Unauthorized, ValidationFailed
from tessera.identity.access import GROUP_ROLES, Principal, require_admin
from tessera.ports import Dependencies, StaffMember
from tessera.safeguards import rate_limits


def normalise_email(email: str) -> str:
    """Staff sign in and are invited by their address, compared case-insensitively."""
    return email.strip().lower()


def login(deps: Dependencies, email: str, password: str) -> str:
    """An ID token for a staff member's email and password. Unauthorized when they are wrong;
    PasswordChangeRequired while the password is a temporary one; RateLimited after too many
    wrong passwords for this address lately (guessing), whoever tried them."""
    address = normalise_email(email)
    return _guarded(deps, address, lambda: deps.staff_directory().sign_in(address, password))


def set_first_password(
    deps: Dependencies, email: str, temporary_password: str, new_password: str
) -> str:
    """A new staff member's first sign-in: trade the temporary password for their own; an ID
    token. Unauthorized, or ValidationFailed naming ``new_password``; RateLimited as login."""
    address = normalise_email(email)
    directory = deps.staff_directory()
    return _guarded(
        deps,
        address,
        lambda: directory.set_first_password(address, temporary_password, new_password),
    )


def _guarded(deps: Dependencies, address: str, attempt: Callable[[], str]) -> str:
    """Refuse while the address's failed attempts reached their limit; count a failure."""
    key = f"sign-in-failed:{address}"
    limit, window = rate_limits.FAILED_SIGN_INS_PER_ADDRESS, rate_limits.ADDRESS_WINDOW_SECONDS
    rate_limits.refuse_when_reached(deps, key, limit=limit, window_seconds=window)
    try:
        return attempt()
    except PasswordChangeRequired:
        raise  # the right password (a temporary one): not a failure
    except Unauthorized:
        rate_limits.allows(deps, key, limit=limit, window_seconds=window)
        raise


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
    _check_group(group)
    member = deps.staff_directory().invite(normalise_email(email), group, temporary_password)
    audit.record(deps, principal, "account.invited", f"account:{member.email}", after=group)
    return member


def resend_invitation(deps: Dependencies, principal: Principal, email: str) -> StaffMember:
    """Mail an invited account's invitation again, with a new temporary password (the one
    mailed before stops working): for a lost or expired invitation. Admins only; Conflict once
    the account has chosen its own password (nothing to resend); NotFound. Audited."""
    require_admin(principal)
    address = normalise_email(email)
    directory = deps.staff_directory()
    directory.member(address)  # NotFound for an address that is not staff
    directory.resend_invitation(address)
    audit.record(deps, principal, "account.invitation_resent", f"account:{address}")
    return directory.member(address)


def change_group(deps: Dependencies, principal: Principal, email: str, group: str) -> StaffMember:
    """Move an account to another staff group (its role: agents or admins). Admins only; an
    admin cannot take their own admin role away (someone must be left to give it back)."""
    require_admin(principal)
    _check_group(group)
    address = normalise_email(email)
    if address == principal.email and group != "admins":
        raise ValidationFailed("group", "You cannot take your own admin role away.")
    directory = deps.staff_directory()
    before = directory.member(address)
    if before.groups != (group,):
        directory.set_group(address, group)
        audit.record(
            deps,
            principal,
            "account.role_changed",
            f"account:{address}",
            before=",".join(before.groups),
            after=group,
        )
    return directory.member(address)


def set_enabled(deps: Dependencies, principal: Principal, email: str, enabled: bool) -> StaffMember:
    """Disable an account (it can no longer sign in, and routing stops assigning to it: its
    availability becomes offline) or enable it again (available). Admins only; an admin cannot
    disable themself."""
    require_admin(principal)
    address = normalise_email(email)
    if address == principal.email and not enabled:
        raise ValidationFailed("enabled", "You cannot disable your own account.")
    directory = deps.staff_directory()
    before = directory.member(address)
    if before.enabled != enabled:
        directory.set_enabled(address, enabled)
        # Assignment reads agents' own availability (tessera.workspace.settings.directory_now).
        deps.agent_settings().update(address, status="available" if enabled else "offline")
        audit.record(
            deps,
            principal,
            "account.enabled" if enabled else "account.disabled",
            f"account:{address}",
            before="enabled" if before.enabled else "disabled",
            after="enabled" if enabled else "disabled",
        )
    return directory.member(address)


def _check_group(group: str) -> None:
    if group not in GROUP_ROLES:
        raise ValidationFailed("group", f"must be one of {', '.join(sorted(GROUP_ROLES))}")
