"""Who hears of what: a person is told of news in a log only where they may read what the
news is about, by the same policy table as every read (``READ_POLICY``).

A mail says only "there is news in a relay log you follow", but even that tells its reader
that a log exists and that something of a kind happened in it: a guardian is not told of a
level-0 concern, an external actor is not told of a measure at level 1 (where they are no
longer an active actor anyway), and nobody is told of their own change. The duplicate-log
warning is for the holder of the earlier log only: it speaks of a log the person creating
the second one may not see.
"""

from __future__ import annotations

from enum import StrEnum

from auth.policy import PolicyField, Relation, can_read
from models.events import EventKind

__all__ = [
    "ADDRESSEE_EVENTS",
    "EVENT_SUBJECT",
    "HOLDER_ONLY_EVENTS",
    "PRESENT_ONLY_EVENTS",
    "REMINDER_SUBJECT",
    "OwnAction",
    "ReminderTopic",
    "hears_of",
    "may_be_reminded",
    "may_choose_notifications",
]

F = PolicyField
K = EventKind

# What each kind of event is about: its news reaches whoever may read that kind of data.
EVENT_SUBJECT: dict[EventKind, PolicyField] = {
    K.LOG_CREATED: F.LOG_SUMMARY,
    K.DUPLICATE_LOG_ATTEMPT: F.LOG_SUMMARY,
    K.LEVEL_CHANGED: F.LOG_SUMMARY,
    K.LOG_PAUSED: F.LOG_SUMMARY,
    K.LOG_RESUMED: F.LOG_SUMMARY,
    K.LOG_CLOSED: F.LOG_SUMMARY,
    K.LOG_ENDED: F.LOG_SUMMARY,
    K.ACTOR_ADDED: F.ACTOR_CONTACT,
    K.ACTOR_REMOVED: F.ACTOR_CONTACT,
    K.POINT_ADDED: F.POINTS,
    K.MEASURE_ADDED: F.MEASURES,
    K.MEASURE_ENDED: F.MEASURES,
    K.EVALUATION_RECORDED: F.MEASURES,
    K.MEETING_SCHEDULED: F.MEETINGS,
    K.MEETING_CHANGED: F.MEETINGS,
    K.MEETING_CANCELLED: F.MEETINGS,
    K.MEETING_RECORDED: F.MEETINGS,
    K.NOTE_WRITTEN: F.NOTES,
    K.MINUTES_WRITTEN: F.NOTES,
    K.SPARKLE_ADDED: F.SPARKLES,
    K.CONSENT_GIVEN: F.CONSENT_STATUS,
    K.CONSENT_WITHDRAWN: F.CONSENT_STATUS,
    K.CONSENT_EXPIRING: F.CONSENT_STATUS,
    K.CONSENT_EXPIRED: F.CONSENT_STATUS,
    K.TRANSFER_REQUESTED: F.LOG_SUMMARY,
    K.TRANSFER_ACCEPTED: F.LOG_SUMMARY,
    K.TRANSFER_DECLINED: F.LOG_SUMMARY,
    K.TRANSFER_CANCELLED: F.LOG_SUMMARY,
    K.TRANSFER_APPROVED: F.LOG_SUMMARY,
    K.TRANSFER_REFUSED: F.LOG_SUMMARY,
}
HOLDER_ONLY_EVENTS = frozenset({K.DUPLICATE_LOG_ATTEMPT})
# The staff member a transfer is offered to has no relation to the log until they accept
# (``NONE``, as in the write policy's ``ANSWER_TRANSFER``); they are told of the offer, and
# of the family's answer (the approval that lets them accept it, or the refusal), only.
ADDRESSEE_EVENTS = frozenset({K.TRANSFER_REQUESTED, K.TRANSFER_APPROVED, K.TRANSFER_REFUSED})
# Minutes are shared with those present: of the people who may read the note (the row above),
# only the meeting's participants marked present are told; an absent invitee, or an actor who
# was not there, reads them in the log without a mail. (The youth has no address, so is never
# mailed; live, an adults-only minute is no node for her, as any adults-only note.)
PRESENT_ONLY_EVENTS = frozenset({K.MINUTES_WRITTEN})


def hears_of(relation: Relation, level: int, kind: EventKind) -> bool:
    """Is a person with this relation to a log at this level told of this kind of news?"""
    if relation is Relation.NONE:
        return kind in ADDRESSEE_EVENTS
    if kind in HOLDER_ONLY_EVENTS and relation is not Relation.HOLDER:
        return False
    return can_read(relation, level, EVENT_SUBJECT[kind])


class ReminderTopic:
    """The reminders the worker sends (the ``topic`` of a reminder notification)."""

    MEASURE_DUE_SOON = "MEASURE_DUE_SOON"  # a measure's deadline in 3 days
    MEASURE_OVERDUE = "MEASURE_OVERDUE"  # the day after a missed deadline
    EVALUATION_DUE = "EVALUATION_DUE"  # the deadline is today and it was never evaluated
    MEETING_TOMORROW = "MEETING_TOMORROW"
    ACTIVITY_PLAN_DUE = "ACTIVITY_PLAN_DUE"  # day 5 of the 7 days, no measure yet


REMINDER_SUBJECT: dict[str, PolicyField] = {
    ReminderTopic.MEASURE_DUE_SOON: F.MEASURES,
    ReminderTopic.MEASURE_OVERDUE: F.MEASURES,
    ReminderTopic.EVALUATION_DUE: F.MEASURES,
    ReminderTopic.MEETING_TOMORROW: F.MEETINGS,
    ReminderTopic.ACTIVITY_PLAN_DUE: F.ACTIVITY,
}


def may_be_reminded(relation: Relation, level: int, topic: str) -> bool:
    """May a person with this relation be reminded of this in a log at this level?"""
    return can_read(relation, level, REMINDER_SUBJECT[topic])


class OwnAction(StrEnum):
    """A write about the viewer themself, in no log (audited with relation ``NONE``)."""

    CHOOSE_NOTIFICATIONS = "CHOOSE_NOTIFICATIONS"


def may_choose_notifications(viewer_kind: str) -> bool:
    """May this kind of viewer choose how they are mailed? Staff and guardians, the people
    the worker mails (the youth has no address in the registers)."""
    return viewer_kind in {"STAFF", "GUARDIAN"}
