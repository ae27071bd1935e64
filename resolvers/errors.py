"""Errors a client may see. Anything else is masked to a generic message by the schema."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from models.errors import ErrorCode, localize
from models.i18n import Language

__all__ = ["ClientError", "ErrorCode", "is_unexpected", "localize_client_errors"]


class ClientError(GraphQLError):
    """A precise, typed error whose message is safe to show (no personal data).

    ``message`` is a template of the errors catalog (``{field}`` and ``params`` fill it), so
    the response speaks the reader's language (``localized``, asked by the HTTP layer with
    the request's ``Accept-Language``); the English text is the error's own message."""

    def __init__(
        self, code: ErrorCode, message: str, *, field: str | None = None, **params: object
    ) -> None:
        extensions: dict[str, Any] = {"code": code.value}
        if field is not None:
            extensions["field"] = field
        super().__init__(
            localize(message, Language.EN, field=field, **params), extensions=extensions
        )
        self.code = code
        self.template, self.field, self.params = message, field, params

    def localized(self, language: Language) -> str:
        return localize(self.template, language, field=self.field, **self.params)


def localize_client_errors(errors: list[GraphQLError], language: Language) -> None:
    """Each typed client error of a response, in ``language`` (others are left as they are:
    GraphQL's own validation messages, and the masked message of a fault of ours)."""
    if language is Language.EN:
        return
    for error in errors:
        source = error if isinstance(error, ClientError) else error.original_error
        if isinstance(source, ClientError):
            error.message = source.localized(language)


def is_unexpected(error: GraphQLError) -> bool:
    """Did this error come from a fault of ours (mask it, roll back) rather than the request?

    Errors raised before execution carry no path: a variable that does not coerce (an unknown
    enum value, a malformed date) is the client's mistake, and its message is safe to show.
    """
    original = error.original_error
    if original is None or isinstance(original, ClientError):
        return False
    return error.path is not None
