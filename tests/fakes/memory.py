"""Tickets in memory: the DynamoDB repository's behaviour in plain Python, for logic tests.

Same errors, versions, numbers, orderings and opaque cursors as
:class:`tessera.adapters.dynamodb.DynamoTicketRepository`; the contract tests in
tests/integration/test_ticket_repository.py run against both to keep them so.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from tessera.adapters.checks import check_belongs, check_limit
from tessera.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from tessera.ports import (
    AgentSettings,
    AuditEntry,
    DueTimer,
    Load,
    Notification,
    NotificationPage,
    Page,
    Presence,
    Quarantined,
    Selection,
    StaffMember,
    StoredConfig,
    Thread,
)
from tessera.sla.clocks import next_breach
from tessera.tickets.model import Event, Message, Status, Ticket, utcnow
from tessera.tickets.stages import OPEN, stage_of

FIRST_NUMBER = 1001


class InMemoryTicketRepository:
    """:class:`tessera.ports.TicketRepository` in dictionaries. Stores and returns copies, so a
    caller's later changes reach it only through :meth:`save`, as with real storage."""

    def __init__(self) -> None:
        self._tickets: dict[str, Ticket] = {}
        self._messages: defaultdict[str, list[Message]] = defaultdict(list)
        self._events: defaultdict[str, list[Event]] = defaultdict(list)
        self._claims: dict[str, str] = {}  # Message-ID -> ticket id
        self._quarantine: dict[str, Quarantined] = {}
        self._numbers_issued = 0

    def next_number(self) -> int:
        self._numbers_issued += 1
        return FIRST_NUMBER - 1 + self._numbers_issued

    def create(self, ticket: Ticket, message: Message, events: Sequence[Event]) -> None:
        check_belongs(ticket, [message], events)
        self._check_claim(message)
        if ticket.id in self._tickets:
            raise AlreadyExists(f"ticket {ticket.id} exists already")
        self._write(ticket, message, events)

    def save(self, ticket: Ticket, events: Sequence[Event]) -> None:
        check_belongs(ticket, [], events)
        self._check_version(ticket)
        ticket.version += 1
        self._write(ticket, None, events)

    def add_message(
        self,
        ticket: Ticket,
        message: Message,
        events: Sequence[Event],
        *,
        claims: Sequence[str] = (),
    ) -> None:
        check_belongs(ticket, [message], events)
        self._check_claim(message, claims)
        self._check_version(ticket)
        ticket.updated_at = max(ticket.updated_at, message.created_at)
        ticket.version += 1
        self._write(ticket, message, events)
        for claim in claims:
            self._claims[claim] = ticket.id

    def _check_claim(self, message: Message, claims: Sequence[str] = ()) -> None:
        for claimed in (message.mail_message_id, *claims):
            if claimed in self._claims:
                raise AlreadyExists(f"Message-ID {claimed} is stored already")

    def _check_version(self, ticket: Ticket) -> None:
        stored = self._tickets.get(ticket.id)
        if stored is None:
            raise NotFound(f"ticket {ticket.id}")
        if stored.version != ticket.version:
            raise Conflict(f"ticket {ticket.id} changed since version {ticket.version}")

    def _write(self, ticket: Ticket, message: Message | None, events: Sequence[Event]) -> None:
        self._tickets[ticket.id] = copy.deepcopy(ticket)
        if message is not None:
            self._messages[ticket.id].append(copy.deepcopy(message))
            if message.mail_message_id is not None:
                self._claims[message.mail_message_id] = ticket.id
        self._events[ticket.id].extend(copy.deepcopy(list(events)))

    def claim_message_id(self, ticket_id: str, mail_message_id: str) -> None:
        if mail_message_id in self._claims:
            raise AlreadyExists(f"Message-ID {mail_message_id} is stored already")
        self._claims[mail_message_id] = ticket_id

    def record(self, ticket_id: str, events: Sequence[Event]) -> None:
        if any(e.ticket_id != ticket_id for e in events):
            raise ValidationFailed("ticket_id", f"an event does not belong to ticket {ticket_id}")
        self._events[ticket_id].extend(copy.deepcopy(list(events)))

    def get(self, ticket_id: str) -> Ticket:
        if ticket_id not in self._tickets:
            raise NotFound(f"ticket {ticket_id}")
        return copy.deepcopy(self._tickets[ticket_id])

    def get_by_number(self, number: int) -> Ticket:
        for ticket in self._tickets.values():
            if ticket.number == number:
                return copy.deepcopy(ticket)
        raise NotFound(f"ticket #{number}")

    def find_by_mail_message_id(self, mail_message_id: str) -> str | None:
        return self._claims.get(mail_message_id)

    def thread(self, ticket_id: str, *, events: Sequence[str] | None = None) -> Thread:
        ticket = self.get(ticket_id)
        messages = sorted(self._messages[ticket_id], key=lambda m: (m.created_at, m.id))
        audit = sorted(self._events[ticket_id], key=lambda e: (e.at, e.id))
        if events is not None:
            audit = [e for e in audit if e.action in events]
        return Thread(ticket=ticket, messages=copy.deepcopy(messages), events=copy.deepcopy(audit))

    def recent(self, *, limit: int, cursor: str | None = None) -> Page:
        return self._page("recent", lambda t: True, limit, cursor)

    def queue(self, *, group: str, status: Status, limit: int, cursor: str | None = None) -> Page:
        # Tickets without a group are the "-" queue, as in the DynamoDB key.
        return self._page(
            f"queue:{group}#{status}",
            lambda t: (t.group or "-") == group and t.status == status,
            limit,
            cursor,
        )

    def assigned(
        self, *, assignee: str, status: Status, limit: int, cursor: str | None = None
    ) -> Page:
        return self._page(
            f"assigned:{assignee}#{status}",
            lambda t: t.assignee == assignee and t.status == status,
            limit,
            cursor,
        )

    def requested_by(self, requester: str, *, limit: int, cursor: str | None = None) -> Page:
        requester = requester.strip().lower()
        return self._page(
            f"requester:{requester}", lambda t: t.requester == requester, limit, cursor
        )

    def involving(self, address: str, *, limit: int, cursor: str | None = None) -> Page:
        address = address.strip().lower()
        return self._page(
            f"requester:{address}",
            lambda t: t.requester == address or address in t.participants,
            limit,
            cursor,
        )

    def _page(
        self, listing: str, wanted: Callable[[Ticket], bool], limit: int, cursor: str | None
    ) -> Page:
        """Newest first, by (created_at, id) as the indexes' ``created`` sort key orders them."""
        check_limit(limit)
        tickets = sorted(
            (t for t in self._tickets.values() if wanted(t)),
            key=lambda t: (t.created_at, t.id),
            reverse=True,
        )
        if cursor is not None:
            after = _decode_cursor(cursor, listing)
            tickets = [t for t in tickets if (t.created_at, t.id) < after]
        page = tickets[:limit]
        more = len(tickets) > limit
        next_cursor = _encode_cursor(listing, page[-1]) if more else None
        return Page(items=copy.deepcopy(page), cursor=next_cursor)

    def select(self, selection: Selection, *, limit: int, cursor: str | None = None) -> Page:
        check_limit(limit)
        listing = f"{selection.listing}:{selection.key}"
        if cursor is not None:
            after = _decode_cursor(cursor, listing)
            # As in DynamoDB's adapter: a next page's range reaches back to where it resumes.
            if selection.since is not None and after[0] < selection.since:
                selection = dataclasses.replace(selection, since=after[0])
            if selection.until is not None and after[0] > selection.until:
                selection = dataclasses.replace(selection, until=after[0])
        tickets = self._selected(selection)
        if cursor is not None:
            oldest_first = selection.listing == "sla"
            tickets = [
                t
                for t in tickets
                if (_order(selection, t) > after if oldest_first else _order(selection, t) < after)
            ]
        page = tickets[:limit]
        more = len(tickets) > limit
        next_cursor = _encode_order(listing, _order(selection, page[-1])) if more else None
        return Page(items=copy.deepcopy(page), cursor=next_cursor)

    def count(self, selection: Selection, *, cap: int) -> tuple[int, bool]:
        # Like the Query: at most ``cap`` entries of the partition (and range) are read.
        in_range = [t for t in self._tickets.values() if _in_partition(selection, t)]
        read = sorted(
            in_range, key=lambda t: _order(selection, t), reverse=selection.listing != "sla"
        )
        counted = [t for t in read[:cap] if _passes(selection, t)]
        return len(counted), len(read) > cap

    def latest_change(self) -> datetime | None:
        return max((t.updated_at for t in self._tickets.values()), default=None)

    def _selected(self, selection: Selection) -> list[Ticket]:
        """The partition in index order (newest change first; SLA: earliest breach first)."""
        chosen = [
            t
            for t in self._tickets.values()
            if _in_partition(selection, t) and _passes(selection, t)
        ]
        return sorted(
            chosen, key=lambda t: _order(selection, t), reverse=selection.listing != "sla"
        )

    def due_timers(self, now: datetime, *, limit: int) -> Sequence[DueTimer]:
        check_limit(limit)
        if now.tzinfo is None:
            raise ValueError("a naive datetime has no time zone; pass an aware (UTC) one")
        due = sorted(
            (t.due_at, t.id)
            for t in self._tickets.values()
            if t.due_at is not None and t.due_at <= now
        )
        return [
            DueTimer(ticket_id=i, due_at=at, what=self._tickets[i].due_what or "")
            for at, i in due[:limit]
        ]

    def awaiting_routing(self, before: datetime, *, limit: int) -> Sequence[str]:
        check_limit(limit)
        waiting = sorted(
            (t.routing_since, t.id)
            for t in self._tickets.values()
            if t.routing_since is not None and t.routing_since <= before
        )
        return [ticket_id for _, ticket_id in waiting[:limit]]

    def quarantine(self, item: Quarantined) -> None:
        self._quarantine[item.key] = item

    def quarantined(self, *, limit: int) -> Sequence[Quarantined]:
        check_limit(limit)
        return sorted(self._quarantine.values(), key=lambda q: (q.at, q.key))[:limit]

    def release(self, key: str) -> None:
        self._quarantine.pop(key, None)

    def quarantined_mail(self, key: str) -> Quarantined | None:
        return self._quarantine.get(key)


