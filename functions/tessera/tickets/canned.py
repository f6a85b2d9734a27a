"""Canned responses: reviewed reply texts agents pick and adapt, with placeholders.

They are a configuration document of kind ``canned`` (tessera.config), applied and versioned
like the others (``PUT /api/admin/config/canned``, ``tessera config apply canned``)::

    canned:
      - id: printer-reset
        title: Reset the printer
        text: |
          Hello {{requester.name}},
          please hold the reset button for ten seconds (ticket #{{ticket.number}}).

A response may also be a **macro**: ``set`` lists ticket changes the console applies with the
reply (one ``PATCH``, or the reply's ``status``): ``status``, ``priority``, ``group`` and
``tags`` (added to the ticket's)::

      - id: refund-processed
        title: Refund processed
        text: Your refund for #{{ticket.number}} is on its way.
        set: {status: solved, tags: [refund]}

A response with ``groups`` is shared with those routing groups only (their members, and
admins); without it, with everyone: ``groups: [billing]``.

Placeholders are ``{{requester.email}}``, ``{{requester.name}}``, ``{{ticket.number}}``,
``{{ticket.subject}}``, ``{{ticket.status}}``, ``{{agent.email}}`` and ``{{agent.name}}``; an
unknown one is refused when the document is validated, naming its line. Applying a response
renders it for one ticket; the agent sends it as a reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tessera.config import Document, Path
from tessera.errors import NotFound
from tessera.identity.access import Principal, require_staff
from tessera.ports import Dependencies
from tessera.tickets import reading
from tessera.tickets.model import Priority, Status, Ticket, display_name

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
PLACEHOLDERS = frozenset(
    {
        "requester.email",
        "requester.name",
        "ticket.number",
        "ticket.subject",
        "ticket.status",
        "agent.email",
        "agent.name",
    }
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


SET_KEYS = ("status", "priority", "group", "tags")


@dataclass(frozen=True)
class CannedResponse:
    id: str
    title: str
    text: str
    # A macro's ticket changes: status, priority, group (strings), tags (a sorted tuple).
    set: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    # Shared with these routing groups only (their members and admins); empty: everyone.
    groups: frozenset[str] = frozenset()


def parse_canned(doc: Document) -> Mapping[str, CannedResponse]:
    """The ``canned`` document's responses by id; ConfigError naming the line otherwise."""
    doc.mapping((), required=["canned"])
    responses: dict[str, CannedResponse] = {}
    for i, _ in enumerate(doc.sequence(("canned",))):
        path: Path = ("canned", i)
        entry = doc.mapping(path, required=["id", "title", "text"], optional=["set", "groups"])
        canned_id = doc.string((*path, "id"))
        if not _ID.match(canned_id):
            raise doc.error((*path, "id"), "must be lower-case letters, digits and dashes")
        if canned_id in responses:
            raise doc.error((*path, "id"), f"{canned_id} is listed twice")
        text = doc.string((*path, "text"))
        for name in PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                known = ", ".join("{{" + p + "}}" for p in sorted(PLACEHOLDERS))
                raise doc.error((*path, "text"), f"unknown placeholder {{{{{name}}}}} ({known})")
        changes = _changes(doc, (*path, "set")) if "set" in entry else {}
        shared = (
            frozenset(_shared_with(doc, (*path, "groups"))) if "groups" in entry else frozenset()
        )
        responses[canned_id] = CannedResponse(
            canned_id, doc.string((*path, "title")), text, changes, shared
        )
    return responses


def _shared_with(doc: Document, path: Path) -> list[str]:
    names = doc.sequence(path)
    if not names:
        raise doc.error(path, "must list at least one group (leave it out to share with everyone)")
    return [doc.string((*path, i)).strip() for i, _ in enumerate(names)]


