"""Each person chooses how they are told: staff and guardians, for themselves only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import AuditEvent
from models.notification import Delivery, Language, Recipient, RecipientKind
from relaylog.notifier import preferences
from tests.factories import World
from tests.graphql import GraphQLClient

SET = """mutation($input: SetNotificationPreferencesInput!) {
  setNotificationPreferences(input: $input) {
    preferences { delivery language } error { code message } } }"""
READ = "{ viewer { notificationPreferences { delivery language } } }"


async def test_staff_and_guardians_choose_and_see_their_own_preferences(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    staff_default = await client.query(READ, as_=world.actor)
    assert staff_default["viewer"]["notificationPreferences"] == {
        "delivery": "DAILY",
        "language": "NB",
    }
    family_default = await client.query(READ, as_=world.guardian, audience=Audience.FAMILY)
    assert family_default["viewer"]["notificationPreferences"] == {
        "delivery": "IMMEDIATE",
        "language": "NB",
    }

    chosen = await client.query(
        SET, as_=world.actor, variables={"input": {"delivery": "OFF", "language": "EN"}}
    )
    assert chosen["setNotificationPreferences"] == {
        "preferences": {"delivery": "OFF", "language": "EN"},
        "error": None,
    }
    again = await client.query(
        SET, as_=world.actor, variables={"input": {"delivery": "IMMEDIATE", "language": "EN"}}
    )
    assert again["setNotificationPreferences"]["error"] is None
    await client.query(
        SET,
        as_=world.guardian,
        audience=Audience.FAMILY,
        variables={"input": {"delivery": "DAILY"}},
    )
    assert (await client.query(READ, as_=world.actor))["viewer"]["notificationPreferences"] == {
        "delivery": "IMMEDIATE",
        "language": "EN",
    }

    actor = Recipient(RecipientKind.STAFF, world.actor.id)
    guardian = Recipient(RecipientKind.GUARDIAN, world.guardian.id)
    other = Recipient(RecipientKind.GUARDIAN, world.other_guardian.id)
    chosen_now = await preferences(session, {actor, guardian, other})
    assert (chosen_now[actor].delivery, chosen_now[actor].language) == (
        Delivery.IMMEDIATE,
        Language.EN,
    )
    assert chosen_now[guardian].delivery is Delivery.DAILY
    assert chosen_now[other].delivery is Delivery.IMMEDIATE  # nobody chose for her
    audited = (
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "CHOOSE_NOTIFICATIONS"))
    ).all()
    assert [(e.actor_id, e.relation, e.log_id) for e in audited] == [
        (world.actor.id, "NONE", None),
        (world.actor.id, "NONE", None),
        (world.guardian.id, "NONE", None),
    ]


async def test_the_youth_and_strangers_cannot_choose_mail(
    client: GraphQLClient, world: World
) -> None:
    await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    youth = await client.query(
        SET,
        as_=world.youth,
        audience=Audience.FAMILY,
        variables={"input": {"delivery": "OFF"}},
    )
    assert youth["setNotificationPreferences"]["error"]["code"] == "NOT_ALLOWED"
    nobody = await client.query(SET, variables={"input": {"delivery": "OFF"}})
    assert nobody["setNotificationPreferences"]["error"]["code"] == "NOT_ALLOWED"
    admin = await client.query(SET, as_=world.admin, variables={"input": {"delivery": "OFF"}})
    assert admin["setNotificationPreferences"]["error"]["code"] == "NOT_ALLOWED"
    assert (await client.query(READ, as_=world.admin))["viewer"]["notificationPreferences"] is None


async def test_a_parent_of_two_children_gets_one_morning_digest(
    world: World, session: AsyncSession
) -> None:
    """Each child's log has its own guardian rows: the same parent is two rows with one
    national id, and one person, so one digest (keyed by the person, not the row)."""
    from models.base import utcnow
    from models.events import Event, EventKind, record_events
    from models.notification import Notification, set_preference
    from relaylog.notifier import dispatch

    first = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    same_parent = await world.seed.guardian(
        world.guardian.name, national_id=world.guardian.national_id
    )
    sibling = await world.seed.child(world.municipality, "Sander Ungdom", [same_parent])
    second = await world.seed.log(sibling, world.holder, level=1, consenting=[same_parent])
    await set_preference(
        session,
        delivery=Delivery.DAILY,
        language=Language.NB,
        person_hash=world.guardian.national_id_hash,
    )
    await record_events(
        session,
        [
            Event(
                EventKind.SPARKLE_ADDED, log_id=log.id, actor_kind="STAFF", actor_id=world.holder.id
            )
            for log in (first, second)
        ],
    )
    assert await dispatch(session, utcnow()) == 2
    digests = list(
        await session.scalars(
            select(Notification).where(
                Notification.kind == "DIGEST",
                Notification.recipient_id.in_([world.guardian.id, same_parent.id]),
            )
        )
    )
    assert len(digests) == 1
