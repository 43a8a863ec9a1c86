"""outbox transaction id

On PostgreSQL each outbox row records the id of the transaction that wrote it, taken
before the row's own id: readers deliver in id order and wait, at a missing id, for the
transactions that were running when they saw it (never for a fixed time). The index finds
the events of the transactions still running when a new SSE stream connected.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transaction_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_outboxevent_transaction_id", ["transaction_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxevent", schema=None) as batch_op:
        batch_op.drop_index("ix_outboxevent_transaction_id")
        batch_op.drop_column("transaction_id")
