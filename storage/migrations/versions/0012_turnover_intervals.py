"""turnover intervals: the analytics' facts

One row per finished turnover and per finished cleaning of a room (`turnoverinterval`,
storage/turnover_intervals.py), written from now on by the room machine with the
transition that ends it, and derived here from the existing transition log (nothing of
the log changes).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_turnoverinterval_day": [
        "hotel_id",
        "measure",
        "local_day",
        "seconds",
        "ends_epoch",
        "ends_local",
    ],
    "ix_turnoverinterval_kind": [
        "hotel_id",
        "measure",
        "kind",
        "seconds",
        "local_day",
        "ends_epoch",
    ],
    "ix_turnoverinterval_actor": [
        "hotel_id",
        "measure",
        "actor",
        "seconds",
        "local_day",
        "ends_epoch",
    ],
}


def upgrade() -> None:
    op.create_table(
        "turnoverinterval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotel_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("starts_epoch", sa.BigInteger(), nullable=False),
        sa.Column("ends_epoch", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("starts_local", sa.BigInteger(), nullable=False),
        sa.Column("ends_local", sa.BigInteger(), nullable=False),
        sa.Column("local_day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hotel_id"], ["hotel.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "turnoverinterval", columns, unique=False)
    # The intervals the existing log already holds (one INSERT ... SELECT per hotel).
    from storage.turnover_intervals import derive_turnover_intervals

    derive_turnover_intervals(op.get_bind())


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="turnoverinterval")
    op.drop_table("turnoverinterval")
