"""THE who-sees-what policy of Relay Log: one table, data not code.

A viewer's *relation* to a log (holder, actor of the holder's organisation, external actor,
guardian, the youth, unit manager, none) and the log's *level* (0-3) decide what they may
read. ``READ_POLICY`` says, for every kind of data (``PolicyField``) and every relation, from
which level that relation may read it, optionally under a condition on the object itself
("own only", "when shared by the actor", "unless marked adults-only"). A missing cell means
never. ``WRITE_POLICY`` does the same for actions.

Everything that reads log data asks these functions: GraphQL field permissions, list
filters, ``node(id:)``, the SQL that scopes lists (built from this table, see
``auth.scoping``), the PDF export and reporting. Nothing else decides access.

The table is docs/design.md §2, with these decisions where the design left room:
- ``LEVEL_HISTORY`` belongs to the log summary row (level and status are there too).
- ``CONSENT_STATUS`` for managers at level 0 mirrors the design table.
- Municipal admins and reporters have no relation to any log (``NONE``): they read no log data.
- Writes: ``NONE`` appears in exactly one row, ``ANSWER_TRANSFER``, under the ``RECIPIENT``
  condition: the staff member a holder hands the log to has no relation until they accept.
  Consent is withdrawn only by whoever gave it (``AUTHOR``); in-app consent needs the
  ``idporten-loa-high`` sign-in (``NEEDS_STRONG_SIGN_IN``).
- Outside any one log: a unit's passive-log report is for that unit's manager only; the
  de-identified statistics are for the reporting audience only.
- The municipality's registers (units, staff accounts, managers) are not log data: they have
  their own row, ``REGISTER_POLICY``, from each register action to who may take it and how far
  (the whole municipality, or only the viewer's own unit). The municipal admin runs them; a
  unit manager registers ordinary staff in her own unit; nobody else writes them.
- Transfers of the holder role (``TRANSFERS``: who handed the log to whom, which unit, when)
  are read by the holder and the family; the recipient of a pending transfer sees it through
  the gate's transfer rule (``may_see_transfer``). A transfer to a unit the log's consents
  do not cover waits for that consent or the family's approval (``APPROVE_TRANSFER``, strongly
  signed in, as for consent); anyone whose consent counts may refuse a pending transfer of
  their log (``REFUSE_TRANSFER``, the same sign-in): it ends as ``REFUSED``.
- Archive packages are not read through a log relation: a package belongs to the unit that
  filed it, and ``PACKAGE_POLICY`` says which of that unit's people (the holder when it was
  filed, the unit manager) list, download and mark it received, also after the log moved
  away or closed. Anyone else gets the answer for a missing package.
- The access history (``ACCESS_HISTORY``) is read through the same table: each write is about
  a kind of data (``WRITE_SUBJECT``) and shown where that kind may be read; family members
  (``FAMILY_RELATIONS``) are not shown each other's reads (``auth.access_history``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AUDIENCE_RELATIONS",
    "FAMILY_RELATIONS",
    "NEEDS_STRONG_SIGN_IN",
    "PACKAGE_POLICY",
    "PACKAGE_RELATION",
    "PACKAGE_SUBJECT",
    "PASSIVE_REPORT_READS",
    "READ_POLICY",
    "REGISTER_POLICY",
    "STRONG_ACR",
    "WRITABLE_WHEN_CLOSED",
    "WRITABLE_WHEN_PAUSED",
    "WRITE_POLICY",
    "WRITE_SUBJECT",
    "Action",
    "Audience",
    "Condition",
    "Facts",
    "PackageAction",
    "PackageRole",
    "PolicyField",
    "RegisterAction",
    "RegisterReach",
    "Relation",
    "Rule",
    "WriteCondition",
    "WriteFacts",
    "WriteRule",
    "audience_may_ever",
    "can",
    "can_read",
    "condition_for",
    "conditions_of",
    "may_act_without_relation",
    "may_handle_package",
    "may_have_invitation",
    "may_have_log_relations",
    "may_list_units",
    "may_manage_registers",
    "may_mark_adults_only",
    "may_read_statistics",
    "may_receive_package",
    "may_register",
    "may_see_transfer",
    "may_see_unit_report",
    "may_start_log",
    "may_use_staff_directory",
    "min_level",
    "package_roles",
    "register_role",
    "signed_in_strongly_enough",
]


class Relation(StrEnum):
    HOLDER = "HOLDER"
    ACTOR = "ACTOR"
    EXTERNAL_ACTOR = "EXTERNAL_ACTOR"
    GUARDIAN = "GUARDIAN"
    SUBJECT = "SUBJECT"
    MANAGER = "MANAGER"
    NONE = "NONE"


class Audience(StrEnum):
    """Who a schema is built for; each gets only the fields its relations may ever read."""

    STAFF = "STAFF"
    FAMILY = "FAMILY"
    REPORTING = "REPORTING"


AUDIENCE_RELATIONS: dict[Audience, frozenset[Relation]] = {
    Audience.STAFF: frozenset(
        {Relation.HOLDER, Relation.ACTOR, Relation.EXTERNAL_ACTOR, Relation.MANAGER}
    ),
    Audience.FAMILY: frozenset({Relation.GUARDIAN, Relation.SUBJECT}),
    Audience.REPORTING: frozenset(),
}


class PolicyField(StrEnum):
    """A row of the policy table: a kind of data in a log."""

    LOG_SUMMARY = "LOG_SUMMARY"  # child name, birth date, level (and its history), status
    CHILD_IDENTITY = "CHILD_IDENTITY"  # child national id, address
    GUARDIAN_CONTACT = "GUARDIAN_CONTACT"  # guardians: name, phone, e-mail
    GUARDIAN_NATIONAL_ID = "GUARDIAN_NATIONAL_ID"
    POINTS = "POINTS"  # points of attention, all fields
    MEASURES = "MEASURES"  # measures and evaluations
    ACTOR_CONTACT = "ACTOR_CONTACT"  # name, position, organisation, office phone, work e-mail
    ACTOR_MOBILE = "ACTOR_MOBILE"
    MEETINGS = "MEETINGS"
    NOTES = "NOTES"
    SPARKLES = "SPARKLES"
    CONSENT_DOCUMENT = "CONSENT_DOCUMENT"  # the uploaded file
    CONSENT_STATUS = "CONSENT_STATUS"  # scope, given, valid until, withdrawn
    ACCESS_HISTORY = "ACCESS_HISTORY"  # who read or changed what
    ACTIVITY = "ACTIVITY"  # counters, last activity, overdue deadlines, activity plan
    LOG_REASONS = "LOG_REASONS"  # free-text reasons: why paused, why the level or an actor changed
    AUTHORS = "AUTHORS"  # who wrote a note or sparkle, evaluated a measure, gave a consent
    TRANSFERS = "TRANSFERS"  # handovers of the holder role: who, which unit, when, approvals


class Condition(StrEnum):
    """A per-object condition on top of the level rule."""

    OWN = "OWN"  # only the viewer's own record ("own only")
    SHARED_BY_ACTOR = "SHARED_BY_ACTOR"  # the actor chose to share it with the family
    NOT_ADULTS_ONLY = "NOT_ADULTS_ONLY"  # not marked adults-only


@dataclass(frozen=True, slots=True)
class Rule:
    min_level: int
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What a condition needs to know about one object, as seen by one viewer."""

    own: bool = False
    shared_by_actor: bool = False
    adults_only: bool = False


