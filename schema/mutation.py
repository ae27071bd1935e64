"""The root mutation, merged from one class per domain, and the typed error every payload
carries instead of raising: ``{ measure { … } error { code message field } }``."""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry
from strawberry.tools import merge_types

from auth.policy import Audience
from models.errors import ErrorCode
from resolvers.mutation import MutationError as MutationErrorData

__all__ = [
    "LOGS",
    "MUTATION_TYPES",
    "MutationError",
    "build_mutation",
    "payload",
]

strawberry.enum(ErrorCode, description="Why a mutation changed nothing.")

P = TypeVar("P")
LOGS = [Audience.STAFF, Audience.FAMILY]


@strawberry.type(description="Why a mutation changed nothing; `field` names the bad input.")
class MutationError:
    code: ErrorCode
    message: str
    field: str | None = None


def payload(cls: type[P], name: str, result: Any) -> P:
    """Wrap a ``write`` result in its payload type: the object, or the typed error."""
    if isinstance(result, MutationErrorData):
        return cls(
            error=MutationError(code=result.code, message=result.message, field=result.field)
        )  # type: ignore[call-arg]
    return cls(**{name: result})


# Each domain module appends its mutation class here (see schema/mutations/*.py).
MUTATION_TYPES: list[type] = []


def build_mutation() -> type | None:
    import schema.mutations  # noqa: F401  (registers the domain classes)

    if not MUTATION_TYPES:
        return None
    return merge_types("Mutation", tuple(MUTATION_TYPES))
