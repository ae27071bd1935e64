"""Signed consent forms, downloaded: the holder and the guardians download the form a
consent was given on, the youth only her own (the ``CONSENT_DOCUMENT`` row of the policy
table); each download is audited. Anyone else — an actor, the unit manager, another
family — gets exactly the answer for a consent that does not exist."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import AuditEvent, Consent, ConsentDocument, RelayLog
from models.enums import AuthorKind, ConsentScope
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import close, pause
from tests.mutations.lifecycle import PNG, b64, call, gid

DOWNLOAD = """mutation($id: ID!) { downloadConsentForm(consentId: $id) {
  form { fileName contentType sizeBytes sha256 contentBase64 } error { code message field } } }"""
NO_CONSENT = {"code": "NOT_FOUND", "message": "No such consent.", "field": "consentId"}


async def _uploaded(client: GraphQLClient, world: World) -> tuple[RelayLog, dict[str, Consent]]:
    """A log whose holder uploaded one scanned form signed by both guardians and the youth."""
    log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    await world.seed.actor(log, world.actor)
    out = await call(
        client,
        "uploadConsent",
        {
            "logId": gid("RelayLog", log),
            "file": b64(PNG),
            "scopes": ["SHARE"],
            "signedByGuardians": [gid("Guardian", world.guardian)],
            "signedByYouth": True,
        },
        as_=world.holder,
        selection="consents { id }",
    )
    assert out["error"] is None
    session = world.seed.session
    rows = await session.scalars(
        select(Consent).where(Consent.log_id == log.id, Consent.scope == ConsentScope.SHARE)
    )
    by = {"youth" if c.given_by_kind is AuthorKind.SUBJECT else "guardian": c for c in rows}
    return log, by


async def _download(
    client: GraphQLClient, who: Any, audience: Audience, consent_id: str
) -> dict[str, Any]:
    data = await client.query(DOWNLOAD, as_=who, audience=audience, variables={"id": consent_id})
    return data["downloadConsentForm"]


@pytest.mark.parametrize(
    ("who", "audience"),
    [
        pytest.param("holder", Audience.STAFF, id="holder"),
        pytest.param("guardian", Audience.FAMILY, id="guardian"),
        pytest.param("other_guardian", Audience.FAMILY, id="the-other-guardian"),
    ],
)
async def test_the_holder_and_the_guardians_download_the_signed_form_and_it_is_audited(
    client: GraphQLClient, world: World, session: AsyncSession, who: str, audience: Audience
) -> None:
    log, consents = await _uploaded(client, world)
    consent = consents["guardian"]
    answer = await _download(client, getattr(world, who), audience, gid("Consent", consent))
    assert answer["error"] is None
    form = answer["form"]
    assert base64.b64decode(form["contentBase64"]) == PNG
    assert (form["contentType"], form["sizeBytes"]) == ("image/png", len(PNG))
    assert form["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert form["fileName"].endswith(".png")
    stored = await session.scalar(
        select(ConsentDocument.sha256).where(ConsentDocument.id == consent.document_id)
    )
    assert stored == form["sha256"]
    events = list(
        await session.scalars(
            select(AuditEvent).where(AuditEvent.log_id == log.id).order_by(AuditEvent.id)
        )
    )
    download = [e for e in events if e.object_type == "ConsentDocument" and e.action == "EXPORT"]
    assert [e.object_id for e in download] == [consent.document_id]
    assert any(e.action == "READ" and "CONSENT_DOCUMENT" in e.fields for e in events)


async def test_the_youth_downloads_her_own_form_and_no_one_elses(
    client: GraphQLClient, world: World
) -> None:
    _, consents = await _uploaded(client, world)
    own = await _download(client, world.youth, Audience.FAMILY, gid("Consent", consents["youth"]))
    assert base64.b64decode(own["form"]["contentBase64"]) == PNG
    theirs = await _download(
        client, world.youth, Audience.FAMILY, gid("Consent", consents["guardian"])
    )
    missing = await _download(
        client, world.youth, Audience.FAMILY, encode_global_id("Consent", uuid.uuid4())
    )
    assert theirs == missing == {"form": None, "error": NO_CONSENT}


async def test_another_family_actors_and_the_manager_get_the_answer_of_a_missing_id(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log, consents = await _uploaded(client, world)
    stranger = await world.seed.guardian("Fremmed Forelder")
    await world.seed.child(world.municipality, "Annet Barn", [stranger])
    for who, audience in (
        (stranger, Audience.FAMILY),
        (world.actor, Audience.STAFF),
        (world.manager, Audience.STAFF),
        (world.outsider, Audience.STAFF),
        (None, Audience.FAMILY),
    ):
        hidden = await _download(client, who, audience, gid("Consent", consents["guardian"]))
        missing = await _download(client, who, audience, encode_global_id("Consent", uuid.uuid4()))
        assert hidden == missing == {"form": None, "error": NO_CONSENT}, who
    after = await session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.log_id == log.id, AuditEvent.object_type == "ConsentDocument")
        .where(AuditEvent.action == "EXPORT")
    )
    assert after is None, "a refused download hands out nothing and records no download"


async def test_a_consent_given_in_the_app_has_no_form_to_download(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    in_app = await world.seed.consent(log, world.guardian, ConsentScope.SHARE, with_document=False)
    answer = await _download(client, world.guardian, Audience.FAMILY, gid("Consent", in_app))
    assert answer == {
        "form": None,
        "error": {
            "code": "NOT_FOUND",
            "message": "This consent was given without a signed form.",
            "field": "consentId",
        },
    }


@pytest.mark.parametrize("status", ["paused", "closed"])
async def test_a_paused_or_closed_log_still_hands_its_forms_to_the_family(
    client: GraphQLClient, world: World, status: str
) -> None:
    log, consents = await _uploaded(client, world)
    await (pause if status == "paused" else close)(world, log)
    answer = await _download(
        client, world.guardian, Audience.FAMILY, gid("Consent", consents["guardian"])
    )
    assert answer["error"] is None
    assert base64.b64decode(answer["form"]["contentBase64"]) == PNG
