"""The policy table is docs/design.md §2 to the letter; changing a cell must be a decision,
made here too, not an accident."""

from __future__ import annotations

import uuid

import pytest

from auth.access_history import history_scope
from auth.policy import (
    FAMILY_RELATIONS,
    PACKAGE_POLICY,
    PACKAGE_SUBJECT,
    READ_POLICY,
    WRITE_SUBJECT,
    Action,
    PackageAction,
    PackageRole,
    PolicyField,
    Relation,
    package_roles,
)
from auth.scoping import LogAccess
from models.enums import RelayLogStatus

COLUMNS = ["HOLDER", "ACTOR", "EXTERNAL_ACTOR", "GUARDIAN", "SUBJECT", "MANAGER"]
# "—" never; a number: from that level; "own", "shared", "not-adults-only": conditional.
DESIGN = {
    "LOG_SUMMARY": "0 1 2 1 1 0",
    "CHILD_IDENTITY": "0 — — 1 1 —",
    "GUARDIAN_CONTACT": "0 1 2 1 1 —",
    "GUARDIAN_NATIONAL_ID": "0 — — 1:own — —",
    "POINTS": "0 1 2 1 1 —",
    "MEASURES": "1 1 2 1 1 —",
    "ACTOR_CONTACT": "0 1 2 1 1 0",
    "ACTOR_MOBILE": "0 1 2 1:shared — —",
    "MEETINGS": "0 1 2 1 1 —",
    "NOTES": "0 1 2 1 1:not-adults-only —",
    "SPARKLES": "0 1 2 1 1 —",
    "CONSENT_DOCUMENT": "0 — — 1 1:own —",
    "CONSENT_STATUS": "0 1 2 1 1 0",
    "ACCESS_HISTORY": "0 — — 1 1 0",
    "ACTIVITY": "0 1 2 1 1 0",
    # An extension of the design table (a review decision): reasons are content.
    "LOG_REASONS": "0 1 2 1 1 —",
    # An extension for the printed log: the names behind entries, never to the manager.
    "AUTHORS": "0 1 2 1 1 —",
    # An extension (issue 15): where the log went, for the holder and the family.
    "TRANSFERS": "0 — — 1 1 —",
}
CONDITIONS = {"own": "OWN", "shared": "SHARED_BY_ACTOR", "not-adults-only": "NOT_ADULTS_ONLY"}


def _render(field: PolicyField) -> str:
    cells = []
    for column in COLUMNS:
        rule = READ_POLICY[field].get(Relation(column))
        if rule is None:
            cells.append("—")
        elif rule.condition is None:
            cells.append(str(rule.min_level))
        else:
            name = {v: k for k, v in CONDITIONS.items()}[rule.condition.value]
            cells.append(f"{rule.min_level}:{name}")
    return " ".join(cells)


def test_the_read_policy_is_the_design_table() -> None:
    assert {field.value: _render(field) for field in PolicyField} == DESIGN


def test_nobody_without_a_relation_reads_anything() -> None:
    assert all(Relation.NONE not in row for row in READ_POLICY.values())


def test_only_the_author_edits_a_note_whoever_they_are() -> None:
    from auth.policy import WRITE_POLICY, Action, WriteCondition

    rules = WRITE_POLICY[Action.EDIT_NOTE]
    assert set(rules) == set(WRITE_POLICY[Action.WRITE_NOTE])
    assert all(rule.condition is WriteCondition.AUTHOR for rule in rules.values())
    assert {r: rule.min_level for r, rule in rules.items()} == {
        r: rule.min_level for r, rule in WRITE_POLICY[Action.WRITE_NOTE].items()
    }


def test_the_author_or_the_holder_deletes_a_sparkle_the_youth_included() -> None:
    from auth.policy import WRITE_POLICY, Action, WriteCondition, WriteRule

    own = WriteCondition.AUTHOR
    assert WRITE_POLICY[Action.DELETE_SPARKLE] == {
        Relation.HOLDER: WriteRule(0),
        Relation.ACTOR: WriteRule(1, own),
        Relation.EXTERNAL_ACTOR: WriteRule(2, own),
        Relation.GUARDIAN: WriteRule(1, own),
        Relation.SUBJECT: WriteRule(1, own),
    }


