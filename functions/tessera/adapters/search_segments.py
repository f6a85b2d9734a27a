"""The ticket index as immutable SQLite FTS5 segments in S3 (docs/decisions/0008-ticket-search.md).

- A **segment** is one SQLite file holding complete tickets: their filter fields, the addresses
  allowed to find them, every text (raw for snippets; pre-normalised by tessera.text.normalise
  into ``body`` and its light stems into ``stems``, indexed by FTS5), and tombstones of removed
  tickets. A newer segment's ticket (or tombstone) hides the same ticket in every older one.
- The **manifest** (``search/manifest.json``) lists the live segments, oldest first. Writers put a
  new segment, then the manifest with ``If-Match`` on the one they read (S3 conditional writes),
  again on a fresh read when another writer won. When there are more than :data:`MAX_DELTAS`
  small segments they are merged into one, and into the base once they hold a tenth of it.
- A **query** reads the manifest (one GetObject of a few hundred bytes), fetches the segments it
  has not cached in ``/tmp`` (immutable: cached for good), and runs one SQL query per segment with
  the filters and the customer's permission inside it; results merge by score or date.

Swapping in OpenSearch is this module's job alone: implement tessera.search.model.SearchIndex.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from tessera.search.model import (
    Hit,
    IndexStats,
    SearchDocument,
    SearchRequest,
    SearchResult,
)
from tessera.search.query import Query, parse
from tessera.search.snippets import snippet
from tessera.text.normalise import search_terms, stem
from tessera.tickets.model import new_id

MANIFEST = "search/manifest.json"
SEGMENTS = "search/segments/"
MAX_DELTAS = 8
WEIGHTS = {"subject": 3.0, "people": 2.0, "file": 1.5, "message": 1.0, "note": 1.0}

# A segment is built in a scratch file and is durable once uploaded: no journal, no fsync.
SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE tickets (ticket_id TEXT PRIMARY KEY, number INTEGER, subject TEXT, status TEXT,
  priority TEXT, grp TEXT, assignee TEXT, channel TEXT, created TEXT, updated TEXT);
CREATE INDEX tickets_number ON tickets (number);
CREATE TABLE people (address TEXT, ticket_id TEXT, PRIMARY KEY (address, ticket_id))
  WITHOUT ROWID;
CREATE TABLE tags (tag TEXT, ticket_id TEXT, PRIMARY KEY (tag, ticket_id)) WITHOUT ROWID;
CREATE TABLE texts (id INTEGER PRIMARY KEY, ticket_id TEXT, source TEXT, public INTEGER,
  weight REAL, raw TEXT, body TEXT, stems TEXT);
CREATE INDEX texts_ticket ON texts (ticket_id);
CREATE TABLE removed (ticket_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE docs USING fts5 (body, stems, content='texts', content_rowid='id',
  tokenize='unicode61 remove_diacritics 0');
"""


class Blobs(Protocol):
    """Where segments and the manifest live: S3, or a directory (bench/search.py's latency)."""

    def get(self, key: str) -> tuple[bytes, str] | None: ...  # (data, etag) or None

    def put(self, key: str, data: bytes, *, if_match: str | None, if_absent: bool) -> bool:
        """False when the condition failed (another writer won)."""
        ...

    def delete(self, key: str) -> None: ...


@dataclass
class Counters:
    calls: int = 0
    bytes_read: int = 0
    bytes_written: int = 0


class S3Blobs:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.counters = Counters()

    def get(self, key: str) -> tuple[bytes, str] | None:
        from tessera.adapters.clients import client

        s3 = client("s3")
        self.counters.calls += 1
        try:
            answer = s3.get_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            return None
        data: bytes = answer["Body"].read()
        self.counters.bytes_read += len(data)
        return data, str(answer["ETag"])

    def put(self, key: str, data: bytes, *, if_match: str | None, if_absent: bool) -> bool:
        from botocore.exceptions import ClientError

        from tessera.adapters.clients import client

        conditions: dict[str, str] = {}
        if if_match:
            conditions["IfMatch"] = if_match
        elif if_absent:
            conditions["IfNoneMatch"] = "*"
        self.counters.calls += 1
        self.counters.bytes_written += len(data)
        try:
            client("s3").put_object(Bucket=self.bucket, Key=key, Body=data, **conditions)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        from tessera.adapters.clients import client

        self.counters.calls += 1
        client("s3").delete_object(Bucket=self.bucket, Key=key)


