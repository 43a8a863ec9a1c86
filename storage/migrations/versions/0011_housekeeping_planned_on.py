"""the day each hotel's housekeeping plan last ran from the scheduler

Adds `hotel.housekeeping_planned_on`: the scheduler's plan job claims a hotel's day by
moving it forward (compare-and-set), so the day is planned once however many schedulers
and `turnover tick` runs there are. Existing hotels have none: their next due day is
planned.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hotel", sa.Column("housekeeping_planned_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("hotel", "housekeeping_planned_on")
