"""The mail quarantine for admins in the console: what intake could not turn into a ticket or
reply (with its reason, sender and time), the raw mail to download, reprocess after a fix or a
decision, or discard; and the addresses marked bouncing (no automatic mail goes to them), to
unblock. Reprocess, discard and unblock are on the admin audit trail.

Discarding removes the quarantine record only: the raw mail stays where the receipt rule put it
(the raw-mail bucket's lifecycle ends it), so nothing is lost by a wrong click."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tessera.admin import audit
from tessera.errors import NotFound
from tessera.identity.access import Principal, require_admin
from tessera.mail.intake import MailOutcome, reprocess, sender_of
from tessera.ports import Bounced, Dependencies, Quarantined

LISTED = 100  # the list reads each listed mail's headers (one GetObject each)


@dataclass(frozen=True)
class HeldMail:
    key: str
    id: str  # the key without the raw-mail prefix: the SES message id
    reason: str
    at: datetime
    sender: str
    size: int


def _held(deps: Dependencies, found: Quarantined, prefix: str) -> HeldMail:
    try:
        raw = deps.raw_mail().read(found.key)
    except NotFound:
        raw = b""
    return HeldMail(
        key=found.key,
        id=found.key.removeprefix(prefix),
        reason=found.reason,
        at=found.at,
        sender=sender_of(raw) if raw else "",
        size=len(raw),
    )


def held_mail(deps: Dependencies, principal: Principal, *, prefix: str) -> list[HeldMail]:
    """Quarantined mail, oldest first (at most :data:`LISTED`)."""
    require_admin(principal)
    return [_held(deps, q, prefix) for q in deps.tickets.quarantined(limit=LISTED)]


def _quarantined(deps: Dependencies, mail_id: str, prefix: str) -> Quarantined:
    found = deps.tickets.quarantined_mail(prefix + mail_id)
    if found is None:
        raise NotFound(f"no quarantined mail {mail_id}")
    return found


def raw_mail(deps: Dependencies, principal: Principal, mail_id: str, *, prefix: str) -> bytes:
    """The raw MIME of a quarantined mail (only quarantined mail is served here)."""
    require_admin(principal)
    return deps.raw_mail().read(_quarantined(deps, mail_id, prefix).key)


def reprocess_held(
    deps: Dependencies, principal: Principal, mail_id: str, *, prefix: str
) -> MailOutcome:
    """Run the mail through intake again; it leaves the quarantine if it now makes a ticket."""
    require_admin(principal)
    found = _quarantined(deps, mail_id, prefix)
    outcome = reprocess(deps, found.key, prefix)
    audit.record(
        deps,
        principal,
        "mail.reprocessed",
        f"mail:{mail_id}",
        before=f"quarantined: {found.reason}",
        after=_outcome_text(outcome),
    )
    return outcome


def _outcome_text(outcome: MailOutcome) -> str:
    """What became of a reprocessed mail, as an admin reads it: "created #1042", the ticket by
    the number people know it by (its id only when intake did not say the number: a
    duplicate)."""
    ticket = f"#{outcome.number}" if outcome.number is not None else outcome.ticket_id
    return " ".join(str(part) for part in (outcome.result, ticket, outcome.reason) if part)


def discard_held(deps: Dependencies, principal: Principal, mail_id: str, *, prefix: str) -> None:
    """Take the mail off the quarantine list (its raw MIME stays in the bucket)."""
    require_admin(principal)
    found = _quarantined(deps, mail_id, prefix)
    deps.tickets.release(found.key)
    audit.record(
        deps, principal, "mail.discarded", f"mail:{mail_id}", before=f"quarantined: {found.reason}"
    )


def bounced_addresses(deps: Dependencies, principal: Principal) -> list[Bounced]:
    """Addresses marked bouncing, newest first (at most :data:`LISTED`; one Query)."""
    require_admin(principal)
    return list(deps.mail_ledger().bounced(limit=LISTED))


def unblock_address(deps: Dependencies, principal: Principal, address: str) -> None:
    """Automatic mail (acknowledgements, notices) goes to ``address`` again."""
    require_admin(principal)
    ledger = deps.mail_ledger()
    if not ledger.is_bouncing(address):
        raise NotFound(f"{address} is not marked bouncing")
    ledger.unblock(address)
    audit.record(deps, principal, "mail.unblocked", f"address:{address.lower()}", before="bouncing")
