"""The root mutation, merged from one class per domain, and the typed error every payload
carries instead of raising: ``{ measure { … } error { code message field } }``."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import strawberry
from strawberry.tools import merge_types

from auth.policy import Audience
from models.errors import ErrorCode
from resolvers.mutation import MutationError as MutationErrorData
from schema.node import decode_global_id

__all__ = [
    "LOGS",
    "MUTATION_TYPES",
    "MutationError",
    "build_mutation",
    "id_of",
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


def id_of(raw: strawberry.ID, type_name: str, field: str) -> uuid.UUID | MutationErrorData:
    """A global id of the expected type, or the NOT_FOUND error a missing object gets."""
    gid = decode_global_id(raw)
    if gid is None or gid.type_name != type_name:
        return MutationErrorData(ErrorCode.NOT_FOUND, f"No such {type_name}.", field)
    return gid.object_id


# Each domain module appends its mutation class here (see schema/mutations/*.py).
MUTATION_TYPES: list[type] = []


def build_mutation() -> type | None:
    import schema.mutations  # noqa: F401  (registers the domain classes)

    if not MUTATION_TYPES:
        return None
    return merge_types("Mutation", tuple(MUTATION_TYPES))
