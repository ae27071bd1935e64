"""The HTTP edge: every bad bearer token is a 401 that echoes nothing; good tokens find the
viewer their endpoint admits, and no token at all is the public surface."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from auth.policy import Audience
from relaylog.app import ENDPOINTS
from tests.factories import World
from tests.graphql import GraphQLClient

VIEWER_QUERY = "{ viewer { kind } health { database } }"
STRANGER_PID = "15889010069"  # synthetic, valid check digits, nobody in the world


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims_for(client: GraphQLClient, pid: str) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    return {
        "iss": client.settings.token_issuer,
        "aud": client.settings.token_audience,
        "sub": "someone",
        "pid": pid,
        "acr": "idporten-loa-high",
        "iat": now,
        "exp": now + 3600,
    }


def mint(client: GraphQLClient, pid: str, **kwargs: Any) -> str:
    settings = client.settings
    kwargs.setdefault("issuer", settings.token_issuer)
    kwargs.setdefault("audience", settings.token_audience)
    return client.keys.mint(pid, **kwargs)


# Each maker turns (client, pid) into the value of the Authorization header.
HeaderMaker = Callable[[GraphQLClient, str], str]


def bearer(make_token: Callable[[GraphQLClient, str], str]) -> HeaderMaker:
    return lambda client, pid: f"Bearer {make_token(client, pid)}"


def expired(client: GraphQLClient, pid: str) -> str:
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    return mint(client, pid, now=long_ago, lifetime=timedelta(hours=1))


def alg_none(client: GraphQLClient, pid: str) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": client.keys.kid}
    return f"{b64url_json(header)}.{b64url_json(claims_for(client, pid))}."


def hs256_with_public_key(client: GraphQLClient, pid: str) -> str:
    private_key = serialization.load_pem_private_key(client.keys.private_pem, password=None)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": client.keys.kid}
    signing_input = f"{b64url_json(header)}.{b64url_json(claims_for(client, pid))}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def tampered(client: GraphQLClient, pid: str) -> str:
    header, payload, signature = mint(client, pid).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] += 365 * 24 * 3600
    return f"{header}.{b64url_json(claims)}.{signature}"


BAD_AUTHORIZATION = [
    pytest.param(bearer(expired), "EXPIRED", id="expired"),
    pytest.param(
        bearer(lambda c, pid: mint(c, pid, audience="another-api")),
        "WRONG_AUDIENCE",
        id="wrong audience",
    ),
    pytest.param(
        bearer(lambda c, pid: mint(c, pid, issuer="https://evil.example/")),
        "WRONG_ISSUER",
        id="wrong issuer",
    ),
    pytest.param(bearer(alg_none), "ALGORITHM_NOT_ALLOWED", id="alg none"),
    pytest.param(
        bearer(hs256_with_public_key),
        "ALGORITHM_NOT_ALLOWED",
        id="HS256 signed with the public key",
    ),
    pytest.param(
        bearer(lambda c, pid: mint(c, pid, headers={"kid": "no-such-key"})),
        "UNKNOWN_KEY",
        id="unknown kid",
    ),
    pytest.param(bearer(tampered), "BAD_SIGNATURE", id="tampered payload"),
    pytest.param(
        bearer(lambda c, pid: mint(c, pid, extra={"padding": "x" * 9000})),
        "TOO_LARGE",
        id="over-long token",
    ),
    pytest.param(bearer(lambda c, pid: "this-is-not-a-token"), "MALFORMED", id="garbage"),
    pytest.param(lambda c, pid: "Basic abc", "MALFORMED", id="Basic scheme"),
    pytest.param(
        bearer(lambda c, pid: mint(c, pid, acr="idporten-loa-substantial")),
        "INSUFFICIENT_ASSURANCE",
        id="acr substantial",
    ),
]


@pytest.mark.parametrize(("make_header", "reason"), BAD_AUTHORIZATION)
async def test_a_bad_authorization_header_is_a_401_that_echoes_nothing(
    client: GraphQLClient, world: World, make_header: HeaderMaker, reason: str
) -> None:
    pid = world.holder.national_id
    authorization = make_header(client, pid)
    credential = authorization.partition(" ")[2]

    response = await client.http.post(
        ENDPOINTS[Audience.STAFF],
        json={"query": VIEWER_QUERY},
        headers={"Authorization": authorization},
    )

    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert credential not in response.text
    assert pid not in response.text


async def test_no_token_is_the_public_surface(client: GraphQLClient) -> None:
    response = await client.post(VIEWER_QUERY)

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None, "health": {"database": True}}}


async def test_a_valid_token_of_a_person_without_an_account_has_no_viewer(
    client: GraphQLClient, world: World
) -> None:
    response = await client.post(VIEWER_QUERY, token=mint(client, STRANGER_PID))

    assert response.status_code == 200
    assert response.json()["data"]["viewer"] is None


@pytest.mark.parametrize(
    ("who", "audience", "kind"),
    [
        pytest.param("guardian", Audience.FAMILY, "GUARDIAN", id="guardian on family"),
        pytest.param("youth", Audience.FAMILY, "SUBJECT", id="youth of 16 on family"),
        pytest.param("reporter", Audience.REPORTING, "REPORTER", id="reporter on reporting"),
        pytest.param("holder", Audience.STAFF, "STAFF", id="holder on staff"),
        pytest.param("admin", Audience.STAFF, "MUNICIPAL_ADMIN", id="admin on staff"),
    ],
)
async def test_each_endpoint_admits_its_own_people(
    client: GraphQLClient, world: World, who: str, audience: Audience, kind: str
) -> None:
    data = await client.query("{ viewer { kind } }", as_=getattr(world, who), audience=audience)

    assert data["viewer"] == {"kind": kind}


@pytest.mark.parametrize(
    ("who", "audience", "home"),
    [
        pytest.param("holder", Audience.FAMILY, Audience.STAFF, id="staff on family"),
        pytest.param("holder", Audience.REPORTING, Audience.STAFF, id="staff on reporting"),
        pytest.param("reporter", Audience.STAFF, Audience.REPORTING, id="reporter on staff"),
        pytest.param("guardian", Audience.STAFF, Audience.FAMILY, id="guardian on staff"),
        pytest.param("youth", Audience.REPORTING, Audience.FAMILY, id="youth on reporting"),
    ],
)
async def test_a_valid_token_on_the_wrong_endpoint_is_told_the_right_one(
    client: GraphQLClient, world: World, who: str, audience: Audience, home: Audience
) -> None:
    response = await client.post("{ viewer { kind } }", as_=getattr(world, who), audience=audience)

    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "WRONG_ENDPOINT", "endpoint": ENDPOINTS[home]}
    assert ENDPOINTS[home] in error["message"]
    assert "data" not in response.json()


def nested_payload_token(client: GraphQLClient, pid: str, depth: int = 2000) -> str:
    """Correctly signed, with a claim nested ``depth`` arrays deep."""
    from jose import jwk

    claims = json.dumps(claims_for(client, pid), separators=(",", ":"))
    payload = claims[:-1] + ',"x":' + "[" * depth + "]" * depth + "}"
    header = b64url_json({"alg": "RS256", "kid": client.keys.kid, "typ": "at+jwt"})
    signing_input = f"{header}.{b64url(payload.encode())}"
    key = jwk.construct(client.keys.private_pem, "RS256")
    return f"{signing_input}.{b64url(key.sign(signing_input.encode()))}"


@pytest.mark.parametrize(
    ("make_header", "reason"),
    [
        pytest.param(
            bearer(
                lambda c, pid: mint(
                    c, pid, extra={"aud": [c.settings.token_audience, "https://other.example/"]}
                )
            ),
            "WRONG_AUDIENCE",
            id="aud as an array naming us and another API",
        ),
        pytest.param(bearer(nested_payload_token), "MALFORMED", id="payload nested 2000 deep"),
    ],
)
async def test_a_token_meant_for_several_apis_or_nested_too_deep_is_a_401(
    client: GraphQLClient, world: World, make_header: HeaderMaker, reason: str
) -> None:
    response = await client.http.post(
        ENDPOINTS[Audience.STAFF],
        json={"query": VIEWER_QUERY},
        headers={"Authorization": make_header(client, world.holder.national_id)},
    )

    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(lambda c, pid: "Bearer garbage", id="valid then garbage"),
        pytest.param(lambda c, pid: f"Bearer {mint(c, pid)}", id="the same valid token twice"),
    ],
)
async def test_several_authorization_headers_are_a_400(
    client: GraphQLClient, world: World, second: HeaderMaker
) -> None:
    pid = world.holder.national_id
    valid = f"Bearer {mint(client, pid)}"

    response = await client.http.post(
        ENDPOINTS[Audience.STAFF],
        json={"query": VIEWER_QUERY},
        headers=[("Authorization", valid), ("Authorization", second(client, pid))],
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert valid.partition(" ")[2] not in response.text
