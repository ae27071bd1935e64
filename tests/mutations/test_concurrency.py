"""No silent last-write-wins: twenty people press "save" on the same version of a log at the
same moment; exactly one change lands, everyone else is told CONFLICT, nothing is lost.

These requests need separate connections and real commits, so this module runs against its
own freshly migrated database instead of the rolled-back test transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from auth.dev_keys import DevKeys
from auth.policy import Audience
from models import ActorMembership, AuditEvent, LevelChange, Note, RelayLog
from models import secrets as data_protection
from models.audit import verify_chains
from models.enums import ActorStatus
from relaylog.app import Services, build_app
from relaylog.db import RequestSession, create_engine
from relaylog.migrations import upgrade
from relaylog.services import make_verifier
from relaylog.settings import Settings
from schema.trusted import trusted_documents
from tests.conftest import TEST_SECRET, fresh_database
from tests.factories import TODAY, World, build_world
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import ERROR, consent_all, gid

PEOPLE = 20
SET_LEVEL = f"""mutation($input: SetLevelInput!) {{ setLevel(input: $input) {{
  log {{ level version }} {ERROR} }} }}"""
PAUSE = f"""mutation($input: PauseLogInput!) {{ pauseLog(input: $input) {{
  log {{ status version }} {ERROR} }} }}"""


@dataclass
class Committed:
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    client: GraphQLClient
    world: World


@pytest.fixture(scope="module")
def committed_database() -> Iterator[str]:
    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_concurrency") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
async def committed(
    committed_database: str, settings: Settings, dev_keys: DevKeys
) -> AsyncIterator[Committed]:
    engine = create_engine(committed_database)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        world = await build_world(session)
        await session.commit()
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=async_sessionmaker(engine, class_=RequestSession, expire_on_commit=False),
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Committed(engine, sessions, GraphQLClient(http, dev_keys, settings), world)
    await engine.dispose()


async def _log_at_level_1_with_consent_for_2(committed: Committed) -> RelayLog:
    async with committed.sessions() as session:
        world = committed.world
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1)
        await consent_all(world, log, 2)
        await session.commit()
        return log


async def _fire(committed: Committed, query: str, inputs: list[dict[str, Any]]) -> list[Any]:
    client = committed.client
    token = client.token_for(committed.world.holder)
    responses = await asyncio.gather(
        *(client.post(query, token=token, variables={"input": i}) for i in inputs)
    )
    assert all(r.status_code == 200 for r in responses)
    bodies = [r.json() for r in responses]
    assert all(not b.get("errors") for b in bodies), bodies
    return [next(iter(b["data"].values())) for b in bodies]


async def test_twenty_concurrent_level_changes_on_one_version_exactly_one_wins(
    committed: Committed,
) -> None:
    log = await _log_at_level_1_with_consent_for_2(committed)
    same = {
        "logId": gid("RelayLog", log),
        "level": 2,
        "reason": "Samarbeid med helsestasjonen",
        "expectedVersion": log.version,
    }
    results = await _fire(committed, SET_LEVEL, [same] * PEOPLE)

    winners = [r for r in results if r["error"] is None]
    losers = [r for r in results if r["error"] is not None]
    assert len(winners) == 1
    assert winners[0]["log"] == {"level": 2, "version": log.version + 1}
    assert len(losers) == PEOPLE - 1
    assert {(r["error"]["code"], r["log"]) for r in losers} == {("CONFLICT", None)}

    async with committed.sessions() as session:
        stored = await session.get(RelayLog, log.id)
        assert stored is not None
        assert (stored.level, stored.version) == (2, log.version + 1)
        changes = await session.scalar(
            select(func.count()).where(LevelChange.log_id == log.id, LevelChange.to_level == 2)
        )
        assert changes == 1  # one change recorded, none lost, none doubled
        writes = await session.scalar(
            select(func.count()).where(
                AuditEvent.log_id == log.id, AuditEvent.action == "MANAGE_LOG"
            )
        )
        assert writes == 1  # only the write that happened is in the audit trail
        found = await verify_chains(session)
        checked, broken = found.events, found.broken
        assert broken is None
        assert checked > 0


async def test_concurrent_different_edits_of_one_version_still_let_only_one_through(
    committed: Committed,
) -> None:
    log = await _log_at_level_1_with_consent_for_2(committed)
    level = {
        "logId": gid("RelayLog", log),
        "level": 2,
        "reason": "Opp",
        "expectedVersion": log.version,
    }
    pause = {
        "logId": gid("RelayLog", log),
        "reason": "Ferie",
        "expectedVersion": log.version,
    }
    results = await asyncio.gather(
        _fire(committed, SET_LEVEL, [level] * (PEOPLE // 2)),
        _fire(committed, PAUSE, [pause] * (PEOPLE // 2)),
    )
    flat = [r for batch in results for r in batch]
    assert sum(r["error"] is None for r in flat) == 1
    assert {r["error"]["code"] for r in flat if r["error"] is not None} == {"CONFLICT"}
    async with committed.sessions() as session:
        stored = await session.get(RelayLog, log.id)
        assert stored is not None
        assert stored.version == log.version + 1


ROUNDS = 20
ADD_ACTOR = f"""mutation($input: AddActorInput!) {{ addActor(input: $input) {{
  actor {{ id }} {ERROR} }} }}"""
WRITE_NOTE = f"""mutation($input: WriteNoteInput!) {{ writeNote(input: $input) {{
  note {{ id }} {ERROR} }} }}"""
CLOSE_LOG = f"""mutation($input: CloseLogInput!) {{ closeLog(input: $input) {{
  log {{ status }} {ERROR} }} }}"""


async def _log_at_level_2(committed: Committed) -> RelayLog:
    async with committed.sessions() as session:
        world = committed.world
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=2)
        await consent_all(world, log, 2)
        await session.commit()
        return log


async def _answers(committed: Committed, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Every call at once, each request in its own session and connection."""
    client = committed.client
    token = client.token_for(committed.world.holder)
    responses = await asyncio.gather(
        *(client.post(query, token=token, variables={"input": i}) for query, i in calls)
    )
    bodies = [r.json() for r in responses]
    assert all(
        r.status_code == 200 and not b.get("errors") for r, b in zip(responses, bodies, strict=True)
    ), bodies
    return [next(iter(b["data"].values())) for b in bodies]


