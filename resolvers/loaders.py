"""Per-request DataLoaders: every list in the schema loads through one of these, so the
number of SQL round trips of a query does not grow with the number of objects returned."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import ColumnElement, Select, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from auth.policy import Relation
from auth.scoping import LogAccess, log_access_statement
from auth.viewer import Viewer
from models import (
    ActorMembership,
    AttentionConversation,
    Child,
    ChildGuardian,
    Consent,
    ConsentDocument,
    Evaluation,
    Guardian,
    LevelChange,
    Measure,
    MeasureResponsible,
    Meeting,
    MeetingParticipant,
    Note,
    NoteVersion,
    Organisation,
    PointOfAttention,
    RelayLog,
    Sparkle,
    StaffAccount,
    Transfer,
    TransferApproval,
)
from resolvers.activity import activity_loader
from resolvers.history_loader import access_history_loader

__all__ = ["Loaders"]

T = TypeVar("T")
Key = uuid.UUID


_KEYS = bindparam("keys", type_=ARRAY(UUID(as_uuid=True)))
_statements: dict[tuple[Any, ...], Select[Any]] = {}


def _order_key(expression: Any) -> Any:
    """A hashable name for an ORDER BY term (``None``: not one this module knows)."""
    if isinstance(expression, InstrumentedAttribute):
        return (expression.class_, expression.key, None)
    element, modifier = getattr(expression, "element", None), getattr(expression, "modifier", None)
    table = getattr(element, "table", None)
    if isinstance(element, ColumnElement) and modifier is not None and table is not None:
        return (getattr(table, "name", None), element.key, modifier)
    return None


def keyed_statement(
    model: type[Any], key_column: Any, *order_by: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> Select[Any]:
    """``SELECT model WHERE key_column = ANY(:keys) ORDER BY …``, built once per process.

    One array parameter keeps the SQL text, and so the prepared statement the server keeps
    for it, the same for any number of keys (``IN`` would expand into a new statement for
    every new count); building the statement once saves its construction on every request.
    """
    order_keys = tuple(_order_key(o) for o in order_by)
    cache_key = (model, key_column.key, order_keys)
    statement = _statements.get(cache_key)
    if statement is None:
        statement = select(model).where(key_column == any_(_KEYS)).order_by(*order_by)
        if None not in order_keys:
            _statements[cache_key] = statement
    return statement


def _grouped(
    session: AsyncSession,
    model: type[T],
    key_column: InstrumentedAttribute[Any],
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> DataLoader[Key, list[T]]:
    async def load(keys: Sequence[Key]) -> list[list[T]]:
        statement = keyed_statement(model, key_column, *order_by)
        rows = await session.scalars(statement, {"keys": list(keys)})
        groups: dict[Key, list[T]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, key_column.key)].append(row)
        return [groups.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


def _by_id(session: AsyncSession, model: type[T]) -> DataLoader[Key, T | None]:
    id_column: InstrumentedAttribute[Any] = model.id  # type: ignore[attr-defined]

    async def load(keys: Sequence[Key]) -> list[T | None]:
        found = await session.scalars(keyed_statement(model, id_column), {"keys": list(keys)})
        rows = {getattr(row, "id"): row for row in found}  # noqa: B009
        return [rows.get(key) for key in keys]

    return DataLoader(load_fn=load)


L = TypeVar("L")


class _Lazy(Generic[L]):
    """A per-request loader made the first time a request asks for it."""

    def __init__(self, make: Callable[[Loaders], L]) -> None:
        self.make = make
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Lazy[L]: ...
    @overload
    def __get__(self, obj: Loaders, owner: type) -> L: ...
    def __get__(self, obj: Loaders | None, owner: type) -> L | _Lazy[L]:
        if obj is None:
            return self
        value = self.make(obj)
        obj.__dict__[self.name] = value
        return value


class Loaders:
    """Built once per request; each loader on first use (a compiled read uses none).
    ``access`` is the viewer's standing per log, shared with the permission classes, so the
    relation to a log is computed once per request."""

    session: AsyncSession
    viewer: Viewer | None
    today: date

    log = _Lazy(lambda r: _by_id(r.session, RelayLog))
    child = _Lazy(lambda r: _by_id(r.session, Child))
    staff = _Lazy(lambda r: _by_id(r.session, StaffAccount))
    organisation = _Lazy(lambda r: _by_id(r.session, Organisation))
    guardian = _Lazy(lambda r: _by_id(r.session, Guardian))
    point = _Lazy(lambda r: _by_id(r.session, PointOfAttention))
    measure = _Lazy(lambda r: _by_id(r.session, Measure))
    evaluation = _Lazy(lambda r: _by_id(r.session, Evaluation))
    meeting = _Lazy(lambda r: _by_id(r.session, Meeting))
    note = _Lazy(lambda r: _by_id(r.session, Note))
    sparkle = _Lazy(lambda r: _by_id(r.session, Sparkle))
    consent = _Lazy(lambda r: _by_id(r.session, Consent))
    consent_document = _Lazy(lambda r: _by_id(r.session, ConsentDocument))
    actor = _Lazy(lambda r: _by_id(r.session, ActorMembership))
    concern = _Lazy(lambda r: _by_id(r.session, AttentionConversation))
    transfer = _Lazy(lambda r: _by_id(r.session, Transfer))
    transfers = _Lazy(
        lambda r: _grouped(r.session, Transfer, Transfer.log_id, Transfer.created_at, Transfer.id)
    )
    transfer_approvals = _Lazy(
        lambda r: _grouped(
            r.session,
            TransferApproval,
            TransferApproval.transfer_id,
            TransferApproval.approved_at,
            TransferApproval.id,
        )
    )
    concerns = _Lazy(
        lambda r: _grouped(
            r.session,
            AttentionConversation,
            AttentionConversation.log_id,
            AttentionConversation.held_on,
            AttentionConversation.created_at,
            AttentionConversation.id,
        )
    )
    child_guardians = _Lazy(
        lambda r: _grouped(
            r.session, ChildGuardian, ChildGuardian.child_id, ChildGuardian.guardian_id
        )
    )
    level_changes = _Lazy(
        lambda r: _grouped(
            r.session, LevelChange, LevelChange.log_id, LevelChange.changed_at, LevelChange.id
        )
    )
    consents = _Lazy(
        lambda r: _grouped(r.session, Consent, Consent.log_id, Consent.given_on, Consent.id)
    )
    actors = _Lazy(
        lambda r: _grouped(
            r.session,
            ActorMembership,
            ActorMembership.log_id,
            ActorMembership.is_holder.desc(),
            ActorMembership.created_at,
            ActorMembership.id,
        )
    )
    points = _Lazy(
        lambda r: _grouped(
            r.session,
            PointOfAttention,
            PointOfAttention.log_id,
            PointOfAttention.created_at,
            PointOfAttention.id,
        )
    )
    measures = _Lazy(
        lambda r: _grouped(r.session, Measure, Measure.point_id, Measure.initiated_on, Measure.id)
    )
    measure_responsibles = _Lazy(
        lambda r: _grouped(r.session, MeasureResponsible, MeasureResponsible.measure_id)
    )
    evaluations = _Lazy(
        lambda r: _grouped(
            r.session, Evaluation, Evaluation.measure_id, Evaluation.evaluated_at, Evaluation.id
        )
    )
    meetings = _Lazy(
        lambda r: _grouped(r.session, Meeting, Meeting.log_id, Meeting.held_on.desc(), Meeting.id)
    )
    participants = _Lazy(
        lambda r: _grouped(
            r.session,
            MeetingParticipant,
            MeetingParticipant.meeting_id,
            MeetingParticipant.kind,
            MeetingParticipant.id,
        )
    )
    notes = _Lazy(lambda r: _grouped(r.session, Note, Note.log_id, Note.created_at.desc(), Note.id))
    minutes = _Lazy(
        lambda r: _grouped(r.session, Note, Note.meeting_id, Note.created_at.desc(), Note.id)
    )
    note_versions = _Lazy(
        lambda r: _grouped(r.session, NoteVersion, NoteVersion.note_id, NoteVersion.number)
    )
    sparkles = _Lazy(
        lambda r: _grouped(
            r.session, Sparkle, Sparkle.log_id, Sparkle.occurred_on.desc(), Sparkle.id
        )
    )
    activity = _Lazy(lambda r: activity_loader(r.session, r.today))
    access_history = _Lazy(lambda r: access_history_loader(r.session))

    def __init__(self, session: AsyncSession, viewer: Viewer | None, today: date) -> None:
        self.session = session
        self.viewer = viewer
        self.today = today
        self.access: dict[Key, LogAccess] = {}
        self.log_access: DataLoader[Key, LogAccess | None] = DataLoader(load_fn=self._load_access)
        self.guardian_row: DataLoader[Key, uuid.UUID | None] = DataLoader(
            load_fn=self._load_guardian_rows
        )

    async def _load_access(self, keys: Sequence[Key]) -> list[LogAccess | None]:
        if self.viewer is None:
            return [None] * len(keys)
        missing = [key for key in keys if key not in self.access]
        if missing:
            rows = await self.session.execute(log_access_statement(self.viewer, missing))
            for row in rows:
                self.remember(LogAccess(row[0], Relation(row[1]), row[2], row[3]))
        return [self.access.get(key) for key in keys]

    async def _load_guardian_rows(self, keys: Sequence[Key]) -> list[uuid.UUID | None]:
        ids = list(self.viewer.guardian_ids) if self.viewer is not None else []
        if not ids:
            return [None] * len(keys)
        rows = await self.session.execute(
            select(RelayLog.id, ChildGuardian.guardian_id)
            .join(ChildGuardian, ChildGuardian.child_id == RelayLog.child_id)
            .where(
                RelayLog.id.in_(list(keys)),
                ChildGuardian.guardian_id.in_(ids),
                ChildGuardian.parental_responsibility,
            )
            .order_by(RelayLog.id, ChildGuardian.guardian_id)
        )
        found: dict[Key, uuid.UUID] = {}
        for log_id, guardian_id in rows:
            found.setdefault(log_id, guardian_id)
        return [found.get(key) for key in keys]

    async def own_guardian_row(self, log_id: Key) -> uuid.UUID | None:
        """The viewer's guardian row in a log where their relation is GUARDIAN. Each log has
        its own rows, so a person who is a guardian in several logs has several ids."""
        ids = self.viewer.guardian_ids if self.viewer is not None else frozenset()
        if len(ids) == 1:
            return next(iter(ids))  # the scoping found it linked to the log's child
        return await self.guardian_row.load(log_id)

    def fresh(self) -> Loaders:
        """Empty caches for the same request (after a write)."""
        return Loaders(self.session, self.viewer, self.today)

    def remember(self, access: LogAccess) -> None:
        self.access[access.log_id] = access
        self.log_access.prime(access.log_id, access)
