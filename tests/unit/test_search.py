"""Ticket search with known answers: every query form, each language family, filters and sorts,
the customer's permission inside the query, removal and merged tickets, segments merging.

The index is the real one (SQLite FTS5 segments, tessera.adapters.search_segments) on a
directory instead of S3; the tickets are the in-memory repository's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.adapters import search_segments
from tessera.adapters.search_segments import DirectoryBlobs, SegmentIndex
from tessera.errors import ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.search import indexing, searching
from tessera.search.model import SearchDocument, SearchFilters, SearchRequest, document
from tessera.search.query import parse
from tessera.tickets.model import Attachment, Message, MessageKind, Priority, Ticket
from tests.factories import stored_ticket
from tests.fakes.memory import InMemoryTicketRepository

AGENT = Principal("alice@example.com", frozenset({Role.AGENT}))
ANA = Principal("ana@customer.test", frozenset({Role.CUSTOMER}))
BEN = Principal("ben@customer.test", frozenset({Role.CUSTOMER}))


class Desk:
    """Tickets in the in-memory repository and the index kept from them."""

    def __init__(self, root: Path) -> None:
        self.tickets = InMemoryTicketRepository()
        self.blobs = DirectoryBlobs(root / "blobs")
        self.index = SegmentIndex(self.blobs, root / "cache")

    def ticket(
        self, subject: str, body: str, requester: str = "ana@customer.test", **fields: object
    ) -> Ticket:
        ticket = stored_ticket(self.tickets, subject=subject, requester=requester, **fields)
        self.say(ticket, body)
        return ticket

    def say(
        self,
        ticket: Ticket,
        text: str,
        kind: MessageKind = MessageKind.PUBLIC,
        files: tuple[str, ...] = (),
    ) -> None:
        current = self.tickets.get(ticket.id)
        attachments = tuple(
            Attachment(f"att/{name}", name, "application/pdf", 10) for name in files
        )
        message = Message(ticket.id, kind, "alice@example.com", text, attachments=attachments)
        self.tickets.add_message(current, message, [])
        indexing.refresh(self.tickets, self.index, [ticket.id])

    def numbers(self, text: str, principal: Principal = AGENT, **values: object) -> list[int]:
        request = SearchRequest(text, **values)  # type: ignore[arg-type]
        result = searching.search_tickets(self.index, principal, request)
        return [hit.number for hit in result.hits]


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(tmp_path)


def test_words_match_every_word_by_their_light_stem(desk: Desk) -> None:
    # Given three tickets
    refund = desk.ticket("Refund request", "I was charged twice and want my money refunded")
    card = desk.ticket("Card declined", "The card was declined at checkout")
    desk.ticket("Printer jam", "Paper stuck in tray two")
    # When agents search words, then each word must match, by stem
    assert desk.numbers("refunds") == [refund.number]
    assert desk.numbers("charging twice") == [refund.number]
    assert desk.numbers("declines") == [card.number]
    assert desk.numbers("card refund") == []


def test_words_may_be_in_different_texts_of_one_ticket(desk: Desk) -> None:
    # Given a ticket whose subject has one word and a later reply another
    ticket = desk.ticket("Lost parcel", "where is it")
    desk.say(ticket, "found the courier")
    desk.ticket("Courier", "nothing else")
    # When both words are searched, then the ticket that has both, in any texts, is found
    assert desk.numbers("parcel courier") == [ticket.number]


def test_phrases_prefixes_numbers_and_addresses(desk: Desk) -> None:
    # Given tickets
    first = desk.ticket("Money back", "please send the money back soon", requester="zoe@x.test")
    second = desk.ticket("Back office", "money is not the issue, back up the files")
    # When an exact phrase, a prefix, a number or an address is searched
    # Then the known tickets are found
    assert desk.numbers('"money back"') == [first.number]
    assert sorted(desk.numbers("mon*")) == sorted([first.number, second.number])
    assert desk.numbers(f"#{second.number}") == [second.number]
    assert desk.numbers(str(second.number)) == [second.number]
    assert desk.numbers("zoe@x.test") == [first.number]
    assert desk.numbers("zoe") == [first.number]


def test_people_are_found_by_the_names_their_mail_gave(desk: Desk) -> None:
    # Given Casey Jones's ticket, and on it a held mail from an outsider who named himself
    casey = desk.ticket(
        "Parcel", "where is it", requester="ana@customer.test", requester_name="Casey Jones"
    )
    desk.ticket("Other", "nothing in common", requester="ben@customer.test")
    current = desk.tickets.get(casey.id)
    held = Message(
        casey.id,
        MessageKind.INTERNAL,
        "eve@evil.test",
        "let me in",
        mail_message_id="<e@evil.test>",
        author_name="Mallory Quint",
    )
    desk.tickets.add_message(current, held, [])
    indexing.refresh(desk.tickets, desk.index, [casey.id])
    # When staff search the last name, the full name as a phrase or the outsider's name
    # Then Casey's ticket is found, from its people
    assert desk.numbers("Jones") == [casey.number]
    assert desk.numbers('"Casey Jones"') == [casey.number]
    assert desk.numbers("quint") == [casey.number]
    assert desk.index.search(SearchRequest("jones")).hits[0].source == "people"
    # And the requester finds it by her name, but never by a name only staff may read
    assert desk.numbers("jones", ANA) == [casey.number]
    assert desk.numbers("quint", ANA) == []


def test_words_only_in_the_html_part_are_found(desk: Desk) -> None:
    # Given a mail whose text and HTML versions differ
    ticket = stored_ticket(desk.tickets, subject="Order", requester="ana@customer.test")
    message = Message(
        ticket.id,
        MessageKind.PUBLIC,
        "ana@customer.test",
        "Please see the table below.",
        html="<p>Please see the table below.</p><table><tr><td>Tracking 9QX7</td></tr></table>",
    )
    desk.tickets.add_message(desk.tickets.get(ticket.id), message, [])
    indexing.refresh(desk.tickets, desk.index, [ticket.id])
    # When a word only the HTML part has is searched, then the ticket is found
    assert desk.numbers("9qx7") == [ticket.number]
    assert desk.numbers("tracking", ANA) == [ticket.number]
    # And a word both versions have is one text's word, not two (the HTML adds no copy)
    [text] = [t for t in _document(desk, ticket.id).texts if t.ref == message.id]
    assert text.text.count("table below") == 1


def _document(desk: Desk, ticket_id: str) -> SearchDocument:
    found = document(desk.tickets.thread(ticket_id))
    assert found is not None
    return found


def test_a_number_alone_finds_its_ticket_before_the_index_has_it(desk: Desk) -> None:
    # Given a ticket the index has not heard of yet (its change is still on the way)
    indexed = desk.ticket("Indexed", "an order 5531 for parts")
    fresh = stored_ticket(desk.tickets, subject="Just opened")
    request = SearchRequest(str(fresh.number))
    assert desk.index.search(request).hits == []
    # When staff search its number, then it is found, first, with the repository's help
    found = searching.search_tickets(desk.index, AGENT, request, desk.tickets)
    assert [h.number for h in found.hits] == [fresh.number]
    assert found.total == 1
    hashed = searching.search_tickets(
        desk.index, AGENT, SearchRequest(f"#{fresh.number}"), desk.tickets
    )
    assert [h.number for h in hashed.hits] == [fresh.number]
    # And a number that is no ticket is a word: it finds the tickets that say it
    other = searching.search_tickets(desk.index, AGENT, SearchRequest("5531"), desk.tickets)
    assert [h.number for h in other.hits] == [indexed.number]
    # And once indexed, it still comes first: before a ticket whose subject is its number
    mentions = desk.ticket(f"Order {fresh.number} {fresh.number}", f"order {fresh.number}")
    indexing.refresh(desk.tickets, desk.index, [fresh.id])
    one = searching.search_tickets(
        desk.index, AGENT, SearchRequest(str(fresh.number), limit=1), desk.tickets
    )
    assert one.hits[0].number == fresh.number
    assert one.total == 2  # counted once, though its place in the index is on a later page
    assert mentions.number in desk.numbers(str(fresh.number))
    # And a customer, a filter or a later page gets only what the index says
    for principal, filtered in (
        (ANA, SearchRequest(str(fresh.number))),
        (AGENT, SearchRequest(str(fresh.number), filters=SearchFilters(priority="low"))),
        (AGENT, SearchRequest(str(fresh.number), offset=25)),
    ):
        hits = searching.search_tickets(desk.index, principal, filtered, desk.tickets).hits
        assert fresh.id not in [h.ticket_id for h in hits]


def test_internal_notes_and_file_names_are_found_by_staff(desk: Desk) -> None:
    # Given a ticket with an internal note and a file
    ticket = desk.ticket("Invoice", "see attached")
    desk.say(ticket, "VIP customer, handle with care", MessageKind.INTERNAL)
    desk.say(ticket, "here it is", files=("statement-march.pdf",))
    # When staff search the note's word and the file's name, then the ticket is found
    assert desk.numbers("vip") == [ticket.number]
    assert desk.numbers("statement") == [ticket.number]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("كتاب علي", "کتاب علی"),  # Arabic kaf and yeh = Persian
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("می\u200cخواهم پول", "میخواهم"),  # ZWNJ: the joined word
        ("می\u200cخواهم پول", "خواهم"),  # ZWNJ: a half
        ("مُحَمَّد", "محمد"),  # harakat
        ("Διεύθυνση ΟΔΟΣ", "διευθυνση οδος"),  # Greek accents, case and final sigma
        ("我想要退款", "退款"),  # Chinese bigram
        ("返金をお願いします", "返金"),  # Japanese
        ("返金をお願いします", "お願い"),
        ("Café crème brûlée", "cafe creme brulee"),  # Latin accents fold
        ("Straße", "strasse"),
    ],
)
def test_each_language_family_is_found_however_it_is_typed(
    desk: Desk, written: str, typed: str
) -> None:
    # Given a ticket written one way and another that does not match
    ticket = desk.ticket("Hello", written)
    desk.ticket("Other", "nothing in common here")
    # When the words are typed another way, then the ticket is found
    assert desk.numbers(typed) == [ticket.number]


def test_relevance_ranks_first_and_recency_breaks_ties(desk: Desk) -> None:
    # Given a ticket about refunds in its subject, and two equal mentions in messages
    older = desk.ticket("Question", "a refund maybe")
    newer = desk.ticket("Question", "a refund maybe")
    strong = desk.ticket("Refund refund", "refund please, the refund")
    # When searched by relevance, then the strong one first, then the newer of the equal two
    assert desk.numbers("refund") == [strong.number, newer.number, older.number]
    # And sorted by creation, newest first
    assert desk.numbers("refund", sort="created") == [strong.number, newer.number, older.number]
    assert desk.numbers("refund", sort="updated")[0] == strong.number


def test_filters_apply_inside_the_search(desk: Desk) -> None:
    # Given refund tickets in two priorities and groups
    urgent = desk.ticket("Refund", "refund", priority=Priority.URGENT.value, group="billing")
    desk.ticket("Refund", "refund", priority=Priority.LOW.value, group="support")
    # When filtered, then only the matching one, and the total counts only it
    assert desk.numbers("refund", filters=SearchFilters(priority="urgent")) == [urgent.number]
    assert desk.numbers("refund", filters=SearchFilters(group="billing")) == [urgent.number]
    result = desk.index.search(SearchRequest("refund", filters=SearchFilters(group="billing")))
    assert result.total == 1


def test_a_customer_finds_only_their_tickets_and_only_public_text(desk: Desk) -> None:
    # Given Ana's ticket with an internal note, and Ben's with the same words
    ana = desk.ticket("Refund", "refund please", requester="ana@customer.test")
    desk.say(ana, "secret refund margin", MessageKind.INTERNAL)
    desk.ticket("Refund", "refund please, secret", requester="ben@customer.test")
    # When each customer searches
    # Then each finds only their own, counted alone, and never a note's words
    result = searching.search_tickets(desk.index, ANA, SearchRequest("refund"))
    assert [h.number for h in result.hits] == [ana.number]
    assert result.total == 1
    assert desk.numbers("secret", ANA) == []
    assert desk.numbers("margin", ANA) == []
    assert len(desk.numbers("secret", BEN)) == 1
    assert all("margin" not in f.text for h in result.hits for f in h.snippet)
    # And a number or address of someone else's ticket finds nothing
    assert desk.numbers("ben@customer.test", ANA) == []


def test_a_participant_finds_the_ticket_they_follow(desk: Desk) -> None:
    ticket = desk.ticket("Shared", "shipping address", participants=["ben@customer.test"])
    assert desk.numbers("shipping", BEN) == [ticket.number]


def test_snippets_mark_the_matched_words_as_text(desk: Desk) -> None:
    # Given a message with markup-looking text
    desk.ticket("Hello", "before <b>refunds</b> & after " + "word " * 60 + "refund end")
    # When searched
    [hit] = desk.index.search(SearchRequest("refund")).hits
    # Then the snippet is text pieces, the matches marked, the markup kept as text
    marked = [f.text for f in hit.snippet if f.match]
    assert marked[0] in {"refunds", "Refund"}
    text = "".join(f.text for f in hit.snippet)
    assert "<b>" in text or hit.source == "subject"


def test_removed_and_merged_tickets_leave_the_index(desk: Desk) -> None:
    # Given two indexed tickets
    gone = desk.ticket("Refund", "refund")
    kept = desk.ticket("Refund", "refund")
    # When one is merged (its trail says so) and the index refreshed
    current = desk.tickets.get(gone.id)
    from tessera.tickets.model import Event

    desk.tickets.record(gone.id, [Event(gone.id, "agent:a", "ticket.merged", "dup", {})])
    desk.tickets.save(current, [])
    indexing.refresh(desk.tickets, desk.index, [gone.id])
    # Then only the other is found
    assert desk.numbers("refund") == [kept.number]


def test_many_small_segments_merge_without_changing_answers(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a low merge threshold and more changes than it
    monkeypatch.setattr(search_segments, "MAX_DELTAS", 2)
    tickets = [desk.ticket(f"Order {i}", f"parcel number {i} lost") for i in range(7)]
    desk.say(tickets[0], "found the parcel again")
    # When searched, then every ticket is there once, with its newest text
    assert sorted(desk.numbers("parcel", limit=50)) == sorted(t.number for t in tickets)
    assert desk.numbers("again") == [tickets[0].number]
    manifest = search_segments.Manifest.from_json(
        (desk.blobs.root / search_segments.MANIFEST).read_bytes()
    )
    assert len([s for s in manifest.segments if not s.base]) <= 3


def test_pages_follow_each_other_without_overlap(desk: Desk) -> None:
    tickets = [desk.ticket("Parcel", "parcel") for _ in range(5)]
    first = desk.index.search(SearchRequest("parcel", limit=2))
    second = desk.index.search(SearchRequest("parcel", limit=2, offset=first.next_offset or 0))
    assert first.total == 5
    numbers = [h.number for h in first.hits + list(second.hits)]  # type: ignore[operator]
    assert len(set(numbers)) == 4
    assert set(numbers) <= {t.number for t in tickets}


def test_bad_queries_are_refused_naming_q() -> None:
    with pytest.raises(ValidationFailed) as error:
        parse("x" * 500)
    assert error.value.field == "q"
    with pytest.raises(ValidationFailed):
        searching.search_tickets(None, AGENT, SearchRequest("!!! ???"))  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as cursor:
        searching.offset_of("bogus")
    assert cursor.value.field == "cursor"


def test_fts_syntax_in_a_query_is_only_text(desk: Desk) -> None:
    desk.ticket("Plain", "NEAR OR AND NOT")
    assert len(desk.numbers('near OR "and" NOT*')) == 1
    assert desk.numbers("body:near") == []