async def test_lowering_the_level_while_an_outside_actor_is_added_never_leaves_them_active(
    committed: Committed,
) -> None:
    outcomes: set[tuple[bool, bool]] = set()
    for _ in range(ROUNDS):
        log = await _log_at_level_2(committed)
        lower = {
            "logId": gid("RelayLog", log),
            "level": 1,
            "reason": "Samtykket til deling er trukket",
            "expectedVersion": log.version,
        }
        add = {
            "logId": gid("RelayLog", log),
            "staffAccountId": gid("StaffAccount", committed.world.external),
        }
        lowered, added = await _answers(committed, [(SET_LEVEL, lower), (ADD_ACTOR, add)])
        outcomes.add((lowered["error"] is None, added["error"] is None))
        async with committed.sessions() as session:
            stored = await session.get(RelayLog, log.id)
            assert stored is not None
            outside = await session.scalar(
                select(func.count()).where(
                    ActorMembership.log_id == log.id,
                    ActorMembership.organisation_id != committed.world.holder.organisation_id,
                    ActorMembership.status == ActorStatus.ACTIVE,
                )
            )
            assert stored.level == (1 if lowered["error"] is None else 2)
            assert not (stored.level == 1 and outside), "an outside actor is active at level 1"
    assert (True, True) in outcomes or (True, False) in outcomes


