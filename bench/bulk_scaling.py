"""Scenario 3: non-destructive bulk checkout of 10, 100 and 1,000 occupied rooms, at the
service level (the API caps a request at 500 rooms), on SQLite and PostgreSQL; then the
events it wrote are relayed to the Pusher stand-in to count HTTP requests per event."""

import itertools
import math
import time

from bench.databases import BACKENDS, bench_database
from bench.fixtures import seed_hotel
from bench.pusher_standin import StandinProcess
from bench.stats import Check, ScenarioResult, median
from workers.pusher_publisher import MAX_BATCH_EVENTS, PusherPublisher
from workers.relay import Relay
from workflows.machines.actors import Actor, Role
from workflows.services.bulk_checkout import bulk_checkout

ACTOR = Actor(username="bench", role=Role.MANAGER)
FULL_SIZES, QUICK_SIZES = (10, 100, 1000), (10, 50)
SQLITE_LIMIT_SECONDS = 2.0
GROWTH_LIMIT = 1.5


def run(quick: bool) -> ScenarioResult:
    sizes, rounds = (QUICK_SIZES, 2) if quick else (FULL_SIZES, 5)
    largest, smallest = sizes[-1], sizes[0]
    result = ScenarioResult(
        "bulk_scaling",
        "3. Bulk checkout scaling (service level, non-destructive)",
        ["database", "rooms", "seconds", "CPU seconds", "ms per room", "Pusher requests / event"],
    )
    counter = itertools.count()
    with StandinProcess() as standin:
        for backend in BACKENDS:
            with bench_database(backend):
                seconds, cpu_seconds = _measure(sizes, rounds, counter)
                requests, events = _relay_to_pusher(standin)
            requests_per_event = requests / events
            per_room = {n: seconds[n] / n * 1e3 for n in sizes}
            growth = per_room[largest] / per_room[smallest]
            result.figures[backend] = {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "ms_per_room": per_room,
                "per_room_growth": growth,
                "pusher_requests_per_event": requests_per_event,
            }
            for n in sizes:
                shown = f"{requests_per_event:.3f}" if n == largest else ""
                result.rows.append([backend, n, seconds[n], cpu_seconds[n], per_room[n], shown])
            if backend == "sqlite":
                result.checks.append(
                    Check(f"{largest} rooms on sqlite (s)", seconds[largest], "<",
                          SQLITE_LIMIT_SECONDS)
                )  # fmt: skip
            result.checks.append(
                Check(f"ms/room at {largest} / at {smallest} on {backend}", growth, "<=",
                      GROWTH_LIMIT)
            )  # fmt: skip
            # Full batches: Pusher takes at most 10 events per request.
            result.checks.append(
                Check(f"Pusher requests / fewest possible on {backend}",
                      requests / math.ceil(events / MAX_BATCH_EVENTS), "<=", 1.0)
            )  # fmt: skip
    result.notes.append(
        f"medians of {rounds} rounds, sizes interleaved within a round, fresh rooms each run; "
        "CPU seconds: this process's (on a shared machine, what the code itself costs)"
    )
    if quick:
        result.notes.append("quick mode: the 2 s target is meant for 1,000 rooms")
    return result


def _measure(
    sizes: tuple[int, ...], rounds: int, counter: itertools.count
) -> tuple[dict[int, float], dict[int, float]]:
    """Median wall and CPU seconds of a bulk checkout of each size."""
    times: dict[int, list[float]] = {n: [] for n in sizes}
    cpu_times: dict[int, list[float]] = {n: [] for n in sizes}
    warm = seed_hotel(f"bench-bulk-{next(counter)}", 5)
    bulk_checkout(hotel_slug=warm.slug, room_ids=warm.room_ids, performed_by=ACTOR)
    for _ in range(rounds):
        for n in sizes:
            hotel = seed_hotel(f"bench-bulk-{next(counter)}", n)
            start, cpu_start = time.perf_counter(), time.process_time()
            outcome = bulk_checkout(
                hotel_slug=hotel.slug, room_ids=hotel.room_ids, performed_by=ACTOR
            )
            times[n].append(time.perf_counter() - start)
            cpu_times[n].append(time.process_time() - cpu_start)
            assert len(outcome.checked_out_bookings) == n and not outcome.errors, outcome.errors
    return (
        {n: median(values) for n, values in times.items()},
        {n: median(values) for n, values in cpu_times.items()},
    )


def _relay_to_pusher(standin: StandinProcess) -> tuple[int, int]:
    """Deliver every pending event: the HTTP requests the stand-in received, and the events."""
    before = standin.stats()
    relay = Relay(PusherPublisher(standin.client()))
    while relay.run_once().claimed:
        pass
    after = standin.stats()
    assert after["rejected_signatures"] == before["rejected_signatures"]
    events = after["events"] - before["events"]
    return after["requests"] - before["requests"], events