def _partition_key(listing: str, ticket: Ticket) -> str | None:
    """The ticket's partition key on the DynamoDB index serving ``listing`` (None: absent)."""
    stage = stage_of(ticket.status)
    if listing in {"every", "created"}:
        return "ticket"
    if listing == "stage":
        return stage
    if listing == "group":
        return f"{ticket.group or '-'}#{stage}"
    if listing == "assignee":
        return f"{ticket.assignee}#{stage}" if ticket.assignee else None
    if listing == "unassigned":
        return OPEN if ticket.assignee is None and stage == OPEN else None
    if listing == "sla":
        return "running" if next_breach(ticket) is not None else None
    raise ValueError(f"no listing {listing!r}")


def _order(selection: Selection, ticket: Ticket) -> tuple[datetime, str]:
    if selection.listing == "sla":
        breach = next_breach(ticket)
        assert breach is not None
        return breach, ticket.id
    if selection.listing == "created":
        return ticket.created_at, ticket.id
    return ticket.updated_at, ticket.id


def _in_partition(selection: Selection, ticket: Ticket) -> bool:
    if _partition_key(selection.listing, ticket) != selection.key:
        return False
    at, _ = _order(selection, ticket)
    return (selection.since is None or at >= selection.since) and (
        selection.until is None or at <= selection.until
    )


