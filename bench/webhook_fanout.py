"""Scenario 6: webhooks. Throughput: a backlog of events fanned out to 5 endpoints on a
signature-checking receiver (its own process) by a running webhook worker, until every
delivery arrived. Isolation: checkout latency with the worker running and 5 healthy
endpoints, then with one of them hanging (it never answers; each attempt ends at the 15 s
deadline), and that the healthy endpoints still receive everything."""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import insert, update

from bench.databases import BACKENDS, bench_database
from bench.fixtures import seed_hotel
from bench.stats import Check, ScenarioResult, median, percentile
from bench.webhook_receiver import ReceiverProcess
from config.settings import get_settings
from storage.models import OutboxEvent, WebhookEndpoint
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork, add_commit_listener
from workers.webhooks import signing_secrets
from workers.webhooks.worker import WebhookConfig, WebhookWorker
from workflows.machines.actors import Actor
from workflows.machines.realtime_events import hotel_channel, room_status_changed
from workflows.services import webhooks
from workflows.services.checkout import BookingRef, checkout_booking

TARGET_DELIVERIES_PER_SECOND = 1000.0
# Checkout p50 with a hanging endpoint, relative to all endpoints healthy.
LATENCY_RATIO_LIMIT = 1.25
ENDPOINTS = 5
WAIT_CEILING_SECONDS = 300
OUTBOX = OutboxEvent.__table__  # type: ignore[attr-defined]
BENCH_ACTOR = Actor(username="bench")


def run(quick: bool) -> ScenarioResult:
    events = 300 if quick else 3000
    checkouts = 30 if quick else 200
    result = ScenarioResult(
        "webhook_fanout",
        "6. Webhooks: outbox -> 5 endpoints (signatures checked); checkout with one hanging",
        ["database", "deliveries/s", "checkout p50 ms (healthy / one hanging)",
         "p99 ms (healthy / one hanging)", "healthy endpoints served while one hangs"],
    )  # fmt: skip
    secret = signing_secrets.new_secret()
    with _webhook_settings(), ReceiverProcess([secret]) as receiver:
        for backend in BACKENDS:
            with bench_database(backend):
                rate = _throughput(receiver, secret, events)
            with bench_database(backend):
                healthy, _ = _checkouts(receiver, secret, checkouts, hanging=False)
            with bench_database(backend):
                hanging, served = _checkouts(receiver, secret, checkouts, hanging=True)
            figures = {
                "deliveries_per_second": rate,
                "checkout_p50_ms_healthy": median(healthy) * 1e3,
                "checkout_p50_ms_one_hanging": median(hanging) * 1e3,
                "checkout_p99_ms_healthy": percentile(healthy, 0.99) * 1e3,
                "checkout_p99_ms_one_hanging": percentile(hanging, 0.99) * 1e3,
                "healthy_endpoints_served": served,
            }
            ratio = figures["checkout_p50_ms_one_hanging"] / figures["checkout_p50_ms_healthy"]
            result.figures[backend] = figures
            result.rows.append(
                [backend, rate, _pair(figures, "p50"), _pair(figures, "p99"),
                 "all" if served else "NOT ALL"]
            )  # fmt: skip
            result.checks.append(
                Check(f"deliveries/s on {backend}", rate, ">=", TARGET_DELIVERIES_PER_SECOND)
            )
            result.checks.append(
                Check(f"checkout p50 with a hanging endpoint / healthy on {backend}", ratio,
                      "<=", LATENCY_RATIO_LIMIT)
            )  # fmt: skip
    result.notes.append(
        f"throughput: {events} events x {ENDPOINTS} endpoints = {events * ENDPOINTS} deliveries, "
        "fan-out included, one worker (asyncio, one task per endpoint); latency: "
        f"{checkouts} sequential checkouts with the worker running in a thread woken by commits"
    )
    return result


def _pair(figures: dict[str, Any], which: str) -> str:
    healthy = figures[f"checkout_{which}_ms_healthy"]
    hanging = figures[f"checkout_{which}_ms_one_hanging"]
    return f"{healthy:.2f} / {hanging:.2f}"