H, A, X, G, S, M = (
    Relation.HOLDER,
    Relation.ACTOR,
    Relation.EXTERNAL_ACTOR,
    Relation.GUARDIAN,
    Relation.SUBJECT,
    Relation.MANAGER,
)
F = PolicyField
R = Rule

READ_POLICY: dict[PolicyField, dict[Relation, Rule]] = {
    F.LOG_SUMMARY: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1), M: R(0)},
    F.CHILD_IDENTITY: {H: R(0), G: R(1), S: R(1)},
    F.GUARDIAN_CONTACT: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1)},
    F.GUARDIAN_NATIONAL_ID: {H: R(0), G: R(1, Condition.OWN)},
    F.POINTS: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1)},
    F.MEASURES: {H: R(1), A: R(1), X: R(2), G: R(1), S: R(1)},
    F.ACTOR_CONTACT: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1), M: R(0)},
    F.ACTOR_MOBILE: {H: R(0), A: R(1), X: R(2), G: R(1, Condition.SHARED_BY_ACTOR)},
    F.MEETINGS: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1)},
    F.NOTES: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1, Condition.NOT_ADULTS_ONLY)},
    F.SPARKLES: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1)},
    F.CONSENT_DOCUMENT: {H: R(0), G: R(1), S: R(1, Condition.OWN)},
    F.CONSENT_STATUS: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1), M: R(0)},
    F.ACCESS_HISTORY: {H: R(0), G: R(1), S: R(1), M: R(0)},
    F.ACTIVITY: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1), M: R(0)},
    # Not in the design table: the holder's free-text reasons are content, so the unit
    # manager (who sees status and level, not content) does not read them.
    F.LOG_REASONS: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1)},
    # Not in the design table: the names of the people behind an entry, as the printed log
    # shows them. Whoever reads the entries reads these names already as actors, guardians
    # and the child; the unit manager, who sees consents but no person, does not.
    F.AUTHORS: {H: R(0), A: R(1), X: R(2), G: R(1), S: R(1)},
    # Not in the design table: the family is told where its log goes (and approves a move
    # its consents do not cover); the holder sees the log's handovers. Actors and the unit
    # manager see who holds the log now (``ACTOR_CONTACT``), not its earlier moves.
    F.TRANSFERS: {H: R(0), G: R(1), S: R(1)},
}


