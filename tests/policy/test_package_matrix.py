"""The archive packages' exhaustive policy test, generated from ``PACKAGE_POLICY``.

A package belongs to the unit that filed it. For every person who might ask — the holder
when it was filed, the unit's manager, a colleague in that unit, the new holder in another
unit, another unit's manager, a holder of the time who has since moved to another unit, the
municipal admin — and every package action (list, download, mark received), the API answers
exactly as the table says: listed or not, the zip or the answer for a missing id, received
or the answer for a missing id (nothing changed). An allowed download or receipt is audited
under the relation ``PACKAGE_RELATION`` gives the viewer's role."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from auth.policy import (
    PACKAGE_RELATION,
    Audience,
    PackageAction,
    PackageRole,
    may_handle_package,
    package_roles,
)
from models import ArchiveRecord, RelayLog, StaffAccount
from models.enums import StaffRole
from schema.build import build_schema
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import gid

LIST = "{ archivePackages(first: 100) { edges { node { id caseTitle holderName } } } }"
DOWNLOAD = """mutation($id: ID!) { downloadArchivePackage(archiveRecordId: $id) {
  package { fileName contentType sizeBytes sha256 contentBase64 }
  error { code message field } } }"""
MARK = """mutation($input: MarkArchivePackageReceivedInput!) {
  markArchivePackageReceived(input: $input) {
    archiveRecord { id receivedAt receivedByName archiveReference }
    error { code message field } } }"""
MISSING = {"code": "NOT_FOUND", "message": "No such archive package.", "field": "archiveRecordId"}
ZIP = b"PK\x05\x06" + b"\x00" * 18  # an empty zip: the bytes are not what is tested here


@dataclass(frozen=True)
class Asker:
    """A person asking, and the facts ``package_roles`` reads about them and the package."""

    person: StaffAccount
    kind: str
    is_manager: bool
    same_unit: bool
    held_it: bool

    @property
    def roles(self) -> frozenset[PackageRole]:
        return package_roles(
            self.kind, is_manager=self.is_manager, same_unit=self.same_unit, held_it=self.held_it
        )


async def _package(world: World, log: RelayLog, holder: StaffAccount) -> ArchiveRecord:
    record = ArchiveRecord(
        log_id=log.id,
        reason="TRANSFER",
        case_title="Stafettlogg – Ylva Ungdom",
        document_title="Stafettlogg, ved overføring 25.11.2026",
        author_organisation_id=world.school.id,
        holder_id=holder.id,
        created_by_id=world.external.id,
        size_bytes=len(ZIP),
        sha256="0" * 64,
        package=ZIP,
    )
    world.seed.session.add(record)
    await world.seed.session.flush()
    return record


async def _askers(world: World, session: AsyncSession) -> tuple[dict[str, Asker], Any, Any]:
    """Bakken's copy of a log since moved to the health station, and everyone who may ask."""
    s = world.seed
    log = await s.log(world.youth, world.external, level=1)  # held by the health station now
    record = await _package(world, log, world.holder)
    moved = await s.staff(world.school, "Mari Flyttet")
    moved_record = await _package(world, log, moved)
    moved.organisation_id = world.health.id  # she works at the health station now
    await session.flush()
    admin_kind = "MUNICIPAL_ADMIN"
    askers = {
        "holder at the time": Asker(world.holder, "STAFF", False, True, True),
        "unit manager": Asker(world.manager, "STAFF", True, True, False),
        "colleague in the unit": Asker(world.actor, "STAFF", False, True, False),
        "new holder, other unit": Asker(world.external, "STAFF", False, False, False),
        "other unit's manager": Asker(world.other_manager, "STAFF", True, False, False),
        "municipal admin": Asker(world.admin, admin_kind, False, False, False),
    }
    assert world.admin.role is StaffRole.MUNICIPAL_ADMIN
    return askers, record, (moved, moved_record)


