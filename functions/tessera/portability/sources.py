"""What the Zendesk and Freshdesk readers share: the mapping of their values to Tessera's, the
count of what did not map, and building a ticket with its thread from what was read."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tessera.portability.importing import RecordError, SourceTicket
from tessera.portability.records import stable_id
from tessera.tickets.model import (
    Channel,
    Event,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
)

IMPORT_ACTOR = "system:import"


@dataclass
class Unmapped:
    """Values of the source with no Tessera counterpart, per field, counted."""

    values: dict[str, Counter[str]] = field(default_factory=dict)

    def note(self, name: str, value: object) -> None:
        self.values.setdefault(name, Counter())[str(value)] += 1

    def lookup(self, name: str, table: Mapping[Any, str], key: Any) -> str | None:
        """``table[key]``; None (and noted) when the key is not there, None for a None key."""
        if key is None or key == "":
            return None
        found = table.get(key)
        if found is None:
            self.note(name, key)
        return found


@dataclass
class Comment:
    """One comment or conversation as the sources have them."""

    id: str
    author: str
    text: str
    public: bool
    at: datetime
    files: list[str] = field(default_factory=list)  # names (and links) of attachments


def build(
    *,
    source: str,
    external_id: str,
    where: str,
    number: int,
    subject: str,
    requester: str,
    channel: Channel,
    status: Status,
    priority: Priority,
    created_at: datetime,
    updated_at: datetime,
    comments: list[Comment],
    group: str | None = None,
    assignee: str | None = None,
    tags: frozenset[str] = frozenset(),
    custom_fields: Mapping[str, str] | None = None,
    participants: frozenset[str] = frozenset(),
    language: str | None = None,
) -> SourceTicket:
    """The ticket, its messages (text only: the source's HTML is never taken as HTML) and one
    ``ticket.imported`` event at the ticket's creation, with stable ids. Raises ValidationFailed
    (a bad requester, say), which the reader turns into a RecordError."""
    ticket_id = stable_id(created_at, source, external_id)
    ticket = Ticket(
        id=ticket_id,
        number=number,
        subject=subject,
        requester=requester,
        channel=channel,
        status=status,
        priority=priority,
        group=group,
        assignee=assignee,
        tags=frozenset(t.strip().lower() for t in tags if t.strip()),
        custom_fields=dict(custom_fields or {}),
        participants=frozenset(p.strip().lower() for p in participants if "@" in p)
        - {requester.strip().lower()},
        language=language,
        created_at=created_at,
        updated_at=max([updated_at, *(c.at for c in comments)]),
    )
    messages = []
    for comment in sorted(comments, key=lambda c: (c.at, c.id)):
        text = comment.text
        if comment.files:
            text += "\n\n" + "\n".join(f"[attachment in {source}: {f}]" for f in comment.files)
        messages.append(
            Message(
                ticket_id=ticket_id,
                id=stable_id(comment.at, source, external_id, "comment", comment.id),
                kind=MessageKind.PUBLIC if comment.public else MessageKind.INTERNAL,
                author=comment.author,
                text=text,
                created_at=comment.at,
            )
        )
    imported = Event(
        ticket_id=ticket_id,
        id=stable_id(created_at, source, external_id, "imported"),
        actor=IMPORT_ACTOR,
        action="ticket.imported",
        reason=f"imported from {source} ticket {external_id}",
        changes={"source": (None, source), "external_id": (None, external_id)},
        at=created_at,
    )
    return SourceTicket(
        source=source,
        external_id=external_id,
        where=where,
        ticket=ticket,
        messages=messages,
        events=[imported],
    )


def unknown_person(source: str, person_id: object) -> str:
    """An author the export does not name: an address that can never receive mail."""
    return f"{source}-user-{person_id}@unknown.invalid"


def json_files(directory: Path) -> Iterator[tuple[str, Any] | RecordError]:
    """Every ``*.json`` file of ``directory`` (sorted), parsed; a file that is not JSON is a
    RecordError naming it. ``.jsonl`` files give one document per line."""
    for path in sorted(directory.glob("*.json*")):
        if path.suffix == ".jsonl":
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    try:
                        yield f"{path.name}:{number}", json.loads(line)
                    except json.JSONDecodeError as error:
                        yield RecordError(f"{path.name}:{number}", f"not JSON: {error.msg}")
            continue
        try:
            yield path.name, json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            yield RecordError(path.name, f"not JSON: {error}")
