"""How a mutation is written: one decorated function that decodes its ids, loads, asks the
write gate (``auth.gate``) and calls the domain operation in ``models/operations``.

```
@mutation(LOGS, audit="Sparkle", description="Delete a sparkle (its author, or the holder).")
async def delete_sparkle(w: Write, sparkle_id: strawberry.ID) -> SparklePayload:
    sparkle = await w.find(sparkle_id, SPARKLE)
    w.allow(Action.DELETE_SPARKLE, WriteFacts(author=w.author.wrote(sparkle)))
    return reply(SparklePayload, sparkle=await ops.delete_sparkle(w.session, sparkle))
```

Everything around it happens in one place, ``WriteExtension``: the decoded inputs are
checked first (``check_input``: text PostgreSQL cannot store, dates out of range, each named
by its field); the function runs in a savepoint; when it finds its log (``Write.log`` /
``Write.find``) the log's row is locked until the request commits, so writes that depend on
the log's state take turns; a ``DomainError`` raised anywhere (the gate, an id that does
not decode, the domain) rolls the savepoint back and becomes ``error { code message field }``
of the function's own payload type (the one error type of the schema, ``MutationError``); on
success the log's last activity moves, the audit entry is recorded and the request's caches
start over (levels, relations and lists may have changed).

**Events.** A mutation that someone should hear about declares its domain event in one line,
either on the decorator (``@mutation(LOGS, audit="Sparkle", event=EventKind.SPARKLE_ADDED,
...)``: the event names the log and the object the payload carries, like the audit entry)
or, when the kind depends on what happened or a write causes a second event, with
``w.emit(EventKind.LEVEL_CHANGED)`` (``log_id`` / ``object_id`` default to the write's). The
events are written to the outbox (``models.events``) inside the same savepoint, after the
function returned: a refused write records none. A new kind is added to
``models.events.EventKind`` and to ``auth.notifications.EVENT_SUBJECT``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer
from sqlalchemy.orm.exc import StaleDataError
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.base import has_object_definition
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from auth import gate
from auth.gate import OBJECT_KINDS, ObjectKind
from auth.notifications import OwnAction
from auth.policy import (
    NOT_EVALUATED,
    PACKAGE_RELATION,
    Action,
    Audience,
    PackageAction,
    PackageRole,
    RegisterAction,
    Relation,
    WriteFacts,
)
from auth.scoping import LogAccess, package_roles_of, packages_statement
from auth.viewer import Viewer
from exports.printed import ExportAnswer, ExportReader
from models import ArchiveRecord, RelayLog
from models.audit import AuditEntry
from models.authorship import Author
from models.base import utcnow
from models.enums import AuthorKind
from models.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotFound, localize
from models.events import Event, EventKind, record_events
from models.i18n import N_
from resolvers.context import Context
from schema.export_view import holder_answer
from schema.node import VALUE_TYPE, decode_global_id
from schema.permissions import audiences
from schema.text_input import text_problem

__all__ = [
    "LOGS",
    "MUTATIONS",
    "MutationError",
    "Write",
    "decode",
    "id_list",
    "mutation",
    "optional_id",
    "reference",
    "reply",
]

log = logging.getLogger("relaylog.write")
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
P = TypeVar("P")

LOGS = [Audience.STAFF, Audience.FAMILY]
MUTATIONS: dict[str, StrawberryField] = {}

strawberry.enum(ErrorCode, description="Why a mutation changed nothing.")


@strawberry.type(
    description="Why a mutation changed nothing; `field` names the bad input." + VALUE_TYPE
)
class MutationError:
    code: ErrorCode
    message: str
    field: str | None = None


def reply(payload: type[P], **values: object) -> P:
    """The payload with these values: ORM rows and views that the schema types read by
    attribute (mypy cannot know that they fit)."""
    return payload(**values)


def decode(raw: strawberry.ID | None, kind: ObjectKind) -> uuid.UUID | None:
    """The object id in a global id of this kind; ``None`` (answered as missing) otherwise."""
    gid = decode_global_id(raw)
    return gid.object_id if gid is not None and gid.type_name == kind.type_name else None


def reference(raw: strawberry.ID, type_name: str, label: str, field: str) -> uuid.UUID:
    """An id in the input that the domain checks further (exists, same log, may be added)."""
    gid = decode_global_id(raw)
    if gid is None or gid.type_name != type_name:
        raise NotFound("No such {label}.", field=field, label=label)
    return gid.object_id


def optional_id(
    raw: strawberry.ID | None, type_name: str, label: str, field: str
) -> uuid.UUID | None:
    """An optional ``reference``."""
    return None if raw is None else reference(raw, type_name, label, field)


def id_list(raws: Iterable[strawberry.ID], type_name: str, field: str) -> tuple[uuid.UUID, ...]:
    """Ids of people in the log (``log.actors { id }``, ``log.guardians { id }``)."""
    people = {"Actor": N_("active actors of this log"), "Guardian": N_("guardians of this child")}
    ids = []
    for raw in raws:
        gid = decode_global_id(raw)
        if gid is None or gid.type_name != type_name:
            raise InvalidInput(
                "{field} must name {type_name_name}.", field=field, type_name_name=people[type_name]
            )
        ids.append(gid.object_id)
    return tuple(ids)


@dataclasses.dataclass
class Write(Info[Context, None]):
    """What a mutation function gets instead of ``Info``: the request, and the write it is
    doing, filled in by the gate as it answers (the log, the viewer's standing, the author)."""

    action: Action | RegisterAction | OwnAction | PackageAction | None = None
    access: LogAccess | None = None
    package_relation: Relation | None = None
    author: Author = dataclasses.field(default_factory=lambda: Author(AuthorKind.SUBJECT))
    log_id: uuid.UUID | None = None
    object_id: uuid.UUID | None = None
    events: list[Event] = dataclasses.field(default_factory=list)

    def emit(
        self,
        kind: EventKind,
        *,
        log_id: uuid.UUID | None = None,
        object_id: uuid.UUID | None = None,
    ) -> None:
        """Record that this happened (in the outbox, with the write, if the write succeeds);
        the log and the object default to the write's own."""
        self.events.append(Event(kind, log_id=log_id, object_id=object_id))

    @property
    def session(self) -> AsyncSession:
        return self.context.session

    @property
    def today(self) -> date:
        return self.context.today

    @property
    def viewer(self) -> Viewer:
        """The viewer, once the gate has let them through."""
        viewer = self.context.viewer
        assert viewer is not None, "asked before the gate"
        return viewer

    def archive_reader(self) -> ExportReader:
        """The export document as the log's holder reads it: what an archive copy shows."""
        session, today = self.session, self.today

        async def read(log_id: uuid.UUID) -> ExportAnswer | None:
            return await holder_answer(session, log_id, today)

        return read

    async def find(self, raw: strawberry.ID | None, kind: ObjectKind) -> Any:
        """The object this id names, if this viewer may read it (else: as if missing)."""
        ctx = self.context
        object_id = decode(raw, kind)
        if ctx.viewer is not None and object_id is not None:
            found = await getattr(ctx.loaders, kind.loader).load(object_id)
            if found is not None:
                await self._serialise_on(found.log_id)
        obj, access = await gate.find_object(ctx.viewer, ctx.loaders, kind, object_id)
        self.access, self.log_id = access, access.log_id
        self.author = await self._author()
        return obj

    async def log(
        self, raw: strawberry.ID | None, action: Action, facts: WriteFacts = NOT_EVALUATED
    ) -> LogAccess:
        """A mutation on the log this id names: find it as the viewer, then ``allow``."""
        ctx = self.context
        log_id = decode(raw, OBJECT_KINDS["RelayLog"])
        if ctx.viewer is not None and log_id is not None:
            await self._serialise_on(log_id)
        self.access = await gate.find_log(ctx.viewer, ctx.loaders, log_id)
        self.log_id = self.access.log_id
        self.author = await self._author()
        self.allow(action, facts)
        return self.access

    async def _serialise_on(self, log_id: uuid.UUID) -> None:
        """Writes to one log take turns: lock its row until the request commits, then read
        its state (level, status, version) afresh, so every rule the gate and the domain
        check holds against the state the write really lands on. Without it, lowering the
        level while an outside actor is added, or closing while notes are written, could
        both commit (each checked the state before the other). ``FOR NO KEY UPDATE``: it
        conflicts with itself and with any change of the log row, not with rows that merely
        refer to the log. Taken here, where every write finds its log, and released when the
        savepoint of a refused write rolls back."""
        await self.session.execute(
            select(RelayLog)
            .where(RelayLog.id == log_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        loaders = self.context.loaders
        loaders.access.pop(log_id, None)
        with contextlib.suppress(KeyError):  # not asked yet
            loaders.log_access.clear(log_id)

    async def package(
        self, raw: strawberry.ID | None, action: PackageAction, *, with_content: bool = False
    ) -> ArchiveRecord:
        """The archive package this id names, locked, if ``PACKAGE_POLICY`` lets the viewer
        take ``action`` on it; otherwise exactly the answer for a missing id. Found in one
        statement that joins the id with the viewer's scope (another unit's package costs
        what a missing one does)."""
        ctx = self.context
        kind = OBJECT_KINDS["ArchiveRecord"]
        record_id = decode(raw, kind)
        record = None
        if ctx.viewer is not None and record_id is not None:
            stmt = packages_statement(ctx.viewer, action).where(ArchiveRecord.id == record_id)
            if with_content:
                stmt = stmt.options(undefer(ArchiveRecord.package))
            record = await self.session.scalar(
                stmt.with_for_update().execution_options(populate_existing=True)
            )
        roles = package_roles_of(ctx.viewer, record) if ctx.viewer and record else frozenset()
        if record is None or not roles:
            raise gate.missing(kind)
        self.action, self.log_id, self.object_id = action, record.log_id, record.id
        role = PackageRole.HOLDER_AT_THE_TIME if PackageRole.HOLDER_AT_THE_TIME in roles else None
        self.package_relation = PACKAGE_RELATION[role or PackageRole.UNIT_MANAGER]
        self.author = Author(AuthorKind.STAFF, staff_id=self.viewer.staff_id)
        return record

    def allow(self, action: Action, facts: WriteFacts = NOT_EVALUATED) -> None:
        """May the viewer do ``action`` in the log found (status, rule with ``facts``)?"""
        assert self.access is not None, "find the object first"
        gate.check_write(self.viewer, self.access, action, facts)
        self.action = action

    def own(self, action: OwnAction) -> Viewer:
        """A write about the viewer themself (their notification settings), in no log."""
        viewer = gate.check_own(self.context.viewer)
        self.action = action
        return viewer

    def start(self) -> None:
        """A write that starts a log (no log yet): staff only; the viewer becomes holder."""
        viewer = gate.check_start(self.context.viewer)
        self.action = Action.MANAGE_LOG
        self.author = Author(AuthorKind.STAFF, staff_id=viewer.staff_id)

    async def _author(self) -> Author:
        """Who the viewer is in this log: a guardian acts as the guardian row linked to this
        log's child (each log has its own rows; a person in several logs has several)."""
        viewer, access = self.viewer, self.access
        if viewer.staff_id is not None:
            return Author(AuthorKind.STAFF, staff_id=viewer.staff_id)
        if access is not None and access.relation is Relation.GUARDIAN:
            guardian_id = await self.context.loaders.own_guardian_row(access.log_id)
            if guardian_id is None:  # pragma: no cover - the relation comes from that link
                raise NotFound("No such log.", field="logId")
            return Author(AuthorKind.GUARDIAN, guardian_id=guardian_id)
        return Author(AuthorKind.SUBJECT)


EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)


def check_input(value: object, field: str, name_of: Callable[[Any], str]) -> None:
    """Refuse, naming the field, what no column can hold: text with U+0000 or a lone
    surrogate (PostgreSQL refuses both, which would end the request as an internal error),
    and dates outside ``EARLIEST_DATE``..``LATEST_DATE`` (a meeting in year 1 or a deadline
    in 9999 is a typing mistake, and breaks day counting). Walks the decoded arguments once,
    before the mutation runs, so every mutation and every field gets the same rule."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            raise InvalidInput("{field} {problem}.", field=field, problem=problem)
    elif isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise InvalidInput(
                "{field} must be between {earliest_date} and {latest_date}.",
                field=field,
                earliest_date=EARLIEST_DATE,
                latest_date=LATEST_DATE,
            )
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_input(item, f"{field}.{index}", name_of)
    elif has_object_definition(value):
        for definition in value.__strawberry_definition__.fields:
            inner = name_of(definition)
            check_input(
                getattr(value, definition.python_name),
                f"{field}.{inner}" if field else inner,
                name_of,
            )


class WriteExtension(FieldExtension):
    """The one place a mutation's outcome is handled: savepoint, typed errors, activity,
    audit (see the module docstring)."""

    def __init__(self, object_type: str, *, activity: bool, event: EventKind | None) -> None:
        self.object_type = object_type
        self.activity = activity
        self.event = event

    def apply(self, field: StrawberryField) -> None:
        assert field.base_resolver is not None
        assert field.base_resolver.info_parameter
        self.parameter = field.base_resolver.info_parameter.name
        self.payload: type = field.type  # type: ignore[assignment]

    def error(self, code: ErrorCode, message: str, field: str | None = None) -> Any:
        return self.payload(error=MutationError(code=code, message=message, field=field))

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        w = Write(_raw_info=info._raw_info, _field=info._field)
        kwargs[self.parameter] = w
        ctx: Context = info.context
        session = ctx.session
        name_of = info.schema.config.name_converter.get_graphql_name
        try:
            for name, value in kwargs.items():
                if name != self.parameter:
                    # ``input`` is the usual argument; its fields are named on their own.
                    check_input(value, "" if name == "input" else to_camel_case(name), name_of)
            async with session.begin_nested():
                result = await next_(source, w, **kwargs)
                if w.action is None:
                    raise RuntimeError(f"{info.field_name} wrote without asking the gate")
                touched = w.log_id or _log_id_of(_first_object(result))
                if touched is not None and self.activity:
                    await session.execute(
                        update(RelayLog)
                        .where(RelayLog.id == touched)
                        .values(last_activity_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
                await session.flush()
                await record_events(session, self._events(w, result, touched))
        except DomainError as exc:
            return self.error(exc.code, exc.localized(ctx.language), exc.field)
        except StaleDataError:
            return self.error(ErrorCode.CONFLICT, localize(Conflict.default_message, ctx.language))
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
            log.info("integrity error", extra={"constraint": constraint})
            message = localize(N_("The change breaks a rule of the log."), ctx.language)
            return self.error(ErrorCode.INVALID_INPUT, message)
        assert w.action is not None
        ctx.loaders = ctx.loaders.fresh()
        if touched is not None:
            await ctx.loaders.log_access.load(touched)
        viewer = w.viewer
        ctx.writes.append(
            AuditEntry(
                actor_kind=viewer.kind.value,
                actor_id=w.author.guardian_id or viewer.person_id,
                relation=_audited_relation(w).value,
                action=w.action.value,
                object_type=self.object_type,
                object_id=w.object_id or getattr(_first_object(result), "id", None),
                log_id=touched,
                request_id=ctx.request_id,
                client_address=ctx.client_address,
                municipality_id=viewer.municipality_id,
            )
        )
        return result

    def _events(self, w: Write, result: Any, touched: uuid.UUID | None) -> list[Event]:
        """The declared event and the emitted ones, each with the write's log, object and
        actor (ids only) where it named none."""
        declared = [Event(self.event)] if self.event is not None else []
        object_id = w.object_id or getattr(_first_object(result), "id", None)
        viewer = w.viewer
        return [
            dataclasses.replace(
                event,
                log_id=event.log_id or touched,
                object_id=event.object_id or object_id,
                actor_kind=viewer.kind.value,
                actor_id=w.author.guardian_id or viewer.person_id,
            )
            for event in [*declared, *w.events]
        ]


def _audited_relation(w: Write) -> Relation:
    """The relation a write is recorded under: a register write is to no log (``NONE``)."""
    if w.package_relation is not None:
        return w.package_relation
    if w.access is not None:
        return w.access.relation
    return Relation.NONE if isinstance(w.action, RegisterAction | OwnAction) else Relation.HOLDER


def _first_object(payload: Any) -> Any:
    """The object a payload carries first (the changed one): its id is the audited object."""
    for field in dataclasses.fields(payload):
        value = getattr(payload, field.name)
        if field.name != "error" and value is not None and not isinstance(value, bool | list):
            return value
    return None


def _log_id_of(obj: Any) -> uuid.UUID | None:
    return obj.id if isinstance(obj, RelayLog) else getattr(obj, "log_id", None)


def mutation(
    allowed: Iterable[Audience],
    *,
    audit: str,
    description: str,
    activity: bool = True,
    event: EventKind | None = None,
) -> Callable[[F], F]:
    """Register a function as a root mutation for these audiences.

    ``audit`` names the audited object type; ``activity=False`` for writes that do not move
    the case on (an export): audited, but a passive log stays visible as such. ``event``:
    the domain event the write records when it succeeds (see the module docstring).
    """

    def register(resolver: F) -> F:
        MUTATIONS[resolver.__name__] = audiences(
            allowed,
            resolver=resolver,
            description=description,
            extensions=[WriteExtension(audit, activity=activity, event=event)],
        )
        return resolver

    return register
