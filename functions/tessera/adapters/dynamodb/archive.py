"""Every ticket at once, for export, import and privacy (tessera.ports.ArchiveStore).

Built on the ticket repository's items (tessera.adapters.dynamodb.tickets), so an imported
ticket is stored exactly as one the helpdesk wrote, with every index key. New item:
``IMPORT#<source>`` / ``<external id>``, the record of where an imported ticket came from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from tessera.adapters.checks import check_belongs, check_limit
from tessera.adapters.clients import client
from tessera.adapters.dynamodb.binding import bind
from tessera.adapters.dynamodb.tickets import (
    CLAIM_SK,
    COUNTER_PK,
    COUNTER_SK,
    NUMBERS_BEFORE_FIRST,
    TICKET_SK,
    DynamoTicketRepository,
    MessageIdClaim,
    ParticipationItem,
    TableItem,
    TicketItem,
    decode_cursor,
    encode_cursor,
    event_item,
    message_item,
    ticket_item,
    to_iso,
)
from tessera.adapters.dynamodb.workspace import AGENT_PK
from tessera.errors import AlreadyExists, Conflict
from tessera.ports import ImportMapping, Thread
from tessera.tickets.model import Event, Message, Ticket

# Prefixes of the partitions that hold an address outside tickets (docs/data-model.md).
_ADDRESS_PARTITIONS = (
    "ADDR#{}",
    "RATE#customer:{}",
    "RATE#magic-link:{}",
    "RATE#sign-in-failed:{}",
)


class ImportItem(TableItem, discriminator="import"):
    """``IMPORT#<source>`` / ``<external id>``: written with the imported ticket."""

    ticket_id = UnicodeAttribute()
    number = NumberAttribute()
    original_number = NumberAttribute()


NUMBER_SK = "#NUM"


class NumberClaim(TableItem, discriminator="number"):
    """``NUM#<n>`` / ``#NUM``: an imported ticket holds number n (written with it, conditional
    on no claim: two imports cannot both take a number)."""

    ticket_id = UnicodeAttribute()


