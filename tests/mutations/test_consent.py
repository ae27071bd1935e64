"""Consent: the holder files signed (and renewed) forms; a guardian or the youth consents in
the app when signed in with BankID, and withdraws their own consent — which lowers the
level at once."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from auth.dev_keys import DevKeys
from auth.policy import Audience
from models import Consent, ConsentDocument, LevelChange, RelayLog
from models.enums import (
    CloseReason,
    ConsentEvidence,
    ConsentScope,
    RelayLogStatus,
)
from relaylog.app import Services, build_app
from relaylog.services import make_verifier
from relaylog.settings import Settings
from tests.conftest import _joined_session
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import JPEG, PDF, PNG, b64, call, consent_all, count, gid, written

CONSENTS = """consents { id scope givenByKind evidence validUntil
  document { contentType sizeBytes sha256 } }"""
CONSENT = "consent { id scope withdrawnAt }"
LOG = """query($id: ID!) { node(id: $id) { ... on RelayLog { level status closeReason
  actors { name status deactivatedReason } levelHistory { toLevel reason } } } }"""


@pytest.fixture
async def legacy_client(
    settings: Settings, engine: AsyncEngine, connection: AsyncConnection, dev_keys: DevKeys
) -> AsyncIterator[GraphQLClient]:
    """An app that also accepts legacy "Level4" tokens (``accept_legacy_level4``)."""
    legacy = settings.model_copy(update={"accept_legacy_level4": True})
    services = Services(
        settings=legacy,
        engine=engine,
        session_factory=lambda: _joined_session(connection),
        verifier=make_verifier(legacy),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, dev_keys, legacy)


def _upload(log: RelayLog, world: World, content: bytes = PNG, **extra: Any) -> dict[str, Any]:
    return {
        "logId": gid("RelayLog", log),
        "file": b64(content),
        "scopes": ["CREATE"],
        "signedByGuardians": [
            gid("Guardian", world.guardian),
            gid("Guardian", world.other_guardian),
        ],
        "signedByYouth": True,
        "validUntil": "2027-11-25",
    } | extra


async def test_the_holder_uploads_a_renewed_consent_form(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1, valid_until=TODAY)
    out = await call(
        client, "uploadConsent", _upload(log, world), as_=world.holder, selection=CONSENTS
    )
    assert out["error"] is None
    assert sorted(c["givenByKind"] for c in out["consents"]) == ["GUARDIAN", "GUARDIAN", "SUBJECT"]
    assert {c["document"]["contentType"] for c in out["consents"]} == {"image/png"}
    assert {c["validUntil"] for c in out["consents"]} == {"2027-11-25"}
    assert out["consents"][0]["document"]["sizeBytes"] == len(PNG)
    assert await written(session, log.id) == [("UPLOAD_CONSENT", "HOLDER", "ConsentDocument")]
    jpeg = await call(
        client, "uploadConsent", _upload(log, world, JPEG), as_=world.holder, selection=CONSENTS
    )
    assert {c["document"]["contentType"] for c in jpeg["consents"]} == {"image/jpeg"}


def _zip() -> bytes:
    """A ZIP archive, as a polyglot would carry it behind an image's signature."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "x" * 1000)
    return out.getvalue()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        pytest.param(b64(b"GIF89a-not-allowed"), "file must be a PDF, JPEG or PNG file.", id="gif"),
        pytest.param(
            b64(b"<html>%PDF-</html>"),
            "file must be a PDF, JPEG or PNG file.",
            id="pdf-magic-not-at-start",
        ),
        pytest.param(
            b64(b"%PDF-" + b"\x00" * (10 * 1024 * 1024 - 4)),
            "file must be at most 10 MB.",
            id="one-byte-too-many",
        ),
        pytest.param("not base64!", "file must be base64-encoded.", id="not-base64"),
        pytest.param(
            b64(b"\x89PNG\r\n\x1a\n" + _zip()),
            "file is not a readable PNG file.",
            id="png-magic-then-a-zip",
        ),
        pytest.param(b64(PNG + _zip()), "file is not a readable PNG file.", id="png-then-a-zip"),
        pytest.param(
            b64(b"\xff\xd8\xff\xe0" + b"\x00" * 32 + b"\xff\xd9"),
            "file is not a readable JPEG file.",
            id="jpeg-magic-only",
        ),
        pytest.param(
            b64(b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"),
            "file is not a readable PDF file.",
            id="pdf-that-does-not-parse",
        ),
        pytest.param(b64(PDF + _zip()), "file is not a readable PDF file.", id="pdf-then-a-zip"),
        pytest.param("", "file must not be empty.", id="empty"),
    ],
)
async def test_a_file_of_the_wrong_type_or_size_is_refused_and_nothing_is_stored(
    client: GraphQLClient, world: World, session: AsyncSession, file: str, message: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "uploadConsent",
        _upload(log, world) | {"file": file},
        as_=world.holder,
        selection=CONSENTS,
    )
    assert out == {
        "consents": None,
        "error": {"code": "INVALID_INPUT", "message": message, "field": "file"},
    }
    assert await count(session, ConsentDocument) == 0
    assert await count(session, Consent) == 0