@contextmanager
def _webhook_settings() -> Iterator[None]:
    """The receiver is on 127.0.0.1; secrets encrypted with a throwaway key."""
    names = ("TURNOVER_WEBHOOKS_ALLOW_PRIVATE", "TURNOVER_WEBHOOKS_ENCRYPTION_KEY")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["TURNOVER_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    os.environ.setdefault("TURNOVER_WEBHOOKS_ENCRYPTION_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    signing_secrets.forget_keys()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
        signing_secrets.forget_keys()


def _add_endpoints(receiver: ReceiverProcess, secret: str, slug: str, paths: list[str]) -> None:
    for path in paths:
        webhooks.create_endpoint(hotel_slug=slug, url=receiver.url(path), event_types=["*"])
    with UnitOfWork() as uow:  # the receiver knows one secret: every endpoint gets it
        uow.session.execute(
            update(WebhookEndpoint).values(secret_encrypted=signing_secrets.encrypt(secret))
        )
        uow.commit()


def _received(receiver: ReceiverProcess, paths: list[str]) -> int:
    by_path = receiver.stats()["by_path"]
    return sum(by_path.get(path, 0) for path in paths)


def _wait_for(receiver: ReceiverProcess, paths: list[str], count: int) -> bool:
    deadline = time.monotonic() + WAIT_CEILING_SECONDS
    while _received(receiver, paths) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _throughput(receiver: ReceiverProcess, secret: str, events: int) -> float:
    tag = f"t{time.monotonic_ns()}"  # paths unique to this run: the receiver's counts go on
    paths = [f"/{tag}/ep{n}" for n in range(ENDPOINTS)]
    hotel = seed_hotel("bench-hooks", 0)
    _add_endpoints(receiver, secret, hotel.slug, paths)
    with UnitOfWork() as uow:
        uow.session.execute(insert(OUTBOX), _events(hotel.hotel_id, hotel.slug, events))
        uow.commit()
    worker = WebhookWorker(WebhookConfig(allow_private=True, batch_size=200))
    start = time.perf_counter()
    worker.start()
    try:
        done = _wait_for(receiver, paths, events * ENDPOINTS)
        elapsed = time.perf_counter() - start
    finally:
        worker.stop()
    stats = receiver.stats()
    assert done, "webhook deliveries did not all arrive"
    assert stats["bad_signatures"] == 0 and stats["duplicates"] == 0, stats
    return events * ENDPOINTS / elapsed


def _checkouts(
    receiver: ReceiverProcess, secret: str, count: int, *, hanging: bool
) -> tuple[list[float], bool]:
    tag = f"c{time.monotonic_ns()}"
    healthy = [f"/{tag}/ep{n}" for n in range(ENDPOINTS - 1)]
    last = f"/hang/{tag}" if hanging else f"/{tag}/ep{ENDPOINTS - 1}"
    hotel = seed_hotel("bench-hooks", count)
    _add_endpoints(receiver, secret, hotel.slug, [*healthy, last])
    worker = WebhookWorker(WebhookConfig(allow_private=True))
    unregister = add_commit_listener(worker.wake)
    worker.start()
    latencies = []
    try:
        for booking_id in hotel.booking_ids:
            started = time.perf_counter()
            checkout_booking(booking=BookingRef(hotel.slug, booking_id), performed_by=BENCH_ACTOR)
            latencies.append(time.perf_counter() - started)
        served = _wait_for(receiver, healthy, 2 * count * len(healthy))  # 2 events a checkout
    finally:
        unregister()
        worker.stop()
    return latencies, served


def _events(hotel_id: int, slug: str, count: int) -> list[dict[str, Any]]:
    now = utc_now()
    payload = room_status_changed(
        room_number=101, old_status="OCCUPIED", new_status="CHECKOUT_DIRTY",
        source="bench", at=now,
    )  # fmt: skip
    return [
        {"hotel_id": hotel_id, "channel": hotel_channel(slug), "event_name": "room-status-changed",
         "payload": payload, "status": "PENDING", "attempts": 0, "created_at": now}
        for _ in range(count)
    ]  # fmt: skip
