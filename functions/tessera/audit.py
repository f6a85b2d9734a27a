"""The trail of admins' actions in the admin center: each change of a configuration document,
article or mail record with who made it, when, and what it was before and after.

:func:`record_admin_action` is the one way to write it; the store comes in as a port
(:class:`tessera.ports.AdminAudit`, wired in :mod:`tessera.bootstrap`)."""

from __future__ import annotations

from typing import Any

from tessera.ports import AdminAction, AdminAudit
from tessera.tickets.model import utcnow


def record_admin_action(
    audit: AdminAudit, actor: str, action: str, subject: str, before: Any, after: Any
) -> AdminAction:
    """Record that ``actor`` did ``action`` (``config.apply``, ``kb.delete``, ...) to
    ``subject`` (``config/rules``, ``kb/en/refunds``), changing it from ``before`` to ``after``."""
    done = AdminAction(
        actor=actor, action=action, subject=subject, before=before, after=after, at=utcnow()
    )
    audit.record(done)
    return done
