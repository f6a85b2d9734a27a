"""Who is asking, and what they may do."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tessera.errors import Forbidden


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ADMIN = "admin"


# Cognito group names (template.yaml) to roles.
GROUP_ROLES = {"agents": Role.AGENT, "admins": Role.ADMIN}


@dataclass(frozen=True)
class Principal:
    email: str
    roles: frozenset[Role]

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {Role.AGENT, Role.ADMIN})


def require_staff(principal: Principal) -> Principal:
    """Agents and admins only (admins can do everything agents can)."""
    if not principal.is_staff:
        raise Forbidden("agents and admins only")
    return principal
