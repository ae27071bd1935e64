"""Relay-style global ids: ``base64url("Type:uuid")``. Anything that does not decode is
treated exactly like an id of an object that does not exist."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import PolicyField
from schema.permissions import covered

__all__ = [
    "VALUE_TYPE",
    "GlobalId",
    "Node",
    "decode_global_id",
    "encode_global_id",
    "entity_id_field",
    "node_id_field",
]


# The end of a value type's description: it has no id of its own, and normalising caches
# (Apollo Client, urql) keep it inside the object that holds it.
VALUE_TYPE = " A value, not an entity: no id, caches keep it inside its parent."


def encode_global_id(type_name: str, object_id: uuid.UUID, log_id: uuid.UUID | None = None) -> str:
    """People are seen through a log, so their ids name the log too."""
    raw = f"{type_name}:{object_id}" if log_id is None else f"{type_name}:{object_id}:{log_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class GlobalId:
    type_name: str
    object_id: uuid.UUID
    log_id: uuid.UUID | None = None


def decode_global_id(value: object) -> GlobalId | None:
    """The id this string names, only if it is exactly the id ``encode_global_id`` writes.

    Strict on purpose: base64 decoding skips characters outside its alphabet and ``UUID``
    accepts several spellings, so ``id + "\\u0000"`` would otherwise name the same object
    under a second id (a way around id-keyed caches, rate limits and audit look-ups)."""
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        parts = raw.split(":")
        if len(parts) == 2:
            gid = GlobalId(parts[0], uuid.UUID(parts[1]))
        elif len(parts) == 3:
            gid = GlobalId(parts[0], uuid.UUID(parts[1]), uuid.UUID(parts[2]))
        else:
            return None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if encode_global_id(gid.type_name, gid.object_id, gid.log_id) != value:
        return None
    return gid


@strawberry.interface(description="An object with a global id.")
class Node:
    id: strawberry.ID


def node_id_field(type_name: str, policy: PolicyField | None = None) -> Any:
    """The ``id`` field of a type; log content names the policy row it belongs to."""

    def resolve(root: Any, info: Info) -> strawberry.ID:
        return strawberry.ID(encode_global_id(type_name, root.id))

    if policy is None:
        return strawberry.field(resolver=resolve, description="Global id.")
    return covered(policy, resolver=resolve, description="Global id.")


def entity_id_field(
    type_name: str, policy: PolicyField, attribute: str = "id", *, in_log: bool = False
) -> Any:
    """The ``id`` of an object clients cache but do not fetch by ``node(id:)`` (a log's
    child, its activity counters, a level change): stable and unique, so normalising caches
    (Apollo Client, urql's graphcache) merge what two queries selected instead of one
    answer replacing the other. ``node(id:)`` answers ``null`` for it, as for any id it does
    not serve. ``in_log``: the id names the log too, as a person's does."""

    def resolve(root: Any, info: Info) -> strawberry.ID:
        log_id = root.log_id if in_log else None
        return strawberry.ID(encode_global_id(type_name, getattr(root, attribute), log_id))

    return covered(policy, resolver=resolve, description="Stable id (for client caches).")
