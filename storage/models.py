"""The tables. Status columns are plain strings: only the machines in `workflows/` change them."""

from datetime import date, datetime, time, timedelta
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
    # What a guest's phone shows when their checkout is done; `{hotel_name}` is replaced.
    # Unset: "Your checkout at {hotel_name} is complete."
    checkout_notification_text: str | None = Field(default=None, max_length=500)
    # The hotel's day: "today" (arrivals, departures, the housekeeping plan) is the local
    # date in this IANA time zone, never the server's.
    timezone: str = Field(default="UTC", max_length=64)
    # Guests may arrive from this local time: rooms ready by then count as ready in time.
    check_in_time: time = Field(default=time(15, 0))
    # Housekeeping credits per task kind ({"DEPARTURE": 1.0, ...}); unset kinds (or None)
    # use `DEFAULT_TASK_CREDITS`.
    housekeeping_credits: dict[str, float] | None = Field(default=None, sa_column=Column(JSON))
    # The local day the scheduler last planned housekeeping for (claimed by compare-and-set).
    housekeeping_planned_on: date | None = None


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


class BoardSession(SQLModel, table=True):
    """A browser signed in to the web pages (web/). Its cookie holds a random secret, stored
    here as sha256; the CSRF token of its forms is stored as it is (it is no credential
    without the cookie). It ends at `expires_at`, after `last_seen_at` + the idle timeout,
    when revoked (sign-out), and when its member is deactivated or changes password
    (`password_stamp` no longer matches)."""

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True, index=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    csrf_token: str = Field(max_length=64)
    password_stamp: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utc_now)
    last_seen_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
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
    floor: int | None = None  # unset: the room number's hundreds (see `floor_of`)
    # Housekeeping flags of the service day `flags_date` (the hotel's local date they were
    # set on); the day's plan clears them when the next service day begins.
    do_not_disturb: bool = False
    make_up_room: bool = False
    service_declined: bool = False
    flags_date: date | None = None
    turnover_notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Booking(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("hotel_id", "booking_id"),
        Index("ix_booking_room_status", "assigned_room_id", "status"),
        Index("ix_booking_hotel_status", "hotel_id", "status"),
        Index("ix_booking_hotel_arrival", "hotel_id", "arrival_date"),
        Index("ix_booking_hotel_departure", "hotel_id", "departure_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    booking_id: str = Field(max_length=64)
    status: str = Field(default="CONFIRMED", max_length=32)
    assigned_room_id: int | None = Field(default=None, foreign_key="room.id")
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    created_at: datetime = Field(default_factory=utc_now)
    # The stay, in the hotel's local dates (departure after arrival). A booking made without
    # them stays from today (UTC here; the seed loader and the API use the hotel's day).
    arrival_date: date = Field(default_factory=lambda: utc_now().date())
    departure_date: date = Field(default_factory=lambda: utc_now().date() + timedelta(days=1))
    expected_arrival_time: time | None = None
    adults: int = 1
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


def floor_of(room: Room) -> int:
    """The room's floor: as stored, else its number's hundreds (room 305 is on floor 3)."""
    return room.floor if room.floor is not None else room.room_number // 100


TASK_KINDS = ("DEPARTURE", "STAYOVER", "INSPECTION", "TOUCH_UP")
ACTIVE_TASK_STATUSES = ("OPEN", "IN_PROGRESS", "PAUSED")
DEFAULT_TASK_CREDITS = {"DEPARTURE": 1.0, "STAYOVER": 0.5, "TOUCH_UP": 0.25, "INSPECTION": 0.0}


class HousekeepingTask(SQLModel, table=True):
    """A piece of housekeeping work on a room for one service day (the hotel's local date).
    Its status is changed only by `HousekeepingTaskLifecycle`."""

    __table_args__ = (
        # The day's plan creates each planned task once, however often and from however
        # many hosts it runs: `plan_key` ("STAYOVER:2026-12-02") is unique per room; tasks
        # the workflow creates on the way (checkout, inspections) have none.
        UniqueConstraint("room_id", "plan_key", name="uq_housekeepingtask_room_plan_key"),
        Index("ix_housekeepingtask_hotel_date", "hotel_id", "service_date"),
        Index("ix_housekeepingtask_room_status", "room_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    room_id: int = Field(foreign_key="room.id")
    kind: str = Field(max_length=16)  # one of TASK_KINDS
    service_date: date
    status: str = Field(default="OPEN", max_length=16)
    assignee_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    credits: float = 0.0
    plan_key: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utc_now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class OutOfOrderPeriod(SQLModel, table=True):
    """A room out of order from `starts_on` to `ends_on` (the hotel's local dates, both
    out of order): the scheduler takes it out when the first day begins and returns it when
    the day after the last begins. `status` is changed by its machine only."""

    __table_args__ = (
        Index("ix_outoforderperiod_status_hotel", "status", "hotel_id"),
        Index("ix_outoforderperiod_room_status", "room_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    room_id: int = Field(foreign_key="room.id")
    starts_on: date
    ends_on: date
    reason: str = Field(default="", max_length=500)
    status: str = Field(default="SCHEDULED", max_length=16)  # SCHEDULED|ACTIVE|ENDED|CANCELLED
    created_by: str = Field(max_length=150)
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

    __table_args__ = (
        Index("ix_transitionlog_entity", "entity_kind", "entity_id", "id"),
        # Turnover analytics (workflows/services/analytics.py): a hotel's events of a few
        # kinds over a period, read in the index with the columns the figures need.
        Index(
            "ix_transitionlog_hotel_event_created",
            "hotel_id",
            "entity_kind",
            "event",
            "created_at",
            "entity_id",
            "id",
            "actor",
        ),
        # ... and a room's next or previous transition, from the row at hand.
        Index(
            "ix_transitionlog_entity_timeline",
            "entity_kind",
            "entity_id",
            "id",
            "event",
            "created_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id", index=True)
    entity_kind: str = Field(max_length=16)  # "booking" | "room" | "task"
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


class TurnoverInterval(SQLModel, table=True):
    """One finished stretch of a room's turnover, written in the transaction of the
    transition that ends it (`storage/turnover_intervals.py`): a `turnover` (a checkout to
    the room's next `pass_inspection`) or a `cleaning` (`start_cleaning` to its
    `finish_cleaning`). The analytics read these instead of pairing the log's rows. Times
    are whole epoch seconds; `*_local` are the hotel's wall-clock seconds (its timezone
    when the row was written), `local_day` the local day of the start (days since 1970)."""

    __table_args__ = (
        # A period's figures per day; every index holds the columns its query reads.
        Index(
            "ix_turnoverinterval_day",
            "hotel_id",
            "measure",
            "local_day",
            "seconds",
            "ends_epoch",
            "ends_local",
        ),
        # ... per kind (and the whole period's turnovers, all of kind "departure"),
        Index(
            "ix_turnoverinterval_kind",
            "hotel_id",
            "measure",
            "kind",
            "seconds",
            "local_day",
            "ends_epoch",
        ),
        # ... and per housekeeper.
        Index(
            "ix_turnoverinterval_actor",
            "hotel_id",
            "measure",
            "actor",
            "seconds",
            "local_day",
            "ends_epoch",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id")
    room_id: int
    measure: str = Field(max_length=16)  # "turnover" | "cleaning"
    # what made the room dirty (cleaning: departure, failed_inspection, out_of_order,
    # forced_checkout, other); "departure" for a turnover
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=150)  # who started it (the checkout's, the cleaner)
    starts_epoch: int = Field(sa_column=Column(BigInteger, nullable=False))
    ends_epoch: int = Field(sa_column=Column(BigInteger, nullable=False))
    seconds: int = Field(sa_column=Column(BigInteger, nullable=False))
    starts_local: int = Field(sa_column=Column(BigInteger, nullable=False))
    ends_local: int = Field(sa_column=Column(BigInteger, nullable=False))
    local_day: int


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


class OutboxCursor(SQLModel, table=True):
    """How far a consumer that keeps no per-row status (the webhook fan-out) has read the
    outbox: every row up to `last_event_id` has been handled."""

    id: int | None = Field(default=None, primary_key=True)
    consumer: str = Field(max_length=64, unique=True)
    last_event_id: int = 0


class WebhookEndpoint(SQLModel, table=True):
    """A hotel's receiver of signed webhooks (Standard Webhooks)."""

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id", index=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    # Event names, or ["*"] for every event.
    event_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=200)
    # Signing secrets, Fernet-encrypted. After a rotation the previous secret keeps signing
    # (a second signature) until `previous_secret_expires_at`.
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    previous_secret_encrypted: str | None = Field(default=None, sa_column=Column(Text))
    previous_secret_expires_at: datetime | None = None
    # First failed attempt since the last success: failing for 5 days disables the endpoint.
    failing_since: datetime | None = None
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint. `webhook_id` is the same on every attempt."""

    __table_args__ = (
        UniqueConstraint("endpoint_id", "outbox_event_id"),
        # An endpoint's queue in commit order (outbox id order).
        Index(
            "ix_webhookdelivery_endpoint_status_event", "endpoint_id", "status", "outbox_event_id"
        ),
        Index("ix_webhookdelivery_status_next_attempt", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id")
    # The event sent; None for a `webhook.test` event, whose payload is stored here.
    outbox_event_id: int | None = Field(default=None, foreign_key="outboxevent.id")
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    webhook_id: str = Field(max_length=64, unique=True)
    status: str = Field(default="PENDING", max_length=16)  # PENDING | DELIVERED | FAILED
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utc_now)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utc_now)
    delivered_at: datetime | None = None
    # The worker sending it right now, and until when (a lease, as for outbox rows).
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery, as the receiver answered it."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhookdelivery.id", index=True)
    attempted_at: datetime = Field(default_factory=utc_now)
    status_code: int | None = None
    duration_ms: int = 0
    # The first 1 KB of the answer.
    response_body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    error: str | None = Field(default=None, sa_column=Column(Text))


class GuestNotification(SQLModel, table=True):
    """A push message to a guest's phone, written in the transaction of the checkout. The
    device token is kept only until the message is sent or given up (then NULL)."""

    __table_args__ = (
        Index("ix_guestnotification_status_next_attempt", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hotel_id: int = Field(foreign_key="hotel.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id")
    fcm_token: str | None = Field(default=None, max_length=512)
    title: str = Field(max_length=200)
    body: str = Field(max_length=500)
    status: str = Field(default="PENDING", max_length=16)  # PENDING | SENT | DROPPED | FAILED
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utc_now)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utc_now)
    sent_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
