"""The archive routine across a change of school, through the API as the people would:

the child changes school and the holder role moves (Bakken's copy of the log is filed as it
leaves them); the old holder, who can no longer open the log, and her unit manager find the
copy in their unit's packages and download it (PDF/A + Noark 5 metadata, audited, told to
the family); Dalen cannot touch it; the new school closes the log (Dalen's copy); the
retention purge holds the log back while any copy has not reached the municipal archive and
says so; both units mark their copies received (once); then the purge removes the log."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from exports.archive import METADATA_FILE, NOARK_NAMESPACE
from models import ArchiveRecord, RelayLog
from models.enums import OrganisationKind
from models.retention import purge, purge_candidates
from tests.exports.conftest import ARCHIVE
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, consent_all, gid

PACKAGES = """query($received: Boolean) { archivePackages(received: $received) {
  edges { cursor node { id logId reason caseTitle documentTitle documentFormat filedAt
    organisationName holderName pdfSizeBytes pdfSha256 receivedAt receivedByName
    archiveReference } }
  pageInfo { hasNextPage endCursor } } }"""
DOWNLOAD = """mutation($id: ID!) { downloadArchivePackage(archiveRecordId: $id) {
  package { fileName contentType sizeBytes sha256 contentBase64 }
  error { code message field } } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on RelayLog {
  accessHistory { entries { kind action relation who { name organisation } } } } } }"""
LOG = "query($id: ID!) { node(id: $id) { ... on RelayLog { id version status } } }"
N = f"{{{NOARK_NAMESPACE}}}"
MISSING = {"code": "NOT_FOUND", "message": "No such archive package.", "field": "archiveRecordId"}


def _ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["error"] is None, payload["error"]
    return payload


async def _packages(client: GraphQLClient, as_: Any, received: bool | None = None) -> list[Any]:
    data = await client.query(PACKAGES, as_=as_, variables={"received": received})
    return [edge["node"] for edge in data["archivePackages"]["edges"]]


async def _mark(client: GraphQLClient, package_id: str, reference: str, as_: Any) -> Any:
    return await call(
        client,
        "markArchivePackageReceived",
        {"archiveRecordId": package_id, "archiveReference": reference},
        as_=as_,
        selection="archiveRecord { id receivedAt receivedByName archiveReference }",
    )


async def test_the_old_unit_files_its_copy_after_the_log_moved_and_then_the_purge_may_run(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    s = world.seed
    log = await s.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    point = await s.point(log, "Ylva strever med lesing")
    await s.measure(point, responsible=[world.holder])
    await s.note(log, "Ylva leste høyt i dag", staff=world.holder)
    log_id = gid("RelayLog", log)
    dalen = await s.organisation(world.municipality, "Dalen skole", OrganisationKind.SCHOOL)
    teacher = await s.staff(dalen, "Tor Lærer")

    # 1. Ylva changes school: Hanne hands the log to Tor, who accepts.
    transfer = _ok(
        await call(
            client,
            "requestTransfer",
            {"logId": log_id, "toStaffId": gid("StaffAccount", teacher), "reason": "Flytter"},
            as_=world.holder,
            selection="transfer { id }",
        )
    )["transfer"]["id"]
    _ok(
        await call(
            client,
            "acceptTransfer",
            as_=teacher,
            selection="transfer { status }",
            variables={"transferId": transfer},
        )
    )
    assert (await client.query(LOG, as_=world.holder, variables={"id": log_id}))["node"] is None

    # 2. Hanne and her manager find Bakken's copy among their unit's packages.
    [copy] = await _packages(client, world.holder)
    assert copy == {
        "id": copy["id"],
        "logId": log_id,
        "reason": "TRANSFER",
        "caseTitle": "Stafettlogg – Ylva Ungdom",
        "documentTitle": copy["documentTitle"],
        "documentFormat": "PDF/A-2b",
        "filedAt": copy["filedAt"],
        "organisationName": "Bakken skole",
        "holderName": "Hanne Holder",
        "pdfSizeBytes": copy["pdfSizeBytes"],
        "pdfSha256": copy["pdfSha256"],
        "receivedAt": None,
        "receivedByName": None,
        "archiveReference": None,
    }
    assert copy["documentTitle"].startswith("Stafettlogg, ved overføring ")
    assert [p["id"] for p in await _packages(client, world.manager, received=False)] == [copy["id"]]
    assert await _packages(client, teacher) == []  # Dalen's packages: none yet
    assert await _packages(client, world.actor) == []  # a colleague neither held nor manages

    # 3. Hanne downloads it: the PDF/A and its Noark 5 description, zipped.
    out = _ok(
        (await client.query(DOWNLOAD, as_=world.holder, variables={"id": copy["id"]}))[
            "downloadArchivePackage"
        ]
    )["package"]
    content = base64.b64decode(out["contentBase64"])
    assert out["contentType"] == "application/zip"
    assert (out["sizeBytes"], out["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        pdf_name = next(n for n in names if n.endswith(".pdf"))
        pdf = archive.read(pdf_name)
        metadata = ET.fromstring(archive.read(METADATA_FILE))
    assert out["fileName"] == pdf_name.removesuffix(".pdf") + ".zip"
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == copy["pdfSha256"]
    assert metadata.findtext(f".//{N}sjekksum") == copy["pdfSha256"]
    assert metadata.findtext(f".//{N}dokumentbeskrivelse/{N}forfatter") == "Bakken skole"
    assert metadata.findtext(".//{*}arkiveringsgrunn") == "TRANSFER"

    # Dalen cannot fetch Bakken's copy: the answer for an id that does not exist.
    other = await client.query(DOWNLOAD, as_=teacher, variables={"id": copy["id"]})
    assert other["downloadArchivePackage"] == {"package": None, "error": MISSING}
    missing = gid("ArchiveRecord", uuid.uuid4())
    assert (await client.query(DOWNLOAD, as_=teacher, variables={"id": missing}))[
        "downloadArchivePackage"
    ] == {"package": None, "error": MISSING}

    # The family is told that Bakken took a copy of the log.
    history = await client.query(
        HISTORY, as_=world.guardian, audience=Audience.FAMILY, variables={"id": log_id}
    )
    downloads = [
        e for e in history["node"]["accessHistory"]["entries"] if e["action"] == "DOWNLOAD_PACKAGE"
    ]
    assert downloads == [
        {
            "kind": "EXPORT",
            "action": "DOWNLOAD_PACKAGE",
            "relation": "HOLDER",
            "who": {"name": "Hanne Holder", "organisation": "Bakken skole"},
        }
    ]

    # 4. At Dalen the goal is reached and Tor closes the log: Dalen's copy is filed.
    version = (await client.query(LOG, as_=teacher, variables={"id": log_id}))["node"]["version"]
    _ok(
        await call(
            client,
            "closeLog",
            {
                "logId": log_id,
                "reason": "GOAL_REACHED",
                "expectedVersion": version,
                "summary": "Ylva leser med glede. Målet er nådd.",
            },
            as_=teacher,
            selection="log { status }",
        )
    )
    [closure] = await _packages(client, teacher)
    assert (closure["reason"], closure["organisationName"]) == ("CLOSURE", "Dalen skole")
    assert [p["id"] for p in await _packages(client, world.holder)] == [copy["id"]]

    # 5. Retention has run out, but no copy has reached the archive: the log is held back.
    later = datetime.now(UTC) + timedelta(days=800)
    [due] = await purge_candidates(session, later, 365)
    assert (due.log_id, due.archived_copies, due.unreceived_copies) == (log.id, 2, 2)
    result = await purge(session, [due.log_id])
    assert (result.logs, result.held_back) == (0, [log.id])
    assert await session.scalar(select(func.count()).where(RelayLog.id == log.id)) == 1

    # 6. Mona files Bakken's copy in the archive and marks it received, once.
    marked = _ok(await _mark(client, copy["id"], "2026/1234-7", world.manager))["archiveRecord"]
    assert (marked["receivedByName"], marked["archiveReference"]) == ("Mona Leder", "2026/1234-7")
    assert marked["receivedAt"] is not None
    again = await _mark(client, copy["id"], "2026/1234-8", world.holder)
    assert again == {
        "archiveRecord": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "The archive has already received this package.",
            "field": "archiveRecordId",
        },
    }
    assert await _packages(client, world.holder, received=False) == []
    [filed] = await _packages(client, world.holder, received=True)
    assert filed["archiveReference"] == "2026/1234-7"  # the first receipt stands
    assert (await _mark(client, copy["id"], "x", teacher))["error"] == MISSING

    [due] = await purge_candidates(session, later, 365)
    assert due.unreceived_copies == 1  # Dalen's copy still waits
    assert (await purge(session, [due.log_id])).held_back == [log.id]

    # 7. Tor files Dalen's copy; now the purge removes the log and its copies.
    _ok(await _mark(client, closure["id"], "2026/1301-1", teacher))
    [due] = await purge_candidates(session, later, 365)
    assert not due.held_back
    result = await purge(session, [due.log_id])
    assert (result.logs, result.held_back) == (1, [])
    assert await session.scalar(select(func.count()).select_from(ArchiveRecord)) == 0
    assert await _packages(client, world.holder) == []


async def test_the_package_a_holder_files_by_hand_is_downloaded_by_the_id_it_answers_with(
    client: GraphQLClient, world: World
) -> None:
    """``archiveRelayLog`` answers with ``archiveRecordId``: the id the download and the
    archive's receipt take, the same as ``archivePackages`` lists (it was once a bare UUID
    that no other operation accepted)."""
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    filed = await client.query(ARCHIVE, as_=world.holder, variables={"logId": gid("RelayLog", log)})
    archive = filed["archiveRelayLog"]["archive"]

    [listed] = await _packages(client, world.holder)
    assert listed["id"] == archive["archiveRecordId"]
    download = await client.query(
        DOWNLOAD, as_=world.holder, variables={"id": archive["archiveRecordId"]}
    )
    package = _ok(download["downloadArchivePackage"])["package"]
    assert package["sha256"] == archive["sha256"]
    assert _ok(await _mark(client, archive["archiveRecordId"], "2026/12-1", world.holder))


async def test_a_unit_pages_through_its_packages_and_the_second_page_says_one_came_before(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    for days_ago in (2, 1):
        session.add(
            ArchiveRecord(
                log_id=log.id,
                reason="TRANSFER",
                case_title="Stafettlogg",
                document_title="Overført stafettlogg",
                author_organisation_id=world.school.id,
                created_by_id=world.holder.id,
                holder_id=world.holder.id,
                size_bytes=4,
                sha256="a" * 64,
                package=b"%PDF",
                created_at=datetime.now(UTC) - timedelta(days=days_ago),
            )
        )
    await session.flush()
    page = """query($after: String) { archivePackages(first: 1, after: $after) {
      edges { node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

    first = (await client.query(page, as_=world.manager))["archivePackages"]
    assert len(first["edges"]) == 1
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (
        True,
        False,
    )
    after = first["pageInfo"]["endCursor"]
    second = (await client.query(page, as_=world.manager, variables={"after": after}))[
        "archivePackages"
    ]
    assert len(second["edges"]) == 1
    assert second["edges"][0]["node"]["id"] != first["edges"][0]["node"]["id"]
    assert (second["pageInfo"]["hasNextPage"], second["pageInfo"]["hasPreviousPage"]) == (
        False,
        True,
    )
