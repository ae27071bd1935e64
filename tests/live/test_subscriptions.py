"""Live updates as the front ends meet them: a real websocket client on one server process,
the change made through another, the two sharing only PostgreSQL.

A guardian's app hears of a sparkle the holder adds; an external actor hears nothing more
once the level goes down (``logChanged`` completes, ``myLogsChanged`` says the log is
lost); the youth never hears of an adults-only note; the event channel carries ids only;
a bad, unknown or expired token closes the connection with the protocol's 4403.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from websockets.exceptions import InvalidStatus

from auth.dev_keys import DevKeys
from models import AuditEvent, RelayLog
from models import secrets as data_protection
from models.events import EVENT_CHANNEL, DomainEvent
from relaylog.db import create_engine
from relaylog.migrations import upgrade
from relaylog.settings import PROJECT_ROOT, Settings
from schema.node import encode_global_id
from schema.trusted import trusted_documents
from tests.clients.npm import ensure_installed
from tests.conftest import TEST_SECRET, fresh_database
from tests.factories import World, build_world
from tests.live.servers import LiveClient, Server, start_server
from tests.mutations.lifecycle import ERROR, consent_all

pytestmark = pytest.mark.slow

STAFF, FAMILY, REPORTING = "/graphql", "/graphql/family", "/graphql/reporting"
CONNECTIONS, PER_VIEWER = 5, 3  # the reading server's limits here
LOG_CHANGED = """subscription($logId: ID!) { logChanged(logId: $logId) {
  kind logId node { id __typename
    ... on Sparkle { text }
    ... on Note { text adultsOnly }
    ... on RelayLog { level }
  } } }"""
MY_LOGS_CHANGED = """subscription { myLogsChanged {
  change logId log { level } event { kind node { id __typename } } } }"""
ADD_SPARKLE = f"""mutation($input: AddSparkleInput!) {{ addSparkle(input: $input) {{
  sparkle {{ id }} {ERROR} }} }}"""
WRITE_NOTE = f"""mutation($input: WriteNoteInput!) {{ writeNote(input: $input) {{
  note {{ id }} {ERROR} }} }}"""
SET_LEVEL = f"""mutation($input: SetLevelInput!) {{ setLevel(input: $input) {{
  log {{ level }} {ERROR} }} }}"""


LOG_CHANGES = next(d for d in trusted_documents() if d.name == "LogChanges")


@dataclass
class Live:
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    world: World
    keys: DevKeys
    settings: Settings
    writer: Server  # where the changes are made
    reader: Server  # where the subscribers are connected
    database_url: str
    env: dict[str, str]

    def token(self, person: Any, **claims: Any) -> str:
        return self.keys.mint(
            person.national_id,
            issuer=self.settings.token_issuer,
            audience=self.settings.token_audience,
            **claims,
        )

    async def change(self, person: Any, query: str, input_: dict[str, Any]) -> dict[str, Any]:
        """A mutation through the *other* server, as the person."""
        async with httpx.AsyncClient(base_url=self.writer.http, timeout=30) as http:
            response = await http.post(
                STAFF,
                json={"query": query, "variables": {"input": input_}},
                headers={"Authorization": f"Bearer {self.token(person)}"},
            )
        body = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body
        payload: dict[str, Any] = next(iter(body["data"].values()))
        assert payload["error"] is None, payload
        return payload

    async def connect(self, person: Any, path: str) -> LiveClient:
        client = await LiveClient.open(self.reader.ws(path), self.token(person))
        await client.acknowledged()
        return client

    async def log_at(self, level: int, *, external: bool = False) -> RelayLog:
        async with self.sessions() as session:
            self.world.seed.session = session
            log = await self.world.seed.log(self.world.youth, self.world.holder, level=level)
            await consent_all(self.world, log, level)
            if external:
                await self.world.seed.actor(log, self.world.external)
            await session.commit()
            return log


@pytest.fixture(scope="module")
def live_database() -> Iterator[str]:
    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_live") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
async def live(
    live_database: str,
    settings: Settings,
    dev_keys: DevKeys,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Live]:
    engine = create_engine(live_database)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        world = await build_world(session)
        await session.commit()
    folder: Path = tmp_path_factory.mktemp("live")
    env = {
        "RELAYLOG_MODE": "dev",
        "RELAYLOG_DATA_DIR": str(folder),
        "RELAYLOG_JWKS_FILE": str(settings.jwks_file),
        "RELAYLOG_DATA_SECRET": TEST_SECRET.decode(),
        "RELAYLOG_WEBSOCKET_KEEP_ALIVE_SECONDS": "1",
        "RELAYLOG_LIVE_AUDIT_FLUSH_SECONDS": "0.2",
        "RELAYLOG_WEBSOCKET_IDLE_SECONDS": "3",
        "RELAYLOG_WEBSOCKET_MAX_CONNECTIONS": str(CONNECTIONS),
        "RELAYLOG_SUBSCRIPTIONS_PER_VIEWER": str(PER_VIEWER),
    }
    servers = await asyncio.gather(
        asyncio.to_thread(start_server, live_database, env, folder),
        asyncio.to_thread(start_server, live_database, env, folder),
    )
    try:
        yield Live(engine, sessions, world, dev_keys, settings, *servers, live_database, env)
    finally:
        logs = [server.stop() for server in servers]
        await engine.dispose()
    for text in logs:
        assert "Traceback" not in text, text


def gid(type_name: str, row: Any) -> str:
    return encode_global_id(type_name, row.id)


async def test_a_guardians_app_receives_a_sparkle_added_by_the_holder(live: Live) -> None:
    log = await live.log_at(1)
    app = await live.connect(live.world.guardian, FAMILY)
    await app.subscribe("log", LOG_CHANGED, {"logId": gid("RelayLog", log)})
    await app.subscribe("mine", MY_LOGS_CHANGED)
    await asyncio.sleep(0.5)  # both subscriptions listening

    added = await live.change(
        live.world.holder, ADD_SPARKLE, {"logId": gid("RelayLog", log), "text": "Flott dag!"}
    )

    messages = {}
    for _ in range(2):
        message = await app.receive()
        assert message["type"] == "next", message
        messages[message["id"]] = message["payload"]["data"]
    change = messages["log"]["logChanged"]
    assert change["kind"] == "SPARKLE_ADDED"
    assert change["logId"] == gid("RelayLog", log)
    sparkle = {"id": added["sparkle"]["id"], "__typename": "Sparkle", "text": "Flott dag!"}
    assert change["node"] == sparkle
    news = messages["mine"]["myLogsChanged"]
    assert news["change"] == "NEWS"
    assert news["log"] == {"level": 1}
    assert news["event"]["kind"] == "SPARKLE_ADDED"

    await asyncio.sleep(1.0)  # the reading server's audit batch
    async with live.sessions() as session:
        reads = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.log_id == log.id,
                    AuditEvent.action == "READ",
                    AuditEvent.actor_id == live.world.guardian.id,
                )
            )
        ).all()
    assert reads, "the delivery was read as the guardian: it is audited"
    assert any("SPARKLES" in (read.fields or []) for read in reads)
    await app.close()


async def test_an_external_actor_stops_receiving_the_moment_the_level_goes_down(
    live: Live,
) -> None:
    log = await live.log_at(2, external=True)
    screen = await live.connect(live.world.external, STAFF)
    await screen.subscribe("log", LOG_CHANGED, {"logId": gid("RelayLog", log)})
    await screen.subscribe("mine", MY_LOGS_CHANGED)
    await asyncio.sleep(0.5)
    holder = live.world.holder

    await live.change(holder, ADD_SPARKLE, {"logId": gid("RelayLog", log), "text": "Før"})
    heard = {(await screen.receive())["id"] for _ in range(2)}
    assert heard == {"log", "mine"}

    async with live.sessions() as session:
        version = (await session.get(RelayLog, log.id)).version
    await live.change(
        holder,
        SET_LEVEL,
        {"logId": gid("RelayLog", log), "level": 1, "reason": "Ned", "expectedVersion": version},
    )
    messages = [await screen.receive() for _ in range(2)]
    by_id = {(m["id"], m["type"]): m for m in messages}
    assert ("log", "complete") in by_id, messages  # logChanged ends: nothing more about it
    lost = by_id[("mine", "next")]["payload"]["data"]["myLogsChanged"]
    assert lost == {
        "change": "ACCESS_LOST",
        "logId": gid("RelayLog", log),
        "log": None,
        "event": None,
    }

    await live.change(holder, ADD_SPARKLE, {"logId": gid("RelayLog", log), "text": "Etter"})
    await screen.nothing_within(2.0)
    await screen.close()


ADD_ACTOR = f"""mutation($input: AddActorInput!) {{ addActor(input: $input) {{
  actor {{ id }} {ERROR} }} }}"""


async def test_an_actor_added_to_a_log_hears_that_it_is_theirs_now(live: Live) -> None:
    log = await live.log_at(2)
    screen = await live.connect(live.world.external, STAFF)
    await screen.subscribe("mine", MY_LOGS_CHANGED)
    await asyncio.sleep(0.5)
    holder = live.world.holder
    await live.change(holder, ADD_SPARKLE, {"logId": gid("RelayLog", log), "text": "Før"})
    await screen.nothing_within(1.0)  # not theirs yet: not a word of it

    added = await live.change(
        live.world.holder,
        ADD_ACTOR,
        {"logId": gid("RelayLog", log), "staffAccountId": gid("StaffAccount", live.world.external)},
    )
    change = (await screen.next_data("mine"))["myLogsChanged"]
    assert change["change"] == "ADDED"
    assert change["log"] == {"level": 2}
    assert change["event"]["kind"] == "ACTOR_ADDED"
    assert change["event"]["node"]["id"] == added["actor"]["id"]
    await screen.close()


async def test_a_youth_never_receives_an_adults_only_note(live: Live) -> None:
    log = await live.log_at(1)
    youth = await live.connect(live.world.youth, FAMILY)
    guardian = await live.connect(live.world.guardian, FAMILY)
    for app in (youth, guardian):
        await app.subscribe("log", LOG_CHANGED, {"logId": gid("RelayLog", log)})
    await asyncio.sleep(0.5)

    for text, adults_only in [("Bare for voksne", True), ("Til alle", False)]:
        await live.change(
            live.world.holder,
            WRITE_NOTE,
            {"logId": gid("RelayLog", log), "text": text, "adultsOnly": adults_only},
        )

    heard = (await youth.next_data("log"))["logChanged"]
    assert heard["node"]["text"] == "Til alle"  # the adults-only note never came
    await youth.nothing_within(1.0)
    texts = [(await guardian.next_data("log"))["logChanged"]["node"]["text"] for _ in range(2)]
    assert texts == ["Bare for voksne", "Til alle"]
    for app in (youth, guardian):
        await app.close()


async def test_a_hidden_log_completes_at_once_like_a_missing_one(live: Live) -> None:
    hidden = await live.log_at(1)
    screen = await live.connect(live.world.outsider, STAFF)
    missing = encode_global_id("RelayLog", uuid.uuid4())
    for id_, log_id in [("hidden", gid("RelayLog", hidden)), ("missing", missing)]:
        await screen.subscribe(id_, LOG_CHANGED, {"logId": log_id})
        assert await screen.receive() == {"id": id_, "type": "complete"}
    await screen.close()


async def test_the_event_channel_carries_ids_only(live: Live) -> None:
    log = await live.log_at(1)
    heard: list[str] = []
    conn = await asyncpg.connect(live.database_url)
    try:
        await conn.add_listener(EVENT_CHANNEL, lambda *args: heard.append(args[3]))
        secret = "Hemmelig notat om Ylva"
        await live.change(
            live.world.holder, WRITE_NOTE, {"logId": gid("RelayLog", log), "text": secret}
        )
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    assert heard
    assert all(payload.isdigit() for payload in heard), heard
    async with live.sessions() as session:
        ids = set(await session.scalars(select(DomainEvent.id).where(DomainEvent.log_id == log.id)))
    assert {int(payload) for payload in heard} <= ids


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="no-token"),
        pytest.param("not-a-token", id="malformed"),
        pytest.param("outsider", id="person-not-served-here"),
        pytest.param("expired", id="expired"),
    ],
)
async def test_a_bad_token_closes_the_connection_with_4403(live: Live, token: str | None) -> None:
    if token == "outsider":
        token = live.token(live.world.guardian)  # a guardian is not served on /graphql
    elif token == "expired":
        long_ago = datetime.now(UTC) - timedelta(hours=1)
        token = live.token(live.world.holder, now=long_ago, lifetime=timedelta(minutes=5))
    client = await LiveClient.open(live.reader.ws(STAFF), token)
    assert await client.close_code() == 4403


async def test_a_token_that_expires_ends_the_connection(live: Live) -> None:
    log = await live.log_at(1)
    token = live.token(live.world.holder, lifetime=timedelta(seconds=3))
    client = await LiveClient.open(live.reader.ws(STAFF), token)
    await client.acknowledged()
    await client.subscribe("log", LOG_CHANGED, {"logId": gid("RelayLog", log)})
    assert await client.close_code(within=20) == 4403
    assert client.pings >= 1  # the server kept the connection alive until then


async def test_the_reporting_endpoint_has_no_subscriptions(live: Live) -> None:
    with pytest.raises(InvalidStatus, match="403"):
        await LiveClient.open(live.reader.ws(REPORTING), live.token(live.world.reporter))


async def test_a_query_is_not_served_over_the_websocket(live: Live) -> None:
    client = await live.connect(live.world.holder, STAFF)
    await client.subscribe("q", "{ viewer { kind } }")
    message = await client.receive()
    assert message["type"] == "error", message
    await client.close()


async def test_a_person_may_hold_only_so_many_subscriptions_at_once(live: Live) -> None:
    log = await live.log_at(1)
    variables = {"logId": gid("RelayLog", log)}
    first = await live.connect(live.world.holder, STAFF)
    for n in range(PER_VIEWER):
        await first.subscribe(f"s{n}", LOG_CHANGED, variables)
    await asyncio.sleep(0.5)
    second = await live.connect(live.world.holder, STAFF)  # another tab: the same person
    await second.subscribe("one-too-many", LOG_CHANGED, variables)
    message = await second.receive()
    assert message["type"] == "next", message
    (error,) = message["payload"]["errors"]
    assert error["extensions"]["code"] == "NOT_ALLOWED"
    assert (await second.receive())["type"] == "complete"
    await first.close()
    await second.close()


async def test_a_connection_without_subscriptions_closes_when_idle(live: Live) -> None:
    client = await live.connect(live.world.holder, STAFF)
    assert await client.close_code(within=10) == 1000


async def test_connections_past_the_limit_are_told_to_try_again_later(live: Live) -> None:
    await asyncio.sleep(1)  # the other tests' connections are gone
    open_ = [await live.connect(live.world.holder, STAFF) for _ in range(CONNECTIONS)]
    refused = await LiveClient.open(live.reader.ws(STAFF), live.token(live.world.holder))
    assert await refused.close_code() == 1013
    for client in open_:
        await client.close()


CLIENTS = PROJECT_ROOT / "tests" / "clients"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node and npm")
async def test_the_readmes_urql_subscription_receives_a_sparkle(live: Live) -> None:
    """The README's urql + graphql-ws example, run by node against the reading server."""
    await asyncio.to_thread(ensure_installed)
    log = await live.log_at(1)
    check = {
        "wsUrl": live.reader.ws(FAMILY),
        "httpUrl": f"{live.reader.http}{FAMILY}",
        "token": live.token(live.world.guardian),
        "logId": gid("RelayLog", log),
    }
    node = await asyncio.create_subprocess_exec(
        "node",
        "subscription_check.mjs",
        cwd=CLIENTS,
        env={**os.environ, "RELAYLOG_SUBSCRIPTION_CHECK": json.dumps(check)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert node.stdout is not None
    ready = await asyncio.wait_for(node.stdout.readline(), 30)
    assert ready.decode().strip() == "ready", ready
    await live.change(
        live.world.holder, ADD_SPARKLE, {"logId": gid("RelayLog", log), "text": "Fra urql"}
    )
    line = await asyncio.wait_for(node.stdout.readline(), 30)
    assert await asyncio.wait_for(node.wait(), 30) == 0, line
    change = json.loads(line)
    assert change["kind"] == "SPARKLE_ADDED"
    assert change["node"]["__typename"] == "Sparkle"
    assert change["node"]["text"] == "Fra urql"


async def test_a_trusted_document_by_id_and_only_that_where_the_endpoint_says_so(
    live: Live, tmp_path: Path
) -> None:
    """As over HTTP (production's family endpoint): an ad hoc subscription is refused
    (``TRUSTED_DOCUMENT_REQUIRED``), the committed ``LogChanges`` by id is served."""
    strict = await asyncio.to_thread(
        start_server,
        live.database_url,
        {**live.env, "RELAYLOG_TRUSTED_DOCUMENTS_ONLY": "FAMILY,REPORTING"},
        tmp_path,
    )
    try:
        log = await live.log_at(1)
        variables = {"logId": gid("RelayLog", log)}
        app = await LiveClient.open(strict.ws(FAMILY), live.token(live.world.guardian))
        await app.acknowledged()
        await app.subscribe("ad-hoc", LOG_CHANGED, variables)
        refused = await app.receive()
        assert refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        await app.send(
            {
                "id": "trusted",
                "type": "subscribe",
                "payload": {"documentId": LOG_CHANGES.document_id, "variables": variables},
            }
        )
        await asyncio.sleep(0.5)
        await live.change(
            live.world.holder, ADD_SPARKLE, {"logId": gid("RelayLog", log), "text": "Med id"}
        )
        change = (await app.next_data("trusted"))["logChanged"]
        assert change["kind"] == "SPARKLE_ADDED"
        assert change["node"]["text"] == "Med id"
        await app.close()
    finally:
        log_text = strict.stop()
    assert "Traceback" not in log_text, log_text
