"""Scenario 4: the outbox relay delivering to the Pusher stand-in (signatures checked, in
its own process). Throughput: a backlog of events drained by the relay. Lag: events
committed at a steady rate while the relay runs (woken by commits, as in the API process),
from commit to arrival at the stand-in."""

import time

from sqlalchemy import insert

from bench.databases import BACKENDS, bench_database
from bench.fixtures import seed_hotel
from bench.pusher_standin import StandinProcess
from bench.stats import Check, ScenarioResult, median, percentile
from storage.models import OutboxEvent
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork, add_commit_listener
from workers.pusher_publisher import PusherPublisher
from workers.relay import Relay
from workflows.machines.realtime_events import hotel_channel, room_status_changed

TARGET_EVENTS_PER_SECOND = 2000.0
OUTBOX = OutboxEvent.__table__  # type: ignore[attr-defined]


def run(quick: bool) -> ScenarioResult:
    backlog, rounds = (300, 2) if quick else (3000, 5)
    lag_batches = 30 if quick else 200
    result = ScenarioResult(
        "relay_throughput",
        "4. Relay: outbox -> Pusher stand-in (signatures checked)",
        ["database", "events/s", "lag p50 ms", "lag p99 ms", "requests / event"],
    )
    with StandinProcess() as standin:
        for backend in BACKENDS:
            with bench_database(backend):
                hotel = seed_hotel("bench-relay", 0)
                rates = [_drain_rate(standin, hotel.hotel_id, backlog) for _ in range(rounds)]
                lags, requests_per_event = _lag(standin, hotel.hotel_id, lag_batches)
            figures = {
                "events_per_second": median(rates),
                "lag_p50_ms": percentile(lags, 0.5) * 1e3,
                "lag_p99_ms": percentile(lags, 0.99) * 1e3,
                "requests_per_event_under_load": requests_per_event,
            }
            result.figures[backend] = figures
            result.rows.append(
                [backend, figures["events_per_second"], figures["lag_p50_ms"],
                 figures["lag_p99_ms"], f"{requests_per_event:.2f}"]
            )  # fmt: skip
            result.checks.append(
                Check(f"events/s on {backend}", figures["events_per_second"], ">=",
                      TARGET_EVENTS_PER_SECOND)
            )  # fmt: skip
    result.notes.append(
        f"throughput: median of {rounds} drains of {backlog} events; lag: {lag_batches} "
        "commits of 5 events, one every 5 ms, relay in a thread woken by each commit"
    )
    return result


def _events(hotel_id: int, count: int) -> list[dict]:
    now = utc_now()
    payload = room_status_changed(
        room_number=101, old_status="OCCUPIED", new_status="CHECKOUT_DIRTY",
        source="bench", at=now,
    )  # fmt: skip
    channel = hotel_channel("bench-relay")
    return [
        {"hotel_id": hotel_id, "channel": channel, "event_name": "room-status-changed",
         "payload": payload, "status": "PENDING", "attempts": 0, "created_at": now}
        for _ in range(count)
    ]  # fmt: skip


def _drain_rate(standin: StandinProcess, hotel_id: int, count: int) -> float:
    with UnitOfWork() as uow:
        uow.session.execute(insert(OUTBOX), _events(hotel_id, count))
        uow.commit()
    relay = Relay(PusherPublisher(standin.client()))
    delivered = 0
    start = time.perf_counter()
    while delivered < count:
        delivered += relay.run_once().delivered
    return count / (time.perf_counter() - start)


def _lag(standin: StandinProcess, hotel_id: int, batches: int) -> tuple[list[float], float]:
    before = standin.stats(reset_arrivals=True)  # outbox ids start again in each database
    relay = Relay(PusherPublisher(standin.client()))
    unregister = add_commit_listener(relay.wake)
    relay.start()
    committed: dict[int, float] = {}
    try:
        for _ in range(batches):
            with UnitOfWork() as uow:
                ids = uow.session.execute(
                    insert(OUTBOX).returning(OUTBOX.c.id), _events(hotel_id, 5)
                ).scalars()
                ids = list(ids)
                uow.commit()
            now = time.time()
            committed.update(dict.fromkeys(ids, now))
            time.sleep(0.005)
        deadline = time.monotonic() + 60
        while not set(committed) <= set(standin.stats()["arrivals"]):
            assert time.monotonic() < deadline, "relay did not deliver in time"
            time.sleep(0.05)
    finally:
        unregister()
        relay.stop()
    after = standin.stats()
    arrivals = after["arrivals"]
    lags = [arrivals[event_id] - at for event_id, at in committed.items()]
    requests = after["requests"] - before["requests"]
    return lags, requests / len(committed)