class Action(StrEnum):
    """A kind of write to a log."""

    MANAGE_LOG = "MANAGE_LOG"  # level, pause/resume, transfer, actors, activity plan
    EDIT_POINTS = "EDIT_POINTS"
    EDIT_MEASURES = "EDIT_MEASURES"
    EVALUATE_MEASURE = "EVALUATE_MEASURE"
    SCHEDULE_MEETING = "SCHEDULE_MEETING"
    RECORD_MEETING = "RECORD_MEETING"
    WRITE_NOTE = "WRITE_NOTE"
    EDIT_NOTE = "EDIT_NOTE"  # only its author, whoever they are
    ADD_SPARKLE = "ADD_SPARKLE"
    DELETE_SPARKLE = "DELETE_SPARKLE"
    GIVE_CONSENT = "GIVE_CONSENT"
    WITHDRAW_CONSENT = "WITHDRAW_CONSENT"
    UPLOAD_CONSENT = "UPLOAD_CONSENT"
    CLOSE_LOG = "CLOSE_LOG"
    END_LOG_AT_WILL = "END_LOG_AT_WILL"
    EXPORT = "EXPORT"
    ARCHIVE = "ARCHIVE"
    ANSWER_TRANSFER = "ANSWER_TRANSFER"  # accept or decline the holder role offered to you
    SHARE_MOBILE = "SHARE_MOBILE"  # an actor shows (or hides) their own mobile to the family
    EDIT_PEOPLE = "EDIT_PEOPLE"  # correct the child's address, the guardians' contact details
    CHANGE_GUARDIANS = "CHANGE_GUARDIANS"  # add a guardian, remove one (custody changed)
    EDIT_OWN_CONTACT = "EDIT_OWN_CONTACT"  # a guardian corrects their own phone and e-mail
    APPROVE_TRANSFER = "APPROVE_TRANSFER"  # the family approves a move its consents do not cover
    REFUSE_TRANSFER = "REFUSE_TRANSFER"  # the family says no to a move of its log


