"""What the agent console needs to draw its pickers: the groups with their members, every agent,
and the custom fields an agent fills in. Read from the applied config documents (``groups``,
``fields``), so a change to them shows at the console's next load. A disabled staff account
(the user pool's word, which an admin's Disable sets) is offered in no picker; tickets already
assigned to it still show its address."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.identity.access import Principal, require_staff
from tessera.ports import Dependencies
from tessera.routing.directory import ConfigDirectory
from tessera.sla import clocks
from tessera.tickets.fields import Field, Fields
from tessera.tickets.model import display_name


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class TeamGroup:
    name: str
    escalates_to: str | None
    members: tuple[str, ...]
    # The business calendar its tickets' SLA clocks run on when their policy names none
    # (tessera.sla.clocks.applied); None without an sla document.
    calendar: str | None = None


@dataclass(frozen=True)
class Workspace:
    groups: tuple[TeamGroup, ...]
    agents: tuple[Person, ...]
    fields: tuple[Field, ...]


def workspace(deps: Dependencies, principal: Principal) -> Workspace:
    """The groups, agents and custom fields, in the order the config documents list them."""
    require_staff(principal)
    config = deps.config()
    directory: ConfigDirectory | None = config.get("groups")
    definitions: Fields | None = config.get("fields")
    groups: tuple[TeamGroup, ...] = ()
    agents: tuple[Person, ...] = ()
    if directory is not None:
        # One listing per staff group, not a lookup per agent. An address in the document
        # without an account is kept: only a disabled account is known not to take tickets.
        disabled = {m.email for m in deps.staff_directory().members() if not m.enabled}
        sla = clocks.applied(deps)
        groups = tuple(
            TeamGroup(
                g.name,
                g.escalates_to,
                tuple(a.email for a in directory.members(g.name) if a.email not in disabled),
                calendar=(sla.group_calendars.get(g.name) or sla.default_calendar)
                if sla is not None
                else None,
            )
            for g in directory.groups.values()
        )
        agents = tuple(
            Person(a.email, display_name(a.email), tuple(sorted(a.groups)))
            for a in directory.agents
            if a.email not in disabled
        )
    fields = tuple(definitions.by_key.values()) if definitions is not None else ()
    return Workspace(groups=groups, agents=agents, fields=fields)
