"""Fixtures for webhooks and guest notifications: a clock the test moves, a receiver on
loopback, a hotel with staff, and private addresses allowed (the receiver is on 127.0.0.1)."""

import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from config.settings import get_settings
from storage.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from storage.timestamps import utc_now
from tests.conftest import HOTEL, rows, seed, small_hotel
from tests.integrations.receiver import Receiver
from workers.webhooks.worker import WebhookConfig, WebhookWorker
from workflows.services import webhooks


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utc_now()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = max(self._now, moment)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TURNOVER_WEBHOOKS_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def hotel_with_rooms(database: str, allow_private: None) -> str:
    seed(small_hotel())
    return HOTEL


FAST = WebhookConfig(
    allow_private=True, poll_seconds=0.05, request_deadline_seconds=5.0, connect_timeout_seconds=2.0
)


def worker(clock: FakeClock, worker_id: str = "w1", **overrides: object) -> WebhookWorker:
    config = WebhookConfig(**{**vars(FAST), **overrides})  # type: ignore[arg-type]
    return WebhookWorker(config, clock=clock, worker_id=worker_id, rng=random.Random(7))


def add_endpoint(url: str, event_types: list[str] | None = None) -> tuple[int, str]:
    """(endpoint id, secret) of a new endpoint of HOTEL."""
    created = webhooks.create_endpoint(
        hotel_slug=HOTEL, url=url, event_types=event_types or ["*"], description="PMS"
    )
    return created.endpoint.id, created.secret  # type: ignore[return-value]


def deliveries(endpoint_id: int | None = None) -> list[WebhookDelivery]:
    return [d for d in rows(WebhookDelivery) if endpoint_id in (None, d.endpoint_id)]


def attempts() -> list[WebhookAttempt]:
    return rows(WebhookAttempt)


def endpoint(endpoint_id: int) -> WebhookEndpoint:
    return next(e for e in rows(WebhookEndpoint) if e.id == endpoint_id)
