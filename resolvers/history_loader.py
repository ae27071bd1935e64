"""The DataLoader behind ``RelayLog.accessHistory``: one statement per distinct page request
(``first``, ``after``), whatever the number of logs on the page; each log with what the
viewer may see of it (``HistoryScope``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from models.access_history import Cursor, HistoryEntry, HistoryScope, access_history

__all__ = ["HistoryKey", "access_history_loader"]


@dataclass(frozen=True, slots=True)
class HistoryKey:
    scope: HistoryScope
    limit: int
    before: Cursor | None


def access_history_loader(session: AsyncSession) -> DataLoader[HistoryKey, list[HistoryEntry]]:
    async def load(keys: Sequence[HistoryKey]) -> list[list[HistoryEntry]]:
        pages: dict[tuple[int, Cursor | None], list[HistoryScope]] = defaultdict(list)
        for key in keys:
            pages[(key.limit, key.before)].append(key.scope)
        found: dict[HistoryKey, list[HistoryEntry]] = {}
        for (limit, before), scopes in pages.items():
            history: dict[uuid.UUID, list[HistoryEntry]] = await access_history(
                session, scopes, limit, before
            )
            for scope in scopes:
                found[HistoryKey(scope, limit, before)] = history.get(scope.log_id, [])
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
