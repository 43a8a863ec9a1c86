"""Every lookup the API and the relay make is served by an index, not a table scan.

SQLite's planner says so in `EXPLAIN QUERY PLAN` whatever the table sizes (PostgreSQL's
rightly prefers a scan on the tiny tables of a test, so it is not asked).
"""

import pytest
from sqlalchemy import text

from storage.database import get_engine

LOOKUPS = {
    "booking by hotel + booking_id": (
        "SELECT * FROM booking WHERE hotel_id = 1 AND booking_id = 'BK-1'"
    ),
    "room by hotel + number": "SELECT * FROM room WHERE hotel_id = 1 AND room_number = 101",
    "rooms of a hotel by status": "SELECT * FROM room WHERE hotel_id = 1 AND room_status = 'X'",
    "bookings of a hotel by status": "SELECT * FROM booking WHERE hotel_id = 1 AND status = 'X'",
    "in-house bookings of a room": (
        "SELECT * FROM booking WHERE assigned_room_id = 1 AND status = 'CHECKED_IN'"
    ),
    "pending outbox rows in commit order": (
        "SELECT * FROM outboxevent WHERE status = 'PENDING' ORDER BY id LIMIT 100"
    ),
    "a hotel's events after Last-Event-ID": (
        "SELECT * FROM outboxevent WHERE hotel_id = 1 AND id > 10 ORDER BY id"
    ),
    "history of an entity, newest first": (
        "SELECT * FROM transitionlog WHERE entity_kind = 'room' AND entity_id = 1"
        " ORDER BY id DESC LIMIT 50"
    ),
    "token by its hash": "SELECT * FROM stafftoken WHERE token_hash = 'abc'",
    "tokens of a staff member": "SELECT * FROM stafftoken WHERE staff_id = 1",
    "staff by username": "SELECT * FROM staff WHERE hotel_id = 1 AND username_key = 'anna'",
    "hotel by slug": "SELECT * FROM hotel WHERE slug = 'h'",
    "guests of a room": "SELECT * FROM guest WHERE room_id = 1",
    "guests of a booking": "SELECT * FROM guest WHERE booking_id = 1",
}


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_lookup_uses_an_index(sqlite_database: str, lookup: str) -> None:
    with get_engine().connect() as connection:
        plan = [
            row[-1] for row in connection.execute(text("EXPLAIN QUERY PLAN " + LOOKUPS[lookup]))
        ]
    assert any("USING" in step and "INDEX" in step for step in plan), plan
    assert not any(step.startswith("SCAN") and "INDEX" not in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort of the results
