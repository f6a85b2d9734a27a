"""Ticket search: what the index costs to build, to keep fresh and to query, at two sizes.

Generated tickets (3 messages each on average, en/fa/el/zh mixed) become search documents
(tessera.search.model.document of real threads shape) and go into the real index
(tessera.adapters.search_segments):

1. **Build**: ``rebuild`` of N tickets — time and index size; then the same at N/10.
2. **Write cost per new message**: the indexer's work for one changed ticket — the thread read
   on moto's DynamoDB (the template's table, calls and items counted) and the index ``put`` on
   moto's S3 (calls and bytes counted), averaged over a run of puts that includes the merges of
   small segments; next to it what an inverted index in DynamoDB (one posting item per distinct
   term) would write for the same message.
3. **Query cost**: for a rare, a common and a prefix term, the S3 calls and bytes and the
   tickets read per query at N/10 and N (warm cache: the manifest only), with the ratio; what a
   cold container fetches once.
4. **Latency** outside moto (the segments on local disk, warm): p50/p95 per query kind at N.
5. **$ per 1,000 tickets** for indexing, from the measured calls, bytes and seconds.

``.venv/bin/python -m bench.search [--tickets 20000]`` from the repository root. A measurement,
not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tessera.adapters.search_segments import DirectoryBlobs, S3Blobs, SegmentIndex
from tessera.search.model import SearchDocument, SearchRequest, Text
from tessera.text.normalise import search_terms

# Prices (us-east-1, on-demand, as published in 2025): what indexing is billed for.
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
DDB_READ_UNIT = 0.125 / 1_000_000  # a strongly consistent read of 4 KB (Query rounds the total)
DDB_WRITE_UNIT = 0.625 / 1_000_000  # a write of 1 KB
LAMBDA_GB_SECOND = 0.0000166667
INDEXER_GB = 1.0  # MemorySize 1024 in template.yaml
CHANGES_PER_TICKET = 6  # opened, ~2 replies, routing, a status change or two: each reindexes it

EN = [
    "refund",
    "invoice",
    "order",
    "parcel",
    "courier",
    "login",
    "password",
    "account",
    "card",
    "charge",
    "delivery",
]
FA = ["سفارش", "بازپرداخت", "فاکتور", "ارسال", "حساب", "رمز", "کارت", "پرداخت", "تحویل"]
EL = [
    "επιστροφή",
    "παραγγελία",
    "τιμολόγιο",
    "αποστολή",
    "λογαριασμός",
    "κωδικός",
    "κάρτα",
    "χρέωση",
]
ZH = ["退款申请", "订单号码", "发票问题", "快递延误", "账户密码", "银行卡扣费"]
FILLER = ["the", "a", "please", "thanks", "hello", "when", "again", "still", "since", "today"]


def generated(count: int, seed: int = 13) -> list[SearchDocument]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    documents = []
    for i in range(count):
        language = i % 4
        words = (EN, FA, EL, ZH)[language]
        created = start + timedelta(minutes=i)

        def sentence(n: int, words: list[str] = words, language: int = language) -> str:
            picked = [rng.choice(words) for _ in range(n)]
            if language == 0:
                picked += rng.sample(FILLER, 4)
            return " ".join(picked)

        texts = [
            Text("subject", "", sentence(3), True),
            Text("people", "", f"{1000 + i} customer{i}@example.test", True),
        ]
        for m in range(rng.choice((2, 3, 4))):
            body = sentence(25)
            if m == 0:
                body += f" ref zx{i:05d}"  # rare: this ticket's own code
            texts.append(Text("message", f"m{i}-{m}", body, True))
        documents.append(
            SearchDocument(
                ticket_id=f"T{i:07d}",
                number=1000 + i,
                subject=texts[0].text,
                status=("new", "open", "pending", "solved")[i % 4],
                priority="normal",
                group=("billing", "support")[i % 2],
                assignee=None,
                channel="email",
                tags=frozenset(),
                people=frozenset({f"customer{i}@example.test"}),
                created_at=created,
                updated_at=created,
                texts=tuple(texts),
            )
        )
    return documents


QUERIES = {"rare": "zx00042", "common": "refund", "prefix": "deliv*"}


def build(documents: list[SearchDocument], root: Path) -> tuple[SegmentIndex, float, int]:
    index = SegmentIndex(DirectoryBlobs(root / "blobs"), root / "cache")
    started = time.perf_counter()
    stats = index.rebuild(documents)
    return index, time.perf_counter() - started, stats.bytes_written


def latency(index: SegmentIndex, query: str, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        index.search(SearchRequest(query))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def s3_query_costs(documents: list[SearchDocument]) -> dict[str, Any]:
    """Per query kind on moto's S3: calls, bytes and tickets read, warm and cold."""
    import boto3
    import moto

    figures: dict[str, Any] = {}
    with moto.mock_aws(), tempfile.TemporaryDirectory() as scratch:
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="search")
        writer = SegmentIndex(S3Blobs("search"), Path(scratch) / "writer")
        writer.rebuild(documents)
        blobs = S3Blobs("search")
        reader = SegmentIndex(blobs, Path(scratch) / "reader")
        reader.search(SearchRequest("warmup"))
        figures["cold_bytes"] = blobs.counters.bytes_read
        for kind, query in QUERIES.items():
            before = (blobs.counters.calls, blobs.counters.bytes_read)
            result = reader.search(SearchRequest(query, limit=25))
            figures[kind] = (
                blobs.counters.calls - before[0],
                blobs.counters.bytes_read - before[1],
                len(result.hits),
                result.total,
            )
    return figures