class WriteCondition(StrEnum):
    RESPONSIBLE = "RESPONSIBLE"  # the viewer is responsible for the measure
    AUTHOR = "AUTHOR"  # the viewer wrote it (a consent: the viewer gave it)
    RECIPIENT = "RECIPIENT"  # the transfer is addressed to the viewer


@dataclass(frozen=True, slots=True)
class WriteFacts:
    """What a conditional write cell needs to know about one object, as seen by one viewer.

    ``None`` means "not evaluated": a cell whose condition was not evaluated refuses (fails
    closed), so a mutation that forgets to look cannot be performed by a conditional relation.
    """

    responsible: bool | None = None
    author: bool | None = None
    recipient: bool | None = None

    def evaluated(self) -> frozenset[WriteCondition]:
        """The conditions this object was looked at for."""
        values = {
            WriteCondition.RESPONSIBLE: self.responsible,
            WriteCondition.AUTHOR: self.author,
            WriteCondition.RECIPIENT: self.recipient,
        }
        return frozenset(c for c, value in values.items() if value is not None)

    def met(self, condition: WriteCondition) -> bool:
        """Was this condition evaluated, and is it true?"""
        value = {
            WriteCondition.RESPONSIBLE: self.responsible,
            WriteCondition.AUTHOR: self.author,
            WriteCondition.RECIPIENT: self.recipient,
        }[condition]
        return value is True


NOT_EVALUATED = WriteFacts()


@dataclass(frozen=True, slots=True)
class WriteRule:
    min_level: int
    condition: WriteCondition | None = None


W = WriteRule
_RESP = WriteCondition.RESPONSIBLE
_AUTHOR = WriteCondition.AUTHOR
_RECIPIENT = WriteCondition.RECIPIENT
N = Relation.NONE

WRITE_POLICY: dict[Action, dict[Relation, WriteRule]] = {
    Action.MANAGE_LOG: {H: W(0)},
    Action.EDIT_POINTS: {H: W(0)},
    Action.EDIT_MEASURES: {H: W(1)},
    Action.EVALUATE_MEASURE: {H: W(1), A: W(1, _RESP), X: W(2, _RESP)},
    Action.SCHEDULE_MEETING: {H: W(0)},
    Action.RECORD_MEETING: {H: W(0), A: W(1), X: W(2)},
    Action.WRITE_NOTE: {H: W(0), A: W(1), X: W(2), G: W(1), S: W(1)},
    Action.EDIT_NOTE: {
        H: W(0, _AUTHOR),
        A: W(1, _AUTHOR),
        X: W(2, _AUTHOR),
        G: W(1, _AUTHOR),
        S: W(1, _AUTHOR),
    },
    Action.ADD_SPARKLE: {H: W(0), A: W(1), X: W(2), G: W(1), S: W(1)},
    # docs/design.md §1.6: the author (or the holder) deletes a sparkle, the youth included.
    Action.DELETE_SPARKLE: {
        H: W(0),
        A: W(1, _AUTHOR),
        X: W(2, _AUTHOR),
        G: W(1, _AUTHOR),
        S: W(1, _AUTHOR),
    },
    # The family sees a log from level 1 (READ_POLICY), so that is where it can act in it.
    Action.GIVE_CONSENT: {G: W(1), S: W(1)},
    Action.WITHDRAW_CONSENT: {G: W(1, _AUTHOR), S: W(1, _AUTHOR)},
    Action.UPLOAD_CONSENT: {H: W(0)},
    Action.CLOSE_LOG: {H: W(0)},
    Action.END_LOG_AT_WILL: {G: W(1), S: W(1)},
    Action.EXPORT: {H: W(0), A: W(1), X: W(2), G: W(1), S: W(1), M: W(0)},
    Action.ARCHIVE: {H: W(0), M: W(0)},
    # The receiving staff member usually has no relation to the log yet (``NONE``).
    Action.ANSWER_TRANSFER: {
        A: W(0, _RECIPIENT),
        X: W(0, _RECIPIENT),
        M: W(0, _RECIPIENT),
        N: W(0, _RECIPIENT),
    },
    Action.SHARE_MOBILE: {H: W(0), A: W(1), X: W(2)},
    # The people of the log are the holder's to keep right (as she registered them); a
    # guardian corrects only their own contact details (the mutation names no other row).
    Action.EDIT_PEOPLE: {H: W(0)},
    Action.CHANGE_GUARDIANS: {H: W(0)},
    Action.EDIT_OWN_CONTACT: {G: W(1)},
    # Whoever's consent counts approves or refuses (the model checks they are one of them).
    Action.APPROVE_TRANSFER: {G: W(1), S: W(1)},
    Action.REFUSE_TRANSFER: {G: W(1), S: W(1)},
}

