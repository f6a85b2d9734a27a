"""The agent workspace in the tickets table (docs/data-model.md): agents' settings
(``#AGENT``/``<email>``, with the unread count), presence (``T#<ticket>``/``#PRESENCE#<agent>``)
and notifications (``NOTIFY#<agent>``/``N#<ulid>``). Plain DynamoDB calls: these items are
small and read by key or one Query each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tessera.adapters.checks import check_limit
from tessera.adapters.clients import client
from tessera.adapters.dynamodb.tickets import (
    TICKET_SK,
    decode_cursor,
    encode_cursor,
    from_iso,
    to_iso,
)
from tessera.errors import ConfigurationError, NotFound
from tessera.ports import AgentSettings, Notification, NotificationPage, Presence

AGENT_PK = "#AGENT"
PRESENCE_PREFIX = "#PRESENCE#"
NOTIFICATION_TTL_SECONDS = 90 * 24 * 3600
PRESENCE_GRACE_SECONDS = 3600  # TTL deletes records this long after they ended


class _Table:
    def __init__(self, table_name: str) -> None:
        if not table_name:
            raise ConfigurationError("the tickets table name is empty")
        self.table = table_name

    @property
    def dynamodb(self) -> Any:
        return client("dynamodb")


def _settings(email: str, item: Mapping[str, Any] | None) -> AgentSettings:
    item = item or {}

    def flag(name: str) -> bool | None:
        return bool(item[name]["BOOL"]) if name in item else None

    return AgentSettings(
        email=email,
        status=item["status"]["S"] if "status" in item else None,
        notify_assigned=flag("notify_assigned"),
        notify_customer_reply=flag("notify_customer_reply"),
        weekly_digest=flag("weekly_digest"),
        unread=max(0, int(item["unread"]["N"])) if "unread" in item else 0,
    )


class DynamoAgentSettings(_Table):
    """:class:`tessera.ports.AgentSettingsStore`: one partition, every agent."""

    def get(self, email: str) -> AgentSettings:
        answer = self.dynamodb.get_item(
            TableName=self.table,
            Key={"pk": {"S": AGENT_PK}, "sk": {"S": email}},
            ConsistentRead=True,
        )
        return _settings(email, answer.get("Item"))

    def all(self) -> Mapping[str, AgentSettings]:
        found: dict[str, AgentSettings] = {}
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": AGENT_PK}},
        }
        while True:
            answer = self.dynamodb.query(**request)
            for item in answer.get("Items", []):
                email = item["sk"]["S"]
                found[email] = _settings(email, item)
            if "LastEvaluatedKey" not in answer:
                return found
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def update(
        self,
        email: str,
        *,
        status: str | None = None,
        notify_assigned: bool | None = None,
        notify_customer_reply: bool | None = None,
        weekly_digest: bool | None = None,
    ) -> AgentSettings:
        sets = ["#t = :type"]
        values: dict[str, Any] = {":type": {"S": "agent"}}
        for name, value in (
            ("status", {"S": status} if status is not None else None),
            ("notify_assigned", {"BOOL": notify_assigned} if notify_assigned is not None else None),
            (
                "notify_customer_reply",
                {"BOOL": notify_customer_reply} if notify_customer_reply is not None else None,
            ),
            ("weekly_digest", {"BOOL": weekly_digest} if weekly_digest is not None else None),
        ):
            if value is not None:
                sets.append(f"#{name} = :{name}")
                values[f":{name}"] = value
        names = {"#t": "type"} | {
            f"#{n}": n
            for n in ("status", "notify_assigned", "notify_customer_reply", "weekly_digest")
            if f":{n}" in values
        }
        answer = self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": AGENT_PK}, "sk": {"S": email}},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return _settings(email, answer.get("Attributes"))


class DynamoPresence(_Table):
    """:class:`tessera.ports.PresenceStore`: records in the ticket's own partition."""

    def present(self, ticket_id: str) -> tuple[int, Sequence[Presence]]:
        # ``#PRESENCE#...`` sorts just before ``#TICKET``: one Query reads both.
        answer = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :ticket",
            ExpressionAttributeValues={
                ":pk": {"S": f"T#{ticket_id}"},
                ":first": {"S": PRESENCE_PREFIX},
                ":ticket": {"S": TICKET_SK},
            },
            ConsistentRead=True,
        )
        version: int | None = None
        records = []
        for item in answer.get("Items", []):
            if item["sk"]["S"] == TICKET_SK:
                version = int(item["version"]["N"])
            elif item["sk"]["S"].startswith(PRESENCE_PREFIX):
                records.append(
                    Presence(
                        agent=item["agent"]["S"],
                        activity=item["activity"]["S"],
                        since=from_iso(item["since"]["S"]),
                        seen=from_iso(item["seen"]["S"]),
                        expires_at=from_iso(item["until"]["S"]),
                    )
                )
        if version is None:
            raise NotFound(f"ticket {ticket_id}")
        return version, records

    def put(self, ticket_id: str, presence: Presence) -> None:
        # ``until`` is what readers judge by (to the microsecond); ``expires_at`` (the table's
        # TTL, in seconds) lets DynamoDB delete the record some time after it ended.
        deleted_after = int(presence.expires_at.timestamp()) + PRESENCE_GRACE_SECONDS
        self.dynamodb.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": f"T#{ticket_id}"},
                "sk": {"S": f"{PRESENCE_PREFIX}{presence.agent}"},
                "type": {"S": "presence"},
                "agent": {"S": presence.agent},
                "activity": {"S": presence.activity},
                "since": {"S": to_iso(presence.since)},
                "seen": {"S": to_iso(presence.seen)},
                "until": {"S": to_iso(presence.expires_at)},
                "expires_at": {"N": str(deleted_after)},
            },
        )


