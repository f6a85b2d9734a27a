"""Bringing tickets in: from a Tessera export, Zendesk or Freshdesk, through one importer.

A reader turns its source into :class:`SourceTicket` s (a ticket with its whole thread, ids
derived from the source so that a second run finds the first's) and :class:`RecordError` s (a
record that could not be read, with where it is). :func:`run_import` writes each ticket through
the :class:`~tessera.ports.ArchiveStore`: all of a ticket or none of it, never twice, and without
mail, routing or SLA timers (an imported ticket is history: docs/data-export.md says why).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tessera.errors import AlreadyExists, TesseraError
from tessera.ports import ArchiveStore, AttachmentStore, ImportMapping
from tessera.tickets.model import Event, Message, Ticket

PROGRESS_EVERY = 100


@dataclass
class SourceTicket:
    """One ticket of a source, ready to store: ``ticket.number`` is the number it had there."""

    source: str  # "tessera", "zendesk", "freshdesk"
    external_id: str
    where: str  # the record's place in the input, for the report ("tickets.json: ticket 42")
    ticket: Ticket
    messages: list[Message]
    events: list[Event]
    files: dict[str, bytes] = field(default_factory=dict)  # attachment key -> bytes to copy


@dataclass(frozen=True)
class RecordError:
    where: str
    problem: str


@dataclass
class ImportReport:
    """What an import did (or, dry, would do)."""

    source: str
    dry_run: bool
    read: int = 0
    imported: int = 0
    already: int = 0
    messages: int = 0
    events: int = 0
    files: int = 0
    renumbered: list[tuple[str, int, int]] = field(default_factory=list)  # (id, was, is)
    errors: list[RecordError] = field(default_factory=list)
    unmapped: dict[str, Counter[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        out = [
            f"{self.source}: read {self.read} tickets; {verb} {self.imported} "
            f"({self.messages} messages, {self.events} events, {self.files} files); "
            f"{self.already} imported before; {len(self.errors)} records refused",
        ]
        for external_id, was, now in self.renumbered:
            out.append(f"  renumbered: {self.source} {external_id} was #{was}, is #{now}")
        for name, values in sorted(self.unmapped.items()):
            shown = ", ".join(f"{v!r} x{n}" for v, n in values.most_common(10))
            out.append(f"  unmapped {name}: {shown}")
        for error in self.errors:
            out.append(f"  refused {error.where}: {error.problem}")
        return out


def run_import(
    store: ArchiveStore,
    records: Iterable[SourceTicket | RecordError],
    *,
    source: str,
    dry_run: bool,
    unmapped: dict[str, Counter[str]] | None = None,
    attachments: Callable[[], AttachmentStore] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Store every readable ticket once; report the rest. Never raises for a bad record."""
    report = ImportReport(source=source, dry_run=dry_run)
    say = progress or (lambda line: print(line, file=sys.stderr))
    for record in records:
        if isinstance(record, RecordError):
            report.errors.append(record)
            continue
        report.read += 1
        try:
            _import_one(store, record, report, dry_run=dry_run, attachments=attachments)
        except AlreadyExists:
            report.already += 1
        except TesseraError as error:
            report.errors.append(RecordError(record.where, str(error)))
        if report.read % PROGRESS_EVERY == 0:
            say(f"{source}: {report.read} tickets read, {report.imported} imported")
    report.unmapped = unmapped or {}
    return report


def _import_one(
    store: ArchiveStore,
    record: SourceTicket,
    report: ImportReport,
    *,
    dry_run: bool,
    attachments: Callable[[], AttachmentStore] | None,
) -> None:
    if store.imported(record.source, record.external_id) is not None:
        raise AlreadyExists(f"{record.source} {record.external_id}")
    ticket = record.ticket
    wanted = ticket.number
    if dry_run:
        if wanted <= 0 or store.number_taken(wanted, for_ticket=ticket.id):
            report.renumbered.append((record.external_id, wanted, 0))
    else:
        number = (
            wanted if wanted > 0 and not store.number_taken(wanted, for_ticket=ticket.id) else 0
        )
        number = number or store.next_number()
        store.keep_number(number)
        if number != wanted:
            report.renumbered.append((record.external_id, wanted, number))
            ticket.number = number
        if record.files and attachments is not None:
            files = attachments()
            for message in record.messages:
                for attachment in message.attachments:
                    data = record.files.get(attachment.key)
                    if data is not None:
                        files.put(
                            attachment.key,
                            data,
                            content_type=attachment.content_type,
                            filename=attachment.filename,
                        )
        mapping = ImportMapping(
            source=record.source,
            external_id=record.external_id,
            ticket_id=ticket.id,
            number=ticket.number,
            original_number=wanted,
        )
        store.store_imported(ticket, record.messages, record.events, mapping)
    report.imported += 1
    report.messages += len(record.messages)
    report.events += len(record.events)
    report.files += len(record.files)
