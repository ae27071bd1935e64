"""The attention conversations of a log, through a DataLoader."""

from __future__ import annotations

from strawberry.types import Info

from models import AttentionConversation, RelayLog

__all__ = ["attention_conversations"]


async def attention_conversations(root: RelayLog, info: Info) -> list[AttentionConversation]:
    return await info.context.loaders.concerns.load(root.id)
