"""What every resolver and permission class gets: the session, the viewer, the loaders,
and the audit entries this request will append when it finishes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import PolicyField
from auth.scoping import LogAccess
from auth.viewer import Viewer
from models.audit import AuditEntry
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
    writes: list[AuditEntry] = field(default_factory=list)

    @property
    def access(self) -> dict[uuid.UUID, LogAccess]:
        return self.loaders.access

    def record_read(self, log_id: uuid.UUID, policy_field: PolicyField) -> None:
        self.reads[log_id].add(policy_field)

    def audit_entries(self) -> list[AuditEntry]:
        """Reads are batched: one entry per log per request, naming the kinds of data read."""
        viewer = self.viewer
        if viewer is None:
            return list(self.writes)
        entries = [
            AuditEntry(
                actor_kind=viewer.kind.value,
                actor_id=viewer.person_id,
                relation=self.access[log_id].relation.value if log_id in self.access else None,
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
