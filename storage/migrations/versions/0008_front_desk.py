"""out-of-order periods

A room can be scheduled out of order for a period of the hotel's local dates; the
scheduler (`turnover tick`, or inside the API process) starts and ends it. A new table:
nothing stored changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outoforderperiod",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hotel_id"], ["hotel.id"]),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outoforderperiod_status_hotel", "outoforderperiod", ["status", "hotel_id"])
    op.create_index("ix_outoforderperiod_room_status", "outoforderperiod", ["room_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outoforderperiod_room_status", table_name="outoforderperiod")
    op.drop_index("ix_outoforderperiod_status_hotel", table_name="outoforderperiod")
    op.drop_table("outoforderperiod")
