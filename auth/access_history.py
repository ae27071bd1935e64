"""Which entries of a log's access history a viewer may see: the policy table applied to the
audit trail, as ``auth.scoping`` applies it to the logs.

An entry is shown only where its subject is visible to the reader: a read names only the
kinds of data the reader may read in the log now (and is left out if it named none), a write
is shown where the reader may read what it is about (``WRITE_SUBJECT``; a unit's download
or receipt of an archive copy: ``PACKAGE_SUBJECT``), a write on a note
only while the note is one the reader may read (the youth never learns of an adults-only
note). Family members do not see each other's reads or printouts (``FAMILY_RELATIONS``);
everyone sees their own.
"""

from __future__ import annotations

from auth.policy import (
    FAMILY_RELATIONS,
    PACKAGE_SUBJECT,
    WRITE_SUBJECT,
    Action,
    Condition,
    PolicyField,
    can_read,
    condition_for,
)
from auth.scoping import LogAccess
from auth.viewer import Viewer, ViewerKind
from models.access_history import READ_ACTION, HistoryScope

__all__ = ["history_scope"]

_FAMILY_ACTOR_KINDS = frozenset({ViewerKind.GUARDIAN.value, ViewerKind.SUBJECT.value})
_READS = frozenset({READ_ACTION, Action.EXPORT.value})


def history_scope(viewer: Viewer | None, access: LogAccess) -> HistoryScope:
    """What of this log's history may this viewer, with this standing in it, see?"""
    relation, level = access.relation, access.level
    kinds = frozenset(f for f in PolicyField if can_read(relation, level, f))
    family = relation in FAMILY_RELATIONS
    return HistoryScope(
        log_id=access.log_id,
        kinds=frozenset(k.value for k in kinds),
        actions=frozenset(
            a.value
            for a, subject in [*WRITE_SUBJECT.items(), *PACKAGE_SUBJECT.items()]
            if subject in kinds
        ),
        adults_only_notes=condition_for(PolicyField.NOTES, relation)
        is not Condition.NOT_ADULTS_ONLY,
        read_actions=_READS if family else frozenset(),
        hidden_readers=_FAMILY_ACTOR_KINDS if family else frozenset(),
        own_ids=(viewer.guardian_ids | viewer.subject_child_ids) if viewer else frozenset(),
    )