def test_the_lifecycle_write_rules_are_decisions() -> None:
    from auth.policy import (
        NEEDS_STRONG_SIGN_IN,
        WRITE_POLICY,
        Action,
        WriteCondition,
        WriteRule,
        may_act_without_relation,
    )

    h, a, x, g, s, m, n = (
        Relation.HOLDER,
        Relation.ACTOR,
        Relation.EXTERNAL_ACTOR,
        Relation.GUARDIAN,
        Relation.SUBJECT,
        Relation.MANAGER,
        Relation.NONE,
    )
    own, recipient = WriteCondition.AUTHOR, WriteCondition.RECIPIENT
    assert {
        action: WRITE_POLICY[action]
        for action in (
            Action.MANAGE_LOG,
            Action.UPLOAD_CONSENT,
            Action.CLOSE_LOG,
            Action.GIVE_CONSENT,
            Action.WITHDRAW_CONSENT,
            Action.END_LOG_AT_WILL,
            Action.ANSWER_TRANSFER,
            Action.SHARE_MOBILE,
            Action.APPROVE_TRANSFER,
            Action.REFUSE_TRANSFER,
        )
    } == {
        Action.MANAGE_LOG: {h: WriteRule(0)},
        Action.UPLOAD_CONSENT: {h: WriteRule(0)},
        Action.CLOSE_LOG: {h: WriteRule(0)},
        Action.GIVE_CONSENT: {g: WriteRule(1), s: WriteRule(1)},
        Action.WITHDRAW_CONSENT: {g: WriteRule(1, own), s: WriteRule(1, own)},
        Action.END_LOG_AT_WILL: {g: WriteRule(1), s: WriteRule(1)},
        Action.ANSWER_TRANSFER: {
            a: WriteRule(0, recipient),
            x: WriteRule(0, recipient),
            m: WriteRule(0, recipient),
            n: WriteRule(0, recipient),
        },
        Action.SHARE_MOBILE: {h: WriteRule(0), a: WriteRule(1), x: WriteRule(2)},
        Action.APPROVE_TRANSFER: {g: WriteRule(1), s: WriteRule(1)},
        Action.REFUSE_TRANSFER: {g: WriteRule(1), s: WriteRule(1)},
    }
    # Only the staff member a transfer is addressed to may act without a relation to the log,
    # and only in-app consent (and the family's approval of a transfer, which stands in for
    # a consent) needs the BankID-level sign-in.
    assert [action for action in Action if may_act_without_relation(action)] == [
        Action.ANSWER_TRANSFER
    ]
    assert (
        frozenset({Action.GIVE_CONSENT, Action.APPROVE_TRANSFER, Action.REFUSE_TRANSFER})
        == NEEDS_STRONG_SIGN_IN
    )


def test_every_write_names_the_kind_of_data_it_is_about() -> None:
    """The access history shows a write only to whoever may read its subject."""
    assert set(WRITE_SUBJECT) == set(Action)
    assert set(PACKAGE_SUBJECT) == set(PackageAction)


def test_a_package_is_its_units_the_holder_of_the_time_and_the_manager() -> None:
    """PACKAGE_POLICY is a decision: both roles, every action, and nobody outside the unit."""
    both = frozenset(PackageRole)
    assert dict.fromkeys(PackageAction, both) == PACKAGE_POLICY
    assert package_roles("STAFF", is_manager=True, same_unit=False, held_it=True) == frozenset()
    assert package_roles("MUNICIPAL_ADMIN", is_manager=True, same_unit=True, held_it=True) == (
        frozenset()
    )
    assert package_roles("STAFF", is_manager=False, same_unit=True, held_it=False) == frozenset()


@pytest.mark.parametrize(
    ("relation", "hidden"),
    [
        pytest.param(Relation.SUBJECT, {"SHARE_MOBILE"}, id="youth: no actor mobiles"),
        pytest.param(Relation.GUARDIAN, set(), id="guardian: every write"),
        pytest.param(
            Relation.MANAGER,
            {
                "EDIT_POINTS",
                "EDIT_MEASURES",
                "EVALUATE_MEASURE",
                "SCHEDULE_MEETING",
                "RECORD_MEETING",
                "WRITE_NOTE",
                "EDIT_NOTE",
                "ADD_SPARKLE",
                "DELETE_SPARKLE",
                "SHARE_MOBILE",
                "EDIT_PEOPLE",
                "CHANGE_GUARDIANS",
                "EDIT_OWN_CONTACT",
                "APPROVE_TRANSFER",
                "REFUSE_TRANSFER",
            },
            id="manager: no content",
        ),
    ],
)
def test_which_writes_a_reader_of_the_history_is_told_of(
    relation: Relation, hidden: set[str]
) -> None:
    access = LogAccess(uuid.uuid4(), relation, 2, RelayLogStatus.ACTIVE)

    scope = history_scope(None, access)

    assert {a.value for a in Action} - scope.actions == hidden
    assert scope.adults_only_notes is (relation is not Relation.SUBJECT)
    assert bool(scope.hidden_readers) is (relation in FAMILY_RELATIONS)
