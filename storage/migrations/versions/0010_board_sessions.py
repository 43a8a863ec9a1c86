"""board sessions and the analytics index

The web pages' sign-in sessions (`boardsession`), and two indexes of the transition log for
the turnover analytics.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The analytics' two indexes of the log (storage/models.py says what each serves).
ANALYTICS_INDEXES = {
    "ix_transitionlog_hotel_event_created": [
        "hotel_id",
        "entity_kind",
        "event",
        "created_at",
        "entity_id",
        "id",
        "actor",
    ],
    "ix_transitionlog_entity_timeline": ["entity_kind", "entity_id", "id", "event", "created_at"],
}


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
    for name, columns in ANALYTICS_INDEXES.items():
        op.create_index(name, "transitionlog", columns, unique=False)


def downgrade() -> None:
    for name in ANALYTICS_INDEXES:
        op.drop_index(name, table_name="transitionlog")
    with op.batch_alter_table("boardsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boardsession_staff_id"))
        batch_op.drop_index(batch_op.f("ix_boardsession_session_hash"))
    op.drop_table("boardsession")
