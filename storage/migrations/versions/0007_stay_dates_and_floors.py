"""stay dates, the hotel's day and room floors

A booking gets its stay (arrival and departure, local dates of the hotel), an expected
arrival time, a number of adults and notes; a hotel its time zone and check-in time; a room
its floor. Existing rows keep everything they had: a stored booking stays from the day it
was made (its local date as UTC) to the day after, hotels are on UTC with check-in at 15:00
until told otherwise, and a room's floor is its number's hundreds.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# SQLite cannot add a NOT NULL column without a constant default, nor rebuild `booking`
# (others reference it) inside the migration's transaction: the stay columns are added with
# a placeholder default, filled at once, and on PostgreSQL the placeholder is dropped.
PLACEHOLDER_DATE = "2000-01-01"


def upgrade() -> None:
    op.add_column(
        "hotel", sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC")
    )
    op.add_column(
        "hotel", sa.Column("check_in_time", sa.Time(), nullable=False, server_default="15:00:00")
    )
    op.add_column("room", sa.Column("floor", sa.Integer(), nullable=True))
    op.execute("UPDATE room SET floor = room_number / 100")
    for column in ("arrival_date", "departure_date"):
        op.add_column(
            "booking",
            sa.Column(column, sa.Date(), nullable=False, server_default=PLACEHOLDER_DATE),
        )
    op.add_column("booking", sa.Column("expected_arrival_time", sa.Time(), nullable=True))
    op.add_column("booking", sa.Column("adults", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("booking", sa.Column("notes", sa.Text(), nullable=False, server_default=""))
    _stays_from_creation_day()
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("booking", "arrival_date", server_default=None)
        op.alter_column("booking", "departure_date", server_default=None)
    op.create_index("ix_booking_hotel_arrival", "booking", ["hotel_id", "arrival_date"])
    op.create_index("ix_booking_hotel_departure", "booking", ["hotel_id", "departure_date"])


def _stays_from_creation_day() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE booking SET arrival_date = CAST(created_at AS DATE), "
            "departure_date = CAST(created_at AS DATE) + 1"
        )
    else:
        op.execute(
            "UPDATE booking SET arrival_date = date(created_at), "
            "departure_date = date(created_at, '+1 day')"
        )


def downgrade() -> None:
    op.drop_index("ix_booking_hotel_departure", table_name="booking")
    op.drop_index("ix_booking_hotel_arrival", table_name="booking")
    stay = ("notes", "adults", "expected_arrival_time", "departure_date", "arrival_date")
    for table, column in [
        *(("booking", column) for column in stay),
        ("room", "floor"),
        ("hotel", "check_in_time"),
        ("hotel", "timezone"),
    ]:
        op.drop_column(table, column)  # SQLite 3.35+ drops a column in place
