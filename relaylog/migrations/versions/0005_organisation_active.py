"""organisation active: a unit the municipal admin closes is kept (logs and history name it)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:00:00

Organisations are referenced by actor memberships, transfers and statistics, so a closed unit
is deactivated rather than deleted. Specialist health (BUP, hospital) is the existing kind
``SPECIALIST_HEALTH``: the level-3 rule is about the kind, not the institution.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organisation",
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("organisation", "active")
