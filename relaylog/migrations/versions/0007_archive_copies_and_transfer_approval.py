"""archive copies: who held the log, received by the archive; family approval of transfers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("archive_record", sa.Column("holder_id", sa.UUID(), nullable=True))
    op.add_column(
        "archive_record", sa.Column("received_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("archive_record", sa.Column("received_by_id", sa.UUID(), nullable=True))
    op.add_column(
        "archive_record", sa.Column("archive_reference", sa.String(length=100), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_archive_record_holder_id_staff_account"),
        "archive_record",
        "staff_account",
        ["holder_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_archive_record_received_by_id_staff_account"),
        "archive_record",
        "staff_account",
        ["received_by_id"],
        ["id"],
    )
    op.create_check_constraint(
        op.f("ck_archive_record_received_with_reference"),
        "archive_record",
        "(received_at IS NULL) = (archive_reference IS NULL)",
    )
    # Copies filed before: a transfer's copy is the old unit's (its holder then); any other
    # copy was filed by the holder of the time.
    op.execute(
        "UPDATE archive_record r SET holder_id = t.from_staff_id,"
        " author_organisation_id = t.from_organisation_id"
        " FROM transfer t WHERE t.archive_record_id = r.id AND r.reason = 'TRANSFER'"
    )
    op.execute("UPDATE archive_record SET holder_id = created_by_id WHERE holder_id IS NULL")
    op.create_table(
        "transfer_approval",
        sa.Column("transfer_id", sa.UUID(), nullable=False),
        sa.Column("log_id", sa.UUID(), nullable=False),
        sa.Column(
            "given_by_kind",
            postgresql.ENUM(name="author_kind", create_type=False),
            nullable=False,
        ),
        sa.Column("given_by_guardian_id", sa.UUID(), nullable=True),
        sa.Column(
            "approved_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["given_by_guardian_id"],
            ["guardian.id"],
            name=op.f("fk_transfer_approval_given_by_guardian_id_guardian"),
        ),
        sa.ForeignKeyConstraint(
            ["log_id"], ["relay_log.id"], name=op.f("fk_transfer_approval_log_id_relay_log")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfer.id"],
            name=op.f("fk_transfer_approval_transfer_id_transfer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_approval")),
        sa.UniqueConstraint(
            "transfer_id",
            "given_by_kind",
            "given_by_guardian_id",
            name=op.f("uq_transfer_approval_transfer_id"),
        ),
    )
    op.create_index(op.f("ix_transfer_approval_transfer_id"), "transfer_approval", ["transfer_id"])
    op.create_index(op.f("ix_transfer_approval_log_id"), "transfer_approval", ["log_id"])
    op.create_index(
        "uq_transfer_approval_youth_once",
        "transfer_approval",
        ["transfer_id"],
        unique=True,
        postgresql_where=sa.text("given_by_guardian_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_transfer_approval_youth_once", table_name="transfer_approval")
    op.drop_index(op.f("ix_transfer_approval_log_id"), table_name="transfer_approval")
    op.drop_index(op.f("ix_transfer_approval_transfer_id"), table_name="transfer_approval")
    op.drop_table("transfer_approval")
    op.drop_constraint(
        op.f("ck_archive_record_received_with_reference"), "archive_record", type_="check"
    )
    op.drop_constraint(
        op.f("fk_archive_record_received_by_id_staff_account"),
        "archive_record",
        type_="foreignkey",
    )
    op.drop_constraint(
        op.f("fk_archive_record_holder_id_staff_account"), "archive_record", type_="foreignkey"
    )
    op.drop_column("archive_record", "archive_reference")
    op.drop_column("archive_record", "received_by_id")
    op.drop_column("archive_record", "received_at")
    op.drop_column("archive_record", "holder_id")
