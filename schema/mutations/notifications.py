"""How a person wants to be told of news: at once (within the hour), in a morning digest, or
not at all, and in which language (``models.notification`` has the rules and defaults).
Staff and guardians choose for themselves; it is a write about the viewer, in no log."""

from __future__ import annotations

import strawberry

from auth.notifications import OwnAction
from models import notification as ops
from models.notification import Language
from schema.mutations.base import LOGS, MutationError, Write, mutation, reply
from schema.notifications import NotificationPreferences

__all__ = [
    "NotificationPreferencesPayload",
    "set_notification_preferences",
]


@strawberry.type
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = None
    error: MutationError | None = None


@strawberry.input
class SetNotificationPreferencesInput:
    delivery: ops.Delivery
    language: Language = Language.NB


@mutation(
    LOGS,
    audit="NotificationPreference",
    activity=False,
    description="Choose how you are told of news in the logs you follow (staff, guardians).",
)
async def set_notification_preferences(
    w: Write, input: SetNotificationPreferencesInput
) -> NotificationPreferencesPayload:
    viewer = w.own(OwnAction.CHOOSE_NOTIFICATIONS)
    if viewer.staff_id is not None:
        await ops.set_preference(
            w.session, delivery=input.delivery, language=input.language, staff_id=viewer.staff_id
        )
    else:
        person_hash = await ops.person_hash_of_guardians(w.session, viewer.guardian_ids)
        assert person_hash is not None, "a guardian viewer has guardian rows"
        await ops.set_preference(
            w.session, delivery=input.delivery, language=input.language, person_hash=person_hash
        )
    chosen = NotificationPreferences(delivery=input.delivery, language=input.language)
    return reply(NotificationPreferencesPayload, preferences=chosen)
