"""The write side's exhaustive policy test, generated from ``WRITE_POLICY``.

Every action × relation × level 0-3 × condition (true/false, where the action's row has a
conditional cell) × log status (active, paused, closed) goes through the API by one
representative mutation: allowed exactly where the table says (no error, and the audit
trail records that action as that relation), otherwise exactly the typed error the gate's
order gives (not readable → the missing-id answer; then the log's status; then the rule),
and nothing in the database changed.

To stay fast, each (level, status) builds its log once, with an object for every relation
and condition; the refused calls of one viewer go in one request (they change nothing, so
they cannot disturb each other) and each allowed call runs alone, rolled back afterwards.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from auth.gate import OBJECT_KINDS, check_write
from auth.policy import (
    AUDIENCE_RELATIONS,
    STRONG_ACR,
    WRITABLE_WHEN_CLOSED,
    WRITABLE_WHEN_PAUSED,
    WRITE_POLICY,
    Action,
    Audience,
    PolicyField,
    Relation,
    WriteCondition,
    WriteFacts,
    can,
    can_read,
    conditions_of,
    may_see_transfer,
)
from auth.scoping import LogAccess
from auth.viewer import Viewer, ViewerKind
from models import (
    AttentionConversation,
    Consent,
    Measure,
    Meeting,
    Note,
    RelayLog,
    Sparkle,
    Transfer,
)
from models.enums import CloseReason, ConsentScope, RelayLogStatus
from models.errors import NotAllowed
from models.national_id import synthetic_national_id
from schema.mutations.base import MUTATIONS
from schema.permissions import AUDIENCES_KEY
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import PDF, b64, gid
from tests.policy.viewers import VIEWERS

LEVELS = [0, 1, 2, 3]
STATUSES = ["active", "paused", "closed"]
CLOSED_MESSAGE = "The log is closed and can no longer be changed."
PAUSED_MESSAGE = "The log is paused; resume it first."
REFUSED = "You may not do this in this log."
NEW_GUARDIAN = synthetic_national_id(date(1984, 7, 7), 3)


@dataclass
class Scene:
    """One log at one level and status, with an object for every relation and condition."""

    world: World
    log: RelayLog
    measures: dict[bool, Measure]  # True: the actors are responsible; False: only the guardians
    meeting: Meeting
    notes: dict[Relation | None, Note]  # by each viewer; None: by someone else
    sparkles: dict[Relation | None, Sparkle]
    consents: dict[Relation | None, Consent]
    concern: AttentionConversation
    staff_ids: dict[Relation, Any] = field(default_factory=dict)
    cell: tuple[Relation, bool] = (Relation.HOLDER, True)  # the viewer's relation, condition

    @property
    def draft(self) -> bool:
        return self.log.status is RelayLogStatus.DRAFT

    def mine(self, rows: dict[Relation | None, Any], relation: Relation, condition: bool) -> str:
        row = rows[relation] if condition else rows[None]
        return gid(type(row).__name__, row)


@dataclass(frozen=True)
class Representative:
    """The mutation that stands for an action, and how to call it in a scene."""

    field: str  # the Python name of the mutation function
    kind: str  # the type of the object it names by id
    argument: str  # "input", or the name of its id argument
    variables: Callable[[Scene, Relation, bool], Any]

    @property
    def name(self) -> str:
        head, *rest = self.field.split("_")
        return head + "".join(part.title() for part in rest)

    @property
    def graphql_type(self) -> str:
        if self.argument != "input":
            return "ID!"
        return self.name[0].upper() + self.name[1:] + "Input!"


def _log(scene: Scene, **extra: Any) -> dict[str, Any]:
    return {"logId": gid("RelayLog", scene.log)} | extra


def _versioned(scene: Scene, **extra: Any) -> dict[str, Any]:
    return _log(scene, expectedVersion=scene.log.version) | extra


R = Representative
REPRESENTATIVES: dict[Action, Representative] = {
    Action.MANAGE_LOG: R(
        "mark_activity_plan",
        "RelayLog",
        "input",
        lambda s, r, c: _versioned(s, reportedOn=TODAY.isoformat()),
    ),
    Action.EDIT_POINTS: R(
        "add_point_of_attention",
        "RelayLog",
        "input",
        lambda s, r, c: _log(s, category="HEALTH", description="Søvn", goal="Hun sover godt"),
    ),
    Action.EDIT_MEASURES: R(
        "edit_measure",
        "Measure",
        "input",
        lambda s, r, c: {
            "measureId": gid("Measure", s.measures[False]),
            "expectedVersion": s.measures[False].version,
            "description": "Nye pauser",
        },
    ),
    Action.EVALUATE_MEASURE: R(
        "evaluate_measure",
        "Measure",
        "input",
        lambda s, r, c: {
            "measureId": gid("Measure", s.measures[c]),
            "outcome": "SOME_EFFECT",
            "statusAfter": "WILL_BE_ADJUSTED",
        },
    ),
    Action.SCHEDULE_MEETING: R(
        "schedule_meeting",
        "RelayLog",
        "input",
        lambda s, r, c: _log(
            s,
            heldOn=(TODAY + timedelta(days=7)).isoformat(),
            startsAt="09:00:00",
            endsAt="10:00:00",
            place="Skolen",
        ),
    ),
    Action.RECORD_MEETING: R(
        "record_meeting",
        "Meeting",
        "input",
        lambda s, r, c: {
            "meetingId": gid("Meeting", s.meeting),
            "expectedVersion": s.meeting.version,
            "status": "CANCELLED",
        },
    ),
    Action.WRITE_NOTE: R("write_note", "RelayLog", "input", lambda s, r, c: _log(s, text="Hei")),
    Action.EDIT_NOTE: R(
        "edit_note",
        "Note",
        "input",
        lambda s, r, c: {
            "noteId": s.mine(s.notes, r, c),
            "expectedVersion": (s.notes[r] if c else s.notes[None]).version,
            "text": "Rettet",
        },
    ),
    Action.ADD_SPARKLE: R("add_sparkle", "RelayLog", "input", lambda s, r, c: _log(s, text="Ja!")),
    Action.DELETE_SPARKLE: R(
        "delete_sparkle", "Sparkle", "sparkleId", lambda s, r, c: s.mine(s.sparkles, r, c)
    ),
    Action.GIVE_CONSENT: R(
        "give_consent", "RelayLog", "input", lambda s, r, c: _log(s, scopes=["BROAD"])
    ),
    Action.WITHDRAW_CONSENT: R(
        "withdraw_consent",
        "Consent",
        "input",
        lambda s, r, c: {"consentId": s.mine(s.consents, r, c)},
    ),
    Action.UPLOAD_CONSENT: R(
        "upload_consent",
        "RelayLog",
        "input",
        lambda s, r, c: _log(
            s,
            file=b64(PDF),
            scopes=["CREATE"],
            signedByGuardians=[gid("Guardian", s.world.guardian)],
        ),
    ),
    Action.CLOSE_LOG: R(
        "close_log", "RelayLog", "input", lambda s, r, c: _versioned(s, reason="INDIVIDUAL_PLAN")
    ),
    Action.END_LOG_AT_WILL: R("end_log", "RelayLog", "input", lambda s, r, c: _versioned(s)),
    Action.EXPORT: R(
        "export_relay_log", "RelayLog", "logId", lambda s, r, c: gid("RelayLog", s.log)
    ),
    Action.ARCHIVE: R(
        "archive_relay_log", "RelayLog", "logId", lambda s, r, c: gid("RelayLog", s.log)
    ),
    # The transfer (to the viewer, or to someone else) is added just before the call.
    Action.ANSWER_TRANSFER: R(
        "decline_transfer", "Transfer", "transferId", lambda s, r, c: "transfer"
    ),
    Action.SHARE_MOBILE: R(
        "set_mobile_sharing", "RelayLog", "input", lambda s, r, c: _log(s, sharesMobile=True)
    ),
    Action.EDIT_PEOPLE: R(
        "edit_child", "RelayLog", "input", lambda s, r, c: _versioned(s, address="Nyveien 2")
    ),
    Action.CHANGE_GUARDIANS: R(
        "add_guardian",
        "RelayLog",
        "input",
        lambda s, r, c: _versioned(s, name="Nils Ny", nationalId=NEW_GUARDIAN),
    ),
    Action.EDIT_OWN_CONTACT: R(
        "edit_own_contact", "RelayLog", "input", lambda s, r, c: _versioned(s, phone="98765432")
    ),
    # Like ANSWER_TRANSFER: the pending transfer is added just before the call.
    Action.APPROVE_TRANSFER: R(
        "approve_transfer", "Transfer", "transferId", lambda s, r, c: "transfer"
    ),
    Action.REFUSE_TRANSFER: R(
        "refuse_transfer", "Transfer", "transferId", lambda s, r, c: "transfer"
    ),
}
TRANSFER_ACTIONS = frozenset(
    {Action.ANSWER_TRANSFER, Action.APPROVE_TRANSFER, Action.REFUSE_TRANSFER}
)
# While a log is a concern (level 0, a draft), closing it is ending the concern.
WHILE_A_CONCERN: dict[Action, Representative] = {
    Action.CLOSE_LOG: R(
        "end_concern",
        "AttentionConversation",
        "input",
        lambda s, r, c: {
            "concernId": gid("AttentionConversation", s.concern),
            "expectedVersion": s.concern.version,
        },
    ),
}
del R
# An input type whose name does not follow the mutation's name.
INPUT_TYPES = {"end_log": "LogVersionInput!"}


def representative_for(action: Action, draft: bool) -> Representative:
    """The mutation that stands for ``action`` in a log that is (or is not) still a concern."""
    return (
        WHILE_A_CONCERN.get(action, REPRESENTATIVES[action]) if draft else REPRESENTATIVES[action]
    )


def _audiences(representative: Representative) -> frozenset[Any]:
    metadata: Mapping[str, Any] = MUTATIONS[representative.field].metadata or {}
    return metadata[AUDIENCES_KEY]


def _audience_of(relation: Relation) -> Any:
    return VIEWERS[relation][1]


def _conditions(action: Action) -> list[bool]:
    """Both values of the condition where the row has one; otherwise the one case."""
    return [True, False] if conditions_of(action) else [True]


def expected(
    action: Action, relation: Relation, level: int, status: str, condition: bool, draft: bool
) -> dict[str, Any] | None:
    """What the gate must answer, derived from the tables alone (``None``: allowed)."""
    kind = OBJECT_KINDS[representative_for(action, draft).kind]
    log_visible = can_read(relation, level, PolicyField.LOG_SUMMARY)
    if kind.read_as is None:  # a transfer: its sender (the holder) and its recipient see it
        staff = relation in AUDIENCE_RELATIONS[Audience.STAFF] or relation is Relation.NONE
        between = staff and (relation is Relation.HOLDER or condition)
        relation = relation if log_visible else Relation.NONE
        visible = may_see_transfer(relation, level, between=between)
    else:
        visible = log_visible and can_read(relation, level, kind.read_as)
    if not visible:
        return {"code": "NOT_FOUND", "message": f"No such {kind.label}.", "field": kind.field}
    if status == "closed" and action not in WRITABLE_WHEN_CLOSED:
        return {"code": "LOG_CLOSED", "message": CLOSED_MESSAGE, "field": None}
    if status == "paused" and action not in WRITABLE_WHEN_PAUSED:
        return {"code": "LOG_CLOSED", "message": PAUSED_MESSAGE, "field": None}
    facts = WriteFacts(**{c.value.lower(): condition for c in conditions_of(action)})
    if not can(relation, level, action, facts):
        return {"code": "NOT_ALLOWED", "message": REFUSED, "field": None}
    return None


def test_every_action_has_cells_and_a_representative_mutation() -> None:
    assert set(WRITE_POLICY) == set(Action)
    assert all(WRITE_POLICY[action] for action in Action), "an action nobody may perform"
    assert set(REPRESENTATIVES) == set(Action)
    for action, representative in [*REPRESENTATIVES.items(), *WHILE_A_CONCERN.items()]:
        assert representative.field in MUTATIONS
        for relation in WRITE_POLICY[action]:
            reachable = {a for a in _audiences(representative) if relation in AUDIENCE_RELATIONS[a]}
            assert reachable or relation is Relation.NONE, (action, relation)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value.lower())
def test_a_conditional_cell_refuses_unless_its_condition_was_evaluated_true(
    action: Action,
) -> None:
    for relation, rule in WRITE_POLICY[action].items():
        for level in range(rule.min_level, 4):
            if rule.condition is None:
                assert can(relation, level, action)
                continue
            met = {rule.condition.value.lower(): True}
            unmet = {rule.condition.value.lower(): False}
            assert not can(relation, level, action), (relation, level)
            assert not can(relation, level, action, WriteFacts(**unmet))
            assert can(relation, level, action, WriteFacts(**met))
            others = [c for c in WriteCondition if c is not rule.condition]
            assert not can(
                relation, level, action, WriteFacts(**{c.value.lower(): True for c in others})
            )


@pytest.mark.parametrize(
    "action", [a for a in Action if conditions_of(a)], ids=lambda a: a.value.lower()
)
def test_the_gate_refuses_a_conditional_action_to_everyone_until_its_condition_is_evaluated(
    action: Action,
) -> None:
    viewer = Viewer(ViewerKind.STAFF, Audience.STAFF, STRONG_ACR)
    all_true = WriteFacts(**{c.value.lower(): True for c in conditions_of(action)})
    for relation, rule in WRITE_POLICY[action].items():
        access = LogAccess(uuid.uuid4(), relation, 3, RelayLogStatus.ACTIVE)
        with pytest.raises(NotAllowed):
            check_write(viewer, access, action)
        check_write(viewer, access, action, all_true)  # allowed at level 3, rule.min_level <= 3
        assert rule.min_level <= 3


async def _scene(world: World, level: int, status: str) -> Scene:
    s = world.seed
    log = await s.log(world.youth, world.holder, level=level)
    await s.actor(log, world.actor, shares_mobile=True)
    await s.actor(log, world.external)
    point = await s.point(log)
    measures = {
        True: await s.measure(point, responsible=[world.actor, world.external]),
        False: await s.measure(point, responsible_guardians=True),
    }
    meeting = await s.meeting(log, held_on=TODAY - timedelta(days=3))
    concern = await s.concern(log, world.holder, held_on=TODAY - timedelta(days=30))
    staff = {
        Relation.HOLDER: world.holder,
        Relation.ACTOR: world.actor,
        Relation.EXTERNAL_ACTOR: world.external,
        Relation.MANAGER: world.manager,
        Relation.NONE: world.outsider,
    }
    authors: dict[Relation | None, dict[str, Any]] = {
        **{relation: {"staff": person} for relation, person in staff.items()},
        Relation.GUARDIAN: {"guardian": world.guardian},
        Relation.SUBJECT: {},
        None: {"guardian": world.other_guardian},
    }
    notes = {who: await s.note(log, **kwargs) for who, kwargs in authors.items()}
    sparkles = {who: await s.sparkle(log, **kwargs) for who, kwargs in authors.items()}
    consents: dict[Relation | None, Consent] = {
        Relation.GUARDIAN: await s.consent(log, world.guardian, ConsentScope.CREATE),
        Relation.SUBJECT: await s.consent(log, None, ConsentScope.CREATE),
        None: await s.consent(log, world.other_guardian, ConsentScope.CREATE),
    }
    if status == "paused":
        log.status, log.paused_reason = RelayLogStatus.PAUSED, "Etter avtale"
    elif status == "closed":
        log.status, log.close_reason = RelayLogStatus.CLOSED, CloseReason.GOAL_REACHED
    await s.session.flush()
    return Scene(
        world,
        log,
        measures,
        meeting,
        notes,
        sparkles,
        consents,
        concern,
        {r: p.id for r, p in staff.items()},
    )


async def _fingerprint(connection: AsyncConnection) -> str:
    """A digest of every row of every table: equal before and after means nothing changed."""
    tables = (
        await connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' ORDER BY tablename"
            )
        )
    ).scalars()
    parts = " UNION ALL ".join(
        f"SELECT '{t}' || md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS d "
        f'FROM "{t}" x'
        for t in tables
    )
    digest = await connection.scalar(
        text(f"SELECT md5(string_agg(d, '|' ORDER BY d)) FROM ({parts}) s")
    )
    return str(digest)


async def _offer_transfer(
    scene: Scene, relation: Relation, to_viewer: bool, actions: list[Action]
) -> str | None:
    """A pending transfer of the log, when ``actions`` answer one: to the viewer, or from the
    holder to someone else."""
    if not TRANSFER_ACTIONS & set(actions):
        return None
    world = scene.world
    if not to_viewer:
        sender, recipient = world.holder, world.other_manager
    elif relation is Relation.HOLDER:
        sender, recipient = world.actor, world.holder
    elif relation in scene.staff_ids:
        sender, recipient = (
            world.holder,
            next(
                p
                for p in (world.actor, world.external, world.manager, world.outsider)
                if p.id == scene.staff_ids[relation]
            ),
        )
    else:  # the family has no transfers; any will do
        sender, recipient = world.holder, world.other_manager
    transfer = Transfer(
        log_id=scene.log.id,
        from_staff_id=sender.id,
        to_staff_id=recipient.id,
        from_organisation_id=sender.organisation_id,
        to_organisation_id=recipient.organisation_id,
    )
    world.seed.session.add(transfer)
    await world.seed.session.flush()
    return gid("Transfer", transfer)


def _document(calls: list[tuple[str, Representative]]) -> str:
    params, fields = [], []
    for alias, representative in calls:
        graphql_type = INPUT_TYPES.get(representative.field, representative.graphql_type)
        params.append(f"${alias}: {graphql_type}")
        fields.append(
            f"{alias}: {representative.name}({representative.argument}: ${alias}) "
            "{ error { code message field } }"
        )
    return f"mutation({', '.join(params)}) {{ {' '.join(fields)} }}"


async def _last_write(connection: AsyncConnection, scene: Scene) -> tuple[str, str] | None:
    row = (
        await connection.execute(
            text(
                "SELECT action, relation FROM audit_event WHERE log_id = :log "
                "AND action <> 'READ' ORDER BY id DESC LIMIT 1"
            ),
            {"log": scene.log.id},
        )
    ).first()
    return None if row is None else (row[0], row[1])


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("level", LEVELS, ids=lambda level: f"level-{level}")
async def test_every_write_is_allowed_exactly_where_the_write_policy_says(
    client: GraphQLClient,
    world: World,
    connection: AsyncConnection,
    level: int,
    status: str,
) -> None:
    scene = await _scene(world, level, status)
    checked = 0
    wrong: list[Any] = []
    for relation, (who, audience) in VIEWERS.items():
        token = client.token_for(getattr(world, who))
        for condition in [True, False]:
            scene.cell = (relation, condition)
            refused: list[tuple[Action, dict[str, Any]]] = []
            allowed: list[Action] = []
            for action in Action:
                representative = representative_for(action, scene.draft)
                if condition not in _conditions(action):
                    continue
                answer = expected(action, relation, level, status, condition, scene.draft)
                if audience not in _audiences(representative):
                    # Not in this audience's schema: the table must not let it happen.
                    assert WRITE_POLICY[action].get(relation) is None, (action, relation)
                    continue
                if answer is None:
                    allowed.append(action)
                else:
                    refused.append((action, answer))
            for action in allowed:
                nested = await connection.begin_nested()
                transfer = await _offer_transfer(scene, relation, condition, [action])
                answers = await _call(client, scene, (token, audience), transfer, [action])
                if answers[action] is not None:
                    wrong.append((action, relation, condition, answers[action]))
                    await nested.rollback()
                    continue
                effective = relation
                if representative_for(action, scene.draft).kind == "Transfer" and not can_read(
                    relation, level, PolicyField.LOG_SUMMARY
                ):
                    effective = Relation.NONE
                assert await _last_write(connection, scene) == (action.value, effective.value)
                await nested.rollback()
                checked += 1
            if refused:
                nested = await connection.begin_nested()
                actions = [action for action, _ in refused]
                transfer = await _offer_transfer(scene, relation, condition, actions)
                before = await _fingerprint(connection)
                answers = await _call(client, scene, (token, audience), transfer, actions)
                for action, answer in refused:
                    if answers[action] != answer:
                        wrong.append((action, relation, condition, answers[action], answer))
                assert await _fingerprint(connection) == before, (relation, condition)
                await nested.rollback()
                checked += len(refused)
    assert wrong == []
    assert checked > 0


async def _call(
    client: GraphQLClient,
    scene: Scene,
    viewer: tuple[str, Any],
    transfer: str | None,
    actions: list[Action],
) -> dict[Action, Any]:
    """Call the representatives of ``actions`` in one request, as the viewer (token and
    endpoint) with the relation and condition the scene's variables are for; each
    one's ``error``."""
    token, audience = viewer
    relation, condition = scene.cell
    variables: dict[str, Any] = {}
    calls = []
    for index, action in enumerate(actions):
        representative = representative_for(action, scene.draft)
        alias = f"{re.sub('[^a-z]', '', action.value.lower())}{index}"
        variables[alias] = representative.variables(scene, relation, condition)
        if action in TRANSFER_ACTIONS:
            variables[alias] = transfer
        calls.append((alias, representative))
    data = await client.query(_document(calls), token=token, audience=audience, variables=variables)
    return {action: data[alias]["error"] for action, (alias, _) in zip(actions, calls, strict=True)}
