"""Mutation classes, one module per domain; importing this package registers them all."""

from schema.mutations import sparkle

__all__ = ["sparkle"]
