"""A few weeks of past turnovers for a hotel's rooms, written straight into the transition
log: what the analytics page reads, for the screenshots in the docs and the browser tests.

Only history is written (TransitionLog rows, as the machines would have written them
over those weeks, ending in the state each room is in now); no room or booking changes
state, and no realtime event is sent.
"""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from storage.models import Hotel, Room, TransitionLog

HOUSEKEEPERS = ("hugh", "nora", "aoife", "ciaran")
SUPERVISOR = "sinead"
FRONT_DESK = "anna"


def write_history(
    session: Session, hotel_slug: str, *, days: int, until: datetime, seed: int = 15
) -> int:
    """Turnovers of every room of the hotel over the `days` days before `until` (UTC);
    returns how many log rows were written."""
    rng = random.Random(seed)
    hotel = session.exec(select(Hotel).where(Hotel.slug == hotel_slug)).one()
    rooms = session.exec(
        select(Room).where(Room.hotel_id == hotel.id).order_by(col(Room.room_number))
    ).all()
    rows: list[dict] = []
    for room in rooms:
        rows.extend(_room_history(rng, room, until - timedelta(days=days), until))
    rows.sort(key=lambda row: row["created_at"])
    if rows:
        session.execute(insert(TransitionLog), [{"hotel_id": hotel.id, **row} for row in rows])
    return len(rows)


def _room_history(rng: random.Random, room: Room, start: datetime, end: datetime) -> list[dict]:
    rows: list[dict] = []
    moment = start.replace(hour=10, minute=0, tzinfo=UTC) + timedelta(
        days=rng.randint(0, 2), minutes=rng.randint(0, 180)
    )

    def log(event: str, before: str, after: str, actor: str) -> None:
        rows.append(
            {
                "entity_kind": "room",
                "entity_id": room.id,
                "entity_ref": str(room.room_number),
                "event": event,
                "from_state": before,
                "to_state": after,
                "actor": actor,
                "source": "demo_history",
                "created_at": moment,
            }
        )

    while moment + timedelta(days=2) < end:
        log("check_out", "OCCUPIED", "CHECKOUT_DIRTY", FRONT_DESK)
        for attempt in range(3):
            moment += timedelta(minutes=rng.randint(15, 200))
            cleaner = rng.choice(HOUSEKEEPERS)
            log("start_cleaning", "CHECKOUT_DIRTY", "CLEANING_IN_PROGRESS", cleaner)
            moment += timedelta(minutes=rng.randint(25, 70))
            log("finish_cleaning", "CLEANING_IN_PROGRESS", "CLEANED_UNINSPECTED", cleaner)
            moment += timedelta(minutes=rng.randint(10, 120))
            if attempt == 2 or rng.random() > 0.1:
                log("pass_inspection", "CLEANED_UNINSPECTED", "READY_FOR_GUEST", SUPERVISOR)
                break
            log("fail_inspection", "CLEANED_UNINSPECTED", "CHECKOUT_DIRTY", SUPERVISOR)
        moment += timedelta(hours=rng.randint(2, 8))
        log("check_in", "READY_FOR_GUEST", "OCCUPIED", FRONT_DESK)
        # the next departure: one to four nights later, between 07:00 and 12:00
        moment = (moment + timedelta(days=rng.randint(1, 4))).replace(
            hour=rng.randint(7, 11), minute=rng.randint(0, 59)
        )
    # The last steps lead to the state the room is in now (the room is occupied here).
    for event, before, after, actor in TO_STATE[room.room_status]:
        moment += timedelta(minutes=rng.randint(20, 90))
        log(event, before, after, actor)
    return rows


# From OCCUPIED to each state, as the machine goes.
_CHECK_OUT = ("check_out", "OCCUPIED", "CHECKOUT_DIRTY", FRONT_DESK)
_START = ("start_cleaning", "CHECKOUT_DIRTY", "CLEANING_IN_PROGRESS", HOUSEKEEPERS[0])
_FINISH = ("finish_cleaning", "CLEANING_IN_PROGRESS", "CLEANED_UNINSPECTED", HOUSEKEEPERS[0])
_PASS = ("pass_inspection", "CLEANED_UNINSPECTED", "READY_FOR_GUEST", SUPERVISOR)
TO_STATE = {
    "OCCUPIED": [],
    "CHECKOUT_DIRTY": [_CHECK_OUT],
    "CLEANING_IN_PROGRESS": [_CHECK_OUT, _START],
    "CLEANED_UNINSPECTED": [_CHECK_OUT, _START, _FINISH],
    "READY_FOR_GUEST": [_CHECK_OUT, _START, _FINISH, _PASS],
    "OUT_OF_ORDER": [
        _CHECK_OUT,
        ("take_out_of_order", "CHECKOUT_DIRTY", "OUT_OF_ORDER", SUPERVISOR),
    ],
}