def test_the_package_fields_are_in_the_staff_schema_only() -> None:
    for audience in (Audience.FAMILY, Audience.REPORTING):
        sdl = build_schema(audience).as_str()
        assert "archivePackages" not in sdl
        assert "downloadArchivePackage" not in sdl
        assert "markArchivePackageReceived" not in sdl


async def test_every_package_action_is_allowed_exactly_where_the_package_policy_says(
    client: GraphQLClient, world: World, session: AsyncSession, connection: AsyncConnection
) -> None:
    askers, record, (moved, moved_record) = await _askers(world, session)
    askers["holder at the time, since moved"] = Asker(moved, "STAFF", False, False, True)
    package_of = {name: record for name in askers}
    package_of["holder at the time, since moved"] = moved_record
    missing_id = gid("ArchiveRecord", uuid.uuid4())
    wrong: list[Any] = []
    for name, asker in askers.items():
        package = package_of[name]
        package_id = gid("ArchiveRecord", package)
        listed = await client.query(LIST, as_=asker.person)
        ids = {e["node"]["id"] for e in listed["archivePackages"]["edges"]}
        if (package_id in ids) != may_handle_package(PackageAction.LIST_PACKAGES, asker.roles):
            wrong.append((name, "LIST", ids))

        allowed = may_handle_package(PackageAction.DOWNLOAD_PACKAGE, asker.roles)
        out = (await client.query(DOWNLOAD, as_=asker.person, variables={"id": package_id}))[
            "downloadArchivePackage"
        ]
        absent = (await client.query(DOWNLOAD, as_=asker.person, variables={"id": missing_id}))[
            "downloadArchivePackage"
        ]
        assert absent == {"package": None, "error": MISSING}
        if allowed:
            file = out["package"]
            if out["error"] is not None or base64.b64decode(file["contentBase64"]) != ZIP:
                wrong.append((name, "DOWNLOAD", out))
            assert file["contentType"] == "application/zip"
            relation = PACKAGE_RELATION[min(asker.roles)].value
            assert await _last(connection, package) == ("DOWNLOAD_PACKAGE", relation)
        elif out != absent:
            wrong.append((name, "DOWNLOAD", out))

        allowed = may_handle_package(PackageAction.MARK_PACKAGE_RECEIVED, asker.roles)
        nested = await connection.begin_nested()
        variables = {"input": {"archiveRecordId": package_id, "archiveReference": "2026/77-1"}}
        marked = (await client.query(MARK, as_=asker.person, variables=variables))[
            "markArchivePackageReceived"
        ]
        received = await connection.scalar(
            text("SELECT received_at FROM archive_record WHERE id = :id"), {"id": package.id}
        )
        if allowed:
            if marked["error"] is not None or received is None:
                wrong.append((name, "MARK", marked))
            assert marked["archiveRecord"]["receivedByName"] == asker.person.name
            relation = PACKAGE_RELATION[min(asker.roles)].value
            assert await _last(connection, package) == ("MARK_PACKAGE_RECEIVED", relation)
        elif marked != {"archiveRecord": None, "error": MISSING} or received is not None:
            wrong.append((name, "MARK", marked))
        await nested.rollback()
    assert wrong == []
    # The table lets somebody do each action, and not everybody.
    for action in PackageAction:
        assert any(may_handle_package(action, a.roles) for a in askers.values())
        assert not all(may_handle_package(action, a.roles) for a in askers.values())


async def _last(connection: AsyncConnection, record: ArchiveRecord) -> tuple[str, str] | None:
    row = (
        await connection.execute(
            text(
                "SELECT action, relation FROM audit_event WHERE object_id = :id "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"id": record.id},
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def test_the_family_cannot_reach_a_package_at_all(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    record = await _package(world, log, world.holder)
    response = await client.post(
        DOWNLOAD,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"id": gid("ArchiveRecord", record)},
    )
    assert response.status_code == 200
    assert response.json()["errors"]  # no such field in the family schema
    assert await session.scalar(select(ArchiveRecord.received_at)) is None
