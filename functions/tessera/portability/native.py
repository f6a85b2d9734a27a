"""Tessera's own export format, written and read (``tessera export`` / ``tessera import``).

A file is a header line, then each ticket's line followed by its messages' and events' lines,
then every configuration document's versions, then an ``end`` line with the counts (a file
without it was cut short). docs/data-export.md describes every record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tessera.errors import TesseraError, ValidationFailed
from tessera.portability.importing import RecordError, SourceTicket
from tessera.portability.records import (
    FORMAT,
    VERSION,
    event_from_record,
    event_record,
    message_from_record,
    message_record,
    parse_time,
    ticket_from_record,
    ticket_record,
)
from tessera.ports import ArchiveStore, ConfigStore, StoredConfig
from tessera.tickets.model import Event, Message

PAGE = 100


def export_records(
    store: ArchiveStore,
    config: ConfigStore,
    kinds: Iterable[str],
    *,
    progress: Callable[[int], None] = lambda _: None,
) -> Iterator[dict[str, Any]]:
    """Every ticket with its thread, then every config document's history, as records; the
    tickets page by page (one Query of ByKind per page, one of the ticket's partition each)."""
    yield {
        "record": "header",
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    counts = {"tickets": 0, "messages": 0, "events": 0, "attachments": 0, "configs": 0}
    cursor: str | None = None
    while True:
        ids, cursor = store.ticket_ids(limit=PAGE, cursor=cursor)
        for ticket_id in ids:
            thread = store.thread(ticket_id)
            yield ticket_record(thread.ticket)
            for message in thread.messages:
                yield message_record(message)
                counts["attachments"] += len(message.attachments)
            for event in thread.events:
                yield event_record(event)
            counts["tickets"] += 1
            counts["messages"] += len(thread.messages)
            counts["events"] += len(thread.events)
            if counts["tickets"] % PAGE == 0:
                progress(counts["tickets"])
        if cursor is None:
            break
    for kind in sorted(kinds):
        for stored in reversed(config.history(kind, limit=1000)):
            yield config_record(stored)
            counts["configs"] += 1
    progress(counts["tickets"])
    yield {"record": "end", **counts}


def config_record(stored: StoredConfig) -> dict[str, Any]:
    return {
        "record": "config",
        "kind": stored.kind,
        "version": stored.version,
        "text": stored.text,
        "applied_by": stored.applied_by,
        "applied_at": stored.applied_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


@dataclass
class ExportFile:
    """What :func:`read_export` found besides the tickets."""

    configs: list[dict[str, Any]]
    ended: bool = False
    header: Mapping[str, Any] | None = None


def read_export(
    lines: Iterable[str],
    found: ExportFile,
    *,
    files: Callable[[str], bytes | None] = lambda _: None,
    name: str = "export",
) -> Iterator[SourceTicket | RecordError]:
    """The tickets of an export, each with its thread; a record that cannot be read is a
    RecordError naming its line (and its ticket is refused whole: never half imported).
    ``files`` gives an attachment's bytes where the export holds them."""
    current: dict[str, Any] | None = None
    broken: str | None = None

    def finish() -> Iterator[SourceTicket | RecordError]:
        if current is None:
            return
        if broken is not None:
            yield RecordError(current["where"], broken)
            return
        try:
            ticket = ticket_from_record(current["record"])
        except TesseraError as error:
            yield RecordError(current["where"], str(error))
            return
        messages: list[Message] = current["messages"]
        stored = {a.key: files(a.key) for m in messages for a in m.attachments}
        yield SourceTicket(
            source="tessera",
            external_id=ticket.id,
            where=current["where"],
            ticket=ticket,
            messages=messages,
            events=current["events"],
            files={k: v for k, v in stored.items() if v is not None},
        )

    for number, line in enumerate(lines, start=1):
        where = f"{name}:{number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValidationFailed("record", "must be a JSON object")
            kind = record.get("record")
            if kind == "header":
                if record.get("format") != FORMAT or record.get("version") != VERSION:
                    raise ValidationFailed("version", f"this reads {FORMAT} version {VERSION}")
                found.header = record
            elif kind == "ticket":
                yield from finish()
                current = {"where": where, "record": record, "messages": [], "events": []}
                broken = None
            elif kind in {"message", "event"}:
                if current is None or record.get("ticket_id") != current["record"].get("id"):
                    raise ValidationFailed("ticket_id", "is not the ticket of the line before")
                if kind == "message":
                    current["messages"].append(message_from_record(record))
                else:
                    event: Event = event_from_record(record)
                    current["events"].append(event)
            elif kind == "config":
                yield from finish()
                current = None
                for field_name in ("kind", "text", "applied_by"):
                    if not isinstance(record.get(field_name), str):
                        raise ValidationFailed(field_name, "must be a string")
                parse_time(record.get("applied_at"), "applied_at")
                found.configs.append(record)
            elif kind == "end":
                yield from finish()
                current = None
                found.ended = True
            else:
                raise ValidationFailed("record", f"unknown record {str(kind)[:40]!r}")
        except json.JSONDecodeError as error:
            problem = f"not JSON: {error.msg}"
        except TesseraError as error:
            problem = str(error)
        else:
            continue
        if current is not None and broken is None and record_is_threads(line):
            broken = f"{where}: {problem}"
        else:
            yield RecordError(where, problem)
    yield from finish()
    if found.header is None:
        yield RecordError(f"{name}:1", "no header line: not a tessera export")
    elif not found.ended:
        yield RecordError(name, "no end line: the export was cut short")


def record_is_threads(line: str) -> bool:
    """Whether a bad line was a message's or an event's (it spoils its ticket)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return True
    return isinstance(record, dict) and record.get("record") in {"message", "event"}
