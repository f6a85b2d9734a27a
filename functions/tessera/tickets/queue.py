"""The agents' workspace: the views of the console's left rail with live counts, a view's
tickets filtered and sorted, a cheap "did anything change?" for polling, and bulk changes.

Every view is one partition (and a range of its sort key) of one index (docs/data-model.md,
patterns 20-27): a page of it is one Query, and its count is one Query (``Select=COUNT``), so
what a view costs grows with the page or the view, never with the table. Filters are applied by
storage to what the partition holds; a sort other than the index's own orders within the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tessera.errors import Conflict, PreconditionFailed, TesseraError, ValidationFailed
from tessera.identity.access import Principal, require_staff
from tessera.ports import Dependencies, Selection
from tessera.sla import clocks as sla_clocks
from tessera.sla.clocks import next_breach
from tessera.tickets import conversation, reading
from tessera.tickets.model import Priority, Status, Ticket, utcnow
from tessera.tickets.stages import OPEN, SOLVED, WAITING, stage_of, statuses_of

# A running target breached within this long is "breaching". SLA policies warn at a share of
# each target's goal (``warn_at: 75%``, docs/sla.md), which is a different time for every
# ticket; one fixed window keeps the view one key range of one index.
BREACHING_WINDOW = timedelta(minutes=60)
SOLVED_WITHIN = timedelta(days=7)  # the "solved" view: solved tickets changed this recently
COUNT_CAP = 1000  # a count reads at most this many index entries; more is "at least 1000"

VIEWS = ("all", "mine", "group", "unassigned", "pending", "breaching", "breached", "solved")
SORTS = ("updated", "created", "sla_due", "priority")
BULK_FIELDS = frozenset({"status", "priority", "group", "assignee", "add_tags"})
BULK_LIMIT = 100
_PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
_TAG_RETRIES = 5
_NATURAL = {"sla": "sla_due", "created": "created"}  # a listing's own order; others: updated


@dataclass(frozen=True)
class Filters:
    """What narrows a view: any of ``statuses`` (of one stage), and the other fields equal."""

    statuses: frozenset[Status] = frozenset()
    priority: Priority | None = None
    tag: str | None = None
    group: str | None = None
    assignee: str | None = None


@dataclass(frozen=True)
class Listing:
    """One page of a view, and how it is ordered: by the index across pages
    (``ordered_by_index``) or, for another sort, within this page only."""

    items: Sequence[Ticket]
    cursor: str | None
    sort: str
    ordered_by_index: bool


@dataclass(frozen=True)
class View:
    """One entry of the console's left rail: its tickets are ``GET /api/tickets?<query>``."""

    id: str
    label_key: str
    count: int
    capped: bool  # the count stopped at COUNT_CAP: there are at least ``count``
    query: str
    group: str | None = None


@dataclass(frozen=True)
class BulkOutcome:
    """What one ticket of a bulk change came to: the changed ticket, or the domain error."""

    ref: str
    ticket: Ticket | None = None
    error: TesseraError | None = None


@dataclass(frozen=True)
class _ViewSpec:
    id: str
    label_key: str
    query: Mapping[str, str]
    group: str | None = None
    filters: Filters = field(default_factory=Filters)


# ------------------------------------------------------------------------------ selections


def my_groups(deps: Dependencies, principal: Principal) -> frozenset[str]:
    """The groups the routing directory (the ``groups`` config) lists the principal in; an
    admin in none: every group of the directory."""
    directory = deps.config().get("groups")
    if directory is None:
        return frozenset()
    mine = frozenset(
        g for agent in directory.agents if agent.email == principal.email for g in agent.groups
    )
    if not mine and principal.is_admin:
        return frozenset(directory.groups)
    return mine


def _stage(filters: Filters, default: str) -> str:
    stages = {stage_of(s) for s in filters.statuses}
    if len(stages) > 1:
        raise ValidationFailed(
            "status", "must be statuses of one stage: new,open | pending,on-hold | solved | closed"
        )
    return stages.pop() if stages else default


def _only(stage: str, filters: Filters, view: str) -> None:
    if filters.statuses and not filters.statuses <= statuses_of(stage):
        allowed = ",".join(sorted(statuses_of(stage)))
        raise ValidationFailed("status", f"view={view} lists {allowed} only")


