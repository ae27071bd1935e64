"""the family may refuse a transfer: transfer status REFUSED

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL 12+ adds an enum value inside a transaction (it is usable once committed).
    op.execute("ALTER TYPE transfer_status ADD VALUE IF NOT EXISTS 'REFUSED'")


def downgrade() -> None:
    """An enum value cannot be dropped: the type is rebuilt without it. A refused transfer
    becomes CANCELLED (it ended unanswered in that schema's words); its audit entry still
    says who refused it."""
    op.execute("UPDATE transfer SET status = 'CANCELLED' WHERE status = 'REFUSED'")
    op.execute("DROP INDEX uq_transfer_one_pending")
    op.execute("ALTER TYPE transfer_status RENAME TO transfer_status_with_refused")
    op.execute("CREATE TYPE transfer_status AS ENUM ('PENDING', 'ACCEPTED', 'CANCELLED')")
    op.execute("ALTER TABLE transfer ALTER COLUMN status DROP DEFAULT")
    op.execute(
        "ALTER TABLE transfer ALTER COLUMN status TYPE transfer_status "
        "USING status::text::transfer_status"
    )
    op.execute("DROP TYPE transfer_status_with_refused")
    op.execute(
        "CREATE UNIQUE INDEX uq_transfer_one_pending ON transfer (log_id) WHERE status = 'PENDING'"
    )
