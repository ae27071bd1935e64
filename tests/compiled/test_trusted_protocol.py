"""How clients send trusted documents, and what a wrong one gets: a clear, typed error."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from auth.dev_keys import DevKeys
from auth.policy import Audience
from relaylog.app import Services, build_app
from relaylog.services import make_verifier
from relaylog.settings import Settings
from schema.node import encode_global_id
from schema.trusted import TrustedDocument, trusted_documents
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def _document(name: str) -> TrustedDocument:
    return next(d for d in trusted_documents() if d.name == name)


def _sql(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith(TRANSACTION_CONTROL)]


async def test_a_holder_opens_her_log_by_document_id_in_at_most_three_statements(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    log = await world.full_log(1)
    view = _document("HolderLogView")
    with count_statements() as counter:
        response = await client.post_document(
            view.document_id,
            as_=world.holder,
            variables={"id": encode_global_id("RelayLog", log.id)},
        )
    assert response.json()["data"]["node"]["child"]["name"] == "Ylva Ungdom"
    assert len(_sql(counter.statements)) <= 3, _sql(counter.statements)


async def test_apollo_and_urql_send_the_hash_in_the_persisted_query_extension(
    client: GraphQLClient, world: World
) -> None:
    await world.full_log(1)
    dashboard = _document("GuardianDashboard")
    token = client.token_for(world.guardian)
    response = await client.http.post(
        "/graphql/family",
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": dashboard.id}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, (response.status_code, response.text[:300])
    edges = response.json()["data"]["myLogs"]["edges"]
    assert [edge["node"]["child"]["name"] for edge in edges] == ["Ylva Ungdom"]
    by_get = await client.http.get(
        "/graphql/family",
        params={
            "extensions": f'{{"persistedQuery":{{"version":1,"sha256Hash":"{dashboard.id}"}}}}'
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert by_get.status_code == 200, (by_get.status_code, by_get.text[:300])
    assert by_get.json() == response.json()


async def test_an_unknown_document_id_is_persisted_query_not_found(client: GraphQLClient) -> None:
    for unknown in ["sha256:" + "0" * 64, "not-a-hash", 42]:
        response = await client.post_document(unknown)  # type: ignore[arg-type]
        assert response.status_code == 200
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_document_of_another_audience_is_not_found_on_this_endpoint(
    client: GraphQLClient, world: World
) -> None:
    family_only = _document("GuardianDashboard")
    response = await client.post_document(family_only.document_id, as_=world.holder)
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_id_sent_with_another_query_text_is_refused(
    client: GraphQLClient, world: World
) -> None:
    view = _document("HolderLogView")
    response = await client.post_document(
        view.document_id, as_=world.holder, extra={"query": "{ viewer { kind } }"}
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_MISMATCH"
    same = await client.post_document(
        view.document_id,
        as_=world.holder,
        variables={"id": encode_global_id("RelayLog", world.holder.id)},
        extra={"query": view.text},
    )
    assert same.json() == {"data": {"node": None}}
    assert hashlib.sha256(view.text.encode()).hexdigest() == view.id


async def test_wrong_variable_types_get_the_executors_typed_error(
    client: GraphQLClient, world: World
) -> None:
    view = _document("HolderLogView")
    response = await client.post_document(
        view.document_id, as_=world.holder, variables={"id": {"not": "an id"}}
    )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Variable '$id'")


async def test_a_bad_cursor_is_invalid_input_on_the_compiled_path_too(
    client: GraphQLClient, world: World
) -> None:
    my_logs = _document("HolderMyLogs")
    response = await client.post_document(
        my_logs.document_id, as_=world.holder, variables={"after": "bm9wZQ=="}
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"


async def test_an_endpoint_for_trusted_documents_only_refuses_ad_hoc_queries(
    settings: Settings,
    engine: AsyncEngine,
    connection: AsyncConnection,
    dev_keys: DevKeys,
    world: World,
) -> None:
    await world.full_log(1)
    services = Services(
        settings=settings.model_copy(update={"trusted_documents_only": "FAMILY"}),
        engine=engine,
        session_factory=lambda: AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        family = GraphQLClient(http, dev_keys, settings)
        ad_hoc = await family.post(
            _document("GuardianDashboard").text, as_=world.guardian, audience=Audience.FAMILY
        )
        (error,) = ad_hoc.json()["errors"]
        assert error["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        trusted = await family.post_document(
            _document("GuardianDashboard").document_id, as_=world.guardian, audience=Audience.FAMILY
        )
        assert len(trusted.json()["data"]["myLogs"]["edges"]) == 1
        staff = await family.post("{ viewer { kind } }", as_=world.holder)
        assert staff.json() == {"data": {"viewer": {"kind": "STAFF"}}}


def test_production_accepts_only_trusted_documents_on_the_family_and_reporting_endpoints() -> None:
    production = Settings(mode="production")
    assert [a.value for a in Audience if production.trusted_only(a.value)] == [
        "FAMILY",
        "REPORTING",
    ]
    assert not any(Settings(mode="dev").trusted_only(a.value) for a in Audience)


async def test_a_guardians_dashboard_is_three_statements_whatever_the_number_of_logs(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    dashboard = _document("GuardianDashboard")
    counts = []
    for _ in range(3):
        await world.full_log(1)
        with count_statements() as counter:
            response = await client.post_document(
                dashboard.document_id, as_=world.guardian, audience=Audience.FAMILY
            )
        assert "errors" not in response.json()
        counts.append(len(_sql(counter.statements)))
    assert counts == [3, 3, 3], counts


def test_relaylog_operations_prints_the_manifest_for_front_end_builds(tmp_path: Path) -> None:
    from tests.test_cli import relaylog

    listed = relaylog("operations", "--compiled", data_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr
    documents = {d["name"]: d for d in json.loads(listed.stdout)["documents"]}
    assert set(documents) == {d.name for d in trusted_documents()}
    view = documents["HolderLogView"]
    assert view["id"] == _document("HolderLogView").document_id
    assert view["endpoints"] == ["/graphql"]
    assert view["compiled"] == {"STAFF": True}
    apollo = json.loads(relaylog("operations", "--apollo", data_dir=tmp_path).stdout)
    assert apollo["format"] == "apollo-persisted-query-manifest"
    assert {o["id"] for o in apollo["operations"]} == {d.id for d in trusted_documents()}
    types = {o["name"]: o["type"] for o in apollo["operations"]}
    assert types["HolderLogView"] == "query"
    assert types["FamilyApproveTransfer"] == "mutation"
    assert types["LogChanges"] == "subscription"


async def test_a_statement_failing_mid_read_is_a_clean_error_with_no_audit_entry(
    client: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL refuses the statement half-way (here: a division by zero in the answer):
    the client gets the masked, typed error, and the request leaves nothing behind."""
    from sqlalchemy import func, select, text

    from models import AuditEvent
    from schema.compiled.runner import CompiledOperation

    log = await world.full_log(1)
    broken = text("SELECT (1 / 0)::text AS data, '[]' AS reads")
    monkeypatch.setattr(CompiledOperation, "statement", lambda self, shape, variants: broken)
    before = await world.seed.session.scalar(select(func.count()).select_from(AuditEvent))
    response = await client.post_document(
        _document("HolderLogView").document_id,
        as_=world.holder,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )
    body = response.json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["Internal error"]
    assert "division" not in response.text
    after = await world.seed.session.scalar(select(func.count()).select_from(AuditEvent))
    assert after == before


async def test_text_postgresql_cannot_store_is_invalid_input_on_the_compiled_path_too(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(1)
    view = _document("HolderLogView")
    bad = {"id": encode_global_id("RelayLog", log.id) + "\u0000"}
    executed = await client.post(view.text, as_=world.holder, variables=bad)
    compiled = await client.post_document(view.document_id, as_=world.holder, variables=bad)
    assert compiled.json() == executed.json()
    (error,) = compiled.json()["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