async def test_closing_the_log_while_ten_notes_are_written_never_commits_a_note_after_it(
    committed: Committed,
) -> None:
    for _ in range(ROUNDS):
        log = await _log_at_level_2(committed)
        close = {
            "logId": gid("RelayLog", log),
            "reason": "GOAL_REACHED",
            "summary": "Målet er nådd",
            "expectedVersion": log.version,
        }
        notes = [{"logId": gid("RelayLog", log), "text": f"Notat {i}"} for i in range(10)]
        answers = await _answers(
            committed,
            [(WRITE_NOTE, n) for n in notes[:5]]
            + [(CLOSE_LOG, close)]
            + [(WRITE_NOTE, n) for n in notes[5:]],
        )
        closed = answers[5]
        assert closed["error"] is None
        accepted = {a["note"]["id"] for a in answers if "note" in a and a["error"] is None}
        refused = [a["error"]["code"] for a in answers if "note" in a and a["error"] is not None]
        assert set(refused) <= {"LOG_CLOSED"}
        async with committed.sessions() as session:
            closure = await session.scalar(
                select(func.max(AuditEvent.id)).where(
                    AuditEvent.log_id == log.id, AuditEvent.action == "CLOSE_LOG"
                )
            )
            late = await session.scalar(
                select(func.count()).where(
                    AuditEvent.log_id == log.id,
                    AuditEvent.action == "WRITE_NOTE",
                    AuditEvent.id > closure,
                )
            )
            stored = await session.scalar(
                select(func.count()).where(Note.log_id == log.id, Note.text.like("Notat %"))
            )
            assert late == 0, "a note was written into the closed log"
            assert stored == len(accepted)


async def test_a_refused_argument_beside_a_read_does_not_poison_the_request(
    committed: Committed, caplog: pytest.LogCaptureFixture
) -> None:
    client, world = committed.client, committed.world
    async with committed.sessions() as session:
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1)
        await world.seed.note(log, "Referat", staff=world.holder)
        await session.commit()
    query = (
        "query($id: ID!) { node(id: $id) { ... on RelayLog { notes { text } } } "
        "myLogs(first: -1) { edges { cursor } } }"
    )
    for _ in range(ROUNDS):
        response = await client.post(
            query, as_=world.holder, variables={"id": gid("RelayLog", log)}
        )
        body = response.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_INPUT"]
    assert "commit failed" not in caplog.text
    assert "operation failed" not in caplog.text
    again = await client.query(
        "query($id: ID!) { node(id: $id) { ... on RelayLog { notes { text } } } }",
        as_=world.holder,
        variables={"id": gid("RelayLog", log)},
    )
    assert again["node"]["notes"] == [{"text": "Referat"}]


@pytest.fixture
async def unreachable(settings: Settings, dev_keys: DevKeys) -> AsyncIterator[GraphQLClient]:
    """The app with PostgreSQL gone: its engine points at a port where nothing listens."""
    engine = create_engine("postgresql://postgres@127.0.0.1:9/relaylog")
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=async_sessionmaker(engine, class_=RequestSession, expire_on_commit=False),
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, dev_keys, settings)
    await engine.dispose()


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert "SELECT" not in response.text
    assert "sqlalchemy" not in response.text.lower()
    assert "refused" not in response.text.lower()


@pytest.mark.parametrize(
    ("audience", "query"),
    [
        pytest.param(Audience.STAFF, "{ myLogs { edges { cursor } } }", id="staff-query"),
        pytest.param(
            Audience.STAFF,
            'mutation { deleteSparkle(sparkleId: "x") { error { code } } }',
            id="staff-mutation",
        ),
        pytest.param(Audience.FAMILY, "{ myLogs { edges { cursor } } }", id="family-query"),
    ],
)
async def test_while_postgresql_is_away_every_request_is_a_typed_503(
    unreachable: GraphQLClient, committed: Committed, audience: Audience, query: str
) -> None:
    who = committed.world.holder if audience is Audience.STAFF else committed.world.guardian
    _assert_unavailable(await unreachable.post(query, as_=who, audience=audience))


async def test_while_postgresql_is_away_a_trusted_document_is_a_typed_503(
    unreachable: GraphQLClient, committed: Committed
) -> None:
    view = next(d for d in trusted_documents() if d.name == "HolderLogView")
    response = await unreachable.post_document(
        view.document_id,
        as_=committed.world.holder,
        variables={"id": gid("RelayLog", uuid.uuid4())},
    )
    _assert_unavailable(response)


def test_a_compiled_read_that_loses_the_database_answers_unavailable_not_internal() -> None:
    from relaylog.app import _failed

    lost = DBAPIError("SELECT ...", {}, ConnectionResetError("gone"), connection_invalidated=True)
    assert _failed(lost).extensions == {"code": "SERVICE_UNAVAILABLE"}
    assert _failed(ValueError("bug")).message == "Internal error"


