"""The knowledge base's items in the tickets table (docs/data-model.md): the admin API's
articles and readers' feedback.

- ``pk=KB#ARTICLES``, ``sk=<lang>#<slug>``: one head item per article with its two pointers
  (``draft``, ``published``; 0 = never published), title and category — the list is one Query.
- ``pk=KB#<slug>#<lang>``, ``sk=v#000001``: each immutable version (markdown and front matter,
  author, time).

Saving a draft writes the version and moves the head in one transaction, conditional on the head
not having moved (and the version not existing), so two concurrent saves cannot both win.

Feedback (:class:`tessera.kb.feedback.FeedbackStore`) is one partition, ``KB#FEEDBACK``: each
record is one UpdateItem with ``ADD``, so concurrent votes never lose a count; the report is one
Query.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from tessera.adapters.clients import client
from tessera.adapters.dynamodb.tickets import from_iso, to_iso
from tessera.errors import Conflict, NotFound
from tessera.kb.articles import Summary, Version

HEADS = "KB#ARTICLES"
FEEDBACK = "KB#FEEDBACK"


def _head_key(language: str, slug: str) -> dict[str, Any]:
    return {"pk": {"S": HEADS}, "sk": {"S": f"{language}#{slug}"}}


def _version_key(language: str, slug: str, number: int) -> dict[str, Any]:
    return {"pk": {"S": f"KB#{slug}#{language}"}, "sk": {"S": f"v#{number:06d}"}}


def _client() -> Any:
    return client("dynamodb")


def _summary(item: dict[str, Any]) -> Summary:
    language, slug = item["sk"]["S"].split("#", 1)
    return Summary(
        language=language,
        slug=slug,
        title=item["title"]["S"],
        category=item["category"]["S"],
        draft=int(item["draft"]["N"]),
        published=int(item["published"]["N"]),
        updated_by=item["updated_by"]["S"],
        updated_at=from_iso(item["updated_at"]["S"]),
    )


class DynamoArticleStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def summaries(self) -> list[Summary]:
        found: list[Summary] = []
        for page in (
            _client()
            .get_paginator("query")
            .paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": HEADS}},
                ConsistentRead=True,
            )
        ):
            found += [_summary(item) for item in page.get("Items", [])]
        return found

    def summary(self, language: str, slug: str) -> Summary | None:
        item = _client().get_item(
            TableName=self.table_name, Key=_head_key(language, slug), ConsistentRead=True
        )
        return _summary(item["Item"]) if "Item" in item else None

    def version(self, language: str, slug: str, number: int) -> Version:
        found = _client().get_item(
            TableName=self.table_name,
            Key=_version_key(language, slug, number),
            ConsistentRead=True,
        )
        if "Item" not in found:
            raise NotFound(f"article {language}/{slug} version {number}")
        item = found["Item"]
        return Version(
            number=number,
            title=item["title"]["S"],
            description=item["description"]["S"],
            category=item["category"]["S"],
            body=item["body"]["S"],
            section=item["section"]["S"],
            keywords=tuple(k["S"] for k in item["keywords"]["L"]),
            author=item["author"]["S"],
            created_at=from_iso(item["created_at"]["S"]),
        )

    def add_version(
        self, language: str, slug: str, version: Version, *, expected_draft: int
    ) -> None:
        when = to_iso(version.created_at)
        item = {
            **_version_key(language, slug, version.number),
            "title": {"S": version.title},
            "description": {"S": version.description},
            "category": {"S": version.category},
            "body": {"S": version.body},
            "section": {"S": version.section},
            "keywords": {"L": [{"S": k} for k in version.keywords]},
            "author": {"S": version.author},
            "created_at": {"S": when},
        }
        values: dict[str, Any] = {
            ":draft": {"N": str(version.number)},
            ":title": {"S": version.title},
            ":category": {"S": version.category},
            ":by": {"S": version.author},
            ":at": {"S": when},
            ":zero": {"N": "0"},
        }
        if expected_draft:
            condition = "draft = :expected"
            values[":expected"] = {"N": str(expected_draft)}
        else:
            condition = "attribute_not_exists(pk)"
        client = _client()
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": _head_key(language, slug),
                            "UpdateExpression": (
                                "SET draft = :draft, title = :title, category = :category, "
                                "updated_by = :by, updated_at = :at, "
                                "published = if_not_exists(published, :zero)"
                            ),
                            "ConditionExpression": condition,
                            "ExpressionAttributeValues": values,
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException:
            raise Conflict(f"{language}/{slug} was changed by someone else; save again") from None

    def set_published(self, language: str, slug: str, number: int, *, actor: str) -> None:
        client = _client()
        try:
            client.update_item(
                TableName=self.table_name,
                Key=_head_key(language, slug),
                UpdateExpression="SET published = :n, updated_by = :by, updated_at = :at",
                ConditionExpression="draft = :n",
                ExpressionAttributeValues={
                    ":n": {"N": str(number)},
                    ":by": {"S": actor},
                    ":at": {"S": to_iso(datetime.now().astimezone())},
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise Conflict(f"{language}/{slug} has a newer draft; publish again") from None

    def set_unpublished(self, language: str, slug: str, *, actor: str) -> None:
        client = _client()
        try:
            client.update_item(
                TableName=self.table_name,
                Key=_head_key(language, slug),
                UpdateExpression="SET published = :zero, updated_by = :by, updated_at = :at",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={
                    ":zero": {"N": "0"},
                    ":by": {"S": actor},
                    ":at": {"S": to_iso(datetime.now().astimezone())},
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise NotFound(f"article {language}/{slug}") from None

    def delete(self, language: str, slug: str, *, expected_draft: int) -> None:
        client = _client()
        try:
            client.delete_item(
                TableName=self.table_name,
                Key=_head_key(language, slug),
                ConditionExpression="draft = :expected",
                ExpressionAttributeValues={":expected": {"N": str(expected_draft)}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise Conflict(f"{language}/{slug} was changed by someone else") from None
        # The head is gone (the article with it); then its versions, one partition.
        for number in range(1, expected_draft + 1):
            client.delete_item(TableName=self.table_name, Key=_version_key(language, slug, number))


class DynamoFeedbackStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def add(self, sk: str, counters: dict[str, int], last: str = "") -> None:
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values: dict[str, Any] = {f":c{i}": {"N": str(n)} for i, n in enumerate(counters.values())}
        update = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
        update += " SET updated_at = :now"
        values[":now"] = {"N": str(int(time.time()))}
        if last:
            update += ", last_query = :last"
            values[":last"] = {"S": last}
        client("dynamodb").update_item(
            TableName=self.table_name,
            Key={"pk": {"S": FEEDBACK}, "sk": {"S": sk}},
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def all(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = client("dynamodb").get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": FEEDBACK}},
        ):
            for raw in page.get("Items", []):
                items.append({k: next(iter(v.values())) for k, v in raw.items()})
        return items
