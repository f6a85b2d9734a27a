"""Reports on the fakes: the golden month's every figure (worked out by hand below), replays that
change nothing, the error bound of the percentiles, the window in a time zone, CSV.

Hand computation (business calendar Mon-Fri 09-17 UTC, Thursday 26 November a holiday):
- t1 first response Fri 16:00 -> Mon 10:00: 66 h = 237,600 s calendar; business Fri 16-17 +
  Mon 09-10 = 2 h = 7,200 s. Solved Mon 11:00: 67 h = 241,200 s; business 3 h = 10,800 s.
- t2 first response Wed 16:30 -> Fri 09:30: 41 h = 147,600 s; business Wed 0.5 h + Thu holiday
  + Fri 0.5 h = 3,600 s. Reopened Sat, solved again Mon 30th 10:00: 113.5 h = 408,600 s;
  business Wed 0.5 h + Fri 8 h + Mon 1 h = 9.5 h = 34,200 s.
- t2 next reply: the customer wrote Sat 28th 08:00 after the first response, answered Mon 30th
  09:15: 49 h 15 min = 177,300 s calendar; business Mon 09:00-09:15 = 900 s. t1 has none (no
  customer message after its first response).
- Tags: invoice = t1 + t2 (created 2, solved 2), vip = t1 (1, 1), none = t3, t4 (created 2):
  the rows add up to 5 created for 4 tickets, as t1 counts in both of its tags' rows.
- Domains: acme.test = t1, t3, t4 (created 3, solved 1); beta.test = t2 (the address's
  "Beta.test" lower-cased; created 1, solved 1). Mailboxes: billing@example.com = t1; none = the
  other three.
- Nearest rank of two values: the median is the smaller, p90 the larger.
- Time to assign: t1 600 s, t2 600 s, t3 3,600 s -> median 600, p90 3,600.
"""

from __future__ import annotations

from typing import Any

import pytest

from tessera.errors import ValidationFailed
from tessera.reports import aggregates, histogram
from tessera.reports.aggregates import count_ticket, rebuild, update_from_changes
from tessera.reports.summary import (
    comments,
    safe_cell,
    summary,
    summary_csv,
    ticket_list_csv,
    window,
)
from tests.fakes.memory import InMemoryTicketRepository
from tests.fakes.reports import InMemoryAggregateStore
from tests.reports_month import MonthBuilder, build_month, sla_config

NOVEMBER = ("2026-11-01", "2026-11-30")


def close(value: float | None, exact: float) -> bool:
    assert value is not None
    return abs(value - exact) <= exact * histogram.RELATIVE_ERROR


@pytest.fixture
def month() -> tuple[InMemoryTicketRepository, InMemoryAggregateStore, dict[str, Any]]:
    tickets = InMemoryTicketRepository()
    named = build_month(tickets)
    store = InMemoryAggregateStore()
    for ticket in named.values():
        count_ticket(store, tickets, sla_config(), ticket.id)
    return tickets, store, named


def test_the_golden_months_totals_match_the_hand_computed_figures(month: Any) -> None:
    # Given the golden month counted ticket by ticket
    _, store, _ = month
    # When November is summarised in UTC
    totals = summary(store, window(*NOVEMBER, "UTC"))["totals"]
    # Then every figure is the hand-computed one
    assert (totals["created"], totals["solved"], totals["reopened"], totals["merged"]) == (
        4,
        2,
        1,
        1,
    )
    fr, res = totals["first_response"], totals["resolution"]
    assert close(fr["median_s"], 147_600)
    assert close(fr["p90_s"], 237_600)
    assert fr["mean_s"] == 192_600
    assert close(fr["business_median_s"], 3_600)
    assert close(fr["business_p90_s"], 7_200)
    assert close(res["median_s"], 241_200)
    assert close(res["p90_s"], 408_600)
    assert close(res["business_median_s"], 10_800)
    assert close(res["business_p90_s"], 34_200)
    assert res["business_mean_s"] == (10_800 + 34_200) / 2
    nr = totals["next_reply"]
    assert close(nr["median_s"], 177_300)
    assert close(nr["p90_s"], 177_300)
    assert nr["mean_s"] == 177_300
    assert close(nr["business_median_s"], 900)
    assert nr["business_mean_s"] == 900
    assert totals["fcr_rate"] == 0.5
    assert totals["reopen_rate"] == 0.5
    assert totals["replies_per_ticket"] == 1.5
    tta = totals["time_to_assign"]
    assert close(tta["median_s"], 600)
    assert close(tta["p90_s"], 3_600)
    # the rating changed from 5 to 4: the latest counts, still satisfied
    assert totals["csat"] == {
        "responses": 1,
        "satisfied_rate": 1.0,
        "scores": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
    }
    assert totals["sla"] == {"attained_rate": 0.5, "measured": 2, "breached": 1}


