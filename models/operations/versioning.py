"""Optimistic concurrency for edits: the client names the version it last saw.

A stale version is a ``Conflict`` before anything changes. ``bump`` makes every accepted edit
an UPDATE (so the version always moves on, even when only rows hanging under the object
changed), and SQLAlchemy's ``version_id_col`` turns a concurrent stale UPDATE into a conflict.
"""

from __future__ import annotations

from models.base import TimestampMixin, VersionedMixin, utcnow
from models.errors import Conflict

__all__ = ["bump", "require_version"]


def require_version(row: VersionedMixin, expected_version: int) -> None:
    if row.version != expected_version:
        raise Conflict(Conflict.default_message, field="expectedVersion")


def bump(row: TimestampMixin) -> None:
    row.updated_at = utcnow()
