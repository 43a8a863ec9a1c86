"""initial schema

The tables exactly as `SQLModel.metadata.create_all` made them before migrations existed:
a database created that way is stamped with this revision (storage/schema_upgrade.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:32:40.348582
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hotel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hotel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotel_slug"), ["slug"], unique=True)

    op.create_table(
        "outboxevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("event_name", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outboxevent", schema=None) as batch_op:
        batch_op.create_index("ix_outboxevent_status_id", ["status", "id"], unique=False)

    op.create_table(
        "room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("room_number", sa.Integer(), nullable=False),
        sa.Column("room_status", sa.String(length=32), nullable=False),
        sa.Column("is_occupied", sa.Boolean(), nullable=False),
        sa.Column("fcm_token", sa.String(length=512), nullable=True),
        sa.Column("turnover_notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hotel_id", "room_number"),
    )
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.create_index("ix_room_hotel_status", ["hotel_id", "room_status"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hotel_id", "username"),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_hotel_id"), ["hotel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "transitionlog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("entity_kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("entity_ref", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("transitionlog", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transitionlog_entity", ["entity_kind", "entity_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transitionlog_hotel_id"), ["hotel_id"], unique=False)

    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("assigned_room_id", sa.Integer(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_room_id"],
            ["room.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hotel_id", "booking_id"),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index("ix_booking_hotel_status", ["hotel_id", "status"], unique=False)
        batch_op.create_index(
            "ix_booking_room_status", ["assigned_room_id", "status"], unique=False
        )

    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_room_id"), ["room_id"], unique=False)

    op.create_table(
        "guestchatsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("guestchatsession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guestchatsession_room_id"), ["room_id"], unique=False)

    op.create_table(
        "roomserviceorder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("roomserviceorder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roomserviceorder_room_id"), ["room_id"], unique=False)

    op.create_table(
        "guest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.String(length=150), nullable=False),
        sa.Column("last_name", sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hotel_id"],
            ["hotel.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("guest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guest_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guest_room_id"), ["room_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("guest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guest_room_id"))
        batch_op.drop_index(batch_op.f("ix_guest_booking_id"))

    op.drop_table("guest")
    with op.batch_alter_table("roomserviceorder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roomserviceorder_room_id"))

    op.drop_table("roomserviceorder")
    with op.batch_alter_table("guestchatsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guestchatsession_room_id"))

    op.drop_table("guestchatsession")
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_room_id"))

    op.drop_table("conversation")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_room_status")
        batch_op.drop_index("ix_booking_hotel_status")

    op.drop_table("booking")
    with op.batch_alter_table("transitionlog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transitionlog_hotel_id"))
        batch_op.drop_index("ix_transitionlog_entity")

    op.drop_table("transitionlog")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_token_hash"))
        batch_op.drop_index(batch_op.f("ix_staff_hotel_id"))

    op.drop_table("staff")
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.drop_index("ix_room_hotel_status")

    op.drop_table("room")
    with op.batch_alter_table("outboxevent", schema=None) as batch_op:
        batch_op.drop_index("ix_outboxevent_status_id")

    op.drop_table("outboxevent")
    with op.batch_alter_table("hotel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotel_slug"))

    op.drop_table("hotel")
