"""The weekly digest: last week's numbers per group, mailed to the leads and admins who switched
it on (``PATCH /api/me`` with ``notify.weekly_digest``; off until then).

Run by an EventBridge schedule (ReportsDigestFunction). A repeated delivery of the same week's
event mails nobody twice: each mail claims ``digest:<address>:<week's first day>`` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tessera.ports import Dependencies, StaffMember
from tessera.reports.aggregates import AggregateStore
from tessera.reports.summary import summary, window
from tessera.workspace.settings import wants_mail

READERS = frozenset({"leads", "admins"})  # Cognito groups (template.yaml) the digest goes to
CLAIM_SECONDS = 14 * 86400


def _line(row: dict[str, Any]) -> str:
    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{value / 60:.0f} min"

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    return (
        f"{row['key']:<20} created {row['created']:>4}  solved {row['solved']:>4}  "
        f"reopened {row['reopened']:>3}  "
        f"first response {minutes(row['first_response']['median_s'])}"
        f"  FCR {share(row['fcr_rate'])}  CSAT {share(row['csat']['satisfied_rate'])}"
        f"  SLA {share(row['sla']['attained_rate'])}"
    )


def compose(answer: dict[str, Any], link: str) -> tuple[str, str]:
    """The digest's subject and text from a summary grouped by group."""
    subject = f"Tessera: the week {answer['from']} to {answer['to']}"
    lines = [
        f"Last week ({answer['from']} to {answer['to']}, UTC), per group:",
        "",
        *(_line(row) for row in answer["rows"]),
        _line(answer["totals"]),
        "",
        "Medians are within 5% of the exact value. Every number, per agent and per day:",
        link,
        "",
        "You get this mail because you switched on the weekly digest in your console settings.",
    ]
    return subject, "\n".join(lines) + "\n"


def send_weekly(
    deps: Dependencies, store: AggregateStore, members: Sequence[StaffMember], now: datetime
) -> list[str]:
    """Mail last week's (Monday to Sunday before ``now``, UTC) digest to every enabled lead and
    admin who opted in; returns the addresses mailed."""
    today = now.date()
    last = today - timedelta(days=today.weekday() + 1)
    first = last - timedelta(days=6)
    answer = summary(store, window(first.isoformat(), last.isoformat(), "UTC"), group_by="group")
    link = f"{deps.portal_base_url()}/console/#/reports?from={first}&to={last}&group_by=group"
    subject, text = compose(answer, link)
    mailed = []
    for member in members:
        if not member.enabled or not READERS & set(member.groups):
            continue
        if not wants_mail(deps.agent_settings().get(member.email), "weekly_digest"):
            continue
        key = f"digest:{member.email}:{first}"
        if deps.nonces().claim(key, ttl_seconds=CLAIM_SECONDS, value="mailed") is not None:
            continue  # mailed already for this week
        deps.mailer().send(
            sender=deps.from_address(),
            to=[member.email],
            subject=subject,
            text=text,
            headers={"Auto-Submitted": "auto-generated"},
        )
        mailed.append(member.email)
    return mailed