def selection(
    deps: Dependencies,
    principal: Principal,
    *,
    view: str,
    group: str | None,
    filters: Filters,
    now: datetime,
) -> Selection | None:
    """The one index partition (and range) a view reads, with its filters; None for a view that
    is empty without reading (unassigned for someone in no group)."""
    narrow: dict[str, Any] = {
        "statuses": filters.statuses,
        "priority": filters.priority.value if filters.priority else None,
        "tag": filters.tag,
        "assignee": filters.assignee,
    }
    if view == "all":
        if not filters.statuses:
            return Selection("every", "ticket", group=filters.group, **narrow)
        stage = _stage(filters, OPEN)
        if filters.assignee:  # one agent's tickets: their own partition, not the whole stage
            key = f"{filters.assignee}#{stage}"
            return Selection("assignee", key, group=filters.group, **narrow)
        return Selection("stage", stage, group=filters.group, **narrow)
    if view == "mine":
        stage = _stage(filters, OPEN)
        key = f"{principal.email}#{stage}"
        return Selection("assignee", key, group=filters.group, **narrow)
    if view in {"group", "unassigned"} and group is not None:
        stage = _stage(filters, OPEN)
        unassigned = view == "unassigned"
        return Selection("group", f"{group}#{stage}", unassigned=unassigned, **narrow)
    if view == "group":
        raise ValidationFailed("group", "is required for view=group")
    if view == "unassigned":
        _only(OPEN, filters, "unassigned without a group")
        groups = my_groups(deps, principal)
        if filters.group is not None:
            groups = groups & {filters.group}
        if not groups:
            return None
        return Selection("unassigned", OPEN, groups=groups, **narrow)
    if view == "pending":
        _only(WAITING, filters, view)
        return Selection("stage", WAITING, group=filters.group, **narrow)
    if view == "solved":
        _only(SOLVED, filters, view)
        return Selection("stage", SOLVED, since=now - SOLVED_WITHIN, group=filters.group, **narrow)
    if view == "breaching":
        since = now + timedelta(microseconds=1)
        until = now + BREACHING_WINDOW
        return Selection("sla", "running", since=since, until=until, group=filters.group, **narrow)
    if view == "breached":
        return Selection("sla", "running", until=now, group=filters.group, **narrow)
    raise ValidationFailed("view", f"must be one of {', '.join(VIEWS)}")


# ------------------------------------------------------------------------------ use cases


def listing(
    deps: Dependencies,
    principal: Principal,
    *,
    view: str,
    group: str | None = None,
    filters: Filters = Filters(),
    sort: str | None = None,
    limit: int,
    cursor: str | None = None,
    now: datetime | None = None,
) -> Listing:
    """A view's tickets, one page: one Query on one index. ``sort`` defaults to the index's
    order (the last change, newest first; for breaching and breached the SLA due time,
    earliest first), which holds across pages; so does ``created`` for every ticket (view
    ``all`` without a status); another sort orders the page."""
    require_staff(principal)
    if sort is not None and sort not in SORTS:
        raise ValidationFailed("sort", f"must be one of {', '.join(SORTS)}")
    chosen = selection(
        deps, principal, view=view, group=group, filters=filters, now=now or utcnow()
    )
    if chosen is not None and chosen.listing == "every" and sort == "created":
        chosen = replace(chosen, listing="created")  # every ticket has an index by creation
    natural = _NATURAL.get(chosen.listing if chosen is not None else "", "updated")
    sort = sort or natural
    if chosen is None:
        return Listing(items=[], cursor=None, sort=sort, ordered_by_index=True)
    page = deps.tickets.select(chosen, limit=limit, cursor=cursor)
    items = list(page.items)
    if sort != natural:
        items = sort_page(items, sort)
    return Listing(items=items, cursor=page.cursor, sort=sort, ordered_by_index=sort == natural)


def sort_page(tickets: Sequence[Ticket], sort: str) -> list[Ticket]:
    """``tickets`` by ``sort``: updated and created newest first, sla_due earliest first (none
    last), priority urgent first (then newest change first)."""
    by_update = sorted(tickets, key=lambda t: (t.updated_at, t.id), reverse=True)
    if sort == "updated":
        return by_update
    if sort == "created":
        return sorted(tickets, key=lambda t: (t.created_at, t.id), reverse=True)
    if sort == "priority":
        return sorted(by_update, key=lambda t: _PRIORITY_RANK[t.priority])

    def due(t: Ticket) -> tuple[bool, datetime, str]:
        at = next_breach(t)
        return (at is None, at or t.updated_at, t.id)

    return sorted(tickets, key=due)


