"""guardian change: guardians added to or removed from a log after it was created

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guardian_change",
        sa.Column("log_id", sa.UUID(), nullable=False),
        sa.Column("guardian_id", sa.UUID(), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("changed_by_id", sa.UUID(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "change IN ('ADDED', 'REMOVED')", name=op.f("ck_guardian_change_change_kind")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["staff_account.id"],
            name=op.f("fk_guardian_change_changed_by_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["guardian.id"], name=op.f("fk_guardian_change_guardian_id_guardian")
        ),
        sa.ForeignKeyConstraint(
            ["log_id"], ["relay_log.id"], name=op.f("fk_guardian_change_log_id_relay_log")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_change")),
    )
    op.create_index(op.f("ix_guardian_change_log_id"), "guardian_change", ["log_id"], unique=False)
    op.create_index(
        op.f("ix_guardian_change_guardian_id"), "guardian_change", ["guardian_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_guardian_change_guardian_id"), table_name="guardian_change")
    op.drop_index(op.f("ix_guardian_change_log_id"), table_name="guardian_change")
    op.drop_table("guardian_change")
