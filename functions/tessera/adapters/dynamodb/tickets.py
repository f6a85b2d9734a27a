"""Tickets in DynamoDB with PynamoDB: the single-table design of docs/data-model.md.

Every item lives in one table under ``pk``/``sk``. The item types below share one base model and
are told apart by their ``type`` attribute (PynamoDB's discriminator), so the one Query of a
ticket's partition returns the ticket, its messages and its events, each as its own class.

Storage errors end here: a failed condition becomes :class:`~tessera.errors.Conflict` or
:class:`~tessera.errors.AlreadyExists`, a missing item :class:`~tessera.errors.NotFound`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.constants import ALL_OLD, STRING
from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from tessera.adapters.checks import check_belongs, check_limit
from tessera.adapters.clients import client
from tessera.adapters.dynamodb.binding import bind, connection
from tessera.errors import AlreadyExists, ConfigurationError, Conflict, NotFound, ValidationFailed
from tessera.ports import DueTimer, Page, Quarantined, Selection, Thread
from tessera.sla.clocks import next_breach
from tessera.tickets.model import (
    Attachment,
    Channel,
    Event,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
)
from tessera.tickets.stages import OPEN, stage_of

TICKET_SK = "#TICKET"
CLAIM_SK = "#MID"
QUARANTINE_SK = "#Q"
COUNTER_PK, COUNTER_SK = "#COUNTER", "ticket-number"
# The counter counts the numbers handed out; the first ticket is #1001, so numbers look like
# numbers from day one.
NUMBERS_BEFORE_FIRST = 1000

# Fixed width (always microseconds) and always "Z": string order is time order.
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_iso(value: datetime) -> str:
    """A UTC time as the fixed-width ISO-8601 string stored in keys and attributes."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime has no time zone; pass an aware (UTC) one")
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def from_iso(value: str) -> datetime:
    return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)


class UtcTimeAttribute(Attribute[datetime]):
    """A datetime stored as :func:`to_iso` writes it."""

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        return to_iso(value)

    def deserialize(self, value: str) -> datetime:
        return from_iso(value)


# ---------------------------------------------------------------------------------- the items

_M = TypeVar("_M", bound=Model)


class _Index(GlobalSecondaryIndex[_M]):
    """PynamoDB's Index, with the typed ``__init_subclass__`` its subclasses need under mypy."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[no-untyped-call]


class TableItem(Model):
    """Any item of the tickets table. Table name and region are set by the repository."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None  # None: botocore honours AWS_ENDPOINT_URL (the local stack)

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")


class ByKind(_Index["TicketItem"]):
    class Meta:
        index_name = "ByKind"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    created = UnicodeAttribute(range_key=True)


class ByQueue(_Index["TicketItem"]):
    class Meta:
        index_name = "ByQueue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    created = UnicodeAttribute(range_key=True)


class ByAssignee(_Index["TicketItem"]):
    class Meta:
        index_name = "ByAssignee"
        projection = AllProjection()

    assignee_status = UnicodeAttribute(hash_key=True)
    created = UnicodeAttribute(range_key=True)


class ByRequester(_Index["TicketItem"]):
    class Meta:
        index_name = "ByRequester"
        projection = AllProjection()

    requester = UnicodeAttribute(hash_key=True)
    created = UnicodeAttribute(range_key=True)


class ByNumber(_Index["TicketItem"]):
    class Meta:
        index_name = "ByNumber"
        projection = AllProjection()

    number = NumberAttribute(hash_key=True)


