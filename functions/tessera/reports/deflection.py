"""KB deflection for the reports dashboard, from the knowledge base's own feedback counters
(tessera.kb.feedback): helpful and unhelpful votes, deflections (a "yes, this helped" from an
article the new-ticket form suggested), searches made and those that found nothing, and tickets
opened after viewing an article (the knowledge base was read, and a ticket came anyway).

The counters are kept since each was first counted, not per hour: these figures are all-time,
whatever period the dashboard shows (docs/reports.md says what is not measured). One read of the
feedback items: its cost grows with articles x languages and distinct missed queries, never
with tickets. Admins and leads only.
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.errors import Forbidden
from tessera.identity.access import Principal, sees_team_reports
from tessera.kb.feedback import FeedbackStore, MissedSearch, report

TOP_MISSED = 10


@dataclass(frozen=True)
class Deflection:
    helpful: int
    unhelpful: int
    deflected: int
    searches: int  # searches made, every language
    missed_searches: int  # searches with no result, all of them
    top_missed: tuple[MissedSearch, ...]
    tickets_after_view: int  # tickets opened after viewing any article, each once

    @property
    def helpful_rate(self) -> float | None:
        votes = self.helpful + self.unhelpful
        return round(self.helpful / votes, 4) if votes else None


def deflection(store: FeedbackStore, principal: Principal) -> Deflection:
    """The knowledge base's totals and its most frequent searches with no result."""
    if not sees_team_reports(principal):
        raise Forbidden("the knowledge base's figures are for leads and admins")
    found = report(store)
    return Deflection(
        helpful=sum(a.helpful for a in found.articles),
        unhelpful=sum(a.unhelpful for a in found.articles),
        deflected=sum(a.deflected for a in found.articles),
        searches=sum(found.searches.values()),
        missed_searches=sum(m.count for m in found.missed),
        top_missed=tuple(found.missed[:TOP_MISSED]),
        tickets_after_view=found.tickets_after_view,
    )
