"""What ticket search indexes and answers, and the port every index implements."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from tessera.mail.parse import html_to_text
from tessera.ports import Thread
from tessera.tickets.model import Message, MessageKind

Sort = Literal["relevance", "updated", "created"]


@dataclass(frozen=True)
class Text:
    """One searchable text of a ticket: its subject, a message, a file's name or its people.
    ``public``: the requester may see it (internal notes are staff-only)."""

    source: Literal["subject", "message", "note", "file", "people"]
    ref: str  # the message id for messages and files; "" otherwise
    text: str
    public: bool


@dataclass(frozen=True)
class SearchDocument:
    """A ticket as the index holds it: the fields filters and the customer's permission read,
    and every text of its thread."""

    ticket_id: str
    number: int
    subject: str
    status: str
    priority: str
    group: str | None
    assignee: str | None
    channel: str
    tags: frozenset[str]
    people: frozenset[str]  # the requester and participants: the customers who may find it
    created_at: datetime
    updated_at: datetime
    texts: tuple[Text, ...]


MERGED = "ticket.merged"
# The only audit events a document depends on: a thread read for the index reads these alone.
DOCUMENT_EVENTS = (MERGED,)


def document(thread: Thread) -> SearchDocument | None:
    """The thread as a search document; None for a ticket merged into another (it leaves the
    index: its conversation continues, and is found, in the target). Of the thread's events
    only :data:`DOCUMENT_EVENTS` matter."""
    if any(e.action == MERGED for e in thread.events):
        return None
    ticket = thread.ticket
    texts = [Text("subject", "", ticket.subject, True)]
    authors = {m.author for m in thread.messages if "@" in m.author}
    people = {ticket.requester, *ticket.participants}
    # Names as the mail gave them ("Casey Jones"): the requester's, and each author's. Customers
    # find a ticket by the names of its people only, as by their addresses.
    names = {ticket.requester: ticket.requester_name} if ticket.requester_name else {}
    for message in thread.messages:
        if message.author_name:
            names.setdefault(message.author, message.author_name)
    public_names = sorted({n for who, n in names.items() if who in people})
    # The number as a word (``1042`` finds #1042), with the people: staff find a ticket by any
    # author's address or name too; customers only by the requester's and participants'.
    staff_words = [str(ticket.number), *sorted(people | authors), *sorted(set(names.values()))]
    texts.append(Text("people", "", " ".join(staff_words), False))
    texts.append(
        Text("people", "", " ".join([str(ticket.number), *sorted(people), *public_names]), True)
    )
    for message in thread.messages:
        public = message.kind is not MessageKind.INTERNAL
        source: Literal["message", "note"] = "message" if public else "note"
        words = _searchable_text(message)
        if words.strip():
            texts.append(Text(source, message.id, words, public))
        files = " ".join(a.filename for a in message.attachments if not a.content_id)
        if files:
            texts.append(Text("file", message.id, files, public))
    return SearchDocument(
        ticket_id=ticket.id,
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status.value,
        priority=ticket.priority.value,
        group=ticket.group,
        assignee=ticket.assignee,
        channel=ticket.channel.value,
        tags=ticket.tags,
        people=frozenset(people),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        texts=tuple(texts),
    )


_WORD = re.compile(r"\w+")


def _searchable_text(message: Message) -> str:
    """The message's text, then the lines of its HTML part that say something the text does
    not: a mail whose two versions differ is found by the words of either. Lines whose every
    word the text already has are left out, so a mail sent twice over (the usual case) does not
    weigh double in the ranking."""
    if not message.html.strip():
        return message.text
    known = set(_WORD.findall(message.text.casefold()))
    extra = [
        line
        for line in html_to_text(message.html).splitlines()
        if any(word not in known for word in _WORD.findall(line.casefold()))
    ]
    return "\n".join([message.text, *extra]) if extra else message.text


@dataclass(frozen=True)
class SearchFilters:
    statuses: frozenset[str] = frozenset()
    priority: str | None = None
    group: str | None = None
    assignee: str | None = None
    tag: str | None = None
    channel: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


@dataclass(frozen=True)
class SearchRequest:
    """A query (tessera.search.query syntax), its filters and order, one page of it.
    ``customer``: only tickets this address requested or follows, only their public texts —
    applied by the index inside its query."""

    text: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: Sort = "relevance"
    limit: int = 25
    offset: int = 0
    customer: str | None = None
    only_ticket: str | None = None  # a session opened from one ticket's link sees only it


@dataclass(frozen=True)
class Fragment:
    """A piece of a snippet; ``match``: one of the words searched for. Plain text, never HTML."""

    text: str
    match: bool


@dataclass(frozen=True)
class Hit:
    ticket_id: str
    number: int
    subject: str
    status: str
    updated_at: datetime
    score: float  # lower is better (BM25 as SQLite reports it)
    source: str  # where the snippet comes from: subject, message, note, file, people
    snippet: tuple[Fragment, ...]


@dataclass(frozen=True)
class SearchResult:
    hits: Sequence[Hit]
    total: int  # every ticket the query matches (for a customer: only theirs)
    next_offset: int | None


@dataclass(frozen=True)
class IndexStats:
    """What one change of the index cost (for bench/search.py and the indexer's log)."""

    tickets: int
    removed: int
    bytes_written: int
    calls: int


class SearchIndex(Protocol):
    """The ticket index. One adapter implements it (tessera.adapters.search_segments); the
    OpenSearch one would be the one-module swap (docs/search.md)."""

    def put(self, documents: Sequence[SearchDocument], removed: Sequence[str]) -> IndexStats:
        """Replace these tickets' documents and drop the ``removed`` ticket ids (idempotent)."""
        ...

    def rebuild(self, documents: Iterable[SearchDocument]) -> IndexStats:
        """Replace the whole index with ``documents``."""
        ...

    def search(self, request: SearchRequest) -> SearchResult: ...