class TicketItem(TableItem, discriminator="ticket"):
    """``T#<id>`` / ``#TICKET``: every ticket field, its version and its index keys."""

    # index keys
    kind = UnicodeAttribute()
    created = UnicodeAttribute()
    queue = UnicodeAttribute()
    assignee_status = UnicodeAttribute(null=True)  # sparse: assigned tickets only
    requester = UnicodeAttribute()
    number = NumberAttribute()
    timer = UnicodeAttribute(null=True)  # sparse, with due_at: tickets with a running timer
    due_at = UtcTimeAttribute(null=True)
    due_what = UnicodeAttribute(null=True)  # projected into DueTimers: names the escalation
    sla = JSONAttribute(null=True)  # tessera.sla's clocks, records and automations
    routing = UnicodeAttribute(null=True)  # sparse, with routing_since: waiting for routing
    routing_since = UtcTimeAttribute(null=True)
    routing_attempts = NumberAttribute(default=0)
    # the agents' workspace (docs/data-model.md, patterns 20-27): sort keys of its indexes ...
    updated = UnicodeAttribute(null=True)  # "<updated ISO>#<id>": newest change first
    sla_due = UnicodeAttribute(null=True)  # "<breach ISO>#<id>", sparse with sla_clock
    # ... and their partition keys
    stage = UnicodeAttribute(null=True)  # tessera.tickets.stages: open, waiting, solved, closed
    group_stage = UnicodeAttribute(null=True)  # "<group or ->#<stage>"
    assignee_stage = UnicodeAttribute(null=True)  # "<agent>#<stage>", assigned tickets only
    unassigned = UnicodeAttribute(null=True)  # "open": open tickets nobody has, only
    sla_clock = UnicodeAttribute(null=True)  # "running": a running SLA target, only
    # the rest of the ticket
    subject = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    priority = UnicodeAttribute()
    group = UnicodeAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)  # DynamoDB has no empty sets: absent means none
    custom_fields = JSONAttribute()
    language = UnicodeAttribute(null=True)
    mailbox = UnicodeAttribute(null=True)
    participants = UnicodeSetAttribute(null=True)
    requester_name = UnicodeAttribute(null=True)  # absent on items older than it: unknown
    created_at = UtcTimeAttribute()
    updated_at = UtcTimeAttribute()
    version = NumberAttribute()

    by_kind = ByKind()
    by_queue = ByQueue()
    by_assignee = ByAssignee()
    by_requester = ByRequester()
    by_number = ByNumber()


class AttachmentMap(MapAttribute[str, Any]):
    key = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    content_id = UnicodeAttribute(null=True)


class MessageItem(TableItem, discriminator="message"):
    """``T#<ticket id>`` / ``M#<created>#<id>``."""

    kind = UnicodeAttribute()  # the MessageKind; without ``created`` it stays off ByKind
    author = UnicodeAttribute()
    text = UnicodeAttribute()
    html = UnicodeAttribute()
    attachments = ListAttribute[AttachmentMap](of=AttachmentMap)
    mail_message_id = UnicodeAttribute(null=True)
    from_staff = BooleanAttribute(null=True)  # absent: False (a staff member's mail, taken)
    raw_key = UnicodeAttribute(null=True)  # the raw MIME in the raw-mail bucket, if by mail
    author_name = UnicodeAttribute(null=True)  # the From's name; absent on older items: unknown


class EventItem(TableItem, discriminator="event"):
    """``T#<ticket id>`` / ``E#<at>#<id>``: one audit record."""

    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    reason = UnicodeAttribute()
    changes = JSONAttribute()  # {field: [old, new]}


class ParticipationItem(TableItem, discriminator="participation"):
    """``T#<ticket id>`` / ``P#<address>``: the ticket in a participant's list. It carries the
    ByRequester keys (``requester`` is the participant's address), so one Query of that index
    finds every ticket an address asked or follows (docs/data-model.md)."""

    requester = UnicodeAttribute()
    created = UnicodeAttribute()


class PresenceItem(TableItem, discriminator="presence"):
    """``T#<ticket id>`` / ``#PRESENCE#<agent>``: an agent viewing or replying to the ticket
    now (tessera.workspace.presence). Sorted just before ``#TICKET``, so one Query of the range
    reads who is present and the ticket's version; the thread's Query skips them. Written and
    read by tessera.adapters.dynamodb.workspace; declared here so every reader of the partition
    knows the type."""

    agent = UnicodeAttribute()
    activity = UnicodeAttribute()
    since = UnicodeAttribute()
    seen = UnicodeAttribute()
    until = UnicodeAttribute()  # readers ignore the record after this time
    expires_at = NumberAttribute()  # the table's TTL attribute (seconds): deleted some time after


