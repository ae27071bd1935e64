"""The DataLoader behind ``RelayLog.accessHistory``: one statement per distinct page request
(``first``, ``after``), whatever the number of logs on the page."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from models.access_history import Cursor, HistoryEntry, access_history

__all__ = ["HistoryKey", "access_history_loader"]


@dataclass(frozen=True, slots=True)
class HistoryKey:
    log_id: uuid.UUID
    limit: int
    before: Cursor | None


def access_history_loader(session: AsyncSession) -> DataLoader[HistoryKey, list[HistoryEntry]]:
    async def load(keys: Sequence[HistoryKey]) -> list[list[HistoryEntry]]:
        pages: dict[tuple[int, Cursor | None], list[uuid.UUID]] = defaultdict(list)
        for key in keys:
            pages[(key.limit, key.before)].append(key.log_id)
        found: dict[HistoryKey, list[HistoryEntry]] = {}
        for (limit, before), log_ids in pages.items():
            history = await access_history(session, log_ids, limit, before)
            for log_id in log_ids:
                found[HistoryKey(log_id, limit, before)] = history.get(log_id, [])
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
