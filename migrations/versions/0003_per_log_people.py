"""per-log people: a child or guardian row belongs to one log, so national id hashes repeat

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("uq_child_national_id_hash"), "child", type_="unique")
    op.create_index(op.f("ix_child_national_id_hash"), "child", ["national_id_hash"], unique=False)
    op.drop_constraint(op.f("uq_guardian_national_id_hash"), "guardian", type_="unique")
    op.create_index(
        op.f("ix_guardian_national_id_hash"), "guardian", ["national_id_hash"], unique=False
    )


def downgrade() -> None:
    # Fails once two logs hold the same person: that data cannot go back to one shared row.
    op.drop_index(op.f("ix_guardian_national_id_hash"), table_name="guardian")
    op.create_unique_constraint(
        op.f("uq_guardian_national_id_hash"), "guardian", ["national_id_hash"]
    )
    op.drop_index(op.f("ix_child_national_id_hash"), table_name="child")
    op.create_unique_constraint(op.f("uq_child_national_id_hash"), "child", ["national_id_hash"])