class MessageIdClaim(TableItem, discriminator="mid"):
    """``MID#<Message-ID>`` / ``#MID``: which ticket holds the mail with that Message-ID."""

    ticket_id = UnicodeAttribute()


class CounterItem(TableItem, discriminator="counter"):
    """``#COUNTER`` / ``ticket-number``: how many ticket numbers were handed out."""

    value = NumberAttribute(null=True)


class QuarantineByKind(_Index["QuarantineItem"]):
    class Meta:
        index_name = "ByKind"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    created = UnicodeAttribute(range_key=True)


class QuarantineItem(TableItem, discriminator="quarantine"):
    """``Q#<S3 key>`` / ``#Q``: a mail intake could not process."""

    kind = UnicodeAttribute()
    created = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UtcTimeAttribute()

    by_kind = QuarantineByKind()


class DueTimersIndex(_Index["DueTimerKeys"]):
    class Meta:
        index_name = "DueTimers"
        projection = IncludeProjection(["due_what"])

    timer = UnicodeAttribute(hash_key=True)
    due_at = UtcTimeAttribute(range_key=True)


class DueTimerKeys(Model):
    """A ticket as the DueTimers index projects it (keys and ``due_what``). Not a TableItem:
    the index does not project ``type``, and the discriminator's filter would drop every item."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    timer = UnicodeAttribute()
    due_at = UtcTimeAttribute()
    due_what = UnicodeAttribute(null=True)  # the index's one projected attribute

    due_timers = DueTimersIndex()


class AwaitingRoutingIndex(_Index["AwaitingRoutingKeys"]):
    class Meta:
        index_name = "AwaitingRouting"
        projection = KeysOnlyProjection()

    routing = UnicodeAttribute(hash_key=True)
    routing_since = UtcTimeAttribute(range_key=True)


class AwaitingRoutingKeys(Model):
    """A ticket as the AwaitingRouting index projects it (its keys). Not a TableItem, as
    DueTimerKeys is not."""

    class Meta:
        table_name: str | None = None
        region: str | None = None
        host: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    routing = UnicodeAttribute()
    routing_since = UtcTimeAttribute()

    awaiting_routing = AwaitingRoutingIndex()


_MODELS: tuple[type[Model], ...] = (
    TableItem,
    TicketItem,
    MessageItem,
    EventItem,
    MessageIdClaim,
    ParticipationItem,
    PresenceItem,
    CounterItem,
    QuarantineItem,
    DueTimerKeys,
    AwaitingRoutingKeys,
)


# ------------------------------------------------------------------ domain <-> item, each way


def ticket_item(ticket: Ticket) -> TicketItem:
    created = f"{to_iso(ticket.created_at)}#{ticket.id}"
    stage = stage_of(ticket.status)
    breach = next_breach(ticket)
    return TicketItem(
        updated=f"{to_iso(ticket.updated_at)}#{ticket.id}",
        stage=stage,
        group_stage=f"{ticket.group or '-'}#{stage}",
        assignee_stage=f"{ticket.assignee}#{stage}" if ticket.assignee else None,
        unassigned=OPEN if ticket.assignee is None and stage == OPEN else None,
        sla_clock="running" if breach else None,
        sla_due=f"{to_iso(breach)}#{ticket.id}" if breach else None,
        pk=f"T#{ticket.id}",
        sk=TICKET_SK,
        kind="ticket",
        created=created,
        queue=f"{ticket.group or '-'}#{ticket.status}",
        assignee_status=f"{ticket.assignee}#{ticket.status}" if ticket.assignee else None,
        requester=ticket.requester,
        number=ticket.number,
        timer="due" if ticket.due_at else None,
        due_at=ticket.due_at,
        due_what=ticket.due_what if ticket.due_at else None,
        sla=dict(ticket.sla) or None,
        routing="pending" if ticket.routing_since else None,
        routing_since=ticket.routing_since,
        routing_attempts=ticket.routing_attempts,
        subject=ticket.subject,
        channel=ticket.channel.value,
        status=ticket.status.value,
        priority=ticket.priority.value,
        group=ticket.group,
        assignee=ticket.assignee,
        tags=set(ticket.tags),
        custom_fields=dict(ticket.custom_fields),
        language=ticket.language,
        mailbox=ticket.mailbox,
        participants=set(ticket.participants),
        requester_name=ticket.requester_name,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        version=ticket.version,
    )


def ticket_from_item(item: TicketItem) -> Ticket:
    return Ticket(
        id=item.pk.removeprefix("T#"),
        number=int(item.number),
        subject=item.subject,
        requester=item.requester,
        channel=Channel(item.channel),
        status=Status(item.status),
        priority=Priority(item.priority),
        group=item.group,
        assignee=item.assignee,
        tags=frozenset(item.tags or ()),
        custom_fields=dict(item.custom_fields),
        language=item.language,
        mailbox=item.mailbox,
        participants=frozenset(item.participants or ()),
        due_at=item.due_at,
        due_what=item.due_what,
        sla=dict(item.sla or {}),
        routing_since=item.routing_since,
        routing_attempts=int(item.routing_attempts or 0),
        requester_name=item.requester_name,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
    )


def message_item(message: Message) -> MessageItem:
    return MessageItem(
        pk=f"T#{message.ticket_id}",
        sk=f"M#{to_iso(message.created_at)}#{message.id}",
        kind=message.kind.value,
        author=message.author,
        text=message.text,
        html=message.html,
        attachments=[
            AttachmentMap(  # type: ignore[no-untyped-call]
                key=a.key,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                content_id=a.content_id,
            )
            for a in message.attachments
        ],
        mail_message_id=message.mail_message_id,
        from_staff=True if message.from_staff else None,
        raw_key=message.raw_key,
        author_name=message.author_name,
    )


def message_from_item(item: MessageItem) -> Message:
    _, created, message_id = item.sk.split("#", 2)
    return Message(
        ticket_id=item.pk.removeprefix("T#"),
        kind=MessageKind(item.kind),
        author=item.author,
        text=item.text,
        html=item.html,
        attachments=tuple(
            Attachment(
                key=a.key,
                filename=a.filename,
                content_type=a.content_type,
                size=int(a.size),
                content_id=a.content_id,
            )
            for a in item.attachments or ()
        ),
        mail_message_id=item.mail_message_id,
        id=message_id,
        created_at=from_iso(created),
        from_staff=bool(item.from_staff),
        raw_key=item.raw_key,
        author_name=item.author_name,
    )


def event_item(event: Event) -> EventItem:
    return EventItem(
        pk=f"T#{event.ticket_id}",
        sk=f"E#{to_iso(event.at)}#{event.id}",
        actor=event.actor,
        action=event.action,
        reason=event.reason,
        changes={name: [old, new] for name, (old, new) in event.changes.items()},
    )


def event_from_item(item: EventItem) -> Event:
    _, at, event_id = item.sk.split("#", 2)
    return Event(
        ticket_id=item.pk.removeprefix("T#"),
        actor=item.actor,
        action=item.action,
        reason=item.reason,
        changes={name: (old, new) for name, (old, new) in item.changes.items()},
        id=event_id,
        at=from_iso(at),
    )


def quarantine_item(quarantined: Quarantined) -> QuarantineItem:
    return QuarantineItem(
        pk=f"Q#{quarantined.key}",
        sk=QUARANTINE_SK,
        kind="quarantine",
        created=f"{to_iso(quarantined.at)}#{quarantined.key}",
        reason=quarantined.reason,
        at=quarantined.at,
    )


def quarantined_from_item(item: QuarantineItem) -> Quarantined:
    return Quarantined(key=item.pk.removeprefix("Q#"), reason=item.reason, at=item.at)


# ---------------------------------------------------------------------------------- cursors


def encode_cursor(last_evaluated_key: dict[str, dict[str, Any]] | None) -> str | None:
    if last_evaluated_key is None:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, key_names: set[str], partition: tuple[str, str]) -> dict[str, Any]:
    """The LastEvaluatedKey in ``cursor``, if it is one a listing of ``partition`` returned."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except ValueError:  # bad base64, bad UTF-8, bad JSON, non-ASCII: all ValueErrors
        key = None
    name, value = partition
    if (
        not isinstance(key, dict)
        or set(key) != key_names
        or not all(isinstance(v, dict) and isinstance(v.get("S"), str) for v in key.values())
        or key[name] != {"S": value}
    ):
        raise ValidationFailed("cursor", "is not a cursor this listing returned")
    return key


