"""The tables. Status columns are plain strings: only the machines in `workflows/` change them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.timestamps import utc_now

OPEN_ORDER_STATUSES = ("OPEN", "IN_PROGRESS")
ORDER_STATUSES = (*OPEN_ORDER_STATUSES, "COMPLETED", "CANCELLED")


class Hotel(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)


STAFF_ROLES = ("front_desk", "housekeeper", "supervisor", "manager")
DEFAULT_STAFF_ROLE = "front_desk"


class Staff(SQLModel, table=True):
    # Usernames are unique in a hotel whatever their case: `username_key` is the casefolded
    # username ("Anna" and "anna" are one person), `username` is shown as it was typed.
    __table_args__ = (
        UniqueConstraint("hotel_id", "username_key", name="uq_staff_hotel_username_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id", index=True)
    username: str = Field(max_length=150)
    username_key: str = Field(max_length=150)
    role: str = Field(default=DEFAULT_STAFF_ROLE, max_length=32)  # one of STAFF_ROLES
    is_superuser: bool = False
    # A deactivated member's tokens (and web sessions) stop working at once; rows are kept.
    is_active: bool = True
    # argon2 hash of the password for the web pages; None: no password set.
    password_hash: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utc_now)


class StaffToken(SQLModel, table=True):
    """A named API token of a staff member: sha256 of the secret, which is shown once."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    name: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utc_now)
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class Room(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("hotel_id", "room_number"),
        Index("ix_room_hotel_status", "hotel_id", "room_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    room_number: int
    room_status: str = Field(default="READY_FOR_GUEST", max_length=32)
    is_occupied: bool = False
    fcm_token: str | None = Field(default=None, max_length=512)
    turnover_notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Booking(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("hotel_id", "booking_id"),
        Index("ix_booking_room_status", "assigned_room_id", "status"),
        Index("ix_booking_hotel_status", "hotel_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    booking_id: str = Field(max_length=64)
    status: str = Field(default="CONFIRMED", max_length=32)
    assigned_room_id: int | None = Field(default=None, foreign_key="room.id")
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    created_at: datetime = Field(default_factory=utc_now)


class Guest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    first_name: str = Field(max_length=150)
    last_name: str = Field(default="", max_length=150)


class GuestChatSession(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    room_id: int = Field(foreign_key="room.id", index=True)
    created_at: datetime = Field(default_factory=utc_now)


class Conversation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    room_id: int = Field(foreign_key="room.id", index=True)
    created_at: datetime = Field(default_factory=utc_now)


class RoomServiceOrder(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    room_id: int = Field(foreign_key="room.id", index=True)
    status: str = Field(default="OPEN", max_length=32)
    created_at: datetime = Field(default_factory=utc_now)


class TransitionLog(SQLModel, table=True):
    """One row per transition of any machine: the audit trail."""

    __table_args__ = (Index("ix_transitionlog_entity", "entity_kind", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id", index=True)
    entity_kind: str = Field(max_length=16)  # "booking" | "room"
    entity_id: int
    entity_ref: str = Field(max_length=64)  # booking_id or room number, for people reading it
    event: str = Field(max_length=64)
    from_state: str = Field(max_length=32)
    to_state: str = Field(max_length=32)
    actor: str = Field(max_length=150)
    actor_id: int | None = None
    source: str = Field(max_length=64)
    note: str | None = Field(default=None, sa_column=Column(Text))
    # e.g. the snapshot of rows a destructive checkout deleted
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utc_now)


class OutboxEvent(SQLModel, table=True):
    """A realtime event written in the transaction of its transition, delivered after commit."""

    __table_args__ = (
        Index("ix_outboxevent_status_id", "status", "id"),  # the relay: pending rows in order
        Index("ix_outboxevent_hotel_id_id", "hotel_id", "id"),  # SSE replay after Last-Event-ID
        # A new SSE stream: events of the transactions still running when it connected.
        Index("ix_outboxevent_transaction_id", "transaction_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    channel: str = Field(max_length=200)
    event_name: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="PENDING", max_length=16)  # PENDING | DELIVERED | FAILED
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utc_now)
    delivered_at: datetime | None = None
    # The relay holding this row right now, and until when (a lease: a crashed relay's
    # rows are taken over once it runs out).
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    # PostgreSQL: the id of the transaction that wrote the row (`pg_current_xact_id()`),
    # taken before the row's own id (storage/outbox.py explains why). NULL on SQLite.
    transaction_id: int | None = Field(default=None, sa_column=Column(BigInteger))
