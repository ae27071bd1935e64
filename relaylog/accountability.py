"""The operator's side of accountability, behind ``relaylog audit verify``, ``relaylog report
passive`` and ``relaylog purge``: each opens one session, does its work in one transaction,
and returns plain data the CLI prints. Nothing here prints a person's name except the
passive report's relay holders (staff, by design of that report)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Municipality, Organisation, audit
from models.audit import AuditEntry, ChainBreak, Verification, snapshot, verify_chains
from models.audit_checkpoint import (
    AuditCheckpoint,
    CheckpointInvalid,
    Head,
    check_against,
    export,
    parse_export,
    write_checkpoint,
)
from models.base import utcnow
from models.passive import PassiveLog, passive_logs
from models.retention import (
    SYSTEM_ACTOR,
    PurgeCandidate,
    PurgeResult,
    RetentionTooShort,
    purge,
    purge_candidates,
)
from relaylog.db import check_database, create_engine, session_scope
from relaylog.replica import Replica
from relaylog.settings import ConfigurationError

__all__ = [
    "ChainReport",
    "PassiveReport",
    "PurgeReport",
    "checkpoint",
    "find_unit",
    "passive_csv",
    "read_checkpoint",
    "run_checkpoint",
    "run_passive_report",
    "run_purge",
    "run_verify",
    "stored_checkpoint",
]

PASSIVE_REPORT_ACTION = "REPORT_PASSIVE"
PASSIVE_COLUMNS = (
    "log_id",
    "status",
    "level",
    "holder_name",
    "holder_position",
    "last_activity_at",
    "days_inactive",
    "inactive",
    "overdue_measures",
    "unrecorded_meetings",
    "expired_consents",
    "activity_plan_deadline",
    "activity_plan_overdue",
)


@asynccontextmanager
async def _session(url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(url)
    try:
        await check_database(engine)
        async with session_scope(async_sessionmaker(engine, expire_on_commit=False)) as session:
            yield session
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class ChainReport:
    verification: Verification
    against: list[ChainBreak] | None = None  # None: no checkpoint to compare with

    @property
    def breaks(self) -> list[ChainBreak]:
        return self.verification.breaks + (self.against or [])


async def verify(session: AsyncSession, against: list[Head] | None = None) -> ChainReport:
    """Every chain from its genesis to its head, then (given a checkpoint's heads) that
    none of the checkpointed chains was rewritten since: both in one read-only snapshot, so
    appends committed meanwhile (live traffic) cannot look like a break."""
    await snapshot(session)
    verification = await verify_chains(session)
    breaks = None if against is None else await check_against(session, against)
    return ChainReport(verification, breaks)


async def run_verify(url: str, against: list[Head] | None = None) -> ChainReport:
    async with _session(url) as session:
        return await verify(session, against)


def read_checkpoint(path: str, public_key: Ed25519PublicKey) -> list[Head]:
    """The heads of an exported checkpoint file whose signature holds."""
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the checkpoint file ({type(exc).__name__})") from exc
    try:
        return parse_export(document, public_key)
    except CheckpointInvalid as exc:
        raise ConfigurationError(exc.message) from None


async def checkpoint(
    session_factory: async_sessionmaker[AsyncSession], key: Ed25519PrivateKey
) -> dict[str, Any]:
    """Sign the heads of every audit chain and store the checkpoint: the periodic job
    (the worker runs it; ``relaylog audit checkpoint`` by hand). Returns the exported form."""
    async with session_scope(session_factory) as session:
        written: AuditCheckpoint = await write_checkpoint(session, key)
        return export(written)


async def stored_checkpoint(url: str, checkpoint_id: int) -> dict[str, Any]:
    """The exported form of a checkpoint already stored (the worker's nightly one, say)."""
    async with _session(url) as session:
        found = await session.get(AuditCheckpoint, checkpoint_id)
        if found is None:
            raise ConfigurationError(f"no audit checkpoint has the id {checkpoint_id}")
        return export(found)


async def run_checkpoint(url: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await check_database(engine)
        return await checkpoint(async_sessionmaker(engine, expire_on_commit=False), key)
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class PassiveReport:
    organisation: str
    inactive_days: int
    as_of: date
    logs: list[PassiveLog]
    data_as_of: datetime | None = None  # read from a replica: the moment its data is as of


async def find_unit(session: AsyncSession, unit: str) -> Organisation:
    """A unit by id, or by its name when exactly one unit has it (case does not matter)."""
    try:
        by_id = await session.get(Organisation, uuid.UUID(unit))
    except ValueError:
        by_id = None
    if by_id is not None:
        return by_id
    found = list(
        await session.scalars(
            select(Organisation).where(func.lower(Organisation.name) == unit.strip().lower())
        )
    )
    if not found:
        raise ConfigurationError(f"no unit has the id or name {unit!r}")
    if len(found) > 1:
        raise ConfigurationError(f"{len(found)} units are named {unit!r}; give the unit's id")
    return found[0]


async def passive_report(
    session: AsyncSession,
    unit: str,
    today: date,
    inactive_days: int | None,
    *,
    primary: AsyncSession | None = None,
    data_as_of: datetime | None = None,
) -> PassiveReport:
    """The report read from ``session`` (a replica's, as of ``data_as_of``); its audit entry
    goes to ``primary`` when the session cannot write."""
    organisation = await find_unit(session, unit)
    if inactive_days is None:
        municipality = await session.get(Municipality, organisation.municipality_id)
        assert municipality is not None
        inactive_days = municipality.passive_after_days
    if inactive_days < 1:
        raise ConfigurationError("--inactive-days must be at least 1")
    logs = await passive_logs(session, organisation.id, today, inactive_days)
    await audit.append(
        primary or session,
        [
            AuditEntry(
                actor_kind=SYSTEM_ACTOR,
                action=PASSIVE_REPORT_ACTION,
                object_type="Organisation",
                object_id=organisation.id,
                municipality_id=organisation.municipality_id,
            )
        ],
    )
    return PassiveReport(organisation.name, inactive_days, today, logs, data_as_of)


async def run_passive_report(
    url: str,
    unit: str,
    today: date,
    inactive_days: int | None,
    *,
    replica_url: str | None = None,
    max_lag_seconds: float = 30.0,
) -> PassiveReport:
    """The report from the replica when one is given (and not too far behind)."""
    async with _session(url) as session:
        if replica_url is None:
            return await passive_report(session, unit, today, inactive_days, data_as_of=utcnow())
        engine = create_engine(replica_url)
        replica = Replica(engine, async_sessionmaker(engine), max_lag_seconds)
        try:
            read, as_of = await replica.open(async_sessionmaker(session.bind))
            async with read:
                return await passive_report(
                    read, unit, today, inactive_days, primary=session, data_as_of=as_of
                )
        finally:
            await engine.dispose()


def passive_csv(report: PassiveReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PASSIVE_COLUMNS)
    for log in report.logs:
        writer.writerow(
            [
                log.log_id,
                log.status.value,
                log.level,
                log.holder_name,
                log.holder_position,
                log.last_activity_at.isoformat(),
                log.days_inactive,
                str(log.inactive).lower(),
                log.overdue_measures,
                log.unrecorded_meetings,
                log.expired_consents,
                log.activity_plan_deadline.isoformat() if log.activity_plan_deadline else "",
                str(log.activity_plan_overdue).lower(),
            ]
        )
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class PurgeReport:
    candidates: list[PurgeCandidate]
    result: PurgeResult | None  # None for a dry run


async def run_purge(
    url: str,
    now: datetime,
    *,
    minimum_days: int,
    retention_days: int | None,
    dry_run: bool,
) -> PurgeReport:
    async with _session(url) as session:
        try:
            candidates = await purge_candidates(session, now, minimum_days, retention_days)
        except RetentionTooShort as exc:
            raise ConfigurationError(exc.message) from None
        if dry_run:
            return PurgeReport(candidates, None)
        result = await purge(
            session, [c.log_id for c in candidates], request_id=f"purge-{uuid.uuid4().hex}"
        )
        return PurgeReport(candidates, result)
