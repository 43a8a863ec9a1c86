"""staff roles, passwords, named tokens

Staff get a role (existing staff become `front_desk`), an active flag, a password hash and
a casefolded `username_key` that makes usernames unique in a hotel whatever their case.
Tokens move to their own table, several named ones per member: each existing
`staff.token_hash` becomes a token named "default", so every issued token keeps working.

Refused, with nothing changed, when a hotel has two usernames that differ only in case:
the message names them so one can be renamed first.

Downgrade keeps, per member, the newest token still valid; roles, passwords, other tokens
and deactivations are lost (deactivated members lose their token so they stay locked out).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite names unique constraints only when told: this names the old unnamed one for
# batch mode (on PostgreSQL it is called staff_hotel_id_username_key).
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s"}
NEW_UNIQUE = "uq_staff_hotel_username_key"

staff = sa.table(
    "staff",
    sa.column("id", sa.Integer),
    sa.column("hotel_id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("username_key", sa.String),
    sa.column("token_hash", sa.String),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
staff_token = sa.table(
    "stafftoken",
    sa.column("id", sa.Integer),
    sa.column("staff_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("token_hash", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
)


def _old_unique_name() -> str:
    if op.get_bind().dialect.name == "sqlite":
        return "uq_staff_hotel_id_username"
    return "staff_hotel_id_username_key"


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_key", sa.String(length=150), nullable=True))
        batch_op.add_column(
            sa.Column("role", sa.String(length=32), nullable=False, server_default="front_desk")
        )
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))

    connection = op.get_bind()
    members = connection.execute(
        sa.select(
            staff.c.id, staff.c.hotel_id, staff.c.username, staff.c.token_hash, staff.c.created_at
        )
    ).all()
    _refuse_case_duplicates(members)
    for member in members:
        connection.execute(
            staff.update()
            .where(staff.c.id == member.id)
            .values(username_key=member.username.casefold())
        )

    with op.batch_alter_table("staff", schema=None, naming_convention=SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint(_old_unique_name(), type_="unique")
        batch_op.drop_index(batch_op.f("ix_staff_token_hash"))
        batch_op.drop_column("token_hash")
        batch_op.alter_column("username_key", existing_type=sa.String(length=150), nullable=False)
        batch_op.alter_column("role", server_default=None, existing_type=sa.String(length=32))
        batch_op.alter_column("is_active", server_default=None, existing_type=sa.Boolean())
        batch_op.create_unique_constraint(NEW_UNIQUE, ["hotel_id", "username_key"])

    op.create_table(
        "stafftoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stafftoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stafftoken_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stafftoken_token_hash"), ["token_hash"], unique=True)

    tokens = [
        {
            "staff_id": m.id,
            "name": "default",
            "token_hash": m.token_hash,
            "created_at": m.created_at,
        }
        for m in members
        if m.token_hash
    ]
    if tokens:
        op.bulk_insert(staff_token, tokens)


def _refuse_case_duplicates(members: Sequence[sa.Row]) -> None:
    by_key: dict[tuple[int, str], list[str]] = defaultdict(list)
    for member in members:
        by_key[(member.hotel_id, member.username.casefold())].append(member.username)
    clashes = [names for names in by_key.values() if len(names) > 1]
    if clashes:
        listed = "; ".join(" / ".join(repr(n) for n in names) for names in clashes)
        raise RuntimeError(
            "Usernames are now unique in a hotel whatever their case, and these differ only "
            f"in case: {listed}. Rename one of each (UPDATE staff SET username = ...) and run "
            "the upgrade again; nothing was changed."
        )


def downgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    live = connection.execute(
        sa.select(staff_token.c.staff_id, staff_token.c.token_hash)
        .join(staff, staff.c.id == staff_token.c.staff_id)
        .where(
            staff.c.is_active == sa.true(),
            staff_token.c.revoked_at.is_(None),
            sa.or_(staff_token.c.expires_at.is_(None), staff_token.c.expires_at > now),
        )
        .order_by(staff_token.c.id)
    ).all()
    newest = {row.staff_id: row.token_hash for row in live}

    with op.batch_alter_table("stafftoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stafftoken_token_hash"))
        batch_op.drop_index(batch_op.f("ix_stafftoken_staff_id"))
    op.drop_table("stafftoken")

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    for staff_id, token_hash in newest.items():
        connection.execute(
            staff.update().where(staff.c.id == staff_id).values(token_hash=token_hash)
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint(NEW_UNIQUE, type_="unique")
        batch_op.create_unique_constraint(_old_unique_name(), ["hotel_id", "username"])
        batch_op.create_index(batch_op.f("ix_staff_token_hash"), ["token_hash"], unique=True)
        batch_op.drop_column("password_hash")
        batch_op.drop_column("is_active")
        batch_op.drop_column("role")
        batch_op.drop_column("username_key")
