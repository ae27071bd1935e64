"""Input checks shared by the operations; messages name the field, never the value."""

from __future__ import annotations

from datetime import date

from models.errors import InvalidInput

__all__ = ["require_dates_in_order", "require_text"]


def require_text(value: str, field: str, *, max_length: int, allow_empty: bool = False) -> str:
    text = value.strip()
    if not text and not allow_empty:
        raise InvalidInput("{field} must not be empty.", field=field)
    if len(text) > max_length:
        raise InvalidInput(
            "{field} must be at most {max_length} characters.", field=field, max_length=max_length
        )
    return text


def require_dates_in_order(first: date, second: date, first_field: str, second_field: str) -> None:
    if second < first:
        raise InvalidInput(
            "{field} must not be before {first_field}.", field=second_field, first_field=first_field
        )