class DirectoryBlobs:
    """Blobs as files (one process): for measuring the index without an object store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.counters = Counters()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, str] | None:
        path = self.root / key
        self.counters.calls += 1
        if not path.is_file():
            return None
        data = path.read_bytes()
        self.counters.bytes_read += len(data)
        return data, str(hash(data))

    def put(self, key: str, data: bytes, *, if_match: str | None, if_absent: bool) -> bool:
        with self._lock:
            self.counters.calls += 1
            self.counters.bytes_written += len(data)
            path = self.root / key
            current = path.read_bytes() if path.is_file() else None
            if if_match and (current is None or str(hash(current)) != if_match):
                return False
            if if_absent and not if_match and current is not None:
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return True

    def delete(self, key: str) -> None:
        self.counters.calls += 1
        (self.root / key).unlink(missing_ok=True)


@dataclass(frozen=True)
class Segment:
    key: str
    tickets: int
    size: int
    base: bool = False


@dataclass
class Manifest:
    segments: list[Segment] = field(default_factory=list)
    version: int = 0

    def to_json(self) -> bytes:
        return json.dumps(
            {"version": self.version, "segments": [vars(s) for s in self.segments]}
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw = json.loads(data)
        return cls([Segment(**s) for s in raw["segments"]], int(raw["version"]))


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write_documents(
    db: sqlite3.Connection, documents: Iterable[SearchDocument], removed: Iterable[str]
) -> int:
    count = 0
    for d in documents:
        count += 1
        db.execute(
            "INSERT OR REPLACE INTO tickets VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                d.ticket_id,
                d.number,
                d.subject,
                d.status,
                d.priority,
                d.group,
                d.assignee,
                d.channel,
                _iso(d.created_at),
                _iso(d.updated_at),
            ),
        )
        db.executemany(
            "INSERT OR IGNORE INTO people VALUES (?, ?)", [(p, d.ticket_id) for p in d.people]
        )
        db.executemany(
            "INSERT OR IGNORE INTO tags VALUES (?, ?)", [(t, d.ticket_id) for t in d.tags]
        )
        for text in d.texts:
            terms = search_terms(text.text)
            db.execute(
                "INSERT INTO texts (ticket_id, source, public, weight, raw, body, stems)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    d.ticket_id,
                    text.source,
                    int(text.public),
                    WEIGHTS[text.source],
                    text.text,
                    " ".join(terms),
                    " ".join(stem(t) for t in terms),
                ),
            )
    db.executemany("INSERT OR IGNORE INTO removed VALUES (?)", [(r,) for r in removed])
    return count


def build_segment(
    path: Path, documents: Iterable[SearchDocument], removed: Iterable[str] = ()
) -> int:
    """Write a segment file at ``path``; the number of tickets in it."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        count = _write_documents(db, documents, removed)
        db.execute("INSERT INTO docs (docs) VALUES ('rebuild')")
        db.commit()
        db.execute("INSERT INTO docs (docs) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
    return count


def merge_segments(path: Path, sources: Sequence[Path], *, keep_tombstones: bool) -> int:
    """Merge segment files (oldest first) into one at ``path``: each ticket as its newest
    segment has it. Tombstones are kept unless the merge includes the base."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        db.execute("CREATE TEMP TABLE seen (ticket_id TEXT PRIMARY KEY) WITHOUT ROWID")
        for source in reversed(sources):
            db.execute("ATTACH DATABASE ? AS src", (str(source),))
            fresh = "SELECT ticket_id FROM src.tickets WHERE ticket_id NOT IN temp.seen"
            for table, columns in (
                ("tickets", "*"),
                ("people", "*"),
                ("tags", "*"),
                ("texts", "NULL, ticket_id, source, public, weight, raw, body, stems"),
            ):
                db.execute(
                    f"INSERT INTO {table} SELECT {columns} FROM src.{table}"  # noqa: S608
                    f" WHERE ticket_id IN ({fresh})"
                )
            if keep_tombstones:
                db.execute(
                    "INSERT OR IGNORE INTO removed SELECT ticket_id FROM src.removed"
                    " WHERE ticket_id NOT IN temp.seen"
                )
            db.execute("INSERT OR IGNORE INTO temp.seen SELECT ticket_id FROM src.tickets")
            db.execute("INSERT OR IGNORE INTO temp.seen SELECT ticket_id FROM src.removed")
            db.commit()
            db.execute("DETACH DATABASE src")
        db.execute("INSERT INTO docs (docs) VALUES ('rebuild')")
        db.commit()
        count = int(db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])
    finally:
        db.close()
    return count


class SegmentIndex:
    """tessera.search.model.SearchIndex on :class:`Blobs` (S3 in AWS and locally)."""

    def __init__(self, blobs: Blobs, cache_dir: Path | None = None) -> None:
        self.blobs = blobs
        self.cache_dir = cache_dir or Path(tempfile.gettempdir()) / "tessera-search"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._connections: dict[str, sqlite3.Connection] = {}
        self._lock = threading.Lock()
        self._searching = threading.Lock()  # a query's temp table lives on shared connections

    # -- files ---------------------------------------------------------------------------------
    def _local(self, key: str) -> Path:
        path = self.cache_dir / key.rsplit("/", 1)[-1]
        if not path.is_file():
            found = self.blobs.get(key)
            if found is None:
                raise FileNotFoundError(key)
            temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
            temporary.write_bytes(found[0])
            os.replace(temporary, path)
        return path

    def _connection(self, key: str) -> sqlite3.Connection:
        with self._lock:
            db = self._connections.get(key)
            if db is None:
                uri = f"file:{self._local(key)}?mode=ro&immutable=1"
                db = sqlite3.connect(uri, uri=True, check_same_thread=False)
                self._connections[key] = db
            return db

    def _manifest(self) -> tuple[Manifest, str | None]:
        found = self.blobs.get(MANIFEST)
        if found is None:
            return Manifest(), None
        return Manifest.from_json(found[0]), found[1]

    def _upload(self, path: Path, tickets: int, *, base: bool) -> Segment:
        key = f"{SEGMENTS}{new_id()}.sqlite"
        data = path.read_bytes()
        self.blobs.put(key, data, if_match=None, if_absent=True)
        os.replace(path, self.cache_dir / key.rsplit("/", 1)[-1])  # a writer's cache is warm
        return Segment(key, tickets, len(data), base)

    # -- writing -------------------------------------------------------------------------------
    def put(self, documents: Sequence[SearchDocument], removed: Sequence[str]) -> IndexStats:
        before = _counters(self.blobs)
        path = self.cache_dir / f"new-{new_id()}.sqlite"
        count = build_segment(path, documents, removed)
        segment = self._upload(path, count, base=False)
        while True:
            manifest, etag = self._manifest()
            proposed = Manifest([*manifest.segments, segment], manifest.version + 1)
            proposed, obsolete = self._compacted(proposed)
            if self.blobs.put(MANIFEST, proposed.to_json(), if_match=etag, if_absent=etag is None):
                break
        for old in obsolete:
            self.blobs.delete(old.key)
        return _stats(before, self.blobs, len(documents), len(removed))

    def _compacted(self, manifest: Manifest) -> tuple[Manifest, list[Segment]]:
        deltas = [s for s in manifest.segments if not s.base]
        if len(deltas) <= MAX_DELTAS:
            return manifest, []
        bases = [s for s in manifest.segments if s.base]
        delta_tickets = sum(s.tickets for s in deltas)
        into_base = bool(bases) and delta_tickets * 10 >= sum(s.tickets for s in bases)
        merging = manifest.segments if into_base or not bases else deltas
        path = self.cache_dir / f"merge-{new_id()}.sqlite"
        count = merge_segments(
            path,
            [self._local(s.key) for s in merging],
            keep_tombstones=not into_base and bool(bases),
        )
        merged = self._upload(path, count, base=into_base or not bases)
        kept = [s for s in manifest.segments if s not in merging]
        return Manifest(
            [*kept, merged] if not merged.base else [merged, *kept], manifest.version
        ), merging

    def rebuild(self, documents: Iterable[SearchDocument]) -> IndexStats:
        before = _counters(self.blobs)
        path = self.cache_dir / f"rebuild-{new_id()}.sqlite"
        count = build_segment(path, documents)
        segment = self._upload(path, count, base=True)
        while True:
            manifest, etag = self._manifest()
            if self.blobs.put(
                MANIFEST,
                Manifest([segment], manifest.version + 1).to_json(),
                if_match=etag,
                if_absent=etag is None,
            ):
                break
        for old in manifest.segments:
            self.blobs.delete(old.key)
        return _stats(before, self.blobs, count, 0)

    # -- searching -----------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResult:
        query = parse(request.text)
        for attempt in range(3):
            manifest, _ = self._manifest()
            try:
                with self._searching:
                    return self._search(manifest, query, request)
            except FileNotFoundError:  # a segment merged away since the manifest was read
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _search(self, manifest: Manifest, query: Query, request: SearchRequest) -> SearchResult:
        wanted = request.offset + request.limit
        rows: list[tuple[Any, ...]] = []
        total = 0
        hidden: set[str] = set()
        for segment in reversed(manifest.segments):
            db = self._connection(segment.key)
            found, count = _query_segment(db, query, request, hidden, wanted)
            total += count
            rows.extend((*row, segment.key) for row in found)
            hidden.update(r[0] for r in db.execute("SELECT ticket_id FROM tickets"))
            hidden.update(r[0] for r in db.execute("SELECT ticket_id FROM removed"))
        rows.sort(key=_order(request.sort))
        page = rows[request.offset : wanted]
        hits = [self._hit(row, query, request) for row in page]
        next_offset = wanted if total > wanted else None
        return SearchResult(hits, total, next_offset)

    def _hit(self, row: tuple[Any, ...], query: Query, request: SearchRequest) -> Hit:
        ticket_id, number, subject, status, updated, _created, score, key = row
        db = self._connection(key)
        source, text = "subject", subject
        if query.clauses:
            # The ticket's own texts (an index lookup), the one with the most matches wins:
            # no second full-text query per hit.
            public = " AND public = 1" if request.customer else ""
            texts = db.execute(
                "SELECT source, raw, weight, body, stems FROM texts"  # noqa: S608
                f" WHERE ticket_id = ?{public} ORDER BY id",
                (ticket_id,),
            ).fetchall()
            stems, exact, prefixes = query.highlights()

            def hits(row: tuple[Any, ...]) -> float:
                words, roots = row[3].split(), set(row[4].split())
                found = len(stems & roots) + len(exact.intersection(words))
                found += sum(1 for p in prefixes for w in words if w.startswith(p))
                return found * float(row[2])

            best = max(texts, key=hits, default=None)
            if best is not None and hits(best) > 0:
                source, text = best[0], best[1]
        return Hit(
            ticket_id=ticket_id,
            number=int(number),
            subject=subject,
            status=status,
            updated_at=datetime.fromisoformat(updated.replace("Z", "+00:00")),
            score=float(score),
            source=source,
            snippet=snippet(query, text),
        )


def _order(sort: str) -> Any:
    if sort == "updated":
        return lambda r: (_negate(r[4]), r[0])
    if sort == "created":
        return lambda r: (_negate(r[5]), r[0])
    return lambda r: (r[6], _negate(r[4]), r[0])


def _negate(stamp: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in stamp)


def _query_segment(
    db: sqlite3.Connection,
    query: Query,
    request: SearchRequest,
    hidden: set[str],
    limit: int,
) -> tuple[list[tuple[Any, ...]], int]:
    """The best ``limit`` tickets of one segment and how many match there. The permission and
    every filter are conditions of this one query: nothing is filtered after it."""
    where: list[str] = []
    params: list[Any] = []
    f = request.filters
    for column, value in (
        ("t.priority", f.priority),
        ("t.grp", f.group),
        ("t.assignee", f.assignee),
        ("t.channel", f.channel),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if f.statuses:
        where.append(f"t.status IN ({','.join('?' * len(f.statuses))})")
        params.extend(sorted(f.statuses))
    if f.tag is not None:
        where.append("t.ticket_id IN (SELECT ticket_id FROM tags WHERE tag = ?)")
        params.append(f.tag)
    for column, low, high in (
        ("t.created", f.created_from, f.created_to),
        ("t.updated", f.updated_from, f.updated_to),
    ):
        if low is not None:
            where.append(f"{column} >= ?")
            params.append(_iso(low))
        if high is not None:
            where.append(f"{column} <= ?")
            params.append(_iso(high))
    if query.numbers:
        where.append(f"t.number IN ({','.join('?' * len(query.numbers))})")
        params.extend(query.numbers)
    if request.customer is not None:
        where.append("t.ticket_id IN (SELECT ticket_id FROM people WHERE address = ?)")
        params.append(request.customer)
    if request.only_ticket is not None:
        where.append("t.ticket_id = ?")
        params.append(request.only_ticket)
    if hidden:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS hidden (ticket_id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM temp.hidden")
        db.executemany("INSERT OR IGNORE INTO temp.hidden VALUES (?)", [(h,) for h in hidden])
        where.append("t.ticket_id NOT IN temp.hidden")
    columns = "t.ticket_id, t.number, t.subject, t.status, t.updated, t.created"
    if query.clauses:
        public = " AND x.public = 1" if request.customer is not None else ""
        expressions = query.clause_expressions()
        each = " UNION ALL ".join(
            f"SELECT x.ticket_id AS ticket_id, {n} AS c, bm25(docs) * x.weight AS s"  # noqa: S608
            f" FROM docs JOIN texts x ON x.id = docs.rowid WHERE docs MATCH ?{public}"
            for n in range(len(expressions))
        )
        # Per ticket: the best text of each clause, every clause present. Materialised first
        # (LIMIT/OFFSET): bm25() cannot run inside an aggregate.
        per_clause = (
            f"SELECT ticket_id, c, MIN(s) AS s FROM ({each} LIMIT -1 OFFSET 0)"  # noqa: S608
            " GROUP BY ticket_id, c"
        )
        matched = (
            f"SELECT ticket_id, SUM(s) AS s FROM ({per_clause})"  # noqa: S608
            f" GROUP BY ticket_id HAVING COUNT(*) = {len(expressions)}"
        )
        source = f"({matched}) m JOIN tickets t ON t.ticket_id = m.ticket_id"
        params[:0] = expressions
        score = "MIN(m.s)"
    else:
        source, score = "tickets t", "0.0"
    condition = " AND ".join(where) or "1"
    order = {
        "updated": "t.updated DESC",
        "created": "t.created DESC",
    }.get(request.sort, "score, t.updated DESC")
    # One pass: every matching ticket's key and score (the count is how many), the page cut
    # from it — the work grows with the matches in this segment, the reads with the page.
    found = db.execute(
        f"SELECT {columns}, {score} AS score FROM {source} WHERE {condition}"  # noqa: S608
        f" GROUP BY t.ticket_id ORDER BY {order}",
        params,
    ).fetchall()
    count = len(found)
    found = found[:limit]
    return found, int(count)


def _counters(blobs: Blobs) -> Counters:
    c: Counters = getattr(blobs, "counters", Counters())
    return Counters(c.calls, c.bytes_read, c.bytes_written)


def _stats(before: Counters, blobs: Blobs, tickets: int, removed: int) -> IndexStats:
    after = _counters(blobs)
    return IndexStats(
        tickets=tickets,
        removed=removed,
        bytes_written=after.bytes_written - before.bytes_written,
        calls=after.calls - before.calls,
    )