async def _terminate_app_connections(committed: Committed) -> None:
    """What a PostgreSQL restart does to the pool: every open connection is cut."""
    database = committed.engine.url.database
    async with committed.engine.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        )


async def test_after_the_connections_are_cut_service_recovers_within_a_second_and_keeps_writes(
    committed: Committed,
) -> None:
    log = await _log_at_level_2(committed)
    client, token = committed.client, committed.client.token_for(committed.world.holder)
    acknowledged: list[str] = []

    async def write(text_: str) -> int:
        response = await client.post(
            WRITE_NOTE,
            token=token,
            variables={"input": {"logId": gid("RelayLog", log), "text": text_}},
        )
        if response.status_code == 200 and response.json()["data"]["writeNote"]["error"] is None:
            acknowledged.append(text_)
        else:
            _assert_unavailable(response)
        return response.status_code

    for i in range(5):
        assert await write(f"Før {i}") == 200
    await _terminate_app_connections(committed)
    started = asyncio.get_running_loop().time()
    statuses: list[int] = []
    while 200 not in statuses and len(statuses) < 20:
        statuses.append(await write(f"Etter {len(statuses)}"))
    assert asyncio.get_running_loop().time() - started < 1.0, statuses
    assert set(statuses) <= {200, 503}
    async with committed.sessions() as session:
        texts = set(await session.scalars(select(Note.text).where(Note.log_id == log.id)))
        assert set(acknowledged) <= texts
        found = await verify_chains(session)
        checked, broken = found.events, found.broken
        assert broken is None
        assert checked > 0


def _app_whose_commit(
    committed: Committed, settings: Settings, dev_keys: DevKeys, fails_with: str
) -> httpx.AsyncClient:
    """The app on the committed database, but each request's commit meets a failure: its
    own connection cut by the server (``pg_terminate_backend``: what a restart or a failover
    does mid-request) or a fault of ours."""
    factory = async_sessionmaker(committed.engine, class_=RequestSession, expire_on_commit=False)

    def session() -> RequestSession:
        s = factory()

        @event.listens_for(s.sync_session, "before_commit")
        def fail(sync_session: Any) -> None:
            if fails_with == "cut":
                sync_session.connection().exec_driver_sql(
                    "SELECT pg_terminate_backend(pg_backend_pid())"
                )
            else:
                raise RuntimeError("a fault of ours at commit")

        return s

    services = Services(
        settings=settings,
        engine=committed.engine,
        session_factory=session,
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(services)), base_url="http://test"
    )


async def test_a_connection_cut_at_commit_is_a_typed_503_and_the_write_is_not_kept(
    committed: Committed, settings: Settings, dev_keys: DevKeys
) -> None:
    log = await _log_at_level_2(committed)
    async with _app_whose_commit(committed, settings, dev_keys, "cut") as http:
        client = GraphQLClient(http, dev_keys, settings)
        response = await client.post(
            WRITE_NOTE,
            as_=committed.world.holder,
            variables={"input": {"logId": gid("RelayLog", log), "text": "Aldri lagret"}},
        )
        _assert_unavailable(response)
        view = next(d for d in trusted_documents() if d.name == "HolderLogView")
        compiled = await client.post_document(
            view.document_id, as_=committed.world.holder, variables={"id": gid("RelayLog", log)}
        )
        _assert_unavailable(compiled)
    await committed.engine.dispose()
    async with committed.sessions() as session:
        assert not await session.scalar(
            select(func.count()).where(Note.log_id == log.id, Note.text == "Aldri lagret")
        )


async def test_a_request_whose_commit_failed_tells_the_client(
    committed: Committed, settings: Settings, dev_keys: DevKeys
) -> None:
    log = await _log_at_level_2(committed)
    async with _app_whose_commit(committed, settings, dev_keys, "fault") as http:
        client = GraphQLClient(http, dev_keys, settings)
        response = await client.post(
            "query($id: ID!) { node(id: $id) { id } }",
            as_=committed.world.holder,
            variables={"id": gid("RelayLog", log)},
        )
    assert response.json() == {"data": None, "errors": [{"message": "Internal error"}]}
