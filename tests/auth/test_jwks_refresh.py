"""The issuer rotates its keys: a token signed with a new key is accepted without a restart,
and a flood of made-up ``kid``s does not become a flood of requests to the issuer.

The JWKS is served by a real HTTP server on loopback (``http.server`` in a thread) whose
answer the test changes, as an issuer's ``jwks_uri`` changes during a rotation.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.dev_keys import DevKeys
from auth.remote_jwks import RemoteJwks
from exports import signing
from relaylog.app import ENDPOINTS, Services, build_app
from relaylog.services import open_services
from relaylog.settings import Settings
from tests.conftest import TEST_SECRET, TODAY, _joined_session
from tests.factories import World


@dataclass
class Issuer:
    """What the JWKS endpoint answers now, and how often it was asked."""

    keys: list[dict[str, Any]]
    cache_control: str = "max-age=3600"
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def publish(self, *keys: DevKeys) -> None:
        with self.lock:
            self.keys = [dict(key.public_jwk) for key in keys]


@pytest.fixture
def issuer(dev_keys: DevKeys) -> Iterator[Issuer]:
    state = Issuer(keys=[dict(dev_keys.public_jwk)])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.requests += 1
                body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", state.cache_control)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def url_settings(issuer: Issuer, tmp_path: Path) -> Settings:
    return Settings(
        mode="dev",
        data_dir=tmp_path / "data",
        jwks_url=issuer.url,
        jwks_min_refresh_seconds=30,
        data_secret=SecretStr(TEST_SECRET.decode()),
    )


class FakeClock:
    """Monotonic seconds the test moves forward (no sleeping in tests)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http_with_clock(
    url_settings: Settings, engine: AsyncEngine, connection: AsyncConnection
) -> Any:
    saved_signer = signing.configured()  # open_services configures its own (demo) signer
    services = await open_services(url_settings, str(engine.url), require_migrated=False)
    signing.configure(saved_signer)  # the session's, which the archive tests verify against
    await services.engine.dispose()
    assert services.key_refresh is not None
    clock = FakeClock()
    refresh = RemoteJwks(
        services.verifier,
        services.key_refresh.url,
        min_refresh_seconds=url_settings.jwks_min_refresh_seconds,
        clock=clock,
    )
    app = build_app(
        Services(
            settings=url_settings,
            engine=engine,
            session_factory=lambda: _joined_session(connection),
            verifier=services.verifier,
            today=lambda: TODAY,
            key_refresh=refresh,
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, clock, refresh


def _token(keys: DevKeys, settings: Settings, pid: str, **headers: Any) -> str:
    return keys.mint(
        pid,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        headers=headers or None,
    )


async def _viewer_kind(http: httpx.AsyncClient, token: str) -> tuple[int, Any]:
    response = await http.post(
        ENDPOINTS[next(iter(ENDPOINTS))],
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200:
        return response.status_code, body["errors"][0]["extensions"].get("reason")
    return 200, body["data"]["viewer"]


async def test_a_key_the_issuer_rotates_in_is_fetched_on_its_first_token(
    http_with_clock: Any,
    issuer: Issuer,
    url_settings: Settings,
    world: World,
    dev_keys: DevKeys,
    tmp_path: Path,
) -> None:
    http, clock, refresh = http_with_clock
    pid = world.holder.national_id
    old = dev_keys
    new = DevKeys.load_or_create(tmp_path / "new-key")
    assert new.kid != old.kid
    fetched_at_start = issuer.requests

    assert await _viewer_kind(http, _token(old, url_settings, pid)) == (200, {"kind": "STAFF"})
    assert issuer.requests == fetched_at_start  # a known key: no request to the issuer

    issuer.publish(old, new)  # the issuer publishes the next key, then signs with it
    clock.now += 31
    assert await _viewer_kind(http, _token(new, url_settings, pid)) == (200, {"kind": "STAFF"})
    assert issuer.requests == fetched_at_start + 1
    assert await _viewer_kind(http, _token(old, url_settings, pid)) == (200, {"kind": "STAFF"})

    # Made-up kids right after a refresh: refused, and not one more request to the issuer.
    for n in range(20):
        stranger = _token(new, url_settings, pid, kid=f"made-up-{n}")
        assert await _viewer_kind(http, stranger) == (401, "UNKNOWN_KEY")
    assert issuer.requests == fetched_at_start + 1
    assert refresh.fetches == 1


async def test_a_withdrawn_key_stops_working_once_the_max_age_has_passed(
    http_with_clock: Any,
    issuer: Issuer,
    url_settings: Settings,
    world: World,
    dev_keys: DevKeys,
    tmp_path: Path,
) -> None:
    http, clock, _ = http_with_clock
    pid = world.holder.national_id
    new = DevKeys.load_or_create(tmp_path / "new-key")
    issuer.publish(new)  # the old key is withdrawn

    old_token = _token(dev_keys, url_settings, pid)
    assert await _viewer_kind(http, old_token) == (200, {"kind": "STAFF"})  # cached (max-age)
    clock.now += 3601
    assert await _viewer_kind(http, old_token) == (401, "UNKNOWN_KEY")
    assert await _viewer_kind(http, _token(new, url_settings, pid)) == (200, {"kind": "STAFF"})


async def test_an_issuer_that_is_down_keeps_the_keys_we_have(
    http_with_clock: Any, issuer: Issuer, url_settings: Settings, world: World, dev_keys: DevKeys
) -> None:
    http, clock, refresh = http_with_clock
    refresh.url = "http://127.0.0.1:9/jwks.json"  # nothing listens on the discard port
    clock.now += 3601

    token = _token(dev_keys, url_settings, world.holder.national_id)
    assert await _viewer_kind(http, token) == (200, {"kind": "STAFF"})
    assert refresh.fetches == 1


async def test_requests_that_arrive_together_with_a_new_key_all_get_in_on_one_fetch(
    http_with_clock: Any,
    issuer: Issuer,
    url_settings: Settings,
    world: World,
    dev_keys: DevKeys,
    tmp_path: Path,
) -> None:
    _, clock, refresh = http_with_clock
    new = DevKeys.load_or_create(tmp_path / "new-key")
    issuer.publish(dev_keys, new)
    clock.now += 31
    token = _token(new, url_settings, world.holder.national_id)

    # Five requests' authentication at once (they share one test connection, so not the
    # whole requests): four wait for the fetch the first one started, then use its keys.
    verified = await asyncio.gather(*(refresh.verify(token) for _ in range(5)))

    assert [v.pid for v in verified] == [world.holder.national_id] * 5
    assert refresh.fetches == 1
