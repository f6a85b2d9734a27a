"""How customers sign in: magic links, sessions, and the signed link in every ticket mail.

- A **magic link** is mailed on request: signed, bound to the address, valid 15 minutes, and
  single-use (its id is claimed in the nonce store when it is exchanged).
- Exchanging it gives a **session token**, valid one hour, that the portal sends as a bearer
  token.
- A **ticket link** (in the mails Tessera sends about a ticket) opens that one ticket without a
  sign-in: it is signed, bound to the ticket and the address it was sent to, valid 30 days, and
  exchanges for a session that sees only that ticket.

Requesting a link never says whether the address is known (no account enumeration).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote

from tessera.errors import Unauthorized, ValidationFailed
from tessera.identity.access import Principal, Role
from tessera.identity.tokens import InvalidToken, Signer
from tessera.ports import Dependencies
from tessera.safeguards import rate_limits

MAGIC_LINK = "magic-link"
SESSION = "customer-session"
TICKET_LINK = "ticket-link"

MAGIC_LINK_TTL = 15 * 60
SESSION_TTL = 60 * 60
TICKET_LINK_TTL = 30 * 24 * 3600


def _address(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email[1:-1] or len(email) > 254 or any(c.isspace() for c in email):
        raise ValidationFailed("email", "must be an email address")
    return email


NEXT_PAGE = re.compile(r"^[a-z]+\.html(\?[A-Za-z0-9=&%._-]*)?$")


def request_magic_link(
    deps: Dependencies, email: str, *, portal_url: str, next_page: str | None = None
) -> None:
    """Mail a single-use sign-in link to ``email`` — unless this address was sent as many as
    its budget allows lately (then nothing is sent, and the caller cannot tell)."""
    address = _address(email)
    if not rate_limits.allows(
        deps,
        f"magic-link:{address}",
        limit=rate_limits.MAGIC_LINKS_PER_ADDRESS,
        window_seconds=rate_limits.ADDRESS_WINDOW_SECONDS,
    ):
        return
    token = deps.signer().sign(
        MAGIC_LINK, address, ttl_seconds=MAGIC_LINK_TTL, n=secrets.token_urlsafe(12)
    )
    link = f"{portal_url}/signin.html#token={quote(token)}"
    if next_page and NEXT_PAGE.match(next_page):  # back where they started (the portal's page)
        link += f"&next={quote(next_page, safe='')}"
    deps.mailer().send(
        sender=deps.from_address(),
        to=[address],
        subject="Your sign-in link",
        text=(
            "Hello,\n\nuse this link within 15 minutes to sign in to the support portal:\n\n"
            f"{link}\n\nIf you did not ask for it, ignore this mail.\n"
        ),
        headers={"Auto-Submitted": "auto-generated"},
    )


def exchange_magic_link(deps: Dependencies, token: str) -> tuple[str, Principal]:
    """A session for the address a valid, unused magic link was sent to."""
    try:
        claims = deps.signer().verify(token, MAGIC_LINK)
    except InvalidToken as error:
        raise Unauthorized(f"sign-in link refused: {error}") from None
    nonce = str(claims.extra.get("n", ""))
    if not nonce or deps.nonces().claim(f"magic:{nonce}", ttl_seconds=MAGIC_LINK_TTL) is not None:
        raise Unauthorized("sign-in link refused: it was used already")
    return _session(deps.signer(), claims.subject, None)


def ticket_link_token(signer: Signer, ticket_id: str, email: str) -> str:
    """The token a ticket mail carries so its recipient can open that ticket."""
    return signer.sign(TICKET_LINK, ticket_id, ttl_seconds=TICKET_LINK_TTL, email=email.lower())


def exchange_ticket_link(deps: Dependencies, token: str) -> tuple[str, Principal]:
    try:
        claims = deps.signer().verify(token, TICKET_LINK)
    except InvalidToken as error:
        raise Unauthorized(f"ticket link refused: {error}") from None
    return _session(deps.signer(), str(claims.extra.get("email", "")), claims.subject)


def _session(signer: Signer, email: str, ticket_scope: str | None) -> tuple[str, Principal]:
    if ticket_scope:
        token = signer.sign(SESSION, email, ttl_seconds=SESSION_TTL, t=ticket_scope)
    else:
        token = signer.sign(SESSION, email, ttl_seconds=SESSION_TTL)
    return token, Principal(email, frozenset({Role.CUSTOMER}), ticket_scope)


def customer_from_session(signer: Signer, token: str) -> Principal:
    """The customer a session token names. Raises Unauthorized."""
    try:
        claims = signer.verify(token, SESSION)
    except InvalidToken as error:
        raise Unauthorized(f"invalid session: {error}") from None
    scope = claims.extra.get("t")
    return Principal(claims.subject, frozenset({Role.CUSTOMER}), str(scope) if scope else None)
