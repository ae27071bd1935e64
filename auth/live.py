"""What a live subscription delivers: the same table as every read, asked at delivery.

A domain event is delivered to a subscriber only when, *at the moment of delivery*, the
subscriber still stands in a relation to the log and may read what the event is about
(``auth.notifications.EVENT_SUBJECT``, the row that decides who is mailed of it). The object
it carries is shown as ``node(id:)`` shows it (``EVENT_OBJECT`` names its node type, whose
row in ``auth.node_types.NODE_POLICY`` is the event's subject), object facts included: an
adults-only note is no node for the youth, so the youth is told nothing of it, not even that
a note was written. Unlike the mails, a person's own change is delivered too (their other
screens follow), and the recipient of a pending transfer, who has no relation yet, hears
nothing live.
"""

from __future__ import annotations

from auth.notifications import EVENT_SUBJECT, HOLDER_ONLY_EVENTS
from auth.policy import Relation, can_read
from models.events import EventKind

__all__ = ["EVENT_OBJECT", "MAY_ADD_A_READER", "delivered_live", "may_add_a_reader", "object_of"]

K = EventKind

# The node type of the object an event names (the mutation's audited object type); events
# about the log as a whole, and transfers (which are no nodes), show the log itself.
EVENT_OBJECT: dict[EventKind, str] = {
    K.LOG_CREATED: "RelayLog",
    K.DUPLICATE_LOG_ATTEMPT: "RelayLog",
    K.LEVEL_CHANGED: "RelayLog",
    K.LOG_PAUSED: "RelayLog",
    K.LOG_RESUMED: "RelayLog",
    K.LOG_CLOSED: "RelayLog",
    K.LOG_ENDED: "RelayLog",
    K.ACTOR_ADDED: "Actor",
    K.ACTOR_REMOVED: "Actor",
    K.POINT_ADDED: "PointOfAttention",
    K.MEASURE_ADDED: "Measure",
    K.MEASURE_ENDED: "Measure",
    K.EVALUATION_RECORDED: "Evaluation",
    K.MEETING_SCHEDULED: "Meeting",
    K.MEETING_CHANGED: "Meeting",
    K.MEETING_CANCELLED: "Meeting",
    K.MEETING_RECORDED: "Meeting",
    K.NOTE_WRITTEN: "Note",
    K.MINUTES_WRITTEN: "Note",
    K.SPARKLE_ADDED: "Sparkle",
    K.CONSENT_GIVEN: "Consent",
    K.CONSENT_WITHDRAWN: "Consent",
    K.CONSENT_EXPIRING: "Consent",
    K.CONSENT_EXPIRED: "Consent",
    K.TRANSFER_REQUESTED: "RelayLog",
    K.TRANSFER_ACCEPTED: "RelayLog",
    K.TRANSFER_DECLINED: "RelayLog",
    K.TRANSFER_CANCELLED: "RelayLog",
    K.TRANSFER_APPROVED: "RelayLog",
    K.TRANSFER_REFUSED: "RelayLog",
}

# The events after which someone may see a log they could not see before: a new log, a level
# raised, an actor added, a transfer accepted (the new holder, and the unit manager of the new
# unit), a resumed log, a consent that raised the level. ``myLogsChanged`` asks about a log it
# does not know yet only after one of these (any other event there cannot be news for it), so
# an event elsewhere in the country costs its subscribers nothing. Access gained without an
# event (a guardian added to the child by the holder, a staff member made unit manager) shows
# at the next of these events in that log, or in the client's next ``myLogs``.
MAY_ADD_A_READER = frozenset(
    {
        K.LOG_CREATED,
        K.LEVEL_CHANGED,
        K.ACTOR_ADDED,
        K.TRANSFER_ACCEPTED,
        K.LOG_RESUMED,
        K.CONSENT_GIVEN,
    }
)

del K


def delivered_live(relation: Relation, level: int, kind: EventKind) -> bool:
    """Is a subscriber with this relation to a log at this level told of this event live?"""
    if relation is Relation.NONE:
        return False
    if kind in HOLDER_ONLY_EVENTS and relation is not Relation.HOLDER:
        return False
    return can_read(relation, level, EVENT_SUBJECT[kind])


def object_of(kind: EventKind) -> str:
    """The node type an event of this kind shows (the log itself when it names no object)."""
    return EVENT_OBJECT[kind]


def may_add_a_reader(kind: EventKind) -> bool:
    """After this kind of event, may someone see a log they could not see before?"""
    return kind in MAY_ADD_A_READER
