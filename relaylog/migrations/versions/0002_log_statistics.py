"""log statistics: the de-identified facts that outlive a purged log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "log_statistics",
        sa.Column("municipality_id", sa.UUID(), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=True),
        sa.Column("created_month", sa.Date(), nullable=False),
        sa.Column("closed_month", sa.Date(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("close_reason", sa.String(length=40), nullable=True),
        sa.Column("days_concern_to_log", sa.Integer(), nullable=True),
        sa.Column("days_to_first_evaluation", sa.Integer(), nullable=True),
        sa.Column("points_by_category", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "measures_by_type_outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=False
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_log_statistics_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_log_statistics_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_statistics")),
    )
    op.create_index(
        op.f("ix_log_statistics_municipality_id"),
        "log_statistics",
        ["municipality_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_log_statistics_municipality_id"), table_name="log_statistics")
    op.drop_table("log_statistics")