def _passes(selection: Selection, ticket: Ticket) -> bool:
    return (
        (not selection.statuses or ticket.status in selection.statuses)
        and (selection.groups is None or ticket.group in selection.groups)
        and (selection.priority is None or ticket.priority.value == selection.priority)
        and (selection.group is None or ticket.group == selection.group)
        and (selection.assignee is None or ticket.assignee == selection.assignee)
        and (selection.tag is None or selection.tag in ticket.tags)
        and (not selection.unassigned or ticket.assignee is None)
    )


def _encode_order(listing: str, order: tuple[datetime, str]) -> str:
    raw = json.dumps([listing, order[0].isoformat(), order[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _encode_cursor(listing: str, last: Ticket) -> str:
    raw = json.dumps([listing, last.created_at.isoformat(), last.id]).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, listing: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        cursor_listing, created_at, ticket_id = decoded
        after = datetime.fromisoformat(created_at)
        if cursor_listing == listing and isinstance(ticket_id, str) and after.tzinfo:
            return after, ticket_id
    except (ValueError, TypeError):  # bad base64, UTF-8, JSON or shape
        pass
    raise ValidationFailed("cursor", "is not a cursor this listing returned")


class InMemoryConfigStore:
    """:class:`tessera.ports.ConfigStore` in a dictionary, same semantics as the DynamoDB one."""

    def __init__(self) -> None:
        self._versions: defaultdict[str, list[StoredConfig]] = defaultdict(list)

    def current(self, kind: str) -> StoredConfig | None:
        versions = self._versions[kind]
        return versions[-1] if versions else None

    def apply(
        self, kind: str, text: str, *, actor: str, expected_version: int | None
    ) -> StoredConfig:
        base = len(self._versions[kind])
        if expected_version is not None and expected_version != base:
            raise Conflict(f"{kind} is at version {base}, not {expected_version}")
        stored = StoredConfig(kind, base + 1, text, actor, utcnow())
        self._versions[kind].append(stored)
        return stored

    def history(self, kind: str, *, limit: int) -> Sequence[StoredConfig]:
        return list(reversed(self._versions[kind]))[:limit]

    def version(self, kind: str, version: int) -> StoredConfig | None:
        versions = self._versions[kind]
        return versions[version - 1] if 0 < version <= len(versions) else None


class InMemoryNonces:
    """:class:`tessera.ports.Nonces` in a dictionary."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.time
        self._claimed: dict[str, tuple[float, str]] = {}

    def claim(self, key: str, *, ttl_seconds: int, value: str = "") -> str | None:
        now = self._clock()
        existing = self._claimed.get(key)
        if existing is not None and existing[0] >= now:
            return existing[1]
        self._claimed[key] = (now + ttl_seconds, value)
        return None

    def settle(self, key: str, *, ttl_seconds: int, value: str) -> None:
        if ttl_seconds <= 0:
            self._claimed.pop(key, None)
        else:
            self._claimed[key] = (self._clock() + ttl_seconds, value)


class InMemoryAgentLoads:
    """:class:`tessera.ports.AgentLoads` over an in-memory ticket repository; a lock
    makes each assignment one atomic compare-and-set, as the DynamoDB transaction is."""

    def __init__(self, tickets: InMemoryTicketRepository) -> None:
        self._tickets = tickets
        self._loads: dict[str, Load] = {}
        self._lock = threading.Lock()

    def loads(self) -> Mapping[str, Load]:
        with self._lock:
            return dict(self._loads)

    def assign(self, ticket: Ticket, events: Sequence[Event], *, seen: Load, capacity: int) -> None:
        with self._lock:
            stored = self._loads.get(seen.agent, Load(seen.agent))
            if stored != seen or stored.open >= capacity:
                raise Conflict(f"{seen.agent}'s load changed or is at capacity")
            self._tickets.save(ticket, events)
            self._loads[seen.agent] = Load(
                seen.agent, stored.open + 1, stored.assigned + 1, ticket.number
            )

    def release(self, agent: str) -> None:
        with self._lock:
            load = self._loads.get(agent)
            if load is not None and load.open > 0:
                self._loads[agent] = dataclasses.replace(load, open=load.open - 1)


class InMemoryAgentSettings:
    """:class:`tessera.ports.AgentSettingsStore` in a dictionary."""

    def __init__(self) -> None:
        self._settings: dict[str, AgentSettings] = {}

    def get(self, email: str) -> AgentSettings:
        return self._settings.get(email, AgentSettings(email))

    def all(self) -> Mapping[str, AgentSettings]:
        return dict(self._settings)

    def update(
        self,
        email: str,
        *,
        status: str | None = None,
        notify_assigned: bool | None = None,
        notify_customer_reply: bool | None = None,
        weekly_digest: bool | None = None,
    ) -> AgentSettings:
        current = self.get(email)
        changes = {
            k: v
            for k, v in (
                ("status", status),
                ("notify_assigned", notify_assigned),
                ("notify_customer_reply", notify_customer_reply),
                ("weekly_digest", weekly_digest),
            )
            if v is not None
        }
        self._settings[email] = dataclasses.replace(current, **changes)
        return self._settings[email]

    def count_unread(self, email: str, by: int) -> None:
        current = self.get(email)
        self._settings[email] = dataclasses.replace(current, unread=max(0, current.unread + by))


class InMemoryPresence:
    """:class:`tessera.ports.PresenceStore` beside an in-memory ticket repository. Like the
    table, it keeps expired records until someone deletes them (DynamoDB's TTL is late)."""

    def __init__(self, tickets: InMemoryTicketRepository) -> None:
        self._tickets = tickets
        self._records: dict[str, dict[str, Presence]] = defaultdict(dict)
        self.queries = 0

    def present(self, ticket_id: str) -> tuple[int, Sequence[Presence]]:
        self.queries += 1
        version = self._tickets.get(ticket_id).version  # NotFound, as the Query finds nothing
        return version, list(self._records[ticket_id].values())

    def put(self, ticket_id: str, presence: Presence) -> None:
        self._records[ticket_id][presence.agent] = presence


class InMemoryNotifications:
    """:class:`tessera.ports.NotificationStore`, counting unread on the settings fake."""

    def __init__(self, settings: InMemoryAgentSettings) -> None:
        self._settings = settings
        self._items: defaultdict[str, dict[str, Notification]] = defaultdict(dict)

    def add(self, notification: Notification) -> None:
        self._items[notification.agent][notification.id] = notification
        self._settings.count_unread(notification.agent, 1)

    def page(self, agent: str, *, limit: int, cursor: str | None = None) -> NotificationPage:
        check_limit(limit)
        newest = sorted(self._items[agent].values(), key=lambda n: n.id, reverse=True)
        if cursor is not None:
            if not cursor.startswith(f"{agent}|"):
                raise ValidationFailed("cursor", "is not a cursor this listing returned")
            after = cursor.split("|", 1)[1]
            newest = [n for n in newest if n.id < after]
        page = newest[:limit]
        more = len(newest) > limit
        next_cursor = f"{agent}|{page[-1].id}" if more and page else None
        return NotificationPage(page, self._settings.get(agent).unread, next_cursor)

    def mark_read(self, agent: str, ids: Sequence[str]) -> int:
        marked = 0
        for notification_id in dict.fromkeys(ids):
            found = self._items[agent].get(notification_id)
            if found is None or found.read:
                continue
            self._items[agent][notification_id] = dataclasses.replace(found, read=True)
            self._settings.count_unread(agent, -1)
            marked += 1
        return marked

    def mark_all_read(self, agent: str) -> int:
        unread = [n for n in self._items[agent].values() if not n.read]
        for n in unread:
            self._items[agent][n.id] = dataclasses.replace(n, read=True)
        self._settings.count_unread(agent, -self._settings.get(agent).unread)
        return len(unread)


class InMemoryAuditLog:
    """:class:`tessera.ports.AuditLog` in a list (the DynamoDB one: tests/integration)."""

    def __init__(self) -> None:
        self.added: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self.added.append(entry)

    def entries(
        self, start: datetime, end: datetime, *, actor: str | None, limit: int
    ) -> Sequence[AuditEntry]:
        check_limit(limit)
        found = [
            e for e in self.added if start <= e.at <= end and (actor is None or e.actor == actor)
        ]
        return sorted(found, key=lambda e: (e.at, e.id), reverse=True)[:limit]


class InMemoryStaffDirectory:
    """The staff accounts without a user pool: invite, role, enable and disable (sign-in and
    tokens are the pool's, exercised on the local stack)."""

    def __init__(self) -> None:
        self.accounts: dict[str, StaffMember] = {}
        self.invitations: list[str] = []  # addresses an invitation was mailed to, in order

    def members(self) -> list[StaffMember]:
        return sorted(self.accounts.values(), key=lambda m: m.email)

    def invite(self, email: str, group: str, temporary_password: str | None = None) -> StaffMember:
        if email in self.accounts:
            raise AlreadyExists(f"{email} already has a staff account")
        self.accounts[email] = StaffMember(email, (group,), "FORCE_CHANGE_PASSWORD", True)
        self.invitations.append(email)
        return self.accounts[email]

    def resend_invitation(self, email: str) -> None:
        if self.member(email).status != "FORCE_CHANGE_PASSWORD":
            raise Conflict(f"{email} has signed in already")
        self.invitations.append(email)

    def member(self, email: str) -> StaffMember:
        if email not in self.accounts:
            raise NotFound(f"no staff account {email}")
        return self.accounts[email]

    def set_enabled(self, email: str, enabled: bool) -> None:
        self.accounts[email] = dataclasses.replace(self.member(email), enabled=enabled)

    def set_group(self, email: str, group: str) -> None:
        self.accounts[email] = dataclasses.replace(self.member(email), groups=(group,))
