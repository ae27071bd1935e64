"""Errors a client may see. Anything else is masked to a generic message by the schema."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from models.errors import ErrorCode

__all__ = ["ClientError", "ErrorCode"]


class ClientError(GraphQLError):
    """A precise, typed error whose message is safe to show (no personal data)."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        extensions: dict[str, Any] = {"code": code.value}
        if field is not None:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)
        self.code = code