def test_a_ticket_moved_between_groups_counts_under_its_current_group(month: Any) -> None:
    _, store, _ = month
    rows = {r["key"]: r for r in summary(store, window(*NOVEMBER, "UTC"), group_by="group")["rows"]}
    assert set(rows) == {"billing", "tech"}
    assert (rows["billing"]["created"], rows["billing"]["solved"]) == (2, 1)
    assert rows["billing"]["merged"] == 1
    assert rows["billing"]["fcr_rate"] == 1.0
    assert (rows["tech"]["created"], rows["tech"]["solved"], rows["tech"]["reopened"]) == (2, 1, 1)
    assert rows["tech"]["fcr_rate"] == 0.0
    assert rows["tech"]["first_response"]["median_s"] is not None


def test_a_ticket_with_several_tags_counts_in_each_tags_row(month: Any) -> None:
    # Given t1 tagged invoice and vip, t2 tagged invoice, t3 and t4 untagged
    _, store, named = month
    w = window(*NOVEMBER, "UTC")
    # When November is grouped by tag
    rows = {r["key"]: r for r in summary(store, w, group_by="tag")["rows"]}
    # Then t1 is in both of its tags' rows, and the totals still count each ticket once
    assert {k: (r["created"], r["solved"]) for k, r in rows.items()} == {
        "invoice": (2, 2),
        "vip": (1, 1),
        "-": (2, 0),
    }
    assert close(rows["invoice"]["next_reply"]["median_s"], 177_300)
    assert rows["vip"]["next_reply"]["median_s"] is None
    assert summary(store, w, group_by="tag")["totals"]["created"] == 4
    # and the tickets behind a tag's number are the tickets that have the tag
    listed = list(ticket_list_csv(store, w, metric="solved", dimension="tag", value="vip"))
    assert [line.split(",")[1] for line in listed[1:]] == [named["t1"].id]


def test_requester_domain_and_mailbox_rows(month: Any) -> None:
    _, store, _ = month
    w = window(*NOVEMBER, "UTC")
    domains = {r["key"]: r for r in summary(store, w, group_by="domain")["rows"]}
    assert {k: (r["created"], r["solved"]) for k, r in domains.items()} == {
        "acme.test": (3, 1),
        "beta.test": (1, 1),
    }
    mailboxes = {r["key"]: r["created"] for r in summary(store, w, group_by="mailbox")["rows"]}
    assert mailboxes == {"billing@example.com": 1, "-": 3}


def test_agents_rows_and_an_agents_own_numbers(month: Any) -> None:
    _, store, _ = month
    w = window(*NOVEMBER, "UTC")
    rows = {r["key"]: r for r in summary(store, w, group_by="agent")["rows"]}
    assert set(rows) == {"alice@example.com", "bahram@example.com", "eleni@example.com", "-"}
    own = summary(store, w, group_by="agent", only="bahram@example.com")
    assert [r["key"] for r in own["rows"]] == ["bahram@example.com"]
    assert own["totals"]["created"] == 1
    assert own["totals"]["reopened"] == 1


def test_nothing_to_measure_is_null() -> None:
    store = InMemoryAggregateStore()
    totals = summary(store, window(*NOVEMBER, "UTC"))["totals"]
    assert totals["created"] == 0
    assert totals["first_response"]["median_s"] is None
    assert totals["fcr_rate"] is None
    assert totals["csat"]["satisfied_rate"] is None
    assert totals["sla"]["attained_rate"] is None


def test_the_window_is_the_local_days_of_the_zone(month: Any) -> None:
    # t5 was opened 31 October 23:30 UTC: 1 November 01:30 in Athens
    _, store, _ = month
    assert summary(store, window("2026-11-01", "2026-11-01", "UTC"))["totals"]["created"] == 0
    athens = summary(store, window("2026-11-01", "2026-11-01", "Europe/Athens"))
    assert athens["totals"]["created"] == 1
    # t2 was opened 25 November 16:30 UTC: 26 November 05:30 in Auckland
    auckland = summary(store, window("2026-11-26", "2026-11-26", "Pacific/Auckland"))
    assert auckland["totals"]["created"] == 1


