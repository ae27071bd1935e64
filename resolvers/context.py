"""What every resolver and permission class gets: the session, the viewer, the loaders,
and the audit entries this request will append when it finishes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import PolicyField, Relation
from auth.scoping import LogAccess
from auth.viewer import Viewer
from models.audit import AuditEntry
from models.i18n import Language
from resolvers.loaders import Loaders

__all__ = ["Context"]


@dataclass
class Context:
    session: AsyncSession
    viewer: Viewer | None
    loaders: Loaders
    today: date
    request_id: str
    client_address: str | None = None
    page_size_max: int = 100
    reads: dict[uuid.UUID, set[PolicyField]] = field(default_factory=lambda: defaultdict(set))
    read_relations: dict[uuid.UUID, Relation] = field(default_factory=dict)
    writes: list[AuditEntry] = field(default_factory=list)
    read_as: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    # When the session reads a replica: the moment its data is as of (None: the primary, now).
    as_of: datetime | None = None
    # The reader's language (``Accept-Language``; English, the API's words so far, without it).
    language: Language = Language.EN

    @property
    def access(self) -> dict[uuid.UUID, LogAccess]:
        return self.loaders.access

    def record_read(
        self, log_id: uuid.UUID, policy_field: PolicyField, relation: Relation | None = None
    ) -> None:
        """Note a kind of data read from a log, as the relation the viewer has *now* (a write
        later in the request may change it; the entry keeps the one the data was read as)."""
        self.reads[log_id].add(policy_field)
        if log_id not in self.read_relations:
            if relation is None and log_id in self.access:
                relation = self.access[log_id].relation
            if relation is not None:
                self.read_relations[log_id] = relation

    async def identify_reader(self) -> None:
        """A guardian with rows in several logs is recorded, per log read, as the row that
        log knows them by (``read_as``); with one row, ``viewer.person_id`` is that row."""
        viewer = self.viewer
        if viewer is None or len(viewer.guardian_ids) < 2:
            return
        logs = [
            log_id
            for log_id, relation in self.read_relations.items()
            if relation is Relation.GUARDIAN and log_id in self.reads and log_id not in self.read_as
        ]
        if not logs:
            return
        rows = await self.loaders.guardian_row.load_many(logs)
        self.read_as.update({log_id: row for log_id, row in zip(logs, rows, strict=True) if row})

    def audit_entries(self) -> list[AuditEntry]:
        """Reads are batched: one entry per log per request, naming the kinds of data read."""
        viewer = self.viewer
        if viewer is None:
            return list(self.writes)
        entries = [
            AuditEntry(
                actor_kind=viewer.kind.value,
                actor_id=self.read_as.get(log_id, viewer.person_id),
                relation=relation.value if (relation := self.read_relations.get(log_id)) else None,
                action="READ",
                object_type="RelayLog",
                object_id=log_id,
                log_id=log_id,
                fields=tuple(sorted(fields)),
                request_id=self.request_id,
                client_address=self.client_address,
            )
            for log_id, fields in self.reads.items()
        ]
        return entries + self.writes
