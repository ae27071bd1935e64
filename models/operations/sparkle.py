"""Sparkles (lysglimt): short, dated messages about improvements, small and big."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models.authorship import Author
from models.content import SPARKLE_MAX, Sparkle
from models.errors import InvalidInput
from models.operations.validation import require_text

__all__ = ["add_sparkle", "delete_sparkle"]


async def add_sparkle(
    session: AsyncSession,
    log_id: uuid.UUID,
    author: Author,
    text: str,
    occurred_on: date,
    today: date,
) -> Sparkle:
    if occurred_on > today:
        raise InvalidInput("occurredOn must not be in the future.", field="occurredOn")
    sparkle = Sparkle(
        log_id=log_id,
        text=require_text(text, "text", max_length=SPARKLE_MAX),
        occurred_on=occurred_on,
        **author.columns(),
    )
    session.add(sparkle)
    await session.flush()
    return sparkle


async def delete_sparkle(session: AsyncSession, sparkle: Sparkle) -> Sparkle:
    await session.delete(sparkle)
    await session.flush()
    return sparkle
