"""AWS calls of ``privacy export`` and ``privacy erase`` (the admin API's privacy routes) for one
requester, on a small table and on a table four times larger; and the calls per imported ticket.

Runs in this process on moto, the tickets table built from template.yaml. Every AWS call is
counted by wrapping botocore's ``BaseClient._make_api_call``; for Queries the items DynamoDB
reports reading (``ScannedCount``) are summed too. The requester's cost must not move with the
table: the same calls and the same items read on both tables, and no Scan (a row that differs,
or a Scan, is printed with ``FLAG``). moto itself reads the whole table on every Query, so its
time says nothing here and is not printed.

Run: ``.venv/bin/python -m bench.privacy --tickets 5 --others 40``. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

BUCKET = "bench-privacy"


@contextmanager
def counting() -> Iterator[collections.Counter[str]]:
    from botocore.client import BaseClient

    counts: collections.Counter[str] = collections.Counter()
    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        answer = original(self, operation, params)
        counts[f"{self.meta.service_model.service_name}:{operation}"] += 1
        if operation == "Query":
            counts["items read by Queries"] += int(answer.get("ScannedCount", 0))
        return answer

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def seed(requester: str, tickets: int, others: int) -> None:
    from tessera import bootstrap
    from tessera.tickets.model import Message, MessageKind
    from tests.factories import stored_ticket

    repository = bootstrap.dependencies().tickets
    for n in range(tickets):
        ticket = stored_ticket(repository, requester=requester, subject=f"mine {n}")
        reply = Message(ticket.id, MessageKind.PUBLIC, "alice@example.com", "an answer")
        repository.add_message(ticket, reply, [])
    for n in range(others):
        stored_ticket(repository, requester=f"other{n}@example.com", subject=f"theirs {n}")


def measure(run: Callable[[], Any]) -> collections.Counter[str]:
    with counting() as counts:
        run()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5, help="the requester's tickets")
    parser.add_argument("--others", type=int, default=40, help="other tickets (small table)")
    args = parser.parse_args()
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto's fake credentials
        ATTACHMENTS_BUCKET=BUCKET,
        RAW_MAIL_BUCKET=BUCKET,  # the seeded tickets have no raw mail: erase deletes none
        SUPPORT_ADDRESSES="support@example.com",
    )
    import boto3
    import moto

    from tessera_local.provision import create_tables
    from tessera_local.template import Template

    rows: dict[str, list[collections.Counter[str]]] = collections.defaultdict(list)
    for size, others in (("small", args.others), ("large", args.others * 4)):
        with moto.mock_aws():
            template = Template.load()
            create_tables(template, boto3.client("dynamodb"))
            boto3.client("s3").create_bucket(Bucket=BUCKET)
            os.environ["TABLE_NAME"] = str(template.ref("TicketsTable"))
            from tessera import bootstrap, settings
            from tessera.privacy.requester import erase_requester, export_requester

            for cached in (
                settings.table_name,
                settings.attachments_bucket,
                bootstrap.dependencies,
                bootstrap.archive,
                bootstrap._attachments,
                bootstrap._raw_mail,
                settings.mail_intake,
            ):
                cached.cache_clear()
            email = f"bench.{size}@example.com"
            seed(email, args.tickets, others)
            tickets, archive = bootstrap.dependencies().tickets, bootstrap.archive()
            export = functools.partial(export_requester, tickets, archive, email)
            erase = functools.partial(
                erase_requester,
                tickets,
                archive,
                bootstrap.attachments,
                email,
                actor="bench",
                raw_mail=bootstrap.dependencies().raw_mail,
            )
            rows["export"].append(measure(export))
            rows["erase"].append(measure(erase))
            rows["erase again"].append(measure(erase))
    print(
        f"requester with {args.tickets} tickets; table of {args.others} vs {args.others * 4} "
        "other tickets"
    )
    for name, (small, large) in rows.items():
        print(f"\n{name}:")
        for key in sorted(set(small) | set(large)):
            flag = "" if small[key] == large[key] else "  FLAG: grows with the table"
            if key.endswith(":Scan"):
                flag += "  FLAG: a Scan"
            print(f"  {small[key]:>5} | {large[key]:>5}  {key}{flag}")
        calls = sum(v for k, v in small.items() if ":" in k)
        print(f"  total calls: {calls} (small) | {sum(v for k, v in large.items() if ':' in k)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