def test_a_series_per_week_adds_up_to_the_totals(month: Any) -> None:
    _, store, _ = month
    answer = summary(store, window(*NOVEMBER, "UTC"), interval="week")
    assert [p["period"] for p in answer["series"]][:2] == ["2026-10-26", "2026-11-02"]
    assert sum(p["created"] for p in answer["series"]) == answer["totals"]["created"]
    daily = summary(store, window(*NOVEMBER, "UTC"), interval="day")["series"]
    assert len(daily) == 30
    assert next(p for p in daily if p["period"] == "2026-11-28")["reopened"] == 1


def test_replayed_changes_count_nothing_twice(month: Any) -> None:
    # Given the month counted once
    tickets, store, named = month
    before = store.nonzero()
    writes = store.writes
    # When every ticket's changes arrive again, some twice in one batch
    keys = [
        {"pk": f"T#{t.id}", "sk": sk}
        for t in named.values()
        for sk in ("#TICKET", "M#x", "#TICKET")
    ]
    keys.append({"pk": "RPT#channel#2026-11", "sk": "06T16|email"})
    moved = update_from_changes(store, tickets, sla_config(), keys)
    # Then nothing moved and nothing was written
    assert moved == 0
    assert store.writes == writes
    assert store.nonzero() == before


def test_a_rebuild_from_scratch_equals_the_incremental_aggregates(month: Any) -> None:
    tickets, store, _ = month
    fresh = InMemoryAggregateStore()
    progress: list[tuple[int, int]] = []
    result = rebuild(
        fresh, tickets, sla_config(), progress=lambda r, c: progress.append((r, c)), page_size=2
    )
    assert (result.read, result.changed) == (5, 5)
    assert progress[-1] == (5, 5)
    assert len(progress) == 3
    assert fresh.nonzero() == store.nonzero()
    assert fresh.documents == store.documents


def test_a_rebuild_since_a_date_reads_only_the_newer_tickets(month: Any) -> None:
    tickets, store, named = month
    result = rebuild(store, tickets, sla_config(), since=named["t2"].created_at)
    assert (result.read, result.changed) == (1, 0)