def write_costs(base: list[SearchDocument], puts: int) -> dict[str, Any]:
    """The indexer's work per changed ticket: thread read on DynamoDB, index put on S3."""
    import boto3
    import moto
    from botocore.client import BaseClient

    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository
    from tessera.search.model import document
    from tessera_local.provision import create_tables
    from tessera_local.template import Template
    from tests.factories import stored_ticket

    counted: Counter[str] = Counter()
    items_read = 0
    original: Any = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
        nonlocal items_read
        counted[f"{client.meta.service_model.endpoint_prefix}:{operation}"] += 1
        answer = original(client, operation, params)
        items_read += len(answer.get("Items", [])) if isinstance(answer, dict) else 0
        return answer

    from tessera.tickets.model import Message, MessageKind

    with moto.mock_aws(), tempfile.TemporaryDirectory() as scratch:
        template = Template.load()
        create_tables(template, boto3.client("dynamodb", region_name="us-east-1"))
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="search")
        tickets = DynamoTicketRepository(template.ref("TicketsTable"))
        blobs = S3Blobs("search")
        index = SegmentIndex(blobs, Path(scratch) / "indexer")
        index.rebuild(base)
        ticket = stored_ticket(tickets, subject="Parcel never arrived")
        text = " ".join(EN * 3) + " where is my parcel, it was due on Monday"
        for _ in range(2):
            current = tickets.get(ticket.id)
            tickets.add_message(
                current, Message(ticket.id, MessageKind.PUBLIC, ticket.requester, text), []
            )
        start_calls, start_bytes = blobs.counters.calls, blobs.counters.bytes_written
        BaseClient._make_api_call = counting  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            for _ in range(puts):
                found = document(tickets.thread(ticket.id))
                assert found is not None
                index.put([found], [])
        finally:
            BaseClient._make_api_call = original  # type: ignore[attr-defined]
        seconds = (time.perf_counter() - started) / puts
        s3_calls = blobs.counters.calls - start_calls
        s3_bytes = blobs.counters.bytes_written - start_bytes
    terms = len(set(search_terms(text)))
    return {
        "calls": {k: v / puts for k, v in sorted(counted.items())},
        "items_read": items_read / puts,
        "s3_calls": s3_calls / puts,
        "s3_bytes": s3_bytes / puts,
        "seconds": seconds,
        "postings": terms,
        "message_chars": len(text),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=100, help="queries per kind for latency")
    parser.add_argument("--puts", type=int, default=40, help="index puts for the write cost")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "bench"
    os.environ.pop("AWS_ENDPOINT_URL", None)

    large_n, small_n = args.tickets, max(10, args.tickets // 10)
    large, small = generated(large_n), generated(small_n)
    messages = sum(sum(1 for t in d.texts if t.source == "message") for d in large)
    print(f"corpus: {large_n} tickets, {messages} messages (en/fa/el/zh), and {small_n} tickets")

    with tempfile.TemporaryDirectory() as scratch:
        big, big_seconds, big_bytes = build(large, Path(scratch) / "large")
        _small, small_seconds, small_bytes = build(small, Path(scratch) / "small")
        print(f"build {large_n:>6} tickets: {big_seconds:7.1f} s, index {big_bytes / 1e6:7.1f} MB")
        print(
            f"build {small_n:>6} tickets: {small_seconds:7.1f} s, index {small_bytes / 1e6:7.1f} MB"
        )
        print(f"latency at {large_n} tickets, local disk, warm (ms, {args.runs} runs):")
        for kind, query in QUERIES.items():
            p50, p95 = latency(big, query, args.runs)
            total = big.search(SearchRequest(query)).total
            print(f"  {kind:<7} {query!r:<10} p50 {p50:6.1f}  p95 {p95:6.1f}  ({total} tickets)")

    print("query cost on S3 (moto), per query, page of 25 (calls / bytes / tickets read):")
    costs = {n: s3_query_costs(docs) for n, docs in ((small_n, small), (large_n, large))}
    for kind in QUERIES:
        (sc, sb, sh, st), (lc, lb, lh, lt) = costs[small_n][kind], costs[large_n][kind]
        ratio = (lc + lh) / max(1, sc + sh)
        print(
            f"  {kind:<7} {small_n:>6}: {sc} calls {sb:>5} B {sh:>2} read (of {st:>5})"
            f"  {large_n:>6}: {lc} calls {lb:>5} B {lh:>2} read (of {lt:>5})"
            f"  ratio {ratio:.2f}"
        )
    print(
        f"  a cold container fetches the index once: {costs[small_n]['cold_bytes'] / 1e6:.1f} MB"
        f" at {small_n}, {costs[large_n]['cold_bytes'] / 1e6:.1f} MB at {large_n}"
    )

    w = write_costs(small, args.puts)
    ddb_read_units = w["items_read"] * 0.25  # a ticket's items are small: ~1 KB each, 4 KB a unit
    print(f"write cost per changed ticket (average of {args.puts} puts, merges included):")
    for name, calls in w["calls"].items():
        print(f"  {calls:5.2f} x {name}")
    print(f"  {w['items_read']:.1f} items read (the thread), {w['s3_calls']:.2f} S3 calls,")
    print(f"  {w['s3_bytes'] / 1e3:.0f} KB written to S3, {w['seconds'] * 1000:.0f} ms of indexer")
    dynamo_postings = w["postings"] * DDB_WRITE_UNIT
    print(
        f"  an inverted index in DynamoDB instead: {w['postings']} posting writes for this"
        f" {w['message_chars']}-character message (${dynamo_postings * 1e6:.1f} per million)"
    )
    per_change = (
        (w["calls"].get("s3:PutObject", 0)) * S3_PUT
        + (w["calls"].get("s3:GetObject", 0)) * S3_GET
        + max(1.0, ddb_read_units) * DDB_READ_UNIT
        + w["seconds"] * INDEXER_GB * LAMBDA_GB_SECOND
    )
    print(
        f"$ per 1,000 tickets for indexing ({CHANGES_PER_TICKET} changes each, one batch each):"
        f" ${per_change * CHANGES_PER_TICKET * 1000:.4f}"
        f" (inverted index in DynamoDB, postings alone, 3 messages:"
        f" ${dynamo_postings * 3 * 1000:.4f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
