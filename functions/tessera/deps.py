"""The ports a use case may touch, bundled. Built by :mod:`tessera.bootstrap` (or by a test with
fakes); every adapter but the ticket repository is a zero-argument provider, so a handler pays
only for the clients it uses and a missing setting fails when first needed, naming itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tessera.config import ConfigReader
from tessera.ports import (
    EventPublisher,
    Mailer,
    Nonces,
    RawMailStore,
    TicketRepository,
    Workflow,
)
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
    signer: Callable[[], Signer] = field(repr=False)
    nonces: Callable[[], Nonces] = field(repr=False)
    support_addresses: Callable[[], frozenset[str]] = field(repr=False)
    from_address: Callable[[], str] = field(repr=False)
