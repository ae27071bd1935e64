"""The facts a conditional policy cell needs about one object ("own only", "shared").

Two faces of one rule: ``facts_for`` answers for a loaded object (the executor, the
permission classes), ``condition_sql`` renders the same answer as SQL over a row of the
object's table (the compiled trusted documents). The differential test keeps them equal.
"""

from __future__ import annotations

from typing import Any

from auth.policy import Condition, Facts, Relation
from auth.viewer import Viewer
from models import ActorMembership, Consent, Guardian, Note, NoteVersion
from models.enums import AuthorKind

__all__ = ["condition_sql", "facts_for"]


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
    if isinstance(target, Note | NoteVersion):  # a version keeps the mark it was written with
        return Facts(adults_only=target.adults_only)
    return Facts(shared_by_actor=bool(getattr(target, "shares_mobile", False)))


def condition_sql(condition: Condition, model: type[Any] | None, row: str, relation: str) -> str:
    """``condition`` for a row of ``model`` as a SQL boolean (``row``: the row's alias,
    ``relation``: the SQL of the viewer's relation to the log). The viewer's guardian rows
    are the bind parameter ``viewer_guardian_ids`` (``auth.scoping.viewer_params``)."""
    if condition is Condition.OWN:
        if model is Guardian:
            return f"{row}.id = ANY(:viewer_guardian_ids)"
        if model is Consent:
            return (
                f"(coalesce({row}.given_by_guardian_id = ANY(:viewer_guardian_ids), false)"
                f" OR ({relation} = '{Relation.SUBJECT.value}'"
                f" AND {row}.given_by_kind = '{AuthorKind.SUBJECT.value}'))"
            )
        return "false"
    if condition is Condition.SHARED_BY_ACTOR:
        return f"{row}.shares_mobile" if model is ActorMembership else "false"
    return f"NOT {row}.adults_only" if model in (Note, NoteVersion) else "true"
