"""Pause by agreement and resume; close when the goal is reached (with a summary) or the work
moves to an individual plan; the family ends the log at will; a closed log is read-only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import Note, RelayLog
from models.enums import CloseReason, RelayLogStatus
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import PDF, b64, call, consent_all, count, gid, written

LOG = "log { status level pausedReason closeReason version }"
ACTIVITY = """query($id: ID!) { node(id: $id) { ... on RelayLog { activity {
  activityPlanReportedOn activityPlanDeadline activityPlanMet } } } }"""


def _v(log: RelayLog, **extra: Any) -> dict[str, Any]:
    return {"logId": gid("RelayLog", log), "expectedVersion": log.version} | extra


async def test_the_holder_pauses_by_agreement_and_resumes(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    paused = await call(
        client, "pauseLog", _v(log, reason="Sommerferie"), as_=world.holder, selection=LOG
    )
    assert paused["error"] is None
    assert (paused["log"]["status"], paused["log"]["pausedReason"]) == ("PAUSED", "Sommerferie")
    sparkle = await call(
        client,
        "addSparkle",
        {"logId": gid("RelayLog", log), "text": "Hei"},
        as_=world.guardian,
        audience=Audience.FAMILY,
        selection="sparkle { id }",
    )
    assert sparkle["error"] == {
        "code": "LOG_CLOSED",
        "message": "The log is paused; resume it first.",
        "field": None,
    }
    resumed = await call(
        client,
        "resumeLog",
        {"logId": gid("RelayLog", log), "expectedVersion": paused["log"]["version"]},
        as_=world.holder,
        selection=LOG,
        input_type="LogVersionInput",
    )
    assert resumed["error"] is None
    assert (resumed["log"]["status"], resumed["log"]["pausedReason"]) == ("ACTIVE", None)
    assert [w[0] for w in await written(session, log.id)] == ["MANAGE_LOG", "MANAGE_LOG"]


async def test_pausing_needs_a_reason_and_an_active_log(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    empty = await call(client, "pauseLog", _v(log, reason=" "), as_=world.holder, selection=LOG)
    assert empty["error"] == {
        "code": "INVALID_INPUT",
        "message": "reason must not be empty.",
        "field": "reason",
    }
    resume = await call(
        client, "resumeLog", _v(log), as_=world.holder, selection=LOG, input_type="LogVersionInput"
    )
    assert resume["error"]["message"] == "Only a paused log can be resumed."


async def test_a_goal_reached_needs_a_closing_summary(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    missing = await call(
        client, "closeLog", _v(log, reason="GOAL_REACHED"), as_=world.holder, selection=LOG
    )
    assert missing["error"] == {
        "code": "INVALID_INPUT",
        "message": "A log whose goal is reached needs a closing summary.",
        "field": "summary",
    }
    too_long = await call(
        client,
        "closeLog",
        _v(log, reason="GOAL_REACHED", summary="x" * 10001),
        as_=world.holder,
        selection=LOG,
    )
    assert too_long["error"]["field"] == "summary"
    closed = await call(
        client,
        "closeLog",
        _v(log, reason="GOAL_REACHED", summary="Målet er nådd."),
        as_=world.holder,
        selection=LOG,
    )
    assert closed["error"] is None
    assert (closed["log"]["status"], closed["log"]["closeReason"]) == ("CLOSED", "GOAL_REACHED")
    summary = await session.scalar(select(Note).where(Note.log_id == log.id))
    assert summary is not None
    assert (summary.is_summary, summary.text, summary.author_staff_id) == (
        True,
        "Målet er nådd.",
        world.holder.id,
    )
    assert [w[:2] for w in await written(session, log.id)] == [("CLOSE_LOG", "HOLDER")]


async def test_an_existing_summary_note_is_enough_to_close(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.note(log, "Oppsummering", staff=world.holder, is_summary=True)
    out = await call(
        client, "closeLog", _v(log, reason="GOAL_REACHED"), as_=world.holder, selection=LOG
    )
    assert out["error"] is None


async def test_moving_to_an_individual_plan_closes_without_a_summary(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client, "closeLog", _v(log, reason="INDIVIDUAL_PLAN"), as_=world.holder, selection=LOG
    )
    assert out["log"]["closeReason"] == "INDIVIDUAL_PLAN"
    assert await count(session, Note) == 0


async def test_the_holder_cannot_end_the_log_in_the_familys_name(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client, "closeLog", _v(log, reason="ENDED_BY_FAMILY"), as_=world.holder, selection=LOG
    )
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": "The holder closes a log as GOAL_REACHED or INDIVIDUAL_PLAN.",
        "field": "reason",
    }


@pytest.mark.parametrize("person", ["guardian", "other_guardian", "youth"])
async def test_a_guardian_or_the_youth_ends_the_log_at_will_even_when_paused(
    client: GraphQLClient, world: World, session: AsyncSession, person: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=3)
    log.status = RelayLogStatus.PAUSED
    log.paused_reason = "Etter avtale"
    await world.seed.session.flush()
    out = await call(
        client,
        "endLog",
        _v(log),
        as_=getattr(world, person),
        audience=Audience.FAMILY,
        selection=LOG,
        input_type="LogVersionInput",
    )
    assert out["error"] is None
    assert (out["log"]["status"], out["log"]["closeReason"], out["log"]["pausedReason"]) == (
        "CLOSED",
        "ENDED_BY_FAMILY",
        None,
    )
    relation = "SUBJECT" if person == "youth" else "GUARDIAN"
    assert [w[:2] for w in await written(session, log.id)] == [("END_LOG_AT_WILL", relation)]


async def test_closing_cancels_a_waiting_transfer(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    from models import Transfer
    from models.enums import TransferStatus

    log = await world.seed.log(world.youth, world.holder, level=1)
    asked = await call(
        client,
        "requestTransfer",
        {"logId": gid("RelayLog", log), "toStaffId": gid("StaffAccount", world.actor)},
        as_=world.holder,
        selection="transfer { id }",
    )
    assert asked["error"] is None
    await call(
        client,
        "endLog",
        _v(log),
        as_=world.guardian,
        audience=Audience.FAMILY,
        selection=LOG,
        input_type="LogVersionInput",
    )
    status = await session.scalar(select(Transfer.status))
    assert status is TransferStatus.CANCELLED


async def test_a_stale_version_cannot_close_the_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "closeLog",
        _v(log, reason="INDIVIDUAL_PLAN", expectedVersion=log.version + 1),
        as_=world.holder,
        selection=LOG,
    )
    assert out["error"]["code"] == "CONFLICT"
    await session.refresh(log)
    assert log.status is RelayLogStatus.ACTIVE


CLOSED_WRITES = [
    pytest.param(
        "setLevel",
        "holder",
        Audience.STAFF,
        lambda w, log: _v(log, level=2, reason="Opp"),
        id="setLevel",
    ),
    pytest.param(
        "pauseLog", "holder", Audience.STAFF, lambda w, log: _v(log, reason="Ferie"), id="pauseLog"
    ),
    pytest.param(
        "addActor",
        "holder",
        Audience.STAFF,
        lambda w, log: {
            "logId": gid("RelayLog", log),
            "staffAccountId": gid("StaffAccount", w.actor),
        },
        id="addActor",
    ),
    pytest.param(
        "uploadConsent",
        "holder",
        Audience.STAFF,
        lambda w, log: {
            "logId": gid("RelayLog", log),
            "file": b64(PDF),
            "scopes": ["CREATE"],
            "signedByGuardians": [gid("Guardian", w.guardian)],
        },
        id="uploadConsent",
    ),
    pytest.param(
        "markActivityPlan",
        "holder",
        Audience.STAFF,
        lambda w, log: _v(log, reportedOn=TODAY.isoformat()),
        id="markActivityPlan",
    ),
    pytest.param(
        "requestTransfer",
        "holder",
        Audience.STAFF,
        lambda w, log: {"logId": gid("RelayLog", log), "toStaffId": gid("StaffAccount", w.actor)},
        id="requestTransfer",
    ),
    pytest.param(
        "giveConsent",
        "guardian",
        Audience.FAMILY,
        lambda w, log: {"logId": gid("RelayLog", log), "scopes": ["SHARE"]},
        id="giveConsent",
    ),
    pytest.param("endLog", "guardian", Audience.FAMILY, lambda w, log: _v(log), id="endLog"),
]
INPUT_TYPES = {"endLog": "LogVersionInput"}


@pytest.mark.parametrize(("mutation", "person", "audience", "make"), CLOSED_WRITES)
async def test_a_closed_log_is_read_only_for_everyone(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    mutation: str,
    person: str,
    audience: Audience,
    make: Any,
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 2)
    await world.seed.close(log, CloseReason.GOAL_REACHED)
    version = log.version
    out = await call(
        client,
        mutation,
        make(world, log),
        as_=getattr(world, person),
        audience=audience,
        input_type=INPUT_TYPES.get(mutation),
    )
    assert out["error"] == {
        "code": "LOG_CLOSED",
        "message": "The log is closed and can no longer be changed.",
        "field": None,
    }
    await session.refresh(log)
    assert (log.version, log.level) == (version, 1)


async def test_the_holder_marks_an_activity_plan_and_its_deadline_is_readable(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    reported = TODAY - timedelta(days=2)
    out = await call(
        client,
        "markActivityPlan",
        _v(log, reportedOn=reported.isoformat()),
        as_=world.holder,
        selection=LOG,
    )
    assert out["error"] is None
    data = await client.query(
        ACTIVITY,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"id": gid("RelayLog", log)},
    )
    assert data["node"]["activity"] == {
        "activityPlanReportedOn": reported.isoformat(),
        "activityPlanDeadline": (reported + timedelta(days=7)).isoformat(),
        "activityPlanMet": False,
    }
    future = await call(
        client,
        "markActivityPlan",
        _v(
            log,
            reportedOn=(TODAY + timedelta(days=1)).isoformat(),
            expectedVersion=out["log"]["version"],
        ),
        as_=world.holder,
        selection=LOG,
    )
    assert future["error"] == {
        "code": "INVALID_INPUT",
        "message": "reportedOn must not be in the future.",
        "field": "reportedOn",
    }


@pytest.mark.parametrize(
    ("who", "mutation", "extra", "archive_reason"),
    [
        pytest.param(
            "holder",
            "closeLog",
            {"reason": "INDIVIDUAL_PLAN"},
            "INDIVIDUAL_PLAN",
            id="holder-moves-to-individual-plan",
        ),
        pytest.param(
            "holder",
            "closeLog",
            {"reason": "GOAL_REACHED", "summary": "Målet er nådd"},
            "CLOSURE",
            id="holder-goal-reached",
        ),
        pytest.param("guardian", "endLog", {}, "CLOSURE", id="guardian-ends-at-will"),
    ],
)
async def test_closing_a_log_files_its_archive_copy_in_the_same_transaction(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    who: str,
    mutation: str,
    extra: dict[str, Any],
    archive_reason: str,
) -> None:
    from models import ArchiveRecord

    log = await world.full_log(level=1)
    family = who == "guardian"
    out = await call(
        client,
        mutation,
        _v(log, **extra),
        as_=getattr(world, who),
        audience=Audience.FAMILY if family else Audience.STAFF,
        selection=LOG,
        input_type="LogVersionInput" if family else None,
    )
    assert out["error"] is None
    records = (
        await session.scalars(select(ArchiveRecord).where(ArchiveRecord.log_id == log.id))
    ).all()
    assert [(r.reason, r.created_by_id) for r in records] == [(archive_reason, world.holder.id)]
    assert len(records[0].sha256) == 64


async def _archive_reasons(session: AsyncSession, log: RelayLog) -> list[str]:
    from models import ArchiveRecord

    return list(
        await session.scalars(select(ArchiveRecord.reason).where(ArchiveRecord.log_id == log.id))
    )


async def test_a_withdrawn_consent_that_ends_the_log_files_its_archive_copy(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    from models import Consent
    from models.enums import ConsentScope

    log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    consent = await session.scalar(
        select(Consent).where(Consent.log_id == log.id, Consent.scope == ConsentScope.CREATE)
    )
    assert consent is not None
    out = await client.query(
        """mutation($input: WithdrawConsentInput!) { withdrawConsent(input: $input) {
           error { code } } }""",
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"consentId": gid("Consent", consent), "reason": "Vi avslutter"}},
    )
    assert out["withdrawConsent"]["error"] is None
    await session.refresh(log)
    assert log.status is RelayLogStatus.CLOSED
    assert await _archive_reasons(session, log) == ["CLOSURE"]


async def test_an_ended_concern_files_its_note_in_the_archive(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=0)
    concern = await world.seed.concern(log, world.holder, held_on=TODAY)
    out = await client.query(
        """mutation($input: EndConcernInput!) { endConcern(input: $input) { error { code } } }""",
        as_=world.holder,
        variables={
            "input": {
                "concernId": gid("AttentionConversation", concern),
                "expectedVersion": concern.version,
            }
        },
    )
    assert out["endConcern"]["error"] is None
    assert await _archive_reasons(session, log) == ["CLOSURE"]
