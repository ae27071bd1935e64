"""Mutations on an object found by id: an object in a log the viewer cannot see must answer
exactly like an object that does not exist (same code, message and field)."""

from __future__ import annotations

from typing import TypeVar

from models.errors import ErrorCode
from resolvers.mutation import MutationError

__all__ = ["LOG_NOT_FOUND", "as_missing", "missing"]

T = TypeVar("T")


def missing(label: str, field: str) -> MutationError:
    """The error for an object that does not exist (or that the viewer may not see)."""
    return MutationError(ErrorCode.NOT_FOUND, f"No such {label}.", field)


LOG_NOT_FOUND = MutationError(ErrorCode.NOT_FOUND, "No such log.", "logId")


def as_missing(result: T | MutationError, not_found: MutationError) -> T | MutationError:
    """The gate's "no such log" (no field) becomes the object's own not-found error."""
    if (
        isinstance(result, MutationError)
        and result.code is ErrorCode.NOT_FOUND
        and result.field is None
    ):
        return not_found
    return result
