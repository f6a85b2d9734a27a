"""KB deflection on the dashboard: the knowledge base's feedback counters summed, the most
frequent searches with no result first; leads and admins only."""

from __future__ import annotations

import pytest

from tessera.errors import Forbidden
from tessera.identity.access import Principal, Role
from tessera.kb.feedback import missed_search, vote
from tessera.reports.deflection import deflection
from tests.fakes.kb import MemoryFeedbackStore

LEAD = Principal("lena@example.com", frozenset({Role.LEAD, Role.AGENT}))
AGENT = Principal("alice@example.com", frozenset({Role.AGENT}))


def test_votes_deflections_and_missed_searches_add_up() -> None:
    # Given three votes on two articles (one a deflection from the ticket form) and three
    # searches with no result, two of them the same words spelled differently
    store = MemoryFeedbackStore()
    vote(store, language="en", article="reset-password", helpful=True, source="ticket-form")
    vote(store, language="en", article="reset-password", helpful=True, source="article")
    vote(store, language="el", article="invoices", helpful=False, source="article")
    missed_search(store, language="en", query="Refund policy")
    missed_search(store, language="en", query="refund  POLICY")
    missed_search(store, language="fa", query="فاکتور")
    # When a lead reads the deflection figures
    found = deflection(store, LEAD)
    # Then the hand-counted totals, and the most frequent miss first
    assert (found.helpful, found.unhelpful, found.deflected) == (2, 1, 1)
    assert found.helpful_rate == round(2 / 3, 4)
    assert found.missed_searches == 3
    assert [(m.query, m.count) for m in found.top_missed] == [("refund policy", 2), ("فاکتور", 1)]


def test_nothing_recorded_is_zero_and_no_rate() -> None:
    found = deflection(MemoryFeedbackStore(), LEAD)
    assert (found.helpful, found.missed_searches, found.helpful_rate) == (0, 0, None)


def test_an_agent_is_refused() -> None:
    with pytest.raises(Forbidden):
        deflection(MemoryFeedbackStore(), AGENT)
