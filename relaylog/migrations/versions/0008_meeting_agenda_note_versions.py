"""meeting agenda, note versions: an agenda on each meeting; an edited note keeps its earlier text

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AUTHOR_KIND = postgresql.ENUM(name="author_kind", create_type=False)


def upgrade() -> None:
    op.add_column("meeting", sa.Column("agenda", sa.Text(), server_default="", nullable=False))
    op.create_check_constraint(op.f("ck_meeting_agenda"), "meeting", "char_length(agenda) <= 2000")
    op.add_column("note", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "note_version",
        sa.Column("log_id", sa.UUID(), nullable=False),
        sa.Column("note_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("adults_only", sa.Boolean(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "replaced_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("author_kind", _AUTHOR_KIND, nullable=False),
        sa.Column("author_staff_id", sa.UUID(), nullable=True),
        sa.Column("author_guardian_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "(author_kind = 'STAFF') = (author_staff_id IS NOT NULL)"
            " AND (author_kind = 'GUARDIAN') = (author_guardian_id IS NOT NULL)",
            name=op.f("ck_note_version_author"),
        ),
        sa.CheckConstraint(
            "char_length(text) BETWEEN 1 AND 10000", name=op.f("ck_note_version_text")
        ),
        sa.ForeignKeyConstraint(
            ["author_guardian_id"],
            ["guardian.id"],
            name=op.f("fk_note_version_author_guardian_id_guardian"),
        ),
        sa.ForeignKeyConstraint(
            ["author_staff_id"],
            ["staff_account.id"],
            name=op.f("fk_note_version_author_staff_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["log_id"], ["relay_log.id"], name=op.f("fk_note_version_log_id_relay_log")
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["note.id"], name=op.f("fk_note_version_note_id_note")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_version")),
        sa.UniqueConstraint("note_id", "number", name="uq_note_version_note_number"),
    )
    op.create_index(op.f("ix_note_version_log_id"), "note_version", ["log_id"], unique=False)
    op.create_index(op.f("ix_note_version_note_id"), "note_version", ["note_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_note_version_note_id"), table_name="note_version")
    op.drop_index(op.f("ix_note_version_log_id"), table_name="note_version")
    op.drop_table("note_version")
    op.drop_column("note", "edited_at")
    op.drop_constraint(op.f("ck_meeting_agenda"), "meeting", type_="check")
    op.drop_column("meeting", "agenda")
