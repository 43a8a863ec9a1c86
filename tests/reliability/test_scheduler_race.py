"""Two schedulers at once on PostgreSQL (two API processes, or one and `turnover tick`):
every due out-of-order period starts exactly once, every room goes out of order once."""

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pytest

from storage.models import OutOfOrderPeriod, Room, TransitionLog
from tests.conftest import rows, seed
from tests.reliability.test_races import database_url

pytestmark = pytest.mark.postgres

HOTEL = "hotel-painters"
ROOMS = 30
SCHEDULERS = 2
TICKS = 3  # each scheduler ticks several times: later ticks must find nothing to do
START = datetime(2026, 12, 5, 0, 0, 5, tzinfo=UTC)

_barrier: Any = None


def _init(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def _scheduler(url: str) -> list[int]:
    from api.scheduler_jobs import new_scheduler
    from storage.database import use_database

    use_database(url)
    scheduler = new_scheduler(clock=lambda: START)
    _barrier.wait(60)
    return [scheduler.tick()["out-of-order periods"] for _ in range(TICKS)]


def test_two_schedulers_start_each_period_once(postgres_database: str):
    from workflows.machines.actors import Actor, Role
    from workflows.services.out_of_order import schedule_period

    seed(
        {
            "hotels": [{"slug": HOTEL}],
            "rooms": [
                {"hotel": HOTEL, "room_number": 100 + n, "room_status": "READY_FOR_GUEST"}
                for n in range(ROOMS)
            ],
        }
    )
    for n in range(ROOMS):
        schedule_period(
            hotel_slug=HOTEL,
            room_number=100 + n,
            starts_on=date(2026, 12, 5),
            ends_on=date(2026, 12, 6),
            reason="repainting",
            performed_by=Actor(username="sinead", role=Role.SUPERVISOR),
            now=datetime(2026, 12, 3, 10, tzinfo=UTC),
        )
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(SCHEDULERS)
    with ProcessPoolExecutor(
        SCHEDULERS, mp_context=context, initializer=_init, initargs=(barrier,)
    ) as pool:
        futures = [pool.submit(_scheduler, database_url()) for _ in range(SCHEDULERS)]
        changes = [future.result(timeout=300) for future in futures]

    assert sum(sum(c) for c in changes) == ROOMS, changes  # each period started once
    assert all(c[1:] == [0] * (TICKS - 1) for c in changes)  # nothing left after a tick
    assert Counter(p.status for p in rows(OutOfOrderPeriod)) == {"ACTIVE": ROOMS}
    assert Counter(r.room_status for r in rows(Room)) == {"OUT_OF_ORDER": ROOMS}
    starts = Counter(e.entity_id for e in rows(TransitionLog) if e.event == "start")
    room_changes = Counter(
        e.entity_id for e in rows(TransitionLog) if e.event == "take_out_of_order"
    )
    assert len(starts) == ROOMS and set(starts.values()) == {1}
    assert len(room_changes) == ROOMS and set(room_changes.values()) == {1}
    print(f"\n{SCHEDULERS} schedulers, {ROOMS} periods: changes per tick {changes}")
