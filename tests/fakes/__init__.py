"""Fakes of the ports that talk to AWS, for logic tests without moto or a network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Any

from tessera.config.kinds import ConfigReader
from tessera.errors import NotFound
from tessera.identity.tokens import Signer
from tessera.ports import Bounced, Dependencies
from tests.fakes.memory import (
    InMemoryAgentLoads,
    InMemoryAgentSettings,
    InMemoryAuditLog,
    InMemoryConfigStore,
    InMemoryNonces,
    InMemoryNotifications,
    InMemoryPresence,
    InMemoryStaffDirectory,
    InMemoryTicketRepository,
)

SUPPORT = frozenset({"support@example.com", "billing@example.com"})


@dataclass
class FakeRawMail:
    objects: dict[str, bytes] = field(default_factory=dict)

    def read(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise NotFound(key) from None

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)


@dataclass
class FakeWorkflow:
    """The routing workflow as Express runs it: every start is a run, a repeated name too."""

    started: list[str] = field(default_factory=list)

    def start_routing(
        self, ticket_id: str, *, reopening: int | None = None, attempt: int | None = None
    ) -> bool:
        name = ticket_id if reopening is None else f"{ticket_id}-r{reopening}"
        name = name if attempt is None else f"{name}-a{attempt}"
        self.started.append(name)
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

    failures_to_come: int = 0  # send_raw raises this many times first (retry tests)

    def send_raw(self, *, sender: str, to: Sequence[str], message: bytes) -> str:
        """Records the mail as ``send`` does (text part, headers), plus the raw bytes."""
        if self.failures_to_come:
            self.failures_to_come -= 1
            raise ConnectionError("SES is unreachable")
        parsed = message_from_bytes(message, policy=email_policy)
        assert isinstance(parsed, EmailMessage)
        body = parsed.get_body(preferencelist=("plain",))
        self.sent.append(
            {
                "sender": sender,
                "to": list(to),
                "subject": str(parsed["Subject"]),
                "text": body.get_content() if body is not None else "",
                "headers": {k: str(v) for k, v in parsed.items()},
                "raw": message,
            }
        )
        return f"sent-{len(self.sent)}"


@dataclass
class FakeAttachments:
    objects: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    failures_to_come: int = 0  # put raises this many times first (fault tests)

    def put(self, key: str, data: bytes, *, content_type: str, filename: str) -> None:
        if self.failures_to_come:
            self.failures_to_come -= 1
            raise ConnectionError("S3 is unreachable")
        self.objects[key] = (data, content_type, filename)

    def get(self, key: str) -> bytes:
        try:
            return self.objects[key][0]
        except KeyError:
            raise NotFound(key) from None

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)


@dataclass
class FakeMailLedger:
    bouncing: dict[str, str] = field(default_factory=dict)
    auto_responses: dict[str, int] = field(default_factory=dict)

    def mark_bouncing(self, address: str, reason: str) -> None:
        self.bouncing[address.lower()] = reason

    def is_bouncing(self, address: str) -> bool:
        return address.lower() in self.bouncing

    def bounced(self, *, limit: int) -> list[Bounced]:
        return [Bounced(a, r, datetime.now(UTC)) for a, r in self.bouncing.items()][:limit]

    def unblock(self, address: str) -> None:
        self.bouncing.pop(address.lower(), None)

    def take_auto_response(self, address: str, *, limit: int, window_seconds: int) -> bool:
        count = self.auto_responses.get(address.lower(), 0)
        if count >= limit:
            return False
        self.auto_responses[address.lower()] = count + 1
        return True


@dataclass
class FakeEvents:
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.published.append((detail_type, detail))


@dataclass
class FakeRateCounters:
    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def take(self, key: str, *, window_start: int, window_seconds: int, limit: int) -> bool:
        count = self.counts.get((key, window_start), 0)
        if count >= limit:
            return False
        self.counts[(key, window_start)] = count + 1
        return True

    def count(self, key: str, *, window_start: int) -> int:
        return self.counts.get((key, window_start), 0)


@dataclass
class World:
    """A Dependencies wired to fakes, with the fakes at hand for assertions."""

    tickets: InMemoryTicketRepository = field(default_factory=InMemoryTicketRepository)
    raw_mail: FakeRawMail = field(default_factory=FakeRawMail)
    workflow: FakeWorkflow = field(default_factory=FakeWorkflow)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    events: FakeEvents = field(default_factory=FakeEvents)
    config_store: InMemoryConfigStore = field(default_factory=InMemoryConfigStore)
    attachments: FakeAttachments = field(default_factory=FakeAttachments)
    mail_ledger: FakeMailLedger = field(default_factory=FakeMailLedger)
    rate_counters: FakeRateCounters = field(default_factory=FakeRateCounters)

    def __post_init__(self) -> None:
        self.config = ConfigReader(self.config_store, ttl=0)
        self.nonces = InMemoryNonces()
        self.agent_loads = InMemoryAgentLoads(self.tickets)
        self.agent_settings = InMemoryAgentSettings()
        self.presence = InMemoryPresence(self.tickets)
        self.notifications = InMemoryNotifications(self.agent_settings)
        self.audit_log = InMemoryAuditLog()
        self.staff = InMemoryStaffDirectory()
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
            config_store=lambda: self.config_store,
            signer=lambda: self.signer,
            nonces=lambda: self.nonces,
            support_addresses=lambda: SUPPORT,
            from_address=lambda: "support@example.com",
            attachments=lambda: self.attachments,
            mail_ledger=lambda: self.mail_ledger,
            portal_base_url=lambda: "https://help.example.com",
            agent_loads=lambda: self.agent_loads,
            rate_counters=lambda: self.rate_counters,
            agent_settings=lambda: self.agent_settings,
            presence=lambda: self.presence,
            notifications=lambda: self.notifications,
            audit_log=lambda: self.audit_log,
            staff_directory=lambda: self.staff,
        )