class DynamoArchive:
    def __init__(self, tickets: DynamoTicketRepository) -> None:
        self.tickets = tickets
        bind([ImportItem, NumberClaim], self._table)

    @property
    def _table(self) -> str:
        return str(TicketItem.Meta.table_name)

    # -- reading everything -----------------------------------------------------------------
    def ticket_ids(self, *, limit: int, cursor: str | None = None) -> tuple[list[str], str | None]:
        check_limit(limit)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByKind",
            "KeyConditionExpression": "kind = :ticket",
            "ExpressionAttributeValues": {":ticket": {"S": "ticket"}},
            "ProjectionExpression": "pk",
            "Limit": limit,
        }
        if cursor is not None:
            names = {"pk", "sk", "kind", "created"}
            request["ExclusiveStartKey"] = decode_cursor(cursor, names, ("kind", "ticket"))
        answer = client("dynamodb").query(**request)
        ids = [raw["pk"]["S"].removeprefix("T#") for raw in answer.get("Items", [])]
        return ids, encode_cursor(answer.get("LastEvaluatedKey"))

    def thread(self, ticket_id: str) -> Thread:
        return self.tickets.thread(ticket_id)

    # -- numbers ----------------------------------------------------------------------------
    def next_number(self) -> int:
        return self.tickets.next_number()

    def _handed_out(self) -> int:
        item = client("dynamodb").get_item(
            TableName=self._table,
            Key={"pk": {"S": COUNTER_PK}, "sk": {"S": COUNTER_SK}},
            ConsistentRead=True,
        )
        return int(item.get("Item", {}).get("value", {}).get("N", "0"))

    def number_taken(self, number: int, *, for_ticket: str) -> bool:
        """An imported ticket holds a ``NUM#<n>`` claim (this ticket's own, from a run that
        stopped, is free for it); Tessera's own tickets have the counter's numbers. Two
        GetItems, never a Query of ByNumber."""
        try:
            claim = NumberClaim.get(f"NUM#{number}", NUMBER_SK, consistent_read=True)
        except NumberClaim.DoesNotExist:
            return NUMBERS_BEFORE_FIRST < number <= NUMBERS_BEFORE_FIRST + self._handed_out()
        return claim.ticket_id != for_ticket

    def keep_number(self, number: int) -> None:
        value = number - NUMBERS_BEFORE_FIRST
        if value <= 0:
            return
        dynamodb = client("dynamodb")
        # Failing the condition means the counter is past the number already.
        with contextlib.suppress(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.update_item(
                TableName=self._table,
                Key={"pk": {"S": COUNTER_PK}, "sk": {"S": COUNTER_SK}},
                UpdateExpression="SET #v = :v, #t = if_not_exists(#t, :type)",
                ConditionExpression="attribute_not_exists(#v) OR #v < :v",
                ExpressionAttributeNames={"#v": "value", "#t": "type"},
                ExpressionAttributeValues={":v": {"N": str(value)}, ":type": {"S": "counter"}},
            )

    # -- import -----------------------------------------------------------------------------
    def imported(self, source: str, external_id: str) -> ImportMapping | None:
        try:
            item = ImportItem.get(f"IMPORT#{source}", external_id, consistent_read=True)
        except ImportItem.DoesNotExist:
            return None
        return _mapping(item)

    def mappings(self, source: str) -> Sequence[ImportMapping]:
        return [_mapping(i) for i in ImportItem.query(f"IMPORT#{source}") if _is_import(i)]

    def store_imported(
        self,
        ticket: Ticket,
        messages: Sequence[Message],
        events: Sequence[Event],
        mapping: ImportMapping,
    ) -> None:
        """Four steps, each safe to repeat, so a crash anywhere leaves nothing a reader sees and
        a re-run completes it: the number's claim (conditional: free or this ticket's), the
        thread in batches (same keys on a re-run), the ticket item (conditional: absent) that
        makes it all visible, then the mapping. Not one transaction: a ticket's thread may be
        longer than a transaction's 100 items."""
        check_belongs(ticket, messages, events)
        claim = NumberClaim(f"NUM#{ticket.number}", NUMBER_SK, ticket_id=ticket.id)
        try:
            claim.save(
                condition=NumberClaim.pk.does_not_exist() | (NumberClaim.ticket_id == ticket.id)
            )
        except PutError as error:
            if _condition_failed(error):
                raise Conflict(f"number {ticket.number} is another imported ticket's") from error
            raise
        created = f"{to_iso(ticket.created_at)}#{ticket.id}"
        claims = [
            MessageIdClaim(f"MID#{m.mail_message_id}", CLAIM_SK, ticket_id=ticket.id)
            for m in messages
            if m.mail_message_id and self.tickets.find_by_mail_message_id(m.mail_message_id) is None
        ]
        participations = [
            ParticipationItem(f"T#{ticket.id}", f"P#{a}", requester=a, created=created)
            for a in sorted(ticket.participants)
        ]
        with TableItem.batch_write() as batch:
            for item in [
                *(message_item(m) for m in messages),
                *(event_item(e) for e in events),
                *claims,
                *participations,
            ]:
                batch.save(item)
        try:
            ticket_item(ticket).save(condition=TicketItem.pk.does_not_exist())
        except PutError as error:
            if not _condition_failed(error):
                raise
            # Stored by an earlier run that stopped before its mapping: record it as stored.
            stored = self.tickets.get(ticket.id)
            self._save_mapping(replace(mapping, number=stored.number))
            raise AlreadyExists(f"{mapping.source} {mapping.external_id}") from error
        self._save_mapping(mapping)

    def _save_mapping(self, mapping: ImportMapping) -> None:
        ImportItem(
            f"IMPORT#{mapping.source}",
            mapping.external_id,
            ticket_id=mapping.ticket_id,
            number=mapping.number,
            original_number=mapping.original_number,
        ).save()

    # -- privacy ----------------------------------------------------------------------------
    def rewrite(self, ticket: Ticket, messages: Sequence[Message], events: Sequence[Event]) -> None:
        check_belongs(ticket, messages, events)
        with TableItem.batch_write() as batch:
            for item in [*(message_item(m) for m in messages), *(event_item(e) for e in events)]:
                batch.save(item)
        self.tickets.save(ticket, [])

    def forget_participant(self, ticket_id: str, address: str) -> None:
        ParticipationItem(f"T#{ticket_id}", f"P#{address}").delete()

    def address_items(self, address: str) -> Sequence[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        for pattern in _ADDRESS_PARTITIONS:
            keys.extend(self._keys({"pk": pattern.format(address)}))
        return keys

    def delete_items(self, keys: Sequence[tuple[str, str]]) -> None:
        dynamodb = client("dynamodb")
        for pk, sk in keys:
            if sk == TICKET_SK:
                raise ValueError("tickets are never deleted here")
            dynamodb.delete_item(TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}})

    def redact_notifications(self, ticket_ids: set[str], *, subject: str) -> int:
        """One Query of the agents' partition, then one of each agent's notifications (what
        a TTL of 90 days keeps), filtered to these tickets."""
        if not ticket_ids:
            return 0
        dynamodb = client("dynamodb")
        agents = [sk for _, sk in self._keys({"pk": AGENT_PK})]
        wanted = sorted(ticket_ids)
        changed = 0
        for start in range(0, len(wanted), 100):
            values = {f":t{n}": {"S": t} for n, t in enumerate(wanted[start : start + 100])}
            for agent in agents:
                for pk, sk in self._keys(
                    {"pk": f"NOTIFY#{agent}"},
                    filter_expression=f"ticket_id IN ({', '.join(values)})",
                    values=values,
                ):
                    dynamodb.update_item(
                        TableName=self._table,
                        Key={"pk": {"S": pk}, "sk": {"S": sk}},
                        UpdateExpression="SET subject = :s",
                        ExpressionAttributeValues={":s": {"S": subject}},
                    )
                    changed += 1
        return changed

    def _keys(
        self,
        key: dict[str, str],
        *,
        filter_expression: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> list[tuple[str, str]]:
        """Every (pk, sk) of one partition, page by page."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": key["pk"]}, **(values or {})},
            "ProjectionExpression": "pk, sk",
        }
        if filter_expression:
            request["FilterExpression"] = filter_expression
        found: list[tuple[str, str]] = []
        dynamodb = client("dynamodb")
        while True:
            answer = dynamodb.query(**request)
            found.extend((i["pk"]["S"], i["sk"]["S"]) for i in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return found
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _condition_failed(error: PutError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def _is_import(item: Any) -> bool:
    return isinstance(item, ImportItem)


def _mapping(item: ImportItem) -> ImportMapping:
    return ImportMapping(
        source=item.pk.removeprefix("IMPORT#"),
        external_id=item.sk,
        ticket_id=item.ticket_id,
        number=int(item.number),
        original_number=int(item.original_number),
    )