# What each write is about. Its entry in a log's access history is shown to whoever may read
# that kind of data in the log (``auth.access_history``): the youth is not told that a note
# they may not read was written, a unit manager that points were edited.
WRITE_SUBJECT: dict[Action, PolicyField] = {
    Action.MANAGE_LOG: F.LOG_SUMMARY,
    Action.EDIT_POINTS: F.POINTS,
    Action.EDIT_MEASURES: F.MEASURES,
    Action.EVALUATE_MEASURE: F.MEASURES,
    Action.SCHEDULE_MEETING: F.MEETINGS,
    Action.RECORD_MEETING: F.MEETINGS,
    Action.WRITE_NOTE: F.NOTES,
    Action.EDIT_NOTE: F.NOTES,
    Action.ADD_SPARKLE: F.SPARKLES,
    Action.DELETE_SPARKLE: F.SPARKLES,
    Action.GIVE_CONSENT: F.CONSENT_STATUS,
    Action.WITHDRAW_CONSENT: F.CONSENT_STATUS,
    Action.UPLOAD_CONSENT: F.CONSENT_STATUS,
    Action.CLOSE_LOG: F.LOG_SUMMARY,
    Action.END_LOG_AT_WILL: F.LOG_SUMMARY,
    Action.EXPORT: F.LOG_SUMMARY,
    Action.ARCHIVE: F.LOG_SUMMARY,
    Action.ANSWER_TRANSFER: F.LOG_SUMMARY,
    Action.SHARE_MOBILE: F.ACTOR_MOBILE,
    # A correction may be to the child's address: shown only where that may be read.
    Action.EDIT_PEOPLE: F.CHILD_IDENTITY,
    Action.CHANGE_GUARDIANS: F.GUARDIAN_CONTACT,
    Action.EDIT_OWN_CONTACT: F.GUARDIAN_CONTACT,
    Action.APPROVE_TRANSFER: F.TRANSFERS,
    Action.REFUSE_TRANSFER: F.TRANSFERS,
}

# Family members are not told when another family member read the log (or printed it): it is
# the family's own log, and who at home looked when is theirs to share, not the service's.
FAMILY_RELATIONS = frozenset({Relation.GUARDIAN, Relation.SUBJECT})

del H, A, X, G, S, M, N, F, R, W

# A paused log takes only what resumes, ends or protects it; a closed log is read-only.
WRITABLE_WHEN_PAUSED = frozenset(
    {
        Action.MANAGE_LOG,
        Action.CLOSE_LOG,
        Action.END_LOG_AT_WILL,
        Action.WITHDRAW_CONSENT,
        Action.EXPORT,
        Action.ARCHIVE,
        Action.ANSWER_TRANSFER,
        Action.SHARE_MOBILE,
        Action.APPROVE_TRANSFER,
        Action.REFUSE_TRANSFER,
    }
)
WRITABLE_WHEN_CLOSED = frozenset({Action.EXPORT, Action.ARCHIVE})

