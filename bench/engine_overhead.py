"""Scenario 1: one checkout through `checkout_booking` against the same writes by hand
(bench/bare_checkout.py), interleaved one for one, on SQLite and PostgreSQL. Also: how
much of the service's time is python-statemachine (building and firing the machines)."""

import cProfile
import pstats
import time
from collections.abc import Callable
from pathlib import Path

import statemachine

from bench.bare_checkout import bare_checkout
from bench.databases import BACKENDS, bench_database
from bench.fixtures import seed_hotel
from bench.stats import Check, ScenarioResult, median
from storage.database import get_engine
from storage.models import Booking, Hotel, Room
from storage.timestamps import utc_now
from workflows.machines.actors import Actor, Role
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.checkout import BookingRef, checkout_booking

TARGET_RATIO = 2.0
ACTOR = Actor(username="bench", role=Role.MANAGER)
STATEMACHINE_DIR = str(Path(statemachine.__file__).parent)
PROJECT_DIRS = tuple(str(Path(__file__).parents[1] / name) for name in ("workflows", "storage"))


def run(quick: bool) -> ScenarioResult:
    rounds, per_round = (3, 15) if quick else (7, 150)
    result = ScenarioResult(
        "engine_overhead",
        "1. Engine overhead: checkout_booking vs hand-written Core transaction",
        ["database", "service ms", "bare SQL ms", "ratio", "statemachine share", "build ms"],
    )
    for backend in BACKENDS:
        with bench_database(backend):
            figures = _measure(rounds, per_round)
        result.figures[backend] = figures
        result.rows.append(
            [
                backend,
                figures["service_ms"],
                figures["bare_ms"],
                figures["ratio"],
                f"{figures['statemachine_share']:.0%}",
                figures["machine_build_ms"],
            ]
        )
        result.checks.append(Check(f"ratio on {backend}", figures["ratio"], "<=", TARGET_RATIO))
    result.notes.append(
        f"medians of {rounds} rounds x {per_round} checkouts each, service and bare alternating; "
        "statemachine share from cProfile (callbacks into workflows/ and storage/ excluded); "
        "build ms: constructing the two machines of one checkout, no database"
    )
    return result


def _measure(rounds: int, per_round: int) -> dict[str, float]:
    seeded = seed_hotel("bench-engine", 2 * rounds * per_round + 2 * 200)
    refs = iter(seeded.booking_ids)
    engine = get_engine()

    def service() -> None:
        checkout_booking(booking=BookingRef(seeded.slug, next(refs)), performed_by=ACTOR)

    def bare() -> None:
        bare_checkout(engine, seeded.slug, next(refs), ACTOR.username)

    for _ in range(10):  # warm up both paths (caches, pool, compiled statements)
        service()
        bare()
    service_medians, bare_medians = [], []
    for _ in range(rounds):
        service_times, bare_times = _interleaved(service, bare, per_round)
        service_medians.append(median(service_times))
        bare_medians.append(median(bare_times))
    service_ms, bare_ms = median(service_medians) * 1e3, median(bare_medians) * 1e3
    return {
        "service_ms": service_ms,
        "bare_ms": bare_ms,
        "ratio": service_ms / bare_ms,
        "statemachine_share": statemachine_share(service, 150),
        "machine_build_ms": machine_build_seconds(seeded.slug) * 1e3,
    }


def _interleaved(
    first: Callable[[], None], second: Callable[[], None], count: int
) -> tuple[list[float], list[float]]:
    first_times, second_times = [], []
    for _ in range(count):
        for operation, times in ((first, first_times), (second, second_times)):
            start = time.perf_counter()
            operation()
            times.append(time.perf_counter() - start)
    return first_times, second_times


def statemachine_share(operation: Callable[[], None], count: int) -> float:
    """The fraction of `operation`'s profiled time spent in python-statemachine's code
    (and what it calls), minus the callbacks it makes into this project's code."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        operation()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tottime for _, _, tottime, _, _ in stats.values())
    inside = 0.0
    for callee, (_, _, _, _, callers) in stats.items():
        callee_in_sm = _in_statemachine(callee)
        for caller, (_, _, _, cumtime) in callers.items():
            if callee_in_sm and not _in_statemachine(caller):
                inside += cumtime  # entering python-statemachine
            elif _in_statemachine(caller) and _in_project(callee):
                inside -= cumtime  # a guard, hook or listener of ours
    return inside / total


def _in_statemachine(function: tuple[str, int, str]) -> bool:
    return function[0].startswith(STATEMACHINE_DIR)


def _in_project(function: tuple[str, int, str]) -> bool:
    return function[0].startswith(PROJECT_DIRS)


def machine_build_seconds(hotel_slug: str, count: int = 300) -> float:
    """Building the two machines of one checkout (bound to detached rows), no database."""
    hotel = Hotel(id=1, slug=hotel_slug, name="")
    ctx = TransitionContext(None, hotel, ACTOR, "bench", now=utc_now())  # type: ignore[arg-type]
    room = Room(id=1, hotel_id=1, room_number=1, room_status="OCCUPIED")
    booking = Booking(id=1, hotel_id=1, booking_id="BK", status="CHECKED_IN", assigned_room_id=1)
    start = time.perf_counter()
    for _ in range(count):
        BookingLifecycle(booking, ctx, room=room)
        RoomTurnover(room, ctx)
    return (time.perf_counter() - start) / count
