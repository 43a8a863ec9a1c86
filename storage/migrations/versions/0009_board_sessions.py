"""board sessions and the analytics index

The web pages' sign-in sessions (`boardsession`), and an index of the transition log by
hotel, event and time for the turnover analytics.

Revision ID: 0009_board_sessions
Revises: 0006
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_board_sessions"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANALYTICS_INDEX = "ix_transitionlog_hotel_event_created"


def upgrade() -> None:
    op.create_table(
        "boardsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("password_stamp", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("boardsession", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_boardsession_session_hash"), ["session_hash"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_boardsession_staff_id"), ["staff_id"], unique=False)
    op.create_index(
        ANALYTICS_INDEX,
        "transitionlog",
        ["hotel_id", "entity_kind", "event", "created_at", "entity_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(ANALYTICS_INDEX, table_name="transitionlog")
    with op.batch_alter_table("boardsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boardsession_staff_id"))
        batch_op.drop_index(batch_op.f("ix_boardsession_session_hash"))
    op.drop_table("boardsession")
