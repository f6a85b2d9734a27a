"""Agent workload now: each configured agent's open assigned tickets beside the capacity the
routing gives them (the ``groups`` document, tessera.routing.directory).

Counted from the per-assignee index: two Queries per agent (the open stage, new and open, and
the waiting stage, pending and on-hold), each reading only that agent's tickets of the stage and
at most ``cap`` of them, so the cost grows with the agents and their open tickets, never with the
table. Admins and leads see every agent; an agent sees their own line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.identity.access import Principal, require_staff, sees_team_reports
from tessera.ports import Dependencies, Selection
from tessera.routing.directory import ConfigDirectory
from tessera.tickets.stages import OPEN, WAITING

CAP = 1000  # index entries one count reads at most; beyond it the figure is "at least"


@dataclass(frozen=True)
class AgentWorkload:
    agent: str
    open: int  # assigned now, new or open
    waiting: int  # assigned now, pending or on hold
    capacity: int  # open tickets at most, as routing assigns them
    at_least: bool = False  # a count stopped at CAP

    @property
    def assigned(self) -> int:
        return self.open + self.waiting

    @property
    def utilisation(self) -> float:
        return round(self.assigned / self.capacity, 4)


def workload(deps: Dependencies, principal: Principal) -> Sequence[AgentWorkload]:
    """Every agent of the ``groups`` document (an agent: themselves), in its order; none
    without the document."""
    require_staff(principal)
    directory: ConfigDirectory | None = deps.config().get("groups")
    if directory is None:
        return ()
    team = sees_team_reports(principal)
    found = []
    for agent in directory.agents:
        if not team and agent.email != principal.email:
            continue
        counted = [
            deps.tickets.count(Selection("assignee", f"{agent.email}#{stage}"), cap=CAP)
            for stage in (OPEN, WAITING)
        ]
        found.append(
            AgentWorkload(
                agent=agent.email,
                open=counted[0][0],
                waiting=counted[1][0],
                capacity=agent.capacity,
                at_least=any(more for _, more in counted),
            )
        )
    return found