async def test_a_signer_must_be_a_guardian_of_the_child(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    stranger = await world.seed.guardian("Sara Fremmed")
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "uploadConsent",
        _upload(log, world, PDF, signedByGuardians=[gid("Guardian", stranger)]),
        as_=world.holder,
        selection=CONSENTS,
    )
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": "signedByGuardians must be guardians with parental responsibility for the "
        "child.",
        "field": "signedByGuardians",
    }
    assert await count(session, ConsentDocument) == 0


async def test_only_the_holder_uploads_consent_forms(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    actor = await call(
        client, "uploadConsent", _upload(log, world), as_=world.actor, selection=CONSENTS
    )
    assert actor["error"]["code"] == "NOT_ALLOWED"
    stranger = await call(
        client, "uploadConsent", _upload(log, world), as_=world.outsider, selection=CONSENTS
    )
    assert stranger["error"]["code"] == "NOT_FOUND"


async def test_guardians_and_the_youth_consent_in_the_app_and_the_holder_raises_the_level(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    give = {"logId": gid("RelayLog", log), "scopes": ["SHARE"]}
    for person in (world.guardian, world.other_guardian, world.youth):
        out = await call(
            client, "giveConsent", give, as_=person, audience=Audience.FAMILY, selection=CONSENTS
        )
        assert out["error"] is None
        assert [(c["scope"], c["evidence"]) for c in out["consents"]] == [("SHARE", "IN_APP")]
    raised = await call(
        client,
        "setLevel",
        {
            "logId": gid("RelayLog", log),
            "level": 2,
            "reason": "Samtykke gitt i appen",
            "expectedVersion": log.version,
        },
        as_=world.holder,
        selection="log { level }",
    )
    assert raised == {"log": {"level": 2}, "error": None}
    assert [w[:2] for w in await written(session, log.id)][:3] == [
        ("GIVE_CONSENT", "GUARDIAN"),
        ("GIVE_CONSENT", "GUARDIAN"),
        ("GIVE_CONSENT", "SUBJECT"),
    ]


async def test_in_app_consent_needs_the_highest_sign_in_level(
    legacy_client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    token = legacy_client.token_for(world.guardian, acr="Level4")
    response = await legacy_client.post(
        f"mutation($input: GiveConsentInput!) {{ giveConsent(input: $input) {{ {CONSENTS} "
        "error { code message field } } }",
        token=token,
        audience=Audience.FAMILY,
        variables={"input": {"logId": gid("RelayLog", log), "scopes": ["SHARE"]}},
    )
    assert response.json()["data"]["giveConsent"] == {
        "consents": None,
        "error": {
            "code": "NOT_ALLOWED",
            "message": "Sign in with BankID (ID-porten, high level) to do this.",
            "field": None,
        },
    }
    assert await count(session, Consent) == 0


async def test_a_stranger_cannot_consent_to_a_log_that_is_not_their_childs(
    client: GraphQLClient, world: World
) -> None:
    stranger = await world.seed.guardian("Sara Fremmed")
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "giveConsent",
        {"logId": gid("RelayLog", log), "scopes": ["SHARE"]},
        as_=stranger,
        audience=Audience.FAMILY,
        selection=CONSENTS,
    )
    assert out["error"]["code"] == "NOT_FOUND"


async def _consent_of(
    session: AsyncSession, log: RelayLog, scope: ConsentScope, guardian: object | None
) -> Consent:
    stmt = select(Consent).where(Consent.log_id == log.id, Consent.scope == scope)
    stmt = stmt.where(
        Consent.given_by_guardian_id == guardian.id  # type: ignore[attr-defined]
        if guardian is not None
        else Consent.given_by_guardian_id.is_(None)
    )
    consent = await session.scalar(stmt.limit(1))
    assert consent is not None
    return consent


async def test_withdrawing_the_share_consent_lowers_the_level_at_once(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=2)
    await consent_all(world, log, 2)
    await world.seed.actor(log, world.actor)
    await world.seed.actor(log, world.external)
    share = await _consent_of(session, log, ConsentScope.SHARE, world.other_guardian)
    out = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", share), "reason": "Ombestemt"},
        as_=world.other_guardian,
        audience=Audience.FAMILY,
        selection=CONSENT,
    )
    assert out["error"] is None
    assert out["consent"]["withdrawnAt"] is not None
    data = await client.query(LOG, as_=world.holder, variables={"id": gid("RelayLog", log)})
    node = data["node"]
    assert (node["level"], node["status"]) == (1, "ACTIVE")
    assert node["levelHistory"][-1] == {"toLevel": 1, "reason": "consent withdrawn"}
    assert {a["name"]: (a["status"], a["deactivatedReason"]) for a in node["actors"]} == {
        "Hanne Holder": ("ACTIVE", None),
        "Anders Aktør": ("ACTIVE", None),
        "Eva Ekstern": ("DEACTIVATED", "consent withdrawn"),
    }
    seen = await client.query(LOG, as_=world.external, variables={"id": gid("RelayLog", log)})
    assert seen["node"] is None
    assert ("WITHDRAW_CONSENT", "GUARDIAN", "Consent") in await written(session, log.id)


async def test_withdrawing_the_consent_to_the_log_itself_ends_it(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=3)
    await consent_all(world, log, 3)
    create = await _consent_of(session, log, ConsentScope.CREATE, None)
    out = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", create)},
        as_=world.youth,
        audience=Audience.FAMILY,
        selection=CONSENT,
    )
    assert out["error"] is None
    await session.refresh(log)
    assert (log.status, log.close_reason, log.level) == (
        RelayLogStatus.CLOSED,
        CloseReason.ENDED_BY_FAMILY,
        1,
    )
    reasons = await session.scalars(select(LevelChange.reason).where(LevelChange.log_id == log.id))
    assert "consent withdrawn" in list(reasons)
    data = await client.query(
        LOG, as_=world.guardian, audience=Audience.FAMILY, variables={"id": gid("RelayLog", log)}
    )
    assert data["node"]["closeReason"] == "ENDED_BY_FAMILY"  # the family still sees its history