# In-app consent is evidence only when the guardian signed in with the highest level of
# assurance (BankID / ID-porten "high"); a legacy "Level4" token may read, not consent.
STRONG_ACR = "idporten-loa-high"
NEEDS_STRONG_SIGN_IN = frozenset(
    {Action.GIVE_CONSENT, Action.APPROVE_TRANSFER, Action.REFUSE_TRANSFER}
)


# Global roles that never stand in any relation to a log, whatever memberships or manager
# flags their account carries (a staff member made admin keeps no access to old logs).
NO_LOG_RELATIONS = frozenset({"MUNICIPAL_ADMIN", "REPORTER"})


def may_have_log_relations(viewer_kind: str) -> bool:
    """May a viewer of this kind have any relation to a log at all?"""
    return viewer_kind not in NO_LOG_RELATIONS


def may_start_log(viewer_kind: str) -> bool:
    """May a viewer of this kind register a concern (and so hold a new log)?"""
    return viewer_kind == "STAFF"


def may_manage_registers(viewer_kind: str) -> bool:
    """May a viewer of this kind read the municipality's staff accounts (the admin's work)?"""
    return viewer_kind == "MUNICIPAL_ADMIN"


def may_list_units(viewer_kind: str) -> bool:
    """May a viewer of this kind list the municipality's organisations?"""
    return viewer_kind in {"STAFF", "MUNICIPAL_ADMIN"}


def may_use_staff_directory(viewer_kind: str) -> bool:
    """May a viewer of this kind look up colleagues to add as actors or to transfer to?"""
    return viewer_kind == "STAFF"


def min_level(field: PolicyField, relation: Relation) -> int | None:
    """From which level may this relation read this field (``None``: never)?"""
    rule = READ_POLICY[field].get(relation)
    return None if rule is None else rule.min_level


def condition_for(field: PolicyField, relation: Relation) -> Condition | None:
    """Does this cell depend on the object (own only, shared, not adults-only)?"""
    rule = READ_POLICY[field].get(relation)
    return None if rule is None else rule.condition


def can_read(
    relation: Relation, level: int, field: PolicyField, facts: Facts | None = None
) -> bool:
    """May a viewer with this relation read this field of a log at this level?

    Without ``facts`` a conditional cell answers for the level alone; pass the object's
    facts to decide for one object.
    """
    rule = READ_POLICY[field].get(relation)
    if rule is None or level < rule.min_level:
        return False
    if rule.condition is None or facts is None:
        return True
    if rule.condition is Condition.OWN:
        return facts.own
    if rule.condition is Condition.SHARED_BY_ACTOR:
        return facts.shared_by_actor
    return not facts.adults_only


def can(relation: Relation, level: int, action: Action, facts: WriteFacts = NOT_EVALUATED) -> bool:
    """May a viewer with this relation perform this action on a log at this level?

    A conditional cell answers from ``facts``; a condition left unevaluated is a no.
    """
    rule = WRITE_POLICY[action].get(relation)
    if rule is None or level < rule.min_level:
        return False
    return rule.condition is None or facts.met(rule.condition)


def conditions_of(action: Action) -> frozenset[WriteCondition]:
    """Which per-object conditions does some cell of this action's row carry?"""
    return frozenset(
        rule.condition for rule in WRITE_POLICY[action].values() if rule.condition is not None
    )


def may_act_without_relation(action: Action) -> bool:
    """Is this an action someone with no relation to the log may take (a transfer's recipient)?"""
    return Relation.NONE in WRITE_POLICY[action]


def signed_in_strongly_enough(action: Action, acr: str) -> bool:
    """Did the viewer sign in with the level of assurance this action needs?"""
    return action not in NEEDS_STRONG_SIGN_IN or acr == STRONG_ACR


