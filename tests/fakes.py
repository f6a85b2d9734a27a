"""Fakes of the ports that talk to AWS, for logic tests without moto or a network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tessera.adapters.memory import InMemoryConfigStore, InMemoryNonces, InMemoryTicketRepository
from tessera.config import ConfigReader
from tessera.deps import Dependencies
from tessera.errors import NotFound
from tessera.signing import Signer

SUPPORT = frozenset({"support@example.com", "billing@example.com"})


@dataclass
class FakeRawMail:
    objects: dict[str, bytes] = field(default_factory=dict)

    def read(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise NotFound(key) from None


@dataclass
class FakeWorkflow:
    started: list[str] = field(default_factory=list)

    def start_routing(self, ticket_id: str) -> bool:
        if ticket_id in self.started:
            return False
        self.started.append(ticket_id)
        return True


@dataclass
class FakeMailer:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(
        self, *, sender: str, to: Sequence[str], subject: str, text: str, headers: dict[str, str]
    ) -> str:
        self.sent.append(
            {"sender": sender, "to": list(to), "subject": subject, "text": text, "headers": headers}
        )
        return f"sent-{len(self.sent)}"


@dataclass
class FakeEvents:
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.published.append((detail_type, detail))


@dataclass
class World:
    """A Dependencies wired to fakes, with the fakes at hand for assertions."""

    tickets: InMemoryTicketRepository = field(default_factory=InMemoryTicketRepository)
    raw_mail: FakeRawMail = field(default_factory=FakeRawMail)
    workflow: FakeWorkflow = field(default_factory=FakeWorkflow)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    events: FakeEvents = field(default_factory=FakeEvents)
    config_store: InMemoryConfigStore = field(default_factory=InMemoryConfigStore)

    def __post_init__(self) -> None:
        self.config = ConfigReader(self.config_store, ttl=0)
        self.nonces = InMemoryNonces()
        self.signer = Signer(b"test-signing-key-of-at-least-32-bytes!")

    def apply_config(self, kind: str, text: str) -> None:
        self.config_store.apply(kind, text, actor="test", expected_version=None)

    @property
    def deps(self) -> Dependencies:
        return Dependencies(
            tickets=self.tickets,
            raw_mail=lambda: self.raw_mail,
            workflow=lambda: self.workflow,
            mailer=lambda: self.mailer,
            events=lambda: self.events,
            config=lambda: self.config,
            signer=lambda: self.signer,
            nonces=lambda: self.nonces,
            support_addresses=lambda: SUPPORT,
            from_address=lambda: "support@example.com",
        )