class DynamoNotifications(_Table):
    """:class:`tessera.ports.NotificationStore`: ``NOTIFY#<agent>`` items, newest first by
    their ULID, and the unread count on the agent's ``#AGENT`` item, changed in the same
    transaction as each notification, so the count stays true to the items."""

    def add(self, notification: Notification) -> None:
        expires_at = int(notification.at.timestamp()) + NOTIFICATION_TTL_SECONDS
        self.dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            "pk": {"S": f"NOTIFY#{notification.agent}"},
                            "sk": {"S": f"N#{notification.id}"},
                            "type": {"S": "notification"},
                            "kind": {"S": notification.kind},
                            "ticket_id": {"S": notification.ticket_id},
                            "number": {"N": str(notification.number)},
                            "subject": {"S": notification.subject},
                            "at": {"S": to_iso(notification.at)},
                            "read": {"BOOL": False},
                            "expires_at": {"N": str(expires_at)},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                self._count(notification.agent, 1),
            ]
        )

    def page(self, agent: str, *, limit: int, cursor: str | None = None) -> NotificationPage:
        check_limit(limit)
        partition = f"NOTIFY#{agent}"
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            request["ExclusiveStartKey"] = decode_cursor(cursor, {"pk", "sk"}, ("pk", partition))
        answer = self.dynamodb.query(**request)
        items = [
            Notification(
                agent=agent,
                kind=item["kind"]["S"],
                ticket_id=item["ticket_id"]["S"],
                number=int(item["number"]["N"]),
                subject=item["subject"]["S"],
                at=from_iso(item["at"]["S"]),
                read=bool(item["read"]["BOOL"]),
                id=item["sk"]["S"].removeprefix("N#"),
            )
            for item in answer.get("Items", [])
        ]
        unread = DynamoAgentSettings(self.table).get(agent).unread
        return NotificationPage(items, unread, encode_cursor(answer.get("LastEvaluatedKey")))

    def mark_read(self, agent: str, ids: Sequence[str]) -> int:
        marked = 0
        for notification_id in dict.fromkeys(ids):
            try:
                self.dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self.table,
                                "Key": {
                                    "pk": {"S": f"NOTIFY#{agent}"},
                                    "sk": {"S": f"N#{notification_id}"},
                                },
                                "UpdateExpression": "SET #r = :true",
                                # absent items fail too: an unknown id creates nothing
                                "ConditionExpression": "#r = :false",
                                "ExpressionAttributeNames": {"#r": "read"},
                                "ExpressionAttributeValues": {
                                    ":true": {"BOOL": True},
                                    ":false": {"BOOL": False},
                                },
                            }
                        },
                        self._count(agent, -1),
                    ]
                )
            except self.dynamodb.exceptions.TransactionCanceledException:
                continue  # read already, or not the agent's
            marked += 1
        return marked

    def mark_all_read(self, agent: str) -> int:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "#r = :false",
            "ExpressionAttributeNames": {"#r": "read"},
            "ExpressionAttributeValues": {
                ":pk": {"S": f"NOTIFY#{agent}"},
                ":false": {"BOOL": False},
            },
            "ProjectionExpression": "pk, sk",
        }
        marked = 0
        while True:
            answer = self.dynamodb.query(**request)
            for item in answer.get("Items", []):
                self.dynamodb.update_item(
                    TableName=self.table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET #r = :true",
                    ExpressionAttributeNames={"#r": "read"},
                    ExpressionAttributeValues={":true": {"BOOL": True}},
                )
                marked += 1
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        # Absolute, not counted down: also forgets unread ones DynamoDB's TTL removed.
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": AGENT_PK}, "sk": {"S": agent}},
            UpdateExpression="SET #u = :zero, #t = :type",
            ExpressionAttributeNames={"#u": "unread", "#t": "type"},
            ExpressionAttributeValues={":zero": {"N": "0"}, ":type": {"S": "agent"}},
        )
        return marked

    def _count(self, agent: str, by: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"pk": {"S": AGENT_PK}, "sk": {"S": agent}},
                "UpdateExpression": "ADD #u :by SET #t = :type",
                "ExpressionAttributeNames": {"#u": "unread", "#t": "type"},
                "ExpressionAttributeValues": {":by": {"N": str(by)}, ":type": {"S": "agent"}},
            }
        }
