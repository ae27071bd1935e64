"""Global ids in mutation inputs, decoded to the errors the domain would give for them:
an id of the wrong type is a missing object; a list naming someone who is not in the log is
bad input for that list."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry

from models.errors import ErrorCode
from resolvers.mutation import MutationError
from resolvers.mutations.hidden import missing
from schema.node import decode_global_id

__all__ = ["IdError", "actor_ids", "guardian_ids", "id_list", "object_id", "optional_id"]


class IdError(Exception):
    """Raised while reading an input; the mutation answers with ``error``."""

    def __init__(self, error: MutationError) -> None:
        super().__init__(error.message)
        self.error = error


def object_id(raw: strawberry.ID, type_name: str, label: str, field: str) -> uuid.UUID:
    gid = decode_global_id(raw)
    if gid is None or gid.type_name != type_name:
        raise IdError(missing(label, field))
    return gid.object_id


def optional_id(
    raw: strawberry.ID | None, type_name: str, label: str, field: str
) -> uuid.UUID | None:
    return None if raw is None else object_id(raw, type_name, label, field)


def id_list(
    raws: Iterable[strawberry.ID], type_name: str, field: str, message: str
) -> tuple[uuid.UUID, ...]:
    ids = []
    for raw in raws:
        gid = decode_global_id(raw)
        if gid is None or gid.type_name != type_name:
            raise IdError(MutationError(ErrorCode.INVALID_INPUT, message, field))
        ids.append(gid.object_id)
    return tuple(ids)


def actor_ids(raws: Iterable[strawberry.ID], field: str) -> tuple[uuid.UUID, ...]:
    """Actor ids (``log.actors { id }``): memberships of the log."""
    return id_list(raws, "Actor", field, f"{field} must name active actors of this log.")


def guardian_ids(raws: Iterable[strawberry.ID], field: str) -> tuple[uuid.UUID, ...]:
    """Guardian ids (``log.guardians { id }``)."""
    return id_list(raws, "Guardian", field, f"{field} must name guardians of this child.")
