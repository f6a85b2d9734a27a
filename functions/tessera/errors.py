"""Domain errors. Adapters translate storage errors into these; the API maps them to HTTP once."""

from __future__ import annotations


class TesseraError(Exception):
    """Base class of every error the domain raises on purpose."""


class NotFound(TesseraError):
    """The thing asked for does not exist (or the caller may not know that it does)."""


class Conflict(TesseraError):
    """A concurrent change won: the caller's copy is stale (optimistic locking)."""


class PreconditionFailed(Conflict):
    """The caller's precondition (an If-Match version) no longer holds."""


class AlreadyExists(Conflict):
    """A create lost to an earlier create of the same thing (idempotency key, Message-ID)."""


class ValidationFailed(TesseraError):
    """Input was rejected. ``field`` names the offending field for the caller; ``line`` the
    line of a document (a configuration document's YAML) where the problem is, when known."""

    def __init__(self, field: str, problem: str, *, line: int | None = None) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.line = line


class InvalidTransition(ValidationFailed):
    """A status change the ticket lifecycle does not allow."""


class Unauthorized(TesseraError):
    """No valid credentials were presented."""


class AccountDisabled(Unauthorized):
    """The staff account is disabled: no password signs it in until an admin enables it."""


class PasswordChangeRequired(Unauthorized):
    """The password was right but is temporary: choose a new one (POST /api/auth/new-password)."""


class Forbidden(TesseraError):
    """Valid credentials, but this principal may not do this."""


class ConfigurationError(TesseraError):
    """The deployment is missing or has malformed configuration (raised at cold start)."""