def may_see_transfer(relation: Relation, level: int, *, between: bool) -> bool:
    """May this viewer see a transfer? The two staff members it is between (the recipient
    usually has no relation to the log yet), and whoever may read the log's transfers."""
    return between or can_read(relation, level, PolicyField.TRANSFERS)


def may_mark_adults_only(relation: Relation, level: int) -> bool:
    """May this viewer mark a note adults-only? Only who could read such a note themself."""
    return can_read(relation, level, PolicyField.NOTES, Facts(adults_only=True))


def may_have_invitation(relation: Relation, invited: bool) -> bool:
    """Is there a calendar invitation to a meeting (one the viewer may read) for this viewer?
    For each invitee, and for the holder, who organises the log's meetings."""
    return invited or relation is Relation.HOLDER


def may_receive_package(relation: Relation, level: int, fields: Iterable[PolicyField]) -> bool:
    """May a viewer be handed an archive package, which shows the log as the holder sees it?

    Only if the policy lets them read every kind of data in it, with no per-object
    condition: a unit manager may file a copy of a log, not read its content through it.
    """
    return all(
        can_read(relation, level, field) and condition_for(field, relation) is None
        for field in fields
    )


# What the passive-log report shows of each listed log, as the rows a manager reads it under.
PASSIVE_REPORT_READS = (PolicyField.LOG_SUMMARY, PolicyField.ACTOR_CONTACT, PolicyField.ACTIVITY)


def may_see_unit_report(*, is_manager: bool, own_unit: bool) -> bool:
    """May a staff member see a unit's passive-log report? Only the manager of that unit."""
    return is_manager and own_unit


def may_read_statistics(audience: Audience) -> bool:
    """May this audience read the de-identified statistics? Reporting only (REPORTER accounts)."""
    return audience is Audience.REPORTING


def audience_may_ever(audience: Audience, field: PolicyField) -> bool:
    """Could anyone in this audience ever read this field (does it belong in their schema)?"""
    return any(relation in READ_POLICY[field] for relation in AUDIENCE_RELATIONS[audience])


class RegisterAction(StrEnum):
    """A write to the municipality's registers (not to any log)."""

    MANAGE_UNITS = "MANAGE_UNITS"  # create, edit, deactivate organisations
    REGISTER_STAFF = "REGISTER_STAFF"  # create and edit ordinary staff accounts
    DEACTIVATE_STAFF = "DEACTIVATE_STAFF"  # deactivate (and reactivate) a staff account
    APPOINT_MANAGER = "APPOINT_MANAGER"  # make or unmake a unit manager
    MANAGE_ROLES = "MANAGE_ROLES"  # accounts with another role than STAFF (admins, reporters)


class RegisterReach(StrEnum):
    """How far a register cell reaches."""

    MUNICIPALITY = "MUNICIPALITY"  # every unit of the viewer's municipality
    OWN_UNIT = "OWN_UNIT"  # only the viewer's own organisation


# Who takes a register action: "MUNICIPAL_ADMIN" (a viewer kind) or "UNIT_MANAGER" (a staff
# viewer with the manager flag). Conexus's chain: the admin creates managers, managers
# register holders and actors in their unit.
REGISTER_POLICY: dict[RegisterAction, dict[str, RegisterReach]] = {
    RegisterAction.MANAGE_UNITS: {"MUNICIPAL_ADMIN": RegisterReach.MUNICIPALITY},
    RegisterAction.REGISTER_STAFF: {
        "MUNICIPAL_ADMIN": RegisterReach.MUNICIPALITY,
        "UNIT_MANAGER": RegisterReach.OWN_UNIT,
    },
    RegisterAction.DEACTIVATE_STAFF: {"MUNICIPAL_ADMIN": RegisterReach.MUNICIPALITY},
    RegisterAction.APPOINT_MANAGER: {"MUNICIPAL_ADMIN": RegisterReach.MUNICIPALITY},
    RegisterAction.MANAGE_ROLES: {"MUNICIPAL_ADMIN": RegisterReach.MUNICIPALITY},
}


