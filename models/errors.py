"""Why a domain operation refused: precise, typed, and free of personal data.

The domain raises these; the API turns them into typed payload errors
(``NOT_ALLOWED``, ``INVALID_INPUT`` with the field path, ...) and rolls the operation back.

A message is an English *template* and its parameters (``"{field} must not be empty."``,
``field=...``), never a formatted f-string: the template is the message id of the ``errors``
catalogs, so the API can answer in the reader's language (``localized``). ``message`` is the
English text, as logs and tests read it. Parameters are field paths, numbers and nouns marked
with ``N_`` (translated too), never personal data.
"""

from __future__ import annotations

from enum import StrEnum

from models.i18n import N_, Domain, Language, translate

__all__ = [
    "Conflict",
    "ConsentRequired",
    "DomainError",
    "ErrorCode",
    "InvalidInput",
    "LogClosed",
    "NotAllowed",
    "NotFound",
    "localize",
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

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        self.template = message
        self.params = params
        self.field = field
        self.message = _fill(message, field, params)
        super().__init__(self.message)

    def localized(self, language: Language) -> str:
        """The message in ``language`` (English where the catalog lacks it)."""
        return localize(self.template, language, field=self.field, **self.params)


def _fill(template: str, field: str | None, params: dict[str, object]) -> str:
    if "{" not in template:
        return template
    return template.format(field=field, **params)


def localize(
    template: str, language: Language, *, field: str | None = None, **params: object
) -> str:
    """A typed error's template in ``language``; a parameter that is itself a message (a
    noun such as "point of attention") is translated as well."""
    text = translate(Domain.ERRORS, language, template)
    if "{" not in text:
        return text
    words = {
        name: translate(Domain.ERRORS, language, value) if isinstance(value, str) else value
        for name, value in params.items()
    }
    return text.format(field=field, **words)


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
    default_message = N_("Someone else changed this first; reload and try again.")


class LogClosed(DomainError):
    code = ErrorCode.LOG_CLOSED
