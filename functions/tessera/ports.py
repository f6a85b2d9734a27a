"""What the domain needs from the outside world, as protocols, and :class:`Dependencies`, the
ports a use case may touch, bundled.

Adapters in :mod:`tessera.adapters` implement these against AWS; :mod:`tessera.bootstrap` wires
them. Tests wire in-memory fakes (``tests/fakes``), so logic tests need neither moto nor a
network. The knowledge base's own stores are declared beside its use cases (``tessera.kb``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tessera.errors import ConfigurationError
from tessera.identity.access import Principal
from tessera.identity.tokens import Signer
from tessera.tickets.model import Event, Message, Status, Ticket


@dataclass(frozen=True)
class Page:
    """One page of tickets and the opaque cursor of the next page (None on the last page)."""

    items: Sequence[Ticket]
    cursor: str | None


@dataclass(frozen=True)
class Thread:
    """A ticket with its messages and audit events, oldest first."""

    ticket: Ticket
    messages: Sequence[Message]
    events: Sequence[Event]


@dataclass(frozen=True)
class DueTimer:
    ticket_id: str
    due_at: datetime
    what: str = ""  # the ticket's due_what: which target/cycle/level or automation is due


@dataclass(frozen=True)
class Quarantined:
    """A raw mail intake could not turn into a ticket or reply; it stays in S3 at ``key``."""

    key: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Selection:
    """Which tickets one listing or count of the agents' workspace reads: one partition of one
    index (``listing`` and ``key``, see docs/data-model.md, patterns 20-27), optionally a range
    of its sort key, narrowed by filters that storage applies to what the range holds (so a
    page may hold fewer tickets than asked for).

    ``listing``: ``every`` (key ``ticket``: every ticket; ``created``: the same by creation,
    newest first), ``stage`` (key: a stage, see
    :data:`tessera.tickets.queue.STAGES`), ``group`` (``<group or ->#<stage>``), ``assignee``
    (``<agent>#<stage>``), ``unassigned`` (key ``open``: open tickets nobody has), ``sla`` (key
    ``running``: tickets with a running SLA target). All but ``sla`` are ordered by the last
    change, newest first; ``sla`` by :func:`tessera.sla.clocks.next_breach`, earliest first.
    ``since``/``until`` bound that order's time (inclusive)."""

    listing: str
    key: str
    since: datetime | None = None
    until: datetime | None = None
    statuses: frozenset[Status] = frozenset()
    priority: str | None = None
    tag: str | None = None
    group: str | None = None
    groups: frozenset[str] | None = None  # any of these groups (the unassigned view)
    assignee: str | None = None
    unassigned: bool = False


class TicketRepository(Protocol):
    """Tickets, their threads and audit trails. See docs/data-model.md for the access patterns."""

    def next_number(self) -> int:
        """Allocate the next human-friendly ticket number (strictly increasing, never reused)."""

    def create(self, ticket: Ticket, message: Message, events: Sequence[Event]) -> None:
        """Store a new ticket with its first message and events, all or nothing.

        Raises AlreadyExists if ``message.mail_message_id`` is already stored (a redelivered mail).
        """

    def get(self, ticket_id: str) -> Ticket:
        """Raises NotFound."""

    def get_by_number(self, number: int) -> Ticket:
        """Raises NotFound."""

    def find_by_mail_message_id(self, mail_message_id: str) -> str | None:
        """The id of the ticket that holds the message with this Message-ID, if any."""

    def thread(self, ticket_id: str, *, events: Sequence[str] | None = None) -> Thread:
        """The ticket with its messages and audit events (``events``: only the events of these
        actions, as the search index needs only a merge). Raises NotFound."""

    def save(self, ticket: Ticket, events: Sequence[Event]) -> None:
        """Store a changed ticket and its events, all or nothing, if nobody saved it since it
        was read (``ticket.version``); bumps the version. Raises Conflict otherwise."""

    def add_message(
        self,
        ticket: Ticket,
        message: Message,
        events: Sequence[Event],
        *,
        claims: Sequence[str] = (),
    ) -> None:
        """Append a message to a ticket and save the ticket (as :meth:`save`); a message is a
        change, so ``ticket.updated_at`` moves on to the message's time if it is later. Raises
        AlreadyExists if the message's Message-ID is stored already, Conflict if stale.
        ``claims`` are more Message-IDs to claim for the ticket in the same write (the
        agent's mail that a reply mailed under its own Message-ID came from)."""

    def claim_message_id(self, ticket_id: str, mail_message_id: str) -> None:
        """Store that mail we sent under ``mail_message_id`` belongs to the ticket, without a
        message in its thread (a notification to an agent), so an answer to it threads."""

    def record(self, ticket_id: str, events: Sequence[Event]) -> None:
        """Add audit events to a ticket's trail without changing the ticket (what happened
        after a save: a mail sent). Never a Conflict: no version is involved."""

    def recent(self, *, limit: int, cursor: str | None = None) -> Page:
        """Every ticket, newest first."""

    def queue(self, *, group: str, status: Status, limit: int, cursor: str | None = None) -> Page:
        """A group's tickets in one status, newest first (the agents' queues)."""

    def assigned(
        self, *, assignee: str, status: Status, limit: int, cursor: str | None = None
    ) -> Page:
        """An agent's tickets in one status, newest first."""

    def requested_by(self, requester: str, *, limit: int, cursor: str | None = None) -> Page:
        """A requester's tickets, newest first."""

    def involving(self, address: str, *, limit: int, cursor: str | None = None) -> Page:
        """The tickets ``address`` asked (its requester's) or follows (a participant's), newest
        first (a customer's own list)."""

    def select(self, selection: Selection, *, limit: int, cursor: str | None = None) -> Page:
        """One page of the tickets ``selection`` names: one Query (see :class:`Selection`)."""

    def count(self, selection: Selection, *, cap: int) -> tuple[int, bool]:
        """How many tickets ``selection`` names, from one Query that reads at most ``cap``
        index entries (or 1 MB); ``(count, True)`` when it stopped there: at least ``count``."""

    def latest_change(self) -> datetime | None:
        """When any ticket last changed (``updated_at`` of the newest change; None without
        tickets): one Query of one item."""

    def due_timers(self, now: datetime, *, limit: int) -> Sequence[DueTimer]:
        """Tickets whose next timer is due at or before ``now``, earliest first. Reads only due
        items (a sparse index ordered by due time)."""

    def awaiting_routing(self, before: datetime, *, limit: int) -> Sequence[str]:
        """Ids of tickets waiting for their routing workflow since ``before`` or earlier, longest
        waiting first. Reads only waiting tickets (a sparse index ordered by the wait)."""

    def quarantine(self, item: Quarantined) -> None:
        """Record a mail that could not be processed (idempotent per key)."""

    def quarantined(self, *, limit: int) -> Sequence[Quarantined]:
        """Quarantined mail, oldest first."""

    def release(self, key: str) -> None:
        """Remove the quarantine record of ``key`` (after a successful reprocess); no-op when
        there is none."""

    def quarantined_mail(self, key: str) -> Quarantined | None:
        """The quarantine record of ``key`` (one GetItem), or None."""


@dataclass(frozen=True)
class StoredConfig:
    """One applied version of a configuration document (the YAML text as reviewed)."""

    kind: str
    version: int
    text: str
    applied_by: str
    applied_at: datetime


class ConfigStore(Protocol):
    """Versioned configuration documents (see tessera.config)."""

    def current(self, kind: str) -> StoredConfig | None:
        """The latest applied version, or None if none was ever applied."""

    def apply(
        self, kind: str, text: str, *, actor: str, expected_version: int | None
    ) -> StoredConfig:
        """Store ``text`` as the next version. ``expected_version`` is the version the caller
        based it on (None: "whatever is current"); Conflict if another apply came between."""

    def history(self, kind: str, *, limit: int) -> Sequence[StoredConfig]:
        """Applied versions, newest first."""

    def version(self, kind: str, version: int) -> StoredConfig | None:
        """One applied version (for a revert to it), or None if there is no such version."""


class Configuration(Protocol):
    """The applied configuration documents, validated and typed
    (tessera.config.kinds.ConfigReader)."""

    def get(self, kind: str) -> Any | None:
        """The typed configuration of ``kind`` (see tessera.config.kinds.KINDS), or None when none
        was ever applied."""

    def forget(self, kind: str) -> None:
        """Drop what this container keeps of ``kind``: the next :meth:`get` reads the store."""


class RawMailStore(Protocol):
    def read(self, key: str) -> bytes:
        """The raw MIME stored by the SES receipt rule. Raises NotFound."""

    def delete(self, key: str) -> None:
        """Delete the raw MIME at ``key`` (nothing happens when there is none)."""


class Workflow(Protocol):
    def start_routing(
        self, ticket_id: str, *, reopening: int | None = None, attempt: int | None = None
    ) -> bool:
        """Start the ticket's routing execution; False when it is known to have been started
        before. A start may also run it again (an Express workflow refuses no repeated start):
        its steps are idempotent. ``reopening`` (the ticket version that reopened it) starts the
        run of a reopened ticket; ``attempt`` the reconciler's n-th start of one that never
        finished (tessera.routing.reconcile)."""


class Mailer(Protocol):
    def send(
        self, *, sender: str, to: Sequence[str], subject: str, text: str, headers: dict[str, str]
    ) -> str:
        """Send a plain-text mail; returns the provider's message id."""

    def send_raw(self, *, sender: str, to: Sequence[str], message: bytes) -> str:
        """Send a complete MIME message as built (headers, parts, attachments); returns the
        provider's message id. Used by :mod:`tessera.mail.outbound`."""


class AttachmentStore(Protocol):
    """Files of tickets (mail attachments, inline images) in the attachments bucket."""

    def put(self, key: str, data: bytes, *, content_type: str, filename: str) -> None:
        """Store (or overwrite with the same bytes: keys are content-addressed)."""

    def get(self, key: str) -> bytes:
        """Raises NotFound."""

    def delete(self, key: str) -> None:
        """Remove the file (nothing if it is gone already)."""


@dataclass(frozen=True)
class Bounced:
    """An address mail to which bounced: no automatic mail goes to it until unblocked."""

    address: str
    reason: str
    at: datetime


class MailLedger(Protocol):
    """What intake and outbound mail remember about addresses: bounces and the automatic
    responses each one got (the loop breaker)."""

    def mark_bouncing(self, address: str, reason: str) -> None:
        """Record that mail to ``address`` bounces (latest reason wins)."""

    def is_bouncing(self, address: str) -> bool: ...

    def bounced(self, *, limit: int) -> Sequence[Bounced]:
        """Addresses marked bouncing, newest first (admins' list)."""

    def unblock(self, address: str) -> None:
        """Forget that ``address`` bounces (an admin's decision); no-op when it was not marked."""

    def take_auto_response(self, address: str, *, limit: int, window_seconds: int) -> bool:
        """Count one automatic response to ``address`` in the current window; False (and
        nothing counted) when ``limit`` responses were already sent in it."""


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        """Put a ticket lifecycle event on the bus for integrations."""


class Escalations(Protocol):
    def start(self, ticket_id: str, what: str, due_at: datetime) -> bool:
        """Start the escalation execution for the ticket's due timer ``what``; False if one of
        that name ran or runs already (the name is the ticket and ``what``: a repeat is a no-op)."""


class Automations(Protocol):
    def run(self, ticket_id: str, what: str) -> None:
        """Have the ticket's due automation timer ``what`` (``auto-<kind>-<seq>``) run, once:
        one asynchronous invocation, no workflow. Its first step claims the timer, so a repeat
        (the next sweep, a retry) does nothing."""


class SmsSender(Protocol):
    def send(self, *, text: str, attributes: dict[str, str]) -> str:
        """Text the on-call phones (an SNS topic; subscriptions filter on ``attributes``)."""


class Nonces(Protocol):
    """One-time keys (used magic links, idempotency keys): the first claim wins."""

    def claim(self, key: str, *, ttl_seconds: int, value: str = "") -> str | None:
        """Claim ``key``; None if this call claimed it, else the value the first claim stored."""

    def settle(self, key: str, *, ttl_seconds: int, value: str) -> None:
        """Overwrite the value of a key this caller claimed (an idempotency key's result, once
        known). ``ttl_seconds <= 0`` releases the key: the next claim wins again."""


@dataclass(frozen=True)
class StoredFile:
    """What the attachments bucket knows of one object (a HEAD request)."""

    key: str
    size: int
    content_type: str
    filename: str


@dataclass(frozen=True)
class PresignedUpload:
    """A browser-ready S3 POST: the form ``fields`` go with the file to ``url``."""

    url: str
    fields: dict[str, str]


class FileTransfers(Protocol):
    """Files that clients move to and from the attachments bucket themselves, with presigned
    requests: the API signs, the bytes never pass through the function."""

    def presign_upload(
        self, key: str, *, filename: str, content_type: str, max_size: int, expires_in: int
    ) -> PresignedUpload:
        """An S3 POST whose policy pins the key, the content type, the download disposition
        and the size range 1..``max_size``."""

    def presign_download(
        self, key: str, *, filename: str, content_type: str, expires_in: int
    ) -> str:
        """A GET URL answering with ``Content-Disposition: attachment`` and ``content_type``."""

    def describe(self, key: str) -> StoredFile | None:
        """The stored object at ``key``, or None when nothing was uploaded there."""


class RateCounters(Protocol):
    """Requests counted per caller in fixed windows (see tessera.safeguards.rate_limits)."""

    def take(self, key: str, *, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count one request of ``key`` in the window starting at ``window_start`` (Unix
        seconds); False, and nothing counted, when ``limit`` were counted in it already."""

    def count(self, key: str, *, window_start: int) -> int:
        """How many were counted for ``key`` in the window starting at ``window_start``."""


@dataclass(frozen=True)
class StaffMember:
    """An agent or admin as the user pool knows them."""

    email: str
    groups: tuple[str, ...]  # Cognito group names: "agents", "admins"
    status: str  # the pool's account status, e.g. FORCE_CHANGE_PASSWORD until the first sign-in
    enabled: bool


class StaffDirectory(Protocol):
    """The staff accounts and their sign-in (the Cognito user pool in AWS and on the local
    stack)."""

    def sign_in(self, email: str, password: str) -> str:
        """An ID token for the email and password. Unauthorized when they are wrong;
        AccountDisabled when the account is disabled; PasswordChangeRequired while the
        password is a temporary one."""

    def set_first_password(self, email: str, temporary_password: str, new_password: str) -> str:
        """Answer the first-password challenge; an ID token. Unauthorized when the password is
        not a temporary one, ValidationFailed naming ``new_password`` when the pool refuses it."""

    def verify(self, token: str) -> Principal:
        """The staff member an ID token names. Unauthorized for any invalid token."""

    def members(self) -> list[StaffMember]:
        """Everyone in a staff group, by email."""

    def invite(self, email: str, group: str, temporary_password: str | None = None) -> StaffMember:
        """Create the account in ``group`` with a temporary password (the given one, or one the
        pool makes up and mails). AlreadyExists when the email has an account."""

    def resend_invitation(self, email: str) -> None:
        """Mail the invitation again with a new temporary password (the old one stops working).
        NotFound; Conflict once the account has chosen its own password."""

    def member(self, email: str) -> StaffMember:
        """One staff account. NotFound when the email has none."""

    def set_enabled(self, email: str, enabled: bool) -> None:
        """Disable the account (it cannot sign in) or enable it again. NotFound."""

    def set_group(self, email: str, group: str) -> None:
        """Put the account in ``group`` and out of the other staff groups. NotFound."""


@dataclass(frozen=True)
class Load:
    """One agent's counters as stored: open tickets, assignments ever, last ticket number."""

    agent: str
    open: int = 0
    assigned: int = 0
    last_ticket: int = 0


class AgentLoads(Protocol):
    """Per-agent counters next to the tickets (docs/data-model.md: ``#LOAD`` items)."""

    def loads(self) -> Mapping[str, Load]:
        """Every agent's counters (agents never assigned are absent)."""

    def assign(self, ticket: Ticket, events: Sequence[Event], *, seen: Load, capacity: int) -> None:
        """Save ``ticket`` (versioned, as TicketRepository.save) with ``events`` and count it on
        ``seen.agent``, all or nothing, only if the agent's counters are still ``seen`` and its
        open tickets below ``capacity``. Conflict otherwise; bumps ``ticket.version``."""

    def release(self, agent: str) -> None:
        """One open ticket fewer for ``agent`` (solved, closed or reassigned); never below 0."""


# ---------------------------------------------------- the admin center (tessera.admin)
@dataclass(frozen=True)
class AuditEntry:
    """One admin action: who, when, what on which target, from what to what."""

    id: str  # a ULID
    at: datetime
    actor: str  # the admin's email
    action: str  # e.g. config.applied, account.disabled, kb.published
    target: str  # e.g. config:groups, account:alice@example.com
    before: str = ""
    after: str = ""


class AuditLog(Protocol):
    """The admin actions (docs/data-model.md: ``AUDIT#<month>`` and ``AUDIT#BY#<actor>#<month>``
    items)."""

    def add(self, entry: AuditEntry) -> None:
        """Keep the entry (findable by month and by its actor)."""

    def entries(
        self, start: datetime, end: datetime, *, actor: str | None, limit: int
    ) -> Sequence[AuditEntry]:
        """Entries with ``start <= at <= end``, newest first, at most ``limit``; only
        ``actor``'s when given. One Query per month in the range."""


# ---------------------------------------------------- the agent workspace (tessera.workspace)
@dataclass(frozen=True)
class AgentSettings:
    """What an agent set for themself; None: not set (the ``groups`` config's, or the default)."""

    email: str
    status: str | None = None  # available | away | offline
    notify_assigned: bool | None = None
    notify_customer_reply: bool | None = None
    weekly_digest: bool | None = None  # the reports' weekly digest mail (leads, admins; opt-in)
    unread: int = 0  # unread notifications (kept with every notification and every read)


class AgentSettingsStore(Protocol):
    """Agents' own settings (docs/data-model.md: ``#AGENT`` items)."""

    def get(self, email: str) -> AgentSettings:
        """The agent's settings; all unset (and 0 unread) for one who never set any."""

    def all(self) -> Mapping[str, AgentSettings]:
        """Every agent who set anything, by email (one Query: assignment reads it)."""

    def update(
        self,
        email: str,
        *,
        status: str | None = None,
        notify_assigned: bool | None = None,
        notify_customer_reply: bool | None = None,
        weekly_digest: bool | None = None,
    ) -> AgentSettings:
        """Set the given values (None: leave as is); the settings after."""


@dataclass(frozen=True)
class Presence:
    """One agent on one ticket page, until ``expires_at``."""

    agent: str
    activity: str  # viewing | replying
    since: datetime  # when this activity began
    seen: datetime  # the latest heartbeat
    expires_at: datetime


class PresenceStore(Protocol):
    """Who has a ticket open now (docs/data-model.md: ``#PRESENCE#<agent>`` in its partition)."""

    def present(self, ticket_id: str) -> tuple[int, Sequence[Presence]]:
        """The ticket's version and its presence records, expired ones included (the caller
        judges them by its clock). One Query. NotFound if there is no such ticket."""

    def put(self, ticket_id: str, presence: Presence) -> None:
        """Record ``presence.agent`` on the ticket (replacing their earlier record)."""


@dataclass(frozen=True)
class Notification:
    """Something an agent should know about a ticket."""

    agent: str
    kind: str  # assigned | customer_reply
    ticket_id: str
    number: int
    subject: str
    at: datetime
    read: bool = False
    id: str = ""  # a ULID, given by the caller


@dataclass(frozen=True)
class NotificationPage:
    items: Sequence[Notification]
    unread: int
    cursor: str | None


class NotificationStore(Protocol):
    """Agents' notifications, newest first (docs/data-model.md: ``NOTIFY#<agent>`` items), and
    their unread count (kept on the agent's settings item, so reading it is one GetItem)."""

    def add(self, notification: Notification) -> None:
        """Store it unread and count it, in one write."""

    def page(self, agent: str, *, limit: int, cursor: str | None = None) -> NotificationPage:
        """Newest first, with the unread count."""

    def mark_read(self, agent: str, ids: Sequence[str]) -> int:
        """Mark these of the agent's notifications read (unknown and read ones are skipped);
        how many were unread."""

    def mark_all_read(self, agent: str) -> int:
        """Mark every unread notification of the agent read, and the count 0; how many."""


@dataclass(frozen=True)
class ImportMapping:
    """Where an imported ticket came from: ``IMPORT#<source>`` / ``<external id>`` (the record
    of the mapping, and what makes a second import of the same ticket a no-op)."""

    source: str
    external_id: str
    ticket_id: str
    number: int  # the number it has here
    original_number: int  # the number it had there (0: none)


class ArchiveStore(Protocol):
    """Every ticket at once, for operators' jobs (export, import, privacy): never a request
    path's store, except the privacy routes, which read one requester's tickets by index."""

    def ticket_ids(self, *, limit: int, cursor: str | None = None) -> tuple[list[str], str | None]:
        """A page of every ticket's id, oldest first, and the next page's cursor."""

    def thread(self, ticket_id: str) -> Thread:
        """The ticket with its messages and events. Raises NotFound."""

    def next_number(self) -> int:
        """A new number from the counter (as TicketRepository.next_number)."""

    def number_taken(self, number: int, *, for_ticket: str) -> bool:
        """Whether a ticket other than ``for_ticket`` holds ``number``, or the counter has
        handed it out."""

    def keep_number(self, number: int) -> None:
        """Move the counter past ``number``, so no new ticket is given it."""

    def imported(self, source: str, external_id: str) -> ImportMapping | None:
        """The mapping of a ticket imported before, if it was."""

    def mappings(self, source: str) -> Sequence[ImportMapping]:
        """Every ticket imported from ``source`` (one partition)."""

    def store_imported(
        self,
        ticket: Ticket,
        messages: Sequence[Message],
        events: Sequence[Event],
        mapping: ImportMapping,
    ) -> None:
        """Store an imported ticket with its whole thread and its mapping. Readers see all of
        it or nothing (the ticket item, which makes it visible, is written after its thread).
        Raises AlreadyExists if the ticket exists (and records its mapping), Conflict if
        another ticket took its number."""

    def rewrite(self, ticket: Ticket, messages: Sequence[Message], events: Sequence[Event]) -> None:
        """Overwrite a ticket's messages and events in place (same keys) and save the ticket,
        conditional on its version (Conflict otherwise); bumps the version. Privacy erase only."""

    def forget_participant(self, ticket_id: str, address: str) -> None:
        """Delete the participation item of ``address`` on the ticket."""

    def address_items(self, address: str) -> Sequence[tuple[str, str]]:
        """Keys (pk, sk) of what mail and rate limits keep under ``address`` (bounces,
        auto-response windows, rate counters): one Query per partition."""

    def delete_items(self, keys: Sequence[tuple[str, str]]) -> None:
        """Delete items by key."""

    def redact_notifications(self, ticket_ids: set[str], *, subject: str) -> int:
        """Set the subject of every agent's notifications about these tickets; how many."""


@dataclass
class Dependencies:
    """Everything a use case may touch. Built lazily: a handler only pays for what it uses."""

    tickets: TicketRepository
    raw_mail: Callable[[], RawMailStore] = field(repr=False)
    workflow: Callable[[], Workflow] = field(repr=False)
    mailer: Callable[[], Mailer] = field(repr=False)
    events: Callable[[], EventPublisher] = field(repr=False)
    config: Callable[[], Configuration] = field(repr=False)
    config_store: Callable[[], ConfigStore] = field(repr=False)
    signer: Callable[[], Signer] = field(repr=False)
    nonces: Callable[[], Nonces] = field(repr=False)
    support_addresses: Callable[[], frozenset[str]] = field(repr=False)
    from_address: Callable[[], str] = field(repr=False)
    # Mail's own ports (tessera.mail). Defaulted so callers that never touch mail files,
    # bounces or portal links need not wire them; using one unwired fails, naming it.
    attachments: Callable[[], AttachmentStore] = field(
        repr=False, default=lambda: _unwired("attachments")
    )
    mail_ledger: Callable[[], MailLedger] = field(
        repr=False, default=lambda: _unwired("mail_ledger")
    )
    portal_base_url: Callable[[], str] = field(
        repr=False, default=lambda: _unwired("portal_base_url")
    )
    # Routing's per-agent counters (tessera.routing.assignment); only the assign step uses them.
    agent_loads: Callable[[], AgentLoads] = field(
        repr=False, default=lambda: _unwired("agent_loads")
    )
    # SLA's ports (tessera.sla): the sweep starts escalations, escalation steps send SMS.
    escalations: Callable[[], Escalations] = field(
        repr=False, default=lambda: _unwired("escalations")
    )
    sms: Callable[[], SmsSender] = field(repr=False, default=lambda: _unwired("sms"))
    # ... and runs automation timers without a workflow (docs/cost.md).
    automations: Callable[[], Automations] = field(
        repr=False, default=lambda: _unwired("automations")
    )
    # The API's own ports: presigned file transfers (tessera.tickets.attachments) and per-caller
    # request counters (tessera.safeguards.rate_limits).
    file_transfers: Callable[[], FileTransfers] = field(
        repr=False, default=lambda: _unwired("file_transfers")
    )
    rate_counters: Callable[[], RateCounters] = field(
        repr=False, default=lambda: _unwired("rate_counters")
    )
    # Staff accounts and their sign-in (tessera.identity.staff): the user pool.
    staff_directory: Callable[[], StaffDirectory] = field(
        repr=False, default=lambda: _unwired("staff_directory")
    )
    # The agent workspace (tessera.workspace): agents' settings, presence, notifications.
    agent_settings: Callable[[], AgentSettingsStore] = field(
        repr=False, default=lambda: _unwired("agent_settings")
    )
    presence: Callable[[], PresenceStore] = field(repr=False, default=lambda: _unwired("presence"))
    notifications: Callable[[], NotificationStore] = field(
        repr=False, default=lambda: _unwired("notifications")
    )
    # The admin center (tessera.admin): the audit log of admin actions.
    audit_log: Callable[[], AuditLog] = field(repr=False, default=lambda: _unwired("audit_log"))


def _unwired(name: str) -> Any:
    raise ConfigurationError(f"dependency {name} is not wired (tessera.bootstrap)")
