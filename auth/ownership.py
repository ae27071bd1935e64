"""The facts a conditional policy cell needs about one object ("own only", "shared")."""

from __future__ import annotations

from typing import Any

from auth.policy import Facts, Relation
from auth.viewer import Viewer
from models import Consent, Guardian, Note
from models.enums import AuthorKind

__all__ = ["facts_for"]


def facts_for(viewer: Viewer | None, relation: Relation, obj: Any) -> Facts:
    target = getattr(obj, "wrapped", obj)
    if viewer is None:
        return Facts(adults_only=True)
    if isinstance(target, Guardian):
        return Facts(own=target.id in viewer.guardian_ids)
    if isinstance(target, Consent):
        own = (target.given_by_guardian_id in viewer.guardian_ids) or (
            relation is Relation.SUBJECT and target.given_by_kind is AuthorKind.SUBJECT
        )
        return Facts(own=own)
    if isinstance(target, Note):
        return Facts(adults_only=target.adults_only)
    return Facts(shared_by_actor=bool(getattr(target, "shares_mobile", False)))
