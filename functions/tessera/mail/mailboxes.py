"""Mailboxes: each support address, the brand it speaks for and the group its mail goes to.

``infra/config/mailboxes.yaml``::

    mailboxes:
      - address: billing@example.com
        brand: Example Billing
        group: billing
        language: en          # optional: the language replies default to
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tessera.config import Document


@dataclass(frozen=True)
class Mailbox:
    address: str
    brand: str
    group: str
    language: str | None = None


@dataclass(frozen=True)
class Mailboxes:
    by_address: Mapping[str, Mailbox]

    def get(self, address: str | None) -> Mailbox | None:
        return self.by_address.get(address.lower()) if address else None


def parse_mailboxes(doc: Document) -> Mailboxes:
    doc.mapping((), required=["mailboxes"])
    found: dict[str, Mailbox] = {}
    for i, _ in enumerate(doc.sequence(("mailboxes",))):
        path = ("mailboxes", i)
        entry = doc.mapping(path, required=["address", "group"], optional=["brand", "language"])
        address = doc.string((*path, "address")).strip().lower()
        if "@" not in address:
            raise doc.error((*path, "address"), "must be an email address")
        if address in found:
            raise doc.error((*path, "address"), f"{address} is listed twice")
        found[address] = Mailbox(
            address=address,
            brand=doc.string((*path, "brand")) if "brand" in entry else address,
            group=doc.string((*path, "group")),
            language=doc.string((*path, "language")) if "language" in entry else None,
        )
    return Mailboxes(found)
