"""Webhook delivery: fan-out of committed events, order per endpoint, one delivery per
claim with two workers, the retry schedule, outages, hanging receivers, 410 Gone, the
5-day rule. Time is a `FakeClock` the tests move."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import OutboxEvent, WebhookEndpoint
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, HOTEL, rows
from tests.integrations.conftest import (
    FakeClock,
    add_endpoint,
    attempts,
    deliveries,
    endpoint,
    worker,
)
from tests.integrations.receiver import Receiver
from tests.realtime.conftest import add_events, wait_until
from workers.webhooks.endpoint_events import WEBHOOK_ENDPOINT_DISABLED
from workers.webhooks.schedule import JITTER, MAX_ATTEMPTS, RETRY_DELAYS
from workflows.services.checkout import BookingRef, checkout_booking


def sequences(receiver: Receiver, path: str | None = None) -> list[int]:
    return [r.json()["data"]["sequence"] for r in receiver.received(path)]


def drain(clock: FakeClock, *workers_: object, rounds: int = 100) -> None:
    """Run rounds until nothing is pending, moving the clock to the next due attempt."""
    for _ in range(rounds):
        for each in workers_:
            each.run_once()  # type: ignore[attr-defined]
        pending = [d for d in deliveries() if d.status == "PENDING"]
        if not pending:
            return
        clock.set(min(d.next_attempt_at for d in pending))
    raise AssertionError("deliveries still pending")


def test_a_checkout_is_delivered_once_with_its_payload(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    endpoint_id, _ = add_endpoint(receiver.url())
    checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)

    result = worker(clock).run_once()

    assert result.delivered == 3
    got = receiver.received()
    assert [r.json()["type"] for r in got] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",  # the room's departure cleaning
    ]
    first = got[0].json()
    assert first["data"]["booking_id"] == "BK-1" and first["data"]["room_number"] == 101
    assert isinstance(first["data"]["event_id"], int)
    assert first["timestamp"].endswith("Z")
    assert {d.status for d in deliveries(endpoint_id)} == {"DELIVERED"}
    assert worker(clock).run_once().attempts == []  # nothing is sent twice
    assert len(receiver.received()) == 3


def test_only_subscribed_event_types_of_the_endpoint_hotel(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    add_endpoint(receiver.url("/rooms"), ["room-status-changed"])
    add_endpoint(receiver.url("/all"), ["*"])
    add_events("hotel-galway", 2)  # another hotel's events

    checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)
    worker(clock).run_once()

    assert [r.json()["type"] for r in receiver.received("/rooms")] == ["room-status-changed"]
    assert [r.json()["type"] for r in receiver.received("/all")] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",
    ]


def test_nothing_for_a_rolled_back_transaction(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    add_endpoint(receiver.url())
    with UnitOfWork() as uow:
        hotel_id = uow.session.exec(select(OutboxEvent.hotel_id)).first() or 1
        uow.session.add(
            OutboxEvent(
                hotel_id=hotel_id, channel="hotel-x", event_name="room-status-changed", payload={}
            )
        )
        uow.session.flush()  # the row had an id, then the transaction rolls back
    add_events(HOTEL, 1)
    one = worker(clock)

    # On PostgreSQL the missing id holds the fan-out back until it is known to be settled:
    # every transaction older than it ended (any database of the server), or 30 s passed.
    wait_until(lambda: bool(one.run_once().attempts), timeout=120)
    one.run_once()

    assert len(receiver.received()) == 1 and len(deliveries()) == 1


def test_in_order_per_endpoint_while_the_first_is_retried(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    add_endpoint(receiver.url())
    add_events(HOTEL, 5)
    receiver.answer = lambda r: (500, b"busy") if r.json()["data"]["sequence"] == 0 else (200, b"")
    one = worker(clock)

    one.run_once()
    assert sequences(receiver) == [0]  # the later events wait for the first
    receiver.answer_with(200)
    clock.advance(seconds=RETRY_DELAYS[1] * (1 + JITTER))
    one.run_once()

    assert sequences(receiver) == [0, 0, 1, 2, 3, 4]
    assert {d.status for d in deliveries()} == {"DELIVERED"}


def test_two_workers_deliver_each_event_once_in_order(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    for path in ("/a", "/b", "/c"):
        add_endpoint(receiver.url(path))
    add_events(HOTEL, 60)
    workers_ = [worker(clock, f"w{n}", batch_size=7, concurrency=2) for n in range(2)]
    errors: list[BaseException] = []

    def work(each: object) -> None:
        try:
            while any(d.status == "PENDING" for d in deliveries()) or not deliveries():
                each.run_once()  # type: ignore[attr-defined]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(each,)) for each in workers_]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    ids = Counter(r.webhook_id for r in receiver.received())
    assert len(ids) == 180 and set(ids.values()) == {1}
    for path in ("/a", "/b", "/c"):
        assert sequences(receiver, path) == list(range(60))
    claimed_by = Counter(a.delivery_id for a in attempts())
    assert set(claimed_by.values()) == {1}


def test_retry_schedule_then_failed(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    add_endpoint(receiver.url())
    add_events(HOTEL, 1)
    receiver.answer_with(503, b"down for maintenance")
    one = worker(clock)
    started = clock.now()
    waits = []

    for attempt in range(1, MAX_ATTEMPTS + 1):
        one.run_once()
        assert len(receiver.received()) == attempt
        (delivery,) = deliveries()
        if attempt < MAX_ATTEMPTS:
            wait = (delivery.next_attempt_at - clock.now()).total_seconds()
            waits.append(wait)
            one.run_once()  # not due yet: nothing sent
            assert len(receiver.received()) == attempt
            clock.set(delivery.next_attempt_at)

    for wait, planned in zip(waits, RETRY_DELAYS[1:], strict=True):
        assert planned * (1 - JITTER) <= wait <= planned * (1 + JITTER)
    (delivery,) = deliveries()
    assert delivery.status == "FAILED" and delivery.attempts == MAX_ATTEMPTS
    assert delivery.last_error == "HTTP 503: down for maintenance"
    assert [a.status_code for a in attempts()] == [503] * MAX_ATTEMPTS
    assert attempts()[0].response_body == "down for maintenance"
    assert clock.now() - started > timedelta(hours=24)  # 27.6 h, less at most 10 %
    assert len({r.webhook_id for r in receiver.received()}) == 1  # same id every attempt


def test_an_hour_down_then_everything_in_order_nothing_twice(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    add_endpoint(receiver.url("/down"))
    add_endpoint(receiver.url("/up"))
    receiver.answer = lambda r: (503, b"") if r.path == "/down" else (200, b"")
    up_since = clock.now() + timedelta(hours=1)
    one = worker(clock)

    for _ in range(6):  # events keep coming for an hour, ten minutes apart
        add_events(HOTEL, 3)
        one.run_once()
        clock.advance(minutes=10)
    assert len(receiver.received("/up")) == 18  # the other endpoint was never held up
    failed_before = len(receiver.received("/down"))
    clock.set(up_since)
    receiver.answer_with(200)
    drain(clock, one)

    answered = receiver.received("/down")[failed_before:]
    assert Counter(r.webhook_id for r in answered).most_common(1)[0][1] == 1
    assert [r.json()["data"]["sequence"] for r in answered] == [0, 1, 2] * 6
    event_ids = [r.json()["data"]["event_id"] for r in answered]
    assert event_ids == sorted(event_ids) and len(event_ids) == 18
    assert {d.status for d in deliveries()} == {"DELIVERED"}
    assert endpoint(1).failing_since is None


def test_a_hanging_receiver_is_abandoned_at_the_deadline(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    hanging_id, _ = add_endpoint(receiver.url("/hangs"))
    add_endpoint(receiver.url("/fine"))
    receiver.answer = lambda r: (200, b"")
    add_events(HOTEL, 2)
    held = threading.Event()
    receiver.answer = lambda r: (held.wait(60) and (200, b"")) if r.path == "/hangs" else (200, b"")
    one = worker(clock, request_deadline_seconds=0.5)
    try:
        one.run_once()  # returns although /hangs never answers
    finally:
        held.set()

    assert len(receiver.received("/fine")) == 2
    (attempt,) = [a for a in attempts() if a.status_code is None]
    assert attempt.error == "no complete answer within 0.5 s"
    assert {d.status for d in deliveries(hanging_id)} == {"PENDING"}


def test_a_hanging_endpoint_holds_up_no_other(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    """A running worker: while one receiver holds its first request, the other endpoint
    gets every event, old and new."""
    add_endpoint(receiver.url("/hangs"))
    add_endpoint(receiver.url("/fine"))
    held = threading.Event()
    receiver.answer = lambda r: (held.wait(60) and (200, b"")) if r.path == "/hangs" else (200, b"")
    running = worker(clock, request_deadline_seconds=60, lease_seconds=300)
    running.start()
    try:
        add_events(HOTEL, 3)
        wait_until(lambda: len(receiver.received("/fine")) == 3)
        add_events(HOTEL, 2)
        wait_until(lambda: len(receiver.received("/fine")) == 5)
        assert len(receiver.received("/hangs")) == 1  # still on its first event
    finally:
        held.set()
    try:
        wait_until(lambda: len(receiver.received("/hangs")) == 5)
    finally:
        running.stop()
    assert sequences(receiver, "/hangs") == sequences(receiver, "/fine") == [0, 1, 2, 0, 1]


def test_gone_disables_the_endpoint_and_tells_the_hotel(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    endpoint_id, _ = add_endpoint(receiver.url())
    add_events(HOTEL, 2)
    receiver.answer_with(410)

    worker(clock).run_once()
    worker(clock).run_once()

    assert len(receiver.received()) == 1
    gone = endpoint(endpoint_id)
    assert not gone.enabled and gone.disabled_reason == "the receiver answered 410 Gone"
    (event,) = [e for e in rows(OutboxEvent) if e.event_name == WEBHOOK_ENDPOINT_DISABLED]
    assert event.channel == f"hotel-{HOTEL}"
    assert event.payload["webhook_endpoint_id"] == endpoint_id
    assert receiver.url() not in str(event.payload)
    assert {d.status for d in deliveries(endpoint_id)} == {"PENDING"}  # kept for re-enabling


def test_failing_for_five_days_disables(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    endpoint_id, _ = add_endpoint(receiver.url("/broken"))
    add_endpoint(receiver.url("/watcher"), [WEBHOOK_ENDPOINT_DISABLED])
    receiver.answer = lambda r: (500, b"") if r.path == "/broken" else (200, b"")
    one = worker(clock)
    started = clock.now()

    while endpoint(endpoint_id).enabled:
        add_events(HOTEL, 1)
        one.run_once()
        assert clock.now() - started < timedelta(days=5, hours=11)
        clock.advance(hours=10)

    disabled = endpoint(endpoint_id)
    assert disabled.disabled_reason == "every attempt failed for 5 days"
    one.run_once()
    (told,) = receiver.received("/watcher")
    assert told.json()["type"] == WEBHOOK_ENDPOINT_DISABLED
    assert told.json()["data"]["webhook_endpoint_id"] == endpoint_id


def test_a_deleted_endpoint_mid_flight_is_recorded_without_error(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock
) -> None:
    endpoint_id, _ = add_endpoint(receiver.url())
    add_events(HOTEL, 1)
    from workflows.services import webhooks

    receiver.answer = lambda r: (
        webhooks.delete_endpoint(hotel_slug=HOTEL, endpoint_id=endpoint_id) or (200, b"")
    )
    worker(clock).run_once()

    assert len(receiver.received()) == 1
    assert rows(WebhookEndpoint) == [] and deliveries() == [] and attempts() == []


@pytest.mark.parametrize("status", [301, 302, 307])
def test_redirects_are_not_followed(
    hotel_with_rooms: str, receiver: Receiver, clock: FakeClock, status: int
) -> None:
    add_endpoint(receiver.url())
    add_events(HOTEL, 1)
    receiver.answer = lambda r: (status, b"") if r.path == "/hook" else (200, b"")

    worker(clock).run_once()

    assert [r.path for r in receiver.received()] == ["/hook"]
    (delivery,) = deliveries()
    assert delivery.status == "PENDING" and delivery.last_error == f"HTTP {status}"
