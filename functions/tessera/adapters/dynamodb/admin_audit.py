"""Admins' actions in the tickets table (docs/data-model.md: ``AUDIT#ADMIN#<month>`` items), so
a month of them is one Query, newest first."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from tessera import settings
from tessera.ports import AdminAction


class AdminActionItem(Model):
    class Meta:
        table_name = ""  # set by DynamoAdminAudit
        region = ""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    subject = UnicodeAttribute()
    before = UnicodeAttribute(null=True)  # JSON
    after = UnicodeAttribute(null=True)  # JSON
    at = UnicodeAttribute()


def _pk(at: datetime) -> str:
    return f"AUDIT#ADMIN#{at:%Y-%m}"


class DynamoAdminAudit:
    def __init__(self, table_name: str) -> None:
        AdminActionItem.Meta.table_name = table_name
        AdminActionItem.Meta.region = settings.region()
        AdminActionItem._connection = None

    def record(self, action: AdminAction) -> None:
        stamp = action.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        AdminActionItem(
            _pk(action.at),
            f"{stamp}#{secrets.token_hex(4)}",
            actor=action.actor,
            action=action.action,
            subject=action.subject,
            before=json.dumps(action.before, ensure_ascii=False, sort_keys=True),
            after=json.dumps(action.after, ensure_ascii=False, sort_keys=True),
            at=stamp,
        ).save(condition=AdminActionItem.pk.does_not_exist())

    def month(self, at: datetime, *, limit: int) -> Sequence[AdminAction]:
        items = AdminActionItem.query(_pk(at), scan_index_forward=False, limit=limit)
        return [
            AdminAction(
                actor=item.actor,
                action=item.action,
                subject=item.subject,
                before=json.loads(item.before or "null"),
                after=json.loads(item.after or "null"),
                at=datetime.strptime(item.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=at.tzinfo),
            )
            for item in items
        ]
