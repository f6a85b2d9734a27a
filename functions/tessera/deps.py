"""The ports a use case may touch, bundled. Built by :mod:`tessera.bootstrap` (or by a test with
fakes); every adapter but the ticket repository is a zero-argument provider, so a handler pays
only for the clients it uses and a missing setting fails when first needed, naming itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tessera.config import ConfigReader
from tessera.errors import ConfigurationError
from tessera.ports import (
    AttachmentStore,
    ConfigStore,
    Escalations,
    EventPublisher,
    FileTransfers,
    Mailer,
    MailLedger,
    Nonces,
    RateCounters,
    RawMailStore,
    SmsSender,
    StaffDirectory,
    TicketRepository,
    Workflow,
)
from tessera.routing.assignment import AgentLoads
from tessera.signing import Signer


@dataclass
class Dependencies:
    """Everything a use case may touch. Built lazily: a handler only pays for what it uses."""

    tickets: TicketRepository
    raw_mail: Callable[[], RawMailStore] = field(repr=False)
    workflow: Callable[[], Workflow] = field(repr=False)
    mailer: Callable[[], Mailer] = field(repr=False)
    events: Callable[[], EventPublisher] = field(repr=False)
    config: Callable[[], ConfigReader] = field(repr=False)
    config_store: Callable[[], ConfigStore] = field(repr=False)
    signer: Callable[[], Signer] = field(repr=False)
    nonces: Callable[[], Nonces] = field(repr=False)
    support_addresses: Callable[[], frozenset[str]] = field(repr=False)
    from_address: Callable[[], str] = field(repr=False)
    # Mail's own ports (tessera.mail). Defaulted so callers that never touch mail files,
    # bounces or portal links need not wire them; using one unwired fails, naming it.
    attachments: Callable[[], AttachmentStore] = field(
        repr=False, default=lambda: _unwired("attachments")
    )
    mail_ledger: Callable[[], MailLedger] = field(
        repr=False, default=lambda: _unwired("mail_ledger")
    )
    portal_base_url: Callable[[], str] = field(
        repr=False, default=lambda: _unwired("portal_base_url")
    )
    # Routing's per-agent counters (tessera.routing.assignment); only the assign step uses them.
    agent_loads: Callable[[], AgentLoads] = field(
        repr=False, default=lambda: _unwired("agent_loads")
    )
    # SLA's ports (tessera.sla): the sweep starts escalations, escalation steps send SMS.
    escalations: Callable[[], Escalations] = field(
        repr=False, default=lambda: _unwired("escalations")
    )
    sms: Callable[[], SmsSender] = field(repr=False, default=lambda: _unwired("sms"))
    # The API's own ports: presigned file transfers (tessera.attachments) and per-caller request
    # counters (tessera.rate_limits).
    file_transfers: Callable[[], FileTransfers] = field(
        repr=False, default=lambda: _unwired("file_transfers")
    )
    rate_counters: Callable[[], RateCounters] = field(
        repr=False, default=lambda: _unwired("rate_counters")
    )
    # Staff accounts (tessera.admin): the user pool.
    staff_directory: Callable[[], StaffDirectory] = field(
        repr=False, default=lambda: _unwired("staff_directory")
    )


def _unwired(name: str) -> Any:
    raise ConfigurationError(f"dependency {name} is not wired (tessera.bootstrap)")