async def test_a_renewed_consent_keeps_the_level_when_an_old_one_is_withdrawn(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    old = await _consent_of(session, log, ConsentScope.CREATE, world.guardian)
    await world.seed.consent(log, world.guardian, ConsentScope.CREATE)
    out = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", old)},
        as_=world.guardian,
        audience=Audience.FAMILY,
        selection=CONSENT,
    )
    assert out["error"] is None
    await session.refresh(log)
    assert (log.level, log.status) == (1, RelayLogStatus.ACTIVE)


async def test_a_guardian_withdraws_only_their_own_consent_and_only_once(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    others = await _consent_of(session, log, ConsentScope.CREATE, world.other_guardian)
    refused = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", others)},
        as_=world.guardian,
        audience=Audience.FAMILY,
        selection=CONSENT,
    )
    assert refused["error"] == {
        "code": "NOT_ALLOWED",
        "message": "You may not do this in this log.",
        "field": None,
    }
    own = await _consent_of(session, log, ConsentScope.CREATE, world.guardian)
    first = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", own)},
        as_=world.guardian,
        audience=Audience.FAMILY,
        selection=CONSENT,
    )
    assert first["error"] is None
    # The log ended with the consent; a closed log takes no more writes.
    again = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", own)},
        as_=world.guardian,
        audience=Audience.FAMILY,
        selection=CONSENT,
    )
    assert again["error"]["code"] == "LOG_CLOSED"


async def test_a_consent_already_withdrawn_cannot_be_withdrawn_again(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 2)
    share = await _consent_of(session, log, ConsentScope.SHARE, world.guardian)
    for expected in (None, "This consent is already withdrawn."):
        out = await call(
            client,
            "withdrawConsent",
            {"consentId": gid("Consent", share)},
            as_=world.guardian,
            audience=Audience.FAMILY,
            selection=CONSENT,
        )
        assert (out["error"] or {}).get("message") == expected
    evidence = await session.scalar(select(Consent.evidence).where(Consent.id == share.id))
    assert evidence is ConsentEvidence.UPLOADED_FORM
