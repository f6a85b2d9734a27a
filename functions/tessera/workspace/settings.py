"""An agent's own settings: their availability and which notifications they get by mail.

The ``groups`` config (tessera.routing.directory) gives each agent a status; what an agent sets
here (``PATCH /api/me``) **wins** over it, because it is the live answer to "can I take
tickets now?" and the config's is the default. Assignment reads every agent's own status in one
Query (:func:`directory_now`), so an agent who set ``away`` gets no new tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tessera.errors import ValidationFailed
from tessera.identity.access import Principal, require_staff, sees_team_reports
from tessera.ports import AgentSettings, Dependencies
from tessera.routing.directory import STATUSES, ConfigDirectory
from tessera.tickets.model import display_name

NOTIFY_KINDS = ("assigned", "customer_reply", "weekly_digest")


@dataclass(frozen=True)
class Me:
    """A staff member as the console shows them to themself."""

    email: str
    name: str
    role: str  # agent | lead | admin
    groups: tuple[str, ...]  # routing groups (the groups config), sorted
    status: str  # available | away | offline
    notify: Mapping[str, bool]  # kind -> mailed?


def status_of(directory: ConfigDirectory | None, own: AgentSettings) -> str:
    """The agent's status: their own, else the groups config's, else available."""
    if own.status is not None:
        return own.status
    listed = directory.agent(own.email) if directory is not None else None
    return listed.status if listed is not None else "available"


def wants_mail(own: AgentSettings, kind: str) -> bool:
    """Whether the agent gets ``kind`` notifications by mail (on until switched off; the weekly
    digest of the reports: off until switched on)."""
    if kind == "weekly_digest":
        return own.weekly_digest is True
    value = own.notify_assigned if kind == "assigned" else own.notify_customer_reply
    return value is not False


def me(deps: Dependencies, principal: Principal) -> Me:
    """The caller's own settings (staff only)."""
    require_staff(principal)
    return _me(deps, principal, deps.agent_settings().get(principal.email))


def update_me(
    deps: Dependencies,
    principal: Principal,
    *,
    status: str | None = None,
    notify: Mapping[str, bool] | None = None,
) -> Me:
    """Set the caller's availability and/or switch kinds of notification mail on or off."""
    require_staff(principal)
    if status is not None and status not in STATUSES:
        raise ValidationFailed("status", f"must be one of {', '.join(STATUSES)}")
    notify = notify or {}
    for kind, value in notify.items():
        if kind not in NOTIFY_KINDS:
            raise ValidationFailed(f"notify.{kind}", "is not a kind of notification")
        if not isinstance(value, bool):
            raise ValidationFailed(f"notify.{kind}", "must be true or false")
    saved = deps.agent_settings().update(
        principal.email,
        status=status,
        notify_assigned=notify.get("assigned"),
        notify_customer_reply=notify.get("customer_reply"),
        weekly_digest=notify.get("weekly_digest"),
    )
    return _me(deps, principal, saved)


def directory_now(deps: Dependencies) -> ConfigDirectory | None:
    """The ``groups`` directory with every agent's own status over the config's (one Query of
    the agents' settings); None without a groups config."""
    directory: ConfigDirectory | None = deps.config().get("groups")
    if directory is None:
        return None
    own = {e: s.status for e, s in deps.agent_settings().all().items() if s.status is not None}
    return directory.with_statuses(own) if own else directory


def _me(deps: Dependencies, principal: Principal, own: AgentSettings) -> Me:
    directory: ConfigDirectory | None = deps.config().get("groups")
    listed = directory.agent(principal.email) if directory is not None else None
    return Me(
        email=principal.email,
        name=display_name(principal.email),
        role="admin" if principal.is_admin else "lead" if sees_team_reports(principal) else "agent",
        groups=tuple(sorted(listed.groups)) if listed is not None else (),
        status=status_of(directory, own),
        notify={kind: wants_mail(own, kind) for kind in NOTIFY_KINDS},
    )
