"""One person of the test world per relation to a log, and the endpoint they use."""

from __future__ import annotations

from auth.policy import Audience, Relation

__all__ = ["VIEWERS"]

VIEWERS: dict[Relation, tuple[str, Audience]] = {
    Relation.HOLDER: ("holder", Audience.STAFF),
    Relation.ACTOR: ("actor", Audience.STAFF),
    Relation.EXTERNAL_ACTOR: ("external", Audience.STAFF),
    Relation.MANAGER: ("manager", Audience.STAFF),
    Relation.GUARDIAN: ("guardian", Audience.FAMILY),
    Relation.SUBJECT: ("youth", Audience.FAMILY),
    Relation.NONE: ("outsider", Audience.STAFF),
}
