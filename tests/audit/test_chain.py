"""The audit trail is append-only and tamper-evident: the database refuses to change it, and
``relaylog audit verify`` finds a row changed behind the database's back (a superuser who
switched the triggers off)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from auth.policy import Audience
from models import AuditEvent
from models.audit import AuditEntry, append, chain_of, verify_chains
from relaylog.db import async_url
from relaylog.migrations import upgrade
from relaylog.settings import PROJECT_ROOT
from schema.build import build_schema
from schema.node import encode_global_id
from tests.conftest import fresh_database
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.test_cli import relaylog


async def _tamper(session: AsyncSession, statement: str, event_id: int) -> None:
    """What only a superuser can do: switch the guard off, change the trail, switch it on."""
    await session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    await session.execute(text(statement), {"id": event_id})
    await session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


async def _read_three_times(client: GraphQLClient, world: World) -> list[int]:
    """Three reads of one log by three people: three events of that log's chain."""
    log = await world.full_log(level=2)
    for person, audience in [
        (world.holder, Audience.STAFF),
        (world.guardian, Audience.FAMILY),
        (world.external, Audience.STAFF),
    ]:
        await client.query(
            "query($id: ID!) { node(id: $id) { ... on RelayLog { level notes { text } } } }",
            as_=person,
            audience=audience,
            variables={"id": encode_global_id("RelayLog", log.id)},
        )
    return [e.id for e in await world.seed.session.scalars(select(AuditEvent))]


