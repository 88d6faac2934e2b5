"""Domain errors: a stable code, a human message, optional fields. No HTTP here.

Each subclass names a *kind* of failure; the transport maps kinds to status codes in one table
(``kith.http.errors``). Services raise these; nothing else about the failure leaks out.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    default_code = "error"

    def __init__(self, message: str, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message
        self.fields = fields


class Invalid(DomainError):
    """The request is malformed or breaks a rule about its own content."""

    default_code = "invalid"


class Unauthenticated(DomainError):
    default_code = "unauthenticated"


class Forbidden(DomainError):
    """The caller is known but may not do this (and already knows the target exists)."""

    default_code = "forbidden"


class NotFound(DomainError):
    """Missing, or not the caller's to see: the two are deliberately indistinguishable."""

    default_code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (taken handle, reused client id, full group)."""

    default_code = "conflict"


class Unsupported(DomainError):
    """Content of a type the server does not take for this purpose (a file that is not an image)."""

    default_code = "unsupported"


class TooLarge(DomainError):
    default_code = "too_large"


class RateLimited(DomainError):
    """Too many attempts in a short time; ``retry_after`` (seconds) says when to try again."""

    default_code = "rate_limited"