# -------------------------------------------------------------------------------- repository


@dataclass(frozen=True)
class _Write:
    """One Put of a transaction, and the domain error its failed condition means."""

    item: TableItem
    condition: Condition | None = None
    on_condition_failed: Callable[[CancellationReason], Exception] | None = None


class DynamoTicketRepository:
    """:class:`tessera.ports.TicketRepository` on the tickets table (see docs/data-model.md).

    The models are module-level classes, so one process talks to one tickets table: the last
    repository constructed sets the table for all of them.
    """

    def __init__(self, table_name: str) -> None:
        if not table_name:
            raise ConfigurationError("the tickets table name is empty")
        bind(_MODELS, table_name)
        self._connection = connection()

    # -- numbers ----------------------------------------------------------------------------
    def next_number(self) -> int:
        counter = CounterItem(COUNTER_PK, COUNTER_SK)
        counter.update(actions=[CounterItem.value.add(1)])
        return NUMBERS_BEFORE_FIRST + int(counter.value)

    # -- writes -----------------------------------------------------------------------------
    def create(self, ticket: Ticket, message: Message, events: Sequence[Event]) -> None:
        check_belongs(ticket, [message], events)
        self._commit(
            [
                *_claim(message),
                _Write(
                    ticket_item(ticket),
                    TicketItem.pk.does_not_exist(),
                    lambda _: AlreadyExists(f"ticket {ticket.id} exists already"),
                ),
                _Write(message_item(message)),
                *_participations(ticket),
                *(_Write(event_item(e)) for e in events),
            ]
        )

    def save(self, ticket: Ticket, events: Sequence[Event]) -> None:
        check_belongs(ticket, [], events)
        self._commit(
            [_versioned(ticket), *_participations(ticket), *(_Write(event_item(e)) for e in events)]
        )
        ticket.version += 1

    def add_message(
        self,
        ticket: Ticket,
        message: Message,
        events: Sequence[Event],
        *,
        claims: Sequence[str] = (),
    ) -> None:
        check_belongs(ticket, [message], events)
        ticket.updated_at = max(ticket.updated_at, message.created_at)
        self._commit(
            [
                *_claim(message),
                *(_claim_id(ticket.id, c) for c in claims if c != message.mail_message_id),
                _versioned(ticket),
                _Write(message_item(message)),
                *_participations(ticket),
                *(_Write(event_item(e)) for e in events),
            ]
        )
        ticket.version += 1

    def claim_message_id(self, ticket_id: str, mail_message_id: str) -> None:
        self._commit([_claim_id(ticket_id, mail_message_id)])

    def record(self, ticket_id: str, events: Sequence[Event]) -> None:
        if any(e.ticket_id != ticket_id for e in events):
            raise ValidationFailed("ticket_id", f"an event does not belong to ticket {ticket_id}")
        if events:
            self._commit([_Write(event_item(e)) for e in events])

    def quarantine(self, item: Quarantined) -> None:
        # A plain put: recording the same key again keeps one item, with the latest reason.
        quarantine_item(item).save()

    def _commit(self, writes: Sequence[_Write]) -> None:
        """Write every item or none. Writes that can fail come first: the first failure wins."""
        try:
            with TransactWrite(connection=self._connection) as transaction:
                for write in writes:
                    transaction.save(
                        write.item,
                        condition=write.condition,
                        return_values=ALL_OLD if write.condition is not None else None,
                    )
        except TransactWriteError as error:
            # Only puts are used, so the reasons line up one-to-one with ``writes``.
            for write, reason in zip(writes, error.cancellation_reasons, strict=False):
                if (
                    reason is not None
                    and reason.code == "ConditionalCheckFailed"
                    and write.on_condition_failed is not None
                ):
                    raise write.on_condition_failed(reason) from error
            raise

    # -- reads by key -----------------------------------------------------------------------
    def get(self, ticket_id: str) -> Ticket:
        try:
            item = TicketItem.get(f"T#{ticket_id}", TICKET_SK, consistent_read=True)
        except TicketItem.DoesNotExist:
            raise NotFound(f"ticket {ticket_id}") from None
        return ticket_from_item(item)

    def get_by_number(self, number: int) -> Ticket:
        for item in TicketItem.by_number.query(number, limit=1):
            return ticket_from_item(item)
        raise NotFound(f"ticket #{number}")

    def find_by_mail_message_id(self, mail_message_id: str) -> str | None:
        try:
            claim = MessageIdClaim.get(f"MID#{mail_message_id}", CLAIM_SK, consistent_read=True)
        except MessageIdClaim.DoesNotExist:
            return None
        return claim.ticket_id

    def thread(self, ticket_id: str, *, events: Sequence[str] | None = None) -> Thread:
        ticket: Ticket | None = None
        messages: list[Message] = []
        audit: list[Event] = []
        # Only some events: the others are left out by the Query's filter (DynamoDB still reads
        # them; they are not sent, nor turned into objects, and a thread is mostly events). A
        # filter may not name a key (sk): it names the item's type.
        only = None
        if events is not None:
            only = TableItem.item_type != EventItem
            for action in events:  # equalities: moto's parser refused pynamodb's IN here
                only = only | (EventItem.action == action)
        # One partition, ordered by sort key: #TICKET, then E#<at>..., then M#<created>...
        for item in TableItem.query(f"T#{ticket_id}", filter_condition=only, consistent_read=True):
            if isinstance(item, TicketItem):
                ticket = ticket_from_item(item)
            elif isinstance(item, MessageItem):
                messages.append(message_from_item(item))
            elif isinstance(item, EventItem):
                audit.append(event_from_item(item))
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}")
        return Thread(ticket=ticket, messages=messages, events=audit)

    # -- listings ---------------------------------------------------------------------------
    def recent(self, *, limit: int, cursor: str | None = None) -> Page:
        return self._page(TicketItem.by_kind, ("kind", "ticket"), limit, cursor)

    def queue(self, *, group: str, status: Status, limit: int, cursor: str | None = None) -> Page:
        return self._page(TicketItem.by_queue, ("queue", f"{group}#{status}"), limit, cursor)

    def assigned(
        self, *, assignee: str, status: Status, limit: int, cursor: str | None = None
    ) -> Page:
        partition = ("assignee_status", f"{assignee}#{status}")
        return self._page(TicketItem.by_assignee, partition, limit, cursor)

    def requested_by(self, requester: str, *, limit: int, cursor: str | None = None) -> Page:
        partition = ("requester", requester.strip().lower())
        return self._page(TicketItem.by_requester, partition, limit, cursor)

    def involving(self, address: str, *, limit: int, cursor: str | None = None) -> Page:
        """One Query of ByRequester, which holds the address's tickets and its participations;
        a participation's ticket is one GetItem."""
        check_limit(limit)
        address = address.strip().lower()
        key_names = {"pk", "sk", "requester", "created"}
        start = None if cursor is None else decode_cursor(cursor, key_names, ("requester", address))
        dynamodb = client("dynamodb")
        request: dict[str, Any] = {
            "TableName": TicketItem.Meta.table_name,
            "IndexName": "ByRequester",
            "KeyConditionExpression": "requester = :address",
            "ExpressionAttributeValues": {":address": {"S": address}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start is not None:
            request["ExclusiveStartKey"] = start
        answer = dynamodb.query(**request)
        tickets = []
        for raw in answer.get("Items", []):
            if raw.get("type", {}).get("S") == "participation":
                try:
                    tickets.append(self.get(raw["pk"]["S"].removeprefix("T#")))
                except NotFound:
                    continue
            else:
                tickets.append(ticket_from_item(TicketItem.from_raw_data(raw)))
        return Page(items=tickets, cursor=encode_cursor(answer.get("LastEvaluatedKey")))

    def _page(
        self,
        index: GlobalSecondaryIndex[TicketItem],
        partition: tuple[str, str],
        limit: int,
        cursor: str | None,
    ) -> Page:
        """Newest first. One item more per request than asked for: if it exists, PynamoDB's
        key of the last returned item is the cursor, so the last page has none."""
        check_limit(limit)
        key_names = {"pk", "sk", partition[0], "created"}
        start = None if cursor is None else decode_cursor(cursor, key_names, partition)
        results = index.query(
            partition[1],
            scan_index_forward=False,
            limit=limit,
            page_size=limit + 1,
            last_evaluated_key=start,
        )
        tickets = [ticket_from_item(item) for item in results]
        return Page(items=tickets, cursor=encode_cursor(results.last_evaluated_key))

    def select(self, selection: Selection, *, limit: int, cursor: str | None = None) -> Page:
        check_limit(limit)
        start = None
        if cursor is not None:
            _, partition, order, _ = _LISTINGS[selection.listing]
            key_names = {"pk", "sk", partition, order}
            start = decode_cursor(cursor, key_names, (partition, selection.key))
        request = _selection_query(selection, start=start)
        if start is not None:
            request["ExclusiveStartKey"] = start
        answer = client("dynamodb").query(**request, Limit=limit)
        tickets = [ticket_from_item(TicketItem.from_raw_data(raw)) for raw in answer["Items"]]
        return Page(items=tickets, cursor=encode_cursor(answer.get("LastEvaluatedKey")))

    def count(self, selection: Selection, *, cap: int) -> tuple[int, bool]:
        answer = client("dynamodb").query(**_selection_query(selection), Select="COUNT", Limit=cap)
        return int(answer["Count"]), "LastEvaluatedKey" in answer

    def latest_change(self) -> datetime | None:
        answer = client("dynamodb").query(
            TableName=TicketItem.Meta.table_name,
            IndexName="ByUpdated",
            KeyConditionExpression="kind = :kind",
            ExpressionAttributeValues={":kind": {"S": "ticket"}},
            ProjectionExpression="updated_at",
            ScanIndexForward=False,
            Limit=1,
        )
        items = answer.get("Items", [])
        return from_iso(items[0]["updated_at"]["S"]) if items else None

    def due_timers(self, now: datetime, *, limit: int) -> Sequence[DueTimer]:
        check_limit(limit)
        keys = DueTimerKeys.due_timers.query(
            "due", range_key_condition=DueTimerKeys.due_at <= now, limit=limit
        )
        return [
            DueTimer(ticket_id=k.pk.removeprefix("T#"), due_at=k.due_at, what=k.due_what or "")
            for k in keys
        ]

    def awaiting_routing(self, before: datetime, *, limit: int) -> Sequence[str]:
        check_limit(limit)
        keys = AwaitingRoutingKeys.awaiting_routing.query(
            "pending", range_key_condition=AwaitingRoutingKeys.routing_since <= before, limit=limit
        )
        return [k.pk.removeprefix("T#") for k in keys]

    def quarantined(self, *, limit: int) -> Sequence[Quarantined]:
        check_limit(limit)
        items = QuarantineItem.by_kind.query("quarantine", limit=limit)
        return [quarantined_from_item(item) for item in items]

    def release(self, key: str) -> None:
        QuarantineItem(f"Q#{key}", QUARANTINE_SK).delete()

    def quarantined_mail(self, key: str) -> Quarantined | None:
        try:
            return quarantined_from_item(
                QuarantineItem.get(f"Q#{key}", QUARANTINE_SK, consistent_read=True)
            )
        except QuarantineItem.DoesNotExist:
            return None


# A Selection's listing: its index, partition key, sort key, and whether it reads oldest first.
_LISTINGS: dict[str, tuple[str, str, str, bool]] = {
    "every": ("ByUpdated", "kind", "updated", False),
    "created": ("ByKind", "kind", "created", False),
    "stage": ("ByStage", "stage", "updated", False),
    "group": ("ByGroupStage", "group_stage", "updated", False),
    "assignee": ("ByAssigneeStage", "assignee_stage", "updated", False),
    "unassigned": ("Unassigned", "unassigned", "updated", False),
    "sla": ("SlaDue", "sla_clock", "sla_due", True),
}


def _selection_query(
    selection: Selection, *, start: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The one Query a Selection is: key condition on the index, filters as a FilterExpression
    (applied to what the key condition reads, so they narrow a page and a count, never widen
    what is read). A time range moves with the clock (breaching: from now on), and DynamoDB
    refuses a start key outside the key condition, so the range of a next page reaches back to
    its start key: the next page goes on from where the last one ended."""
    if selection.listing not in _LISTINGS:
        raise ValueError(f"no listing {selection.listing!r}")
    index, partition, order, oldest_first = _LISTINGS[selection.listing]
    resume = start[order]["S"] if start is not None else None
    names = {"#p": partition}
    values: dict[str, dict[str, str]] = {":p": {"S": selection.key}}
    condition = "#p = :p"
    if selection.since is not None or selection.until is not None:
        names["#o"] = order
        # Sort keys are "<ISO>#<id>": "~" sorts after "#", so "<until>~" includes that instant.
        if selection.since is not None:
            since = to_iso(selection.since)
            values[":since"] = {"S": min(since, resume) if resume else since}
        if selection.until is not None:
            until = to_iso(selection.until) + "~"
            values[":until"] = {"S": max(until, resume) if resume else until}
        if selection.since is not None and selection.until is not None:
            condition += " AND #o BETWEEN :since AND :until"
        elif selection.since is not None:
            condition += " AND #o >= :since"
        else:
            condition += " AND #o <= :until"
    filters = []

    def any_of(attribute: str, options: Sequence[str]) -> None:
        names[f"#{attribute}"] = attribute
        placeholders = []
        for n, option in enumerate(sorted(options)):
            values[f":{attribute}{n}"] = {"S": option}
            placeholders.append(f":{attribute}{n}")
        filters.append(f"#{attribute} IN ({', '.join(placeholders)})")

    if selection.statuses:
        any_of("status", [s.value for s in selection.statuses])
    if selection.groups is not None:
        any_of("group", list(selection.groups))
    for attribute in ("priority", "group", "assignee"):
        wanted = getattr(selection, attribute)
        if wanted is not None:
            names[f"#{attribute}"] = attribute
            values[f":{attribute}"] = {"S": wanted}
            filters.append(f"#{attribute} = :{attribute}")
    if selection.tag is not None:
        names["#tags"] = "tags"
        values[":tag"] = {"S": selection.tag}
        filters.append("contains(#tags, :tag)")
    if selection.unassigned:
        names["#assignee"] = "assignee"
        filters.append("attribute_not_exists(#assignee)")
    request: dict[str, Any] = {
        "TableName": TicketItem.Meta.table_name,
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": oldest_first,
    }
    if filters:
        request["FilterExpression"] = " AND ".join(filters)
    return request


def _claim(message: Message) -> list[_Write]:
    if message.mail_message_id is None:
        return []
    return [_claim_id(message.ticket_id, message.mail_message_id)]


def _claim_id(ticket_id: str, mail_message_id: str) -> _Write:
    claim = MessageIdClaim(f"MID#{mail_message_id}", CLAIM_SK, ticket_id=ticket_id)
    return _Write(
        claim,
        MessageIdClaim.pk.does_not_exist(),
        lambda _: AlreadyExists(f"Message-ID {mail_message_id} is stored already"),
    )


def _participations(ticket: Ticket) -> list[_Write]:
    """The ticket in each participant's list (a put is idempotent: written with every save;
    participants are only ever added)."""
    created = f"{to_iso(ticket.created_at)}#{ticket.id}"
    return [
        _Write(ParticipationItem(f"T#{ticket.id}", f"P#{a}", requester=a, created=created))
        for a in sorted(ticket.participants)
    ]


def _versioned(ticket: Ticket) -> _Write:
    """The ticket with its version bumped, written only over the version it was read at."""
    item = ticket_item(ticket)
    item.version = ticket.version + 1

    def failed(reason: CancellationReason) -> Exception:
        if reason.raw_item is None:  # no item at all: nothing to be stale against
            return NotFound(f"ticket {ticket.id}")
        return Conflict(f"ticket {ticket.id} changed since version {ticket.version}")

    return _Write(item, TicketItem.version == ticket.version, failed)
