"""Keyset pagination for lists of logs: ``(last_activity_at, id)`` descending, opaque cursors."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from resolvers.errors import ClientError, ErrorCode

__all__ = ["Page", "decode_cursor", "encode_cursor", "validate_first"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Edge(Generic[T]):
    cursor: str
    node: T


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    edges: list[Edge[T]]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


def encode_cursor(at: datetime, object_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{object_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Only cursors this service made: anything that does not round-trip is invalid input."""
    try:
        at_text, _, object_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at, decoded_id = datetime.fromisoformat(at_text), uuid.UUID(object_id)
        if at.tzinfo is None or encode_cursor(at, decoded_id) != cursor:
            raise ValueError("not a cursor of ours")
        return at.astimezone(UTC), decoded_id
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise ClientError(ErrorCode.INVALID_INPUT, "invalid cursor", field="after") from exc


def validate_first(first: int, maximum: int) -> int:
    if not 1 <= first <= maximum:
        raise ClientError(
            ErrorCode.INVALID_INPUT, f"first must be between 1 and {maximum}", field="first"
        )
    return first
