"""Scenario 8: housekeeping work. (a) The day's plan and auto-assignment of a hotel of 100
and 1,000 occupied rooms (every room a stayover), service level, on SQLite and PostgreSQL:
target under 1 s for 1,000 rooms on SQLite, and linear (ms per room at 1,000 within 1.5x of
that at 100). (b) What the task hook (the departure task a checkout opens) adds to one
checkout: checkouts with the room's tasks following it, against the same checkouts with
the room's `drives` emptied, interleaved; target under 15 %."""

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.databases import BACKENDS, bench_database
from bench.fixtures import seed_hotel
from bench.stats import Check, ScenarioResult, median
from workflows.machines.actors import Actor, Role
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.housekeeping_plan import plan_day
from workflows.services.housekeeping_tasks import auto_assign

SUPERVISOR = Actor(username="bench", role=Role.MANAGER)
FULL_SIZES, QUICK_SIZES = (100, 1000), (50, 200)
CREDITS_PER_HOUSEKEEPER = 8.0  # a stayover is 0.5: 16 rooms each
PLAN_LIMIT_SECONDS = 1.0
GROWTH_LIMIT = 1.5
HOOK_LIMIT_PERCENT = 15.0


def run(quick: bool) -> ScenarioResult:
    sizes, rounds, checkouts = (QUICK_SIZES, 2, 40) if quick else (FULL_SIZES, 5, 200)
    result = ScenarioResult(
        "housekeeping",
        "8. Housekeeping: plan + auto-assign, and the task hook's cost per checkout",
        ["database", "rooms", "plan s", "assign s", "total s", "ms per room"],
    )
    counter = itertools.count()
    for backend in BACKENDS:
        with bench_database(backend):
            seconds = _plan_and_assign(sizes, rounds, counter)
            with_hook, without = _checkout_cost(checkouts, counter)
        per_room = {n: seconds[n][2] / n * 1e3 for n in sizes}
        growth = per_room[sizes[-1]] / per_room[sizes[0]]
        extra = (with_hook / without - 1) * 100
        result.figures[backend] = {
            "seconds": {n: list(seconds[n]) for n in sizes},
            "ms_per_room": per_room,
            "per_room_growth": growth,
            "checkout_ms_with_tasks": with_hook * 1e3,
            "checkout_ms_without_tasks": without * 1e3,
            "task_hook_percent": extra,
        }
        for n in sizes:
            plan_s, assign_s, total = seconds[n]
            result.rows.append([backend, n, plan_s, assign_s, total, per_room[n]])
        if backend == "sqlite":
            largest = sizes[-1]
            result.checks.append(
                Check(f"plan + auto-assign {largest} rooms on sqlite (s)", seconds[largest][2],
                      "<", PLAN_LIMIT_SECONDS)
            )  # fmt: skip
        result.checks.append(
            Check(f"ms/room at {sizes[-1]} / at {sizes[0]} on {backend}", growth, "<=",
                  GROWTH_LIMIT)
        )  # fmt: skip
        result.checks.append(
            Check(f"task hook per checkout on {backend} (%)", extra, "<", HOOK_LIMIT_PERCENT)
        )  # fmt: skip
        result.notes.append(
            f"{backend}: one checkout {with_hook * 1e3:.2f} ms with its task, "
            f"{without * 1e3:.2f} ms without (medians of {checkouts} each, interleaved)"
        )
    result.notes.append(f"plan + assign: medians of {rounds} rounds, fresh hotels each run")
    return result


def _plan_and_assign(
    sizes: tuple[int, ...], rounds: int, counter: itertools.count
) -> dict[int, tuple[float, float, float]]:
    times: dict[int, list[tuple[float, float]]] = {n: [] for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            hotel = seed_hotel(f"bench-hk-{next(counter)}", n)
            people = [f"hk{i}" for i in range(max(1, round(n * 0.5 / CREDITS_PER_HOUSEKEEPER)))]
            _add_housekeepers(hotel.hotel_id, people)
            start = time.perf_counter()
            planned = plan_day(hotel_slug=hotel.slug, performed_by=SUPERVISOR)
            planned_at = time.perf_counter()
            assigned = auto_assign(
                hotel_slug=hotel.slug, housekeepers=people, performed_by=SUPERVISOR
            )
            done = time.perf_counter()
            assert planned.total_created == n and len(assigned.views) == n
            times[n].append((planned_at - start, done - planned_at))
    return {
        n: (
            median([p for p, _ in times[n]]),
            median([a for _, a in times[n]]),
            median([p + a for p, a in times[n]]),
        )
        for n in sizes
    }


def _add_housekeepers(hotel_id: int, names: list[str]) -> None:
    from sqlalchemy import insert

    from storage.database import get_engine
    from storage.models import Staff

    rows = [
        {"hotel_id": hotel_id, "username": name, "username_key": name, "role": "housekeeper"}
        for name in names
    ]
    with get_engine().begin() as connection:
        connection.execute(insert(Staff.__table__), rows)  # type: ignore[attr-defined]


def _checkout_cost(count: int, counter: itertools.count) -> tuple[float, float]:
    """Median seconds of one checkout with and without the room's tasks following."""
    hotel = seed_hotel(f"bench-hk-co-{next(counter)}", count + 10)
    bookings = iter(hotel.booking_ids)
    for _ in range(10):  # warm up both paths
        _checkout(hotel.slug, next(bookings))
    with_tasks: list[float] = []
    without: list[float] = []
    for i in range(count):
        if i % 2:
            with_tasks.append(_checkout(hotel.slug, next(bookings)))
        else:
            with _tasks_not_following():
                without.append(_checkout(hotel.slug, next(bookings)))
    return median(with_tasks), median(without)


def _checkout(hotel_slug: str, booking_id: str) -> float:
    start = time.perf_counter()
    checkout_booking(booking=BookingRef(hotel_slug, booking_id), performed_by=SUPERVISOR)
    return time.perf_counter() - start


@contextmanager
def _tasks_not_following() -> Iterator[None]:
    """Today's checkout before the task hook: the room drives nothing."""
    drives = RoomTurnover.drives
    RoomTurnover.drives = {}
    try:
        yield
    finally:
        RoomTurnover.drives = drives
