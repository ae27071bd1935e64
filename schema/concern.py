"""The concern (attention conversation) at the start of a log, and transfers of the holder role."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import PolicyField
from models import AttentionConversation as ConversationRow
from schema.enums import ConcernOutcome
from schema.node import Node, node_id_field
from schema.permissions import covered

__all__ = ["AttentionConversation"]

P = PolicyField


@strawberry.type(
    description=(
        "The attention conversation (oppmerksomhetssamtale) that started the log: what was "
        "observed, when it was shared, how it ended. Read like the log's notes."
    )
)
class AttentionConversation(Node):
    id: strawberry.ID = node_id_field("AttentionConversation", P.NOTES)
    observation: str = covered(P.NOTES)
    held_on: datetime.date = covered(P.NOTES)
    shared_with_contact_on: datetime.date | None = covered(P.NOTES)
    shared_with_guardians_on: datetime.date | None = covered(P.NOTES)
    outcome: ConcernOutcome = covered(P.NOTES)
    version: int = covered(P.NOTES)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, ConversationRow)
