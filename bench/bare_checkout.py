"""The baseline of the engine-overhead scenario: a checkout written by hand with SQLAlchemy
Core, no machines. Same reads, same guards, same writes (compare-and-set on both rows, the
hooks' updates and deletes, one audit row and one outbox row per state change; the room's
tasks following it: its active tasks read, the departure task inserted with its audit row
and `task-created` event), one transaction. What it lacks is everything the engine adds:
machines, the ORM session, listeners, the retry decorator."""

from sqlalchemy import Engine, delete, insert, select, update

from storage.database import is_sqlite
from storage.models import (
    OPEN_ORDER_STATUSES,
    Booking,
    Conversation,
    Guest,
    GuestChatSession,
    Hotel,
    HousekeepingTask,
    OutboxEvent,
    Room,
    RoomServiceOrder,
    TransitionLog,
)
from storage.timestamps import iso_z, utc_now
from workflows.machines.hotel_day import hotel_today
from workflows.machines.realtime_events import (
    booking_event,
    hotel_channel,
    room_flags,
    room_status_changed,
    task_event,
)

HOTEL = Hotel.__table__  # type: ignore[attr-defined]
BOOKING = Booking.__table__  # type: ignore[attr-defined]
ROOM = Room.__table__  # type: ignore[attr-defined]
GUEST = Guest.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
TASK = HousekeepingTask.__table__  # type: ignore[attr-defined]
ACTIVE_TASK_STATUSES = ("OPEN", "IN_PROGRESS", "PAUSED")
OUTBOX = OutboxEvent.__table__  # type: ignore[attr-defined]


class Conflict(Exception):
    pass


def bare_checkout(engine: Engine, hotel_slug: str, booking_ref: str, username: str) -> None:
    source, now = "bench_bare", utc_now()
    if is_sqlite(engine):
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    with engine.begin() as db:
        hotel = db.execute(select(HOTEL).where(HOTEL.c.slug == hotel_slug)).one()
        booking = db.execute(
            select(BOOKING).where(
                BOOKING.c.hotel_id == hotel.id, BOOKING.c.booking_id == booking_ref
            )
        ).one()
        room = db.execute(select(ROOM).where(ROOM.c.id == booking.assigned_room_id)).one()
        if booking.status == "COMPLETED":
            return
        if booking.status != "CHECKED_IN" or room.hotel_id != booking.hotel_id:
            raise Conflict("refused")
        _claim(
            db, BOOKING, booking.id, "status", "CHECKED_IN", checked_out_at=now, status="COMPLETED"
        )
        note = f"checked out booking {booking_ref}"
        line = f"[{iso_z(now)}] {source} by {username}: {note}"
        notes = f"{room.turnover_notes}\n{line}" if room.turnover_notes else line
        _claim(
            db, ROOM, room.id, "room_status", "OCCUPIED",
            room_status="CHECKOUT_DIRTY", is_occupied=False, fcm_token=None, turnover_notes=notes,
        )  # fmt: skip
        db.execute(update(GUEST).where(GUEST.c.room_id == room.id).values(room_id=None))
        for model in (GuestChatSession, Conversation):
            table = model.__table__  # type: ignore[attr-defined]
            db.execute(delete(table).where(table.c.room_id == room.id))
        orders = RoomServiceOrder.__table__  # type: ignore[attr-defined]
        db.execute(
            delete(orders).where(
                orders.c.room_id == room.id, orders.c.status.in_(OPEN_ORDER_STATUSES)
            )
        )
        db.execute(
            select(TASK).where(TASK.c.room_id == room.id, TASK.c.status.in_(ACTIVE_TASK_STATUSES))
        ).all()
        service_date = hotel_today(hotel, now)
        task_id = db.execute(
            insert(TASK)
            .values(
                hotel_id=hotel.id, room_id=room.id, kind="DEPARTURE", service_date=service_date,
                status="OPEN", credits=1.0, created_at=now, notes="",
            )
            .returning(TASK.c.id)
        ).scalar_one()  # fmt: skip
        common = {"hotel_id": hotel.id, "actor": username, "source": source, "created_at": now}
        db.execute(
            insert(LOG),
            [
                {**common, "entity_kind": "booking", "entity_id": booking.id,
                 "entity_ref": booking_ref, "event": "check_out", "from_state": "CHECKED_IN",
                 "to_state": "COMPLETED", "note": note},
                {**common, "entity_kind": "room", "entity_id": room.id,
                 "entity_ref": str(room.room_number), "event": "check_out",
                 "from_state": "OCCUPIED", "to_state": "CHECKOUT_DIRTY", "note": note},
                {**common, "entity_kind": "task", "entity_id": task_id,
                 "entity_ref": f"{room.room_number}/DEPARTURE/{service_date.isoformat()}",
                 "event": "create", "from_state": "", "to_state": "OPEN", "note": note},
            ],
        )  # fmt: skip
        channel = hotel_channel(hotel.slug)
        room_payload = room_status_changed(
            room_number=room.room_number, old_status="OCCUPIED",
            new_status="CHECKOUT_DIRTY", source=source, at=now,
        )  # fmt: skip
        booking_payload = booking_event(
            booking_id=booking_ref, room_number=room.room_number, at=now
        )
        task_payload = task_event(
            task_id=task_id, room_number=room.room_number, kind="DEPARTURE",
            service_date=service_date.isoformat(), status="OPEN", assignee=None,
            flags=room_flags(room), at=now,
        )  # fmt: skip
        db.execute(
            insert(OUTBOX),
            [
                {"hotel_id": hotel.id, "channel": channel, "event_name": "booking-checked-out",
                 "payload": booking_payload, "status": "PENDING", "attempts": 0, "created_at": now},
                {"hotel_id": hotel.id, "channel": channel, "event_name": "room-status-changed",
                 "payload": room_payload, "status": "PENDING", "attempts": 0, "created_at": now},
                {"hotel_id": hotel.id, "channel": channel, "event_name": "task-created",
                 "payload": task_payload, "status": "PENDING", "attempts": 0, "created_at": now},
            ],
        )  # fmt: skip


def _claim(db, table, row_id: int, column: str, expected: str, **values: object) -> None:  # type: ignore[no-untyped-def]
    """Compare-and-set, as the engine does it."""
    claimed = db.execute(
        update(table).where(table.c.id == row_id, table.c[column] == expected).values(**values)
    )
    if claimed.rowcount != 1:
        raise Conflict(f"{table.name} {row_id} changed")