async def test_the_chain_of_real_reads_verifies(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    ids = await _read_three_times(client, world)

    found = await verify_chains(session)
    checked, broken = found.events, found.broken

    assert broken is None
    assert checked == len(ids) == 3
    assert found.chains == 1
    events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    assert [e.chain_seq for e in events] == [1, 2, 3]
    assert {e.chain for e in events} == {f"log:{events[0].log_id}"}


async def test_an_event_edited_behind_the_databases_back_is_found(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, second, _ = await _read_three_times(client, world)

    await _tamper(session, "UPDATE audit_event SET relation = 'HOLDER' WHERE id = :id", second)

    found = await verify_chains(session)
    checked, broken = found.events, found.broken
    assert broken is not None
    assert (broken.event_id, broken.reason) == (second, "content does not match its hash")
    assert broken.chain.startswith("log:")
    assert len(found.breaks) == 1
    assert checked == 3


async def test_an_event_removed_from_the_middle_is_found(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    _, second, third = await _read_three_times(client, world)

    await _tamper(session, "DELETE FROM audit_event WHERE id = :id", second)

    broken = (await verify_chains(session)).broken
    assert broken is not None
    assert (broken.event_id, broken.reason) == (third, "an event is missing before this one")


async def test_an_event_cut_off_the_end_of_its_chain_is_found_by_the_recorded_head(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    *_, third = await _read_three_times(client, world)

    await _tamper(session, "DELETE FROM audit_event WHERE id = :id", third)

    found = await verify_chains(session)
    assert found.broken is not None
    assert (found.broken.event_id, found.broken.reason) == (
        None,
        "recorded head does not match the last event",
    )


async def test_an_event_moved_into_another_chain_breaks_it(session: AsyncSession) -> None:
    one, other = uuid.uuid4(), uuid.uuid4()
    await append(session, [AuditEntry(actor_kind="STAFF", action="READ", log_id=one)])
    await append(session, [AuditEntry(actor_kind="STAFF", action="READ", log_id=other)])
    moved = await session.scalar(select(AuditEvent.id).where(AuditEvent.log_id == other))

    await _tamper(
        session, f"UPDATE audit_event SET log_id = '{one}' WHERE id = :id", int(moved or 0)
    )

    found = await verify_chains(session)
    assert [(b.chain, b.event_id) for b in found.breaks] == [(f"log:{other}", moved)]


async def test_events_without_a_log_join_their_municipalitys_chain(
    session: AsyncSession,
) -> None:
    municipality = uuid.uuid4()
    entries = [
        AuditEntry(actor_kind="SYSTEM", action="REGISTER_STAFF", municipality_id=municipality),
        AuditEntry(actor_kind="SYSTEM", action="REPORT_PASSIVE"),
        AuditEntry(actor_kind="STAFF", action="READ", log_id=uuid.uuid4()),
    ]
    await append(session, entries)

    chains = sorted(await session.scalars(select(AuditEvent.chain)))
    assert chains == sorted([chain_of(e) for e in entries])
    assert chain_of(entries[0]) == f"municipality:{municipality}"
    assert chain_of(entries[1]) == "system"
    assert (await verify_chains(session)).breaks == []


async def test_an_edit_that_recomputes_its_own_hash_still_breaks_the_next_link(
    session: AsyncSession,
) -> None:
    await append(session, [AuditEntry(actor_kind="STAFF", action="READ") for _ in range(3)])
    _, second, _ = [e.id for e in await session.scalars(select(AuditEvent))]

    await _tamper(
        session,
        "UPDATE audit_event SET action = 'FORGED', hash = sha256(hash) WHERE id = :id",
        second,
    )

    broken = (await verify_chains(session)).broken
    assert broken is not None
    assert broken.event_id == second


def test_no_mutation_of_any_audience_touches_the_audit_trail() -> None:
    for audience in Audience:
        mutation = build_schema(audience)._schema.mutation_type
        names = list(mutation.fields) if mutation is not None else []
        touching = [n for n in names if re.search(r"audit|history|access", n, re.I)]
        assert touching == [], audience


def test_only_the_audit_module_writes_audit_events() -> None:
    """Every other module may read the trail; none updates, deletes or inserts into it.
    The migrations that define the append function (and carried the old single chain into
    per-log chains) are the database's own history, not writers at run time."""
    writers = []
    pattern = re.compile(
        r"(update|delete)\(\s*AuditEvent|(UPDATE|DELETE\s+FROM|TRUNCATE|INSERT\s+INTO)\s+audit_event"
        r"|AuditEvent\(",
        re.I,
    )
    for folder in ("models", "auth", "resolvers", "schema", "exports", "relaylog"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            name = path.relative_to(PROJECT_ROOT).as_posix()
            if name == "models/audit.py" or name.startswith("relaylog/migrations/versions/"):
                continue
            if pattern.search(path.read_text()):
                writers.append(path.relative_to(PROJECT_ROOT).as_posix())
    assert writers == []


@pytest.fixture(scope="module")
def committed_trail() -> Iterator[str]:
    """A database of its own with a committed chain of five events."""
    with fresh_database("relaylog_audit") as url:
        upgrade(url)

        async def seed() -> None:
            engine = create_async_engine(async_url(url), poolclass=NullPool)
            try:
                async with AsyncSession(engine) as session:
                    await append(
                        session,
                        [AuditEntry(actor_kind="STAFF", action="READ") for _ in range(5)],
                    )
                    await session.commit()
            finally:
                await engine.dispose()

        asyncio.run(seed())
        yield url


def _psql(url: str, sql: str) -> None:
    async def run() -> None:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                for statement in sql.split(";"):
                    if statement.strip():
                        await conn.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.mark.slow
def test_audit_verify_reports_an_intact_trail_then_the_first_broken_link(
    committed_trail: str, tmp_path: Path
) -> None:
    intact = relaylog("audit", "verify", data_dir=tmp_path, database_url=committed_trail)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout == "audit trail intact: 5 events in 1 chains\n"

    _psql(
        committed_trail,
        "ALTER TABLE audit_event DISABLE TRIGGER USER;"
        "UPDATE audit_event SET action = 'FORGED' WHERE id = (SELECT min(id) + 2 FROM audit_event);"
        "ALTER TABLE audit_event ENABLE TRIGGER USER",
    )
    broken = relaylog("audit", "verify", data_dir=tmp_path, database_url=committed_trail)

    assert broken.returncode == 1
    assert re.fullmatch(
        r"audit trail BROKEN in 1 of 1 chains \(5 events\):\n"
        r"  system: event \d+: content does not match its hash\n",
        broken.stdout,
    ), broken.stdout
    assert "Traceback" not in broken.stderr
