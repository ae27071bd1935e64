"""The policy table is DESIGN.md §2 to the letter; changing a cell must be a decision,
made here too, not an accident."""

from __future__ import annotations

from auth.policy import READ_POLICY, PolicyField, Relation

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
