"""Fixtures for realtime delivery: a signing-checking Pusher stand-in, a fast relay and a
clock the test advances."""

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from storage.models import Hotel, OutboxEvent
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from tests.conftest import HOTEL, rows, seed
from tests.realtime.fake_pusher import FakePusher
from workers.pusher_publisher import DeadlinePusher, PusherPublisher
from workers.relay import Relay, RelayConfig
from workflows.machines.realtime_events import hotel_channel

FAST = RelayConfig(first_backoff_seconds=0.05, max_backoff_seconds=0.2, poll_seconds=0.05)
# Small claims, so that several relays interleave.
SMALL_CLAIMS = dataclasses.replace(FAST, claim_limit=10)

# The seed's keys, plus `room_flags` (added, issue 14) on the room's event.
SEED_KEYS = {
    "room-status-changed": {
        "room_number",
        "old_status",
        "new_status",
        "source",
        "timestamp",
        "room_flags",
    },
    "booking-checked-out": {"booking_id", "room_number", "timestamp"},
}


@pytest.fixture
def fake_pusher() -> Iterator[FakePusher]:
    server = FakePusher().start()
    yield server
    server.stop()


class ManualClock:
    """Stands still until the test moves it: leases end when the test says so."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def pusher_relay(
    server: FakePusher,
    relay_id: str | None = None,
    config: RelayConfig = FAST,
    clock: ManualClock | None = None,
    **overrides: Any,
) -> Relay:
    client = DeadlinePusher(**{**server.client_options(), **overrides})
    return Relay(PusherPublisher(client), config, relay_id=relay_id, clock=clock or utc_now)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for `condition`; `timeout` is only a ceiling for a hung test (never reached when
    all is well, however busy the machine)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def outbox_rows() -> list[OutboxEvent]:
    return rows(OutboxEvent)


def statuses() -> list[str]:
    return [row.status for row in outbox_rows()]


def add_events(hotel_slug: str, count: int, payload: dict | None = None) -> list[int]:
    """Outbox rows as a transition would write them, without the transition."""
    with UnitOfWork() as uow:
        hotel = uow.session.exec(select(Hotel).where(Hotel.slug == hotel_slug)).one()
        events = [
            OutboxEvent(
                hotel_id=hotel.id,
                channel=hotel_channel(hotel_slug),
                event_name="room-status-changed",
                payload=payload or {"room_number": 100 + n, "sequence": n},
            )
            for n in range(count)
        ]
        uow.session.add_all(events)
        uow.session.flush()
        ids = [event.id for event in events]
        uow.commit()
    return ids  # type: ignore[return-value]


def seed_in_house_hotel(bookings: int) -> list[str]:
    """HOTEL with `bookings` checked-in bookings, one per occupied room."""
    refs = [f"BK-{n}" for n in range(bookings)]
    seed(
        {
            "hotels": [{"slug": HOTEL}],
            "rooms": [
                {"hotel": HOTEL, "room_number": 100 + n, "room_status": "OCCUPIED"}
                for n in range(bookings)
            ],
            "bookings": [
                {"hotel": HOTEL, "booking_id": ref, "status": "CHECKED_IN", "room_number": 100 + n}
                for n, ref in enumerate(refs)
            ],
        }
    )
    return refs
