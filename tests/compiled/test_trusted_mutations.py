"""The parent app writes through trusted documents: in production the family endpoint takes
nothing else, so every mutation the family schema has needs a committed document, and each
one, sent by ``documentId``, is answered as the ad hoc mutation would be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import FieldNode, OperationDefinitionNode
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.dev_keys import DevKeys
from auth.policy import Audience
from relaylog.app import Services, build_app
from relaylog.services import make_verifier
from relaylog.settings import Settings
from schema.build import build_schema
from schema.trusted import TrustedDocument, trusted_documents
from tests.conftest import TODAY, _joined_session
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, consent_all, gid

FAMILY = Audience.FAMILY


def _family_mutations() -> dict[str, TrustedDocument]:
    """The family's trusted mutation documents, by the mutation each one calls."""
    documents = {}
    for document in trusted_documents():
        if FAMILY not in document.audiences or document.operation_type != "mutation":
            continue
        (operation,) = document.document.definitions
        assert isinstance(operation, OperationDefinitionNode)
        (field,) = operation.selection_set.selections
        assert isinstance(field, FieldNode)
        documents[field.name.value] = document
    return documents


def _selected(field: FieldNode, name: str) -> set[str]:
    """The field names selected under ``name`` in ``field``'s payload."""
    assert field.selection_set is not None
    for selection in field.selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value == name:
            assert selection.selection_set is not None
            inner = selection.selection_set.selections
            return {s.name.value for s in inner if isinstance(s, FieldNode)}
    return set()


def test_every_family_mutation_has_a_trusted_document_selecting_its_typed_error() -> None:
    mutation_type = build_schema(FAMILY)._schema.mutation_type
    assert mutation_type is not None
    documents = _family_mutations()
    assert set(documents) == set(mutation_type.fields), "add schema/operations/family_*.graphql"
    for name, document in documents.items():
        (operation,) = document.document.definitions
        assert isinstance(operation, OperationDefinitionNode)
        (field,) = operation.selection_set.selections
        assert isinstance(field, FieldNode)
        assert {"code", "message", "field"} <= _selected(field, "error"), name


@pytest.fixture
async def family_only(
    settings: Settings, engine: AsyncEngine, connection: AsyncConnection, dev_keys: DevKeys
) -> AsyncIterator[GraphQLClient]:
    """The service as production runs it: the family endpoint takes trusted documents only."""
    services = Services(
        settings=settings.model_copy(update={"trusted_documents_only": "FAMILY"}),
        engine=engine,
        session_factory=lambda: _joined_session(connection),
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, dev_keys, settings)


async def test_a_parent_app_runs_every_family_mutation_by_document_id(
    family_only: GraphQLClient, world: World
) -> None:
    documents = _family_mutations()
    sent: set[str] = set()

    async def send(mutation: str, variables: dict[str, Any], as_: Any = None) -> dict[str, Any]:
        response = await family_only.post_document(
            documents[mutation].document_id,
            as_=as_ or world.guardian,
            audience=FAMILY,
            variables=variables,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, (mutation, body["errors"])
        payload = body["data"][mutation]
        assert payload["error"] is None, (mutation, payload["error"])
        sent.add(mutation)
        return dict(payload)

    async def view() -> dict[str, Any]:
        log_view = next(d for d in trusted_documents() if d.name == "FamilyLogView")
        response = await family_only.post_document(
            log_view.document_id, as_=world.guardian, audience=FAMILY, variables={"id": log_id}
        )
        return dict(response.json()["data"]["node"])

    ad_hoc = documents["endLog"].text
    refused = await family_only.post(ad_hoc, as_=world.guardian, audience=FAMILY)
    assert refused.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"

    log = await world.full_log(1)
    await consent_all(world, log, 1)
    log_id = gid("RelayLog", log)
    # The holder asks to hand the log to the health station: a move the consents do not cover.
    for _ in range(2):
        asked = await call(
            family_only,
            "requestTransfer",
            {"logId": log_id, "toStaffId": gid("StaffAccount", world.external), "reason": "Flytt"},
            as_=world.holder,
            selection="transfer { id }",
        )
        transfer_id = asked["transfer"]["id"]
        if "approveTransfer" not in sent:
            approved = await send("approveTransfer", {"transferId": transfer_id})
            assert approved["transfer"]["approvals"][0]["givenByName"] == "Gunnar Foresatt"
            await call(
                family_only,
                "cancelTransfer",
                as_=world.holder,
                selection="transfer { id }",
                variables={"transferId": transfer_id},
            )
        else:
            no = await send("refuseTransfer", {"transferId": transfer_id})
            assert no["transfer"]["status"] == "REFUSED"

    given = await send("giveConsent", {"input": {"logId": log_id, "scopes": ["SHARE"]}})
    (share,) = given["consents"]
    sparkle = await send("addSparkle", {"input": {"logId": log_id, "text": "Fin tur i dag"}})
    await send("deleteSparkle", {"sparkleId": sparkle["sparkle"]["id"]})
    note = (await send("writeNote", {"input": {"logId": log_id, "text": "Hei"}}))["note"]
    edited = await send(
        "editNote",
        {"input": {"noteId": note["id"], "expectedVersion": note["version"], "text": "Hei!"}},
    )
    assert [v["text"] for v in edited["note"]["versions"]] == ["Hei"]

    seen = await view()
    signed = next(c for c in seen["consents"] if c["document"] is not None)
    form = await send("downloadConsentForm", {"consentId": signed["id"]})
    assert form["form"]["contentBase64"]
    invitation = await send("downloadMeetingInvitation", {"meetingId": seen["meetings"][0]["id"]})
    assert invitation["invitation"]["contentType"].startswith("text/calendar")
    pdf = await send("exportRelayLog", {"logId": log_id})
    assert pdf["pdf"]["pages"] >= 1
    told = await send("setNotificationPreferences", {"input": {"delivery": "DAILY"}})
    assert told["preferences"]["delivery"] == "DAILY"
    contact = await send(
        "editOwnContact",
        {"input": {"logId": log_id, "expectedVersion": seen["version"], "phone": "+47 912 34 567"}},
    )
    await send("withdrawConsent", {"input": {"consentId": share["id"]}})
    ended = await send(
        "endLog", {"input": {"logId": log_id, "expectedVersion": contact["log"]["version"]}}
    )
    assert ended["log"]["status"] == "CLOSED"
    assert sent == set(documents)
