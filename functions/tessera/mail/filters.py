"""Admin mail filters and intake limits: the ``mail-filters`` configuration kind.

``infra/config/mail-filters.yaml``::

    limits:
      max_mail_bytes: 26214400          # larger mail is refused with a notice (and kept)
      open_tickets_per_requester: 20    # above it, a polite notice instead of a new ticket
      auto_responses_per_sender: 10     # automatic mails one address may get per window
      auto_response_window_minutes: 180
    filters:                            # the first that matches decides
      - name: known-spammer
        sender_domain: spam.example     # sender, sender_domain, keywords: all given must match
        action: discard                 # discard | spam | route
      - name: invoices-to-billing
        keywords: [invoice, factura]    # any keyword, in the subject or the text
        action: route
        group: billing

Every key is optional; a kind never applied means the defaults above and no filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tessera.config import Document

ACTIONS = ("discard", "spam", "route")
_LIMIT_KEYS = {
    "max_mail_bytes": 25 * 1024 * 1024,
    "open_tickets_per_requester": 20,
    "auto_responses_per_sender": 10,
    "auto_response_window_minutes": 180,
}


@dataclass(frozen=True)
class MailFilter:
    name: str
    action: Literal["discard", "spam", "route"]
    sender: str | None = None
    sender_domain: str | None = None
    keywords: tuple[str, ...] = ()
    group: str | None = None

    def matches(self, sender: str, subject: str, text: str) -> bool:
        if self.sender is not None and sender != self.sender:
            return False
        if self.sender_domain is not None:
            domain = sender.rsplit("@", 1)[-1]
            if domain != self.sender_domain and not domain.endswith("." + self.sender_domain):
                return False
        if self.keywords:
            haystack = f"{subject}\n{text}".casefold()
            if not any(k in haystack for k in self.keywords):
                return False
        return True


@dataclass(frozen=True)
class MailFilters:
    max_mail_bytes: int = _LIMIT_KEYS["max_mail_bytes"]
    open_tickets_per_requester: int = _LIMIT_KEYS["open_tickets_per_requester"]
    auto_responses_per_sender: int = _LIMIT_KEYS["auto_responses_per_sender"]
    auto_response_window_minutes: int = _LIMIT_KEYS["auto_response_window_minutes"]
    filters: tuple[MailFilter, ...] = field(default=())

    def first_match(self, sender: str, subject: str, text: str) -> MailFilter | None:
        return next((f for f in self.filters if f.matches(sender, subject, text)), None)


def parse_mail_filters(doc: Document) -> MailFilters:
    """Validate a ``mail-filters`` document (refused naming file, line and key)."""
    if doc.data is None:
        return MailFilters()
    top = doc.mapping((), optional=["limits", "filters"])
    limits: dict[str, int] = {}
    if "limits" in top:
        doc.mapping(("limits",), optional=list(_LIMIT_KEYS))
        for key in doc.at(("limits",)):
            value = doc.at(("limits", key))
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise doc.error(("limits", key), "must be a whole number of at least 1")
            limits[key] = value
    filters, names = [], set()
    for i, _ in enumerate(doc.sequence(("filters",)) if "filters" in top else []):
        path = ("filters", i)
        entry = doc.mapping(
            path,
            required=["name", "action"],
            optional=["sender", "sender_domain", "keywords", "group"],
        )
        name = doc.string((*path, "name"))
        if name in names:
            raise doc.error((*path, "name"), f"{name} is listed twice")
        names.add(name)
        action = doc.string((*path, "action"), choices=ACTIONS)
        if not {"sender", "sender_domain", "keywords"} & set(entry):
            raise doc.error(path, "needs at least one of sender, sender_domain, keywords")
        sender = doc.string((*path, "sender")).strip().lower() if "sender" in entry else None
        if sender is not None and "@" not in sender:
            raise doc.error((*path, "sender"), "must be an email address")
        domain = None
        if "sender_domain" in entry:
            domain = doc.string((*path, "sender_domain")).strip().lower().lstrip("@")
        keywords: tuple[str, ...] = ()
        if "keywords" in entry:
            items = doc.sequence((*path, "keywords"))
            keywords = tuple(
                doc.string((*path, "keywords", j)).casefold() for j in range(len(items))
            )
            if not keywords:
                raise doc.error((*path, "keywords"), "must list at least one keyword")
        group = doc.string((*path, "group")) if "group" in entry else None
        if action == "route" and group is None:
            raise doc.error(path, "action route needs a group")
        if action != "route" and group is not None:
            raise doc.error((*path, "group"), "only action route takes a group")
        filters.append(
            MailFilter(
                name=name,
                action=action,  # type: ignore[arg-type]
                sender=sender,
                sender_domain=domain,
                keywords=keywords,
                group=group,
            )
        )
    return MailFilters(**limits, filters=tuple(filters))
