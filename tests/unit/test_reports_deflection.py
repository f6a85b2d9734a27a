"""KB deflection on the dashboard: the knowledge base's feedback counters summed (votes,
searches, tickets opened after viewing), the most frequent searches with no result first; leads
and admins only."""

from __future__ import annotations

import pytest

from tessera.errors import Forbidden
from tessera.identity.access import Principal, Role
from tessera.kb.feedback import ArticleView, searched, ticket_opened, vote
from tessera.reports.deflection import deflection
from tests.fakes.kb import MemoryFeedbackStore

LEAD = Principal("lena@example.com", frozenset({Role.LEAD, Role.AGENT}))
AGENT = Principal("alice@example.com", frozenset({Role.AGENT}))


def test_votes_deflections_searches_and_tickets_after_view_add_up() -> None:
    # Given three votes on two articles (one a deflection from the ticket form), four searches
    # in two languages of which three found nothing, two of those the same words spelled
    # differently, and two tickets opened after viewing articles (one after two of them)
    store = MemoryFeedbackStore()
    vote(store, language="en", article="reset-password", helpful=True, source="ticket-form")
    vote(store, language="en", article="reset-password", helpful=True, source="article")
    vote(store, language="el", article="invoices", helpful=False, source="article")
    searched(store, language="en", query="Refund policy", results=0)
    searched(store, language="en", query="refund  POLICY", results=0)
    searched(store, language="en", query="reset password", results=1)
    searched(store, language="fa", query="فاکتور", results=0)
    ticket_opened(store, [ArticleView("en", "reset-password"), ArticleView("el", "invoices")])
    ticket_opened(store, [ArticleView("el", "invoices")])
    # When a lead reads the deflection figures
    found = deflection(store, LEAD)
    # Then the hand-counted totals, and the most frequent miss first
    assert (found.helpful, found.unhelpful, found.deflected) == (2, 1, 1)
    assert found.helpful_rate == round(2 / 3, 4)
    assert (found.searches, found.missed_searches) == (4, 3)
    assert [(m.query, m.count) for m in found.top_missed] == [("refund policy", 2), ("فاکتور", 1)]
    # And each ticket opened after viewing counts once, whatever the articles viewed
    assert found.tickets_after_view == 2


def test_nothing_recorded_is_zero_and_no_rate() -> None:
    found = deflection(MemoryFeedbackStore(), LEAD)
    assert (found.helpful, found.searches, found.missed_searches, found.helpful_rate) == (
        0,
        0,
        0,
        None,
    )
    assert found.tickets_after_view == 0


def test_an_agent_is_refused() -> None:
    with pytest.raises(Forbidden):
        deflection(MemoryFeedbackStore(), AGENT)