def _changes(doc: Document, path: Path) -> dict[str, str | tuple[str, ...]]:
    """A macro's ``set``: known keys only, each value checked (refused naming line and key)."""
    entry = doc.mapping(path, optional=list(SET_KEYS))
    if not entry:
        raise doc.error(path, f"must set at least one of {', '.join(SET_KEYS)}")
    changes: dict[str, str | tuple[str, ...]] = {}
    if "status" in entry:
        changes["status"] = doc.string((*path, "status"), choices=[s.value for s in Status])
    if "priority" in entry:
        changes["priority"] = doc.string((*path, "priority"), choices=[p.value for p in Priority])
    if "group" in entry:
        changes["group"] = doc.string((*path, "group")).strip()
    if "tags" in entry:
        tags = doc.sequence((*path, "tags"))
        if not tags:
            raise doc.error((*path, "tags"), "must list at least one tag")
        changes["tags"] = tuple(
            sorted({doc.string((*path, "tags", i)).strip().lower() for i, _ in enumerate(tags)})
        )
    return changes


def render(text: str, ticket: Ticket, agent: Principal) -> str:
    return _fill(
        text,
        {
            "requester.email": ticket.requester,
            "requester.name": display_name(ticket.requester),
            "ticket.number": str(ticket.number),
            "ticket.subject": ticket.subject,
            "ticket.status": ticket.status.value,
            "agent.email": agent.email,
            "agent.name": display_name(agent.email),
        },
    )


# What the admin center's live preview fills in: a ticket that looks like a real one.
SAMPLE_REQUESTER = "dana.customer@example.net"
SAMPLE_TICKET = {"ticket.number": "1042", "ticket.subject": "The printer prints nothing"}


def preview(responses: Mapping[str, CannedResponse], agent: Principal) -> list[tuple[str, str]]:
    """Each response of a (validated) ``canned`` document as its title and its text with the
    placeholders filled in for a sample ticket and ``agent``: what an agent would send."""
    values = {
        "requester.email": SAMPLE_REQUESTER,
        "requester.name": display_name(SAMPLE_REQUESTER),
        **SAMPLE_TICKET,
        "ticket.status": Status.OPEN.value,
        "agent.email": agent.email,
        "agent.name": display_name(agent.email),
    }
    return [(r.title, _fill(r.text, values)) for r in responses.values()]


def _fill(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def responses(deps: Dependencies, principal: Principal) -> list[CannedResponse]:
    """The canned responses shared with the caller, by title (none until a ``canned`` document
    is applied): those without ``groups``, and those of the caller's routing groups (the
    ``groups`` document); admins get every one."""
    require_staff(principal)
    configured: Mapping[str, CannedResponse] = deps.config().get("canned") or {}
    mine = _groups_of(deps, principal)
    shared = [r for r in configured.values() if _shared(r, principal, mine)]
    return sorted(shared, key=lambda r: (r.title.lower(), r.id))


def _groups_of(deps: Dependencies, principal: Principal) -> frozenset[str]:
    directory = deps.config().get("groups")
    agent = directory.agent(principal.email) if directory is not None else None
    return frozenset(agent.groups) if agent is not None else frozenset()


def _shared(response: CannedResponse, principal: Principal, groups: frozenset[str]) -> bool:
    return principal.is_admin or not response.groups or bool(response.groups & groups)


def apply(
    deps: Dependencies, principal: Principal, ticket_id: str, canned_id: str
) -> CannedResponse:
    """The canned response rendered for one ticket, ready to send as a reply."""
    require_staff(principal)
    ticket = reading.find_ticket(deps, principal, ticket_id)
    configured: Mapping[str, CannedResponse] = deps.config().get("canned") or {}
    response = configured.get(canned_id)
    if response is None or not _shared(response, principal, _groups_of(deps, principal)):
        raise NotFound(f"no canned response {canned_id}")
    return CannedResponse(
        response.id,
        response.title,
        render(response.text, ticket, principal),
        response.set,
        response.groups,
    )