def views(deps: Dependencies, principal: Principal, *, now: datetime | None = None) -> list[View]:
    """The caller's views with their counts, in the console's order: mine, unassigned (in my
    groups), one per group of mine, pending (and on hold), breaching, breached, solved (last 7
    days), all (open). Each count is one Query."""
    require_staff(principal)
    now = now or utcnow()
    groups = sorted(my_groups(deps, principal))
    specs = [
        _ViewSpec("mine", "views.mine", {"view": "mine"}),
        _ViewSpec("unassigned", "views.unassigned", {"view": "unassigned"}),
        *(
            _ViewSpec(f"group:{g}", "views.group", {"view": "group", "group": g}, group=g)
            for g in groups
        ),
        _ViewSpec("pending", "views.pending", {"view": "pending"}),
        _ViewSpec("breaching", "views.breaching", {"view": "breaching"}),
        _ViewSpec("breached", "views.breached", {"view": "breached"}),
        _ViewSpec("solved", "views.solved", {"view": "solved"}),
        _ViewSpec(
            "all",
            "views.all",
            {"view": "all", "status": "new,open"},
            filters=Filters(statuses=statuses_of(OPEN)),
        ),
    ]
    result = []
    for spec in specs:
        chosen = selection(
            deps,
            principal,
            view=spec.query["view"],
            group=spec.group,
            filters=spec.filters,
            now=now,
        )
        count, capped = (0, False) if chosen is None else deps.tickets.count(chosen, cap=COUNT_CAP)
        result.append(
            View(
                id=spec.id,
                label_key=spec.label_key,
                count=count,
                capped=capped,
                query=urlencode(spec.query),
                group=spec.group,
            )
        )
    return result


def changes(
    deps: Dependencies, principal: Principal, since: datetime
) -> tuple[bool, datetime | None]:
    """Whether any ticket changed after ``since``, and when the latest change was: one Query
    of one item, so the console reloads its list and counts only when something changed."""
    require_staff(principal)
    latest = deps.tickets.latest_change()
    return latest is not None and latest > since, latest


def bulk(
    deps: Dependencies, principal: Principal, refs: Sequence[str], changes: Mapping[str, Any]
) -> list[BulkOutcome]:
    """Apply ``changes`` (status, priority, group, assignee, add_tags) to each ticket (by id or
    number) through :func:`tessera.tickets.conversation.update`, so each change is audited as
    its own event with the reason ``bulk``. A ticket that fails (not found, a forbidden status
    change, a lost race) is reported as such; the others still change."""
    require_staff(principal)
    if not refs:
        raise ValidationFailed("ids", "must name at least one ticket")
    if len(refs) > BULK_LIMIT:
        raise ValidationFailed("ids", f"must name at most {BULK_LIMIT} tickets")
    unknown = set(changes) - BULK_FIELDS
    if unknown:
        raise ValidationFailed(f"changes.{sorted(unknown)[0]}", "cannot be changed in bulk")
    if not changes:
        raise ValidationFailed("changes", "must change something")
    outcomes = []
    for ref in refs:
        try:
            outcomes.append(BulkOutcome(ref, ticket=_change_one(deps, principal, ref, changes)))
        except TesseraError as error:
            outcomes.append(BulkOutcome(ref, error=error))
    return outcomes


def _change_one(
    deps: Dependencies, principal: Principal, ref: str, changes: Mapping[str, Any]
) -> Ticket:
    values = {k: v for k, v in changes.items() if k != "add_tags"}
    add_tags = list(changes.get("add_tags") or ())
    if not add_tags:
        return conversation.update(
            deps, principal, ref, values, expected_version=None, reason="bulk"
        )
    # The new tags depend on the ones read: write them over that version only, and read again
    # when another change came first (a tag added meanwhile is kept).
    for _ in range(_TAG_RETRIES):
        ticket = reading.find_ticket(deps, principal, ref)
        tags = sorted(set(ticket.tags) | {t.strip().lower() for t in add_tags if t.strip()})
        try:
            return conversation.update(
                deps,
                principal,
                ticket.id,
                {**values, "tags": tags},
                expected_version=ticket.version,
                reason="bulk",
            )
        except PreconditionFailed:
            continue
    raise Conflict(f"ticket {ref} kept changing; try again")


def reindex(deps: Dependencies, *, page_size: int = 100) -> tuple[int, int]:
    """Save every ticket once (an operator's migration, ``tessera tickets reindex``; never on a
    request path): a ticket stored before the workspace's indexes carries none of their keys,
    and an SLA state from before ``breach_at`` none of its own, until its next save. The SLA
    clocks are refreshed (idempotent for ``changed``) and saved with it. Reads every ticket
    page by page (``ByKind``); a ticket saved meanwhile is skipped (that save indexed it).
    Returns (saved, skipped)."""
    saved = skipped = 0
    cursor = None
    while True:
        page = deps.tickets.recent(limit=page_size, cursor=cursor)
        for ticket in page.items:
            events = sla_clocks.refresh(deps, ticket, trigger="changed", now=utcnow())
            try:
                deps.tickets.save(ticket, events)
                saved += 1
            except Conflict:
                skipped += 1
        if page.cursor is None:
            return saved, skipped
        cursor = page.cursor
