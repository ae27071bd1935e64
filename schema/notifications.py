"""The viewer's notification preferences as the schema shows them."""

from __future__ import annotations

import strawberry

from models.notification import Delivery, Language
from schema.node import VALUE_TYPE

__all__ = ["NotificationPreferences"]

strawberry.enum(
    Delivery,
    name="NotificationDelivery",
    description="IMMEDIATE: within the hour, at most one mail per log an hour; DAILY: one "
    "summary at 07:00; OFF: no mail.",
)
strawberry.enum(
    Language,
    name="Language",
    description="The reader's language: NB bokmål, NN nynorsk, EN English, SE Northern Sami, "
    "PL Polish, LT Lithuanian, SO Somali, AR Arabic, UK Ukrainian, TI Tigrinya.",
)


@strawberry.type(description="How the viewer is told of news in the logs they follow." + VALUE_TYPE)
class NotificationPreferences:
    delivery: Delivery
    language: Language
