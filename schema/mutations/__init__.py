"""Mutation classes, one module per domain; importing this package registers them all."""

from schema.mutations import (
    actor,
    concern,
    consent,
    export,
    measure,
    meeting,
    note,
    point,
    relay_log,
    sparkle,
    transfer,
)

__all__ = [
    "actor",
    "concern",
    "consent",
    "export",
    "measure",
    "meeting",
    "note",
    "point",
    "relay_log",
    "sparkle",
    "transfer",
]
