"""housekeeping tasks, room flags and per-hotel credits

Adds the `housekeepingtask` table (the work the workflow creates, assigns and orders), the
housekeeping flags of a room (do not disturb, make up room, service declined, and the
service day they were set on) and a hotel's credits per task kind. Existing rows keep
everything: rooms have no flags, hotels use the default credits, and there are no tasks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOM_FLAGS = ("do_not_disturb", "make_up_room", "service_declined")


def upgrade() -> None:
    op.create_table(
        "housekeepingtask",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hotel_id", sa.Integer(), sa.ForeignKey("hotel.id"), nullable=False),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("room.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("credits", sa.Float(), nullable=False),
        sa.Column("plan_key", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.UniqueConstraint("room_id", "plan_key", name="uq_housekeepingtask_room_plan_key"),
    )
    op.create_index(
        "ix_housekeepingtask_hotel_date", "housekeepingtask", ["hotel_id", "service_date"]
    )
    op.create_index("ix_housekeepingtask_room_status", "housekeepingtask", ["room_id", "status"])
    op.create_index("ix_housekeepingtask_assignee_id", "housekeepingtask", ["assignee_id"])
    for flag in ROOM_FLAGS:
        op.add_column(
            "room", sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.add_column("room", sa.Column("flags_date", sa.Date(), nullable=True))
    op.add_column("hotel", sa.Column("housekeeping_credits", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("hotel", "housekeeping_credits")
    for column in ("flags_date", *reversed(ROOM_FLAGS)):
        op.drop_column("room", column)
    op.drop_table("housekeepingtask")
