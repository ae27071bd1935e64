"""The root mutation: one decorated function per mutation (``schema.mutations.base``), one
module per domain; importing this package registers them all, in this order."""

from __future__ import annotations

from functools import cache

import strawberry

from schema.mutations import (
    actor,
    administration,
    archive,
    concern,
    consent,
    export,
    measure,
    meeting,
    note,
    notifications,
    people,
    point,
    relay_log,
    sparkle,
    transfer,
)
from schema.mutations.base import MUTATIONS

__all__ = [
    "actor",
    "administration",
    "archive",
    "build_mutation",
    "concern",
    "consent",
    "export",
    "measure",
    "meeting",
    "note",
    "notifications",
    "people",
    "point",
    "relay_log",
    "sparkle",
    "transfer",
]


@cache
def build_mutation() -> type:
    """The ``Mutation`` root type of every schema that writes (the schema cuts it per audience)."""
    return strawberry.type(type("Mutation", (), dict(MUTATIONS)))
