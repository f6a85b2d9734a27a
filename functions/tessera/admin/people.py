"""The people overview: every staff account next to its routing profile (the ``groups``
document: groups, languages, skills, capacity), its availability now and its current load.

Read in a fixed number of calls whatever the size of the desk: the pool's staff groups, the
applied ``groups`` document, one Query of agents' own settings and one of the load counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.identity.access import GROUP_ROLES, Principal, require_admin
from tessera.ports import AgentSettings, Dependencies, StaffMember
from tessera.routing.directory import Agent, ConfigDirectory
from tessera.workspace.settings import status_of


@dataclass(frozen=True)
class Person:
    account: StaffMember
    role: str  # admin | agent (the highest staff group)
    profile: Agent | None  # None: not in the groups document, so never assigned
    availability: str  # available | away | offline (own, else the document's)
    open_tickets: int  # counted on the agent by routing (tessera.routing.assignment)


def people(deps: Dependencies, principal: Principal) -> Sequence[Person]:
    """Every staff account with its profile, availability and load. Admins only."""
    require_admin(principal)
    members = deps.staff_directory().members()
    directory: ConfigDirectory | None = deps.config().get("groups")
    own = deps.agent_settings().all()
    loads = deps.agent_loads().loads()
    found = []
    for member in members:
        profile = directory.agent(member.email) if directory is not None else None
        roles = {GROUP_ROLES[g] for g in member.groups if g in GROUP_ROLES}
        found.append(
            Person(
                account=member,
                role="admin" if "admin" in roles else "agent",
                profile=profile,
                availability=status_of(
                    directory, own.get(member.email, AgentSettings(member.email))
                ),
                open_tickets=loads[member.email].open if member.email in loads else 0,
            )
        )
    return found
