"""The domain: tables and the rules they own. Imports nothing from the other layers."""

from models.audit import AuditEvent
from models.base import Base
from models.content import (
    AttentionConversation,
    Evaluation,
    Measure,
    MeasureResponsible,
    Meeting,
    MeetingParticipant,
    Note,
    NoteVersion,
    PointOfAttention,
    Sparkle,
)
from models.organisation import Municipality, Organisation, StaffAccount
from models.person import Child, ChildGuardian, Guardian
from models.person_history import GuardianChange
from models.relay_log import ActorMembership, Consent, ConsentDocument, LevelChange, RelayLog
from models.statistics import LogStatistics
from models.transfer import ArchiveRecord, Transfer

__all__ = [
    "ActorMembership",
    "ArchiveRecord",
    "AttentionConversation",
    "AuditEvent",
    "Base",
    "Child",
    "ChildGuardian",
    "Consent",
    "ConsentDocument",
    "Evaluation",
    "Guardian",
    "GuardianChange",
    "LevelChange",
    "LogStatistics",
    "Measure",
    "MeasureResponsible",
    "Meeting",
    "MeetingParticipant",
    "Municipality",
    "Note",
    "NoteVersion",
    "Organisation",
    "PointOfAttention",
    "RelayLog",
    "Sparkle",
    "StaffAccount",
    "Transfer",
]