def register_role(viewer_kind: str, is_manager: bool) -> str | None:
    """Which column of ``REGISTER_POLICY`` a viewer stands in, if any."""
    if viewer_kind == "MUNICIPAL_ADMIN":
        return "MUNICIPAL_ADMIN"
    if viewer_kind == "STAFF" and is_manager:
        return "UNIT_MANAGER"
    return None


def may_register(
    viewer_kind: str, is_manager: bool, action: RegisterAction, *, own_unit: bool
) -> bool:
    """May this viewer take this register action on a unit (their own, or another one in
    their municipality)?"""
    role = register_role(viewer_kind, is_manager)
    reach = None if role is None else REGISTER_POLICY[action].get(role)
    if reach is None:
        return False
    return reach is RegisterReach.MUNICIPALITY or own_unit


class PackageAction(StrEnum):
    """What is done with an archive package (not a write to any log)."""

    LIST_PACKAGES = "LIST_PACKAGES"  # see it, with its metadata, in ``archivePackages``
    DOWNLOAD_PACKAGE = "DOWNLOAD_PACKAGE"  # fetch the zip (PDF/A + Noark 5 metadata)
    MARK_PACKAGE_RECEIVED = "MARK_PACKAGE_RECEIVED"  # the archive has it, under its reference


class PackageRole(StrEnum):
    """How a staff member of the unit that filed a package stands to it."""

    HOLDER_AT_THE_TIME = "HOLDER_AT_THE_TIME"  # held the log when it was filed
    UNIT_MANAGER = "UNIT_MANAGER"  # manages the unit that filed it


# A package belongs to the unit that filed it: only that unit's people stand in a role to it
# (a holder who has moved to another unit no longer does). The unit manager files the unit's
# copies in the municipal archive, so she downloads them, content and all: this is records
# management of a copy the unit made, not reading the log through a relation to it.
PACKAGE_POLICY: dict[PackageAction, frozenset[PackageRole]] = {
    PackageAction.LIST_PACKAGES: frozenset(PackageRole),
    PackageAction.DOWNLOAD_PACKAGE: frozenset(PackageRole),
    PackageAction.MARK_PACKAGE_RECEIVED: frozenset(PackageRole),
}
# The relation a package action is recorded under in the audit trail.
PACKAGE_RELATION: dict[PackageRole, Relation] = {
    PackageRole.HOLDER_AT_THE_TIME: Relation.HOLDER,
    PackageRole.UNIT_MANAGER: Relation.MANAGER,
}
# What each package action is about, for the log's access history (as ``WRITE_SUBJECT``).
PACKAGE_SUBJECT: dict[PackageAction, PolicyField] = {
    PackageAction.LIST_PACKAGES: PolicyField.LOG_SUMMARY,
    PackageAction.DOWNLOAD_PACKAGE: PolicyField.LOG_SUMMARY,
    PackageAction.MARK_PACKAGE_RECEIVED: PolicyField.LOG_SUMMARY,
}


def package_roles(
    viewer_kind: str, *, is_manager: bool, same_unit: bool, held_it: bool
) -> frozenset[PackageRole]:
    """In which roles does this viewer stand to a package (of their unit or not)?"""
    if viewer_kind != "STAFF" or not same_unit:
        return frozenset()
    roles = set()
    if held_it:
        roles.add(PackageRole.HOLDER_AT_THE_TIME)
    if is_manager:
        roles.add(PackageRole.UNIT_MANAGER)
    return frozenset(roles)


def may_handle_package(action: PackageAction, roles: frozenset[PackageRole]) -> bool:
    """May a viewer standing in these roles to a package do this with it?"""
    return bool(roles & PACKAGE_POLICY[action])