def test_a_large_difference_is_written_in_two_transactions(
    month: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a limit so small that moving t1 to another agent needs the two-step write
    tickets, store, named = month
    monkeypatch.setattr(aggregates, "MAX_ITEMS", 4)
    from tests.reports_month import MonthBuilder

    MonthBuilder(tickets).change(named["t1"], "2026-11-12T10:00", assignee="eleni@example.com")
    writes = store.writes
    # When it is counted again
    assert count_ticket(store, tickets, sla_config(), named["t1"].id)
    # Then it took two writes, and the aggregates are what a rebuild makes
    assert store.writes == writes + 2
    fresh = InMemoryAggregateStore()
    rebuild(fresh, tickets, sla_config())
    assert fresh.nonzero() == store.nonzero()


def changed_keys(named: dict[str, Any]) -> list[dict[str, str]]:
    return [{"pk": f"T#{t.id}", "sk": "#TICKET"} for t in named.values()]


def test_a_batchs_tickets_are_written_together_and_count_as_one_by_one(month: Any) -> None:
    # Given the golden month counted one ticket at a time, and an empty store
    tickets, one_by_one, named = month
    together = InMemoryAggregateStore()
    # When one batch of the change feed names all five tickets
    moved = update_from_changes(together, tickets, sla_config(), changed_keys(named))
    assert moved == 5
    # Then they were written in fewer transactions than tickets (t1 and t2 count in many hours:
    # 44 and 49 items alone), none larger than DynamoDB takes, fewer items in all
    assert one_by_one.transactions == [44, 49, 20, 11, 11]
    assert together.transactions == [93, 42]
    # and the aggregates are the same as counting each ticket alone
    assert together.nonzero() == one_by_one.nonzero()
    assert together.documents == one_by_one.documents
    assert {t: a.revision for t, a in together.tickets.items()} == {t.id: 1 for t in named.values()}


def test_a_batch_larger_than_a_transaction_is_split(
    month: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets, one_by_one, named = month
    monkeypatch.setattr(aggregates, "MAX_ITEMS", 50)
    together = InMemoryAggregateStore()
    assert update_from_changes(together, tickets, sla_config(), changed_keys(named)) == 5
    assert together.transactions == [44, 49, 42]  # t3, t4 and t5 still fit in one
    assert together.nonzero() == one_by_one.nonzero()
    assert together.documents == one_by_one.documents


class CountedMeanwhile(InMemoryAggregateStore):
    """A store on which another writer counts ``ticket_id`` between the batch's read of the
    revisions and its write (as a replayed batch running at once would)."""

    def __init__(self, tickets: InMemoryTicketRepository, ticket_id: str) -> None:
        super().__init__()
        self.other = (tickets, ticket_id)

    def applied(self, ticket_ids: Any) -> Any:
        found = super().applied(ticket_ids)
        if len(ticket_ids) > 1 and self.other is not None:
            tickets, ticket_id = self.other
            self.other = None
            count_ticket(self, tickets, sla_config(), ticket_id)
        return found


def test_a_ticket_counted_meanwhile_sends_the_batch_ticket_by_ticket(month: Any) -> None:
    # Given another writer that counts t3 after the batch read the revisions
    tickets, one_by_one, named = month
    store = CountedMeanwhile(tickets, named["t3"].id)
    # When the batch of all five is counted
    moved = update_from_changes(store, tickets, sla_config(), changed_keys(named))
    # Then its transaction was refused, and each ticket was counted on its own: t3 (counted
    # already) moved nothing, the others once; the figures are those of counting one by one
    assert moved == 4
    assert len(store.transactions) > 2
    assert store.nonzero() == one_by_one.nonzero()
    assert store.documents == one_by_one.documents
    assert {a.revision for a in store.tickets.values()} == {1}


class ChangedAndCountedMeanwhile(InMemoryAggregateStore):
    """A store on which, just before the batch's first write, the ticket changes and another
    writer counts its new state: the batch's threads are older than that count."""

    def __init__(self, tickets: InMemoryTicketRepository, ticket: Any) -> None:
        super().__init__()
        self.other: tuple[InMemoryTicketRepository, Any] | None = (tickets, ticket)

    def write(self, writes: Any) -> None:
        if self.other is not None:
            tickets, ticket = self.other
            self.other = None
            MonthBuilder(tickets).change(ticket, "2026-11-20T10:00", group="sales")
            count_ticket(self, tickets, sla_config(), ticket.id)
        super().write(writes)


def test_a_batch_never_writes_a_state_older_than_one_counted_meanwhile(month: Any) -> None:
    # Given a batch of all five tickets, and t3 moved to sales and counted by another writer
    # after the batch read its thread but before it wrote
    tickets, _, named = month
    store = ChangedAndCountedMeanwhile(tickets, named["t3"])
    update_from_changes(store, tickets, sla_config(), changed_keys(named))
    # Then the aggregates are those of the tickets as they are now (t3 in sales), not of the
    # batch's older read of t3
    fresh = InMemoryAggregateStore()
    rebuild(fresh, tickets, sla_config())
    assert store.nonzero() == fresh.nonzero()
    assert store.documents == fresh.documents
    assert any(k.endswith("|group|sales") for k in store.nonzero())


def test_csat_comments_newest_first_and_per_agent(month: Any) -> None:
    _, store, _ = month
    w = window(*NOVEMBER, "UTC")
    found = comments(store, w)
    assert [(c["number"], c["score"], c["comment"]) for c in found] == [
        (found[0]["number"], 4, "Quick, but I had to ask twice")
    ]
    assert comments(store, w, only="bahram@example.com") == []


def test_the_summary_as_csv_has_a_header_rows_and_totals(month: Any) -> None:
    _, store, _ = month
    lines = list(summary_csv(summary(store, window(*NOVEMBER, "UTC"), group_by="group")))
    assert lines[0].startswith("key,created,solved,reopened,first_response_median_s")
    assert [line.split(",")[0] for line in lines[1:]] == ["billing", "tech", "total"]
    assert lines[-1].split(",")[1:4] == ["4", "2", "1"]
    header = lines[0].strip().split(",")
    assert "next_reply_median_s" in header
    assert "next_reply_business_p90_s" in header
    total = dict(zip(header, lines[-1].strip().split(","), strict=True))
    assert close(float(total["next_reply_business_median_s"]), 900)


def test_the_tickets_behind_a_number_as_csv(month: Any) -> None:
    _, store, named = month
    w = window(*NOVEMBER, "UTC")
    rows = list(ticket_list_csv(store, w, metric="created", dimension="group", value="tech"))
    assert rows[0].startswith("hour,ticket_id,number,agent,group")
    assert {r.split(",")[1] for r in rows[1:]} == {named["t2"].id, named["t3"].id}
    solved = list(ticket_list_csv(store, w, metric="solved", dimension=None, value=None))
    assert len(solved) == 3


@pytest.mark.parametrize(
    "formula",
    [
        '=HYPERLINK("http://evil.test","x")',
        "+1+1",
        "-1+cmd|' /C calc'!A0",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
    ],
)
def test_a_formula_in_a_cell_is_defused(formula: str) -> None:
    # Given untrusted text that a spreadsheet would run (a requester's address is one)
    # When it is written as a CSV cell
    # Then it starts with a quote: the spreadsheet shows it as text
    assert safe_cell(formula) == "'" + formula


@pytest.mark.parametrize(
    ("value", "written"),
    [("-", "-"), ("=", "="), ("dana@acme.test", "dana@acme.test"), (12, "12"), (None, "")],
)
def test_a_cell_that_starts_no_formula_is_written_as_it_is(value: object, written: str) -> None:
    # Given the "none" placeholder, a lone sign, an address, a number, nothing
    # When each is written as a CSV cell
    # Then it is unchanged (None: empty): a sign alone is no formula
    assert safe_cell(value) == written


def test_the_none_placeholder_stays_plain_and_every_csv_ends_with_a_newline(month: Any) -> None:
    # Given the golden month (t4 has no agent, language, tag or mailbox)
    _, store, named = month
    w = window(*NOVEMBER, "UTC")
    # When the tickets behind "created" and the summary by agent are written as CSV
    listed = "".join(ticket_list_csv(store, w, metric="created", dimension=None, value=None))
    by_agent = "".join(summary_csv(summary(store, w, group_by="agent")))
    # Then t4's empty dimensions are a plain "-", as is the agent row's key
    header, *lines = listed.splitlines()
    t4 = dict(
        zip(
            header.split(","), next(x for x in lines if named["t4"].id in x).split(","), strict=True
        )
    )
    assert (t4["agent"], t4["language"], t4["tag"], t4["mailbox"]) == ("-", "-", "-", "-")
    assert [line.split(",")[0] for line in by_agent.splitlines()][1] == "-"
    assert "'-" not in listed + by_agent
    # And each file ends with a line break (a last line without one is dropped by some tools)
    assert listed.endswith("\r\n")
    assert by_agent.endswith("\r\n")


def test_a_value_every_ticket_has_left_shows_no_row_of_zeros(month: Any) -> None:
    # Given the golden month, and t3 moved to a new group "sales" and back to tech, counted after
    # each move: the sales items stay in the store, their counters back at zero
    tickets, store, named = month
    builder = MonthBuilder(tickets)
    for group in ("sales", "tech"):
        builder.change(named["t3"], "2026-11-04T09:00", actor="eleni", group=group)
        count_ticket(store, tickets, sla_config(), named["t3"].id)
    left = [c for k, c in store.counters.items() if k.split("|")[1:] == ["group", "sales"]]
    assert left
    assert all(n == 0 for c in left for n in c.values())
    # When November is summarised by group, as JSON and as CSV
    answer = summary(store, window(*NOVEMBER, "UTC"), group_by="group")
    # Then sales has no row (it counts nothing); the groups with tickets and the totals remain
    assert [r["key"] for r in answer["rows"]] == ["billing", "tech"]
    assert [line.split(",")[0] for line in summary_csv(answer)][1:] == ["billing", "tech", "total"]
    assert answer["totals"]["created"] == 4


@pytest.mark.parametrize(
    ("first", "last", "tz", "field"),
    [
        ("2026-11-01", "2026-11-30", "Mars/Olympus", "tz"),
        ("2026-13-01", "2026-11-30", "UTC", "from"),
        ("2026-11-02", "2026-11-01", "UTC", "to"),
        ("2020-01-01", "2026-11-01", "UTC", "to"),
    ],
)
def test_a_bad_window_names_its_parameter(first: str, last: str, tz: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        window(first, last, tz)
    assert refused.value.field == field


def test_the_histograms_error_bound_holds_for_every_duration() -> None:
    for seconds in [1, 2, 7, 59, 60, 61, 3_599, 86_400, 1_000_003, 31_000_000]:
        got = histogram.quantile({histogram.bucket(seconds): 1}, 0.5)
        assert close(got, seconds), seconds
    assert histogram.quantile({}, 0.5) is None
