"""The domain: tables and the rules they own. Imports nothing from the other layers."""

from models.audit import AuditChain, AuditEvent
from models.audit_checkpoint import AuditCheckpoint
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
from models.events import DomainEvent
from models.notification import Notification, NotificationPreference
from models.organisation import Municipality, Organisation, StaffAccount
from models.person import Child, ChildGuardian, Guardian
from models.person_history import GuardianChange
from models.relay_log import ActorMembership, Consent, ConsentDocument, LevelChange, RelayLog
from models.statistics import LogStatistics
from models.transfer import ArchiveRecord, Transfer, TransferApproval

__all__ = [
    "ActorMembership",
    "ArchiveRecord",
    "AttentionConversation",
    "AuditChain",
    "AuditCheckpoint",
    "AuditEvent",
    "Base",
    "Child",
    "ChildGuardian",
    "Consent",
    "ConsentDocument",
    "DomainEvent",
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
    "Notification",
    "NotificationPreference",
    "Organisation",
    "PointOfAttention",
    "RelayLog",
    "Sparkle",
    "StaffAccount",
    "Transfer",
    "TransferApproval",
]
