"""Why a domain operation refused: precise, typed, and free of personal data.

The domain raises these; the API turns them into typed payload errors
(``NOT_ALLOWED``, ``INVALID_INPUT`` with the field path, ...) and rolls the operation back.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Conflict",
    "ConsentRequired",
    "DomainError",
    "ErrorCode",
    "InvalidInput",
    "LogClosed",
    "NotAllowed",
    "NotFound",
]


class ErrorCode(StrEnum):
    NOT_ALLOWED = "NOT_ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    CONFLICT = "CONFLICT"
    LOG_CLOSED = "LOG_CLOSED"


class DomainError(Exception):
    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    code = ErrorCode.NOT_ALLOWED


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class InvalidInput(DomainError):
    code = ErrorCode.INVALID_INPUT


class ConsentRequired(DomainError):
    code = ErrorCode.CONSENT_REQUIRED


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    default_message = "Someone else changed this first; reload and try again."


class LogClosed(DomainError):
    code = ErrorCode.LOG_CLOSED
