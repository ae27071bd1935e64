"""The viewer's notification preferences as the schema shows them."""

from __future__ import annotations

import strawberry

from models.notification import Delivery, Language

__all__ = ["NotificationPreferences"]

strawberry.enum(
    Delivery,
    name="NotificationDelivery",
    description="IMMEDIATE: within the hour, at most one mail per log an hour; DAILY: one "
    "summary at 07:00; OFF: no mail.",
)
strawberry.enum(Language, name="MailLanguage", description="nb: bokmål; en: English.")


@strawberry.type(description="How the viewer is told of news in the logs they follow.")
class NotificationPreferences:
    delivery: Delivery
    language: Language
