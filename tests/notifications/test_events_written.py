"""The events the routine writes, by behaviour: the mutation or duty runs and the outbox
holds what it should (``test_outbox`` checks what is declared)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import Consent, RelayLog
from models.base import utcnow
from models.enums import ConsentScope, RelayLogStatus
from models.events import DomainEvent
from models.national_id import synthetic_national_id
from models.relay_log import OSLO
from relaylog.duties import CONSENT_EXPIRING_DAYS, expire_consents
from relaylog.jobs import DutyRun
from relaylog.settings import Settings
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import gid
from tests.mutations.lifecycle import PDF, b64, call, consent_all

CHILD = synthetic_national_id(date(2017, 4, 12), 7)
MOTHER = synthetic_national_id(date(1988, 6, 1), 3)


async def _kinds(session: AsyncSession, log_id: object) -> list[tuple[str, object]]:
    rows = await session.scalars(
        select(DomainEvent).where(DomainEvent.log_id == log_id).order_by(DomainEvent.id)
    )
    return [(e.kind, e.object_id) for e in rows]


def _new_log() -> dict[str, object]:
    return {
        "child": {"name": "Emil Eksempel", "nationalId": CHILD},
        "guardians": [{"name": "Mari Mor", "nationalId": MOTHER}],
        "level": 1,
        "consentForms": [
            {"file": b64(PDF), "scopes": ["CREATE"], "signedByGuardianNationalIds": [MOTHER]}
        ],
    }


async def test_a_second_log_for_the_same_child_warns_the_first_logs_holder(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    first = await call(client, "createLog", _new_log(), as_=world.holder, selection="log { id }")
    second = await call(client, "createLog", _new_log(), as_=world.outsider, selection="log { id }")
    assert first["error"] is None, first
    assert second["error"] is None, second
    ids = {
        gid("RelayLog", log): log.id
        for log in await session.scalars(select(RelayLog).order_by(RelayLog.created_at))
    }
    first_id, second_id = ids[first["log"]["id"]], ids[second["log"]["id"]]
    assert await _kinds(session, first_id) == [
        ("LOG_CREATED", first_id),
        ("DUPLICATE_LOG_ATTEMPT", second_id),  # on the earlier log, naming the new one
    ]
    assert await _kinds(session, second_id) == [("LOG_CREATED", second_id)]


async def test_a_consent_running_out_in_two_weeks_is_news_once(
    world: World, session: AsyncSession, settings: Settings
) -> None:
    now = utcnow()
    today = now.astimezone(OSLO).date()
    log = await world.seed.log(world.youth, world.holder, level=1)
    expiring = await world.seed.consent(
        log,
        world.guardian,
        ConsentScope.CREATE,
        valid_until=today + timedelta(days=CONSENT_EXPIRING_DAYS),
    )
    await world.seed.consent(log, world.other_guardian, ConsentScope.CREATE)
    await world.seed.consent(log, None, ConsentScope.CREATE, with_document=False)
    for _ in range(2):  # the hourly duty runs again (the same day, and the next hour)
        await expire_consents(DutyRun(session, now, settings))
    assert await _kinds(session, log.id) == [("CONSENT_EXPIRING", expiring.id)]


async def test_withdrawing_consents_tells_of_the_withdrawal_the_lower_level_and_the_end(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=2)
    await consent_all(world, log, 2)
    by = {
        (c.scope, c.given_by_guardian_id): c
        for c in await session.scalars(select(Consent).where(Consent.log_id == log.id))
    }
    share = by[(ConsentScope.SHARE, world.other_guardian.id)]
    out = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", share), "reason": "Ombestemt"},
        as_=world.other_guardian,
        audience=Audience.FAMILY,
        selection="consent { id }",
    )
    assert out["error"] is None, out
    assert await _kinds(session, log.id) == [
        ("CONSENT_WITHDRAWN", share.id),
        ("LEVEL_CHANGED", log.id),
    ]

    create = by[(ConsentScope.CREATE, None)]  # the youth's own consent to the log
    out = await call(
        client,
        "withdrawConsent",
        {"consentId": gid("Consent", create)},
        as_=world.youth,
        audience=Audience.FAMILY,
        selection="consent { id }",
    )
    assert out["error"] is None, out
    await session.refresh(log)
    assert log.status is RelayLogStatus.CLOSED
    assert (await _kinds(session, log.id))[2:] == [
        ("CONSENT_WITHDRAWN", create.id),
        ("LOG_ENDED", log.id),
    ]
