"""Errors a client may see. Anything else is masked to a generic message by the schema."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from models.errors import ErrorCode

__all__ = ["ClientError", "ErrorCode", "is_unexpected"]


class ClientError(GraphQLError):
    """A precise, typed error whose message is safe to show (no personal data)."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        extensions: dict[str, Any] = {"code": code.value}
        if field is not None:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)
        self.code = code


def is_unexpected(error: GraphQLError) -> bool:
    """Did this error come from a fault of ours (mask it, roll back) rather than the request?

    Errors raised before execution carry no path: a variable that does not coerce (an unknown
    enum value, a malformed date) is the client's mistake, and its message is safe to show.
    """
    original = error.original_error
    if original is None or isinstance(original, ClientError):
        return False
    return error.path is not None
