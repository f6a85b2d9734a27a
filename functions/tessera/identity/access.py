"""Who is asking, and what they may see and do.

Staff (agents and admins) sign in with the user pool (tessera.identity.staff); customers with
magic links (tessera.identity.customers); tessera.identity.authentication tells their tokens
apart. Both end as a :class:`Principal`. A customer sees a ticket only as its requester or a
participant — and a session opened from a ticket's signed link sees only that ticket. Everything
that decides visibility is here, so the API cannot disagree with itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tessera.errors import Forbidden, NotFound
from tessera.tickets.model import Ticket


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ADMIN = "admin"
    LEAD = "lead"  # a team lead: an agent (in "agents" too) who sees everyone's reports


# Cognito group names (template.yaml) to roles.
GROUP_ROLES = {"agents": Role.AGENT, "admins": Role.ADMIN, "leads": Role.LEAD}


@dataclass(frozen=True)
class Principal:
    email: str
    roles: frozenset[Role]
    ticket_scope: str | None = None  # set for a session opened from one ticket's signed link

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {Role.AGENT, Role.ADMIN, Role.LEAD})

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def actor(self) -> str:
        """How this principal appears on the audit trail."""
        kind = "admin" if self.is_admin else "agent" if self.is_staff else "customer"
        return f"{kind}:{self.email}"


def require_staff(principal: Principal) -> Principal:
    """Agents, leads and admins only (admins and leads can do everything agents can)."""
    if not principal.is_staff:
        raise Forbidden("agents and admins only")
    return principal


def require_admin(principal: Principal) -> Principal:
    if not principal.is_admin:
        raise Forbidden("admins only")
    return principal


def sees_team_reports(principal: Principal) -> bool:
    """Admins and leads see everyone's numbers; an agent sees their own (tessera.reports)."""
    return bool(principal.roles & {Role.ADMIN, Role.LEAD})


def can_see(principal: Principal, ticket: Ticket) -> bool:
    if principal.is_staff:
        return True
    if principal.ticket_scope is not None and principal.ticket_scope != ticket.id:
        return False
    return principal.email == ticket.requester or principal.email in ticket.participants


def visible(principal: Principal, ticket: Ticket) -> Ticket:
    """The ticket, if the principal may see it. Otherwise NotFound, never Forbidden: a customer
    cannot tell another customer's ticket from one that does not exist."""
    if not can_see(principal, ticket):
        raise NotFound(f"ticket {ticket.id}")
    return ticket
