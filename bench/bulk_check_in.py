"""Scenario 10: bulk check-in with auto-assign of 50 and 500 bookings (a coach party), at
the service level, on SQLite and PostgreSQL: every booking arrives today and names no
room, every room is READY_FOR_GUEST. Target: linear (ms per booking at 500 within 1.5x of
that at 50)."""

import itertools
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bench.databases import BACKENDS, bench_database
from bench.stats import Check, ScenarioResult, median
from storage.database import get_engine
from storage.models import Booking, Hotel, Room
from workflows.machines.actors import Actor, Role
from workflows.services.bulk_check_in import CheckInRequestItem, bulk_check_in

DESK = Actor(username="bench", role=Role.FRONT_DESK)
FULL_SIZES, QUICK_SIZES = (50, 500), (20, 100)
GROWTH_LIMIT = 1.5
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def run(quick: bool) -> ScenarioResult:
    sizes, rounds = (QUICK_SIZES, 2) if quick else (FULL_SIZES, 3)
    largest, smallest = sizes[-1], sizes[0]
    result = ScenarioResult(
        "bulk_check_in",
        "10. Bulk check-in with auto-assign (service level)",
        ["database", "bookings", "seconds", "ms per booking"],
    )
    counter = itertools.count()
    for backend in BACKENDS:
        with bench_database(backend):
            seconds = _measure(sizes, rounds, counter)
        per_booking = {n: seconds[n] / n * 1e3 for n in sizes}
        growth = per_booking[largest] / per_booking[smallest]
        result.figures[backend] = {
            "seconds": seconds,
            "ms_per_booking": per_booking,
            "per_booking_growth": growth,
        }
        for n in sizes:
            result.rows.append([backend, n, seconds[n], per_booking[n]])
        result.checks.append(
            Check(f"ms/booking at {largest} / at {smallest} on {backend}", growth, "<=",
                  GROWTH_LIMIT)
        )  # fmt: skip
    result.notes.append(f"medians of {rounds} rounds, sizes interleaved, a fresh hotel each run")
    if quick:
        result.notes.append("quick mode: the growth target is meant for 50 and 500 bookings")
    return result


def _measure(sizes: tuple[int, ...], rounds: int, counter: itertools.count) -> dict[int, float]:
    times: dict[int, list[float]] = {n: [] for n in sizes}
    _check_in(_seed_party(f"bench-party-{next(counter)}", 5), 5)  # warm up
    for _ in range(rounds):
        for n in sizes:
            slug = _seed_party(f"bench-party-{next(counter)}", n)
            start = time.perf_counter()
            _check_in(slug, n)
            times[n].append(time.perf_counter() - start)
    return {n: median(values) for n, values in times.items()}


def _check_in(slug: str, count: int) -> None:
    items = [CheckInRequestItem(f"BK-{n}") for n in range(1, count + 1)]
    outcome = bulk_check_in(
        hotel_slug=slug, bookings=items, performed_by=DESK, auto_assign=True, now=NOW
    )
    assert len(outcome.checked_in_bookings) == count and not outcome.errors, outcome.errors


def _seed_party(slug: str, count: int) -> str:
    """A hotel of `count` READY rooms (ten floors' worth of numbers) and `count` CONFIRMED
    bookings arriving today with no room (written with Core, not timed)."""
    hotel, room, booking = (model.__table__ for model in (Hotel, Room, Booking))  # type: ignore[attr-defined]
    with get_engine().begin() as connection:
        hotel_id = connection.execute(
            insert(hotel).values(slug=slug, name=slug).returning(hotel.c.id)
        ).scalar_one()
        rooms = [
            {
                "hotel_id": hotel_id,
                "room_number": 100 * (1 + n % 10) + n // 10,
                "room_status": "READY_FOR_GUEST",
                "is_occupied": False,
                "turnover_notes": "",
            }
            for n in range(count)
        ]
        connection.execute(insert(room), rooms)
        stay = {"arrival_date": NOW.date(), "departure_date": NOW.date() + timedelta(days=2)}
        bookings = [
            {"hotel_id": hotel_id, "booking_id": f"BK-{n}", "status": "CONFIRMED",
             "created_at": NOW, "adults": 1, "notes": "", **stay}
            for n in range(1, count + 1)
        ]  # fmt: skip
        connection.execute(insert(booking), bookings)
    return slug
