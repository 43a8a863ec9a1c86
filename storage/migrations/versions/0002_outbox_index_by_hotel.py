"""outbox index by hotel

The SSE stream replays a hotel's events after the client's Last-Event-ID:
`WHERE hotel_id = ? AND id > ? ORDER BY id`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 13:33:05.483831
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxevent", schema=None) as batch_op:
        batch_op.create_index("ix_outboxevent_hotel_id_id", ["hotel_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxevent", schema=None) as batch_op:
        batch_op.drop_index("ix_outboxevent_hotel_id_id")
