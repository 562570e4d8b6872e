"""Errors that rules raise for staff to read. No framework imports: domain code may use
them. The HTTP layer maps them to 4xx responses ``{"detail": message, "code": code}``."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused a request. ``message`` is shown to staff, in Bahasa Indonesia."""

    status_code = 422
    code = "rule_violation"

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"
